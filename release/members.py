"""A monorepo's packages inferred one by one: each read from its own folder (version files,
changelog, targets, test command) with the tag spelling its own tags use in the repository."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from release.history import tag_version
from release.inference import Answer, Inference, infer, project_name, tag_spelling
from release.ops.git import Git
from release.workspaces import Member, Workspace

# How release tools join a package's name and its version in a tag, most common first:
# `name-v1.2.3` (release-please, ours), `name@1.2.3` (changesets, lerna), `name/v1.2.3` (Go).
SEPARATORS = ("-v", "@", "/v", "@v", "_v", "-", "/", "_")
DEFAULT_TAG = "{name}-v{version}"


@dataclass(frozen=True)
class Package:
    """One member with everything inferred for it."""

    member: Member
    tag_format: Answer  # as written in the config: "{name}" stands for the package's name
    found: Inference  # the per-package answers; its tag format is the concrete one
    version: str  # the current version, for the table ("-" when nothing says)


@dataclass(frozen=True)
class Monorepo:
    """What `init` found in a repository of several packages."""

    name: Answer
    branch: Answer
    source: str  # the workspace declaration or scan that found the packages
    packages: tuple[Package, ...]
    notes: tuple[str, ...]

    @property
    def tag_format(self) -> str:
        """The spelling most packages share: written once, at the top level."""
        spellings = Counter(p.tag_format.value for p in self.packages)
        return str(max(spellings, key=lambda s: (spellings[s], s == DEFAULT_TAG)))

    def unknown(self) -> list[str]:
        return [f"{p.member.name}: {item}" for p in self.packages for item in p.found.unknown()]


def infer_monorepo(root: Path, workspace: Workspace) -> Monorepo:
    """Infer every package of `workspace`; the repository is read, never written."""
    git = Git(root)
    # Every tag, "/" included: `refs/tags/*` would leave out `name/v1.2.3` and `@scope/name@1.2.3`.
    tags = git.tags_matching("")
    packages = []
    for member in workspace.members:
        template, concrete = _spelling(git, tags, member, alone=len(workspace.members) == 1)
        found = infer(root / member.path, Answer(concrete, template.why))
        packages.append(Package(member, template, found, _version(member, tags, concrete)))
    return Monorepo(
        name=project_name(root),
        branch=Answer(*git.default_branch()),
        source=workspace.source,
        packages=tuple(packages),
        notes=workspace.notes,
    )


def _spelling(git: Git, tags: list[str], member: Member, *, alone: bool) -> tuple[Answer, str]:
    """The package's tag format as written (template) and as its tags read (concrete)."""
    name = member.name
    short = name.split("/")[-1]
    counts: Counter[tuple[str, str]] = Counter()
    for tag in tags:
        for candidate in dict.fromkeys((name, short)):
            for sep in SEPARATORS:
                if tag_version(f"{candidate}{sep}{{version}}", tag) is not None:
                    counts[candidate, sep] += 1
    if counts:
        # Most tags win; on a tie, the full name, then the order of SEPARATORS.
        order = {s: i for i, s in enumerate(SEPARATORS)}
        (candidate, sep), n = max(
            counts.items(), key=lambda kv: (kv[1], kv[0][0] == name, -order[kv[0][1]])
        )
        concrete = f"{candidate}{sep}{{version}}"
        template = f"{{name}}{sep}{{version}}" if candidate == name else concrete
        return Answer(template, f"{n} tags spelled {candidate}{sep}VERSION"), concrete
    if alone:
        # The only package of the repository: its tags need not name it (v1.2.3).
        found = tag_spelling(git, short)
        return found, str(found.value)
    why = f"no tag names {name} yet: the default for several packages"
    return Answer(DEFAULT_TAG, why), DEFAULT_TAG.replace("{name}", name)


def _version(member: Member, tags: list[str], concrete: str) -> str:
    if member.version:
        return member.version
    found = [v for t in tags if (v := tag_version(concrete, t)) is not None]
    return str(max(found, key=lambda v: v.sort_key())) if found else "-"
