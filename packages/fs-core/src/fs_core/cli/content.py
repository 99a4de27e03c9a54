"""``flask fs cat``, ``put`` and ``get``: a file's content to the terminal, local files into a
storage and out of it. Everything streams in bounded chunks; a file written (in the storage
or on the local disk) appears whole or not at all, Ctrl-C included."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import IO, Any, BinaryIO

import click
from flask.cli import with_appcontext

from .. import naming, streams
from ..errors import FileExists, FileNotFound, FSError
from ..transfer import WatchedReader
from .helpers import ExitCode, Progress, human_size, lookup_storage, shown


def _byte_range(text: str, size: int) -> tuple[int, int]:
    """``(start, length)`` from ``'START-END'`` (inclusive), ``'START-'`` or ``'-LAST'``."""
    first, dash, last = text.partition("-")
    try:
        if not dash or (not first and not last) or not (first + last).isdigit():
            raise ValueError
        if not first:
            length = min(int(last), size)
            return size - length, length
        start = int(first)
        end = int(last) if last else None
    except ValueError:
        raise click.BadParameter(f"{text!r}: give START-END (bytes, inclusive), START- or -LAST") from None
    if end is not None and end < start:
        raise click.BadParameter(f"{text!r}: the end is before the start")
    stop = size if end is None else min(end + 1, size)
    start = min(start, size)
    return start, max(0, stop - start)


def _skip(stream: IO[bytes], count: int) -> None:
    """Move ``stream`` ``count`` bytes forward: a seek where it can (a ranged read on S3)."""
    if count and streams.is_seekable(stream):
        stream.seek(count, os.SEEK_CUR)
        return
    while count:
        chunk = stream.read(min(count, streams.CHUNK_SIZE))
        if not chunk:
            return
        count -= len(chunk)


def _binary(stream: Any) -> BinaryIO:
    """The bytes under a text stream (``sys.stdout.buffer``)."""
    return getattr(stream, "buffer", stream)  # type: ignore[no-any-return]


@contextlib.contextmanager
def _stdout() -> Iterator[BinaryIO]:
    """The binary stdout; a reader that went away (``| head``) ends the command quietly."""
    out = _binary(sys.stdout)
    try:
        yield out
        out.flush()
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError):  # no "Exception ignored" at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _copy_out(stream: IO[bytes], out: IO[bytes], length: int | None = None) -> int:
    """Copy ``length`` bytes (all if ``None``) of ``stream`` to ``out``."""
    written = 0
    while length is None or written < length:
        want = streams.CHUNK_SIZE if length is None else min(streams.CHUNK_SIZE, length - written)
        chunk = stream.read(want)
        if not chunk:
            break
        out.write(chunk)
        written += len(chunk)
    return written


@click.command("cat", short_help="Print a file to stdout (binary safe, byte ranges).")
@click.argument("storage")
@click.argument("name")
@click.option("--range", "byte_range", metavar="START-END", help="Only these bytes: 0-99, 100-, -500.")
@with_appcontext
def cat(storage: str, name: str, byte_range: str | None) -> None:
    """Write the content of the file NAME of STORAGE to stdout (binary safe)."""
    store = lookup_storage(storage)
    with store.open(name, "rb") as stream, _stdout() as out:
        if byte_range is None:
            _copy_out(stream, out)
            return
        start, length = _byte_range(byte_range, store.backend.metadata(naming.validate_name(name))["size"])
        _skip(stream, start)
        _copy_out(stream, out, length)


def _sources(paths: tuple[str, ...], recursive: bool, links_out: list[str]) -> Iterator[tuple[str, str]]:
    """``(local path, name in the storage)`` for each file to put. In a folder, a symbolic
    link that leads out of it is not followed (as ``sync`` from a local folder does not, by
    fs-local's rule): it is added to ``links_out`` instead."""
    for path in paths:
        if path == "-":
            yield "-", ""
        elif os.path.isdir(path):
            if not recursive:
                raise click.UsageError(f"{path!r} is a folder: pass -r to put the files in it")
            top = os.path.basename(os.path.normpath(os.path.abspath(path)))
            inside = os.path.join(os.path.realpath(path), "")
            for folder, dirs, files in os.walk(path):
                dirs.sort()
                for file in sorted(files):
                    local = os.path.join(folder, file)
                    if os.path.islink(local) and not os.path.realpath(local).startswith(inside):
                        links_out.append(local)
                    elif os.path.isfile(local):
                        relative = os.path.relpath(local, path).replace(os.sep, "/")
                        yield local, f"{top}/{relative}"
        elif os.path.isfile(path):
            yield path, os.path.basename(path)
        else:
            raise click.UsageError(f"No local file or folder {path!r}")


@click.command("put", short_help="Store local files or stdin, as uploads are.")
@click.argument("storage")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("-p", "--prefix", help="Folder of the storage to put the files in.")
@click.option("-n", "--name", help="Name in the storage (one SOURCE; needed for '-', stdin).")
@click.option("-r", "--recursive", is_flag=True, help="Put the files of SOURCE folders, keeping their tree.")
@click.option(
    "--overwrite/--no-overwrite",
    default=None,
    help="Replace a file of that name, or refuse to [default: the storage's ON_CONFLICT].",
)
@click.option(
    "--raw",
    is_flag=True,
    help="Store the bytes under exactly that name: no extension policy, no processors, no UPLOAD_TO.",
)
@with_appcontext
def put(
    storage: str,
    sources: tuple[str, ...],
    prefix: str | None,
    name: str | None,
    recursive: bool,
    overwrite: bool | None,
    raw: bool,
) -> None:
    """Store local files (or stdin, '-') in STORAGE, and print the names they were stored as.

    As the app's uploads are: the storage's extension policy and size limit apply, its
    processors run (thumbnails…), and the name is chosen as for an upload (UPLOAD_TO,
    ON_CONFLICT, NAMING). --raw stores the bytes as they are, under exactly PREFIX/NAME.
    """
    store = lookup_storage(storage)
    links_out: list[str] = []
    files = list(_sources(sources, recursive, links_out))
    for link in links_out:
        click.echo(f"skipped {shown(link)}: a symbolic link out of its folder (not followed)", err=True)
    if name is not None and len(files) != 1:
        raise click.UsageError("--name names one file: give one SOURCE")
    if any(path == "-" for path, _ in files) and not name:
        raise click.UsageError("Reading stdin ('-') needs --name: the name to store it as")
    folder = naming.validate_prefix(prefix)
    sizes = [0 if path == "-" else os.path.getsize(path) for path, _ in files]
    failures = []
    with Progress(f"Storing in {storage}", files=len(files), nbytes=sum(sizes)) as progress:
        for (path, default_name), size in zip(files, sizes, strict=True):
            target = name or default_name
            try:
                with _local_input(path) as stream:
                    watched = WatchedReader(stream, progress.add_bytes)
                    if raw:
                        full = naming.join_name(folder, target)
                        stored = store.backend.save(watched, full, overwrite=bool(overwrite)) or full
                    else:
                        stored = store.save(watched, target, prefix=folder, overwrite=overwrite)
            except FileExists as exc:
                if len(files) == 1:
                    raise FileExists(exc.filename, message=f"{exc}: pass --overwrite to replace it") from None
                failures.append((path, f"{exc}: pass --overwrite to replace it"))
            except FSError as exc:
                if len(files) == 1:
                    raise
                failures.append((path, f"{exc} ({type(exc).__name__})"))
            else:
                if path != "-":
                    watched.report_rest(size)
                click.echo(shown(stored))
            progress.add_file()
    stored_count = len(files) - len(failures)
    click.echo(f"{stored_count} file(s) stored in {storage}, {human_size(progress.bytes)}", err=True)
    for path, reason in failures:
        click.echo(f"FAILED {shown(path)}: {shown(reason)}", err=True)
    if failures:
        click.get_current_context().exit(ExitCode.PARTIAL)


@contextlib.contextmanager
def _local_input(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        yield _binary(sys.stdin)
        return
    with open(path, "rb") as stream:
        yield stream


def _write_local(path: str, stream: IO[bytes], overwrite: bool, on_bytes: Any) -> None:
    """Write ``stream`` to the local ``path`` atomically: a temporary file beside it, given
    the name only once complete (``rename``, or ``link`` to refuse an existing file)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=".fs-get-", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # as open() would create it
        with os.fdopen(fd, "wb") as out:
            streams.copy_stream(WatchedReader(stream, on_bytes), out.write)
        if overwrite:
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)
            except FileExistsError:
                raise FileExists(path, message=f"{path!r} exists: pass --overwrite to replace it") from None
            os.unlink(temp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@click.command("get", short_help="Copy a file to a local path or stdout.")
@click.argument("storage")
@click.argument("name")
@click.argument("dest", required=False, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--overwrite", is_flag=True, help="Replace DEST if it exists.")
@with_appcontext
def get(storage: str, name: str, dest: str | None, overwrite: bool) -> None:
    """Copy the file NAME of STORAGE to the local DEST (a file, a folder to put it in, or '-'
    for stdout; the current folder by default). For a folder: flask fs sync STORAGE:FOLDER ./DEST."""
    store = lookup_storage(storage)
    name = naming.validate_name(name)
    if dest == "-":
        with store.open(name, "rb") as stream, _stdout() as out:
            _copy_out(stream, out)
        return
    target = dest or "."
    if os.path.isdir(target):
        target = os.path.join(target, naming.split_parent(name)[1])
    try:
        size = store.backend.metadata(name)["size"]
    except FileNotFound:
        if any(True for _ in store.list_files(name)):
            folder = naming.split_parent(name)[1]
            raise click.UsageError(
                f"{name!r} is a folder: copy it with flask fs sync {storage}:{name} ./{folder}"
            ) from None
        raise
    with Progress(f"Copying {name}", files=1, nbytes=size) as progress, store.open(name, "rb") as stream:
        _write_local(target, stream, overwrite, progress.add_bytes)
    click.echo(f"{shown(name)} -> {shown(target)} ({human_size(size)})", err=True)


COMMANDS = [cat, put, get]
