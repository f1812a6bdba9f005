"""Each view's private_metadata: written and read back in one place, strict about what comes back."""

import json

import pytest

from roundrobin.slack.views.blocks import modal
from roundrobin.slack.views.metadata import (
    LinkMeta,
    NotificationsMeta,
    OfRotation,
    RotationFormMeta,
    SetOnDutyMeta,
)


def kept(meta) -> dict:
    """A view as Slack hands it back: the private_metadata the modal was opened with."""
    return {"private_metadata": modal("Title", [], private_metadata=meta)["private_metadata"]}


@pytest.mark.parametrize(
    "meta",
    [
        RotationFormMeta(7, 3, tz="Europe/London", members_v=2, keep_members=True, kept_members=120),
        RotationFormMeta(None, None, tz="UTC"),
        NotificationsMeta(7, 0),
        SetOnDutyMeta(7, 12),
        LinkMeta(7, "PABC123"),
        LinkMeta(None, "PABC123"),
        OfRotation(7),
    ],
)
def test_what_a_view_keeps_reads_back_the_same(meta):
    assert type(meta).read(kept(meta)) == meta


def test_the_rotation_form_keeps_the_keys_it_always_had():
    stored = json.loads(kept(RotationFormMeta(7, 3, tz="UTC"))["private_metadata"])
    assert stored == {"rotation_id": 7, "config_rev": 3, "tz": "UTC"}, (
        "no members_v or kept members unless used"
    )
    stored = json.loads(kept(RotationFormMeta(7, 3, "UTC", 1, True, 120))["private_metadata"])
    assert stored["members_v"] == 1 and stored["keep_members"] is True and stored["kept_members"] == 120


@pytest.mark.parametrize(
    "crafted",
    [
        None,
        "",
        "not json",
        "[1, 2]",
        '"a string"',
        json.dumps({"rotation_id": "7x", "config_rev": -1, "duty_rev": True, "members_v": 5000}),
        json.dumps({"rotation_id": 2**63, "config_rev": "²", "tz": ["UTC"], "pd_user_id": "P" * 101}),
        json.dumps({"rotation_id": 0, "kept_members": "１２", "keep_members": "yes", "pd_user_id": 7}),
    ],
)
def test_crafted_metadata_gives_nothing_rather_than_a_wrong_value(crafted):
    view = {"private_metadata": crafted}
    assert RotationFormMeta.read(view) == RotationFormMeta(None, None)
    assert NotificationsMeta.read(view) == NotificationsMeta(None, None)
    assert SetOnDutyMeta.read(view) == SetOnDutyMeta(None, None)
    assert LinkMeta.read(view) == LinkMeta(None, None)
    assert OfRotation.read(view) == OfRotation(None)


def test_numbers_come_as_json_integers_or_ascii_digits():
    view = {"private_metadata": json.dumps({"rotation_id": "12", "duty_rev": 0})}
    assert SetOnDutyMeta.read(view) == SetOnDutyMeta(12, 0)
    assert OfRotation.read("not a view") == OfRotation(None), "a crafted view that is no object"


def test_a_view_never_keeps_more_than_slack_allows():
    with pytest.raises(ValueError, match="3000"):
        modal("Title", [], private_metadata=LinkMeta(7, "P" * 3000))
