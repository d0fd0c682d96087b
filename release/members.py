"""A monorepo's packages inferred one by one: each read from its own folder (version files,
changelog, targets, test command) with the tag spelling its own tags use in the repository."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from release.errors import ReleaseError
from release.history import tag_version
from release.inference import Answer, Inference, infer, project_name, tag_spelling
from release.ops.git import Git
from release.paths import inside
from release.versionfiles import VersionSource
from release.workspaces import Member, Workspace

# How release tools join a package's name and its version in a tag, most common first:
# `name-v1.2.3` (release-please, ours), `name@1.2.3` (changesets, lerna), `name/v1.2.3` (Go).
SEPARATORS = ("-v", "@", "/v", "@v", "_v", "-", "/", "_")
DEFAULT_TAG = "{name}-v{version}"
_VERSIONED = re.compile(r"\d+\.\d+\.\d+")


@dataclass(frozen=True)
class Package:
    """One member with everything inferred for it."""

    member: Member
    tag_format: Answer  # as written in the config: "{name}" stands for the package's name
    found: Inference  # the per-package answers; its tag format is the concrete one
    version: str  # the current version, for the table ("-" when nothing says)
    tags: int  # how many of the repository's tags its tag format reads


@dataclass(frozen=True)
class Monorepo:
    """What `init` found in a repository of several packages."""

    name: Answer
    branch: Answer
    source: str  # the workspace declaration or scan that found the packages
    packages: tuple[Package, ...]
    notes: tuple[str, ...]
    unnamed: str = ""  # the spelling of the repository's tags that name no package

    @property
    def tag_format(self) -> Answer:
        """The spelling most packages share (written once, at the top level), and why."""
        spellings = Counter(p.tag_format.value for p in self.packages)
        shared = str(max(spellings, key=lambda s: (spellings[s], s == DEFAULT_TAG)))
        spelled = [p for p in self.packages if p.tag_format.value == shared]
        tagged = sum(p.tags > 0 for p in spelled)
        why = f"{tagged} of {len(self.packages)} packages' tags spell it" if tagged else ""
        if len(spelled) > tagged:
            why += "; " if why else ""
            why += f"{len(spelled) - tagged} packages have no tag of their own yet"
            if self.unnamed:
                why += f" (the tags spelled {self.unnamed} name no package)"
        return Answer(shared, why)

    def unknown(self) -> list[str]:
        """What could not be inferred, said once for all the packages it applies to."""
        missing: dict[str, list[str]] = {}
        for package in self.packages:
            for item in package.found.unknown():
                missing.setdefault(item, []).append(package.member.name)
        return [f"{item} ({_few(names)})" for item, names in missing.items()]


def _few(names: list[str]) -> str:
    if len(names) <= 3:
        return ", ".join(names)
    return f"{', '.join(names[:3])} and {len(names) - 3} more"


def infer_monorepo(root: Path, workspace: Workspace) -> Monorepo:
    """Infer every package of `workspace`; the repository is read, never written."""
    git = Git(root)
    # Every tag, "/" included: `refs/tags/*` would leave out `name/v1.2.3` and `@scope/name@1.2.3`.
    tags = git.tags_matching("")
    alone = len(workspace.members) == 1
    unnamed = ""
    if any(_VERSIONED.search(t) for t in tags):
        unnamed = str(tag_spelling(git, "").value)
    packages = []
    for member in workspace.members:
        template, concrete = _spelling(git, tags, member, alone=alone, unnamed=unnamed)
        found = infer(root / member.path, Answer(concrete, template.why))
        own = [v for t in tags if (v := tag_version(concrete, t)) is not None]
        newest = str(max(own, key=lambda v: v.sort_key())) if own else "-"
        version = member.version or _from_file(root / member.path, found) or newest
        packages.append(Package(member, template, found, version, len(own)))
    return Monorepo(
        name=project_name(root),
        branch=Answer(*git.default_branch()),
        source=workspace.source,
        packages=tuple(packages),
        notes=workspace.notes,
        unnamed=unnamed,
    )


def _spelling(
    git: Git, tags: list[str], member: Member, *, alone: bool, unnamed: str
) -> tuple[Answer, str]:
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
    if unnamed:
        # A repository that tagged every package at once (v1.2.3): one tag per package now.
        why += f" (the repository's tags spelled {unnamed} name no package)"
    return Answer(DEFAULT_TAG, why), DEFAULT_TAG.replace("{name}", name)


def _from_file(folder: Path, found: Inference) -> str | None:
    """The version the package's first version file holds (a dynamic version's source)."""
    files = found.version_files.value
    if not files:
        return None
    try:
        source = VersionSource.parse(files[0])
        path = inside(folder, source.path, "version files")
        return source.read(path.read_text("utf-8"))
    except (ReleaseError, ValueError, OSError, UnicodeDecodeError):
        return None  # the table says "-"; the plan will name what is wrong
