"""What fs-core keeps on each Flask application: its storages, each bound to its
configuration, backend and plugins.

``app.extensions['fs']`` is an :class:`FSState`: a dict of storage name to
:class:`~fs_core.storage.Storage` (the shape Flask-FS had), which also holds, per storage, a
:class:`BoundStorage`: the one object a storage's operations work on, resolved once per call.
A ``Storage`` holds no application state, so one storage can serve two apps configured
differently. :func:`fs_core.init_app` creates the state (:mod:`fs_core.extension`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask, current_app, has_app_context

from .backend import BaseBackend
from .config import Config
from .errors import ConfigurationError, NotConfigured

if TYPE_CHECKING:  # pragma: no cover
    import pluggy
    from werkzeug.wrappers import Response

__all__ = ["EXTENSION", "BoundStorage", "FSState", "StorageLike", "get_state"]

#: The key of fs-core's state in ``app.extensions``.
EXTENSION = "fs"


class StorageLike(Protocol):
    """What the core's layers below :class:`~fs_core.storage.Storage` use of it: its name,
    and the methods an application may override in a subclass (Flask-FS's API)."""

    name: str
    extensions: Any
    upload_to: Any
    overwrite: bool

    def file_allowed(self, storage: Any, basename: str) -> bool: ...

    def extension_allowed(self, ext: str) -> bool: ...

    def resolve_conflict(self, target_folder: str, basename: str) -> str: ...

    def serve(
        self, filename: str, *, as_attachment: bool = False, download_name: str | None = None
    ) -> Response: ...

    def url(self, filename: str, external: bool = False) -> str: ...

    def leftovers(self, older_than: float = ...) -> Iterator[Any]: ...


@dataclass(frozen=True, eq=False)
class BoundStorage:
    """One storage as configured for one application: everything an operation needs."""

    #: The application it is configured for.
    app: Flask
    #: The :class:`~fs_core.storage.Storage` (hooks receive it as ``storage``).
    storage: StorageLike
    #: The backend's registered name (``'local'``, ``'s3'``…).
    backend_name: str
    #: The resolved configuration (the backend's ``config`` too).
    config: Config
    #: The backend instance.
    backend: BaseBackend
    #: The app's hook caller (``hook.after_save(storage=…, filename=…)``).
    hook: pluggy.HookRelay
    #: The app's :class:`~fs_core.plugins.Plugins` (which plugin refused an upload…).
    plugins: Any = None

    @property
    def name(self) -> str:
        return self.storage.name

    def context(self) -> _InAppContext:
        """``with bound.context():`` itself, inside an application context of its app (one is
        pushed if there is none: hooks, signals and URLs need one; scripts and workers have
        none)."""
        return _InAppContext(self)


class _InAppContext:
    """What :meth:`BoundStorage.context` returns (a class: it runs on every call)."""

    __slots__ = ("_bound", "_pushed")

    def __init__(self, bound: BoundStorage) -> None:
        self._bound = bound
        self._pushed: Any = None

    def __enter__(self) -> BoundStorage:
        if not has_app_context():
            self._pushed = self._bound.app.app_context()
            self._pushed.push()
        return self._bound

    def __exit__(self, *exc: object) -> None:
        if self._pushed is not None:
            self._pushed.pop()
            self._pushed = None


class FSState(dict):  # type: ignore[type-arg]  # str -> Storage, as Flask-FS had it
    """``app.extensions['fs']``: storages by name, and what each is bound to.

    ``plugins`` is the app's :class:`~fs_core.plugins.Plugins`, ``hook`` its hook caller.
    ``binder(storage, backend)`` makes a storage's :class:`BoundStorage`; whoever creates the
    state gives it (:func:`fs_core.init_app`).
    """

    def __init__(self, app: Flask, plugins: Any) -> None:
        super().__init__()
        self.app_name = app.name
        self.plugins = plugins
        self.hook: pluggy.HookRelay = plugins.hook
        self.bound: dict[str, BoundStorage] = {}
        self.binder: Callable[[StorageLike, BaseBackend | None], BoundStorage] | None = None

    def configure(self, storage: StorageLike, backend: BaseBackend | None = None) -> BoundStorage:
        """Bind ``storage`` to this app (``backend``, if given, is used as it is)."""
        if self.binder is None:  # pragma: no cover - init_app sets it
            raise NotConfigured(f"fs_core.init_app(app) has not finished for app {self.app_name!r}")
        bound = self.binder(storage, backend)
        self.bound[storage.name] = bound
        self[storage.name] = storage
        return bound

    @property
    def states(self) -> dict[str, BoundStorage]:
        """Deprecated: :attr:`bound` (each storage's :class:`BoundStorage`, which has the
        ``backend_name``, ``config`` and ``backend`` the old ``StorageState`` had)."""
        warnings.warn("FSState.states is deprecated: use FSState.bound", DeprecationWarning, stacklevel=2)
        return self.bound

    def bound_storage(self, storage: StorageLike) -> BoundStorage:
        """What ``storage`` is bound to in this app; :class:`NotConfigured` if it is not."""
        bound = self.bound.get(storage.name)
        if bound is None or bound.storage is not storage:
            raise NotConfigured(
                f"Storage {storage.name!r} is not configured for app {self.app_name!r}: pass it to "
                f"fs_core.init_app(app, {storage.name}) or call {storage.name}.configure(app). "
                f"It will not fall back to another backend."
            )
        return bound

    def lookup(self, name: str) -> Any:
        """The storage ``name``; a :class:`ConfigurationError` that lists the configured ones
        if there is none (a name typed by a user)."""
        storage = self.get(name)
        if storage is None:
            known = ", ".join(sorted(self)) or "none"
            raise ConfigurationError(f"No storage named {name!r}. Configured storages: {known}.")
        return storage


def get_state(app: Flask | None = None) -> FSState:
    """The app's :class:`FSState` (``current_app`` by default); :class:`NotConfigured` if
    ``fs_core.init_app(app)`` was never called."""
    app = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]
    state: FSState | None = app.extensions.get(EXTENSION)
    if state is None:
        raise NotConfigured(f"fs_core.init_app(app) was never called for app {app.name!r}")
    return state


#: Set by :mod:`fs_core.extension` (which depends on this module): how an app without fs-core
#: is set up, for the deprecated paths below.
initializer: Callable[[Flask], FSState] | None = None

#: The earlier name of :class:`BoundStorage`.
StorageState = BoundStorage


def __getattr__(name: str) -> Any:
    # fs_core.state.init_app and by_name moved to fs_core.extension (and fs_core itself).
    if name in ("init_app", "by_name"):
        warnings.warn(
            f"fs_core.state.{name} is deprecated: use fs_core.{name}", DeprecationWarning, stacklevel=2
        )
        import importlib

        return getattr(importlib.import_module("fs_core.extension"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
