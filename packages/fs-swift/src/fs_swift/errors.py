"""Turning python-swiftclient, requests, urllib3 and Keystone failures into the core's errors.

A caller of fs-swift sees :class:`~fs_core.errors.FileNotFound` for a missing object and a
:class:`~fs_core.errors.BackendError` for anything else the service or the network did, with
one sentence that says what went wrong and what to check (credentials, auth URL, container),
and the original exception as ``original``/``__cause__``. Exceptions that are not the
client's (an upload stream that fails, :class:`~fs_core.errors.FileTooLarge`) pass through.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from swiftclient.exceptions import ClientException
from urllib3 import exceptions as u3e

from fs_core.errors import BackendError, FileNotFound

from .settings import SwiftSettings

__all__ = ["SERVICE_ERRORS", "SourceFailed", "status_of", "translate", "translated"]


def _keystone_errors() -> tuple[type[BaseException], ...]:
    try:  # only with the ``keystone`` extra (auth versions 2 and 3)
        from keystoneauth1.exceptions import ClientException as KeystoneError
    except ImportError:  # pragma: no cover - depends on the installation
        return ()
    return (KeystoneError,)


#: Every exception type :func:`translate` turns into a core error: swiftclient's own, and
#: what requests (``OSError`` subclasses), urllib3 (reading a body) and Keystone raise.
SERVICE_ERRORS: tuple[type[BaseException], ...] = (
    ClientException,
    OSError,
    u3e.HTTPError,
    *_keystone_errors(),
)


class SourceFailed(Exception):
    """Raised by an upload body when the caller's stream failed: carries that exception so it
    reaches the caller as it is (swiftclient would retry an ``OSError`` of the stream as a
    network failure, and requests would wrap it)."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a swiftclient failure (``None`` for others, and for Keystone's)."""
    return getattr(exc, "http_status", None) if isinstance(exc, ClientException) else None


def _detail(exc: ClientException) -> str:
    status = f"{exc.http_status} {exc.http_reason or ''}".strip() if exc.http_status else ""
    text = exc.msg or ""
    return f"{status}: {text}" if status and text else status or text


def _is_auth_failure(exc: ClientException) -> bool:
    message = (exc.msg or "").lower()
    # v1: "Auth GET failed" 401/403; Keystone: http_status None, "Unauthorized. Check username…".
    return message.startswith(("auth ", "unauthorized", "authorization failure")) or exc.http_status == 401


def translate(exc: BaseException, settings: SwiftSettings, action: str, name: str | None = None) -> Exception:
    """The core error for ``exc``, raised while ``action`` (``'read'``, ``'save'``…) ``name``."""
    storage = settings.storage
    subject = f"{action} {name!r}" if name is not None else action
    where = settings.authurl or settings.storage_url or "the configured Swift"
    keys = f"FS_SWIFT_{{KEY}} or {storage.upper()}_FS_{{KEY}}"
    if isinstance(exc, ClientException):
        status = exc.http_status
        if status == 404 and name is not None:
            return FileNotFound(name)
        advice = None
        if _is_auth_failure(exc):
            text = f"Storage {storage!r}: Swift at {where} refused the credentials ({_detail(exc)})"
            advice = (
                f"Check USER and KEY ({keys.format(KEY='USER')}), AUTH_VERSION ({settings.auth_version}) "
                f"and, for Keystone, the project and domain options"
            )
        elif status == 403:
            text = (
                f"Storage {storage!r}: Swift refused access to {subject} in container "
                f"{settings.container!r} ({_detail(exc)})"
            )
            advice = "Check the user's roles or the container's ACLs"
        elif status == 404:
            hint = (
                "it is created on first use unless CREATE_CONTAINER is false"
                if settings.create_container
                else "create it, or set CREATE_CONTAINER to true"
            )
            text = (
                f"Storage {storage!r}: Swift could not {subject}: container {settings.container!r} does not "
                f"exist ({hint})"
            )
        elif status is None and (exc.msg or "").startswith("Endpoint for"):
            text = (
                f"Storage {storage!r}: the Keystone catalogue at {where} has no endpoint for these options "
                f"({exc.msg})"
            )
            advice = (
                f"Check REGION_NAME, ENDPOINT_TYPE and SERVICE_TYPE ({keys.format(KEY='REGION_NAME')}…), "
                f"or set STORAGE_URL"
            )
        elif status is None and not exc.http_host:
            text = f"Storage {storage!r}: Swift failed to {subject}: {exc.msg}"
        else:
            text = f"Storage {storage!r}: Swift failed to {subject}: {_detail(exc)}"
        return BackendError(" ".join(text.split()), exc, advice=advice)
    if isinstance(exc, (OSError, u3e.HTTPError)):
        return BackendError(
            f"Storage {storage!r}: cannot reach Swift at {where} to {subject} "
            f"({type(exc).__name__}: {' '.join(str(exc).split())})",
            exc,
            advice=f"Check AUTHURL ({keys.format(KEY='AUTHURL')}) and that the service is up",
        )
    return BackendError(
        f"Storage {storage!r}: Swift authentication at {where} failed to {subject} "
        f"({type(exc).__name__}: {' '.join(str(exc).split())})",
        exc,
        advice="Check AUTHURL, AUTH_VERSION and the Keystone options",
    )


@contextlib.contextmanager
def translated(settings: SwiftSettings, action: str, name: str | None = None) -> Iterator[None]:
    """Re-raise the service's exceptions inside the block as core errors; the caller's own
    stream failures (:class:`SourceFailed`) as the exception the stream raised."""
    try:
        yield
    except SourceFailed as exc:
        raise exc.original from None
    except SERVICE_ERRORS as exc:
        error = translate(exc, settings, action, name)
        if isinstance(error, FileNotFound):
            raise error from None
        raise error from exc
