"""fs-core: file storage for Flask, with pluggable backends.

Not a PyFilesystem2 plugin: PyPI's ``fs`` is PyFilesystem2; this package is ``fs_core``.

Flask-FS applications migrate by changing ``import flask_fs as fs`` to
``import fs_core as fs``: the names below keep their Flask-FS meaning.
"""

from __future__ import annotations

from .backend import ATOMIC_CREATE, DEFAULT_BACKEND, SERVER_SIDE_COPY, SIGNED_URLS, BaseBackend
from .config import Config
from .errors import (
    BackendError,
    ConfigurationError,
    FileExists,
    FileNotFound,
    FileTooLarge,
    FSError,
    InvalidFilename,
    NotConfigured,
    OperationNotSupported,
    PluginError,
    ProcessingError,
    UnauthorizedFileType,
    UploadNotAllowed,
)
from .extension import by_name, init_app, storage_named, storages
from .files import (
    ALL,
    ARCHIVES,
    AUDIO,
    DATA,
    DEFAULTS,
    DOCUMENTS,
    EXECUTABLES,
    IMAGES,
    NONE,
    SCRIPTS,
    TEXT,
    VIDEO,
    All,
    AllExcept,
    DisallowAll,
    extension,
    lower_extension,
    mime,
)
from .hookspecs import hookimpl
from .leftovers import Leftover
from .naming import secure_filename
from .orphans import Orphan
from .signals import before_display, file_deleted, file_uploaded
from .storage import Storage

__version__ = "0.1.0"

__all__ = [
    "ALL",
    "ARCHIVES",
    "ATOMIC_CREATE",
    "AUDIO",
    "DATA",
    "DEFAULTS",
    "DEFAULT_BACKEND",
    "DOCUMENTS",
    "EXECUTABLES",
    "IMAGES",
    "NONE",
    "SCRIPTS",
    "SERVER_SIDE_COPY",
    "SIGNED_URLS",
    "TEXT",
    "VIDEO",
    "All",
    "AllExcept",
    "BackendError",
    "BaseBackend",
    "Config",
    "ConfigurationError",
    "DisallowAll",
    "FSError",
    "FileExists",
    "FileNotFound",
    "FileTooLarge",
    "InvalidFilename",
    "Leftover",
    "NotConfigured",
    "OperationNotSupported",
    "Orphan",
    "PluginError",
    "ProcessingError",
    "Storage",
    "UnauthorizedFileType",
    "UploadNotAllowed",
    "before_display",
    "by_name",
    "extension",
    "file_deleted",
    "file_uploaded",
    "hookimpl",
    "init_app",
    "lower_extension",
    "mime",
    "secure_filename",
    "storage_named",
    "storages",
]
