"""Public holidays by country (and subdivision), from the maintained `holidays` package."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date

import holidays as calendar

from roundrobin.rotations.model import Holidays


@functools.lru_cache(maxsize=512)
def _dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(calendar.country_holidays(country, subdiv=subdivision, years=year).keys())


def test_for(rule: Holidays) -> Callable[[date], bool]:
    """Whether a local date is a public holiday under `rule`."""
    return lambda day: day in _dates(rule.country, rule.subdivision, day.year)


def name_of(rule: Holidays, day: date) -> str | None:
    """'Good Friday', or None when the day is not a holiday."""
    return calendar.country_holidays(rule.country, subdiv=rule.subdivision, years=day.year).get(day)


def problem(country: str, subdivision: str | None) -> str | None:
    """Why these cannot be a rotation's holidays, in words, or None."""
    supported = calendar.list_supported_countries()
    code = country.strip().upper()
    if code not in supported:
        return f"“{country}” is not a country the holidays calendar knows: use its two-letter code, like GB or US."
    if subdivision and subdivision not in supported[code]:
        return f"{code} has no subdivision “{subdivision}”: try one of {', '.join(supported[code][:8])}."
    return None
