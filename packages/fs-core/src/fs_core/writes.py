"""Everything that changes a storage: save, write, delete, copy and move, with the plugins'
hooks and the signals around them. It works on a :class:`~fs_core.state.BoundStorage`.

A save goes through these steps, in order:

1. the name: the client's made safe (:func:`~fs_core.naming.secure_filename`), or the
   caller's validated;
2. the size: ``MAX_SIZE`` refuses a size known at once, and limits the stream otherwise;
3. the policy: ``DENY``, then ``Storage.file_allowed`` (the ``file_allowed`` hooks, with
   the storage's extensions and ``ALLOW`` last);
4. the final name: ``upload_to/prefix/name``; on a taken name ``ON_CONFLICT`` refuses,
   replaces or renames, and ``check_target`` lets plugins claim names;
5. ``prepare_upload``: a plugin may replace what is stored;
6. a file about to be replaced is copied aside if a processor will work on its replacement
   (``will_process``), so that a failure can put it back;
7. the backend's save, create-only or replacing;
8. the processors (``after_save``); if one fails, the replaced file is put back, or the new
   one removed (``after_delete`` then runs for it);
9. the ``file_uploaded`` signal.

What processors store, copy or delete themselves through the storage runs no hook (the
``check_target``, ``prepare_upload``, ``will_process`` and processor steps are skipped, and
neither ``after_copy`` nor ``after_delete`` runs), so a processor never triggers itself; the
policy of step 3 still applies to a processor's ``save`` (a processor writes its files with
``write``), and the signals are still sent.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from . import builtin, naming, signals, streams
from .backend import ATOMIC_CREATE
from .config import Config
from .content_types import content_type_for
from .errors import (
    ConfigurationError,
    FileExists,
    FileNotFound,
    FileTooLarge,
    FSError,
    InvalidFilename,
    ProcessingError,
    UnauthorizedFileType,
)
from .files import extension
from .state import BoundStorage

__all__ = [
    "CONFLICT_MODES",
    "conflict_mode",
    "core_method",
    "delete",
    "extension_allowed",
    "relocate",
    "replaced",
    "save",
    "write",
]

_F = TypeVar("_F", bound=Callable[..., Any])

#: What a create meets on an existing name: refuse, replace, or pick ``name_1.ext``.
CONFLICT_MODES = ("error", "overwrite", "rename")

# Set while processors run, so that what they store, copy or delete runs no hook.
_processing: ContextVar[bool] = ContextVar("fs_core_processing", default=False)


class _processors_running:
    """``with _processors_running():`` marks what runs inside as a processor's own work."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _processing.set(True)

    def __exit__(self, *exc: object) -> None:
        _processing.reset(self._token)


# -- policy ---------------------------------------------------------------------------------


def _ext_set(value: Any) -> Any:
    """The extensions ``value`` names (``ALLOW``, ``DENY``, a storage's ``extensions``), as a
    set or one of the preset objects; parsed once per distinct value, since every save asks."""
    if isinstance(value, list):
        value = tuple(value)
    elif isinstance(value, set):
        value = frozenset(value)
    try:
        return _parsed_ext_set(value)
    except TypeError:  # an unhashable preset: used as it is
        return value


@functools.lru_cache(maxsize=256)
def _parsed_ext_set(value: Any) -> Any:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset(v.strip().lower().lstrip(".") for v in value.split(",") if v.strip())
    if isinstance(value, (tuple, frozenset)):
        return frozenset(str(v).lower().lstrip(".") for v in value)
    return value  # ALL, NONE, AllExcept…


def denied(config: Config, ext: str) -> bool:
    """Whether ``DENY`` refuses the extension ``ext`` (it always wins)."""
    return ext.lower().lstrip(".") in _ext_set(config.get("deny"))


def extension_allowed(bound: BoundStorage, ext: str) -> bool:
    """The core's own policy: not denied, and in the storage's extensions or ``ALLOW``."""
    ext = ext.lower().lstrip(".")
    if denied(bound.config, ext):
        return False
    return _listed(bound, ext)


def _listed(bound: BoundStorage, ext: str) -> bool:
    """Whether ``ext`` is in the storage's extensions or ``ALLOW``."""
    return ext in _ext_set(bound.storage.extensions) or ext in _ext_set(bound.config.get("allow"))


