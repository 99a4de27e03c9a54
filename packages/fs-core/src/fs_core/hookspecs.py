"""The plugin contract: the hooks a package implements to extend fs-core.

A plugin is a module named in the ``fs_core`` entry-point group of its distribution::

    [project.entry-points.fs_core]
    s3 = "fs_s3.plugin"

and marks its functions with :data:`hookimpl`. Plugins are loaded per Flask application
(``FS_PLUGINS`` picks them, ``FS_BLOCKED_PLUGINS`` refuses some), so two apps in one process
can run different sets. A hook implementation may accept fewer arguments than its spec.

This module is the compatibility contract between fs-core and its plugins: a plugin pins
``fs-core>=X.Y,<X.(Y+1)``, and any change here bumps fs-core's minor version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, BinaryIO

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import click
    from flask import Flask

    from .backend import BaseBackend
    from .storage import Storage

__all__ = [
    "PROJECT",
    "RegisterBackend",
    "after_copy",
    "after_delete",
    "after_save",
    "check_target",
    "derived_files",
    "file_allowed",
    "hookimpl",
    "hookspec",
    "init_app",
    "prepare_upload",
    "referenced_files",
    "register_backends",
    "register_commands",
    "will_process",
]

#: The pluggy project name, and the entry-point group plugins are found in.
PROJECT = "fs_core"

hookspec = pluggy.HookspecMarker(PROJECT)
#: Decorator for a plugin's hook implementations.
hookimpl = pluggy.HookimplMarker(PROJECT)

#: ``register(name, backend)``: ``backend`` is a :class:`~fs_core.BaseBackend` subclass or a
#: ``"module:Class"`` path, imported only when a storage is configured to use it.
RegisterBackend = Callable[[str, "str | type[BaseBackend]"], None]


@hookspec
def register_backends(register: RegisterBackend) -> None:
    """Register the storage backends this plugin provides.

    Runs once per application, when ``init_app`` loads the plugins. Call
    ``register("s3", "fs_s3.backend:S3Backend")`` for each backend; a dotted path keeps the
    plugin's import cheap (boto3 is imported only if a storage uses ``s3``). Two plugins
    registering the same name is a :class:`~fs_core.errors.PluginError` naming both.
    """


@hookspec(firstresult=True)
def file_allowed(storage: Storage, file: BinaryIO, filename: str) -> bool | None:
    """Decide whether ``file`` may be saved as ``filename`` in ``storage``.

    Runs on every :meth:`Storage.save`, before anything is written, with ``filename`` the
    base name the file will get (before ``prefix`` and ``upload_to``). Return ``False`` to
    refuse (the caller gets :class:`~fs_core.errors.UnauthorizedFileType`), ``True`` to accept
    without asking the other plugins, or ``None`` to abstain. The core's own policy (the
    storage's extensions plus ``ALLOW``/``DENY``) runs last. A plugin that reads ``file`` to
    check its content must put the stream back where it found it. To refuse with a message of
    your own, raise an :class:`~fs_core.errors.UnauthorizedFileType` instead of returning.
    """


@hookspec
def check_target(storage: Storage, filename: str, replace: bool) -> None:
    """Refuse to store a new file as ``filename``, before anything is written.

    Runs on :meth:`Storage.save` and :meth:`Storage.write` (not for files processors store)
    once the final name is known (``filename`` is the whole name in the storage, folders
    included), and again for each name ``ON_CONFLICT = 'rename'`` tries; and for the target
    of :meth:`Storage.copy` and :meth:`Storage.move`. ``replace`` says
    whether an existing file of that name would be replaced. Raise
    :class:`~fs_core.errors.FileExists` when the name is taken in a way the storage cannot see
    by itself (the thumbnails this file would get would replace other files): with
    ``'rename'`` the core then tries the next free name, otherwise the caller gets the error.
    Raise another :class:`~fs_core.errors.FSError` to refuse the file.
    """


@hookspec(firstresult=True)
def prepare_upload(storage: Storage, filename: str, file: BinaryIO) -> BinaryIO | None:
    """Return what to store instead of ``file``, before it is first stored; ``None`` to
    store it as it is.

    Runs on :meth:`Storage.save` and :meth:`Storage.write` (not for files processors store),
    after the policy accepted the file and before the backend sees a byte: the place for what
    must never be stored, even until :func:`after_save` runs (a photo's GPS position). Read
    ``file`` from its current position; the core reads what you return from its current
    position to its end, in bounded chunks, and closes it afterwards (return a seekable
    stream, a temporary file, so that a retry under another name can read it again). The first
    plugin that returns a stream wins (``tryfirst`` to go first). ``filename`` is the name the
    file is about to get (with ``NAMING = 'hash'``, the client's name in its folder: the
    address is computed from what you return).
    """


@hookspec
def after_save(storage: Storage, filename: str) -> None:
    """Process a file that was just stored (post-save processors: thumbnails, optimisation).

    Runs after :meth:`Storage.save` or :meth:`Storage.write` stored ``filename``, in the
    application context of the save. Read the file through ``storage``; what a processor
    writes, copies or deletes through ``storage`` runs no hook (this one, ``check_target``,
    ``prepare_upload``, ``after_copy``, ``after_delete``), so a processor never triggers
    itself. A processor must check the storage's configuration and do nothing unless
    enabled there. If it raises, the stored file is
    deleted again and :func:`after_delete` runs for it; the caller gets the processor's error
    if it is an :class:`~fs_core.errors.FSError` (an image refused as corrupt stays an
    ``UnauthorizedFileType``), else a :class:`~fs_core.errors.ProcessingError` wrapping it.

    When the save replaced a file and a plugin's :func:`will_process` said it would work on
    the new one, a failure puts the replaced file back instead (and :func:`after_delete` does
    not run, so what was derived from it stays). Implement :func:`will_process` alongside
    this hook so that a failed overwrite keeps the file it replaced.
    """


@hookspec
def will_process(storage: Storage, filename: str) -> bool | None:
    """Say whether :func:`after_save` will work on ``filename`` once it is stored.

    Asked before a save or write that replaces a file of that name if there is one (an
    overwrite; not for files a processor stores itself). If any plugin answers ``True``
    and the file exists, the core first copies it aside, so that a failing processor leaves
    the previous file as it was; the copy is deleted once processing succeeds. Answer from
    configuration and the name only (the new content is not stored yet), and answer
    ``True`` only where processing can fail, since the copy costs a read and a write of the
    old file.
    """


@hookspec
def after_copy(storage: Storage, source: str, target: str) -> None:
    """Derive for ``target`` what was derived from ``source`` (its thumbnails, say).

    Runs after :meth:`Storage.copy` or :meth:`Storage.move` put the file ``source`` at
    ``target``, in the application context of the call; files a processor stores itself do
    not trigger hooks again. For a move, :func:`after_delete` runs for ``source`` once this
    hook has succeeded, so a processor can still copy what it derived from ``source`` here.
    If it raises, the file stays at ``target`` (it was accepted when it was first stored),
    nothing derived from ``source`` is deleted, and the caller gets a
    :class:`~fs_core.errors.ProcessingError` that says so.
    """


@hookspec
def after_delete(storage: Storage, filename: str) -> None:
    """Clean up what was derived from ``filename`` (thumbnails of a deleted image).

    Runs after :meth:`Storage.delete` removed ``filename`` (or the folder of that name), and
    after :meth:`Storage.move` moved it away (once :func:`after_copy` succeeded). Deleting a
    missing name is not an error, and this hook still runs. What an implementation deletes,
    saves or copies through ``storage`` runs no hook (as for processors): deleting a
    thumbnail here does not call this hook for the thumbnail.
    """


@hookspec
def init_app(app: Flask) -> None:
    """Wire the plugin into one application: config defaults, extensions, blueprints.

    Runs once per app, in the first ``fs_core.init_app(app, …)``: after the plugins are
    loaded and before the storages given to that call read their configuration, so defaults
    set here apply to them. Use ``app.config.setdefault``, so the application's own values
    win.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add sub-commands to the application's ``flask fs`` command group.

    ``cli`` is a fresh group per application, so commands only appear where the plugin is
    enabled: ``@cli.command()`` adds ``flask fs <name>``, ``cli.add_command(group)`` a group.
    """


@hookspec
def derived_files(storage: Storage, names: AbstractSet[str]) -> Mapping[str, Iterable[str]] | None:
    """Say which of the files of ``storage`` this plugin made from others, and from what.

    Asked once per storage by ``flask fs orphans`` (:meth:`Storage.orphans
    <fs_core.storage.Storage.orphans>`), with ``names``: every file the storage holds. A
    processor that stores files derived from others (fs-images: ``cat-64.jpg`` and
    ``cat.jpg.webp`` are made from ``cat.jpg``) maps each of ``names`` it made to the names
    it could have been made from (several when a name is ambiguous: any one of them stored
    is enough); ``None`` when it derives nothing in this storage. Decide from the names and
    the storage's configuration (no file read): a name shaped like a derived file may be a
    file of its own, which ``names`` can tell (fs-images: an image with thumbnails of its own
    is one). A derived file none of whose sources is stored is reported as an orphan; one
    whose source is kept is kept with it.
    """


@hookspec
def referenced_files(storage: Storage, names: AbstractSet[str]) -> Iterable[str] | None:
    """Say which of the files of ``storage`` the application's records refer to.

    Asked once per storage by ``flask fs orphans`` (:meth:`Storage.orphans
    <fs_core.storage.Storage.orphans>`), with ``names``: every file the storage holds. A
    plugin that keeps references to files in a database (fs-mongoengine: the documents whose
    ``FileField`` or ``ImageField`` names a file) returns those of ``names`` its records refer
    to (asking the database about these names in batches, or listing what its records hold:
    names not in ``names`` are ignored), and ``None`` when it keeps no records for this
    storage. When at least one plugin answers, a file that no answer names, and that is not
    derived (:func:`derived_files`) from one that is, is reported as unreferenced; when none
    answers, no file is. A plugin that cannot tell (its database is down) raises an
    :class:`~fs_core.errors.FSError` saying why, rather than answering: a file it does not
    name may be deleted. Files younger than the command's ``--older-than`` are never reported,
    so an upload whose record is not saved yet is safe.
    """
