"""Verification imports what the wheel really installs, not a name guessed from the project's;
and resolves dependencies only for a wheel that names some."""

from __future__ import annotations

import zipfile
from pathlib import Path

from sample import tiny_wheel

from release.ops.pypi import wheel_requires, wheel_top_level


def test_names_come_from_the_wheel_not_the_distribution(tmp_path: Path) -> None:
    wheel = tmp_path / "PyYAML-6.0-cp311-cp311-linux_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for entry in (
            "yaml/__init__.py",
            "yaml/loader.py",
            "_yaml.cpython-311-x86_64-linux-gnu.so",
            "six.py",
            "easy-install.pth",
            "not-a-module/readme.txt",
            "PyYAML-6.0.dist-info/METADATA",
            "PyYAML-6.0.data/scripts/yamltool",
        ):
            archive.writestr(entry, "")
    assert wheel_top_level(wheel) == ["_yaml", "six", "yaml"]


def test_a_plain_project_imports_its_package(tmp_path: Path) -> None:
    assert wheel_top_level(tiny_wheel(tmp_path, "my-dist", "1.0.0")) == ["my_dist"]


def _wheel_with_metadata(tmp_path: Path, metadata: str) -> Path:
    wheel = tmp_path / "shop-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("shop/__init__.py", "")
        archive.writestr("shop-1.0.dist-info/METADATA", metadata)
    return wheel


def test_a_wheel_without_requires_dist_needs_no_dependency_install(tmp_path: Path) -> None:
    assert not wheel_requires(tiny_wheel(tmp_path, "my-dist", "1.0.0"))
    # The long description follows the headers: a "Requires-Dist:" in it names nothing.
    body = "Metadata-Version: 2.1\nName: shop\nVersion: 1.0\n\nRequires-Dist: in the readme\n"
    assert not wheel_requires(_wheel_with_metadata(tmp_path, body))


def test_a_wheel_with_requires_dist_or_unreadable_metadata_resolves(tmp_path: Path) -> None:
    headers = "Metadata-Version: 2.1\nName: shop\nVersion: 1.0\nrequires-dist: httpx>=0.27\n"
    assert wheel_requires(_wheel_with_metadata(tmp_path, headers))
    wheel = tmp_path / "odd-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("odd/__init__.py", "")  # no METADATA at all
    assert wheel_requires(wheel)
