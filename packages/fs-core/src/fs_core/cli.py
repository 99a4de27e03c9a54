"""``flask fs``: commands to inspect plugins and storages; plugins add their own."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click
from flask.cli import with_appcontext

from .errors import ConfigurationError, FSError
from .leftovers import DEFAULT_LEFTOVER_AGE, Leftover

if TYPE_CHECKING:  # pragma: no cover
    from .state import FSState

__all__ = ["make_cli", "shown"]


def _storage_or_fail(state: FSState, name: str) -> Any:
    try:
        return state.lookup(name)
    except ConfigurationError as exc:
        raise click.UsageError(str(exc)) from None


def shown(text: str) -> str:
    """``text`` safe to print on a terminal: characters that are not printable (escape
    sequences a name on disk or in a bucket may hold) are written as Python escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class _Group(click.Group):
    """A command group whose commands (plugins' included) report the core's errors as a
    message, not a traceback: their messages say what to change."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except FSError as exc:
            raise click.ClickException(f"{shown(str(exc))} ({type(exc).__name__})") from exc


def make_cli(state: FSState) -> click.Group:
    """The ``flask fs`` group of one application, with the plugins' commands added."""

    @click.group("fs", cls=_Group, help="File storages: plugins, storages and files.")
    def fs() -> None:
        pass

    @fs.command("plugins")
    @click.option("--all", "include_core", is_flag=True, help="Include fs-core's built-in plugin.")
    def plugins(include_core: bool) -> None:
        """List installed plugins, their versions, hooks and backends as JSON."""
        click.echo(json.dumps(state.plugins.describe(include_core=include_core), indent=2))

    @fs.command("storages")
    @with_appcontext
    def storages() -> None:
        """List the app's storages and their backends as JSON."""
        rows = []
        for name, bound in sorted(state.bound.items()):
            rows.append(
                {
                    "name": name,
                    "backend": bound.backend_name,
                    "root": bound.backend.root,
                    "private": bound.config.get_bool("private"),
                    "capabilities": sorted(bound.backend.capabilities),
                }
            )
        click.echo(json.dumps(rows, indent=2))

    @fs.command("ls")
    @click.argument("storage")
    @click.argument("prefix", required=False)
    @click.option("-l", "--long", "long_", is_flag=True, help="Show size and modification time.")
    @with_appcontext
    def ls(storage: str, prefix: str | None, long_: bool) -> None:
        """List the files of STORAGE, optionally under the folder PREFIX."""
        store = _storage_or_fail(state, storage)
        count = 0
        for name in sorted(store.list_files(prefix)):
            if long_:
                meta = store.backend.metadata(name)
                click.echo(f"{meta['size']:>12} {meta['modified']:%Y-%m-%d %H:%M:%S} {shown(name)}")
            else:
                click.echo(shown(name))
            count += 1
        click.echo(f"{count} file(s)", err=True)

    @fs.command("clean")
    @click.argument("storage")
    @click.option(
        "--older-than",
        default=DEFAULT_LEFTOVER_AGE,
        show_default=True,
        type=click.IntRange(min=0),
        help="Only what was last written this many seconds ago or more (younger ones may "
        "belong to writes still in progress).",
    )
    @click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
    @with_appcontext
    def clean(storage: str, older_than: int, dry_run: bool) -> None:
        """Remove what interrupted writes left in STORAGE (temporary files, unfinished
        uploads, copies set aside while processing)."""
        store = _storage_or_fail(state, storage)
        verb = "would remove" if dry_run else "removing"

        def report(leftover: Leftover) -> None:
            size = "" if leftover.size is None else f" ({leftover.size:,} bytes)"
            click.echo(
                f"{verb}: {leftover.what}{size}, last written {leftover.modified:%Y-%m-%d %H:%M:%S} UTC"
            )

        try:
            found = store.clean_leftovers(older_than, dry_run=dry_run, progress=report)
        except FSError as exc:
            raise click.ClickException(f"{exc} (nothing after the last line above was removed)") from exc
        total = sum(leftover.size or 0 for leftover in found)
        done = "found" if dry_run else "removed"
        click.echo(f"{len(found)} leftover(s) {done}, {total:,} bytes", err=True)

    state.plugins.hook.register_commands(cli=fs)
    return fs
