"""``flask fs``: a file manager and migration tool for an app's storages; plugins add their
own commands (``flask fs images rerender``) with the same helpers.

============================  ==================================================  ==============
commands                      what                                                module
============================  ==================================================  ==============
``plugins``, ``storages``     what is installed and configured                    ``info``
``ls``, ``stat``, ``du``      listing, metadata, totals by folder                 ``listing``
``cat``, ``put``, ``get``     content to stdout, files in and out                 ``content``
``rm``, ``cp``, ``mv``        changes in and between storages                     ``changes``
``url``, ``sign``             public and signed URLs                              ``links``
``sync``                      copy what is missing or different                   ``syncing``
``verify``, ``orphans``,      checksums, copies, what nothing should hold,        ``checks``
``clean``                     leftovers of interrupted writes
============================  ==================================================  ==============

The helpers plugins use are this module's public names (see :mod:`fs_core.cli.helpers`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from flask.cli import AppGroup

from ..errors import BackendError, FileNotFound, FSError
from .helpers import (
    USED,
    Duration,
    ExitCode,
    Progress,
    confirm,
    duration,
    echo_json,
    human_size,
    jobs_option,
    json_option,
    lookup_location,
    lookup_storage,
    names_local_folder,
    shown,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FSState

__all__ = [
    "Duration",
    "ExitCode",
    "FSGroup",
    "Progress",
    "confirm",
    "duration",
    "echo_json",
    "human_size",
    "jobs_option",
    "json_option",
    "lookup_location",
    "lookup_storage",
    "make_cli",
    "shown",
]


class FSGroup(AppGroup):
    """The ``flask fs`` group. Its commands (plugins' included) run in the app's context
    (``@cli.command()`` wraps them as Flask's ``AppGroup`` does), report the core's errors
    as a message and exit status 1 rather than a traceback, and stop on Ctrl-C with status
    130 (what was being written is discarded by the backends)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BackendError as exc:
            used = ctx.meta.get(USED, {})
            where = ", ".join(f"{name} on the {backend!r} backend" for name, backend in used.items())
            message = shown(str(exc))
            # A backend that knows what to check said it in its message: not said twice.
            advice = (
                ""
                if exc.advice
                else " Check that the service is reachable and the storage's settings (flask fs storages)."
            )
            raise click.ClickException(
                f"{message} (BackendError{f'; working on {shown(where)}' if where else ''}).{advice} "
                "Then run the command again."
            ) from exc
        except FileNotFound as exc:
            storages = [name for name in ctx.meta.get(USED, {}) if not names_local_folder(name)]
            hint = f" in {shown(', '.join(storages))}" if storages else ""
            listing = f": flask fs ls {shown(storages[0])} shows what it holds" if len(storages) == 1 else ""
            raise click.ClickException(f"{shown(str(exc))} (FileNotFound{hint}){listing}.") from exc
        except FSError as exc:
            raise click.ClickException(f"{shown(str(exc))} ({type(exc).__name__})") from exc
        except OSError as exc:  # a local file or folder given on the command line
            raise click.ClickException(shown(str(exc))) from exc
        except KeyboardInterrupt:
            click.echo("\nInterrupted: what was being written was discarded.", err=True)
            ctx.exit(ExitCode.INTERRUPTED)


def make_cli(state: FSState) -> click.Group:
    """The ``flask fs`` group of one application, with the plugins' commands added."""
    from . import changes, checks, content, info, links, listing, syncing

    group = FSGroup("fs", help="File storages: browse, copy, sync and check their files.")
    for module in (info, listing, content, changes, links, syncing, checks):
        for command in module.COMMANDS:
            group.add_command(command)
    state.plugins.hook.register_commands(cli=group)
    return group
