"""Refusals of an upload, turned into mongoengine ``ValidationError``s.

An application that stores a file through a field validates a document: a file of a type
the storage does not take, a file over ``MAX_SIZE``, an unsafe name or an image that is not
one is a problem with the value given to the field, and mongoengine code expects those as
:class:`mongoengine.ValidationError` (a form library shows it next to the field). Errors that
are not about the value (a backend down, a name already taken, a configuration mistake) stay
the fs-core errors they are.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from mongoengine.errors import ValidationError

from fs_core import InvalidFilename, ProcessingError, UnauthorizedFileType, UploadNotAllowed

__all__ = ["REFUSALS", "refusals_as_validation_errors"]

#: What fs-core (and fs-images: ``InvalidImage`` is an ``UnauthorizedFileType``) raises when
#: the file or its name is refused: a type not allowed, too large, an unsafe name, not an image.
REFUSALS: tuple[type[Exception], ...] = (UnauthorizedFileType, UploadNotAllowed, InvalidFilename)


@contextlib.contextmanager
def refusals_as_validation_errors(
    field_name: str | None, also: tuple[type[Exception], ...] = ()
) -> Iterator[None]:
    """Raise the refusals of the ``with`` block as a ``ValidationError`` of ``field_name``,
    with fs-core's message (which says what was refused and why) and the error as its cause.

    ``also``: more refusals (fs-images' ``InvalidBBox``), also when a processor raised them
    and fs-core wrapped them in a ``ProcessingError``.
    """
    try:
        yield
    except REFUSALS + also as exc:
        raise ValidationError(str(exc), field_name=field_name) from exc
    except ProcessingError as exc:
        if also and isinstance(exc.__cause__, also):
            raise ValidationError(str(exc.__cause__), field_name=field_name) from exc
        raise
