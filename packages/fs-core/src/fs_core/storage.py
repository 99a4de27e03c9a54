"""``Storage``: a named set of files, the object applications work with.

It keeps Flask-FS's API (``save``, ``read``, ``write``, ``open``, ``delete``, ``exists``,
``in``, ``list_files``, ``metadata``, ``url``, ``path``, ``serve``, ``upload_to``, ``prefix``,
``overwrite``, ``file_allowed``, ``extension_allowed``, ``resolve_conflict``, ``base_url``,
``has_url``) and adds ``copy``, ``move``, ``list_files(prefix)``, ``signed_url``, streaming
``open`` and ``leftovers``. Every name is validated before the backend sees it.

A ``Storage`` holds no application state: each call finds what the storage is bound to in
the current app (:class:`~fs_core.state.BoundStorage`: its configuration, backend and
plugins), or in the only app it was configured with when there is no application context (a
script, a worker), and hands it to the module that does the work: :mod:`fs_core.writes`
(save, write, delete, copy, move), :mod:`fs_core.urls`, :mod:`fs_core.views` (serve),
:mod:`fs_core.maintenance` (leftovers).
"""

from __future__ import annotations

import posixpath
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Literal, overload

from flask import Flask, current_app, has_app_context
from werkzeug.wrappers import Response

from . import maintenance, naming, orphans, urls, views, writes
from . import state as state_module
from .backend import BaseBackend
from .config import Config
from .errors import ConfigurationError, NotConfigured, OperationNotSupported
from .files import DEFAULTS, extension
from .leftovers import DEFAULT_LEFTOVER_AGE, Leftover
from .listing import FileInfo
from .orphans import Orphan
from .state import EXTENSION, BoundStorage, FSState

__all__ = ["CONFLICT_MODES", "DEFAULT_SIGNED_URL_EXPIRES", "Storage"]

CONFLICT_MODES = writes.CONFLICT_MODES
DEFAULT_SIGNED_URL_EXPIRES = urls.DEFAULT_SIGNED_URL_EXPIRES


