"""fs-local's hook implementations (wiring only; the backend lives in ``backend.py``)."""

from __future__ import annotations

from fs_core import hookimpl
from fs_core.hookspecs import RegisterBackend


@hookimpl
def register_backends(register: RegisterBackend) -> None:
    register("local", "fs_local.backend:LocalBackend")
