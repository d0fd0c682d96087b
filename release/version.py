"""Version values: parse PEP 440 and SemVer spellings, bump, and render either form.

>>> v = Version.parse("1.2.3")
>>> str(v.bump(Bump.MINOR))
'1.3.0'
>>> rc = v.bump(Bump.MINOR).with_pre("rc", 1)
>>> rc.pep440(), rc.semver()
('1.3.0rc1', '1.3.0-rc.1')
>>> Version.parse("1.3.0-beta.2") == Version.parse("1.3.0b2")
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import IntEnum

from release.errors import Problem, VersionError


class Bump(IntEnum):
    """How much a release changes the version; ordered so `max()` picks the strongest."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> Bump:
        return cls[label.upper()]


# Canonical pre-release kinds and their spellings in each scheme.
_PEP440_SPELLING = {"dev": ".dev", "a": "a", "b": "b", "rc": "rc"}
_SEMVER_SPELLING = {"dev": "dev", "a": "alpha", "b": "beta", "rc": "rc"}
_ALIASES = {
    "a": "a",
    "alpha": "a",
    "b": "b",
    "beta": "b",
    "c": "rc",
    "rc": "rc",
    "pre": "rc",
    "preview": "rc",
    "dev": "dev",
}
_ORDER = {"dev": 0, "a": 1, "b": 2, "rc": 3}

_PEP440 = re.compile(
    r"^(?P<release>\d+\.\d+\.\d+)"
    r"(?:(?P<dev>[.\-_]?dev[.\-_]?(?P<devn>\d*))|[.\-_]?(?P<pre>a|alpha|b|beta|c|rc|pre|preview)[.\-_]?(?P<pren>\d+))?$",
    re.IGNORECASE,
)
_SEMVER = re.compile(
    r"^(?P<release>\d+\.\d+\.\d+)-(?P<pre>[0-9A-Za-z\-]+)\.(?P<pren>\d+)$",
)
TOKEN_RE = re.compile(r"^[a-z][a-z0-9]*$")


def canonical_token(token: str) -> str:
    """The canonical pre-release kind for a user's token (`beta` -> `b`); others stay as given."""
    return _ALIASES.get(token.lower(), token.lower())


@dataclass(frozen=True)
class Version:
    """A release version `MAJOR.MINOR.PATCH` with an optional numbered pre-release."""

    major: int
    minor: int
    patch: int
    pre: tuple[str, int] | None = None

    @classmethod
    def parse(cls, text: str, where: str = "") -> Version:
        """Parse `1.2.3`, `1.2.3rc1`, `1.2.3.dev1` or `1.2.3-rc.1`; raise VersionError otherwise."""
        raw = text.strip()
        m = _PEP440.match(raw) or _SEMVER.match(raw)
        if not m:
            raise VersionError(
                Problem(
                    f"{text!r} is not a version this tool can release",
                    where,
                    "use MAJOR.MINOR.PATCH, optionally with a pre-release "
                    "(1.3.0rc1 in PEP 440 or 1.3.0-rc.1 in SemVer)",
                )
            )
        major, minor, patch = (int(p) for p in m.group("release").split("."))
        groups = m.groupdict()
        pre: tuple[str, int] | None = None
        if groups.get("dev"):
            pre = ("dev", int(groups["devn"] or 0))  # PEP 440: "1.2.3.dev" is dev0
        elif groups.get("pre"):
            pre = (canonical_token(groups["pre"]), int(groups["pren"]))
        return cls(major, minor, patch, pre)

    @property
    def base(self) -> Version:
        """The final release this version leads to (`1.3.0rc2` -> `1.3.0`)."""
        return replace(self, pre=None)

    @property
    def is_prerelease(self) -> bool:
        return self.pre is not None

    def bump(self, bump: Bump) -> Version:
        """The next final release after this one for the given bump."""
        if bump is Bump.MAJOR:
            return Version(self.major + 1, 0, 0)
        if bump is Bump.MINOR:
            return Version(self.major, self.minor + 1, 0)
        if bump is Bump.PATCH:
            return Version(self.major, self.minor, self.patch + 1)
        return self.base

    def with_pre(self, token: str, number: int) -> Version:
        return replace(self, pre=(canonical_token(token), number))

    def pep440(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre is None:
            return core
        kind, number = self.pre
        if kind not in _PEP440_SPELLING:
            raise VersionError(
                Problem(
                    f"pre-release token {kind!r} has no PEP 440 form",
                    "--prerelease",
                    "use a, b, rc or dev (alpha and beta are accepted too)",
                )
            )
        return f"{core}{_PEP440_SPELLING[kind]}{number}"

    def semver(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre is None:
            return core
        kind, number = self.pre
        return f"{core}-{_SEMVER_SPELLING.get(kind, kind)}.{number}"

    def render(self, scheme: str) -> str:
        """This version in `pep440` or `semver` spelling."""
        return self.semver() if scheme == "semver" else self.pep440()

    def sort_key(self) -> tuple[int, int, int, int, int]:
        if self.pre is None:
            return (self.major, self.minor, self.patch, 9, 0)
        return (self.major, self.minor, self.patch, _ORDER.get(self.pre[0], 0), self.pre[1])

    def __lt__(self, other: Version) -> bool:
        return self.sort_key() < other.sort_key()

    def __str__(self) -> str:
        return (
            self.pep440() if self.pre is None or self.pre[0] in _PEP440_SPELLING else self.semver()
        )
