"""PyPI-compatible indexes: ask what is published, upload with twine, verify an install."""

from __future__ import annotations

import base64
import os
import sys
import urllib.parse
import zipfile
from dataclasses import dataclass
from pathlib import Path

from release.errors import Problem
from release.masking import mask
from release.ops import scratch
from release.ops.build import uv_binary
from release.ops.http import (
    NotARegistry,
    RegistryError,
    RegistryUnavailable,
    request,
    wait_for,
)
from release.ops.process import Result, run


@dataclass(frozen=True)
class Index:
    """One PyPI-compatible index: where to upload, where to read, and who we are there."""

    name: str
    upload_url: str
    simple_url: str
    username: str
    password: str
    trusted: bool = False  # twine mints a token through OIDC (PyPI trusted publishing)

    def auth_header(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}


def default_simple_url(upload_url: str) -> str:
    """Where an index lists its files, from where it takes uploads."""
    known = {
        "https://upload.pypi.org/legacy/": "https://pypi.org/simple/",
        "https://test.pypi.org/legacy/": "https://test.pypi.org/simple/",
    }
    if upload_url in known:
        return known[upload_url]
    base = upload_url if upload_url.endswith("/") else upload_url + "/"
    return urllib.parse.urljoin(base, "simple/")


class _Links:
    """The file links (and PEP 629's API version) of a simple-API project page."""

    def __init__(self) -> None:
        self.files: list[str] = []
        self.sha256: dict[str, str] = {}
        self.api_version = False  # PEP 629's <meta name="pypi:repository-version">

    def feed(self, page: str) -> None:
        from html.parser import HTMLParser  # loaded when an index is first read

        links = self

        class _Parser(HTMLParser):
            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                links.start(tag, dict(attrs))

        parser = _Parser()
        parser.feed(page)
        parser.close()

    def start(self, tag: str, found: dict[str, str | None]) -> None:
        if tag == "a":
            href = found.get("href") or ""
            path, _, fragment = href.partition("#")
            name = urllib.parse.unquote(path.rsplit("/", 1)[-1])
            self.files.append(name)
            algorithm, _, digest = fragment.partition("=")
            if algorithm == "sha256" and digest:
                self.sha256[name] = digest.lower()
        elif tag == "meta" and found.get("name") == "pypi:repository-version":
            self.api_version = True


def _not_an_index(index: Index, url: str, answer: str) -> NotARegistry:
    return NotARegistry(
        Problem(
            f"{index.name}: this is not a PyPI-compatible index ({mask(url)} {answer})",
            f"targets.{index.name}",
            "set url (and simple_url) to the index's upload and simple API endpoints, "
            "e.g. https://upload.pypi.org/legacy/ and https://pypi.org/simple/",
        )
    )


def published_files(index: Index, distribution: str) -> dict[str, str]:
    """Files the index lists for a distribution, each with its version (empty when unknown)."""
    parser = _listing(index, distribution)
    return {name: v for name in parser.files if (v := _file_version(name))}


def published_hashes(index: Index, distribution: str, version: str) -> dict[str, str]:
    """The files of one version on the index, each with the sha256 the simple API gives
    (the PEP 503 `#sha256=` fragment; empty when the index gives none)."""
    parser = _listing(index, distribution)
    return {
        name: parser.sha256.get(name, "") for name in parser.files if _file_version(name) == version
    }


def _listing(index: Index, distribution: str) -> _Links:
    from packaging.utils import canonicalize_name

    url = urllib.parse.urljoin(index.simple_url, f"{canonicalize_name(distribution)}/")
    status, body = request(url, headers=index.auth_header() if index.password else None)
    if status == 404:
        return _Links()
    if status != 200:
        error = RegistryUnavailable if status >= 500 else RegistryError
        raise error(
            Problem(
                f"{mask(url)} answered HTTP {status}",
                index.name,
                "check the index URL and that the credentials may read it",
            )
        )
    parser = _Links()
    parser.feed(body.decode("utf-8", errors="replace"))
    # A project page of the simple API (PEP 503) lists the project's files; a page that
    # lists none and says no API version is some other web page answering 200.
    if not parser.api_version and not any(_file_version(name) for name in parser.files):
        raise _not_an_index(index, url, "answered a page that lists no distribution files")
    return parser