def _check_policy(bound: BoundStorage, file: Any, basename: str) -> None:
    ext = extension(basename)
    kind = f"'.{ext}' files" if ext else "Files without an extension"
    if denied(bound.config, ext):
        raise UnauthorizedFileType(f"{kind} are denied in storage {bound.name!r} (DENY)")
    start = streams.position(file)
    overridden = replaced(bound.storage, "file_allowed")
    if overridden:  # a subclass's policy (Flask-FS's API), which may ask the plugins itself
        if bound.storage.file_allowed(file, basename):
            return
    elif bound.plugins.calls.sole("file_allowed") is builtin.file_allowed and not replaced(
        bound.storage, "extension_allowed"
    ):
        if _listed(bound, ext):  # the core's policy alone, as its hook would answer
            return
    else:  # what the default Storage.file_allowed does, DENY checked above
        allowed = bound.plugins.calls.get("file_allowed")
        if allowed is not None and allowed(storage=bound.storage, file=file, filename=basename):
            return
    refused_by = None if overridden else bound.plugins.refusing_plugin(bound.storage, file, basename, start)
    if refused_by is None:
        raise UnauthorizedFileType(f"{kind} are not allowed in storage {bound.name!r}")
    raise UnauthorizedFileType(
        f"{basename!r} was refused by the plugin {refused_by} (storage {bound.name!r})"
    )


def core_method(method: _F) -> _F:
    """Mark ``method`` as fs-core's own ``Storage`` method that the hot path does without
    calling while it is not replaced (``file_allowed`` and ``extension_allowed``: a save
    applies the core's policy directly; ``serve``: the ``fs`` view serves directly)."""
    method._fs_core_method = True  # type: ignore[attr-defined]
    return method


def replaced(storage: Any, method: str) -> bool:
    """Whether ``storage``'s ``method`` is not fs-core's own: a subclass's, a patch of its class
    or of ``Storage`` (made at any time: nothing is cached), or one set on the storage itself."""
    return method in vars(storage) or not getattr(getattr(type(storage), method), "_fs_core_method", False)


def conflict_mode(bound: BoundStorage, overwrite: bool | None) -> str:
    """``'error'``, ``'overwrite'`` or ``'rename'``: what a create does on a taken name, from
    the call's ``overwrite`` (``None``: the storage's ``ON_CONFLICT``/``OVERWRITE``)."""
    mode: str | None = bound.config.get("on_conflict")
    if mode is not None and mode not in CONFLICT_MODES:
        raise ConfigurationError(
            f"{bound.name.upper()}_FS_ON_CONFLICT must be one of {', '.join(CONFLICT_MODES)}, not {mode!r}"
        )
    if overwrite is True:
        return "overwrite"
    if overwrite is False:
        return "rename" if mode == "rename" else "error"
    if mode:
        return mode
    return "overwrite" if bound.config.get_bool("overwrite", bound.storage.overwrite) else "error"


def first_free_name(
    bound: BoundStorage, folder: str, basename: str, taken: frozenset[str] = frozenset()
) -> str:
    """The first of ``name_1.ext``, ``name_2.ext``… not stored in ``folder`` and not in
    ``taken`` (whole names a plugin refused); the default ``Storage.resolve_conflict``."""
    room = naming.room_in(folder, bound.backend.max_name_bytes)
    for candidate in naming.conflict_names(basename, room=room):
        name = naming.join_name(folder, candidate)
        if name not in taken and not bound.backend.exists(name):
            return candidate
    raise FileExists(basename, message=f"No free name for {basename!r} in {folder or 'the storage root'!r}")


# -- saving -----------------------------------------------------------------------------------


def _folder(value: str | Callable[[], str] | None) -> str | None:
    if callable(value):
        value = value()
    return naming.validate_prefix(value) if value else None


def _limited(file_or_wfs: Any, config: Config) -> Any:
    """The upload as a stream that refuses to go past ``MAX_SIZE``; a size known at once
    (the part's ``Content-Length``, a seekable stream's length) is refused at once."""
    stream = streams.as_stream(file_or_wfs)
    limit = config.get_int("max_size")
    if limit is None:
        return stream
    declared = getattr(file_or_wfs, "content_length", None)
    if not (isinstance(declared, int) and declared > 0):
        declared = streams.remaining(stream)
    if declared is not None and declared > limit:
        raise FileTooLarge(f"The file is larger than the {limit:,} bytes this storage accepts", limit=limit)
    return streams.LimitedReader(stream, limit)


