"""Slack refusing an on-duty group update, for every error Slack documents for usergroups.users.update
(docs.slack.dev/reference/methods/usergroups.users.update), against the Slack simulator: one bad
account never blocks the rest, temporary failures are retried, refusals are shown at once."""

import asyncio
import time
from dataclasses import dataclass

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.access import Access
from roundrobin.background import Doorbell
from roundrobin.db import Database
from roundrobin.rotations.draft import RotationDraft
from roundrobin.rotations.model import GroupState
from roundrobin.signals import Signals
from roundrobin.sim.slack import FakeSlack
from roundrobin.slack.gateway.accounts import AccountWatch
from roundrobin.slack.gateway.delivery import SHOW_AFTER, SlackDelivery
from roundrobin.slack.gateway.directory import SlackDirectory
from roundrobin.slack.gateway.pacing import Pacer
from roundrobin.slack.gateway.usergroups import Usergroups
from roundrobin.slack.gateway.workspace import SlackWorkspace
from roundrobin.store import outbox
from roundrobin.store import pagerduty as pd_store
from roundrobin.store.pagerduty import PdSchedule
from tests.support import Rotations
from tests.unit.test_rotation_service import Roles

# Slack's list for usergroups.users.update, and what Round Robin does about each.
PEOPLE = ("invalid_users", "invalid_user", "single_channel_guests_cannot_be_added", "failed_for_some_users")
RETRIED = (
    "fatal_error",
    "internal_error",
    "request_timeout",
    "service_unavailable",
    "team_added_to_org",
    "org_login_required",
)
REFUSED = {
    "permission_denied": "only lets some people manage user groups",
    "missing_scope": "usergroups:write",
    "plan_upgrade_required": "paid Slack plan",
    "subteam_max_users_exceeded": "limits how many people a user group holds",
    "no_users_provided": "disables it instead",
    "not_allowed_token_type": "must be the bot token",
    "invalid_auth": "no longer accepts Round Robin's bot token",
    "not_authed": "no longer accepts Round Robin's bot token",
    "account_inactive": "no longer accepts Round Robin's bot token",
    "token_revoked": "no longer accepts Round Robin's bot token",
    "token_expired": "no longer accepts Round Robin's bot token",
    **{
        code: f"Slack refused to update <!subteam^S0OPS> ({code})"
        for code in (
            "access_denied",
            "accesslimited",
            "deprecated_endpoint",
            "ekm_access_denied",
            "enterprise_is_restricted",
            "invalid_arg_name",
            "invalid_arguments",
            "invalid_array_arg",
            "invalid_charset",
            "invalid_form_data",
            "invalid_post_type",
            "method_deprecated",
            "missing_argument",
            "missing_post_type",
            "no_permission",
            "team_access_not_granted",
            "two_factor_setup_required",
        )
    },
}


PEOPLE_OF_OPS = ("U0ADA", "U0ALAN", "U0GRACE")


@dataclass
class World:
    slack: FakeSlack
    db: Database
    rotations: Rotations
    delivery: SlackDelivery

    async def group_row(self, rotation_id: int, timeout: float = 5.0):
        """The group's row once the delivery has dealt with the update (applied, or failed)."""
        async with asyncio.timeout(timeout):
            while True:
                row = await outbox.group(self.db, rotation_id)
                if row.applied == row.desired or row.attempts:
                    return row
                await asyncio.sleep(0.02)

    async def shown(self, rotation_id: int, after: float = 0.0) -> list[str]:
        return (await outbox.problems(self.db, [rotation_id], time.time() + after, SHOW_AFTER))[rotation_id]


