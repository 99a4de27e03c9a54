"""Building boto3 clients and transfer configurations from :class:`~fs_s3.settings.S3Settings`.

Clients are built on first use, never when the app starts, from a session of fs-s3's own
(never boto3's module-global default session, which applications configure for themselves).
Two event hooks adapt boto3 to the services it meets:

* :func:`add_content_md5` on ``DeleteObjects``: boto3 >= 1.36 sends a CRC32 checksum instead
  of ``Content-MD5``, and services such as OpenStack Swift's s3api insist on the MD5;
* :func:`require_absent` on ``PutObject`` and ``CompleteMultipartUpload`` of the create-only
  client: ``If-None-Match: *``, which boto3's transfer manager cannot pass by itself.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig

from .settings import MAX_PARTS, S3Settings

__all__ = [
    "add_content_md5",
    "copy_transfer_config",
    "make_client",
    "require_absent",
]

_session: boto3.session.Session | None = None
_session_lock = threading.Lock()


def _shared_session() -> boto3.session.Session:
    """One boto3 session for every fs-s3 client of the process (not boto3's default session).

    Clients keep their own credentials and settings; what they share is botocore's loaded
    service models (about 10 MB and 50 ms of JSON per session), so a second storage, or a
    second client of one storage, costs almost nothing. Call with ``_session_lock`` held:
    creating clients from one session is not thread-safe.
    """
    global _session
    if _session is None:
        _session = boto3.session.Session()
    return _session


def add_content_md5(params: dict[str, Any], **_: Any) -> None:
    """``before-call`` hook: a ``Content-MD5`` header for the request body."""
    body = params.get("body") or b""
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, (bytes, bytearray)):
        digest = hashlib.md5(body).digest()
        params["headers"]["Content-MD5"] = base64.b64encode(digest).decode()


def require_absent(params: dict[str, Any], **_: Any) -> None:
    """``before-parameter-build`` hook: make the write conditional on the key being absent."""
    params["IfNoneMatch"] = "*"


def _botocore_config(settings: S3Settings) -> BotoConfig:
    options: dict[str, Any] = {
        "signature_version": "s3v4",
        "connect_timeout": settings.connect_timeout,
        "read_timeout": settings.read_timeout,
        "retries": {"total_max_attempts": settings.max_attempts, "mode": settings.retry_mode},
        "max_pool_connections": max(10, settings.max_concurrency + 2),
    }
    if settings.region:
        options["region_name"] = settings.region
    if settings.endpoint and "request_checksum_calculation" in BotoConfig.OPTION_DEFAULTS:
        # S3-compatible services (Swift's s3api, older MinIO and Ceph) reject the
        # aws-chunked checksum trailers boto3 >= 1.36 sends by default over HTTPS.
        options["request_checksum_calculation"] = "when_required"
    user = dict(settings.config_options)
    s3_options = {"addressing_style": settings.addressing_style, **dict(user.pop("s3", None) or {})}
    options.update(user)
    options["s3"] = s3_options
    return BotoConfig(**options)


def make_client(settings: S3Settings, session: boto3.session.Session | None = None) -> Any:
    """An S3 client for ``settings``; the DeleteObjects Content-MD5 hook is registered on it.

    ``CLIENT_OPTIONS`` are passed to ``session.client`` as they are, over the ones built here.
    """
    kwargs: dict[str, Any] = {"config": _botocore_config(settings)}
    if settings.endpoint:
        kwargs["endpoint_url"] = settings.endpoint
    if settings.region:
        kwargs["region_name"] = settings.region
    if settings.access_key or settings.secret_key:
        kwargs["aws_access_key_id"] = settings.access_key
        kwargs["aws_secret_access_key"] = settings.secret_key
    if settings.session_token:
        kwargs["aws_session_token"] = settings.session_token
    kwargs.update(settings.client_options)
    with _session_lock:
        client = (session or _shared_session()).client("s3", **kwargs)
    client.meta.events.register("before-call.s3.DeleteObjects", add_content_md5)
    return client


def _manager_config(settings: S3Settings, threshold: int, chunksize: int) -> TransferConfig:
    config = TransferConfig(
        multipart_threshold=threshold,
        multipart_chunksize=chunksize,
        max_concurrency=settings.max_concurrency,
    )
    # Parts read ahead of the uploading threads: as many as are in flight, not boto3's 10
    # (which makes a large upload hold 10 x chunksize in memory whatever the concurrency).
    config.max_in_memory_upload_chunks = settings.max_concurrency
    config.max_in_memory_download_chunks = settings.max_concurrency
    return config


def copy_transfer_config(settings: S3Settings, size: int) -> TransferConfig:
    """Server-side multipart copies (no bytes pass through the app): parts of
    ``MULTIPART_COPY_CHUNKSIZE``, enlarged if the object would need more than 10,000."""
    chunksize = max(settings.multipart_copy_chunksize, -(-size // MAX_PARTS))
    return _manager_config(settings, settings.multipart_copy_threshold, chunksize)