def save(
    bound: BoundStorage,
    file_or_wfs: Any,
    filename: str | None = None,
    prefix: str | Callable[[], str] | None = None,
    overwrite: bool | None = None,
) -> str:
    """:meth:`Storage.save <fs_core.storage.Storage.save>`: the steps of this module's docstring."""
    if isinstance(file_or_wfs, (str, bytes, bytearray, memoryview)):
        file_or_wfs = streams.as_stream(file_or_wfs)  # policy hooks read a file object
    config = bound.config
    declared = getattr(file_or_wfs, "mimetype", None) or getattr(file_or_wfs, "content_type", None)
    if not filename:
        client_name = getattr(file_or_wfs, "filename", None)
        if isinstance(client_name, str) and client_name:
            filename = naming.secure_filename(client_name, ascii_only=config.get_bool("ascii_names"))
    if not filename:
        raise InvalidFilename("filename is required")
    filename = naming.validate_name(filename)
    basename = filename.rpartition("/")[2]
    stream = _limited(file_or_wfs, config)  # before any policy plugin reads the upload
    _check_policy(bound, file_or_wfs, basename)
    upload_to = bound.storage.upload_to
    folder = "/".join(p for p in (_folder(upload_to), _folder(prefix)) if p) if upload_to or prefix else ""
    if config.get("naming") == "hash":  # never replaces: the same name is the same content
        with _prepared(bound, _joined(folder, basename), stream) as prepared:
            name, stored = _save_hashed(bound, prepared, folder, basename, declared)
        _after_store(bound, name, processors=stored)
        return name
    name = _joined(folder, filename)
    mode = conflict_mode(bound, overwrite)
    content_type = content_type_for(name, declared)
    with _prepared(bound, name, stream) as prepared:
        return _store_and_process(
            bound,
            name,
            replace=mode == "overwrite",
            store=lambda: _store(bound, prepared, name, mode, content_type),
        )


def _joined(folder: str, name: str) -> str:
    """``folder/name`` from a validated folder and a validated name: what is left to check
    of the whole is its length (NFC and every segment were checked, and ``/`` composes with
    nothing)."""
    if not folder:
        return name
    joined = f"{folder}/{name}"
    if len(joined.encode("utf-8")) > naming.MAX_NAME_BYTES:
        raise InvalidFilename(f"File name is longer than {naming.MAX_NAME_BYTES} bytes")
    return joined


def write(bound: BoundStorage, filename: str, content: Any, overwrite: bool = False) -> str:
    """:meth:`Storage.write <fs_core.storage.Storage.write>`: a save without the client's
    name, the policy or renaming."""
    name = naming.validate_name(filename)
    replace = overwrite or conflict_mode(bound, None) == "overwrite"
    mode = "overwrite" if replace else "error"
    content_type = content_type_for(name, getattr(content, "mimetype", None))
    with _prepared(bound, name, streams.as_stream(content)) as stream:
        return _store_and_process(
            bound, name, replace=replace, store=lambda: _store(bound, stream, name, mode, content_type)
        )


class _prepared:
    """``with _prepared(bound, name, stream) as s``: ``stream``, or what a plugin's
    ``prepare_upload`` returns instead (closed after). (A class: it runs on every save.)"""

    __slots__ = ("_replacement", "_stream")

    def __init__(self, bound: BoundStorage, name: str, stream: Any) -> None:
        self._stream = stream
        self._replacement = None
        if not _processing.get():
            prepare = bound.plugins.calls.get("prepare_upload")
            if prepare is not None:
                self._replacement = prepare(storage=bound.storage, filename=name, file=stream)

    def __enter__(self) -> Any:
        return self._stream if self._replacement is None else self._replacement

    def __exit__(self, *exc: object) -> None:
        if self._replacement is not None:
            self._replacement.close()


def _check_target(bound: BoundStorage, name: str, replace: bool) -> None:
    if not _processing.get():
        check = bound.plugins.calls.get("check_target")
        if check is not None:
            check(storage=bound.storage, filename=name, replace=replace)


