"""Building sdists and wheels: `python -m build` in isolated environments (filled by uv),
the sdist and the wheel side by side, the sdist stamped the same on every rebuild."""

from __future__ import annotations

import gzip
import io
import shutil
import sys
import tarfile
from collections.abc import Mapping
from pathlib import Path

from release.ops.process import Result, run, side_by_side


def uv_binary() -> str | None:
    """uv, from its PyPI package (a dependency of this one) or else on PATH; None: use pip.

    uv creates and fills an environment in a fraction of pip's time, with the same result.
    """
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def build_command(
    source: Path,
    out: Path,
    *,
    installer: str | None = None,
    dists: tuple[str, ...] = ("sdist", "wheel"),
) -> list[str]:
    """`python -m build` for `dists` (sdist and wheel); its isolated environment filled by uv
    when installed, by pip where it is not (`installer` forces one)."""
    chosen = installer or ("uv" if uv_binary() else "pip")
    return [
        *(sys.executable, "-m", "build", *(f"--{d}" for d in dists), "--installer", chosen),
        *("--outdir", str(out), str(source)),
    ]


def copy_of_tree(source: Path, folder: str, dest: Path) -> Path:
    """A copy at `dest` of the whole exported tree whose `folder` is `source` (a package's
    build may read files above its folder); returns the package's folder in the copy."""
    depth = 0 if folder in ("", ".") else len(Path(folder).parts)
    shutil.copytree(source.parents[depth - 1] if depth else source, dest, symlinks=True)
    return dest / folder if depth else dest


def build_sdist_and_wheel(
    source: Path, folder: str, out: Path, env: Mapping[str, str], *, timeout: float
) -> None:
    """The sdist and the wheel of `source` (the package's `folder` of an exported tree) into
    `out`, built side by side: the slower one's time, not the sum of both (each has its own
    isolated environment either way, as with `python -m build --sdist --wheel`).

    The wheel builds from a copy of the whole tree: backends write into the tree they build
    (setuptools its egg-info and build/ folders), and two builds must not share those files.
    The whole tree, because a package's build may read files above its folder.
    """
    twin, temp = out.parent / f"{out.name}-wheel-tree", out.parent / f"{out.name}-tmp"
    for folder_made in (twin, temp):
        shutil.rmtree(folder_made, ignore_errors=True)
    twin_source = copy_of_tree(source, folder, twin)
    # The isolated environments in our own scratch folder: a build called off (killed) or
    # a run killed outright leaves nothing in the system's temp folder, the sweep of dead
    # runs' folders takes them with the rest.
    temp.mkdir()
    env = {**env, "TMPDIR": str(temp)}

    def build(tree: Path, dist: str) -> Result:
        return run(build_command(tree, out, dists=(dist,)), env=env, timeout=timeout)

    try:
        side_by_side(lambda: build(source, "sdist"), lambda: build(twin_source, "wheel"))
    finally:
        for folder_made in (twin, temp):
            shutil.rmtree(folder_made, ignore_errors=True)


def clamp_sdist(path: Path, epoch: int) -> None:
    """Rewrite an sdist so that it is the same bytes on every build of one commit.

    setuptools stamps the files it generates (PKG-INFO, setup.cfg, egg-info) and the gzip
    header with the build time, so a rebuild on a fresh CI runner never matched an upload
    made before a crash. Members keep their order and content; times newer than the
    commit are clamped to it, as `tar --clamp-mtime` does.
    """
    with tarfile.open(path, "r:gz") as source:
        members = [(m, source.extractfile(m) if m.isfile() else None) for m in source]
        blobs = [(m, f.read() if f else None) for m, f in members]
        tar_format = source.format
    clamped = path.with_suffix(".clamped")
    with (
        open(clamped, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tar_format) as target,
    ):
        for member, data in blobs:
            member.mtime = min(int(member.mtime), epoch)
            member.pax_headers = {k: v for k, v in member.pax_headers.items() if k != "mtime"}
            target.addfile(member, io.BytesIO(data) if data is not None else None)
    clamped.replace(path)
