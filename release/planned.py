"""What a release will change and run, as the plan shows it: file edits, commands, targets."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from release import unreleased
from release.changelog import (
    Entry,
    has_entry,
    insert_entry,
)
from release.config import LoadedConfig, NpmTarget, PypiTarget
from release.errors import Problem, VersionError
from release.forgeconfig import forge_repository, releases_url
from release.npm_package import choose_manager, needs_install
from release.ops.artifacts import expand
from release.ops.git import Git
from release.paths import inside
from release.planstate import read_text
from release.version import Bump, Version
from release.versionfiles import SourceKind, VersionSource, write_npm_lockfile


@dataclass(frozen=True)
class FileChange:
    """One file the release rewrites (or removes, when `new` is None)."""

    path: str
    old: str | None
    new: str | None
    why: str
    phase: str  # "version" (phase 2) or "changelog" (phase 3: changelog, fragments, docs)


@dataclass(frozen=True)
class PlannedCommand:
    phase: str
    name: str
    command: str
    env: tuple[str, ...] = ()  # names of the environment variables it reads, never values


@dataclass(frozen=True)
class PlannedTarget:
    name: str
    kind: str
    url: str
    version: str
    credentials: tuple[str, ...]
    dist_tag: str = ""
    trusted_publishing: bool = False  # OIDC first; the named variables only where it is absent
    detail: str = ""  # forge releases: what the release will hold


def _form(source: VersionSource, scheme: str) -> str:
    # package.json and friends follow npm, whatever the project's own scheme.
    return "semver" if source.kind is SourceKind.JSON else scheme


def file_changes(
    loaded: LoadedConfig,
    version: Version,
    current: Version | None,
    entry: Entry | None,
    today: dt.date | None = None,
) -> list[FileChange]:
    cfg = loaded.config
    root = loaded.root
    texts: dict[str, tuple[str | None, str | None, list[str], str]] = {}

    def edit(path: str, new: str | None, why: str, phase: str = "changelog") -> None:
        old = texts[path][0] if path in texts else read_text(inside(root, path, path))
        _, _, whys, first_phase = texts.get(path, (old, None, [], phase))
        texts[path] = (old, new, [*whys, why], first_phase)

    def current_text(path: str) -> str | None:
        return texts[path][1] if path in texts else read_text(inside(root, path, path))

    if not cfg.version.command:
        for source in cfg.version.sources():
            source_text = current_text(source.path) or ""
            edit(
                source.path,
                source.write(source_text, version.render(_form(source, cfg.scheme))),
                f"version {source.spec}",
                "version",
            )

    configured = {s.path for s in cfg.version.sources()}
    for source in cfg.version.sources():
        lock = str(Path(source.path).with_name("package-lock.json"))
        if Path(source.path).name == "package.json" and lock not in configured:
            lock_text = current_text(lock)
            if lock_text is not None:
                edit(
                    lock,
                    write_npm_lockfile(lock_text, version.semver()),
                    "package-lock.json follows package.json",
                    "version",
                )

    if entry is not None:
        insert = insert_entry(
            current_text(entry.changelog), entry.text, entry.start, markdown=entry.markdown
        )
        edit(entry.changelog, insert, entry.why)
        for fragment in entry.consumed:
            edit(fragment, None, "fragment consumed by the changelog")

    today = today or dt.datetime.now(dt.UTC).date()
    dated = _dated_entry(loaded, version, today)
    if dated is not None:
        edit(cfg.changelog.file, dated, f"the {version.render(cfg.scheme)} entry is dated")
    waiting = _unreleased(loaded, version)
    if waiting is not None:
        changelog, written, section = waiting
        spelled = version.render(cfg.scheme)
        tag = cfg.tag_format.format(version=spelled)
        previous = cfg.tag_format.format(version=current.render(cfg.scheme)) if current else None
        released = unreleased.release(
            written,
            section,
            spelled,
            today,
            tag=tag,
            previous_tag=previous,
        )
        edit(changelog, released, f"the {section.title} section becomes {spelled}'s")

    if current is not None and not version.is_prerelease and not current.is_prerelease:
        docs = (
            cfg.docs.files
            if cfg.docs.files is not None
            else (["README.md"] if (root / "README.md").exists() else [])
        )
        for path in docs:
            text = current_text(path)
            if text is None:
                raise VersionError(
                    Problem(f"{path} does not exist", "[docs].files", "fix the path or remove it")
                )
            new = _mentions(current.render(cfg.scheme)).sub(version.render(cfg.scheme), text)
            if new != text:
                edit(path, new, f"mentions of {current.render(cfg.scheme)}")
    return [
        FileChange(path, old, new, "; ".join(whys), phase)
        for path, (old, new, whys, phase) in texts.items()
        if old != new
    ]


def _mentions(version: str) -> re.Pattern[str]:
    # The exact version, not a part of a longer one (1.2.0 must not match 11.2.0 or 1.2.0.1).
    return re.compile(rf"(?<![\w.\-]){re.escape(version)}(?![\w\-]|\.\d)")


def keeps_changelog(loaded: LoadedConfig) -> bool:
    """A changelog from commits is written only where one is kept: a project that never had
    one (and names none in its config) does not get one from a release."""
    changelog = loaded.config.changelog
    return "file" in changelog.model_fields_set or (loaded.root / changelog.file).exists()


def missing_changelog_entry(loaded: LoadedConfig, version: Version) -> Problem | None:
    """With a hand-written changelog ([changelog].mode = "check"), the missing entry: none
    for the version, and no Unreleased section with notes for the release to name."""
    settings = loaded.config.changelog
    if settings.mode != "check" or version.is_prerelease:
        return None
    spelled = version.render(loaded.config.scheme)
    if has_entry(read_text(inside(loaded.root, settings.file, "[changelog].file")), spelled):
        return None
    if _unreleased(loaded, version) is not None:
        return None
    return Problem(
        f"{settings.file} has no entry for {spelled}, and no Unreleased section with notes",
        "[changelog].file",
        f"write the {spelled} entry in {settings.file}, or the notes under an `Unreleased` "
        "heading at its top (the release names it), and commit it (the changelog is "
        'written by hand: [changelog].mode = "check")',
    )


def _hand_written(loaded: LoadedConfig, version: Version) -> tuple[str, str, list[bool]] | None:
    """A final release's hand-written changelog ([changelog].mode = "check"): its path, its
    text, and whether to read it as Markdown (both, in turn, for `CHANGES` or `.txt`)."""
    settings = loaded.config.changelog
    if settings.mode != "check" or version.is_prerelease:
        return None
    text = read_text(inside(loaded.root, settings.file, "[changelog].file"))
    if text is None:
        return None
    name = settings.file.lower()
    if name.endswith(".md"):
        return settings.file, text, [True]
    if name.endswith((".rst", ".rest")):
        return settings.file, text, [False]
    return settings.file, text, [True, False]


def _dated_entry(loaded: LoadedConfig, version: Version, today: dt.date) -> str | None:
    """A hand-written entry for the version that still says `Unreleased`, dated."""
    found = _hand_written(loaded, version)
    spelled = version.render(loaded.config.scheme)
    if found is None or not has_entry(found[1], spelled):
        return None
    _, text, formats = found
    dated = (unreleased.date_entry(text, spelled, today, markdown) for markdown in formats)
    return next((d for d in dated if d is not None), None)


def _unreleased(
    loaded: LoadedConfig, version: Version
) -> tuple[str, str, unreleased.Section] | None:
    """A hand-written changelog's Unreleased section with notes, for a final release whose
    version has no entry yet: (path, text, section)."""
    found = _hand_written(loaded, version)
    if found is None or has_entry(found[1], version.render(loaded.config.scheme)):
        return None
    path, text, formats = found
    sections = (unreleased.find(text, markdown) for markdown in formats)
    section = next((s for s in sections if s is not None), None)
    return (path, text, section) if section is not None else None


def planned_commands(loaded: LoadedConfig, version: Version, bump: Bump) -> list[PlannedCommand]:
    cfg = loaded.config
    out: list[PlannedCommand] = []
    if cfg.commands.test:
        out.append(PlannedCommand("validation", "test", cfg.commands.test))
    if cfg.version.command:
        out.append(
            PlannedCommand(
                "version",
                "version command",
                cfg.version.command.format(bump=bump.label, version=version.render(cfg.scheme)),
            )
        )
    kinds = {t.kind for t in cfg.registries}
    if cfg.commands.build:
        tag = cfg.tag_format.replace("{version}", version.render(cfg.scheme))
        build = expand(cfg.commands.build, version.render(cfg.scheme), tag)
        out.append(PlannedCommand("deploy", "build", build, ("RELEASE_VERSION", "RELEASE_TAG")))
    else:
        if "pypi" in kinds:
            # The sdist and the wheel build side by side, each in its own copy of the tree.
            build = "python -m build --sdist & python -m build --wheel (--outdir <dist>)"
            out.append(PlannedCommand("deploy", "build", build))
            out.append(PlannedCommand("deploy", "check", "python -m twine check <dist>/*"))
        if "npm" in kinds:
            out += _npm_pack_commands(loaded.root)
    out.append(
        PlannedCommand("deploy", "push", f"git push --atomic {cfg.remote} {cfg.branch} <tag>")
    )
    for t in cfg.registries:
        if isinstance(t, PypiTarget):
            env = tuple(n for n in (t.username_env, t.password_env) if n)
            out.append(
                PlannedCommand(
                    "deploy",
                    f"publish {t.name}",
                    f"python -m twine upload --repository-url {t.url} <dist>/*",
                    env,
                )
            )
        else:
            out.append(
                PlannedCommand(
                    "deploy",
                    f"publish {t.name}",
                    f"npm publish <dist>/*.tgz --registry {t.registry}",
                    (t.token_env,),
                )
            )
    if cfg.commands.health:
        out.append(PlannedCommand("deploy", "health", cfg.commands.health))
    return out


def _npm_pack_commands(root: Path) -> list[PlannedCommand]:
    """How the package manager the project uses will pack it (install first for pack scripts)."""
    try:
        manifest = json.loads((root / "package.json").read_text("utf-8"))
    except (OSError, ValueError):
        manifest = {}
    manager = choose_manager(manifest, {p.name for p in root.iterdir()})
    out = []
    if needs_install(manifest):
        out.append(PlannedCommand("deploy", "install", " ".join(manager.install())))
    script = manager.publish_script()
    if script in (manifest.get("scripts") or {}):
        out.append(PlannedCommand("deploy", script, f"{manager.name} run {script}"))
    out.append(PlannedCommand("deploy", "build", " ".join(manager.pack("<dist>"))))
    return out


def planned_targets(loaded: LoadedConfig, version: Version) -> list[PlannedTarget]:
    out = []
    for t in loaded.config.registries:
        if isinstance(t, NpmTarget):
            dist_tag = t.tag or (
                version.semver().split("-", 1)[1].split(".")[0]
                if version.is_prerelease
                else "latest"
            )
            out.append(
                PlannedTarget(
                    t.name, t.kind, t.registry, version.semver(), (t.token_env,), dist_tag
                )
            )
        else:
            creds = tuple(n for n in (t.username_env, t.password_env) if n)
            out.append(
                PlannedTarget(
                    t.name,
                    t.kind,
                    t.url,
                    version.pep440(),
                    creds,
                    trusted_publishing=t.trusted_publishing,
                )
            )
    return out


def planned_forges(
    loaded: LoadedConfig, git: Git, version: Version, tag: str
) -> list[PlannedTarget]:
    """The GitHub and GitLab releases a push would make, after the packages."""
    cfg = loaded.config
    if not cfg.forges:
        return []
    remote_url = git.run("remote", "get-url", cfg.remote, check=False).stdout.strip() or None
    kinds = {t.kind for t in cfg.registries}
    files = [
        *(["sdist", "wheel"] if "pypi" in kinds else []),
        *(["npm tarball"] if "npm" in kinds else []),
    ]
    out = []
    for t in cfg.forges:
        if not t.assets or not files:
            assets = "no files"
        elif t.kind == "github":
            assets = "files: " + ", ".join(files)
        else:
            assets = "links to the published packages"
        pre = " (pre-release)" if version.is_prerelease and t.kind == "github" else ""
        out.append(
            PlannedTarget(
                t.name,
                t.kind,
                releases_url(t, forge_repository(t, remote_url)),
                version.render(cfg.scheme),
                (t.token_variable,),
                detail=f"release {tag}{pre}, notes from the changelog entry, {assets}",
            )
        )
    return out


def planned_notifications(loaded: LoadedConfig) -> list[str]:
    return [n.shown for n in loaded.config.notify]
