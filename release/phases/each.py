"""A package's step inside a release of several: the same step, in that package's view."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from release.steps import Context, Phase, Step, in_package


@dataclass
class Each:
    """`inner` acting on one package of the set (`build [shop-core]`)."""

    inner: Step
    package: str
    # Steps with one key run side by side; a publish gets one per dependency level.
    together: str = ""
    name: str = field(init=False)
    phase: Phase = field(init=False)
    leaves_machine: bool = field(init=False)
    point_of_no_return: bool = field(init=False)
    concurrent: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = in_package(self.inner.name, self.package)
        self.phase = self.inner.phase
        self.leaves_machine = self.inner.leaves_machine
        self.point_of_no_return = self.inner.point_of_no_return
        self.concurrent = self.together or str(getattr(self.inner, "concurrent", ""))

    @property
    def base(self) -> str:
        """The step's own name, whatever package it acts on."""
        return self.inner.name

    def irreversible(self, ctx: Context) -> bool:
        check = getattr(self.inner, "irreversible", None)
        return bool(check(ctx.package(self.package))) if check else False

    def done(self, ctx: Context) -> bool:
        return self.inner.done(ctx.package(self.package))

    def apply(self, ctx: Context) -> dict[str, Any]:
        return {"package": self.package, **self.inner.apply(ctx.package(self.package))}

    def undo(self, ctx: Context) -> str | None:
        return self.inner.undo(ctx.package(self.package))


def each(steps: tuple[Step, ...], package: str | None) -> tuple[Step, ...]:
    """The steps as they run for `package` (None: the release is one package, as they are)."""
    return steps if package is None else tuple(Each(s, package) for s in steps)
