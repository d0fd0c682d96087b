"""A repository's internal dependencies: read from real manifests, edited, ordered, cascaded."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from release.dependents import (
    Cascade,
    Dependency,
    Member,
    cascade,
    dependents_of,
    internal_dependencies,
    release_order,
    rewrite,
    rewrite_text,
)
from release.errors import ConfigError

CORE = """\
[project]
name = "shop-core"
version = "1.2.0"
"""

# Comments, odd spacing, a literal string with a marker, extras, CRLF added by the test.
CLI = """\
# the command line
[project]
name = "shop-cli"
version = "0.4.0"
dependencies = [
    "rich>=13",                                        # not a member
    'Shop_Core[fast] >= 1.2, <2 ; python_version >= "3.11"',   # the core, any casing
]

[project.optional-dependencies]
extra = ["shop-utils==0.1.0"]  # pinned on purpose

[dependency-groups]
dev = ["shop-core", {include-group = "lint"}]
lint = ["ruff"]
"""

UTILS = """\
[project]
name = "shop-utils"
version = "0.1.0"
dependencies = ["shop-core~=1.2"]
"""


def ui_json(indent: str = "  ") -> str:
    manifest = {
        "name": "@shop/ui",
        "version": "1.0.0",
        "dependencies": {"left-pad": "^1.3.0"},
    }
    return json.dumps(manifest, indent=indent) + "\n"


def web_json(indent: str | int = 2) -> str:
    manifest = {
        "name": "@shop/web",
        "version": "2.1.0",
        "scripts": {"dependencies": "echo not a field"},
        "dependencies": {"@shop/ui": "^1.0.0", "react": "^18.2.0"},
        "peerDependencies": {"@shop/ui": ">=1.0.0 <2.0.0"},
        "devDependencies": {"@shop/ui": "workspace:^", "shop-core": "*"},
        "overrides": {"dependencies": {"@shop/ui": "1.0.0"}},
    }
    return json.dumps(manifest, indent=indent) + "\n"


MEMBERS = [
    Member("shop-cli", "packages/cli"),
    Member("shop-core", "packages/core"),
    Member("shop-utils", "packages/utils"),
    Member("@shop/ui", "js/ui"),
    Member("@shop/web", "js/web"),
]


def build(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return root


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return build(
        tmp_path / "shop",
        {
            "packages/cli/pyproject.toml": CLI,
            "packages/core/pyproject.toml": CORE,
            "packages/utils/pyproject.toml": UTILS,
            "js/ui/package.json": ui_json(),
            "js/web/package.json": web_json(),
            "README.md": "shop\n",
        },
    )


def test_internal_dependencies_are_read_from_every_manifest(shop: Path) -> None:
    deps = internal_dependencies(shop, MEMBERS)
    assert [(d.dependent, d.dependency, d.field, d.spec) for d in deps] == [
        ("shop-cli", "shop-core", "project.dependencies", ">= 1.2, <2"),
        ("shop-cli", "shop-utils", "project.optional-dependencies.extra", "==0.1.0"),
        ("shop-cli", "shop-core", "dependency-groups.dev", ""),
        ("shop-utils", "shop-core", "project.dependencies", "~=1.2"),
        ("@shop/web", "@shop/ui", "dependencies", "^1.0.0"),
        ("@shop/web", "@shop/ui", "peerDependencies", ">=1.0.0 <2.0.0"),
        ("@shop/web", "@shop/ui", "devDependencies", "workspace:^"),
    ]  # not web's "shop-core": "*": shop-core has no package.json, that is npm's shop-core
    assert {d.file for d in deps} == {
        "packages/cli/pyproject.toml",
        "packages/utils/pyproject.toml",
        "js/web/package.json",
    }
    assert {d.ecosystem for d in deps if d.file.endswith(".json")} == {"npm"}
    assert [d.dev for d in deps].count(True) == 2
    assert [d.dependent for d in dependents_of("shop-core", deps)] == [
        "shop-cli",
        "shop-cli",
        "shop-utils",
    ]


def test_a_member_at_the_root_with_both_manifests(tmp_path: Path) -> None:
    root = build(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "both"\ndependencies = ["lib>=1"]\n',
            "package.json": json.dumps(
                {"name": "both", "dependencies": {"lib": "^1.0.0", "both": "*", "tool": "~2.0.0"}}
            ),
            "lib/pyproject.toml": '[project]\nname = "lib"\n',
            "tool/package.json": '{"name": "tool"}',
        },
    )
    members = [Member("both", "."), Member("lib", "lib"), Member("tool", "tool")]
    deps = internal_dependencies(root, members)
    assert [(d.file, d.ecosystem, d.dependency, d.spec) for d in deps] == [
        ("pyproject.toml", "python", "lib", ">=1"),
        ("package.json", "npm", "tool", "~2.0.0"),
    ]


BAD_MANIFESTS = [
    ("pyproject.toml", "[project\n", "not valid TOML"),
    ("pyproject.toml", '[project]\ndependencies = ["core >>> 1"]\n', "not a valid requirement"),
    ("pyproject.toml", '[project]\ndependencies = "core"\n', "is not a list"),
    ("package.json", "{", "not valid JSON"),
    ("package.json", "[]", "not a JSON object"),
    ("package.json", '{"dependencies": ["core"]}', "dependencies is not an object"),
    ("package.json", '{"peerDependencies": {"core": 1}}', "peerDependencies.core is 1"),
    ("package.json", "[" * 100_000 + "]" * 100_000, "not valid JSON"),
]


@pytest.mark.parametrize(("name", "text", "what"), BAD_MANIFESTS, ids=[c[2] for c in BAD_MANIFESTS])
def test_a_bad_manifest_is_a_clear_error(tmp_path: Path, name: str, text: str, what: str) -> None:
    root = build(tmp_path, {f"app/{name}": text, "core/package.json": '{"name": "core"}'})
    with pytest.raises(ConfigError, match=what) as err:
        internal_dependencies(root, [Member("app", "app"), Member("core", "core")])
    message = str(err.value)
    assert f"app/{name}" in message and "fix:" in message


def test_undecodable_manifest(tmp_path: Path) -> None:
    root = build(tmp_path, {"app/package.json": ""})
    (root / "app/package.json").write_bytes(b'{"name": "\xff"}')
    with pytest.raises(ConfigError, match="UTF-8"):
        internal_dependencies(root, [Member("app", "app")])


def test_no_manifest_is_read_outside_the_repository(tmp_path: Path) -> None:
    outside = build(tmp_path / "outside", {"pyproject.toml": CORE})
    root = build(tmp_path / "repo", {"core/pyproject.toml": CORE})
    with pytest.raises(ConfigError, match="leads out of the repository"):
        internal_dependencies(root, [Member("x", "../outside")])
    (root / "app").mkdir()
    os.symlink(outside / "pyproject.toml", root / "app" / "pyproject.toml")
    with pytest.raises(ConfigError, match="symbolic link"):
        internal_dependencies(root, [Member("app", "app"), Member("shop-core", "core")])


# ---- rewrite: one range changed, every other byte kept ---------------------------------------


def test_rewrite_pyproject_keeps_comments_quotes_and_crlf(shop: Path) -> None:
    path = shop / "packages/cli/pyproject.toml"
    path.write_bytes(CLI.replace("\n", "\r\n").encode())
    deps = internal_dependencies(shop, MEMBERS)
    core, utils = deps[0], deps[1]
    old, new = rewrite(shop, core, ">=2.0.0,<3")
    assert old == path.read_bytes().decode()
    assert new == old.replace(">= 1.2, <2 ;", ">=2.0.0,<3 ;")
    assert "\r\n" in new and "\n" not in new.replace("\r\n", "")
    both = rewrite_text(new, utils, "==0.1.1")
    assert both == old.replace(">= 1.2, <2 ;", ">=2.0.0,<3 ;").replace("==0.1.0", "==0.1.1")
    assert path.read_bytes().decode() == old  # rewrite returns texts; it never writes


SHAPES = (
    """\
