"""Turning pymongo's failures into the core's errors.

A caller of fs-gridfs sees a :class:`~fs_core.errors.BackendError` for anything the server,
the network or the credentials did, with one sentence naming the storage, what failed and what
to check, and the original exception as ``original``/``__cause__``: an unreachable server and
refused credentials each get one clear message (the URL shown without its password).
Exceptions that are not the driver's (an upload stream that fails, the core's own errors) pass
through untouched.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from bson.errors import BSONError
from pymongo import errors as pme

from fs_core.errors import BackendError

from .settings import GridFSSettings

__all__ = ["AUTH_CODES", "SERVICE_ERRORS", "translate", "translated"]

#: MongoDB error codes for refused credentials (AuthenticationFailed) and missing rights
#: (Unauthorized).
AUTH_CODES = frozenset({18, 13})
#: Every exception type :func:`translate` turns into a core error.
SERVICE_ERRORS: tuple[type[BaseException], ...] = (pme.PyMongoError, BSONError)
_UNREACHABLE = (pme.ServerSelectionTimeoutError, pme.ConnectionFailure)
_FIRST_REASON = re.compile(r"^(.*?)(?:, Timeout: [\d.]+s, Topology Description:.*)?$", re.DOTALL)


def _reason(exc: BaseException) -> str:
    """The first line of what pymongo says, without its topology dump."""
    match = _FIRST_REASON.match(str(exc))
    text = (match.group(1) if match else str(exc)).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def translate(exc: BaseException, settings: GridFSSettings, action: str) -> BackendError:
    """The core error for ``exc``, raised while doing ``action`` (``"read 'a.txt'"``…)."""
    storage, url = settings.storage, settings.shown_url
    keys = f"FS_GRIDFS_{{KEY}} or {storage.upper()}_FS_{{KEY}}"
    if isinstance(exc, pme.OperationFailure) and exc.code in AUTH_CODES:
        if exc.code == 18:
            return BackendError(
                f"Storage {storage!r}: MongoDB at {url} refused the credentials ({_reason(exc)})",
                exc,
                advice=f"Check the user and password in MONGO_URL ({keys.format(KEY='MONGO_URL')}) or "
                f"CLIENT_OPTIONS, and the authentication database (authSource)",
            )
        return BackendError(
            f"Storage {storage!r}: the MongoDB user of {url} may not {action} in database "
            f"{settings.database!r} ({_reason(exc)})",
            exc,
            advice="Grant it readWrite on that database",
        )
    if isinstance(exc, _UNREACHABLE):
        return BackendError(
            f"Storage {storage!r}: cannot reach MongoDB at {url} to {action} ({_reason(exc)})",
            exc,
            advice=f"Check MONGO_URL ({keys.format(KEY='MONGO_URL')}) and that the server is up; "
            f"operations wait at most SERVER_SELECTION_TIMEOUT "
            f"({settings.server_selection_timeout:g} s) for it",
        )
    return BackendError(f"Storage {storage!r}: MongoDB failed to {action}: {_reason(exc)}", exc)


@contextlib.contextmanager
def translated(settings: GridFSSettings, action: str) -> Iterator[None]:
    """Re-raise the driver's exceptions inside the block as :class:`BackendError`."""
    try:
        yield
    except SERVICE_ERRORS as exc:
        raise translate(exc, settings, action) from exc
