"""The ``s3`` backend's configuration: every key, its default, and its validation.

Read once, when a storage is configured, from the core's cascade (``FS_S3_<KEY>`` <
``<NAME>_FS_<KEY>``). Nothing here contacts the service or imports boto3: a storage
configured while S3 is down still lets the app start, and a wrong value is a
:class:`~fs_core.errors.ConfigurationError` naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fs_core.config import Config, as_bool, serve_mode, shared_key_prefix
from fs_core.errors import ConfigurationError

__all__ = ["CANNED_ACLS", "MiB", "S3Settings"]

MiB = 1 << 20
GiB = 1 << 30

#: Canned ACLs S3 accepts in ``x-amz-acl``.
CANNED_ACLS = frozenset(
    {
        "private",
        "public-read",
        "public-read-write",
        "authenticated-read",
        "aws-exec-read",
        "bucket-owner-read",
        "bucket-owner-full-control",
    }
)
SSE_ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})
ADDRESSING_STYLES = frozenset({"auto", "path", "virtual"})
RETRY_MODES = frozenset({"standard", "adaptive", "legacy"})
# S3's bucket naming rules (lowercase letters, digits, dots and hyphens; 3-63 characters).
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
#: The part-count limit of a multipart upload.
MAX_PARTS = 10_000
MIN_PART_SIZE = 5 * MiB
#: The longest validity of a SigV4 presigned URL (S3 refuses a URL signed for longer).
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600


@dataclass(frozen=True)
class S3Settings:
    """One storage's S3 settings, resolved and checked."""

    storage: str
    bucket: str
    #: Prepended to every name to make its key: ``'<storage>/'`` in a shared bucket, else ``''``.
    key_prefix: str
    endpoint: str | None = None
    region: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    session_token: str | None = None
    create_bucket: bool = True
    addressing_style: str = "auto"
    sse: str | None = None
    sse_kms_key_id: str | None = None
    acl: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 3
    retry_mode: str = "standard"
    client_options: Mapping[str, Any] = field(default_factory=dict)
    config_options: Mapping[str, Any] = field(default_factory=dict)
    multipart_threshold: int = 6 * MiB
    multipart_chunksize: int = 6 * MiB
    max_concurrency: int = 2
    multipart_copy_threshold: int = 5 * GiB
    multipart_copy_chunksize: int = 256 * MiB
    serve: str = "stream"
    #: ``None``: probe the service on first use; ``True``/``False``: trust the configuration.
    atomic_create: bool | None = None
    redirect_expires: int = 300

    @classmethod
    def from_config(cls, name: str, config: Config) -> S3Settings:
        """Build the settings of storage ``name`` from its resolved ``config``."""
        hint = f"{name.upper()}_FS_"
        shared = config.get_str("bucket")
        if shared:
            bucket, key_prefix = shared, shared_key_prefix(config, name)
        else:
            bucket, key_prefix = name, ""
        if not _BUCKET_RE.match(bucket) or ".." in bucket:
            where = f"{hint}BUCKET" if shared else f"the storage name {name!r} (used as bucket name)"
            raise ConfigurationError(
                f"{bucket!r} from {where} is not a valid S3 bucket name (3-63 lowercase letters, digits, "
                f"'.' or '-'). Set FS_S3_BUCKET or {hint}BUCKET to share one bucket: the storage "
                f"name then becomes the key prefix."
            )

        endpoint = config.get_str("endpoint")
        if endpoint and "://" not in endpoint:
            endpoint = f"https://{endpoint}"
        addressing = (config.get_str("addressing_style") or ("path" if endpoint else "auto")).lower()
        _one_of(addressing, ADDRESSING_STYLES, "ADDRESSING_STYLE")

        sse = config.get_str("sse")
        kms_key = config.get_str("sse_kms_key_id")
        if kms_key and not sse:
            sse = "aws:kms"
        if sse:
            sse = "AES256" if sse.upper() == "AES256" else sse.lower()
            _one_of(sse, SSE_ALGORITHMS, "SSE")
            if kms_key and not sse.startswith("aws:kms"):
                raise ConfigurationError("SSE_KMS_KEY_ID needs SSE = 'aws:kms' (or leave SSE unset)")
        retry_mode = (config.get_str("retry_mode") or "standard").lower()
        _one_of(retry_mode, RETRY_MODES, "RETRY_MODE")
        acl = config.get_str("acl")
        if acl:
            _one_of(acl, CANNED_ACLS, "ACL")

        atomic = config.get("atomic_create", "auto")
        atomic_create = None if str(atomic).strip().lower() == "auto" else as_bool(atomic, "atomic_create")

        chunksize = config.get_size("multipart_chunksize", 6 * MiB)
        if chunksize < MIN_PART_SIZE:
            raise ConfigurationError(
                f"MULTIPART_CHUNKSIZE must be at least 5 MiB (S3's minimum part size), not {chunksize}"
            )
        redirect_expires = config.get_positive_int("redirect_expires", 300)
        if redirect_expires > MAX_PRESIGN_EXPIRES:
            raise ConfigurationError(
                f"REDIRECT_EXPIRES must be at most 7 days ({MAX_PRESIGN_EXPIRES} s), the longest a "
                f"presigned URL can last, not {redirect_expires}"
            )
        copy_chunksize = config.get_size("multipart_copy_chunksize", 256 * MiB)
        if not MIN_PART_SIZE <= copy_chunksize <= 5 * GiB:
            raise ConfigurationError("MULTIPART_COPY_CHUNKSIZE must be between 5 MiB and 5 GiB")

        return cls(
            storage=name,
            bucket=bucket,
            key_prefix=key_prefix,
            endpoint=endpoint,
            region=config.get_str("region"),
            access_key=config.get_str("access_key"),
            secret_key=config.get_str("secret_key"),
            session_token=config.get_str("session_token"),
            create_bucket=config.get_bool("create_bucket", True),
            addressing_style=addressing,
            sse=sse,
            sse_kms_key_id=kms_key,
            acl=acl,
            connect_timeout=config.get_seconds("connect_timeout", 10.0),
            read_timeout=config.get_seconds("read_timeout", 60.0),
            max_attempts=config.get_positive_int("max_attempts", 3),
            retry_mode=retry_mode,
            client_options=_mapping(config, "client_options"),
            config_options=_mapping(config, "config_options"),
            multipart_threshold=config.get_size("multipart_threshold", 6 * MiB),
            multipart_chunksize=chunksize,
            max_concurrency=config.get_positive_int("max_concurrency", 2),
            multipart_copy_threshold=config.get_size("multipart_copy_threshold", 5 * GiB),
            multipart_copy_chunksize=copy_chunksize,
            serve=serve_mode(config.get("serve", True)),
            atomic_create=atomic_create,
            redirect_expires=redirect_expires,
        )

    @property
    def write_args(self) -> dict[str, str]:
        """The request parameters every write carries (server-side encryption and ACL)."""
        args: dict[str, str] = {}
        if self.sse:
            args["ServerSideEncryption"] = self.sse
        if self.sse_kms_key_id:
            args["SSEKMSKeyId"] = self.sse_kms_key_id
        if self.acl:
            args["ACL"] = self.acl
        return args


def _one_of(value: str, allowed: frozenset[str], key: str) -> None:
    if value not in allowed:
        raise ConfigurationError(f"{key} must be one of {', '.join(sorted(allowed))}, not {value!r}")


def _mapping(config: Config, key: str) -> Mapping[str, Any]:
    return config.get_mapping(key)
