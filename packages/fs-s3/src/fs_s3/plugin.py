"""fs-s3's hook implementations (wiring only; the backend lives in :mod:`fs_s3.backend`).

The backend is registered by its dotted path, so loading this plugin does not import boto3:
only an app with a storage on ``s3`` pays for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fs_core import hookimpl
from fs_core.errors import ConfigurationError
from fs_core.hookspecs import RegisterBackend

if TYPE_CHECKING:  # pragma: no cover
    from flask import Flask


@hookimpl
def register_backends(register: RegisterBackend) -> None:
    register("s3", "fs_s3.backend:S3Backend")


@hookimpl
def init_app(app: Flask) -> None:
    # The backend sees only the resolved value, not which level set it: refuse the one
    # level at which a key prefix would be every storage's, so storages sharing a bucket
    # would list, overwrite and delete each other's files.
    if app.config.get("FS_S3_KEY_PREFIX") is not None:
        raise ConfigurationError(
            "FS_S3_KEY_PREFIX would give every storage in the bucket the same key prefix, so "
            "they would overwrite and delete each other's files: set <NAME>_FS_KEY_PREFIX for "
            "one storage instead (with FS_S3_BUCKET, each storage's prefix is its name by default)"
        )
