"""fs-swift's hook implementations (wiring only; the backend lives in :mod:`fs_swift.backend`).

The backend is registered by its dotted path, so loading this plugin does not import
python-swiftclient: only an app with a storage on ``swift`` pays for it.
"""

from __future__ import annotations

from fs_core import hookimpl
from fs_core.hookspecs import RegisterBackend


@hookimpl
def register_backends(register: RegisterBackend) -> None:
    register("swift", "fs_swift.backend:SwiftBackend")
