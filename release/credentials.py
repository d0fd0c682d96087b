"""Whether a credential file's text holds a literal credential, said without repeating it.

A committed `.npmrc` with `package-lock=false`, or one that reads its token from
`${NPM_TOKEN}`, holds nothing secret; one with the token written out does.
"""

from __future__ import annotations

import re

# Keys whose value is a credential: npm (`//host/:_authToken`, `_auth`, `_password`),
# .pypirc (`password`), and the usual names in .env files.
_NPMRC_KEY = re.compile(r"(^|:)(_authToken|_auth|_password|password)$", re.IGNORECASE)
_ENV_KEY = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|AUTH|CREDENTIAL|PRIVATE_?KEY)", re.IGNORECASE
)
_REFERENCE = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}?$")
# An npmrc key holds colons (`//host/:_authToken`); only .pypirc (configparser) also
# separates with one.
_LINE = re.compile(r"^\s*(?:export\s+)?([^=#;\s][^=]*?)\s*=\s*(.*?)\s*$")
_PYPIRC_LINE = re.compile(r"^\s*([^=:#;\s][^=:]*?)\s*[=:]\s*(.*?)\s*$")


def literal_credentials(name: str, text: str) -> list[str]:
    """`FILE:LINE (KEY)` for each credential written out literally in the file's text.

    >>> literal_credentials(".npmrc", "package-lock=false\\n")
    []
    >>> literal_credentials(".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\\n")
    []
    >>> literal_credentials(".npmrc", "//r.example/:_authToken=npm_abc\\n")
    ['.npmrc:1 (//r.example/:_authToken)']
    >>> literal_credentials(".pypirc", "[pypi]\\nusername = __token__\\npassword = pypi-x\\n")
    ['.pypirc:3 (password)']
    >>> literal_credentials(".env", "DEBUG=1\\nexport API_TOKEN='abc'\\nSECRET=\\n")
    ['.env:2 (API_TOKEN)']
    """
    base = name.rsplit("/", 1)[-1].lower()
    key_pattern = _NPMRC_KEY if base in (".npmrc", ".pypirc") else _ENV_KEY
    line_pattern = _PYPIRC_LINE if base == ".pypirc" else _LINE
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        match = line_pattern.match(line)
        if not match or line.lstrip().startswith(("#", ";", "[")):
            continue
        key, value = match.group(1), match.group(2).strip("'\"")
        if key_pattern.search(key) and value and not _REFERENCE.match(value):
            found.append(f"{name}:{number} ({key})")
    return found
