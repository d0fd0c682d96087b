"""The release's page on its registry, opened in the user's browser (`push --open`)."""

from __future__ import annotations

import urllib.parse
import webbrowser

from release.config.targets import NpmTarget, PypiTarget


def release_page(target: PypiTarget | NpmTarget, names: tuple[str, str], version: str) -> str:
    if isinstance(target, NpmTarget):
        if "registry.npmjs.org" in target.registry:
            return f"https://www.npmjs.com/package/{names[1]}/v/{version}"
        return urllib.parse.urljoin(target.registry, names[1])
    if "upload.pypi.org" in target.url:
        return f"https://pypi.org/project/{names[0]}/{version}/"
    base = target.simple_url or urllib.parse.urljoin(target.url, "simple/")
    return urllib.parse.urljoin(base, f"{names[0]}/")


def open_page(url: str) -> None:
    webbrowser.open(url)
