"""uv fills the build's isolated environment and the verification environment: the
same artifacts as with pip, an install from the index alone, and pip where uv is not."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest
from sample import tiny_wheel
from services import PypiServer

from release.ops.build import build_command, build_sdist_and_wheel, uv_binary
from release.ops.process import run
from release.ops.pypi import Index, install_in_fresh_venv, upload

# Pinned so that both installers put the very same backend in the build environment
# (pip reads this machine's pip configuration, uv does not).
PYPROJECT = """\
[build-system]
requires = ["setuptools==80.9.0"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.3.0"
description = "Built twice, once per installer."
requires-python = ">=3.11"

[tool.setuptools.packages.find]
where = ["src"]
"""


def _project(base: Path, dist: str) -> Path:
    root = base / dist
    module = root / "src" / dist.replace("-", "_")
    module.mkdir(parents=True)
    (module / "__init__.py").write_text('"""Sample."""\n\nVALUE = 3\n')
    (root / "pyproject.toml").write_text(PYPROJECT.format(dist=dist))
    return root


def _contents(artifact: Path) -> dict[str, bytes]:
    """Every member's bytes: archives differ in timestamps only, their contents must not."""
    if artifact.suffix == ".whl":
        with zipfile.ZipFile(artifact) as wheel:
            return {name: wheel.read(name) for name in wheel.namelist()}
    with tarfile.open(artifact) as sdist:
        return {
            m.name: sdist.extractfile(m).read()  # type: ignore[union-attr]
            for m in sdist.getmembers()
            if m.isfile()
        }


def test_uv_is_installed_with_the_package() -> None:
    binary = uv_binary()
    assert binary is not None
    assert run([binary, "--version"]).stdout.startswith("uv ")


def test_uv_and_pip_build_the_same_artifacts(tmp_path: Path) -> None:
    source = _project(tmp_path, "same-bytes")
    built = {}
    for installer in ("uv", "pip"):
        out = tmp_path / f"dist-{installer}"
        command = build_command(source, out, installer=installer)
        assert command[command.index("--installer") + 1] == installer
        run(command, timeout=600)
        built[installer] = sorted(out.iterdir())
    assert [p.name for p in built["uv"]] == [p.name for p in built["pip"]]
    assert [p.name for p in built["uv"]] == [
        "same_bytes-0.3.0-py3-none-any.whl",
        "same_bytes-0.3.0.tar.gz",
    ]
    for uv_file, pip_file in zip(built["uv"], built["pip"], strict=True):
        assert _contents(uv_file) == _contents(pip_file), uv_file.name


def test_sdist_and_wheel_built_side_by_side_are_what_one_build_makes(tmp_path: Path) -> None:
    # A package two folders down whose setup.py reads a file above it: the wheel's copy of
    # the tree must be the whole tree, and the sdist's tree must not see the wheel's build/.
    tree = tmp_path / "tree"
    source = _project(tree / "bindings", "side-by-side")
    (tree / "NOTICE").write_text("read from above the package\n")
    (source / "setup.py").write_text(
        "from pathlib import Path\nfrom setuptools import setup\n\n"
        "setup(description=(Path(__file__).parent / '../../NOTICE').read_text().strip())\n"
    )
    pyproject = source / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'description = "Built twice, once per installer."', 'dynamic = ["description"]'
        )
    )
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    alone, together = tmp_path / "alone", tmp_path / "together" / "dist"
    run(build_command(source, alone), env=env, timeout=600)
    build_sdist_and_wheel(source, "bindings/side-by-side", together, env, timeout=600)
    assert sorted(p.name for p in together.iterdir()) == sorted(p.name for p in alone.iterdir())
    for built in together.iterdir():
        assert _contents(built) == _contents(alone / built.name), built.name
    assert (
        b"read from above"
        in _contents(next(together.glob("*.whl")))["side_by_side-0.3.0.dist-info/METADATA"]
    )
    # Only the two artifacts are left: the wheel's copy of the tree is gone.
    assert sorted(p.name for p in together.parent.iterdir()) == ["dist"]


def test_build_uses_uv_where_installed(tmp_path: Path) -> None:
    command = build_command(tmp_path, tmp_path / "dist")
    assert command[command.index("--installer") + 1] == "uv"


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_verification_installs_from_the_index_alone(
    tmp_path: Path, pypi_server: PypiServer, installer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = f"verify-by-{installer}"
    index = Index("local", pypi_server.url, pypi_server.simple_url, "tester", pypi_server.password)
    upload(index, [tiny_wheel(tmp_path, dist, "0.1.0")])
    # A user's settings must not reach the verification: an index that does not exist.
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple/")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")
    bin_dir = install_in_fresh_venv(index, f"{dist}==0.1.0", tmp_path, installer=installer)
    module = dist.replace("-", "_")
    found = run([str(bin_dir / "python"), "-c", f"import {module}; print({module}.__version__)"])
    assert found.stdout.strip() == "0.1.0"
    assert not (bin_dir / "pip").exists()  # a bare environment either way: only what was asked
