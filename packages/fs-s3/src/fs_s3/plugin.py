"""fs-s3's hook implementations (wiring only; the backend lives in :mod:`fs_s3.backend`).

The backend is registered by its dotted path, so loading this plugin does not import boto3:
only an app with a storage on ``s3`` pays for it.
"""

from __future__ import annotations

from fs_core import hookimpl
from fs_core.hookspecs import RegisterBackend


@hookimpl
def register_backends(register: RegisterBackend) -> None:
    register("s3", "fs_s3.backend:S3Backend")
