"""Presenting a plan: a dict for `--json` and text for people, with unified diffs."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from release.errors import VersionError
from release.masking import mask
from release.plan import Plan
from release.setplan import SetPlan

if TYPE_CHECKING:
    from release.screen import Screen

MAX_CHANGES = 200


def plan_to_dict(plan: Plan | SetPlan) -> dict[str, Any]:
    """The machine-readable plan (stable keys; `--json` prints exactly this); a set's has a
    `packages` list, each with the keys of a one-package plan."""
    if isinstance(plan, SetPlan):
        return {
            "project": plan.project,
            "config": plan.config_path,
            "root": plan.root,
            "nothing_to_release": plan.nothing_to_release,
            "why_nothing": plan.why_nothing if plan.nothing_to_release else None,
            "tags": [p.plan.tag for p in plan.releasing],
            "packages": [
                {
                    **_one(p.plan),
                    "path": p.path,
                    "why": p.why,
                    "depends_on": list(p.depends_on),
                    "order": i,
                }
                for i, p in enumerate(plan.packages)
            ],
        }
    return _one(plan)


def _one(plan: Plan) -> dict[str, Any]:
    return {
        "project": plan.project,
        "config": plan.config_path,
        "root": plan.root,
        "head": plan.head,
        "current_version": plan.current_version,
        "current_source": plan.current_source,
        "last_tag": plan.last_tag,
        "version_files": [{"spec": s.spec, "version": s.version} for s in plan.version_files],
        "bump": plan.bump.label if not plan.nothing_to_release else None,
        "bump_source": plan.bump_source,
        "reasons": list(plan.reasons),
        "commits_read": plan.commits_read,
        # The newest changes; a release of 50,000 commits does not need them all on stdout.
        "changes": [
            {
                "sha": c.sha,
                "type": c.type,
                "scope": c.scope,
                "subject": c.subject,
                "bump": c.bump.label,
                "breaking": list(c.breaking),
            }
            for c in plan.changes[:MAX_CHANGES]
        ],
        "changes_total": len(plan.changes),
        "fragments": list(plan.fragments),
        "next_version": plan.next_version_str,
        "next_versions": {
            "pep440": plan.next_version.pep440()
            if plan.next_version and _has_pep440(plan)
            else None,
            "semver": plan.next_version.semver() if plan.next_version else None,
        },
        "tag": plan.tag,
        "nothing_to_release": plan.nothing_to_release,
        "why_nothing": plan.why_nothing or None,
        "files": [f.path for f in plan.files],
        "file_changes": [
            {
                "path": f.path,
                "action": "delete" if f.new is None else ("create" if f.old is None else "modify"),
                "why": f.why,
                "diff": diff(f.path, f.old, f.new),
            }
            for f in plan.files
        ],
        "commands": [
            {"phase": c.phase, "name": c.name, "command": mask(c.command), "env": list(c.env)}
            for c in plan.commands
        ],
        "targets": [
            {
                "name": t.name,
                "kind": t.kind,
                "url": mask(t.url),
                "version": t.version,
                "credentials_env": list(t.credentials),
                "trusted_publishing": t.trusted_publishing,
                "dist_tag": t.dist_tag or None,
                **({"detail": t.detail} if t.detail else {}),  # forge releases only
            }
            for t in plan.targets
        ],
        "notifications": list(plan.notifications),
        "notes": list(plan.notes),
        "release_notes": plan.release_notes or None,
        "changelog_entry": plan.changelog_entry or None,
    }


def _has_pep440(plan: Plan) -> bool:
    try:
        assert plan.next_version is not None
        plan.next_version.pep440()
    except VersionError:  # a token with no PEP 440 form simply has none
        return False
    return True


def diff(path: str, old: str | None, new: str | None) -> str:
    lines = difflib.unified_diff(
        (old or "").splitlines(keepends=True),
        (new or "").splitlines(keepends=True),
        fromfile=f"a/{path}" if old is not None else "/dev/null",
        tofile=f"b/{path}" if new is not None else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def print_set_plan(plan: SetPlan, console: Screen) -> None:
    """A table of the packages (current -> next, why, tag, targets), then each releasing one."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    table.add_column("package", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("tag", no_wrap=True)
    table.add_column("targets", no_wrap=True)
    table.add_column("why", overflow="fold")
    for p in plan.packages:
        current, upcoming = p.plan.current_version or "-", p.plan.next_version_str
        table.add_row(
            p.name,
            f"{current} -> {upcoming}" if upcoming else current,
            p.plan.tag or "-",
            ", ".join(t.name for t in p.plan.targets) or "-",
            escape(mask(p.why if len(p.why) <= 90 else p.why[:89] + "…")),
        )
    title = f"[bold]{escape(plan.project)}[/]: {len(plan.releasing)} of {len(plan.packages)}"
    console.print(f"{title} packages release, as one commit and one atomic push")
    console.print(table)
    for p in plan.releasing:
        print_plan(p.plan, console)


