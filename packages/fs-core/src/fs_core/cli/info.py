"""``flask fs plugins`` and ``flask fs storages``: what is installed and configured."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..state import get_state
from .helpers import echo_json


@click.command("plugins", short_help="Installed plugins, versions, hooks (JSON).")
@click.option("--all", "include_core", is_flag=True, help="Include fs-core's built-in plugin.")
@with_appcontext
def plugins(include_core: bool) -> None:
    """List installed plugins, their versions, hooks and backends as JSON."""
    echo_json(get_state().plugins.describe(include_core=include_core))


@click.command("storages", short_help="The app's storages and backends (JSON).")
@with_appcontext
def storages() -> None:
    """List the app's storages and their backends as JSON."""
    rows = []
    for name, bound in sorted(get_state().bound.items()):
        rows.append(
            {
                "name": name,
                "backend": bound.backend_name,
                "root": bound.backend.root,
                "private": bound.config.get_bool("private"),
                "capabilities": sorted(bound.backend.capabilities),
            }
        )
    echo_json(rows)


COMMANDS = [plugins, storages]
