"""Members that follow a user group, on a real database: the form's checks, the news from
subteam_members_changed (applied as it is, or the group read again when news was missed), the
periodic check (one read per group), and the duty rules around people who left the group."""

import time
from dataclasses import replace

import pytest

from roundrobin.access import Access
from roundrobin.rotations.draft import RotationDraft
from roundrobin.rotations.errors import DraftError, NotAllowed
from roundrobin.rotations.following import GroupFollowing
from roundrobin.rotations.model import ALPHABETICAL
from roundrobin.rotations.references import Group, NotReadable
from roundrobin.rotations.schedule import Schedule
from roundrobin.signals import Signals
from roundrobin.store import directory, member_groups
from roundrobin.store import rotations as store
from roundrobin.store.directory import SlackUser
from tests.support import Rotations

TEAM, OTHER = "S0TEAM", "S0OTHER"
NAMES = {"U001": "Zoe", "U002": "Adam", "U003": "Ben", "U004": "Cleo", "U009": "Manager"}


class Roles:
    async def is_workspace_admin(self, user_id):
        return user_id == "U009"

    async def name(self, user_id):
        return NAMES.get(user_id, user_id)

    async def is_person(self, user_id):
        return True


class Workspace:
    """Slack's user groups as the services read them; counts the reads of a group's people."""

    def __init__(self):
        self.groups_now = {TEAM: ["U001", "U002", "U003"], OTHER: ["U004"]}
        self.handles = {TEAM: "oncall-team", OTHER: "other"}
        self.reads: list[str] = []
        self.down = False

    async def not_people(self, user_ids):
        return []

    async def channel_problem(self, channel_id):
        return None

    async def channels_of(self, user_id):
        return set()

    async def channel_name(self, channel_id):
        return None

    async def group(self, group_id):
        if group_id not in self.groups_now:
            return None
        return Group(group_id, self.handles[group_id], group_id, tuple(self.groups_now[group_id]), True)

    async def groups(self, query):
        return [await self.group(g) for g in self.groups_now]

    async def group_users(self, group_id):
        if self.down:
            raise NotReadable("ratelimited")
        self.reads.append(group_id)
        return tuple(self.groups_now[group_id]) if group_id in self.groups_now else None

    async def people_names(self, user_ids):
        return {u: NAMES[u] for u in user_ids if u in NAMES}


@pytest.fixture
def workspace():
    return Workspace()


@pytest.fixture
async def services(db, workspace):
    signals = Signals.new()
    access = Access(db, Roles(), ())
    return Rotations(db, access, workspace, signals), GroupFollowing(db, access, workspace, signals)


def following_draft(**kw) -> RotationDraft:
    return RotationDraft(**{"name": "Ops", "code": "ops", "members": (), "members_group_id": TEAM, **kw})


async def history(db, rotation_id):
    rows = await db.fetchall(
        "SELECT actor, detail FROM events WHERE rotation_id = ? AND kind = 'rotation.members' ORDER BY id",
        (rotation_id,),
    )
    return [(r[0], r[1]) for r in rows]


async def test_a_rotation_made_from_a_group_takes_its_people_in_order(services, db):
    rotations, _ = services
    r = await rotations.create(following_draft(), "U009", False)
    assert r.members == ("U001", "U002", "U003") and r.on_duty == ("U001",)
    assert r.member_source.handle == "oncall-team" and r.member_source.order == "group"
    alpha = await rotations.create(following_draft(code="abc", members_order=ALPHABETICAL), "U009", False)
    assert alpha.members == ("U002", "U003", "U001"), "Adam, Ben, Zoe"
    assert (await store.get(db, alpha.id)).member_source.order == ALPHABETICAL


@pytest.mark.parametrize(
    ("draft", "problem"),
    [
        (following_draft(members_group_id="S0GONE"), "not in Slack"),
        (following_draft(members_group_id="not-an-id"), "Choose a user group"),
        (following_draft(usergroup_id=TEAM), "cannot also come from it"),
        (following_draft(new_usergroup_handle="oncall-team"), "cannot also come from it"),
    ],
)
async def test_the_group_is_checked_with_every_other_field(services, draft, problem):
    rotations, _ = services
    with pytest.raises(DraftError) as refused:
        await rotations.create(replace(draft, name=""), "U009", False)
    assert problem in refused.value.errors["members_group"]
    assert "name" in refused.value.errors, "reported together"
    assert "members" not in refused.value.errors, "no second error about the members"