def print_plan(plan: Plan | SetPlan, console: Screen) -> None:
    if isinstance(plan, SetPlan):
        print_set_plan(plan, console)
        return
    # rich only here: `--json` needs none of it (and its syntax highlighter is slow to load).
    from rich.markup import escape
    from rich.syntax import Syntax

    """The plan for a person: what, why, and every change a push would make."""
    out = console.print
    where = f"{escape(plan.root)} @ {plan.head[:12]}"
    out(f"[bold]Release plan for {escape(plan.project)}[/]  ({where})")
    out(f"  current version  {plan.current_version or '-'}  (from {escape(plan.current_source)})")
    for state in plan.version_files:
        out(f"    {escape(state.spec)}: {state.version}")
    if plan.nothing_to_release:
        out(f"[yellow]Nothing to release[/]: {escape(plan.why_nothing)}")
        return
    label = "-" if plan.bump_source == "first release" else plan.bump.label
    out(
        f"  bump             {label}  (decided by {escape(plan.bump_source)};"
        f" {plan.commits_read} commits read)"
    )
    for reason in plan.reasons:
        out(f"    - {escape(reason)}")
    out(f"  next version     [bold green]{plan.next_version_str}[/]")
    out(f"  tag              {escape(plan.tag or '-')}")
    for note in plan.notes:
        out(f"  [yellow]note[/] {escape(note)}")
    if plan.changelog_entry:
        out("\n[bold]Changelog entry[/]")
        out(plan.changelog_entry.rstrip(), markup=False)
    out("\n[bold]Files[/]")
    if not plan.files:
        out("  (none)")
    for change in plan.files:
        out(f"  {escape(change.path)}  [dim]({escape(change.why)})[/]")
        text = diff(change.path, change.old, change.new)
        if text:
            console.print(Syntax(text, "diff", theme="ansi_dark", background_color="default"))
    out("[bold]Commands[/]")
    for command in plan.commands:
        env = f"  [dim]env: {', '.join(command.env)}[/]" if command.env else ""
        out(
            f"  {command.phase:<10} {escape(command.name):<18} {escape(mask(command.command))}{env}"
        )
    out("[bold]Targets[/]")
    if not plan.targets:
        out("  (none: a tag-only release)")
    for target in plan.targets:
        tag = f" dist-tag {target.dist_tag}" if target.dist_tag else ""
        creds = ", ".join(target.credentials)
        if target.trusted_publishing:
            creds = "OIDC trusted publishing" + (f" (elsewhere {creds})" if creds else "")
        out(
            f"  {escape(target.name)} ({target.kind}) {escape(mask(target.url))}  "
            f"version {target.version}{tag}  credentials from {creds}"
        )
        if target.detail:
            out(f"    {escape(target.detail)}")
    if plan.notifications:
        out("[bold]Notifications[/]")
    for notification in plan.notifications:
        out(f"  {escape(mask(notification))}")
