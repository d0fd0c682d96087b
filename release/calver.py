"""Calendar versions: check a CalVer format, recognise one from dated tags, decide the next.

Formats are three dot-separated parts, the date parts first (`YYYY`, `YY`, `MM`, `WW`,
`DD`), then counters (`MINOR`, `MICRO`), so every CalVer version is also a
`MAJOR.MINOR.PATCH` and orders the same way.

>>> import datetime as dt
>>> from release.version import Bump, Version
>>> str(next_calver("YY.MM.MICRO", Version(24, 7, 1), dt.date(2024, 8, 3), Bump.PATCH))
'24.8.0'
>>> str(next_calver("YY.MM.MICRO", Version(24, 8, 0), dt.date(2024, 8, 30), Bump.MINOR))
'24.8.1'
>>> str(next_calver("YYYY.MINOR.MICRO", Version(2024, 3, 2), dt.date(2024, 9, 1), Bump.MINOR))
'2024.4.0'
>>> str(next_calver("YY.MINOR.MICRO", Version(25, 5, 0), dt.date(2026, 1, 19), Bump.PATCH, 1))
'26.1.0'
"""

from __future__ import annotations

import datetime as dt

from release.errors import Problem, VersionError
from release.version import Bump, Version

DATE_PARTS = ("YYYY", "YY", "MM", "WW", "DD")
COUNTERS = ("MINOR", "MICRO")


def check_format(fmt: str) -> str:
    """`fmt` when it is a format this tool can follow; ValueError with the fix otherwise."""
    if not fmt:
        return fmt
    parts = fmt.split(".")
    dates = [p for p in parts if p in DATE_PARTS]
    ok = (
        len(parts) == 3
        and all(p in DATE_PARTS or p in COUNTERS for p in parts)
        and parts[: len(dates)] == dates
        and parts[0] in ("YYYY", "YY")
        and len(set(parts)) == 3
    )
    if not ok:
        raise ValueError(
            f"{fmt!r} is not a CalVer format this tool can follow: write three parts, the "
            "year first and the date parts before the counters, e.g. YY.MM.MICRO, "
            "YYYY.MM.DD or YYYY.MINOR.MICRO (zero-padded parts are not supported)"
        )
    return fmt


def _date_values(fmt: str, date: dt.date) -> list[int]:
    values = {
        "YYYY": date.year,
        "YY": date.year % 100,
        "MM": date.month,
        "WW": int(date.strftime("%U")),
        "DD": date.day,
    }
    return [values[p] for p in fmt.split(".") if p in DATE_PARTS]


def next_calver(
    fmt: str, current: Version | None, date: dt.date, bump: Bump, start: int = 0
) -> Version:
    """The release on `date` after `current`: a new period starts its first counter at
    `start` (0: 26.0.0; 1: 26.1.0) and the others at zero; a second release within the
    period bumps them (MINOR for features, MICRO otherwise)."""
    parts = fmt.split(".")
    dates = _date_values(fmt, date)
    counters = parts[len(dates) :]
    now = [current.major, current.minor, current.patch] if current else None
    if now is None or now[: len(dates)] != dates:
        return _version([*dates, *([start, 0][: len(counters)])])
    if not counters:
        raise VersionError(
            Problem(
                f"{current} already has today's date and {fmt} leaves no room for a second release",
                "[version].calver",
                "release tomorrow, or give an explicit --version",
            )
        )
    values = now[len(dates) :]
    if len(counters) == 2 and bump >= Bump.MINOR:
        values = [values[0] + 1, 0]
    else:
        values[-1] += 1
    return _version([*dates, *values])


def _version(parts: list[int]) -> Version:
    return Version(parts[0], parts[1], parts[2])


def matches(fmt: str, version: Version) -> bool:
    """Whether `version` could be a release under `fmt` (date parts in range)."""
    limits = {"YYYY": (1970, 9999), "YY": (0, 99), "MM": (1, 12), "WW": (0, 53), "DD": (1, 31)}
    values = [version.major, version.minor, version.patch]
    return all(
        limits[p][0] <= v <= limits[p][1]
        for p, v in zip(fmt.split("."), values, strict=True)
        if p in limits
    )


def recognise(dated: list[tuple[Version, dt.date]]) -> tuple[str, str] | None:
    """The CalVer format the newest tags follow, with why; None when they are not CalVer.

    A tag is evidence only with its date: `24.8.0` tagged in August 2024 is CalVer,
    `24.8.0` tagged in 2019 is a version 24.
    """
    recent = sorted(dated, key=lambda item: item[1])[-5:]
    if len(recent) < 2:
        return None
    # One tag off its date (a release cut at midnight, a tag made late) does not decide.
    enough = max(2, len(recent) - 1)

    def most(hits: list[bool]) -> bool:
        return sum(hits) >= enough

    for year, width in (("YYYY", 10000), ("YY", 100)):
        if most([v.major == d.year % width for v, d in recent]):
            if most([v.minor == d.month for v, d in recent]):
                counter = "DD" if most([v.patch == d.day for v, d in recent]) else "MICRO"
                fmt = f"{year}.MM.{counter}"
            else:
                fmt = f"{year}.MINOR.MICRO"
            names = ", ".join(f"{v} ({d.isoformat()})" for v, d in recent)
            return fmt, f"the newest release tags carry their dates: {names}"
    return None


def recognise_start(fmt: str, dated: list[tuple[Version, dt.date]]) -> tuple[int, str] | None:
    """Where the tags' periods start their first counter, with why, when it is 1 (structlog
    and attrs release 25.1.0 first, then 25.2.0); None when they start at 0, or cannot tell.

    The newest four periods decide (structlog's 2015 and 2016 began at 0, its years since
    at 1); all but one of them must start at 1.
    """
    parts = fmt.split(".")
    dates = [p for p in parts if p in DATE_PARTS]
    if len(dates) == len(parts):
        return None  # no counter to start
    firsts: dict[tuple[int, ...], Version] = {}
    for version, date in sorted(dated, key=lambda item: item[0]):
        values = [version.major, version.minor, version.patch]
        if values[: len(dates)] != _date_values(fmt, date) or not matches(fmt, version):
            continue  # not a CalVer release of this format
        firsts.setdefault(tuple(values[: len(dates)]), version)
    recent = list(firsts.values())[-4:]  # a project may change its habit: the newest decide
    starts = [[v.major, v.minor, v.patch][len(dates)] for v in recent]
    if len(starts) < 2 or sum(s == 1 for s in starts) < max(2, len(starts) - 1):
        return None
    seen = ", ".join(str(v) for v in recent)
    return 1, f"each period's first release counts from 1: {seen}"
