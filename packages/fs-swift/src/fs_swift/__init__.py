"""fs-swift: the OpenStack Swift backend of fs-core (``swift``).

Not a PyFilesystem2 plugin: it plugs into ``fs_core``. Importing this package does not import
python-swiftclient: ``fs_swift.SwiftBackend`` is loaded from :mod:`fs_swift.backend` when
first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .backend import SwiftBackend

__version__ = "0.1.0"
__all__ = ["SwiftBackend", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "SwiftBackend":
        from .backend import SwiftBackend

        return SwiftBackend
    raise AttributeError(f"module 'fs_swift' has no attribute {name!r}")