async def test_groups_that_cannot_be_a_team(services, workspace):
    rotations, _ = services
    await rotations.create(
        following_draft(code="web", members_group_id=OTHER, usergroup_id=None), "U009", False
    )
    workspace.groups_now["S0DUTY"], workspace.handles["S0DUTY"] = ["U001"], "db-oncall"
    db_draft = RotationDraft("Db", "db", members=("U001",), usergroup_id="S0DUTY")
    assert (await rotations.create(db_draft, "U009", False)).usergroup_id == "S0DUTY"
    with pytest.raises(DraftError, match="on-duty group of Db"):
        await rotations.create(following_draft(members_group_id="S0DUTY"), "U009", False)
    workspace.groups_now[TEAM] = [f"U{i:03d}" for i in range(101)]
    with pytest.raises(DraftError, match="has 101 people, and a rotation can have up to 100"):
        await rotations.create(following_draft(), "U009", False)
    workspace.groups_now[TEAM] = []
    with pytest.raises(DraftError, match="nobody in it yet"):
        await rotations.create(following_draft(schedule=Schedule("daily")), "U009", False)
    workspace.down = True
    with pytest.raises(DraftError, match="Slack did not answer"):
        await rotations.create(following_draft(), "U009", False)
    # A group some rotation's members follow is never rewritten to whoever is on duty.
    with pytest.raises(DraftError) as refused:
        await rotations.create(
            RotationDraft("Api", "api", members=("U001",), usergroup_id=OTHER), "U009", False
        )
    assert "follow @other" in refused.value.errors["usergroup"]


async def test_news_that_follows_the_last_is_applied_without_asking_slack(services, db, workspace):
    rotations, following = services
    r = await rotations.create(following_draft(), "U009", False)
    assert await following.group_changed(TEAM, ["U004"], [], 100, 101) == 1
    assert await following.group_changed(TEAM, [], ["U002"], 101, 102) == 1
    assert workspace.reads == [TEAM], "read once, when the rotation was made"
    stored = await store.get(db, r.id)
    assert stored.members == ("U001", "U003", "U004")
    assert await member_groups.seen_update(db, TEAM) == 102
    assert [detail for _, detail in await history(db, r.id)] == [
        '{"added": "U004", "group": "S0TEAM", "handle": "oncall-team"}',
        '{"group": "S0TEAM", "handle": "oncall-team", "removed": "U002"}',
    ]
    assert {actor for actor, _ in await history(db, r.id)} == {None}, "by the group, not a person"


async def test_missed_news_reads_the_group_again_and_old_news_is_ignored(services, db, workspace):
    rotations, following = services
    r = await rotations.create(following_draft(), "U009", False)
    await following.group_changed(TEAM, ["U004"], [], 100, 101)
    workspace.groups_now[TEAM] = ["U001", "U003", "U004", "U002"]  # U002 left and came back: one event missed
    assert await following.group_changed(TEAM, [], ["U003"], 105, 106) == 0, "U003 is still in it, as read"
    assert workspace.reads == [TEAM, TEAM]
    assert (await store.get(db, r.id)).members == ("U001", "U002", "U003", "U004")
    assert await following.group_changed(TEAM, ["U009"], [], 90, 91) == 0, "older than what was applied"
    assert (await store.get(db, r.id)).members == ("U001", "U002", "U003", "U004")
    workspace.down = True  # a gap, and Slack cannot answer: the news as it is, until the check
    assert await following.group_changed(TEAM, [], ["U004"], 200, 201) == 1
    assert (await store.get(db, r.id)).members == ("U001", "U002", "U003")


async def test_groups_nobody_follows_cost_nothing(services, workspace):
    _, following = services
    assert await following.group_changed("S0NOBODY", ["U001"], [], 1, 2) == 0
    assert await following.group_changed("<!here>", ["U001"], [], 1, 2) == 0
    assert workspace.reads == []


