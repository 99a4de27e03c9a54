"""``Storage``: a named set of files, the object applications work with.

It keeps Flask-FS's API (``save``, ``read``, ``write``, ``open``, ``delete``, ``exists``,
``in``, ``list_files``, ``metadata``, ``url``, ``path``, ``serve``, ``upload_to``, ``prefix``,
``overwrite``, ``file_allowed``, ``extension_allowed``, ``resolve_conflict``, ``base_url``,
``has_url``) and adds ``copy``, ``move``, ``list_files(prefix)``, ``signed_url`` and
streaming ``open``. Every name is validated before the backend sees it.

A ``Storage`` holds no application state: its configuration and backend live on each app
(see :mod:`fs_core.state`), found through ``current_app``, or through the only app it was
configured with when there is no application context (a script, a worker).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import posixpath
import re
import tempfile
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import IO, Any
from urllib.parse import quote

from flask import Flask, abort, current_app, has_app_context, has_request_context, request, url_for
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from . import naming, signals, signing, streams
from .backend import BaseBackend
from .config import Config, serve_enabled
from .content_types import content_type_for
from .errors import (
    ConfigurationError,
    FileExists,
    FileNotFound,
    FileTooLarge,
    FSError,
    InvalidFilename,
    NotConfigured,
    OperationNotSupported,
    ProcessingError,
    UnauthorizedFileType,
)
from .files import DEFAULTS, extension
from .leftovers import DEFAULT_LEFTOVER_AGE, Leftover, is_older
from .serving import finish_response, normalize_range
from .state import EXTENSION, FSState, StorageState, init_app

__all__ = ["CONFLICT_MODES", "Storage"]

#: What a create meets on an existing name: refuse, replace, or pick ``name_1.ext``.
CONFLICT_MODES = ("error", "overwrite", "rename")
DEFAULT_SIGNED_URL_EXPIRES = 3600

# The copies _set_aside makes: the reserved prefix and a uuid4's hex.
_SET_ASIDE = re.compile(re.escape(naming.PREVIOUS_PREFIX) + "[0-9a-f]{32}")

# Set while post-save processors run, so files they store do not trigger them again.
_processing: ContextVar[bool] = ContextVar("fs_core_processing", default=False)


@functools.lru_cache(maxsize=64)
def _serve_takes_disposition(backend_class: type[BaseBackend]) -> bool:
    """Whether ``backend_class.serve`` accepts ``download_name`` (Flask-FS's took only the
    file name, and third-party backends may still override it so)."""
    parameters = inspect.signature(backend_class.serve).parameters.values()
    return any(p.name == "download_name" or p.kind is p.VAR_KEYWORD for p in parameters)


@contextlib.contextmanager
def _processors_running() -> Iterator[None]:
    token = _processing.set(True)
    try:
        yield
    finally:
        _processing.reset(token)


def _ext_set(value: Any) -> Any:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset(v.strip().lower().lstrip(".") for v in value.split(",") if v.strip())
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(str(v).lower().lstrip(".") for v in value)
    return value  # ALL, NONE, AllExcept…


class Storage:
    """A named set of files (Flask-FS's ``Storage``).

    :param name: the storage name, used in config keys (``{NAME}_FS_*``) and URLs.
    :param extensions: extensions accepted by :meth:`save` (presets such as ``IMAGES``,
        or ``ALL``/``NONE``/``AllExcept``); ``{NAME}_FS_ALLOW``/``_DENY`` adjust it.
    :param upload_to: a folder (or a callable with no arguments returning one) that
        :meth:`save` puts files in.
    :param overwrite: whether :meth:`save` and :meth:`write` replace existing files by default.
    """

    def __init__(
        self,
        name: str = "files",
        extensions: Any = DEFAULTS,
        upload_to: str | Callable[[], str] | None = None,
        overwrite: bool = False,
    ) -> None:
        if not name or not name.replace("_", "").replace("-", "").isalnum():
            raise ConfigurationError(f"Storage name {name!r} must be letters, digits, '-' or '_'")
        self.name = name
        self.extensions = extensions
        self.upload_to = upload_to
        self.overwrite = overwrite
        self._apps: weakref.WeakSet[Flask] = weakref.WeakSet()

    def __repr__(self) -> str:
        return f"<Storage {self.name!r}>"

    # -- configuration --------------------------------------------------------------------

    def configure(self, app: Flask) -> None:
        """Read this storage's configuration from ``app`` and build its backend for ``app``."""
        state = app.extensions.get(EXTENSION) or init_app(app)
        state.configure(app, self)
        self._apps.add(app)

    def _bind(self, app: Flask, backend: BaseBackend) -> None:
        # Used by fs_core.testing to attach a prebuilt backend.
        state = app.extensions.get(EXTENSION) or init_app(app)
        state.configure(app, self, backend=backend)
        self._apps.add(app)

    def _app(self) -> Flask:
        if has_app_context():
            return current_app._get_current_object()  # type: ignore[attr-defined]
        apps = list(self._apps)
        if len(apps) == 1:
            return apps[0]
        if not apps:
            raise NotConfigured(
                f"Storage {self.name!r} is not configured: call fs_core.init_app(app, storage) "
                f"(or storage.configure(app)) before using it"
            )
        raise NotConfigured(
            f"Storage {self.name!r} is configured for several apps; use it inside "
            f"`with app.app_context():` to say which"
        )

    def _fs(self) -> tuple[Flask, FSState, StorageState]:
        app = self._app()
        fs: FSState | None = app.extensions.get(EXTENSION)
        state = fs.states.get(self.name) if fs is not None else None
        if fs is None or state is None or fs.get(self.name) is not self:
            raise NotConfigured(
                f"Storage {self.name!r} is not configured for app {app.name!r}: pass it to "
                f"fs_core.init_app(app, {self.name}) or call {self.name}.configure(app). "
                f"It will not fall back to another backend."
            )
        return app, fs, state

    @contextlib.contextmanager
    def _context(self) -> Iterator[tuple[Flask, FSState, StorageState]]:
        """The app, its fs state and this storage's state, with an app context pushed if
        there was none (hooks and URL building need one)."""
        app, fs, state = self._fs()
        if has_app_context():
            yield app, fs, state
        else:
            with app.app_context():
                yield app, fs, state

    @property
    def config(self) -> Config:
        """This storage's resolved configuration for the current app."""
        return self._fs()[2].config

    @property
    def backend(self) -> BaseBackend:
        """This storage's backend instance for the current app."""
        return self._fs()[2].backend

    @property
    def backend_name(self) -> str:
        """Name of the backend configured for the current app (``'local'``, ``'s3'``…)."""
        return self._fs()[2].backend_name

    @property
    def backend_prefix(self) -> str:
        """``FS_{BACKEND}_``, the prefix of the backend-level configuration keys."""
        return f"FS_{self.backend_name.upper()}_"

    @property
    def root(self) -> str | None:
        """The backend's local root directory (``None`` for remote backends)."""
        return self.backend.root

    @property
    def private(self) -> bool:
        """A private storage has no public URL: its files are reached by signed URLs only."""
        return self.config.get_bool("private")

    # -- URLs -----------------------------------------------------------------------------

    def _public_url(self, app: Flask, cfg: Config, backend_name: str) -> str | None:
        if cfg.get_bool("private"):
            return None  # reached through signed URLs of the view only
        if cfg.get("url"):
            return self._clean_url(app, str(cfg["url"]))
        parent = app.config.get(f"FS_{backend_name.upper()}_URL") or app.config.get("FS_URL")
        if parent:
            parent = str(parent)
            return self._clean_url(app, (parent if parent.endswith("/") else parent + "/") + quote(self.name))
        return None

    @staticmethod
    def _clean_url(app: Flask, url: str) -> str:
        if "://" not in url and not url.startswith("//"):
            scheme = (
                request.scheme if has_request_context() else app.config.get("PREFERRED_URL_SCHEME", "http")
            )
            url = f"{scheme}://{url}"
        return url if url.endswith("/") else url + "/"

    def _view_url(self, filename: str, external: bool, **query: str) -> str:
        try:
            return url_for("fs.get_file", fs=self.name, filename=filename, _external=external, **query)
        except (RuntimeError, BuildError) as exc:
            raise ConfigurationError(
                f"Cannot build a URL for storage {self.name!r} outside a request: set "
                f"SERVER_NAME, or a public URL ({self.name.upper()}_FS_URL or FS_URL). ({exc})"
            ) from exc

    @property
    def base_url(self) -> str:
        """The public URL of this storage's root, always ending with ``/``.

        ``{NAME}_FS_URL`` as is; else ``FS_{BACKEND}_URL`` or ``FS_URL`` joined with the
        storage name (without dropping their last path segment, as Flask-FS's ``urljoin``
        did); else, and always for a private storage, the ``fs.get_file`` view's URL.
        """
        with self._context() as (app, _, state):
            url = self._public_url(app, state.config, state.backend_name)
            return url or self._view_url("", external=True)

    @property
    def has_url(self) -> bool:
        """Whether the storage has a public URL of its own (``FS_{BACKEND}_URL`` counts)."""
        app, _, state = self._fs()
        return self._public_url(app, state.config, state.backend_name) is not None

    def url(self, filename: str, external: bool = False) -> str:
        """The URL a file is served at (not checked for existence).

        Raises :class:`OperationNotSupported` for a private storage: use :meth:`signed_url`.
        """
        name = naming.validate_name(filename[1:] if filename.startswith("/") else filename)
        with self._context() as (app, _, state):
            if state.config.get_bool("private"):
                raise OperationNotSupported(
                    f"Storage {self.name!r} is private and has no public URL: use signed_url()"
                )
            public = self._public_url(app, state.config, state.backend_name)
            if public:
                return public + quote(name)
            return self._view_url(name, external)

    def signed_url(
        self,
        filename: str,
        expires: int | None = None,
        *,
        method: str = "GET",
        download_name: str | None = None,
        as_attachment: bool = False,
        external: bool = True,
    ) -> str:
        """A URL granting ``method`` on the file for ``expires`` seconds (``SIGNED_URL_EXPIRES``,
        one hour by default): the service's own (S3 presigned, Swift TempURL) where the
        backend has one, else a signed URL of the ``fs.get_file`` view. The file is served
        as an attachment if ``as_attachment``, under ``download_name`` if given; the
        signature covers both."""
        name = naming.validate_name(filename)
        if download_name is not None:
            naming.check_chars(download_name)  # it becomes a header value
        with self._context() as (app, _, state):
            if expires is None:
                expires = state.config.get_int("signed_url_expires", DEFAULT_SIGNED_URL_EXPIRES)
            url = state.backend.signed_url(
                name, int(expires), method=method, download_name=download_name, as_attachment=as_attachment
            )
            if url:
                return url
            if method.upper() != "GET":
                raise OperationNotSupported(f"Backend {state.backend_name!r} cannot sign {method} URLs")
            if not serve_enabled(state.config.get("serve", True)):
                raise OperationNotSupported(
                    f"Storage {self.name!r} has SERVE off, so the fs view would answer 404 to a "
                    f"signed URL; turn {self.name.upper()}_FS_SERVE on"
                )
            query = signing.sign(
                app, self.name, name, int(expires), attachment=as_attachment, download_name=download_name
            )
            return self._view_url(name, external, **query)

    # -- policy -----------------------------------------------------------------------------

    def file_allowed(self, storage: Any, basename: str) -> bool:
        """Whether ``storage`` (the uploaded file) may be saved as ``basename``.

        Asks the plugins' ``file_allowed`` hooks; the core's own answer, which runs last, is
        :meth:`extension_allowed`. Override it in a subclass for a policy of your own.
        """
        _, fs, _ = self._fs()
        return bool(fs.plugins.hook.file_allowed(storage=self, file=storage, filename=basename))

    def extension_allowed(self, ext: str) -> bool:
        """Whether files with extension ``ext`` (without the dot) may be saved.

        ``DENY`` always wins; otherwise the storage's ``extensions`` or ``ALLOW`` must
        contain it. (In Flask-FS ``allow`` defaulted to ``DEFAULTS``, so ``Storage('x',
        IMAGES)`` accepted ``.txt``, and ``deny`` could not refuse what ``allow`` held.)
        """
        cfg = self.config
        ext = ext.lower().lstrip(".")
        if ext in _ext_set(cfg.get("deny")):
            return False
        return ext in _ext_set(self.extensions) or ext in _ext_set(cfg.get("allow"))

    def resolve_conflict(self, target_folder: str, basename: str) -> str:
        """A new base name for ``basename`` in ``target_folder`` (storage-relative), used when
        ``ON_CONFLICT`` is ``'rename'``: ``name_1.ext``, ``name_2.ext``…, the first free one
        (the name is shortened if the suffix would make it too long for a file system)."""
        backend = self.backend
        for candidate in naming.conflict_names(basename):
            if not backend.exists(naming.join_name(target_folder, candidate)):
                return candidate
        raise FileExists(
            basename, message=f"No free name for {basename!r} in {target_folder or 'the storage root'!r}"
        )

    def _conflict_mode(self, cfg: Config, overwrite: bool | None) -> str:
        mode = cfg.get("on_conflict")
        if mode is not None and mode not in CONFLICT_MODES:
            raise ConfigurationError(
                f"{self.name.upper()}_FS_ON_CONFLICT must be one of {', '.join(CONFLICT_MODES)}, not {mode!r}"
            )
        if overwrite is True:
            return "overwrite"
        if overwrite is False:
            return "rename" if mode == "rename" else "error"
        if mode:
            return mode
        return "overwrite" if cfg.get_bool("overwrite", self.overwrite) else "error"

    # -- writing --------------------------------------------------------------------------

    def save(
        self,
        file_or_wfs: Any,
        filename: str | None = None,
        prefix: str | Callable[[], str] | None = None,
        overwrite: bool | None = None,
    ) -> str:
        """Save a file object or a werkzeug ``FileStorage``; returns the name it was stored as.

        Without ``filename``, the upload's own name is made safe (:func:`naming.secure_filename`).
        An explicit ``filename`` may contain folders and is validated, not rewritten. The file
        is checked by :meth:`file_allowed` (:class:`UnauthorizedFileType`) and against
        ``MAX_SIZE`` (:class:`FileTooLarge`) before anything is kept; the final name is
        ``upload_to/prefix/filename``. On an existing name, ``overwrite`` (else the
        storage's ``ON_CONFLICT``/``overwrite``) decides: :class:`FileExists`, replace, or a
        free name from :meth:`resolve_conflict`. With ``NAMING = 'hash'`` the file is named by
        its content hash, and saving the same content twice stores it once.
        """
        if isinstance(file_or_wfs, (str, bytes, bytearray, memoryview)):
            # file_allowed hooks and overrides read a file object, whatever was given.
            file_or_wfs = streams.as_stream(file_or_wfs)
        with self._context() as (_, _, state):
            cfg = state.config
            declared = getattr(file_or_wfs, "mimetype", None) or getattr(file_or_wfs, "content_type", None)
            if not filename:
                client_name = getattr(file_or_wfs, "filename", None)
                if isinstance(client_name, str) and client_name:
                    filename = naming.secure_filename(client_name, ascii_only=cfg.get_bool("ascii_names"))
            if not filename:
                raise InvalidFilename("filename is required")
            filename = naming.validate_name(filename)
            basename = filename.rpartition("/")[2]
            # The size is checked first: no policy plugin reads an upload that is too large.
            stream = self._limited(file_or_wfs, cfg)
            if not self.file_allowed(file_or_wfs, basename):
                ext = extension(basename)
                kind = f"'.{ext}' files" if ext else "Files without an extension"
                raise UnauthorizedFileType(f"{kind} are not allowed in storage {self.name!r}")
            folder = "/".join(p for p in (self._folder(self.upload_to), self._folder(prefix)) if p)
            if cfg.get("naming") == "hash":  # never replaces: the same name is the same content
                with self._prepared(naming.join_name(folder, basename), stream) as prepared:
                    name, stored = self._save_hashed(state, prepared, folder, basename, declared)
                self._after_store(name, processors=stored)
                return name
            name = naming.join_name(folder, filename)
            mode = self._conflict_mode(cfg, overwrite)
            content_type = content_type_for(name, declared)
            with self._prepared(name, stream) as prepared:
                return self._store_and_process(
                    state,
                    name,
                    replace=mode == "overwrite",
                    store=lambda: self._store(state, prepared, name, mode, content_type),
                )

    @staticmethod
    def _folder(value: str | Callable[[], str] | None) -> str | None:
        if callable(value):
            value = value()
        return naming.validate_prefix(value) if value else None

    @staticmethod
    def _limited(file_or_wfs: Any, cfg: Config) -> Any:
        """The upload as a stream that refuses to go past ``MAX_SIZE``; a size known at once
        (the request's ``Content-Length`` of the part, a seekable stream's length) is refused
        at once."""
        stream = streams.as_stream(file_or_wfs)
        limit = cfg.get_int("max_size")
        if limit is None:
            return stream
        declared = getattr(file_or_wfs, "content_length", None)
        if not (isinstance(declared, int) and declared > 0):
            declared = streams.remaining(stream)
        if declared is not None and declared > limit:
            raise FileTooLarge(
                f"The file is larger than the {limit:,} bytes this storage accepts", limit=limit
            )
        return streams.LimitedReader(stream, limit)

    @contextlib.contextmanager
    def _prepared(self, name: str, stream: Any) -> Iterator[Any]:
        """``stream``, or what a plugin's ``prepare_upload`` returns instead (closed after)."""
        if _processing.get():
            yield stream
            return
        _, fs, _ = self._fs()
        replacement = fs.plugins.hook.prepare_upload(storage=self, filename=name, file=stream)
        if replacement is None:
            yield stream
            return
        with contextlib.closing(replacement):
            yield replacement

    def _check_target(self, name: str, replace: bool) -> None:
        if not _processing.get():
            _, fs, _ = self._fs()
            fs.plugins.hook.check_target(storage=self, filename=name, replace=replace)

    def _store(self, state: StorageState, stream: Any, name: str, mode: str, content_type: str) -> str:
        backend = state.backend
        if mode != "rename":
            self._check_target(name, replace=mode == "overwrite")
            return (
                backend.save(stream, name, overwrite=mode == "overwrite", content_type=content_type) or name
            )
        start = stream.tell() if streams.is_seekable(stream) else None
        folder, basename = naming.split_parent(name)
        taken: set[str] = set()  # names a plugin's check_target refused
        candidate = name
        for _ in range(100):
            if candidate in taken or backend.exists(candidate):
                candidate = self._free_name(folder, basename, taken)
            try:
                self._check_target(candidate, replace=False)
            except FileExists:
                taken.add(candidate)
                continue
            try:
                return (
                    backend.save(stream, candidate, overwrite=False, content_type=content_type) or candidate
                )
            except FileExists:
                if start is None:
                    raise
                stream.seek(start)
        raise FileExists(name, message=f"No free name for {name!r}: the first 100 tried were taken")

    def _free_name(self, folder: str, basename: str, taken: set[str]) -> str:
        """:meth:`resolve_conflict`'s name (an override's too), or, if a plugin refused it,
        the next of its kind that is neither stored nor refused."""
        first = naming.join_name(folder, self.resolve_conflict(folder, basename))
        if first not in taken:
            return first
        backend = self.backend
        for candidate in naming.conflict_names(basename):
            name = naming.join_name(folder, candidate)
            if name not in taken and not backend.exists(name):
                return name
        raise FileExists(
            basename, message=f"No free name for {basename!r} in {folder or 'the storage root'!r}"
        )

    def _save_hashed(
        self, state: StorageState, stream: Any, folder: str, basename: str, declared: str | None
    ) -> tuple[str, bool]:
        cfg = state.config
        algorithm = str(cfg.get("hash_algorithm", "sha256"))
        try:
            hasher = hashlib.new(algorithm)
        except ValueError:
            raise ConfigurationError(f"HASH_ALGORITHM {algorithm!r} is not a hashlib algorithm") from None
        with tempfile.SpooledTemporaryFile(max_size=streams.SPOOL_SIZE) as spool:
            streams.copy_stream(streams.HashingReader(stream, hasher), spool.write)
            address = naming.hashed_name(
                hasher.hexdigest(),
                extension(basename),
                depth=cfg.get_int("hash_depth", 4) or 0,
                width=cfg.get_int("hash_width", 1) or 1,
            )
            name = naming.join_name(folder, address)
            if state.backend.exists(name):
                return name, False
            spool.seek(0)
            try:
                state.backend.save(
                    spool, name, overwrite=False, content_type=content_type_for(name, declared)
                )
            except FileExists:
                return name, False
        return name, True

    def _store_and_process(
        self, state: StorageState, name: str, *, replace: bool, store: Callable[[], str]
    ) -> str:
        """Run ``store`` (which writes ``name``, replacing it if ``replace``), then the
        post-save processors. A file about to be replaced is first set aside when a
        processor will work on its replacement, so that a failure can put it back."""
        previous = self._set_aside(state, name) if replace else None
        try:
            name = store()
        except BaseException:
            self._discard(state, previous)
            raise
        self._after_store(name, previous=previous)
        return name

    def _set_aside(self, state: StorageState, name: str) -> str | None:
        """Copy ``name`` to a hidden name next to it, if a plugin will process its
        replacement (``will_process``); ``None`` if nothing needs keeping."""
        if _processing.get():
            return None
        _, fs, _ = self._fs()
        if not any(fs.plugins.hook.will_process(storage=self, filename=name)):
            return None
        # Same folder (a rename within one directory on local disks); a short name, since
        # the file's own name may already be as long as a segment can be.
        previous = naming.previous_name(name, uuid.uuid4().hex)
        try:
            state.backend.copy(name, previous, overwrite=False)
        except FileNotFound:  # a first save: nothing to keep
            return None
        return previous

    def _discard(self, state: StorageState, previous: str | None) -> None:
        if previous is None:
            return
        try:
            state.backend.delete(previous)
        except FSError as exc:  # the save itself went through: say so, do not fail it
            self._fs()[0].logger.warning("fs: could not delete %r (%s); delete it by hand", previous, exc)

    def _put_back(self, state: StorageState, previous: str, name: str) -> FSError | None:
        """Copy the file set aside back over ``name``; the error if that failed (the file
        set aside is then kept). A copy, not a move: once it is back, failing to delete
        the copy set aside costs a stray file, not the restored one."""
        try:
            state.backend.copy(previous, name, overwrite=True)
        except FSError as exc:
            return exc
        self._discard(state, previous)
        return None

    def _after_store(self, name: str, processors: bool = True, previous: str | None = None) -> None:
        """Run the post-save processors on a stored file; on failure, put back the file it
        replaced (``previous``, see :meth:`_set_aside`) or else remove it."""
        _, fs, state = self._fs()
        if processors and not _processing.get():
            try:
                with _processors_running():
                    fs.plugins.hook.after_save(storage=self, filename=name)
            except BaseException as exc:  # interrupted too (a worker timeout): undo the save
                if previous is None:
                    self._remove(name)
                elif (failed := self._put_back(state, previous, name)) is not None:
                    raise ProcessingError(
                        f"Processing {name!r} failed ({exc}), and putting back the file it replaced "
                        f"failed too ({failed}): that file is kept as {previous!r} (a reserved name: "
                        f"read it with storage.backend; flask fs clean removes it after a day)"
                    ) from exc
                if isinstance(exc, FSError) or not isinstance(exc, Exception):
                    raise
                outcome = "the file it replaced was put back" if previous else "it was not kept"
                raise ProcessingError(f"Processing {name!r} failed, so {outcome}: {exc}") from exc
        self._discard(state, previous)
        signals.file_uploaded.send(self, filename=name)

    def write(self, filename: str, content: Any, overwrite: bool = False) -> str:
        """Write ``content`` (bytes, str or a file object) as ``filename``; returns the name.

        Raises :class:`FileExists` if the file exists, unless ``overwrite`` or the storage
        allows it. The write is create-only in the backend, with no check-then-write race.
        """
        with self._context() as (_, _, state):
            name = naming.validate_name(filename)
            replace = overwrite or self._conflict_mode(state.config, None) == "overwrite"
            mode = "overwrite" if replace else "error"
            content_type = content_type_for(name, getattr(content, "mimetype", None))
            with self._prepared(name, streams.as_stream(content)) as stream:
                return self._store_and_process(
                    state,
                    name,
                    replace=replace,
                    store=lambda: self._store(state, stream, name, mode, content_type),
                )

    # -- reading --------------------------------------------------------------------------

    def exists(self, filename: str) -> bool:
        """Whether the file exists."""
        return self.backend.exists(naming.validate_name(filename))

    def __contains__(self, filename: object) -> bool:
        return isinstance(filename, str) and self.exists(filename)

    def read(self, filename: str) -> bytes:
        """The whole content; :class:`FileNotFound` if missing (use :meth:`open` for large files)."""
        return self.backend.read(naming.validate_name(filename))

    def open(self, filename: str, mode: str = "r", **kwargs: Any) -> IO[Any]:
        """Open a file for streaming: ``r``/``rb`` read (:class:`FileNotFound` if missing),
        ``w``/``wb`` replace, ``x``/``xb`` create only. Written content appears atomically
        when the file is closed, and is discarded if the ``with`` block raises."""
        return self.backend.open(naming.validate_name(filename), mode, **kwargs)

    def list_files(self, prefix: str | None = None) -> Iterator[str]:
        """Names of the stored files, under the folder ``prefix`` if given (whole segments:
        ``'a'`` lists ``a/x`` but not ``ab``). In no particular order."""
        folder = naming.validate_prefix(prefix)
        backend = self.backend
        if folder is None:
            names = backend.list_files()
        else:
            try:
                names = backend.list_files(folder)
            except TypeError:  # a Flask-FS backend: list_files() takes no prefix
                names = naming.under(folder, backend.list_files())
        return (name for name in names if not naming.is_reserved(name))

    def metadata(self, filename: str) -> dict[str, Any]:
        """``checksum``, ``size``, ``mime``, ``modified`` (UTC), plus ``filename`` (the base
        name) and ``url`` (``None`` if the storage is private or no URL can be built here)."""
        name = naming.validate_name(filename)
        with self._context():
            meta = self.backend.metadata(name)
            meta["filename"] = posixpath.basename(name)
            try:
                meta["url"] = self.url(name, external=True)
            except (OperationNotSupported, ConfigurationError):
                meta["url"] = None
            return meta

    def path(self, filename: str) -> str:
        """The local path of a file; :class:`OperationNotSupported` on remote backends."""
        return self.backend.path(naming.validate_name(filename))

    # -- other operations ------------------------------------------------------------------

    def delete(self, filename: str) -> None:
        """Delete a file, or everything under the folder ``filename/``; deleting a missing
        name is not an error. Processors then remove what they derived from it."""
        name = naming.validate_name(filename)
        with self._context():
            self._remove(name)
            signals.file_deleted.send(self, filename=name)

    def _remove(self, name: str) -> None:
        _, fs, state = self._fs()
        state.backend.delete(name)
        fs.plugins.hook.after_delete(storage=self, filename=name)

    def copy(self, filename: str, target: str, overwrite: bool | None = None) -> str:
        """Copy a file inside the storage (server-side where the backend can); returns the
        target's name. Processors derive for the copy what they derived for the file (the
        ``after_copy`` hook)."""
        return self._relocate(filename, target, overwrite, move=False)

    def move(self, filename: str, target: str, overwrite: bool | None = None) -> str:
        """Move a file inside the storage (server-side where the backend can); returns the
        target's name. What processors derived from the file follows it."""
        return self._relocate(filename, target, overwrite, move=True)

    def _relocate(self, filename: str, target: str, overwrite: bool | None, *, move: bool) -> str:
        source, dest = naming.validate_name(filename), naming.validate_name(target)
        with self._context() as (_, fs, state):
            replace = self._conflict_mode(state.config, overwrite) == "overwrite"
            if dest != source:  # a new file at dest: plugins may claim its names (check_target)
                self._check_target(dest, replace=replace)
            relocate = state.backend.move if move else state.backend.copy
            dest = relocate(source, dest, overwrite=replace) or dest
            if _processing.get() or dest == source:  # a processor's own copy, or nothing moved
                return dest
            try:
                with _processors_running():
                    fs.plugins.hook.after_copy(storage=self, source=source, target=dest)
            except Exception as exc:
                verb = "moved" if move else "copied"
                raise ProcessingError(
                    f"{source!r} was {verb} to {dest!r}, but processing it there failed ({exc}); "
                    f"what was derived from {source!r} is kept"
                ) from exc
            if move:
                fs.plugins.hook.after_delete(storage=self, filename=source)
            return dest

    # -- maintenance -------------------------------------------------------------------------

    def leftovers(self, older_than: float = DEFAULT_LEFTOVER_AGE) -> Iterator[Leftover]:
        """What interrupted writes left behind, last written more than ``older_than`` seconds
        ago: the backend's own (temporary files, unfinished uploads) and the copies the core
        set aside while processors ran (``.fs-previous-*``, found by listing the storage)."""
        backend = self.backend
        yield from backend.leftovers(older_than)
        for name in backend.list_files():
            if not _SET_ASIDE.fullmatch(naming.split_parent(name)[1]):
                continue
            try:
                meta = backend.metadata(name)
            except FileNotFound:  # its processing finished meanwhile
                continue
            if is_older(meta["modified"], older_than):
                yield Leftover(
                    f"copy set aside while processing a replacement: {name}",
                    meta["modified"],
                    meta.get("size"),
                    name=name,
                )

    def clean_leftovers(
        self,
        older_than: float = DEFAULT_LEFTOVER_AGE,
        *,
        dry_run: bool = False,
        progress: Callable[[Leftover], None] | None = None,
    ) -> list[Leftover]:
        """Remove what :meth:`leftovers` finds (nothing if ``dry_run``); returns what it found.
        ``progress`` is called with each one before it is removed."""
        found = []
        backend = self.backend
        for leftover in self.leftovers(older_than):
            if progress is not None:
                progress(leftover)
            if not dry_run:
                if leftover.name is not None and leftover.ref is None:
                    backend.delete(leftover.name)
                else:
                    backend.remove_leftover(leftover)
            found.append(leftover)
        return found

    def serve(
        self, filename: str, *, as_attachment: bool = False, download_name: str | None = None
    ) -> Response:
        """Serve a file in the current request (404 if it does not exist or cannot exist).

        The backend answers conditional and range requests; the core sends one well-formed
        ``Content-Type``, a safe ``Content-Disposition`` (``attachment`` unless the type is on
        the storage's inline allow-list, see :mod:`fs_core.content_types`), ``nosniff`` and
        a sandboxing ``Content-Security-Policy``.
        """
        try:
            name = naming.validate_name(filename)
        except InvalidFilename:
            abort(404)
        if download_name is not None:
            naming.check_chars(download_name)  # it becomes a header value, or part of a URL
        app, _, state = self._fs()
        cfg = state.config
        signals.before_display.send(self, filename=name)
        backend = state.backend
        disposition: dict[str, Any] = {}
        if (as_attachment or download_name) and _serve_takes_disposition(type(backend)):
            disposition = {"as_attachment": as_attachment, "download_name": download_name}
        # Backends answer ranges with werkzeug, which refuses with 416 what RFC 9110 says to
        # ignore; the request's own environ is what they read.
        environ = request.environ
        normalized = normalize_range(environ)
        if normalized is not environ:
            environ.pop("HTTP_RANGE", None)
        try:
            rv = backend.serve(name, **disposition)
        except (FileNotFound, InvalidFilename):  # a name this backend cannot store
            abort(404)
        rv = app.make_response(rv)
        return finish_response(
            rv,
            name,
            cfg,
            as_attachment=as_attachment,
            download_name=download_name,
            private=cfg.get_bool("private"),
            max_age=cfg.get_int("max_age"),
        )