def _file_version(filename: str) -> str | None:
    from packaging.utils import parse_sdist_filename, parse_wheel_filename

    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[1])
    except ValueError:
        return None
    return None


def credentials_rejected(index: Index) -> bool:
    """Whether the index refuses these credentials for uploads, asked without uploading anything.

    An upload request without a file is refused as incomplete (400) by an index
    that accepted the credentials, and with 401/403 by one that did not.
    """
    form = urllib.parse.urlencode({":action": "file_upload", "protocol_version": "1"}).encode()
    headers = {**index.auth_header(), "Content-Type": "application/x-www-form-urlencoded"}
    status, _ = request(index.upload_url, data=form, headers=headers)
    if status not in (400, 401, 403):
        # Only an upload endpoint refuses an upload without a file; 200 is a web page.
        raise _not_an_index(
            index, index.upload_url, f"answered HTTP {status} to an upload without a file"
        )
    return status in (401, 403)


def remove_release(index: Index, distribution: str, version: str) -> bool:
    """Delete a release from an index that allows it (pypiserver does; PyPI does not)."""
    from packaging.utils import canonicalize_name

    headers = {**index.auth_header(), "Content-Type": "application/x-www-form-urlencoded"}
    # pypiserver matches the name as spelled in the file names (`demo_greeter`), not as
    # normalised (`demo-greeter`): try each spelling.
    spellings = dict.fromkeys(
        [distribution, distribution.replace("-", "_"), str(canonicalize_name(distribution))]
    )
    for name in spellings:
        form = urllib.parse.urlencode(
            {":action": "remove_pkg", "name": name, "version": version}
        ).encode()
        status, _ = request(index.upload_url, data=form, headers=headers)
        if status == 200:
            return True
    return False


def twine_env(index: Index) -> dict[str, str]:
    """The whole environment twine runs in: credentials travel here, never on its command line.

    For trusted publishing no password may reach twine at all, not even an inherited
    TWINE_PASSWORD: twine asks the CI for an OIDC token only when it has none.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("TWINE_USERNAME", "TWINE_PASSWORD")}
    env["TWINE_USERNAME"] = index.username
    env["TWINE_NON_INTERACTIVE"] = "1"
    if not index.trusted:
        env["TWINE_PASSWORD"] = index.password
    return env


def upload(index: Index, files: list[Path]) -> Result:
    return run(
        [
            sys.executable,
            "-m",
            "twine",
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            index.upload_url,
            *map(str, files),
        ],
        env=twine_env(index),
        inherit_env=False,
        timeout=600,
    )


def has_version(index: Index, distribution: str, version: str) -> bool:
    return version in published_files(index, distribution).values()


def held_versions(index: Index, distribution: str) -> set[str]:
    """Every version the index lists files for (deleted files are not listed)."""
    return set(published_files(index, distribution).values())


def wait_until_listed(
    index: Index, distribution: str, version: str, *, timeout: float
) -> tuple[int, float]:
    """Poll until `version` is listed; return (attempts, seconds). Bounded by `timeout`."""
    return wait_for(
        lambda: has_version(index, distribution, version),
        timeout=timeout,
        gave_up=lambda attempts: Problem(
            f"{distribution} {version} is not listed on {index.name} after {timeout:.0f} s "
            f"({attempts} checks)",
            index.name,
            "the upload was accepted; check the index, then rerun the verification",
        ),
    )


def isolated_pip_env() -> dict[str, str]:
    """An environment in which pip sees this index alone: no config files, no extra indexes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_CACHE_DIR="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
    )
    return env