@pytest.fixture
async def world(tmp_path):
    async with FakeSlack() as slack, aiohttp.ClientSession() as http:
        for user, name in (("U0ADA", "ada"), ("U0ALAN", "alan"), ("U0GRACE", "grace"), ("U0BOSS", "boss")):
            slack.add_user(user, name, name.title(), f"{name}@corp.example")
        slack.add_usergroup("S0OPS", "ops", "Ops on duty")
        db = await Database.open(tmp_path / "rr.db")
        await pd_store.remember_schedules(db, [PdSchedule("PS1", "Ops")], time.time())
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, session=http)
        client.retry_handlers.clear()
        changed = Doorbell()
        directory = SlackDirectory(client, db, changed=changed)
        signals = Signals.new()
        workspace = SlackWorkspace(client, directory, Usergroups(client))
        rotations = Rotations(db, Access(db, Roles(admins=("U0BOSS",)), ()), workspace, signals)
        delivery = SlackDelivery(client, db, signals.effects, Pacer(), drift_every=0, directory=directory)
        watch = AccountWatch(directory, rotations, None, changed)
        await delivery.start()
        await watch.start()
        try:
            yield World(slack, db, rotations, delivery)
        finally:
            await watch.close()
            await delivery.close()
            await db.close()


async def two_on_call(world: World) -> int:
    """A PagerDuty-bound rotation with Grace on call and @ops set to her (Ada and Alan come next)."""
    draft = RotationDraft(
        name="Ops",
        code="ops",
        source="pagerduty",
        pd_schedule_id="PS1",
        members=(),
        usergroup_id="S0OPS",
        usergroup_handle="ops",
    )
    r = await world.rotations.create(draft, "U0BOSS", pagerduty_connected=True)
    await world.rotations.follow_pagerduty(r.id, "PS1", PEOPLE_OF_OPS, ("U0GRACE",), None, (), "ok")
    await world.slack.wait_for(lambda: world.slack.usergroups["S0OPS"]["users"] == ["U0GRACE"])
    return r.id


async def hand_to_both(world: World, rotation_id: int) -> None:
    await world.rotations.follow_pagerduty(
        rotation_id, "PS1", PEOPLE_OF_OPS, ("U0ADA", "U0ALAN"), None, (), "ok"
    )


@pytest.mark.parametrize(
    ("error", "account"),
    [
        ("invalid_users", {"deleted": True}),
        ("invalid_user", {"is_restricted": True}),
        ("single_channel_guests_cannot_be_added", {"is_ultra_restricted": True}),
        ("failed_for_some_users", None),  # not in this workspace (any more)
    ],
)
async def test_one_bad_account_never_blocks_the_rest(world, error, account):
    rotation_id = await two_on_call(world)
    if account is None:
        del world.slack.workspace.users["U0ALAN"]
    else:
        await world.slack.change_account("U0ALAN", tell_app=False, **account)  # the app never hears of it
    await hand_to_both(world, rotation_id)
    await world.slack.wait_for(lambda: ("usergroups.users.update", "U0ADA,U0ALAN") in _updates(world.slack))
    assert _refused(world.slack) == [error], "Slack refused the pair, naming nobody"
    await world.slack.wait_for(
        lambda: world.slack.usergroups["S0OPS"]["users"] == ["U0ADA"],
        description="the group set to the others",
    )
    assert {"user": "U0ALAN"} in world.slack.calls_to("users.info"), "asked Slack who it was"
    rotation = await world.rotations.get(rotation_id)
    assert rotation.out_of_group == (("U0ALAN", rotation.unavailable["U0ALAN"]),), (
        "the card names who and why"
    )
    assert (await outbox.group(world.db, rotation_id)).desired == GroupState(True, ("U0ADA",))


async def test_nobody_left_disables_the_group_as_for_nobody_on_duty(world):
    rotation_id = await two_on_call(world)
    await world.slack.deactivate("U0ADA", tell_app=False)
    await world.slack.deactivate("U0ALAN", tell_app=False)
    await hand_to_both(world, rotation_id)
    await world.slack.wait_for(lambda: not world.slack.usergroups["S0OPS"]["enabled"], description="disabled")
    assert (await outbox.group(world.db, rotation_id)).desired == GroupState(False)