def _store(bound: BoundStorage, stream: Any, name: str, mode: str, content_type: str) -> str:
    backend = bound.backend
    if mode != "rename":
        _check_target(bound, name, replace=mode == "overwrite")
        return backend.save(stream, name, overwrite=mode == "overwrite", content_type=content_type) or name
    start = stream.tell() if streams.is_seekable(stream) else None
    # Where creates are atomic and the upload can be read again, the create itself says
    # whether the name is free: no exists() before it (on S3, a HEAD per save).
    trust_create = start is not None and ATOMIC_CREATE in backend.capabilities
    folder, basename = naming.split_parent(name)
    taken: set[str] = set()  # names a plugin's check_target refused, or found stored
    candidate = name
    for _ in range(100):
        if candidate in taken or (not trust_create and backend.exists(candidate)):
            candidate = _free_name(bound, folder, basename, taken)
        try:
            _check_target(bound, candidate, replace=False)
        except FileExists:
            taken.add(candidate)
            continue
        try:
            return backend.save(stream, candidate, overwrite=False, content_type=content_type) or candidate
        except FileExists:
            if start is None:
                raise
            stream.seek(start)
            taken.add(candidate)
    raise FileExists(name, message=f"No free name for {name!r}: the first 100 tried were taken")


def _free_name(bound: BoundStorage, folder: str, basename: str, taken: set[str]) -> str:
    """``Storage.resolve_conflict``'s name (an override's too), or, if a plugin refused it,
    the next of its kind that is neither stored nor refused."""
    first = naming.join_name(folder, bound.storage.resolve_conflict(folder, basename))
    if first not in taken:
        return first
    return naming.join_name(folder, first_free_name(bound, folder, basename, frozenset(taken)))


def _save_hashed(
    bound: BoundStorage, stream: Any, folder: str, basename: str, declared: str | None
) -> tuple[str, bool]:
    config = bound.config
    algorithm = str(config.get("hash_algorithm", "sha256"))
    try:
        hasher = hashlib.new(algorithm)
    except ValueError:
        raise ConfigurationError(f"HASH_ALGORITHM {algorithm!r} is not a hashlib algorithm") from None
    with streams.spooled(stream, hasher) as spool:
        address = naming.hashed_name(
            hasher.hexdigest(),
            extension(basename),
            depth=config.get_int("hash_depth", 4) or 0,
            width=config.get_int("hash_width", 1) or 1,
        )
        name = naming.join_name(folder, address)
        if bound.backend.exists(name):
            return name, False
        try:
            bound.backend.save(spool, name, overwrite=False, content_type=content_type_for(name, declared))
        except FileExists:
            return name, False
    return name, True


def _store_and_process(bound: BoundStorage, name: str, *, replace: bool, store: Callable[[], str]) -> str:
    """Run ``store`` (which writes ``name``, replacing it if ``replace``), then the
    post-save processors. A file about to be replaced is first set aside when a processor
    will work on its replacement, so that a failure can put it back."""
    previous = _set_aside(bound, name) if replace else None
    try:
        name = store()
    except BaseException:
        _discard(bound, previous)
        raise
    _after_store(bound, name, previous=previous)
    return name


def _set_aside(bound: BoundStorage, name: str) -> str | None:
    """Copy ``name`` to a reserved name next to it, if a plugin will process its replacement
    (``will_process``); ``None`` if nothing needs keeping."""
    if _processing.get():
        return None
    will_process = bound.plugins.calls.get("will_process")
    if will_process is None or not any(will_process(storage=bound.storage, filename=name)):
        return None
    # Same folder (a rename within one directory on local disks); a short name, since the
    # file's own name may already be as long as a segment can be (or the whole name as long
    # as the backend takes: the copy then goes to the top level).
    limit = bound.backend.max_name_bytes
    previous = naming.previous_name(name, uuid.uuid4().hex, limit)
    if len(previous.encode("utf-8")) > limit and bound.backend.exists(name):
        # Not the user's name: no shorter name helps, and replacing without a copy to put
        # back could lose the file.
        raise ConfigurationError(
            f"Cannot replace {name!r} in storage {bound.storage.name!r} while processors run: the "
            f"copy kept until they finish ({naming.PREVIOUS_PREFIX}<token>, {len(previous)} bytes) "
            f"is longer than the {limit} bytes its backend leaves for a name; give the storage a "
            f"shorter key prefix"
        )
    try:
        bound.backend.copy(name, previous, overwrite=False)
    except FileNotFound:  # a first save: nothing to keep
        return None
    return previous


