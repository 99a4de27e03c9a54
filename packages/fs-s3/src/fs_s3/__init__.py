"""fs-s3: the S3 (and S3-compatible) backend of fs-core (``s3``).

Not a PyFilesystem2 plugin: it plugs into ``fs_core``. Importing this package does not
import boto3; the backend class lives in :mod:`fs_s3.backend`.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
