"""``flask store …``: the background saves of this machine's spool, from a shell.

    flask store uploads [--failed]   the uploads not stored yet, as JSON lines
    flask store retry [ID_OR_NAME]   queue failed uploads again (all without an argument)
    flask store discard ID_OR_NAME   drop a failed upload and its content
    flask store resume               take over pending uploads whose process died

``retry`` and ``resume`` wait for the transfers they started (``--no-wait`` does not) and
exit with status 1 if any failed again.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

__all__ = ["commands"]

commands = AppGroup("store", help="Flask-Store's background saves (fs-store).")


def _background() -> Any:
    return current_app.extensions["store"].background


def _report(uploads, wait: bool) -> None:  # type: ignore[no-untyped-def]
    background = _background()
    if wait:
        background.wait()
    still = {u.id for u in background.failed()}
    for upload in uploads:
        click.echo(f"{'failed' if upload.id in still else 'queued' if not wait else 'stored'} {upload.name}")
    if wait and still & {u.id for u in uploads}:
        raise SystemExit(1)


@commands.command("uploads")
@click.option("--failed", "only_failed", is_flag=True, help="Only the uploads that gave up.")
def uploads(only_failed: bool) -> None:
    """The uploads of this machine's spool that are not stored yet."""
    background = _background()
    for upload in background.failed() if only_failed else background.uploads():
        click.echo(json.dumps(dataclasses.asdict(upload)))


@commands.command("retry")
@click.argument("which", required=False)
@click.option("--wait/--no-wait", default=True, help="Wait for the transfers (default).")
def retry(which: str | None, wait: bool) -> None:
    """Queue failed uploads again: one (its id or name), or all."""
    _report(_background().retry(which), wait)


@commands.command("discard")
@click.argument("which")
def discard(which: str) -> None:
    """Drop a failed upload (its id or name) and its content."""
    for upload in _background().discard(which):
        click.echo(f"discarded {upload.name}")


@commands.command("resume")
@click.option("--wait/--no-wait", default=True, help="Wait for the transfers (default).")
def resume(wait: bool) -> None:
    """Take over the pending uploads whose process died."""
    _report(_background().resume(), wait)
