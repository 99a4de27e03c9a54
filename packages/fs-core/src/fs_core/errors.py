"""The error family every fs package raises.

Applications catch :class:`FSError` (or one of its subclasses) and never a backend's native
exception: a backend turns a service failure into :class:`BackendError`, which keeps the
original exception as ``original`` and as ``__cause__``.

The Flask-FS names (``FSError``, ``UnauthorizedFileType``, ``UploadNotAllowed``,
``FileExists``, ``FileNotFound``, ``OperationNotSupported``) keep their meaning.
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "ConfigurationError",
    "FSError",
    "FileExists",
    "FileNotFound",
    "FileTooLarge",
    "InvalidFilename",
    "NotConfigured",
    "OperationNotSupported",
    "PluginError",
    "ProcessingError",
    "UnauthorizedFileType",
    "UploadNotAllowed",
]


class FSError(Exception):
    """Base class of every error raised by fs-core and its plugins."""


class UnauthorizedFileType(FSError):
    """The storage's extension policy (or a plugin's content check) refused the file."""


class UploadNotAllowed(FSError):
    """The upload was refused for a reason other than its type."""


class FileTooLarge(UploadNotAllowed):
    """The upload is bigger than the storage's ``MAX_SIZE``; nothing was stored."""

    def __init__(self, message: str, *, limit: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit


class FileExists(FSError):
    """A create-only write met an existing file; the existing file was left as it was.

    ``FileExists(name)`` says so in a sentence; ``message=`` says something more precise.
    ``filename`` is the name.
    """

    def __init__(self, filename: str = "", *, message: str | None = None) -> None:
        self.filename = filename
        super().__init__(
            message or (f"A file named {filename!r} exists already" if filename else "The file exists")
        )


class FileNotFound(FSError):
    """The named file does not exist in the storage (``filename``)."""

    def __init__(self, filename: str = "", *, message: str | None = None) -> None:
        self.filename = filename
        super().__init__(
            message or (f"No file named {filename!r}" if filename else "The file does not exist")
        )


class OperationNotSupported(FSError):
    """The backend cannot do this (for example ``path()`` on a remote backend)."""


class InvalidFilename(FSError, ValueError):
    """A file name would escape the storage or cannot be stored.

    Also a :class:`ValueError`, as Flask-FS raised ``ValueError('filename is required')``.
    """


class ConfigurationError(FSError):
    """The application's configuration cannot work; the message says what to change."""


class NotConfigured(ConfigurationError, RuntimeError):
    """A storage was used with an application that never configured it."""


class PluginError(ConfigurationError):
    """Plugins conflict or cannot be loaded (unknown name, duplicate backend…)."""


class BackendError(FSError):
    """The storage service failed; ``original`` holds the exception it raised.

    ``advice`` is what to check or do next where the backend knows (``"Check ACCESS_KEY and
    SECRET_KEY"``): it ends the message too, as the sentence after it (so the message need not
    repeat it), and tools that would give advice of their own, such as ``flask fs``, give
    theirs only where a backend gave none.
    """

    def __init__(
        self, message: str, original: BaseException | None = None, *, advice: str | None = None
    ) -> None:
        # One sentence after another, whether or not the service's text ended with a period.
        ended = message.rstrip().endswith((".", "!", "?"))
        super().__init__(f"{message.rstrip()}{' ' if ended else '. '}{advice}" if advice else message)
        self.original = original
        self.advice = advice
        if original is not None:
            self.__cause__ = original


class ProcessingError(FSError):
    """A processor failed: after a save, the new file was removed again (or the file it
    replaced put back); after a copy or move, the file stays where it was put and the
    message says so."""