[project]
name = "app"
dependencies = [
  "core>=1; python_version < '3.12'",
  "core>=1.1; python_version >= '3.12'",
]
[tool.other]
dependencies = ["core>=1"]
[project.optional-dependencies]
"with.dot" = ['''core (>=1.0)''']
"""
    + '''multi = ["""core==1.0.*"""]'''
    + "\n"
)


def test_rewrite_pyproject_shapes(tmp_path: Path) -> None:
    """Twice the same dependency under markers, a table out of order, odd string kinds."""
    root = build(tmp_path, {"app/pyproject.toml": SHAPES, "core/pyproject.toml": CORE})
    deps = internal_dependencies(root, [Member("app", "app"), Member("core", "core")])
    assert [(d.field, d.spec) for d in deps] == [
        ("project.dependencies", ">=1"),
        ("project.dependencies", ">=1.1"),
        ("project.optional-dependencies.with.dot", "(>=1.0)"),
        ("project.optional-dependencies.multi", "==1.0.*"),
    ]
    text = SHAPES
    for d, new in zip(deps, [">=2", ">=2.0.0", "(>=2.0)", "==2.0.*"], strict=True):
        text = rewrite_text(text, d, new)
    assert text == (
        SHAPES.replace("core>=1;", "core>=2;")
        .replace("core>=1.1;", "core>=2.0.0;")
        .replace("core (>=1.0)", "core (>=2.0)")
        .replace("core==1.0.*", "core==2.0.*")
    )
    assert '[tool.other]\ndependencies = ["core>=1"]' in text


def test_rewrite_package_json_with_an_escaped_key(tmp_path: Path) -> None:
    text = '{"name": "web",\n "dependencies": {"@shop\\/ui": "^1.0.0"}}'
    root = build(tmp_path, {"web/package.json": text, "ui/package.json": '{"name": "@shop/ui"}'})
    deps = internal_dependencies(root, [Member("web", "web"), Member("@shop/ui", "ui")])
    assert rewrite(root, deps[0], "^2.0.0")[1] == text.replace("^1.0.0", "^2.0.0")


@pytest.mark.parametrize("indent", [2, 4, "\t"], ids=["2-space", "4-space", "tab"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_rewrite_package_json_in_place(tmp_path: Path, indent: str | int, newline: str) -> None:
    text = "\ufeff" + web_json(indent).replace("\n", newline)
    root = build(tmp_path, {"js/ui/package.json": ui_json(), "js/web/package.json": text})
    deps = internal_dependencies(root, MEMBERS)
    runtime, peer = deps[0], deps[1]
    old, new = rewrite(root, runtime, "^2.0.0")
    assert old == text
    # Only the value under "dependencies" moves: not the script, not the overrides.
    assert new == text.replace('"@shop/ui": "^1.0.0"', '"@shop/ui": "^2.0.0"')
    assert new.count('"1.0.0"') == 1 and '"echo not a field"' in new
    both = rewrite_text(new, peer, ">=2.0.0 <3.0.0")
    assert both == new.replace('">=1.0.0 <2.0.0"', '">=2.0.0 <3.0.0"')


def test_rewrite_of_an_entry_that_changed_meanwhile_is_refused(shop: Path) -> None:
    dep = internal_dependencies(shop, MEMBERS)[4]
    with pytest.raises(ConfigError, match=re.escape("no entry @shop/ui '^1.0.0'")):
        rewrite_text(web_json().replace("^1.0.0", "^1.1.0"), dep, "^2.0.0")
    python_dep = internal_dependencies(shop, MEMBERS)[0]
    with pytest.raises(ConfigError, match="run the plan again"):
        rewrite_text(CLI.replace("<2", "<3"), python_dep, ">=2")


# ---- release order ---------------------------------------------------------------------------


def dep(
    dependent: str, dependency: str, spec: str = "^1.0.0", field: str = "dependencies"
) -> Dependency:
    return Dependency(dependent, dependency, f"{dependent}/package.json", field, spec, "npm")


def members(*names: str) -> list[Member]:
    return [Member(n, n) for n in names]


def test_a_chain_is_ordered_dependencies_first() -> None:
    chain = [dep("c", "b"), dep("b", "a")]
    assert release_order(members("c", "b", "a"), chain) == ["a", "b", "c"]


def test_a_fan_out_keeps_config_order_for_ties() -> None:
    fan = [dep("web", "core"), dep("cli", "core"), dep("api", "core"), dep("api", "cli")]
    assert release_order(members("web", "api", "cli", "core", "docs"), fan) == [
        "core",
        "web",
        "cli",
        "api",
        "docs",
    ]


def test_development_ranges_do_not_order_publishing() -> None:
    deps = [dep("a", "b"), dep("b", "a", field="devDependencies")]
    assert release_order(members("a", "b"), deps) == ["b", "a"]


def test_an_extra_orders_publishing_only_where_it_can() -> None:
    """opentelemetry-python: sdk[file-configuration] needs configuration, which needs sdk."""
    deps = [
        dep("sdk", "configuration", field="optionalDependencies"),
        dep("configuration", "sdk"),
        dep("exporter", "helper", field="optionalDependencies"),
    ]
    assert release_order(members("configuration", "sdk", "exporter", "helper"), deps) == [
        "sdk",
        "configuration",
        "helper",
        "exporter",
    ]


def test_a_cycle_is_named_with_its_fix() -> None:
    deps = [
        dep("a", "b", field="optionalDependencies"),
        dep("b", "c"),
        dep("c", "b"),
        dep("d", "a"),
    ]
    with pytest.raises(ConfigError) as err:
        release_order(members("a", "b", "c", "d"), deps)
    message = str(err.value)
    assert "b -> c -> b" in message and "b/package.json, c/package.json" in message
    assert "fix: drop one of these dependencies" in message


# ---- cascade ---------------------------------------------------------------------------------


def patch(versions: dict[str, str]) -> object:
    def next_version(member: str) -> str:
        major, minor, micro = versions[member].split(".")
        return f"{major}.{minor}.{int(micro) + 1}"

    return next_version


CURRENT = {"a": "1.0.0", "b": "1.0.0", "c": "1.0.0", "d": "1.0.0"}


def run(released: dict[str, str], deps: list[Dependency], **policy: str) -> Cascade:
    return cascade(released, deps, policy, patch(CURRENT))  # type: ignore[arg-type]


def test_follow_releases_a_dependent_only_when_its_range_breaks() -> None:
    chain = [dep("b", "a", "^1.0.0"), dep("c", "b", "^1.0.0")]
    minor = run({"a": "1.1.0"}, chain)
    assert minor == Cascade({}, [], [])
    major = run({"a": "2.0.0"}, chain)
    assert major.bumps == {"b": "dependency a 2.0.0"}  # b at 1.0.1 still fits c's ^1.0.0
    assert major.edits == [(chain[0], "^2.0.0")]


def test_an_exact_pin_carries_the_cascade_down_the_chain() -> None:
    chain = [dep("b", "a", "1.0.0"), dep("c", "b", "1.0.0"), dep("d", "c", "~1.0.0")]
    result = run({"a": "1.0.1"}, chain)
    assert result.bumps == {"b": "dependency a 1.0.1", "c": "dependency b 1.0.1"}
    assert result.edits == [(chain[0], "1.0.1"), (chain[1], "1.0.1")]
    # The same chain listed the other way round: the cascade goes on until nothing moves.
    backwards = run({"a": "1.0.1"}, chain[::-1])
    assert backwards.bumps == result.bumps
    assert sorted(backwards.edits, key=str) == sorted(result.edits, key=str)


def test_always_releases_every_dependent_and_edits_only_broken_ranges() -> None:
    chain = [dep("b", "a", "^1.0.0"), dep("c", "b", "^1.0.0")]
    result = run({"a": "1.1.0"}, chain, b="always", c="always")
    assert result.bumps == {"b": "dependency a 1.1.0", "c": "dependency b 1.0.1"}
    assert result.edits == []


def test_fan_out_with_follow_always_and_off() -> None:
    fan = [dep("b", "a", "^1.0.0"), dep("c", "a", "~1.0.0"), dep("d", "a", "1.0.0")]
    result = run({"a": "2.0.0"}, fan, c="always", d="off")
    assert result.bumps == {"b": "dependency a 2.0.0", "c": "dependency a 2.0.0"}
    assert result.edits == [(fan[0], "^2.0.0"), (fan[1], "~2.0.0")]
    assert result.stale == [(fan[2], "2.0.0")]
    quiet = run({"a": "1.0.5"}, fan, c="always", d="off")
    assert quiet.bumps == {"c": "dependency a 1.0.5"}
    assert quiet.stale == [(fan[2], "1.0.5")]


def test_a_dev_range_is_edited_but_releases_nothing() -> None:
    deps = [dep("b", "a", "^1.0.0", field="devDependencies")]
    assert run({"a": "2.0.0"}, deps) == Cascade({}, [(deps[0], "^2.0.0")], [])


def test_a_dependent_released_anyway_gets_its_edit_and_no_reason() -> None:
    deps = [dep("b", "a", "^1.0.0"), dep("c", "a", "^1.0.0"), dep("c", "b", "^1.0.0")]
    result = run({"a": "2.0.0", "c": "1.1.0"}, deps)
    assert result.bumps == {"b": "dependency a 2.0.0"}
    assert [e[1] for e in result.edits] == ["^2.0.0", "^2.0.0"]


def test_two_reasons_are_both_named() -> None:
    deps = [dep("c", "a", "1.0.0"), dep("c", "b", "1.0.0")]
    result = run({"a": "1.0.1", "b": "1.0.1"}, deps)
    assert result.bumps == {"c": "dependency a 1.0.1, dependency b 1.0.1"}


def test_a_cycle_under_always_reaches_a_fixed_point() -> None:
    deps = [dep("a", "b"), dep("b", "a")]
    result = run({"a": "1.0.1"}, deps, a="always", b="always")
    assert result.bumps == {"b": "dependency a 1.0.1"}


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ConfigError, match="write one of follow, always, off"):
        run({"a": "2.0.0"}, [dep("b", "a")], b="sometimes")
