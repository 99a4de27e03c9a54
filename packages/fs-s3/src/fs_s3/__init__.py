"""fs-s3: the S3 (and S3-compatible) backend of fs-core (``s3``).

Not a PyFilesystem2 plugin: it plugs into ``fs_core``. Importing this package does not
import boto3: ``fs_s3.S3Backend`` is loaded from :mod:`fs_s3.backend` when first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .backend import S3Backend

__version__ = "0.1.0"
__all__ = ["S3Backend", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "S3Backend":
        from .backend import S3Backend

        return S3Backend
    raise AttributeError(f"module 'fs_s3' has no attribute {name!r}")