@pytest.mark.parametrize("error", PEOPLE)
async def test_a_refusal_over_people_who_all_look_fine_is_shown(world, error):
    rotation_id = await two_on_call(world)
    world.slack.fail_next("usergroups.users.update", error)
    await hand_to_both(world, rotation_id)
    row = await world.group_row(rotation_id)
    assert row.applied != row.desired and row.attempts == 1
    [words] = await world.shown(rotation_id)
    assert "Slack would not put some on-duty people in <!subteam^S0OPS>" in words
    assert "every 15 minutes" in words
    assert {"user": "U0ADA"} in world.slack.calls_to("users.info") and {
        "user": "U0ALAN"
    } in world.slack.calls_to("users.info")


@pytest.mark.parametrize("error", RETRIED)
async def test_a_temporary_failure_is_retried_and_shown_only_once_it_lasts(world, error):
    rotation_id = await two_on_call(world)
    world.slack.fail_next("usergroups.users.update", error)
    await hand_to_both(world, rotation_id)
    row = await world.group_row(rotation_id)
    assert row.attempts == 1
    assert await world.shown(rotation_id) == [], "not at once"
    assert len(await world.shown(rotation_id, after=SHOW_AFTER + 1)) == 1, "once it has lasted"
    await world.delivery.wait_idle(timeout=10)  # the retry goes through
    assert world.slack.usergroups["S0OPS"]["users"] == ["U0ADA", "U0ALAN"]


async def test_a_rate_limit_waits_its_retry_after_and_is_not_a_failure(world):
    rotation_id = await two_on_call(world)
    world.slack.fail_next("usergroups.users.update", "ratelimited", retry_after=1)
    await hand_to_both(world, rotation_id)
    await world.delivery.wait_idle(timeout=10)
    assert world.slack.usergroups["S0OPS"]["users"] == ["U0ADA", "U0ALAN"]
    assert (await outbox.group(world.db, rotation_id)).attempts == 0 and await world.shown(rotation_id) == []


@pytest.mark.parametrize(("error", "words"), sorted(REFUSED.items()))
async def test_a_refusal_is_shown_at_once_with_what_to_do(world, error, words):
    rotation_id = await two_on_call(world)
    world.slack.fail_next("usergroups.users.update", error)
    await hand_to_both(world, rotation_id)
    row = await world.group_row(rotation_id)
    assert row.attempts == 1 and row.applied != row.desired
    [shown] = await world.shown(rotation_id)
    assert words in shown
    assert world.slack.calls_to("users.info") == [], "no account was asked about"


def test_every_error_slack_documents_is_handled_on_purpose():
    documented = {
        *[
            "access_denied",
            "accesslimited",
            "account_inactive",
            "deprecated_endpoint",
            "ekm_access_denied",
            "enterprise_is_restricted",
            "failed_for_some_users",
            "fatal_error",
            "internal_error",
            "invalid_arg_name",
            "invalid_arguments",
            "invalid_array_arg",
            "invalid_auth",
            "invalid_charset",
            "invalid_form_data",
            "invalid_post_type",
            "invalid_users",
            "method_deprecated",
            "missing_argument",
            "missing_post_type",
            "missing_scope",
            "no_permission",
            "no_users_provided",
            "not_allowed_token_type",
            "not_authed",
            "org_login_required",
            "permission_denied",
            "plan_upgrade_required",
            "ratelimited",
            "request_timeout",
            "service_unavailable",
            "subteam_max_users_exceeded",
            "team_access_not_granted",
            "team_added_to_org",
            "token_expired",
            "token_revoked",
            "two_factor_setup_required",
        ],
        # from the method's usage notes: guests and bots, single-channel guests
        "invalid_user",
        "single_channel_guests_cannot_be_added",
    }
    assert documented == {*PEOPLE, *RETRIED, *REFUSED, "ratelimited"}


def _updates(slack: FakeSlack) -> list[tuple[str, str]]:
    return [
        ("usergroups.users.update", ",".join(_users(a))) for a in slack.calls_to("usergroups.users.update")
    ]


def _users(args: dict) -> list[str]:
    users = args.get("users")
    return users.split(",") if isinstance(users, str) else list(users or [])


def _refused(slack: FakeSlack) -> list[str]:
    return [error for method, error in slack.refused if method == "usergroups.users.update"]
