"""Verification imports what the wheel really installs, not a name guessed from the project's."""

from __future__ import annotations

import zipfile
from pathlib import Path

from sample import tiny_wheel

from release.ops.pypi import wheel_top_level


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
