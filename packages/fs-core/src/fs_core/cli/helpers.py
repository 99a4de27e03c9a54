"""What every ``flask fs`` command uses, plugins' commands included: finding a storage or a
location from what a user typed, progress bars, confirmations, JSON output, exit statuses
and messages that say what to do next.

A plugin's command gets them from :mod:`fs_core.cli`::

    from fs_core.cli import Progress, confirm, echo_json, json_option, lookup_storage

    @cli.command("reindex")
    @click.argument("storage")
    @json_option
    def reindex(storage, as_json):
        store = lookup_storage(storage)   # a usage error listing the storages if unknown
        ...
"""

from __future__ import annotations

import enum
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

import click

from .. import naming
from ..errors import ConfigurationError
from ..extension import storage_named
from ..locations import Location
from ..state import get_state
from ..storage import Storage

__all__ = [
    "ExitCode",
    "Progress",
    "confirm",
    "duration",
    "echo_json",
    "human_size",
    "jobs_option",
    "json_option",
    "lookup_location",
    "lookup_storage",
    "shown",
]


class ExitCode(enum.IntEnum):
    """The exit statuses of ``flask fs`` commands (scripts and cron jobs test them)."""

    #: Done; nothing failed.
    OK = 0
    #: An error stopped the command (a service down, a configuration to fix): the message
    #: says what to do.
    ERROR = 1
    #: The command line is wrong (an unknown storage, a missing argument).
    USAGE = 2
    #: The command ran to the end, but some files failed or did not verify: the report lists
    #: them, and running it again retries what failed.
    PARTIAL = 3
    #: Stopped by Ctrl-C (or SIGINT); nothing half-written was kept.
    INTERRUPTED = 130


def shown(text: str) -> str:
    """``text`` safe to print on a terminal: characters that are not printable (escape
    sequences a name on disk or in a bucket may hold) are written as Python escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


#: Where a command records the storages it works on (``click.Context.meta``), so that a
#: service's failure can be reported with the storage and its backend.
USED = "fs_core.used"


def _used(label: str, backend: str | None) -> None:
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        used = ctx.meta.setdefault(USED, {})
        used[label] = backend or "?"


def lookup_storage(name: str) -> Storage:
    """The current app's storage ``name``; a usage error (exit 2) that lists the configured
    storages if there is none."""
    try:
        storage = storage_named(name)
    except ConfigurationError as exc:
        raise click.UsageError(str(exc)) from None
    _used(name, get_state().bound[name].backend_name)
    return storage


_LOCAL = re.compile(r"^(\.{1,2}(/|$)|/|~)")


def names_local_folder(text: str) -> bool:
    """Whether ``text`` (a location as written) names a local folder rather than a storage."""
    return bool(_LOCAL.match(text)) or "/" in text


def lookup_location(text: str, must_exist: bool = False) -> Location:
    """A :class:`~fs_core.locations.Location` from ``STORAGE``, ``STORAGE:FOLDER`` or a local
    folder (written with a ``/``: ``./backup``, ``/srv/files``, ``backup/``); with
    ``must_exist``, a local folder that does not exist is a usage error (a source to read)."""
    state = get_state()
    name, colon, prefix = text.partition(":")
    if name in state and (colon or name == text):
        _used(name, state.bound[name].backend_name)
        return Location.of_storage(state[name], prefix or None)
    if names_local_folder(text):
        path = os.path.expanduser(text)
        if must_exist and not os.path.isdir(path):
            raise click.UsageError(f"No local folder {text!r}")
        location = Location.of_folder(state, path)
        _used(text, location.backend.backend_name)
        return location
    known = ", ".join(sorted(state)) or "none"
    raise click.UsageError(
        f"No storage named {name!r}. Configured storages: {known}. Write a local folder with a "
        f"'/' in it (./{text}) and a folder of a storage as STORAGE:FOLDER."
    )


def typed_name(text: str, what: str = "File name") -> str:
    """A file or folder name as a user typed it, validated: a folder may end with one '/',
    as ``ls`` prints it (``docs/``); ``/`` alone is no name (never the whole storage)."""
    if len(text) > 1 and text.endswith("/"):
        text = text[:-1]
    return naming.validate_name(text, what=what)


def storage_and_name(text: str, what: str = "file") -> tuple[Storage, str]:
    """``STORAGE:NAME`` → the storage and the validated name (see :func:`typed_name`)."""
    name, colon, rest = text.partition(":")
    if not colon:
        raise click.UsageError(f"Give the {what} as STORAGE:NAME, not {text!r}")
    store = lookup_storage(name)
    return store, typed_name(rest, what="File name" if what == "file" else what.capitalize())


def echo_json(data: Any, file: TextIO | None = None) -> None:
    """Print ``data`` as indented JSON (dates as ISO 8601 strings)."""
    click.echo(json.dumps(data, indent=2, default=_jsonable, ensure_ascii=False), file=file)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


#: ``--json``: machine-readable output (the command's parameter is ``as_json``).
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def jobs_option(default: int) -> Callable[[Any], Any]:
    """``-j/--jobs N``: how many files are worked on at a time."""
    return click.option(
        "-j",
        "--jobs",
        default=default,
        show_default=True,
        type=click.IntRange(1, 256),
        help="Files worked on at a time.",
    )


def confirm(question: str, yes: bool = False) -> None:
    """Ask ``question`` and stop (exit 1) unless the answer is yes; ``yes`` (``--yes``) skips
    it. Without a terminal to ask on, it stops and says to pass ``--yes``."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise click.ClickException(f"{question} Not asked: no terminal. Pass --yes to confirm.")
    if not click.confirm(question, default=False, err=True):
        raise click.ClickException("Nothing was changed.")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def duration(text: str | int) -> int:
    """Seconds from ``'3600'``, ``'90s'``, ``'30m'``, ``'12h'``, ``'7d'`` or ``'2w'``."""
    value = str(text).strip().lower()
    match = re.fullmatch(r"(\d+)\s*([smhdw]?)", value)
    if not match:
        raise click.BadParameter(f"{text!r} is not a duration: give seconds, or 30m, 12h, 7d, 2w")
    return int(match[1]) * _UNITS[match[2] or "s"]


