"""`python -m release`: the same entry point as the `release` console script."""

import importlib.util
import os
import sys


def _own_imports() -> None:
    """Make the tool's imports resolve to the tool, never to the current directory.

    `python -m` puts the current directory first on the import path, so a project's
    own `semantic_release/` (or any package named like one of ours) would shadow the
    installed one, and a `release/` folder there can even stand in for this package.
    """
    if not sys.flags.safe_path and sys.path and sys.path[0] in ("", ".", os.getcwd()):
        del sys.path[0]
    here = os.path.dirname(os.path.abspath(__file__))
    package = sys.modules.get("release")
    found = getattr(package, "__file__", None)
    if found and os.path.dirname(os.path.abspath(found)) == here:
        return
    for name in [n for n in sys.modules if n == "release" or n.startswith("release.")]:
        del sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        "release", os.path.join(here, "__init__.py"), submodule_search_locations=[here]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["release"] = module
    spec.loader.exec_module(module)


_own_imports()

from release.cli import run  # noqa: E402 - only once the imports are the tool's own

run()
