"""Backends written for Flask-FS (or for an earlier fs-core), adapted once, where backends are
loaded, so the rest of the core assumes the current contract (:class:`~fs_core.BaseBackend`).

What is adapted:

* ``open(filename, mode)`` as the primitive for reading (Flask-FS had no ``open_read``), and
  ``write(filename, content)`` as the primitive for saving (no ``save``): the adapter gives
  the backend ``open_read`` and ``save`` built on them (a save then holds the whole file, and
  create-only is a check before the write, since such a service may do no better);
* ``list_files()`` without a ``prefix``: the adapter filters its answer (whole segments);
* ``serve(filename)`` (Flask-FS) or ``serve(filename, *, as_attachment, download_name)`` (fs-core
  0.1 before ``environ``): such a ``serve`` read ``flask.request`` itself; the adapter calls it
  inside the request it is given, with the disposition where it takes one.

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

__all__ = ["adapt"]


def _overrides(cls: type, name: str) -> bool:
    return getattr(cls, name) is not getattr(BaseBackend, name)


def _parameters(function: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(function).parameters)


def _takes(function: Callable[..., Any], name: str) -> bool:
    parameters = _parameters(function).values()
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)


def _open_read(self: BaseBackend, filename: str) -> BinaryIO:
    return self.open(filename, "rb")


def _save(
    self: BaseBackend,
    file_or_wfs: Any,
    filename: str,
    overwrite: bool = False,
    content_type: str | None = None,
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
        environ: Any,
        as_attachment: bool = False,
        download_name: str | None = None,
    ) -> Any:
        from flask import Flask, current_app, has_request_context

        kwargs = {"as_attachment": as_attachment, "download_name": download_name} if disposition else {}
        if has_request_context():
            return old(self, filename, **kwargs)
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        with app.request_context(environ):
            return old(self, filename, **kwargs)

    return serve


def adapt(cls: type[BaseBackend]) -> type[BaseBackend]:
    """``cls`` itself if it follows the current contract, else a subclass that does (the
    same name, so messages and ``repr`` read the same)."""
    overrides: dict[str, Any] = {}
    if _overrides(cls, "open") and not _overrides(cls, "open_read"):
        overrides["open_read"] = _open_read
    if _overrides(cls, "write") and not _overrides(cls, "save"):
        overrides["save"] = _save
    if "prefix" not in _parameters(cls.list_files) and not _takes(cls.list_files, "prefix"):
        overrides["list_files"] = _list_files(cls.list_files)
    if not _takes(cls.serve, "environ"):
        overrides["serve"] = _serve(cls.serve)
    if not overrides:
        return cls
    adapted = type(cls.__name__, (cls,), {**overrides, "__module__": cls.__module__, "__doc__": cls.__doc__})
    adapted.__qualname__ = cls.__qualname__
    return adapted
