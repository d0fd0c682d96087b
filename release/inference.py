"""What a repository holds, read without changing it: one frozen value with the evidence for
each answer (tag format, branch, version source, scheme, changelog, targets, commands)."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release.calver import recognise, recognise_start
from release.config.settings import FRAGMENT_BUMPS
from release.errors import VersionError
from release.history import tag_glob, tag_version
from release.ops.git import Git
from release.version import Version

HAND_WRITTEN = tuple(
    f"{stem}{suffix}"
    for stem in ("CHANGELOG", "CHANGES", "NEWS", "HISTORY")
    for suffix in (".md", ".rst", ".txt", "")
)
_VERSIONED = re.compile(r"^(?P<prefix>.*?)(?P<version>\d+\.\d+\.\d+\S*)$")
_NPM_NO_TEST = "no test specified"


@dataclass(frozen=True)
class Answer:
    """One inferred setting: its value (None: could not tell) and why."""

    value: Any
    why: str


@dataclass(frozen=True)
class Inference:
    """Everything `init` and `plan --path` read from a repository."""

    name: Answer
    tag_format: Answer
    branch: Answer
    version_files: Answer  # list[str]; [] when the tag is the truth
    scheme: Answer  # "pep440" | "semver" | None (the config's default)
    calver: Answer  # a CalVer format or ""
    calver_start: Answer  # 1 when the CalVer periods count from 1, else 0
    changelog: Answer  # dict: mode, file, fragments, bump
    targets: Answer  # list of dicts, one per target
    test: Answer  # a command or None

    def answers(self) -> list[tuple[str, Answer]]:
        return [
            ("name", self.name),
            ("tag format", self.tag_format),
            ("branch", self.branch),
            ("version files", self.version_files),
            ("scheme", self.scheme),
            ("calver", self.calver),
            *([("calver start", self.calver_start)] if self.calver.value else []),
            ("changelog", self.changelog),
            ("targets", self.targets),
            ("test command", self.test),
        ]

    def unknown(self) -> list[str]:
        """What could not be inferred, said so the user can set it."""
        return [f"{label}: {a.why}" for label, a in self.answers() if a.value is None]


def infer(root: Path, tag_format: Answer | None = None) -> Inference:
    """Read the repository at `root` (files and git, never written) and say what it holds.

    `root` may be a package's folder in a monorepo, whose tag spelling (`tag_format`, the
    package's own) was read from the repository's tags by the caller.
    """
    git = Git(root)
    pyproject = read_toml(root / "pyproject.toml")
    package = read_json(root / "package.json")
    project = pyproject.get("project", {}) if pyproject else {}
    name = _name(root, project, package)
    tag_format = tag_format or _tag_format(git, str(name.value).split("/")[-1])
    files = _version_files(root, pyproject, package)
    return Inference(
        name=name,
        tag_format=tag_format,
        branch=Answer(*git.default_branch()),
        version_files=files,
        scheme=_scheme(git, tag_format.value),
        **_calver(git, tag_format.value),
        changelog=_changelog(root, pyproject),
        targets=_targets(pyproject, package),
        test=_test_command(root, pyproject, package),
    )


def read_toml(path: Path) -> dict[str, Any] | None:
    try:
        return tomllib.loads(path.read_text("utf-8")) if path.is_file() else None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8")) if path.is_file() else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def project_name(root: Path) -> Answer:
    """The name `init` gives the project at `root`, and where it comes from."""
    project = (read_toml(root / "pyproject.toml") or {}).get("project", {})
    return _name(root, project, read_json(root / "package.json"))


def tag_spelling(git: Git, name: str) -> Answer:
    """The spelling of the newest release tags, preferring those that name `name`."""
    return _tag_format(git, name)


def _name(root: Path, project: dict[str, Any], package: dict[str, Any] | None) -> Answer:
    if project.get("name"):
        return Answer(str(project["name"]), "pyproject.toml [project] name")
    if package and package.get("name"):
        return Answer(str(package["name"]).split("/")[-1], "package.json name")
    # A folder's name may hold spaces or other characters a config name cannot (it names
    # files): the unsafe runs become '-'.
    folder = re.sub(r"[^A-Za-z0-9._-]+", "-", root.resolve().name).strip("-.") or "project"
    return Answer(folder, "the directory's name (no pyproject.toml or package.json)")


def _tag_format(git: Git, name: str) -> Answer:
    """The spelling of the newest release tags; floating tags (v10, latest) name no release."""
    dates = git.tag_dates("*")
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    floating = []
    for tag, date in dates.items():
        m = _VERSIONED.match(tag)
        prefix = m.group("prefix") if m else None
        if m is None or prefix is None or "{" in prefix or not _parses(m.group("version")):
            floating.append(tag)
            continue
        groups[prefix].append((date, tag))
    ignored = f"; ignored (no full version): {', '.join(sorted(floating)[:5])}" if floating else ""
    if not groups:
        return Answer("v{version}", f"no release tags yet: the default v{{version}}{ignored}")
    # In a monorepo, the spelling that names this project (`name-v1.2.3`, `name@1.2.3`).
    own = [p for p in groups if name and name in p] or list(groups)
    prefix = max(own, key=lambda p: (max(groups[p])[0], len(groups[p])))
    # The newest release is the highest version: tags made the same day (a release and its
    # floating aliases, an rc and its final) would otherwise sort as strings (v9 above v10).
    newest = max((Version.parse(tag[len(prefix) :]), tag) for _, tag in groups[prefix])[1]
    others = [f"{p or '(none)'}: {len(t)} tags" for p, t in groups.items() if p != prefix]
    older = f"; older spellings left aside ({', '.join(others)})" if others else ""
    return Answer(
        prefix + "{version}",
        f"{len(groups[prefix])} tags spelled like {newest} (the newest){older}{ignored}",
    )


def _parses(text: str) -> bool:
    try:
        Version.parse(text)
    except VersionError:
        return False
    return True


def _scheme(git: Git, tag_format: str) -> Answer:
    prefix, _, suffix = tag_format.partition("{version}")
    cores = [t[len(prefix) : len(t) - len(suffix)] for t in git.tags_matching(tag_glob(tag_format))]
    pre = [c for c in cores if (v := tag_version("{version}", c)) and v.is_prerelease]
    semver = [c for c in pre if "-" in c]
    if semver:
        return Answer("semver", f"pre-release tags are spelled the SemVer way ({semver[-1]})")
    if pre:
        return Answer("pep440", f"pre-release tags are spelled the PEP 440 way ({pre[-1]})")
    return Answer(None, "no pre-release tags to tell: the config's default (semver for npm-only)")


def _calver(git: Git, tag_format: str) -> dict[str, Answer]:
    dated = []
    for tag, date in git.tag_dates(tag_glob(tag_format)).items():
        version = tag_version(tag_format, tag)
        if version is not None and not version.is_prerelease:
            dated.append((version, dt.date.fromisoformat(date)))
    found = recognise(dated)
    if found is None:
        no = "the tags do not follow their dates: SemVer-style bumps"
        return {"calver": Answer("", no), "calver_start": Answer(0, no)}
    start = recognise_start(found[0], dated)
    return {
        "calver": Answer(*found),
        "calver_start": Answer(*start) if start else Answer(0, "periods count from 0"),
    }


def _version_files(
    root: Path, pyproject: dict[str, Any] | None, package: dict[str, Any] | None
) -> Answer:
    files: list[str] = []
    whys: list[str] = []
    if pyproject is not None:
        project = pyproject.get("project", {})
        if "version" in project:
            files.append("pyproject.toml:project.version")
            whys.append(f"pyproject.toml has a static version ({project['version']})")
            module = _literal_version_module(root, str(project.get("name", "")))
            if module:
                files.append(f"{module}:__version__")
                whys.append(f"{module} repeats it in __version__")
        elif "version" in project.get("dynamic", []):
            found = _dynamic(root, pyproject)
            if found is None:
                return Answer([], "pyproject.toml's version is dynamic: the tag is the truth")
            source, why = found
            if source:
                files.append(source)
            whys.append(why)
    if package is not None and "version" in package and not package.get("private"):
        files.append("package.json:version")
        whys.append(f"package.json has version {package['version']}")
    if not files and (root / "VERSION").is_file():
        files.append("VERSION")
        whys.append("a VERSION file")
    if not files and not whys:
        return Answer([], "no version in the files: a tag-only release (the tag is the truth)")
    return Answer(files, "; ".join(whys))


def _dynamic(root: Path, pyproject: dict[str, Any]) -> tuple[str, str] | None:
    """A dynamic version: the file it is read from, or "" when the tag is the truth."""
    tool = pyproject.get("tool", {})
    backend = str(pyproject.get("build-system", {}).get("build-backend", ""))
    requires = " ".join(pyproject.get("build-system", {}).get("requires", []))
    hatch = tool.get("hatch", {}).get("version", {})
    pdm = tool.get("pdm", {}).get("version", {})
    if "setuptools_scm" in tool or "setuptools-scm" in requires or "setuptools_scm" in requires:
        return "", "setuptools-scm computes the version from the tag: the tag is the truth"
    if hatch.get("source") == "vcs":
        return "", "hatch-vcs computes the version from the tag: the tag is the truth"
    if pdm.get("source") == "scm":
        return "", "pdm computes the version from the tag: the tag is the truth"
    path = hatch.get("path") or (pdm.get("path") if pdm.get("source") == "file" else None)
    if path and _has_literal_version(root / path):
        return f"{path}:__version__", f"the build reads the version from {path}"
    attr = tool.get("setuptools", {}).get("dynamic", {}).get("version", {}).get("attr", "")
    module = attr.rsplit(".", 1)[0] if attr.endswith("__version__") else ""
    if "flit" in backend or module:
        name = module or str(pyproject.get("project", {}).get("name", ""))
        found = _literal_version_module(root, name)
        if found:
            return f"{found}:__version__", f"the build reads __version__ from {found}"
    return None


def _literal_version_module(root: Path, module: str) -> str | None:
    module = module.replace("-", "_").replace(".", "/")
    for base in (f"src/{module}", module):
        for name in ("__about__.py", "__init__.py", "_version.py"):
            if _has_literal_version(root / base / name):
                return f"{base}/{name}"
    return None


def _has_literal_version(path: Path) -> bool:
    # Only a literal string: `__version__ = version("x")` is the installed metadata, not a source.
    if not path.is_file():
        return False
    text = path.read_text("utf-8", errors="replace")
    return re.search(r"^__version__\s*(?::\s*str\s*)?=\s*['\"]", text, re.M) is not None


def _changelog(root: Path, pyproject: dict[str, Any] | None) -> Answer:
    towncrier = _towncrier(root, pyproject)
    if towncrier is not None:
        return towncrier
    tool = (pyproject or {}).get("tool", {})
    generator = next((t for t in ("semantic_release", "commitizen") if t in tool), None)
    for name in HAND_WRITTEN:
        if (root / name).is_file() and generator:
            return Answer(
                {"mode": "generate", "file": name},
                f"{name} is written from the commits ([tool.{generator}] is configured): "
                "a release adds the entry",
            )
        if (root / name).is_file():
            return Answer(
                {"mode": "check", "file": name},
                f"{name} is written by hand: a release checks it has an entry (or names "
                "its Unreleased section), writes none",
            )
    return Answer({"mode": "none"}, "no changelog and no towncrier settings: releases write none")


def _towncrier(root: Path, pyproject: dict[str, Any] | None) -> Answer | None:
    where = "towncrier.toml" if (root / "towncrier.toml").is_file() else "pyproject.toml"
    data = read_toml(root / "towncrier.toml") or pyproject or {}
    settings = data.get("tool", {}).get("towncrier")
    if not isinstance(settings, dict):
        return None
    package = settings.get("package", "")
    directory = settings.get("directory") or (
        str(Path(settings.get("package_dir", ".")) / package / "newsfragments")
        if package
        else "newsfragments"
    )
    filename = settings.get("filename", "NEWS.rst")
    types = [t.get("directory") for t in settings.get("type", []) if isinstance(t, dict)]
    if isinstance(settings.get("type"), dict):
        types = list(settings["type"])
    bump = {t: FRAGMENT_BUMPS.get(t, "patch") for t in types if t} or None
    value: dict[str, Any] = {
        "mode": "generate",
        "file": filename,
        "fragments": Path(directory).as_posix(),
    }
    if bump:
        value["bump"] = bump
    return Answer(
        value,
        f"the project's own towncrier settings in {where}: fragments in {directory}, "
        f"written to {filename}" + (f", types {', '.join(bump)}" if bump else ""),
    )


def _targets(pyproject: dict[str, Any] | None, package: dict[str, Any] | None) -> Answer:
    targets: list[dict[str, Any]] = []
    whys: list[str] = []
    if pyproject is not None and pyproject.get("project", {}).get("name"):
        classifiers = pyproject["project"].get("classifiers", [])
        if "Private :: Do Not Upload" in classifiers:
            whys.append("pyproject.toml says Private :: Do Not Upload: no PyPI target")
        else:
            targets.append({"kind": "pypi"})
            whys.append("a distributable pyproject.toml: PyPI")
    if package is not None and package.get("name"):
        if package.get("private"):
            whys.append("package.json is private: no npm target")
        else:
            publish = package.get("publishConfig", {})
            target: dict[str, Any] = {"kind": "npm"}
            for key in ("registry", "access", "tag"):
                if isinstance(publish.get(key), str):
                    target[key] = publish[key]
            targets.append(target)
            honoured = f" (publishConfig: {', '.join(sorted(publish))})" if publish else ""
            whys.append(f"a public package.json: npm{honoured}")
            if str(package["name"]).startswith("@") and "access" not in target:
                # npm publishes a scoped package as restricted unless told otherwise; a
                # package.json that is not private means to be public.
                target["access"] = "public"
                whys.append("a scoped package that is not private: access = public")
    return Answer(targets, "; ".join(whys) or "nothing to publish: a tag-only release")


def _test_command(
    root: Path, pyproject: dict[str, Any] | None, package: dict[str, Any] | None
) -> Answer:
    scripts = (package or {}).get("scripts", {})
    test = scripts.get("test", "") if isinstance(scripts, dict) else ""
    if test and _NPM_NO_TEST not in test:
        build = "npm run build && " if "build" in scripts else ""
        return Answer(
            f"{build}npm test", "package.json scripts: test" + (", build" if build else "")
        )
    noxfile = root / "noxfile.py"
    if noxfile.is_file():
        session = re.search(
            r"@nox\.session[^\n]*\n(?:@[^\n]*\n)*def (tests?)\(", noxfile.read_text("utf-8")
        )
        if session:
            return Answer(
                f"nox -s {session.group(1)}", f"noxfile.py has a {session.group(1)} session"
            )
    if (root / "tox.ini").is_file() or "tox" in ((pyproject or {}).get("tool", {})):
        return Answer("tox", "tox is configured")
    return Answer(None, "no npm test script, nox tests session or tox configuration")
