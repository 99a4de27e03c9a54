"""Backends written for Flask-FS (or for an earlier fs-core), adapted once, where backends are
loaded or bound, so the rest of the core assumes the current contract (:class:`~fs_core.BaseBackend`).

What is adapted:

* ``open(filename, mode)`` as the primitive for reading (Flask-FS had no ``open_read``), and
  ``write(filename, content)`` as the primitive for saving (no ``save``): the adapter gives
  the backend ``open_read`` and ``save`` built on them (a save then holds the whole file, and
  create-only is a check before the write, since such a service may do no better). They sit
  just above ``BaseBackend`` in the class's order, so the backend's own ``super().save()``
  reaches them;
* ``list_files()`` without a ``prefix``: the adapter filters its answer (whole segments);
* ``serve(filename)`` (Flask-FS) or ``serve(filename, *, as_attachment, download_name)`` (fs-core
  0.1 before ``environ``): such a ``serve`` reads ``flask.request`` itself; the adapter calls it
  inside the request, whose ``Range`` it sets to what the core decided (RFC 9110's reading),
  with the disposition where it takes one.

A backend that follows the current contract is used as it is.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from . import streams
from .backend import BaseBackend
from .errors import FileExists
from .naming import under

__all__ = ["adapt", "adapt_instance"]


def _defines(cls: type, name: str) -> bool:
    """Whether a class between ``cls`` and ``BaseBackend`` defines ``name``."""
    return getattr(cls, name) is not getattr(BaseBackend, name)


def _takes(function: Callable[..., Any], name: str) -> bool:
    parameters = inspect.signature(function).parameters.values()
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)


def _takes_a_prefix(function: Callable[..., Any]) -> bool:
    """Whether ``list_files`` takes an argument besides ``self`` (whatever its name)."""
    parameters = list(inspect.signature(function).parameters.values())[1:]
    return any(p.kind is not p.KEYWORD_ONLY for p in parameters)


class _Primitives(BaseBackend):
    """``open_read`` and ``save`` of a backend whose primitives are ``open`` and ``write``."""

    def open_read(self, filename: str) -> BinaryIO:
        return self.open(filename, "rb")  # type: ignore[return-value]

    def save(
        self, file_or_wfs: Any, filename: str, overwrite: bool = False, content_type: str | None = None
    ) -> str:
        if not overwrite and self.exists(filename):
            raise FileExists(filename)
        self.write(filename, self.as_binary(streams.as_stream(file_or_wfs)))
        return filename


def _list_files(old: Callable[..., Iterator[str]]) -> Callable[..., Iterator[str]]:
    @functools.wraps(old)
    def list_files(self: BaseBackend, prefix: str | None = None) -> Iterator[str]:
        return iter(under(prefix, old(self)))

    return list_files


def _serve(old: Callable[..., Any]) -> Callable[..., Any]:
    disposition = _takes(old, "download_name")

    @functools.wraps(old)
    def serve(
        self: BaseBackend,
        filename: str,
        *,
        environ: Any = None,
        as_attachment: bool = False,
        download_name: str | None = None,
    ) -> Any:
        from flask import has_request_context, request

        kwargs = {"as_attachment": as_attachment, "download_name": download_name} if disposition else {}
        if environ is not None and has_request_context():
            # The old serve reads the request itself: give it the Range the core settled on.
            if "HTTP_RANGE" in environ:
                request.environ["HTTP_RANGE"] = environ["HTTP_RANGE"]
            else:
                request.environ.pop("HTTP_RANGE", None)
        return old(self, filename, **kwargs)

    return serve


@functools.cache
def adapt(cls: type[BaseBackend]) -> type[BaseBackend]:
    """``cls`` itself if it follows the current contract, else a subclass that does (the same
    name, so that messages and ``repr`` read the same; one per class)."""
    primitives = (_defines(cls, "open") and not _defines(cls, "open_read")) or (
        _defines(cls, "write") and not _defines(cls, "save")
    )
    overrides: dict[str, Any] = {}
    if not _takes_a_prefix(cls.list_files):
        overrides["list_files"] = _list_files(cls.list_files)
    if not _takes(cls.serve, "environ"):
        overrides["serve"] = _serve(cls.serve)
    if not primitives and not overrides:
        return cls
    bases: tuple[type, ...] = (cls,)
    if primitives:
        # BaseBackend, then the fallbacks, then cls: cls's own super().save() reaches them.
        mro_fix = type(cls.__name__, (cls, _Primitives), {})
        bases = (mro_fix,)
    adapted = type(cls.__name__, bases, {**overrides, "__module__": cls.__module__, "__doc__": cls.__doc__})
    adapted.__qualname__ = cls.__qualname__
    return adapted


def adapt_instance(backend: BaseBackend) -> BaseBackend:
    """A backend built before it could be adapted (a test binding it), adapted in place (the
    adapted class adds methods, no state)."""
    adapted = adapt(type(backend))  # type: ignore[arg-type]  # mypy: a class's __hash__ is unbound
    if adapted is not type(backend):
        backend.__class__ = adapted
    return backend
