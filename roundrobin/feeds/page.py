"""The timeline page: a rotation's two weeks, one row per person, shifts as bars coloured by why.
Plain HTML and CSS, readable on a phone; pure, and everything shown is escaped."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from roundrobin.feeds.duties import Duty

NOBODY = ""  # the row of times nobody is on duty (closed hours, holidays)
LEGEND = (
    ("turn", "Turn"),
    ("cover", "Cover"),
    ("swap", "Swap"),
    ("away", "Standing in (someone away)"),
    ("pagerduty", "PagerDuty"),
    ("nobody", "Nobody on duty"),
)
WHY_WORDS = dict(LEGEND)
# Only known words become CSS classes.
CLASSES = frozenset(k for k, _ in LEGEND)

CSS = """
*{box-sizing:border-box}
body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:1rem;color:#1d1c1d;background:#fff}
h1{font-size:1.3rem;margin:0 0 .25rem}
.sub{color:#616061;margin:0 0 .75rem}
nav{display:flex;gap:.5rem;flex-wrap:wrap;margin:.5rem 0 1rem}
nav a{padding:.45rem .8rem;border:1px solid #ccc;border-radius:6px;text-decoration:none;color:#1264a3}
.chart{border:1px solid #ddd;border-radius:6px;overflow:hidden}
.row{display:grid;grid-template-columns:9rem 1fr;border-top:1px solid #eee;min-height:2.4rem}
.row:first-child{border-top:0}
.who{padding:.5rem;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;border-right:1px solid #eee}
.track{position:relative;background:repeating-linear-gradient(90deg,transparent 0,transparent calc(100%/14 - 1px),#f0f0f0 calc(100%/14 - 1px),#f0f0f0 calc(100%/14))}
.days{display:grid;grid-template-columns:repeat(14,1fr);font-size:.75rem;color:#616061;text-align:center}
.days span{padding:.3rem 0}.days .weekend{background:#fafafa}.days .today{color:#c00;font-weight:700}
.bar{position:absolute;top:.45rem;bottom:.45rem;min-width:3px;border-radius:4px;color:#fff;font-size:.7rem;padding:0 .25rem;overflow:hidden;white-space:nowrap}
.bar.past{opacity:.55}
.turn{background:#3366cc}.cover{background:#e07b00}.swap{background:#8a4fbf}.away{background:#c8475a}
.pagerduty{background:#138a36}
.nobody{background:repeating-linear-gradient(45deg,#bbb 0,#bbb 4px,#ddd 4px,#ddd 8px);color:#333}
.now{position:absolute;top:0;bottom:0;width:2px;background:#c00;z-index:2}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1rem;margin:.75rem 0;font-size:.85rem}
.legend i{display:inline-block;width:.9rem;height:.9rem;border-radius:3px;vertical-align:-2px;margin-right:.3rem}
table{border-collapse:collapse;width:100%;margin-top:1rem;font-size:.9rem}
td,th{text-align:left;padding:.35rem .4rem;border-top:1px solid #eee;vertical-align:top}
footer{margin-top:1.5rem;color:#616061;font-size:.85rem}
@media (max-width:600px){
 body{padding:.6rem;font-size:14px}
 .row{grid-template-columns:5.5rem 1fr}
 .who{padding:.5rem .3rem;font-size:.8rem}
 .days{font-size:.62rem}.days .long{display:none}
 .bar span{display:none}
 th.why,td.why{display:none}
}
"""


@dataclass(frozen=True)
class TimelineView:
    title: str  # "Platform (PLAT)"
    tz: tzinfo
    tz_name: str
    first: date  # the first day shown (a Monday), in the rotation's time zone
    days: int
    now: float
    people: Sequence[str]  # the rows, in order
    names: Mapping[str, str]
    duties: Sequence[Duty]
    previous: str | None  # links (signed), or None past the range one may look
    next: str | None
    today: str | None  # back to this fortnight, when looking at another
    slack_link: str
    expires: float


def render(v: TimelineView) -> str:
    starts = [_at(v, v.first + timedelta(days=i)) for i in range(v.days + 1)]
    rows = "".join(_row(v, starts, person) for person in v.people)
    if any(not d.people for d in v.duties):
        rows += _row(v, starts, NOBODY)
    last = v.first + timedelta(days=v.days - 1)
    span = f"{v.first:%a %-d %b} – {last:%a %-d %b %Y}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{_e(v.title)} · Round Robin</title><style>{CSS}</style></head>
<body><h1>{_e(v.title)}</h1>
<p class="sub">{_e(span)} · times in {_e(v.tz_name)}</p>
<nav>{_link(v.previous, "‹ Previous two weeks", "previous")}{_link(v.today, "Today", "today")}{_link(v.next, "Next two weeks ›", "next")}</nav>
<div class="chart" role="img" aria-label="Who is on duty, by day">
<div class="row"><div class="who"></div>{_days(v, starts)}</div>
{rows}</div>
<div class="legend">{"".join(f'<span><i class="{k}"></i>{_e(w)}</span>' for k, w in LEGEND)}</div>
{_table(v)}
<footer>This page shows names only. Its link works until {_e(_when(v, v.expires))}; for a new one, press
<b>Open calendar</b> in the rotation's Details in <a href="{_e(v.slack_link)}">Round Robin in Slack</a>.</footer>
</body></html>"""


def refused(title: str, message: str, slack_link: str) -> str:
    """The page for a link that is not one the app made, has expired, or names nothing."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} · Round Robin</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1d1c1d}}
a.button{{display:inline-block;background:#4a154b;color:#fff;padding:.6rem 1rem;border-radius:6px;text-decoration:none}}</style>
</head><body><h1>{_e(title)}</h1><p>{_e(message)}</p>
<p><a class="button" href="{_e(slack_link)}">Open Round Robin in Slack</a></p></body></html>"""


def _row(v: TimelineView, starts: list[float], person: str) -> str:
    bars = []
    for duty in v.duties:
        if (person and person not in duty.people) or (not person and duty.people):
            continue
        why = (duty.why if duty.why in CLASSES else "turn") if duty.people else "nobody"
        left, right = _x(starts, duty.start), _x(starts, duty.end)
        if right <= left:
            continue
        label = f"{WHY_WORDS[why]}: {_when(v, duty.start)} – {_when(v, duty.end)}"
        past = " past" if duty.end <= v.now else ""
        bars.append(
            f'<div class="bar {why}{past}" style="left:{left:.3f}%;width:{right - left:.3f}%" '
            f'title="{_e(label)}"><span>{_e(WHY_WORDS[why])}</span></div>'
        )
    if starts[0] <= v.now < starts[-1]:
        bars.append(f'<div class="now" style="left:{_x(starts, v.now):.3f}%" title="Now"></div>')
    who = v.names.get(person, person) if person else "Nobody on duty"
    return f'<div class="row"><div class="who" title="{_e(who)}">{_e(who)}</div><div class="track">{"".join(bars)}</div></div>\n'


def _days(v: TimelineView, starts: list[float]) -> str:
    today = datetime.fromtimestamp(v.now, v.tz).date()
    cells = []
    for i in range(v.days):
        day = v.first + timedelta(days=i)
        classes = " ".join(c for c, on in (("weekend", day.weekday() >= 5), ("today", day == today)) if on)
        cells.append(f'<span class="{classes}"><span class="long">{day:%a} </span>{day:%-d}</span>')
    return f'<div class="days">{"".join(cells)}</div>'


def _table(v: TimelineView) -> str:
    rows = []
    for duty in v.duties:
        if _when(v, duty.start) == _when(v, duty.end):
            continue  # less than a minute (a duty passed on at once): nothing a reader could use
        who = ", ".join(v.names.get(p, p) for p in duty.people) or "Nobody"
        why = WHY_WORDS.get(duty.why if duty.people else "nobody", duty.why)
        notes = "; ".join(" ".join(v.names.get(w, w) for w in note.split(" ")) for note in duty.notes)
        why += f" ({notes})" if notes else ""
        rows.append(
            f"<tr><td>{_e(_when(v, duty.start))} – {_e(_when(v, duty.end))}</td><td>{_e(who)}</td>"
            f'<td class="why">{_e(why)}</td></tr>'
        )
    if not rows:
        return "<p>Nobody is on duty in these two weeks.</p>"
    return f'<table><thead><tr><th>When</th><th>Who</th><th class="why">Why</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _at(v: TimelineView, day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=v.tz).timestamp()


def _x(starts: list[float], t: float) -> float:
    """Where instant t falls, in percent of the width: each local day is one column, however long
    (23 or 25 hours on the days the clocks change)."""
    if t <= starts[0]:
        return 0.0
    for i in range(len(starts) - 1):
        if t < starts[i + 1]:
            return 100.0 * (i + (t - starts[i]) / (starts[i + 1] - starts[i])) / (len(starts) - 1)
    return 100.0


def _when(v: TimelineView, t: float) -> str:
    return f"{datetime.fromtimestamp(t, v.tz):%a %-d %b %H:%M}"


def _link(href: str | None, text: str, rel: str) -> str:
    return f'<a href="{_e(href)}" rel="{rel}">{_e(text)}</a>' if href else ""


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)
