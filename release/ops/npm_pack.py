"""Pack an npm package the way its package manager would: its publish script, its install
when packing runs scripts, then its pack command, in an export of the release commit."""

from __future__ import annotations

import shutil
from pathlib import Path

from release.errors import CommandError, Problem, ReleaseError
from release.npm_package import choose_manager, needs_install
from release.ops.npm import dependency_env, read_manifest
from release.ops.process import run


def pack(source: Path, dest: Path, env: dict[str, str], *, dependencies: str | None) -> Path:
    """Pack the project the way its package manager would, into one tarball in `dest`.

    When packing runs scripts (prepack, prepare, and the prepublishOnly a publish runs) and
    the project has dependencies, they are installed first, with the lockfile when there is
    one: `del-cli: not found` otherwise.
    """
    manifest = read_manifest(source / "package.json")
    manager = choose_manager(manifest, {p.name for p in source.iterdir()})
    tool = _tool(manager.name)
    if needs_install(manifest):
        run(
            [*tool, *manager.install()[1:]],
            cwd=source,
            env=dependency_env(dependencies),
            timeout=900,
        )
    # A publish runs this before it packs (a build, often); the tarball is published as
    # packed here, so it runs here, or the package would go out without what it builds.
    script = manager.publish_script()
    if script in (manifest.get("scripts") or {}):
        try:
            run([*tool, "run", script], cwd=source, env=env, timeout=900)
        except CommandError as exc:
            raise ReleaseError(
                Problem(
                    f"the package's {script} script failed: {exc.problems[0].what}",
                    f"package.json scripts.{script}",
                    f"{manager.name} runs it on publish; the release runs it before packing, "
                    "in an export of the release commit (no .git, nothing untracked): make it "
                    "build there, and move steps such as `git push` to postpublish",
                )
            ) from exc
    dest.mkdir(parents=True, exist_ok=True)
    run([*tool, *manager.pack(str(dest))[1:]], cwd=source, env=env, timeout=600)
    tarballs = sorted(dest.glob("*.tgz"))
    if len(tarballs) != 1:
        raise ReleaseError(
            Problem(
                f"{manager.name} pack left {len(tarballs)} tarballs in {dest}",
                "npm pack",
                "check the package's pack scripts",
            )
        )
    return tarballs[0]


def _tool(name: str) -> list[str]:
    """pnpm or yarn as installed, or through corepack (bundled with Node) when not."""
    if name == "npm" or shutil.which(name):
        return [name]
    if shutil.which("corepack"):
        return ["corepack", name]
    raise ReleaseError(
        Problem(
            f"the project packs with {name}, which is not installed",
            "package.json",
            f"install {name} (or run `corepack enable`), then resume the release",
        )
    )