class Duration(click.ParamType):  # type: ignore[type-arg]  # (generic in click 8.2+ only)
    """A click parameter type for :func:`duration`."""

    name = "duration"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        if isinstance(value, int):
            return value
        return duration(value)


def human_size(size: float) -> str:
    """``1.5 MiB``, ``512 B``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


class Progress:
    """A progress bar of files and bytes (rate and time left) on stderr, shown only when
    stderr is a terminal: logs and pipes get the summary alone.

    Thread-safe: workers call :meth:`add_bytes` as bytes move, and the bar is redrawn at most
    ten times a second::

        with Progress("Copying", files=len(names), nbytes=total) as progress:
            ...
            progress.add_bytes(len(chunk))   # from any thread
            progress.add_file()
    """

    def __init__(self, label: str, files: int = 0, nbytes: int = 0, *, enabled: bool | None = None) -> None:
        self.label = label
        self.files_total = files
        self.bytes_total = nbytes
        self.files = 0
        self.bytes = 0
        self.enabled = _stderr_is_terminal() if enabled is None else enabled
        self._lock = threading.Lock()
        self._bar: Any = None
        self._shown = 0
        self._drawn_at = 0.0
        self._started = time.monotonic()

    def __enter__(self) -> Progress:
        self._started = time.monotonic()
        if self.enabled:
            self._bar = click.progressbar(
                length=max(1, self.bytes_total or self.files_total),
                label=self.label,
                file=sys.stderr,
                show_eta=True,
                show_percent=True,
                item_show_func=lambda _: self._status(),
            )
            self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._draw(force=True)
            self._bar.__exit__(*exc)
            self._bar = None

    def set_total(self, files: int, nbytes: int) -> None:
        """Set the totals once they are known (after a listing)."""
        with self._lock:
            self.files_total, self.bytes_total = files, nbytes
            if self._bar is not None:
                self._bar.length = max(1, nbytes or files)

    def add_bytes(self, n: int) -> None:
        with self._lock:
            self.bytes += n
        self._draw()

    def add_file(self, n: int = 1) -> None:
        with self._lock:
            self.files += n
        self._draw()

    def _status(self) -> str:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        files = f"{self.files:,}/{self.files_total:,} files"
        if not self.bytes_total:
            return files
        rate = human_size(self.bytes / elapsed)
        return f"{files}, {human_size(self.bytes)}/{human_size(self.bytes_total)}, {rate}/s"

    def _draw(self, force: bool = False) -> None:
        if self._bar is None:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._drawn_at < 0.1:
                return
            self._drawn_at = now
            position = self.bytes if self.bytes_total else self.files
            step = min(position, self._bar.length) - self._shown
            self._shown += step
            self._bar.update(step)


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False