def isolated_uv_env() -> dict[str, str]:
    """uv's counterpart of isolated_pip_env: no uv.toml or pyproject settings, no UV_* or
    PIP_* variable from the user, no cache (the files come from the index), no downloads
    of Python builds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env.update(
        UV_NO_CONFIG="1",
        UV_NO_CACHE="1",
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        UV_KEYRING_PROVIDER="disabled",
    )
    return env


def install_in_fresh_venv(
    index: Index,
    requirement: str,
    where: Path,
    *,
    installer: str | None = None,
    dependencies: str | None = None,
    requires: bool = True,
) -> Path:
    """Install `requirement` from the index alone into a new venv; return its bin directory.

    The release itself comes from the index alone: the index URL, which may carry
    credentials, reaches the installer through its environment (never the command line);
    no config file and no other PIP_*/UV_* variable is seen. uv when installed, pip
    otherwise (`installer` forces one). Its dependencies come from `dependencies` (an index
    URL), or from the user's own configuration when None: an index holding only the
    release must not fail a release that has dependencies. A release that `requires`
    nothing (its wheel names no Requires-Dist) skips that second install.
    """
    venv = where / "venv"
    python = venv / "bin" / "python"
    uv = uv_binary() if installer != "pip" else None
    if uv is not None:
        env = {**isolated_uv_env(), "UV_DEFAULT_INDEX": _with_credentials(index)}
        run(
            [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
            env=env,
            inherit_env=False,
        )
        command = [uv, "pip", "install", "--quiet", "--python", str(python)]
        deps_env = dependency_uv_env(index, dependencies)
    else:
        run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
        env = {**isolated_pip_env(), "PIP_INDEX_URL": _with_credentials(index)}
        command = [sys.executable, "-m", "pip", "--python", str(python), "install"]
        deps_env = dependency_pip_env(dependencies)
    run([*command, "--no-deps", requirement], env=env, inherit_env=False, timeout=600)
    if requires:
        # The release is installed now: only what it requires is resolved and added.
        run([*command, requirement], env=deps_env, timeout=600)
    return venv / "bin"


def dependency_uv_env(index: Index, dependencies: str | None) -> dict[str, str]:
    """What uv adds to the user's environment (and uv config) to add a release's dependencies.

    The target comes first (uv takes each package from the first index that has it, so the
    installed release stays the target's), then `dependencies`, or the user's own indexes:
    UV_* settings, else the PIP_INDEX_URL / PIP_EXTRA_INDEX_URL a pip user has set.
    """
    env = {"UV_NO_PROGRESS": "1", "UV_PYTHON_DOWNLOADS": "never"}
    extra = os.environ.get("UV_INDEX") or os.environ.get("PIP_EXTRA_INDEX_URL", "")
    env["UV_INDEX"] = f"{_with_credentials(index)} {extra}".strip()
    default = dependencies or os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("PIP_INDEX_URL")
    if default:
        env["UV_DEFAULT_INDEX"] = default
    return env


def dependency_pip_env(dependencies: str | None) -> dict[str, str]:
    """What pip adds to the user's environment to fetch a release's dependencies."""
    env = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    if dependencies:
        env["PIP_INDEX_URL"] = dependencies
    return env


def wheel_requires(wheel: Path) -> bool:
    """Whether a wheel requires other distributions (a Requires-Dist in its METADATA)."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = [
            n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
        ]
        if len(metadata) != 1:
            return True  # not a wheel we can read: resolve as for any other
        headers = archive.read(metadata[0]).decode("utf-8", "replace").partition("\n\n")[0]
    return any(line.lower().startswith("requires-dist:") for line in headers.splitlines())


def wheel_top_level(wheel: Path) -> list[str]:
    """The names a wheel makes importable: its top-level packages and modules.

    Read from the wheel itself, because the import name is often not the distribution's
    (PyYAML installs yaml, python-dateutil installs dateutil).
    """
    names: set[str] = set()
    with zipfile.ZipFile(wheel) as archive:
        for entry in archive.namelist():
            top, _, rest = entry.partition("/")
            if top.endswith((".dist-info", ".data")):
                continue
            name = top if rest else _module_name(top)
            if name and name.isidentifier():
                names.add(name)
    return sorted(names)


def _module_name(filename: str) -> str | None:
    if filename.endswith(".py"):
        return filename[: -len(".py")]
    if filename.endswith((".so", ".pyd")):
        return filename.split(".", 1)[0]  # _yaml.cpython-311-x86_64-linux-gnu.so
    return None  # a .pth file or other data at the top


def _with_credentials(index: Index) -> str:
    if not index.password:
        return index.simple_url
    parts = urllib.parse.urlsplit(index.simple_url)
    user = urllib.parse.quote(index.username, safe="")
    password = urllib.parse.quote(index.password, safe="")
    return parts._replace(netloc=f"{user}:{password}@{parts.netloc}").geturl()


def scratch_dir(prefix: str) -> Path:
    # Dead runs' folders go first: a killed run cannot clean up after itself.
    scratch.sweep_once()
    return scratch.make(prefix)
