"""Turning boto3, botocore, s3transfer and urllib3 failures into the core's errors.

A caller of fs-s3 sees :class:`~fs_core.errors.FileNotFound` for a missing key and a
:class:`~fs_core.errors.BackendError` for anything else the service or the network did, with
one sentence that says what went wrong and what to check (credentials, endpoint, bucket), and
the original exception as ``original``/``__cause__``. Exceptions that are not the client's
(an upload stream that fails, :class:`~fs_core.errors.FileTooLarge`) pass through untouched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from boto3 import exceptions as b3e
from botocore import exceptions as bce
from s3transfer import exceptions as s3te
from urllib3 import exceptions as u3e

from fs_core.errors import BackendError, FileNotFound

from .settings import S3Settings

__all__ = [
    "CREDENTIAL_CODES",
    "NOT_FOUND_CODES",
    "SERVICE_ERRORS",
    "error_code",
    "translate",
    "translated",
]

#: What the service says when the key (or the object of a HEAD) does not exist.
NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
#: Codes that mean the request's credentials were refused.
CREDENTIAL_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "InvalidToken",
        "ExpiredToken",
        "InvalidSecurity",
        "AuthorizationHeaderMalformed",
        "403",
    }
)
_NETWORK = (
    bce.EndpointConnectionError,
    bce.ConnectTimeoutError,
    bce.ReadTimeoutError,
    bce.ConnectionClosedError,
    bce.ProxyConnectionError,
    bce.SSLError,
    u3e.ProtocolError,
    u3e.ReadTimeoutError,
    u3e.NewConnectionError,
    bce.ResponseStreamingError,
    bce.IncompleteReadError,
    ConnectionError,
)
#: Every exception type :func:`translate` turns into a core error.
SERVICE_ERRORS: tuple[type[BaseException], ...] = (
    bce.BotoCoreError,
    bce.ClientError,
    b3e.Boto3Error,
    s3te.S3UploadFailedError,
    s3te.S3CopyFailedError,
    s3te.RetriesExceededError,
    u3e.HTTPError,
    ConnectionError,
)


def error_code(exc: BaseException) -> str:
    """The S3 error code of a ``ClientError`` (``'NoSuchKey'``, ``'404'``…), else ``''``."""
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None) or {}
    status: int | None = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status


def translate(exc: BaseException, settings: S3Settings, action: str, name: str | None = None) -> Exception:
    """The core error for ``exc``, raised while ``action`` (``'read'``, ``'save'``…) ``name``."""
    storage = settings.storage
    subject = f"{action} {name!r}" if name is not None else action
    endpoint = settings.endpoint or "AWS S3"
    keys = f"FS_S3_{{KEY}} or {storage.upper()}_FS_{{KEY}}"
    if isinstance(exc, bce.ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message") or ""
        if code in NOT_FOUND_CODES and name is not None:
            return FileNotFound(name)
        if code == "NoSuchBucket":
            hint = (
                "it is created on first use unless CREATE_BUCKET is false"
                if settings.create_bucket
                else "create it, or set CREATE_BUCKET to true"
            )
            text = f"Storage {storage!r}: bucket {settings.bucket!r} does not exist at {endpoint} ({hint})"
        elif code in CREDENTIAL_CODES:
            return BackendError(
                f"Storage {storage!r}: {endpoint} refused the credentials or their permissions for "
                f"bucket {settings.bucket!r} ({code}{': ' + message if message else ''})",
                exc,
                advice=f"Check ACCESS_KEY and SECRET_KEY ({keys.format(KEY='ACCESS_KEY')}), "
                "or the policy of that key",
            )
        elif code == "NotImplemented":
            text = (
                f"Storage {storage!r}: the service at {endpoint} does not support this ({subject}): {message}"
            )
        else:
            detail = f"{code or _status(exc)}{': ' + message if message else ''}"
            text = f"Storage {storage!r}: S3 failed to {subject}: {detail}"
        return BackendError(text, exc)
    if isinstance(exc, (bce.NoCredentialsError, bce.PartialCredentialsError)):
        return BackendError(
            f"Storage {storage!r}: no S3 credentials",
            exc,
            advice=f"Set ACCESS_KEY and SECRET_KEY ({keys.format(KEY='ACCESS_KEY')}), or configure "
            f"boto3's usual sources (AWS_* environment variables, ~/.aws, an instance role)",
        )
    if isinstance(exc, _NETWORK):
        return BackendError(
            f"Storage {storage!r}: cannot reach the S3 endpoint {endpoint} to {subject} "
            f"({type(exc).__name__}: {exc})",
            exc,
            advice=f"Check ENDPOINT ({keys.format(KEY='ENDPOINT')}) and that the service is up",
        )
    return BackendError(f"Storage {storage!r}: S3 failed to {subject}: {exc}", exc)


@contextlib.contextmanager
def translated(settings: S3Settings, action: str, name: str | None = None) -> Iterator[None]:
    """Re-raise the service's exceptions inside the block as core errors."""
    try:
        yield
    except SERVICE_ERRORS as exc:
        error = translate(exc, settings, action, name)
        if isinstance(error, FileNotFound):
            raise error from None
        raise error from exc
