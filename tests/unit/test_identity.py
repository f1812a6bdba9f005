from roundrobin.slack.gateway.identity import SlackIdentity


def test_app_redirect_goes_to_slack_com_for_real_slack():
    identity = SlackIdentity("T1", "Acme", "U1", "B1", "A1", "https://acme.slack.com/")
    assert identity.app_redirect_url == "https://slack.com/app_redirect?app=A1&team=T1"
    assert identity.deep_link == "slack://app?team=T1&id=A1&tab=home"
