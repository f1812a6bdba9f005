"""Members that follow a Slack user group: the turn order, and what a change to the group does.

The rules, pure (rotations/following.py applies them to the stored rotations):

- **Turn order.** When a rotation starts following a group, its members are the group's people in
  the group's order, or alphabetically by name, as the rotation chooses. From then on the order is
  stable: people who stay keep their places, and newcomers join at the end (several at once, in the
  group's order or alphabetically among themselves).
- **Leaving.** Someone who leaves the group leaves the rotation after their current shift: at once
  when it is not their shift, otherwise at the next hand-over (until then they are on duty as
  planned, and the turn order never gives them another turn). Back in the group before then, they
  simply stay.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from roundrobin.rotations.draft import MAX_MEMBERS
from roundrobin.rotations.model import ALPHABETICAL, Rotation


def turn_order(
    current: Sequence[str],
    group_users: Iterable[str],
    order: str,
    names: Mapping[str, str],
    limit: int = MAX_MEMBERS,
) -> tuple[str, ...]:
    """`current` as it is, then the group's people not in it yet: in the group's order, or by name
    (`names`: person → name; the id settles ties and people without one). Never more than `limit`
    people, and never fewer than `current`."""
    known = set(current)
    newcomers = [u for u in dict.fromkeys(group_users) if u not in known]
    if order == ALPHABETICAL:
        newcomers.sort(key=lambda u: (_sortable(names.get(u)), u))
    return tuple([*current, *newcomers][: max(limit, len(current))])


def _sortable(name: str | None) -> tuple[bool, str, str]:
    """A name as people alphabetise it: any case, accents with their letter (Émile among the E's);
    people without a name last."""
    if not name:
        return (True, "", "")
    bare = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return (False, bare.casefold(), name.casefold())


@dataclass(frozen=True)
class Following:
    """What following the group's people now changes in one rotation."""

    members: tuple[str, ...]
    leaving: tuple[str, ...]
    joined: tuple[str, ...] = ()  # new in the group: at the end of the turn order
    removed: tuple[str, ...] = ()  # out of the group, not their shift: out of the rotation now
    going: tuple[str, ...] = ()  # out of the group during their shift: out at the next hand-over
    back: tuple[str, ...] = ()  # back in the group before their shift ended: they stay

    @property
    def changed(self) -> bool:
        return bool(self.joined or self.removed or self.going or self.back)


def holding(rotation: Rotation) -> set[str]:
    """Whose shift it is now: the people on duty, and the turn's own people (covered or not)."""
    return {*rotation.on_duty, *rotation.turn_people}


def follow(rotation: Rotation, group_users: Sequence[str], names: Mapping[str, str]) -> Following:
    """The rotation's members once they follow the group's people `group_users` (in its order)."""
    source = rotation.member_source
    if source is None:
        return Following(rotation.members, ())
    group = set(group_users)
    shift = holding(rotation)
    was_leaving = set(source.leaving)
    staying = [m for m in rotation.members if m in group or m in shift]
    members = turn_order(staying, group_users, source.order, names)
    leaving = tuple(m for m in members if m not in group)
    return Following(
        members=members,
        leaving=leaving,
        joined=tuple(m for m in members if m not in rotation.members),
        removed=tuple(m for m in rotation.members if m not in members),
        going=tuple(m for m in leaving if m not in was_leaving),
        back=tuple(m for m in source.leaving if m in group and m in members),
    )


def after_event(rotation: Rotation, added: Iterable[str], removed: Iterable[str]) -> tuple[str, ...]:
    """The group's people as this rotation knows them, once Slack's news of a change is applied
    (subteam_members_changed carries only who was added and who was removed)."""
    source = rotation.member_source
    gone = set(removed)
    away = set(source.leaving if source else ())
    known = [m for m in rotation.members if m not in away and m not in gone]
    return tuple(dict.fromkeys([*known, *(a for a in added if a not in gone)]))


def without_leavers(rotation: Rotation) -> tuple[Rotation, tuple[str, ...]]:
    """The rotation without the people who left its group and whose shift is now over (a hand-over
    just happened), and who they were."""
    source = rotation.member_source
    if source is None or not source.leaving:
        return rotation, ()
    shift = holding(rotation)
    done = tuple(p for p in source.leaving if p not in shift)
    if not done:
        return rotation, ()
    return (
        replace(
            rotation,
            members=tuple(m for m in rotation.members if m not in done),
            member_source=replace(source, leaving=tuple(p for p in source.leaving if p in shift)),
        ),
        done,
    )