def _discard(bound: BoundStorage, previous: str | None) -> None:
    if previous is None:
        return
    try:
        bound.backend.delete(previous)
    except FSError as exc:  # the save itself went through: say so, do not fail it
        bound.app.logger.warning("fs: could not delete %r (%s); delete it by hand", previous, exc)


def _put_back(bound: BoundStorage, previous: str, name: str) -> FSError | None:
    """Copy the file set aside back over ``name``; the error if that failed (the file set
    aside is then kept). A copy, not a move: once it is back, failing to delete the copy set
    aside costs a stray file, not the restored one."""
    try:
        bound.backend.copy(previous, name, overwrite=True)
    except FSError as exc:
        return exc
    _discard(bound, previous)
    return None


def _after_store(
    bound: BoundStorage, name: str, processors: bool = True, previous: str | None = None
) -> None:
    """Run the post-save processors on a stored file; on failure, put back the file it
    replaced (``previous``, see :func:`_set_aside`) or else remove it."""
    after_save = bound.plugins.calls.get("after_save") if processors and not _processing.get() else None
    if after_save is not None:
        try:
            with _processors_running():
                after_save(storage=bound.storage, filename=name)
        except BaseException as exc:  # interrupted too (a worker timeout): undo the save
            if previous is None:
                _remove(bound, name)
            elif (failed := _put_back(bound, previous, name)) is not None:
                raise ProcessingError(
                    f"Processing {name!r} failed ({exc}), and putting back the file it replaced "
                    f"failed too ({failed}): that file is kept as {previous!r} (a reserved name: "
                    f"read it with storage.backend; flask fs clean removes it after a day)"
                ) from exc
            if isinstance(exc, FSError) or not isinstance(exc, Exception):
                raise
            outcome = "the file it replaced was put back" if previous else "it was not kept"
            raise ProcessingError(f"Processing {name!r} failed, so {outcome}: {exc}") from exc
    _discard(bound, previous)
    if signals.file_uploaded.receivers:
        signals.file_uploaded.send(bound.storage, filename=name)


# -- deleting, copying, moving ---------------------------------------------------------------


def delete(bound: BoundStorage, name: str) -> None:
    """:meth:`Storage.delete <fs_core.storage.Storage.delete>`: the file or folder, then
    ``after_delete`` (not for a processor's own delete) and the ``file_deleted`` signal."""
    _remove(bound, name)
    if signals.file_deleted.receivers:
        signals.file_deleted.send(bound.storage, filename=name)


def _remove(bound: BoundStorage, name: str) -> None:
    bound.backend.delete(name)
    after_delete = None if _processing.get() else bound.plugins.calls.get("after_delete")
    if after_delete is not None:
        with _processors_running():  # what they delete in turn runs no hook
            after_delete(storage=bound.storage, filename=name)


def relocate(bound: BoundStorage, source: str, target: str, overwrite: bool | None, *, move: bool) -> str:
    """:meth:`Storage.copy <fs_core.storage.Storage.copy>` and ``move``: the backend's,
    then ``after_copy`` (and for a move, ``after_delete`` of the source once that worked)."""
    replace = conflict_mode(bound, overwrite) == "overwrite"
    if target != source:  # a new file at target: plugins may claim its names (check_target)
        _check_target(bound, target, replace=replace)
    backend = bound.backend
    dest = (backend.move if move else backend.copy)(source, target, overwrite=replace) or target
    if _processing.get() or dest == source:  # a processor's own copy, or nothing moved
        return dest
    calls = bound.plugins.calls
    after_copy = calls.get("after_copy")
    try:
        if after_copy is not None:
            with _processors_running():
                after_copy(storage=bound.storage, source=source, target=dest)
    except Exception as exc:
        verb = "moved" if move else "copied"
        raise ProcessingError(
            f"{source!r} was {verb} to {dest!r}, but processing it there failed ({exc}); "
            f"what was derived from {source!r} is kept"
        ) from exc
    after_delete = calls.get("after_delete") if move else None
    if after_delete is not None:
        with _processors_running():
            after_delete(storage=bound.storage, filename=source)
    return dest
