import base64
import hashlib
import json
from urllib.parse import parse_qs, urlparse

from roundrobin.pagerduty import oauth


def test_authorize_url_carries_pkce_s256_state_and_scopes():
    login = oauth.new_login()
    url = oauth.authorize_url("https://identity.example", "client-1", "https://rr.example/cb", login)
    parsed = urlparse(url)
    q = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    assert parsed.path == "/oauth/authorize"
    assert q["response_type"] == "code" and q["client_id"] == "client-1"
    assert q["redirect_uri"] == "https://rr.example/cb" and q["state"] == login.state
    assert q["code_challenge_method"] == "S256"
    digest = hashlib.sha256(login.code_verifier.encode()).digest()
    assert q["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert set(q["scope"].split()) == set(oauth.REQUESTED_SCOPES)
    assert 43 <= len(login.code_verifier) <= 128


def test_each_login_is_unique():
    assert oauth.new_login().state != oauth.new_login().state


def test_missing_scopes():
    assert oauth.missing_scopes({"openid"}) == list(oauth.REQUIRED_SCOPES)
    assert oauth.missing_scopes({"openid", *oauth.REQUIRED_SCOPES}) == []


def _jwt(claims: dict) -> str:
    def part(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.sig"


def test_region_comes_from_the_id_token_audience():
    eu = oauth.id_token_claims(_jwt({"aud": ["https://api.eu.pagerduty.com", "c"], "subdomain": "acme"}))
    us = oauth.id_token_claims(_jwt({"aud": ["https://api.pagerduty.com", "c"]}))
    assert oauth.region_from_claims(eu) == "eu" and eu["subdomain"] == "acme"
    assert oauth.region_from_claims(us) == "us"
    assert oauth.id_token_claims("not a jwt") == {}
