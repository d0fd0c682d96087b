"""Phase 5 for forges: the GitHub or GitLab release of the tag, made after the packages."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, ClassVar

from release.config import LoadedConfig
from release.errors import Problem, ReleaseError
from release.forgeconfig import GithubTarget, GitlabTarget, forge_repository
from release.notes import release_notes
from release.ops.browser import release_page
from release.ops.forge import Forge, ForgeRelease, GitHub, GitLab
from release.ops.git import RemoteGit
from release.plan import Plan
from release.steps import Context, TargetStep
from release.version import Version

ASSET_KINDS = ("pypi", "npm")  # the built files kept with the journal, by kind


def forge_target(loaded: LoadedConfig, name: str) -> GithubTarget | GitlabTarget:
    return next(t for t in loaded.config.forges if t.name == name)


def client(loaded: LoadedConfig, name: str) -> Forge:
    """The forge's API with the token from the environment; what is missing is a Problem."""
    target = forge_target(loaded, name)
    variable = target.token_variable
    token = os.environ.get(variable, "")
    problems = []
    if not token:
        problems.append(
            Problem(
                f"credentials for target {name!r} are missing: {variable} not set",
                f"targets.{name}",
                f"export {variable} (in CI: the job's token, e.g. "
                + (
                    "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }})"
                    if target.kind == "github"
                    else "CI_JOB_TOKEN, set by GitLab)"
                ),
            )
        )
    remote_url = RemoteGit(loaded.root).remote_url(loaded.config.remote)
    repository = forge_repository(target, remote_url)
    if repository is None:
        key = "repository" if target.kind == "github" else "project"
        problems.append(
            Problem(
                f"target {name!r}: the {key} cannot be read from the remote's URL",
                f"targets.{name}.{key}",
                f'set {key} = "owner/name"',
            )
        )
    if problems:
        raise ReleaseError(problems)
    assert repository is not None
    if isinstance(target, GithubTarget):
        return GitHub(name, target.api_url, repository, token)
    return GitLab(name, target.api, repository, token, job_token=variable == "CI_JOB_TOKEN")


def validate_forges(plan: Plan, loaded: LoadedConfig) -> list[Problem]:
    """Phase 1 for forges: the token is there and may read the repository's releases."""
    problems: list[Problem] = []
    for target in loaded.config.forges:
        try:
            client(loaded, target.name).check_access()
        except ReleaseError as exc:
            problems.extend(exc.problems)
    return problems


def _title(ctx: Context) -> str:
    return ctx.record.tag  # as the tools users compare us with name it


def _notes(ctx: Context) -> str:
    r = ctx.record
    return release_notes(r.version, r.files, ctx.loaded.config.changelog.file)


def _prerelease(ctx: Context) -> bool:
    try:
        return Version.parse(ctx.record.version).is_prerelease
    except ReleaseError:
        return False


def _files(ctx: Context) -> list[Any]:
    return [path for kind in ASSET_KINDS for path in ctx.artifacts(kind)]


def _links(ctx: Context) -> list[tuple[str, str]]:
    names = (ctx.record.distribution, ctx.record.npm_package)
    links = []
    for t in ctx.loaded.config.registries:
        package = names[1] if t.kind == "npm" else names[0]
        version = ctx.record.target_version(t.name)
        links.append((f"{package} {version} on {t.name}", release_page(t, names, version)))
    return links


def _wants_assets(ctx: Context, name: str) -> bool:
    return forge_target(ctx.loaded, name).assets


def _ours(ctx: Context, forge: Forge) -> ForgeRelease | None:
    """This release on the forge, if it is there (same tag, title, notes and flag)."""
    found = forge.release(ctx.record.tag)
    if found is None:
        return None
    prerelease = _prerelease(ctx) if isinstance(forge, GitHub) else False
    return found if found.matches(_title(ctx), _notes(ctx), prerelease) else None


@dataclass
class PublishRelease(TargetStep):
    """Create the forge release of the tag: notes, pre-release flag, files (or links)."""

    verb: ClassVar[str] = "release"
    leaves_machine: bool = True

    def done(self, ctx: Context) -> bool:
        forge = client(ctx.loaded, self.target)
        found = _ours(ctx, forge)
        if found is None:
            return False
        wanted = {p.name for p in _files(ctx)} if _wants_assets(ctx, self.target) else set()
        if isinstance(forge, GitLab):
            wanted = set()  # links are made with the release itself
        if wanted <= set(found.assets):
            ctx.target_status[self.target] = "published"
            return True
        return False

    def apply(self, ctx: Context) -> dict[str, Any]:
        forge = client(ctx.loaded, self.target)
        ctx.target_status[self.target] = "publishing"
        wants = _wants_assets(ctx, self.target)
        if isinstance(forge, GitHub):
            release, made = forge.create(ctx.record.tag, _title(ctx), _notes(ctx), _prerelease(ctx))
            attached = []
            for path in _files(ctx) if wants else []:
                if path.name not in release.assets:  # a resumed release attaches the rest
                    forge.upload(release, path)
                    attached.append(path.name)
        else:
            links = _links(ctx) if wants else []
            release, made = forge.create(ctx.record.tag, _title(ctx), _notes(ctx), links)
            attached = [name for name, _ in links]
        ctx.target_status[self.target] = "published"
        return {
            "target": self.target,
            "release": release.id,
            "created": made,
            "assets": attached,
        }

    def undo(self, ctx: Context) -> str | None:
        """Delete the release and its files if it is this one: journaled as made by this
        step, or (made just before a crash) holding this release's notes. Another stays."""
        forge = client(ctx.loaded, self.target)
        found = forge.release(ctx.record.tag)
        made = {
            str(r.get("release"))
            for r in ctx.journal.records()
            if r.get("event") == "done" and r.get("step") == self.name and r.get("created")
        }
        if found is None or (found.id not in made and _ours(ctx, forge) is None):
            return None
        forge.delete(found)
        ctx.target_status[self.target] = "deleted"
        ctx.undone_remotely.append(f"the {self.target} release of {ctx.record.tag} was deleted")
        return None


@dataclass
class VerifyRelease(TargetStep):
    """The release of the tag is visible on the forge."""

    verb: ClassVar[str] = "verify"

    def done(self, ctx: Context) -> bool:
        return False  # read-only: always run it again

    def apply(self, ctx: Context) -> dict[str, Any]:
        found = client(ctx.loaded, self.target).release(ctx.record.tag)
        if found is None:
            raise ReleaseError(
                Problem(
                    f"{self.target} has no release for {ctx.record.tag} after it was made",
                    f"targets.{self.target}",
                    f"check the forge, then `release push --project {ctx.record.project} --resume`",
                )
            )
        ctx.target_status[self.target] = "verified"
        return {"target": self.target, "url": found.url, "assets": list(found.assets)}

    def undo(self, ctx: Context) -> str | None:
        return None