async def test_the_check_reads_each_followed_group_once(services, db, workspace):
    rotations, following = services
    one = await rotations.create(following_draft(), "U009", False)
    two = await rotations.create(following_draft(code="two"), "U009", False)
    await rotations.create(following_draft(code="web", members_group_id=OTHER), "U009", False)
    workspace.reads.clear()
    workspace.groups_now[TEAM] = ["U001", "U002", "U003", "U009"]
    assert await following.check_all() == 2
    assert sorted(workspace.reads) == [OTHER, TEAM]
    for r in (one, two):
        assert (await store.get(db, r.id)).members == ("U001", "U002", "U003", "U009")
    workspace.down = True
    assert await following.check_all() == 0, "Slack down: tried again at the next check"


async def test_the_person_on_duty_leaves_at_the_hand_over(services, db):
    rotations, following = services
    r = await rotations.create(following_draft(), "U009", False)
    await following.group_changed(TEAM, [], ["U001"], 100, 101)
    stored = await store.get(db, r.id)
    assert (
        stored.on_duty == ("U001",) and stored.member_source.leaving == ("U001",) and stored.next_up == "U002"
    )
    with pytest.raises(NotAllowed, match="left @oncall-team"):
        await rotations.set_on_duty(r.id, "U001", "U009")
    change = await rotations.rotate(r.id, "U009")
    assert change.rotation.on_duty == ("U002",) and change.rotation.members == ("U002", "U003")
    assert change.rotation.member_source.leaving == ()
    assert [d for _, d in await history(db, r.id)][-1] == (
        '{"after_shift": true, "group": "S0TEAM", "handle": "oncall-team", "removed": "U001"}'
    )


async def test_a_group_that_was_empty_puts_its_first_newcomer_on_duty(services, db, workspace):
    rotations, following = services
    workspace.groups_now[TEAM] = []
    r = await rotations.create(following_draft(), "U009", False)
    assert r.members == () and r.on_duty == ()
    await following.group_changed(TEAM, ["U003", "U002"], [], 100, 101)
    assert (await store.get(db, r.id)).on_duty == ("U003",)


async def test_members_change_in_the_group_not_in_round_robin(services, db):
    rotations, _ = services
    r = await rotations.create(following_draft(), "U009", False)
    with pytest.raises(NotAllowed, match="leave that user group in Slack"):
        await rotations.leave(r.id, "U002")
    with pytest.raises(NotAllowed, match="take them out of that user group"):
        await rotations.remove_member(r.id, "U002", "U009")
    # The same group and order saved again keeps the members as they are; another order starts afresh.
    kept = await rotations.update(r.id, following_draft(members=("U003",)), "U009", False)
    assert kept.members == ("U001", "U002", "U003")
    alpha = await rotations.update(r.id, following_draft(members_order=ALPHABETICAL), "U009", False)
    assert alpha.members == ("U002", "U003", "U001") and alpha.on_duty == ("U001",)
    typed = await rotations.update(r.id, RotationDraft("Ops", "ops", members=("U003", "U001")), "U009", False)
    assert typed.member_source is None and typed.members == ("U003", "U001")
    assert await member_groups.followed(db) == []


async def test_guests_and_deactivated_accounts_in_the_group_are_not_put_on_duty(services, db, workspace):
    rotations, following = services
    await directory.upsert(
        db,
        [SlackUser("U005", "gus", is_restricted=True), SlackUser("U006", "dee", deleted=True)],
        time.time(),
    )
    workspace.groups_now[TEAM] = []
    workspace.groups_now["S0DUTY"], workspace.handles["S0DUTY"] = [], "ops-oncall"
    r = await rotations.create(following_draft(usergroup_id="S0DUTY"), "U009", False)
    await following.group_changed(TEAM, ["U005", "U006", "U002"], [], 100, 101)
    stored = await store.get(db, r.id)
    assert stored.members == ("U005", "U006", "U002"), "members like anyone"
    assert stored.on_duty == ("U002",), (
        "the guest (kept out of the on-duty group) and the deactivated passed by"
    )
    assert dict(stored.cannot_serve) == {"U005": "guest", "U006": "deactivated"}
