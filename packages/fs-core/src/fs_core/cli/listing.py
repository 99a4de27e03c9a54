"""``flask fs ls``, ``stat`` and ``du``: what a storage holds, from one listing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import click
from flask.cli import with_appcontext

from .. import naming
from ..errors import FileNotFound
from ..listing import FileInfo
from .helpers import echo_json, human_size, json_option, lookup_storage, shown, typed_name


def _entries(infos: Iterable[FileInfo], prefix: str | None, recursive: bool) -> list[dict[str, Any]]:
    """Files (and, unless ``recursive``, the folders just under ``prefix``, with their totals)."""
    start = len(prefix) + 1 if prefix else 0
    entries: dict[str, dict[str, Any]] = {}
    for info in infos:
        rest = info.name[start:]
        folder, slash, _ = rest.partition("/")
        if recursive or not slash:
            entries[info.name] = {
                "name": info.name,
                "type": "file",
                "size": info.size,
                "modified": info.modified,
                "mime": info.mime,
                "checksum": info.checksum,
            }
            continue
        name = f"{prefix}/{folder}" if prefix else folder
        entry = entries.setdefault(
            name + "/",
            {"name": name + "/", "type": "folder", "size": 0, "files": 0, "modified": info.modified},
        )
        entry["size"] += info.size
        entry["files"] += 1
        entry["modified"] = max(entry["modified"], info.modified)
    return [entries[key] for key in sorted(entries)]


def _complete(store: Any, entry: dict[str, Any]) -> None:
    """Fill in what the listing did not give (a type, a checksum) from the file's metadata."""
    if entry["type"] != "file" or (entry["mime"] and entry["checksum"]):
        return
    try:
        meta = store.backend.metadata(entry["name"])
    except FileNotFound:  # deleted since it was listed
        return
    entry["mime"] = entry["mime"] or meta.get("mime")
    entry["checksum"] = entry["checksum"] or meta.get("checksum")


def _when(value: dt.datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}"


@click.command("ls", short_help="List files and folders.")
@click.argument("storage")
@click.argument("prefix", required=False)
@click.option("-l", "--long", "long_", is_flag=True, help="Size, type, modification time and checksum.")
@click.option("-r", "--recursive", is_flag=True, help="Every file under PREFIX, not only the first level.")
@json_option
@with_appcontext
def ls(storage: str, prefix: str | None, long_: bool, recursive: bool, as_json: bool) -> None:
    """List the files and folders of STORAGE, or of its folder PREFIX.

    Folders end with '/'; with --long they show their total size and file count.
    """
    store = lookup_storage(storage)
    folder = naming.validate_prefix(prefix)
    entries = _entries(store.scan(folder), folder, recursive)
    if long_ or as_json:
        for entry in entries:
            _complete(store, entry)
    if as_json:
        echo_json(entries)
    for entry in [] if as_json else entries:
        name = shown(entry["name"])
        if not long_:
            click.echo(name)
        elif entry["type"] == "folder":
            what = f"{entry['files']:,} file(s)"
            click.echo(f"{entry['size']:>12}  {_when(entry['modified'])}  {what:<24}  {'-':<16}  {name}")
        else:
            mime, checksum = entry["mime"] or "-", entry["checksum"] or "-"
            click.echo(f"{entry['size']:>12}  {_when(entry['modified'])}  {mime:<24}  {checksum:<16}  {name}")
    files = sum(1 for e in entries if e["type"] == "file")
    folders = len(entries) - files
    total = sum(e["size"] for e in entries)
    click.echo(f"{files} file(s), {folders} folder(s), {human_size(total)}", err=True)


@click.command("stat", short_help="Show a file's metadata, or a folder's totals.")
@click.argument("storage")
@click.argument("name")
@json_option
@with_appcontext
def stat(storage: str, name: str, as_json: bool) -> None:
    """Show the metadata of the file NAME in STORAGE (size, type, dates, checksum, URL), or
    the totals of the folder NAME."""
    store = lookup_storage(storage)
    name = typed_name(name)
    try:
        meta: dict[str, Any] = {"name": name, "type": "file", **store.metadata(name)}
    except FileNotFound:
        infos = list(store.scan(name))
        if not infos:
            raise FileNotFound(
                name, message=f"No file or folder named {name!r} in storage {storage!r}"
            ) from None
        meta = {
            "name": name + "/",
            "type": "folder",
            "files": len(infos),
            "size": sum(info.size for info in infos),
            "modified": max(info.modified for info in infos),
        }
    if as_json:
        echo_json(meta)
        return
    width = max(len(key) for key in meta)
    for key, value in meta.items():
        text = _when(value) + " UTC" if isinstance(value, dt.datetime) else value
        click.echo(f"{key + ':':<{width + 1}} {shown(str(text)) if value is not None else '-'}")


@click.command("du", short_help="Total size and file count by folder.")
@click.argument("storage")
@click.argument("prefix", required=False)
@click.option(
    "-d", "--depth", default=1, show_default=True, type=click.IntRange(0), help="Folder levels shown."
)
@click.option("-h", "--human", is_flag=True, help="Sizes in KiB, MiB, GiB.")
@json_option
@with_appcontext
def du(storage: str, prefix: str | None, depth: int, human: bool, as_json: bool) -> None:
    """Total size and file count of STORAGE (or its folder PREFIX), and of each folder down
    to --depth levels."""
    store = lookup_storage(storage)
    folder = naming.validate_prefix(prefix)
    start = len(folder) + 1 if folder else 0
    root = folder or "."
    totals: dict[str, list[int]] = {root: [0, 0]}
    for info in store.scan(folder):
        parts = info.name[start:].split("/")[:-1]
        keys = [root] + [
            "/".join(filter(None, [folder, *parts[:d]])) + "/" for d in range(1, min(depth, len(parts)) + 1)
        ]
        for key in keys:
            total = totals.setdefault(key, [0, 0])
            total[0] += info.size
            total[1] += 1
    whole = totals.pop(root)
    rows: list[dict[str, Any]] = [
        {"folder": key, "size": size, "files": count} for key, (size, count) in sorted(totals.items())
    ]
    rows.append({"folder": root, "size": whole[0], "files": whole[1]})  # the total last, as du prints it
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        size = human_size(row["size"]) if human else str(row["size"])
        click.echo(f"{size:>12}  {row['files']:>9,} file(s)  {shown(row['folder'])}")


COMMANDS = [ls, stat, du]
