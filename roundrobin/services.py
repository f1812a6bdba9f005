"""The services the composition root builds once and hands to every surface (Slack, web, scheduler).

No database handle, HTTP session, vault or raw Slack client here: a surface reaches data and the
outside world only through a service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from roundrobin.access import Access
from roundrobin.background import Background
from roundrobin.config import Settings
from roundrobin.feeds.pages import TimelinePages
from roundrobin.feeds.service import CalendarFeeds
from roundrobin.links import SignedLinks
from roundrobin.metrics import Metrics
from roundrobin.pagerduty.connection import PagerDutyConnection
from roundrobin.pagerduty.covers import PagerDutyCovers
from roundrobin.pagerduty.people import PeopleLinks
from roundrobin.pagerduty.sync import PagerDutySync
from roundrobin.preferences import Preferences
from roundrobin.rotations.away import AwayService
from roundrobin.rotations.duty import DutyService
from roundrobin.rotations.editing import RotationEditor
from roundrobin.rotations.following import GroupFollowing
from roundrobin.rotations.handoff_notes import HandoffNotes
from roundrobin.rotations.load_report import LoadReports
from roundrobin.rotations.reading import RotationQueries
from roundrobin.rotations.requests import RequestService
from roundrobin.rotations.shifts import ShiftService
from roundrobin.signals import Signals
from roundrobin.slack.gateway.accounts import AccountWatch
from roundrobin.slack.gateway.delivery import SlackDelivery
from roundrobin.slack.gateway.directory import SlackDirectory
from roundrobin.slack.gateway.home_publisher import HomePublisher
from roundrobin.slack.gateway.identity import SlackIdentity
from roundrobin.slack.gateway.load_home import LoadHome
from roundrobin.slack.gateway.modals import Modals
from roundrobin.slack.gateway.permissions import SlackRoles
from roundrobin.slack.gateway.replies import Replies
from roundrobin.slack.gateway.rotations_home import RotationsHome
from roundrobin.slack.gateway.usergroups import Usergroups
from roundrobin.webhooks.incoming import IncomingWebhooks
from roundrobin.webhooks.outgoing import WebhookDelivery
from roundrobin.webhooks.settings import WebhookSettings


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
    metrics: Metrics  # what GET /metrics shows (roundrobin/metrics.py)
    feeds: CalendarFeeds  # calendar subscription links, and the feeds they open (roundrobin/feeds/)
    timelines: TimelinePages  # the timeline page behind a signed link (roundrobin/feeds/pages.py)
    load: LoadReports  # on-call load over the recorded history (the Load tab, its CSV, cover order)
    load_home: LoadHome  # the Load tab of each person's App Home
    handoff: HandoffNotes  # hand-off notes: who may write one, and keeping it with its messages
    webhooks: IncomingWebhooks  # signed calls into a rotation (POST /api/webhooks/rotations/{CODE})
    webhook_settings: WebhookSettings  # Details › Webhooks: name, secret, outgoing URL
    webhook_delivery: WebhookDelivery  # posts duty changes to each rotation's outgoing webhook
    pd_covers: PagerDutyCovers  # Cover me… on a bound rotation: an override written to PagerDuty
