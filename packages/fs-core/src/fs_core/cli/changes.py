"""``flask fs rm``, ``cp`` and ``mv``: deleting files and folders, copying and moving them in
a storage or between storages (whatever their backends)."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext

from .. import naming
from ..errors import FileExists, FileNotFound, FSError
from ..transfer import WatchedReader, copy_file
from .helpers import (
    ExitCode,
    Progress,
    confirm,
    human_size,
    lookup_storage,
    shown,
    storage_and_name,
    typed_name,
)


@click.command("rm", short_help="Delete files or folders.")
@click.argument("storage")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.option("-y", "--yes", is_flag=True, help="Delete folders without asking.")
@with_appcontext
def rm(storage: str, names: tuple[str, ...], yes: bool) -> None:
    """Delete files or folders (everything under them) of STORAGE.

    What the storage's processors derived from a file (its thumbnails) goes with it. A
    folder is deleted after a confirmation, unless --yes.
    """
    store = lookup_storage(storage)
    missing = []
    for name in names:
        name = typed_name(name)
        is_file = store.exists(name)
        inside = list(store.scan(name))
        if not is_file and not inside:
            missing.append(name)
            continue
        if inside:
            size = human_size(sum(info.size for info in inside))
            also = f"the file {name!r} and " if is_file else ""
            confirm(f"Delete {also}the folder {name!r} of {storage}: {len(inside):,} file(s), {size}?", yes)
        store.delete(name)
        what = f"folder {name}/ ({len(inside):,} file(s))" if inside else name
        click.echo(f"deleted {shown(what)}")
    for name in missing:
        click.echo(f"No file or folder named {shown(name)!r} in storage {storage}", err=True)
    if missing:
        click.get_current_context().exit(ExitCode.PARTIAL if len(missing) < len(names) else ExitCode.ERROR)


def _target_name(source: str, target: str, folder_target: bool) -> str:
    if folder_target:
        return naming.join_name(target, naming.split_parent(source)[1])
    return target


def _transfer(
    source: Any,
    name: str,
    dest: Any,
    target: str,
    *,
    move: bool,
    raw: bool,
    overwrite: bool | None,
    progress: Progress,
) -> str:
    """One file from ``source`` to ``dest``; returns the name it got."""
    if source is dest:
        return (source.move if move else source.copy)(name, target, overwrite=overwrite)  # type: ignore[no-any-return]
    if raw:
        copy_file(
            source.backend, name, dest.backend, target, overwrite=bool(overwrite), on_bytes=progress.add_bytes
        )
        stored = target
    else:
        with source.open(name, "rb") as stream:
            stored = dest.save(WatchedReader(stream, progress.add_bytes), target, overwrite=overwrite)
    if move:
        source.delete(name)
    return stored


def _relocate(src: str, dst: str, recursive: bool, overwrite: bool | None, raw: bool, move: bool) -> None:
    source, name = storage_and_name(src)
    store_name, _, rest = dst.partition(":")
    dest = lookup_storage(store_name)
    folder_target = not rest or rest.endswith("/")
    target = naming.validate_prefix(rest) or ""
    files = list(source.scan(name)) if recursive else []
    if not files and not source.exists(name):
        if not recursive and any(True for _ in source.list_files(name)):
            raise click.UsageError(f"{name!r} is a folder: pass -r to {'move' if move else 'copy'} it")
        raise FileNotFound(name, message=f"No file named {name!r} in storage {source.name}")
    verb = "Moving" if move else "Copying"
    if not files:  # one file
        size = source.backend.metadata(name)["size"]
        with Progress(f"{verb} {name}", files=1, nbytes=size) as progress:
            try:
                stored = _transfer(
                    source, name, dest, _target_name(name, target, folder_target),
                    move=move, raw=raw, overwrite=overwrite, progress=progress,
                )  # fmt: skip
            except FileExists as exc:
                raise FileExists(exc.filename, message=f"{exc}: pass --overwrite to replace it") from None
        click.echo(f"{shown(name)} -> {dest.name}:{shown(stored)}")
        return
    base = naming.join_name(target, naming.split_parent(name)[1]) if folder_target else target
    failures = []
    with Progress(f"{verb} {name}/", files=len(files), nbytes=sum(i.size for i in files)) as progress:
        for info in sorted(files, key=lambda i: i.name):
            relative = info.name[len(name) + 1 :]
            try:
                stored = _transfer(
                    source, info.name, dest, naming.join_name(base, relative),
                    move=move, raw=raw, overwrite=overwrite, progress=progress,
                )  # fmt: skip
            except FSError as exc:
                failures.append((info.name, f"{exc} ({type(exc).__name__})"))
            else:
                click.echo(f"{shown(info.name)} -> {dest.name}:{shown(stored)}")
            progress.add_file()
    for failed, reason in failures:
        click.echo(f"FAILED {shown(failed)}: {shown(reason)}", err=True)
    if failures:
        click.get_current_context().exit(ExitCode.PARTIAL)


def _options(command: Any) -> Any:
    command = click.option("-r", "--recursive", is_flag=True, help="SRC is a folder: every file under it.")(
        command
    )
    command = click.option(
        "--overwrite/--no-overwrite",
        default=None,
        help="Replace a file at the target, or refuse to [default: the target storage's ON_CONFLICT].",
    )(command)
    return click.option(
        "--raw",
        is_flag=True,
        help="Between storages: copy the bytes as they are (server-side where both are on one "
        "service), without the target's policy and processors.",
    )(command)


@click.command("cp", short_help="Copy files, within a storage or between two.")
@click.argument("src", metavar="SRC")
@click.argument("dst", metavar="DST")
@_options
@with_appcontext
def cp(src: str, dst: str, recursive: bool, overwrite: bool | None, raw: bool) -> None:
    """Copy STORAGE:NAME to STORAGE:NAME (the same storage or another, on any backend).

    A DST ending with '/' (or just STORAGE:) is a folder to copy into. Within a storage the
    copy is server-side where the backend can, and what processors derived from the file
    (thumbnails) is copied with it; into another storage, the file is stored as an upload
    would be (its policy, its processors), unless --raw.
    """
    _relocate(src, dst, recursive, overwrite, raw, move=False)


@click.command("mv", short_help="Move files, within a storage or between two.")
@click.argument("src", metavar="SRC")
@click.argument("dst", metavar="DST")
@_options
@with_appcontext
def mv(src: str, dst: str, recursive: bool, overwrite: bool | None, raw: bool) -> None:
    """Move STORAGE:NAME to STORAGE:NAME: as cp, then the source is deleted once the copy is
    complete."""
    _relocate(src, dst, recursive, overwrite, raw, move=True)


COMMANDS = [rm, cp, mv]
