"""Regenerate tests/data/npm_semver.json: npm's own `semver` judges every range x version case.

The tests read the JSON and never need node; run this by hand (node and npm on PATH) after
adding a case, and commit the JSON with it:  python scripts/npm_semver_table.py
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

RANGES = [
    # caret
    "^1.2.3",
    "^1.2.0",
    "^1.2",
    "^1",
    "^0.2.3",
    "^0.2",
    "^0.0.3",
    "^0.0",
    "^0",
    "^1.2.x",
    "^1.x",
    "^0.x",
    "^0.0.x",
    "^1.2.3-beta.2",
    "^0.0.3-beta",
    "^ 1.2.3",
    "^v1.2.3",
    # tilde
    "~1.2.3",
    "~1.2",
    "~1",
    "~0.2.3",
    "~0.2",
    "~0",
    "~1.2.3-beta.2",
    "~> 1.2.3",
    "~1.x",
    # x-ranges
    "*",
    "",
    "x",
    "X",
    "1.x",
    "1.X",
    "1.*",
    "1.2.x",
    "1.2.*",
    "1",
    "1.2",
    "0.x",
    "*.*.*",
    # hyphen
    "1.2.3 - 2.3.4",
    "1.2 - 2.3.4",
    "1.2.3 - 2.3",
    "1.2.3 - 2",
    "1.2.3-rc.1 - 2.0.0",
    # comparators
    ">=1.2.3",
    ">1.2.3",
    "<2.0.0",
    "<=2.0.0",
    "<2",
    ">1",
    ">=1.2",
    "<=1.2",
    "=1.2.3",
    "1.2.3",
    "v1.2.3",
    "=v1.2.3",
    ">= 1.2.3",
    ">=1.2.3 <2.0.0",
    ">=1.2.3  <2.0.0-0",
    ">1.2.3-alpha.3",
    ">=1.2.3-rc.1 <1.3.0",
    "<1.0.0-0",
    ">=0.0.0",
    ">=2.0.0-0",
    # unions
    "^1.2.3 || ^2.0.0",
    "1.2.7 || >=1.2.9 <2.0.0",
    "<1.0.0 || >=2.0.0",
    "1.x || 3.x",
    "^0.1.0 || ^0.2.0 || ^1",
    "~1.2.3 || 2.x",
    # build metadata in a range
    "1.2.3+build.5",
    "^1.2.3+build",
    # not ranges npm accepts (validRange null): the evaluator must refuse them
    ">=1.2,<2",
    "~=1.2",
    "==1.2.3",
    "^1.2.3.4",
    "1.2.3.4",
    "abc",
    ">>1.2.3",
]

VERSIONS = [
    "0.0.1",
    "0.0.3",
    "0.0.4",
    "0.1.0",
    "0.2.3",
    "0.2.4",
    "0.2.9",
    "0.3.0",
    "1.0.0",
    "1.0.0-rc.1",
    "1.2.0",
    "1.2.2",
    "1.2.3",
    "1.2.3-alpha.3",
    "1.2.3-alpha.7",
    "1.2.3-beta.2",
    "1.2.3-beta.4",
    "1.2.3-rc.1",
    "1.2.4",
    "1.2.4-beta.2",
    "1.2.7",
    "1.2.8",
    "1.2.9",
    "1.3.0",
    "1.3.0-rc.1",
    "1.9.9",
    "2.0.0",
    "2.0.0-rc.1",
    "2.3.4",
    "2.3.5",
    "2.9.9",
    "3.0.0",
    "3.4.0",
    "10.0.0",
    "1.2.3+build.7",
]

SCRIPT = r"""
const semver = require(process.argv[1]);
const {ranges, versions} = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const lines = ranges.map((r) => {
  const valid = semver.validRange(r) !== null;
  const admits = valid ? versions.filter((v) => semver.satisfies(v, r)) : [];
  return '  ' + JSON.stringify({range: r, valid, admits});
});
const version = require(process.argv[1] + '/package.json').version;
process.stdout.write('{"semver": ' + JSON.stringify(version) + ', "versions": '
  + JSON.stringify(versions) + ', "cases": [\n' + lines.join(',\n') + '\n]}\n');
"""


def main() -> None:
    root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, check=True)
    semver = Path(root.stdout.strip()) / "npm" / "node_modules" / "semver"
    data = json.dumps({"ranges": RANGES, "versions": VERSIONS})
    result = subprocess.run(
        ["node", "-e", SCRIPT, str(semver)], input=data, capture_output=True, text=True, check=True
    )
    target = Path(__file__).resolve().parent.parent / "tests" / "data" / "npm_semver.json"
    target.write_text(result.stdout, encoding="utf-8")
    print(f"{target}: {len(RANGES)} ranges x {len(VERSIONS)} versions")


if __name__ == "__main__":
    main()
