"""Signed links: what the app signed opens until it expires; anything changed, or late, is refused."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.fernet import Fernet

from roundrobin.links import LinkRefused, SignedLinks
from roundrobin.vault import Vault

NOW = 1_750_000_000


def links() -> SignedLinks:
    return SignedLinks(Vault(Fernet.generate_key().decode()).derived_key("links"))


def opened(link: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(link)
    return parts.path, dict(parse_qsl(parts.query))


def test_a_signed_link_opens_with_its_parameters_until_it_expires():
    signer = links()
    path, query = opened(signer.sign("/timeline/7", {"who": "U01", "from": "2026-12-07"}, NOW + 86400))
    assert signer.check(path, query, NOW) == {"who": "U01", "from": "2026-12-07"}
    with pytest.raises(LinkRefused) as late:
        signer.check(path, query, NOW + 86400)
    assert late.value.reason == "expired"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda path, q: (path, {**q, "who": "U02"}),  # someone else's
        lambda path, q: ("/timeline/8", q),  # another rotation
        lambda path, q: (path, {**q, "exp": str(int(q["exp"]) + 86400)}),  # a longer life
        lambda path, q: (path, {**q, "extra": "1"}),
        lambda path, q: (path, {k: v for k, v in q.items() if k != "sig"}),
        lambda path, q: (path, {**q, "exp": "１７５"}),  # digits that are not ASCII
        lambda path, q: (path, {**q, "sig": "x" * 5000}),
    ],
)
def test_a_changed_link_is_refused(tamper):
    signer = links()
    path, query = opened(signer.sign("/timeline/7", {"who": "U01"}, NOW + 60))
    with pytest.raises(LinkRefused) as refused:
        signer.check(*tamper(path, query), NOW)
    assert refused.value.reason == "invalid"


def test_another_installation_or_purpose_cannot_sign_for_this_one():
    vault = Vault(Fernet.generate_key().decode())
    ours, other_purpose = SignedLinks(vault.derived_key("links")), SignedLinks(vault.derived_key("feeds"))
    path, query = opened(other_purpose.sign("/timeline/7", {}, NOW + 60))
    with pytest.raises(LinkRefused):
        ours.check(path, query, NOW)