#: The modes of :meth:`Storage.open`, for the type of what it returns.
TextMode = Literal["r", "w", "x"]
BinaryMode = Literal["rb", "wb", "xb"]


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
        """Read this storage's configuration from ``app`` and build its backend for ``app``
        (what ``fs_core.init_app(app, storage)`` does; ``init_app(app)`` must have run)."""
        state = app.extensions.get(EXTENSION)
        if state is None:
            warnings.warn(
                f"Storage.configure(app) on an app without fs_core.init_app(app) is deprecated: "
                f"call fs_core.init_app(app, {self.name}) instead",
                DeprecationWarning,
                stacklevel=2,
            )
            if state_module.initializer is None:  # pragma: no cover - fs_core imports it
                raise NotConfigured(f"Call fs_core.init_app(app, {self.name}) to configure {self.name!r}")
            state = state_module.initializer(app)
        state.configure(self)
        self._apps.add(app)

    def _bind(self, app: Flask, backend: BaseBackend) -> None:
        # fs_core.testing.bind_backend: attach a prebuilt backend.
        state_module.get_state(app).configure(self, backend)
        self._apps.add(app)

    def _app(self) -> Flask:
        if has_app_context():
            return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
        apps = list(self._apps)
        if len(apps) == 1:
            return apps[0]
        if not apps:
            raise NotConfigured(
                f"Storage {self.name!r} is not configured: call fs_core.init_app(app, storage) "
                f"before using it"
            )
        raise NotConfigured(
            f"Storage {self.name!r} is configured for several apps; use it inside "
            f"`with app.app_context():` to say which"
        )

    def _bound(self) -> BoundStorage:
        """What this storage is bound to in the current app: resolved once per call."""
        app = current_app._get_current_object() if has_app_context() else self._app()  # type: ignore[attr-defined]
        state: FSState | None = app.extensions.get(EXTENSION)
        if state is not None:  # the common case first, without a call
            bound = state.bound.get(self.name)
            if bound is not None and bound.storage is self:
                return bound
        if state is None:
            raise NotConfigured(
                f"Storage {self.name!r} is not configured for app {app.name!r}: pass it to "
                f"fs_core.init_app(app, {self.name}). It will not fall back to another backend."
            )
        return state.bound_storage(self)

    @property
    def config(self) -> Config:
        """This storage's resolved configuration for the current app."""
        return self._bound().config

    @property
    def backend(self) -> BaseBackend:
        """This storage's backend instance for the current app."""
        return self._bound().backend

    @property
    def backend_name(self) -> str:
        """Name of the backend configured for the current app (``'local'``, ``'s3'``…)."""
        return self._bound().backend_name

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

    @property
    def base_url(self) -> str:
        """The public URL of this storage's root, always ending with ``/``.

        ``{NAME}_FS_URL`` as is; else ``FS_{BACKEND}_URL`` or ``FS_URL`` joined with the
        storage name (without dropping their last path segment, as Flask-FS's ``urljoin``
        did); else, and always for a private storage, the ``fs.get_file`` view's URL.
        """
        with self._bound().context() as bound:
            return urls.base_url(bound)

    @property
    def has_url(self) -> bool:
        """Whether the storage has a public URL of its own (``FS_{BACKEND}_URL`` counts)."""
        return urls.has_url(self._bound())

    def url(self, filename: str, external: bool = False) -> str:
        """The URL a file is served at (not checked for existence).

        Raises :class:`OperationNotSupported` for a private storage: use :meth:`signed_url`.
        """
        name = naming.validate_name(filename[1:] if filename.startswith("/") else filename)
        with self._bound().context() as bound:
            return urls.url(bound, name, external)

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
        with self._bound().context() as bound:
            return urls.signed_url(
                bound,
                name,
                expires,
                method=method,
                download_name=download_name,
                as_attachment=as_attachment,
                external=external,
            )

    # -- policy (overridable in a subclass, as in Flask-FS) -----------------------------------

    @writes.core_method
    def file_allowed(self, storage: Any, basename: str) -> bool:
        """Whether ``storage`` (the uploaded file) may be saved as ``basename``.

        ``DENY`` refuses first, whatever anyone says; then the plugins' ``file_allowed`` hooks
        answer, and the core's own answer, which runs last, is :meth:`extension_allowed`.
        Override it in a subclass for a policy of your own (``save`` checks ``DENY`` before it
        too).
        """
        bound = self._bound()
        if writes.denied(bound.config, extension(basename)):
            return False
        return bool(bound.hook.file_allowed(storage=self, file=storage, filename=basename))

    @writes.core_method
    def extension_allowed(self, ext: str) -> bool:
        """Whether files with extension ``ext`` (without the dot) may be saved.

        ``DENY`` always wins; otherwise the storage's ``extensions`` or ``ALLOW`` must
        contain it. (In Flask-FS ``allow`` defaulted to ``DEFAULTS``, so ``Storage('x',
        IMAGES)`` accepted ``.txt``, and ``deny`` could not refuse what ``allow`` held.)
        """
        return writes.extension_allowed(self._bound(), ext)

    def resolve_conflict(self, target_folder: str, basename: str) -> str:
        """A new base name for ``basename`` in ``target_folder`` (storage-relative), used when
        ``ON_CONFLICT`` is ``'rename'``: ``name_1.ext``, ``name_2.ext``…, the first free one
        (the name is shortened if the suffix would make it too long for a file system)."""
        return writes.first_free_name(self._bound(), target_folder, basename)

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
        is checked against ``MAX_SIZE`` (:class:`FileTooLarge`) and by :meth:`file_allowed`
        (:class:`UnauthorizedFileType`) before anything is kept; the final name is
        ``upload_to/prefix/filename``. On an existing name, ``overwrite`` (else the
        storage's ``ON_CONFLICT``/``overwrite``) decides: :class:`FileExists`, replace, or a
        free name from :meth:`resolve_conflict`. With ``NAMING = 'hash'`` the file is named by
        its content hash, and saving the same content twice stores it once.
        """
        with self._bound().context() as bound:
            return writes.save(bound, file_or_wfs, filename, prefix, overwrite)

    def write(self, filename: str, content: Any, overwrite: bool = False) -> str:
        """Write ``content`` (bytes, str or a file object) as ``filename``; returns the name.

        Raises :class:`FileExists` if the file exists, unless ``overwrite`` or the storage
        allows it. The write is create-only in the backend, with no check-then-write race.
        """
        with self._bound().context() as bound:
            return writes.write(bound, filename, content, overwrite)

    # -- reading --------------------------------------------------------------------------

    def exists(self, filename: str) -> bool:
        """Whether the file exists."""
        return self.backend.exists(naming.validate_name(filename))

    def __contains__(self, filename: object) -> bool:
        return isinstance(filename, str) and self.exists(filename)

    def read(self, filename: str) -> bytes:
        """The whole content; :class:`FileNotFound` if missing (use :meth:`open` for large files)."""
        return self.backend.read(naming.validate_name(filename))

    @overload
    def open(self, filename: str, mode: TextMode = "r", **kwargs: Any) -> IO[str]: ...
    @overload
    def open(self, filename: str, mode: BinaryMode, **kwargs: Any) -> IO[bytes]: ...
    @overload
    def open(self, filename: str, mode: str, **kwargs: Any) -> IO[Any]: ...
    def open(self, filename: str, mode: str = "r", **kwargs: Any) -> IO[Any]:
        """Open a file for streaming: ``r``/``rb`` read (:class:`FileNotFound` if missing),
        ``w``/``wb`` replace, ``x``/``xb`` create only. Written content appears atomically
        when the file is closed, and is discarded if the ``with`` block raises. (Writes are
        raw: no policy, no processors.)"""
        return self.backend.open(naming.validate_name(filename), mode, **kwargs)

    def list_files(self, prefix: str | None = None) -> Iterator[str]:
        """Names of the stored files, under the folder ``prefix`` if given (whole segments:
        ``'a'`` lists ``a/x`` but not ``ab``). In no particular order."""
        names = self.backend.list_files(naming.validate_prefix(prefix))
        return (name for name in names if not naming.is_reserved(name))

    def metadata(self, filename: str) -> dict[str, Any]:
        """``checksum``, ``size``, ``mime``, ``modified`` (UTC), plus ``filename`` (the base
        name) and ``url`` (``None`` if the storage is private or no URL can be built here)."""
        name = naming.validate_name(filename)
        with self._bound().context() as bound:
            meta = bound.backend.metadata(name)
            meta["filename"] = posixpath.basename(name)
            try:
                meta["url"] = self.url(name, external=True)  # an override (a CDN's URL) counts
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
        with self._bound().context() as bound:
            writes.delete(bound, name)

    def copy(self, filename: str, target: str, overwrite: bool | None = None) -> str:
        """Copy a file inside the storage (server-side where the backend can); returns the
        target's name. Processors derive for the copy what they derived for the file (the
        ``after_copy`` hook)."""
        source, dest = naming.validate_name(filename), naming.validate_name(target)
        with self._bound().context() as bound:
            return writes.relocate(bound, source, dest, overwrite, move=False)

    def move(self, filename: str, target: str, overwrite: bool | None = None) -> str:
        """Move a file inside the storage (server-side where the backend can); returns the
        target's name. What processors derived from the file follows it."""
        source, dest = naming.validate_name(filename), naming.validate_name(target)
        with self._bound().context() as bound:
            return writes.relocate(bound, source, dest, overwrite, move=True)

    @writes.core_method
    def serve(
        self, filename: str, *, as_attachment: bool = False, download_name: str | None = None
    ) -> Response:
        """Serve a file in the current request (404 if it does not exist or cannot exist).

        The backend answers conditional and range requests; the core sends one well-formed
        ``Content-Type``, a safe ``Content-Disposition`` (``attachment`` unless the type is on
        the storage's inline allow-list, see :mod:`fs_core.content_types`), ``nosniff`` and
        a sandboxing ``Content-Security-Policy``.
        """
        return views.serve(self._bound(), filename, as_attachment=as_attachment, download_name=download_name)

    def scan(self, prefix: str | None = None) -> Iterator[FileInfo]:
        """The files under the folder ``prefix`` with their size and date (a
        :class:`~fs_core.listing.FileInfo` each, in no particular order): one pass over the
        service's listing where it gives them, instead of a request per file."""
        infos = self.backend.scan(naming.validate_prefix(prefix))
        return (info for info in infos if not naming.is_reserved(info.name))

    # -- maintenance -------------------------------------------------------------------------

    def leftovers(self, older_than: float = DEFAULT_LEFTOVER_AGE) -> Iterator[Leftover]:
        """What interrupted writes left behind, last written more than ``older_than`` seconds
        ago: the backend's own (temporary files, unfinished uploads) and the copies the core
        set aside while processors ran (``.fs-previous-*``, found by listing the storage)."""
        return maintenance.leftovers(self._bound(), older_than)

    def clean_leftovers(
        self,
        older_than: float = DEFAULT_LEFTOVER_AGE,
        *,
        dry_run: bool = False,
        progress: Callable[[Leftover], None] | None = None,
    ) -> list[Leftover]:
        """Remove what :meth:`leftovers` finds (nothing if ``dry_run``); returns what it found.
        ``progress`` is called with each one before it is removed."""
        return maintenance.clean(self._bound(), older_than, dry_run=dry_run, progress=progress)

    def orphans(self, older_than: float = DEFAULT_LEFTOVER_AGE) -> Iterator[Orphan]:
        """What the storage holds that nothing should, last written more than ``older_than``
        seconds ago: leftovers of interrupted writes, files derived from others that are gone
        (the ``derived_files`` hook), and, where plugins keep references to files (the
        ``referenced_files`` hook), files no record refers to. See :mod:`fs_core.orphans`."""
        with self._bound().context() as bound:
            yield from orphans.find(bound, older_than)

    def remove_orphans(
        self, found: Iterable[Orphan], progress: Callable[[Orphan, Exception | None], None] | None = None
    ) -> list[tuple[Orphan, Exception]]:
        """Remove what :meth:`orphans` reported (exactly that: no hook runs); returns those
        that could not be removed, with why."""
        with self._bound().context() as bound:
            return orphans.remove(bound, found, progress)
