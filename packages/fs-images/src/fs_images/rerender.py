"""``flask fs images rerender STORAGE``: remake the variants of the images already stored.

Run it after changing a storage's image settings (new thumbnail sizes, a ``MAX_SIZE``,
WebP on…). Each image is re-made from its ``-original`` where there is one.

* **Progress**: a progress bar when run on a terminal, and a summary at the end.
* **Failures** (a corrupt file, a backend error) are reported with the file name and the
  reason, and do not stop the run; the command then exits with status 3 (as every
  ``flask fs`` command whose files partly failed).
* **Resumable**: each finished image is appended to a checkpoint file (by default
  ``<instance>/fs-images/rerender-<storage>.jsonl``). Run the same command again after an
  interruption and it skips what was done; only failed and remaining images are processed.
  The checkpoint is removed after a run with no failure, and ignored if the settings or the
  prefix changed since it was written; ``--restart`` ignores it anyway.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from fs_core.cli import ExitCode, Progress, lookup_storage

from .settings import ImageSettings, settings_for

__all__ = ["images", "sources"]


def sources(names: Iterable[str]) -> list[str]:
    """The images among ``names`` that are not variants of another, sorted."""
    from .pipeline import is_variant
    from .processing import format_for

    every = frozenset(names)
    return sorted(n for n in every if format_for(n) is not None and not is_variant(n, every))


class Checkpoint:
    """The names done by an interrupted run, in a JSON-lines file: a header, then a line per
    finished image, flushed as it goes."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        self.header = header
        self.done: set[str] = set()
        self.resumed = False

    def load(self) -> None:
        try:
            with self.path.open(encoding="utf8") as fh:
                lines = [json.loads(line) for line in fh if line.strip()]
        except (OSError, ValueError):
            return
        if lines and lines[0] == self.header:
            self.done = {line["done"] for line in lines[1:] if "done" in line}
            self.resumed = bool(self.done)

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        mode = "a" if self.resumed else "w"
        self._fh = self.path.open(mode, encoding="utf8")
        if not self.resumed:
            self._write(self.header)

    def _write(self, line: dict[str, Any]) -> None:
        self._fh.write(json.dumps(line) + "\n")
        self._fh.flush()

    def mark(self, name: str) -> None:
        self._write({"done": name})

    def close(self, remove: bool) -> None:
        self._fh.close()
        if remove:
            self.path.unlink(missing_ok=True)


@click.group("images", help="Image storages: regenerate thumbnails and variants.")
def images() -> None:
    pass


@images.command("rerender")
@click.argument("storage")
@click.option("--prefix", default=None, help="Only the images under this folder.")
@click.option("--restart", is_flag=True, help="Ignore the checkpoint of an interrupted run.")
@click.option(
    "--checkpoint",
    "checkpoint_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Checkpoint file (default: <instance>/fs-images/rerender-STORAGE.jsonl).",
)
@with_appcontext
def rerender(storage: str, prefix: str | None, restart: bool, checkpoint_path: Path | None) -> None:
    """Regenerate the variants of every image in STORAGE with the current settings."""
    from .pipeline import process

    store = lookup_storage(storage)
    settings: ImageSettings | None = settings_for(store)
    if settings is None:
        raise click.UsageError(
            f"Image processing is off for storage {storage!r}: set {storage.upper()}_FS_IMAGES_THUMBNAILS "
            f"(or another {storage.upper()}_FS_IMAGES_* processor, or {storage.upper()}_FS_IMAGES = True)."
        )
    path = checkpoint_path or Path(current_app.instance_path) / "fs-images" / f"rerender-{storage}.jsonl"
    checkpoint = Checkpoint(path, {"storage": storage, "prefix": prefix, "settings": settings.fingerprint})
    if not restart:
        checkpoint.load()
    todo = sources(store.list_files(prefix))
    skipped = sum(1 for n in todo if n in checkpoint.done)
    todo = [n for n in todo if n not in checkpoint.done]
    if checkpoint.resumed:
        click.echo(f"Resuming: {skipped} image(s) already done ({path}).", err=True)
    failures: list[tuple[str, str]] = []
    done = 0
    checkpoint.start()
    try:
        with Progress(f"Rerendering {storage}", files=len(todo)) as progress:
            for name in todo:
                try:
                    process(store, name, settings, rerender=True)
                except Exception as exc:  # reported, and the run goes on
                    failures.append((name, f"{type(exc).__name__}: {exc}"))
                    continue
                finally:
                    progress.add_file()
                checkpoint.mark(name)
                done += 1
    finally:
        checkpoint.close(remove=not failures and done == len(todo))
    click.echo(f"{done} image(s) rerendered, {skipped} skipped (done before), {len(failures)} failed.")
    if failures:
        for name, reason in failures:
            click.echo(f"FAILED {name}: {reason}", err=True)
        click.echo(f"Run the command again to retry the failed images (checkpoint: {path}).", err=True)
        raise SystemExit(ExitCode.PARTIAL)
