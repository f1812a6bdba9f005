"""Reading ahead: the weeks of the bound schedules whose turn has come, the people in them, and the
census of the account; each read that fails for a reason that will not change by itself is
recorded with what to do, and waits (backoff.py).

The week ahead of a schedule an escalation policy uses comes from GET /oncalls, in batches sized
from the rows each schedule gave last time (references only: emails come from the user list); of
one no policy uses, from its own page (final schedule, layers and overrides merged), which
/oncalls never shows. Each batch is stored as it comes, so a failure halfway keeps what was read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Set as AbstractSet

from roundrobin.db import Database
from roundrobin.pagerduty import backoff, budget, plan
from roundrobin.pagerduty.client import PagerDutyError, PagerDutyListTooLong, PagerDutyNotFound
from roundrobin.pagerduty.reading import PAGE, Reader
from roundrobin.store import pagerduty as store
from roundrobin.store import pd_failures as failures
from roundrobin.store.pagerduty import Census, Learned, PdSchedule, Shift
from roundrobin.store.pd_failures import SCHEDULE, ReadFailure

log = logging.getLogger(__name__)

LOOKAHEAD = 7 * 86400
ROWS_PER_BATCH = 9_000  # expected /oncalls rows per batch of the week ahead: under the 10,000 cap
USERS_REFRESH_EVERY = 6 * 3600
USERS_REFRESHED_AT = "pd_users_refreshed_at"
FEW_NEWCOMERS = 10  # fewer unknown people than this are read one by one, not the whole user list
CENSUS_EVERY = 3600.0
CENSUS_LISTS_UP_TO = 1000  # schedules: fewer are listed (10 pages), to say which are new and which gone


class LookAhead:
    def __init__(self, db: Database, clock: Callable[[], float]):
        self._db = db
        self._clock = clock

    async def read_weeks(
        self,
        reader: Reader,
        ids: list[str],
        detailed: AbstractSet[str],
        known: dict[str, PdSchedule],
        now: float,
        failed: list[ReadFailure],
    ) -> tuple[set[str], set[str]]:
        """Store the week ahead of these schedules (from their own page for those in `detailed`);
        returns those read, and those PagerDuty no longer has. Each batch is stored as it comes, so
        a failure halfway keeps what was read before it."""
        since, until = int(now), int(now) + LOOKAHEAD
        read: set[str] = set()
        gone: set[str] = set()
        listed = [
            s for s in ids if s not in detailed and (known.get(s) is None or known[s].routed is not False)
        ]
        weeks = {s: rows for s in listed if s in known and (rows := known[s].week_rows)}
        own_page = [s for s in ids if s not in listed]
        for batch in plan.batches(listed, weeks, budget.DAILY_WEEK_ROWS, PAGE, ROWS_PER_BATCH):
            try:
                # references only: emails come from the user list (learn_people), not 8 rows each
                found = await reader.oncalls(
                    batch, since, until, weeks, budget.DAILY_WEEK_ROWS, ROWS_PER_BATCH, False
                )
            except PagerDutyError as e:
                if not backoff.lasting(e):
                    raise
                failed.extend(await self.failed([SCHEDULE + s for s in batch], e))
                continue
            on_list = [s for s in batch if s in found.shifts]
            await store.save_users(self._db, found.users.values(), now)
            await self._store_weeks(
                {s: found.of(s) for s in on_list},
                [
                    Learned(
                        s,
                        routed=True,
                        week_rows=found.rows[s],
                        levels=len(found.placements[s]),
                        planned_at=now,
                    )
                    for s in on_list
                ],
                now,
            )
            read |= set(on_list)
            # Not on /oncalls this week: no policy uses it (or nobody is on call all week, which its
            # final schedule says as well).
            own_page += [s for s in batch if s not in found.shifts]
        for schedule_id in own_page:
            schedule = known.get(schedule_id) or PdSchedule(schedule_id, schedule_id)
            try:
                final = await reader.final_schedule(schedule, since, until)
            except PagerDutyNotFound as e:
                # Deleted (or moved out of reach): asked about again only after a while, in case
                # it comes back; its rotation keeps its people and says the schedule is gone.
                gone.add(schedule_id)
                failed.extend(await self.failed([SCHEDULE + schedule_id], e))
                continue
            except PagerDutyError as e:
                if not backoff.lasting(e):
                    raise
                # One schedule this credential may not read must not stop the others: it keeps the
                # week it had, and is tried again after a while.
                failed.extend(await self.failed([SCHEDULE + schedule_id], e))
                continue
            learned = Learned(
                schedule_id,
                name=final.name,
                version=final.version,
                time_zone=final.time_zone,
                member_ids=final.member_ids if final.version == 2 or final.member_ids else None,
                routed=final.routed,
                planned_at=now,
                detail_at=now,
            )
            await self._store_weeks({schedule_id: final.shifts}, [learned], now)
            read.add(schedule_id)
        # Deleted in PagerDuty: forgotten now, so no later cycle mirrors an empty week into its
        # rotation (which keeps its people and says the schedule is gone).
        await store.forget_schedules(self._db, gone)
        await failures.clear(self._db, [SCHEDULE + s for s in read])
        return read, gone

    async def _store_weeks(self, shifts: dict[str, list[Shift]], learned: list[Learned], now: float) -> None:
        await store.replace_shifts(self._db, shifts, [shift for held in shifts.values() for shift in held])
        await store.learn(self._db, learned, now)

    async def failed(self, whats: list[str], error: PagerDutyError) -> list[ReadFailure]:
        """Lasting failures: recorded, and not tried again until their backoff has passed."""
        recorded = await failures.record(
            self._db, whats, str(error), backoff.advice(error, whats[0]), self._clock(), backoff.retry_delay
        )
        log.warning(
            "pagerduty read failing",
            extra={"what": ",".join(whats[:5]), "reads": len(whats), "error": str(error),
                   "retry_in": int(recorded[0].retry_at - self._clock())},
        )  # fmt: skip
        return recorded

    # --- people and the census ----------------------------------------------------------------

    async def learn_people(
        self, reader: Reader, schedule_ids: list[str], now: float, failed: list[ReadFailure]
    ) -> None:
        """Emails of the schedules' members and of whoever holds their shifts: the full user list
        now and then, a few newcomers one by one."""
        schedules = await store.schedules(self._db, schedule_ids)
        shifts = await store.shifts_of(self._db, schedule_ids, now)
        wanted = {m for s in schedules.values() for m in s.member_ids}
        wanted |= {shift.pd_user_id for held in shifts.values() for shift in held}
        unknown = wanted - (await store.users(self._db, wanted)).keys()
        last = float(await store.get_meta(self._db, USERS_REFRESHED_AT) or 0)
        stale = now - last >= USERS_REFRESH_EVERY
        try:
            if not unknown and not stale:
                return
            if not stale and len(unknown) <= FEW_NEWCOMERS:
                await self._read_users_one_by_one(reader, unknown, now)
            else:
                await self._read_everyone(reader, unknown, now)
        except PagerDutyError as e:
            if not backoff.lasting(e):
                raise
            failed.extend(await self.failed(["people"], e))
            return
        await failures.clear(self._db, ["people"])

    async def _read_everyone(self, reader: Reader, unknown: set[str], now: float) -> None:
        try:
            everyone = await reader.everyone()
        except PagerDutyListTooLong:
            # More people than PagerDuty pages through: read only those the rotations need.
            await self._read_users_one_by_one(reader, unknown, now)
            return
        await store.save_users(self._db, everyone, now)
        await store.set_meta(self._db, USERS_REFRESHED_AT, str(now))

    async def _read_users_one_by_one(self, reader: Reader, user_ids: set[str], now: float) -> None:
        found = [await reader.user(user_id) for user_id in sorted(user_ids)]
        await store.save_users(self._db, [u for u in found if u], now)

    async def census_due(self, now: float) -> bool:
        last = await store.census(self._db)
        return last is None or now - last.at >= CENSUS_EVERY

    async def count(self, reader: Reader, now: float, failed: list[ReadFailure], news: bool) -> Census | None:
        """How many schedules PagerDuty has (two requests). On Sync now (`news`), and the first time,
        their ids too when there are few enough to list, to say which are new and which gone since."""
        raw = await store.get_meta(self._db, store.CENSUS_IDS)
        listing = news or raw is None
        try:
            counted = await reader.count(CENSUS_LISTS_UP_TO if listing else 0)
        except PagerDutyError as e:
            if not backoff.lasting(e):
                raise
            failed.extend(await self.failed(["census"], e))
            return None
        await failures.clear(self._db, ["census"])
        before = set(raw.split(",")) if raw else None  # the first count finds everything new: not news
        new = gone = None
        if news and before is not None and counted.ids is not None:
            new, gone = len(counted.ids - before), len(before - counted.ids)
        if listing:
            await store.set_meta(self._db, store.CENSUS_IDS, ",".join(sorted(counted.ids or ())))
        census = Census(counted.count, counted.exact, now, new, gone)
        await store.save_census(self._db, census)
        return census
