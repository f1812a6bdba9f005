"""The services the composition root builds once and hands to every surface (Slack, web, scheduler).

No database handle, HTTP session, vault or raw Slack client here: a surface reaches data and the
outside world only through a service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from roundrobin.access import Access
from roundrobin.background import Background
from roundrobin.config import Settings
from roundrobin.links import SignedLinks
from roundrobin.pagerduty.connection import PagerDutyConnection
from roundrobin.pagerduty.covers import PagerDutyCovers
from roundrobin.pagerduty.people import PeopleLinks
from roundrobin.pagerduty.sync import PagerDutySync
from roundrobin.preferences import Preferences
from roundrobin.rotations.away import AwayService
from roundrobin.rotations.duty import DutyService
from roundrobin.rotations.editing import RotationEditor
from roundrobin.rotations.following import GroupFollowing
from roundrobin.rotations.reading import RotationQueries
from roundrobin.rotations.requests import RequestService
from roundrobin.rotations.shifts import ShiftService
from roundrobin.signals import Signals
from roundrobin.slack.gateway.accounts import AccountWatch
from roundrobin.slack.gateway.delivery import SlackDelivery
from roundrobin.slack.gateway.directory import SlackDirectory
from roundrobin.slack.gateway.home_publisher import HomePublisher
from roundrobin.slack.gateway.identity import SlackIdentity
from roundrobin.slack.gateway.modals import Modals
from roundrobin.slack.gateway.permissions import SlackRoles
from roundrobin.slack.gateway.replies import Replies
from roundrobin.slack.gateway.rotations_home import RotationsHome
from roundrobin.slack.gateway.usergroups import Usergroups


@dataclass
class Services:
    settings: Settings
    identity: SlackIdentity
    signals: Signals
    roles: SlackRoles
    access: Access
    pagerduty: PagerDutyConnection
    home: HomePublisher
    background: Background
    clock: Callable[[], float]
    rotations: RotationQueries
    editor: RotationEditor
    duty: DutyService
    shifts: ShiftService
    away: AwayService
    delivery: SlackDelivery
    directory: SlackDirectory
    sync: PagerDutySync
    rotations_home: RotationsHome
    usergroups: Usergroups
    preferences: Preferences
    people: PeopleLinks
    requests: RequestService
    modals: Modals
    replies: Replies
    accounts: AccountWatch
    following: GroupFollowing
    links: SignedLinks  # pages the app serves to whoever holds a link it signed (roundrobin/links.py)
    pd_covers: PagerDutyCovers  # Cover me… on a bound rotation: an override written to PagerDuty
