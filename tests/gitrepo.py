"""Real git repositories for tests, built in tmp_path with a fixed identity."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path


class Repo:
    """A git work tree the tests write files and commits into."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout.strip()

    def write(self, path: str, text: str) -> Path:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def commit(self, message: str, files: dict[str, str] | None = None) -> str:
        """Commit `files` (or a unique change) with `message`; return the new sha."""
        if files is None:
            counter = self.root / ".counter"
            n = int(counter.read_text()) + 1 if counter.exists() else 1
            files = {".counter": str(n)}
        for path, text in files.items():
            self.write(path, text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, rev: str = "HEAD") -> None:
        self.git("tag", "-a", name, "-m", f"release {name}", rev)

    def snapshot(self) -> dict[str, str]:
        """A digest of every file in the work tree and in .git (index, refs, config, objects)."""
        digests = {}
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                digests[str(path.relative_to(self.root))] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
        return digests

    def user_state(self) -> dict[str, str]:
        """What a user owns: work tree, index, HEAD, config and every ref.

        Leaves out what a push may legitimately write without changing anything of the
        user's: fetched objects, FETCH_HEAD, and the tool's own state under .git/release/.
        """
        state = {
            name: digest
            for name, digest in self.snapshot().items()
            if not name.startswith(".git/") or name in (".git/index", ".git/HEAD", ".git/config")
        }
        state["refs"] = self.git("for-each-ref", "--format=%(refname) %(objectname)")
        return state
