"""The config package reads a valid config without the wording it needs only for mistakes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# One fresh process: a valid config first, then an invalid one, noting each time whether
# the error wording (release.config.problems) has been imported.
SCRIPT = """\
import json, sys
from pathlib import Path
from release.config import load_config
from release.errors import ConfigError
seen = []
for path in sys.argv[1:]:
    try:
        load_config(Path(path))
        ok = True
    except ConfigError:
        ok = False
    seen.append([ok, "release.config.problems" in sys.modules])
print(json.dumps(seen))
"""


def test_only_an_invalid_config_loads_the_error_wording(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text('name = "demo"\n')
    bad.write_text('name = "demo"\nbrunch = "main"\n')
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(good), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [[True, False], [False, True]]
