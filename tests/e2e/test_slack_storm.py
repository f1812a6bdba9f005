"""A storm of hand-overs under Slack's enforced rate tiers drains with zero failed writes.

Runs the app's rotation service and Slack delivery worker in-process (as bench/slack_storm.py does)
against the Slack simulator with its tiers on, Slack's minute scaled down to 1.2 s: long enough that
a busy test machine's scheduling jitter (the suite runs four workers on two cores) stays small
beside the pacing it measures.
"""

import asyncio

import pytest

from bench.slack_storm import storm

pytestmark = pytest.mark.e2e


async def test_200_hand_overs_at_once_drain_without_a_failed_write(tmp_path):
    report = await asyncio.wait_for(storm(200, window=1.2, folder=tmp_path), timeout=120)
    assert report.failures == 0
    assert report.groups_right == 200 and report.channels_told_once == 200
    assert report.rate_limited <= 5, "paced by the tiers, Slack (almost) never had to say slow down"
    print(f"storm of 200: drained in {report.drain_seconds:.2f} s, {report.ratio:.2f}x the tiers' minimum")
    assert report.ratio <= 1.5
