"""The names metrics give Slack's Web API calls, and what each counter is fed."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from roundrobin.metrics import Metrics, slack_call_kind


@pytest.mark.parametrize(
    ("method", "kind"),
    [
        ("chat.postMessage", "write"),
        ("chat.update", "write"),
        ("views.publish", "write"),
        ("views.open", "write"),
        ("usergroups.users.update", "write"),
        ("conversations.setTopic", "write"),
        ("users.info", "read"),
        ("users.list", "read"),
        ("usergroups.users.list", "read"),
        ("conversations.members", "read"),
        ("users.lookupByEmail", "read"),
        ("auth.test", "read"),
        ("apps.connections.open", "connect"),
    ],
)
def test_slack_calls_are_writes_unless_they_only_read(method, kind):
    assert slack_call_kind(method) == kind


def test_two_apps_in_one_process_count_apart():
    first, second = Metrics(), Metrics()
    first.duty_changed("rotated")
    assert _value(first, "roundrobin_duty_changes_total", reason="rotated") == 1
    assert _value(second, "roundrobin_duty_changes_total", reason="rotated") is None


def test_only_reconnects_count_as_reconnects():
    metrics = Metrics()
    for _ in range(3):
        metrics.socket_mode_hello()
    assert _value(metrics, "roundrobin_socket_mode_connections_total") == 3
    assert _value(metrics, "roundrobin_socket_mode_reconnects_total") == 2


def _value(metrics: Metrics, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None
