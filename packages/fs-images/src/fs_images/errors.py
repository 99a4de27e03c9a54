"""Errors fs-images raises, all in fs-core's family so applications catch ``FSError``."""

from __future__ import annotations

from fs_core.errors import UnauthorizedFileType

__all__ = ["ImageTooLarge", "InvalidBBox", "InvalidImage", "ReservedName"]


class InvalidImage(UnauthorizedFileType):
    """The file is not an image this storage can process: not an image at all, corrupt or
    truncated, of a format other than its extension says, or animated where animations are
    refused. Nothing was stored (the check runs before storing, and again on decoding)."""


class ImageTooLarge(InvalidImage):
    """The image has more pixels, frames or bytes of metadata than the storage's
    ``IMAGES_MAX_PIXELS``, ``IMAGES_MAX_FRAMES`` or ``IMAGES_MAX_METADATA`` allow (or, a JPEG,
    more scans than :data:`fs_images.metadata.MAX_JPEG_SCANS`): a decompression bomb, or
    simply too big to process within the memory and time those bound. ``limit`` is the value
    exceeded."""

    def __init__(self, message: str, *, limit: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit


class ReservedName(UnauthorizedFileType):
    """The name is one fs-images derives from an image stored in the same storage: its
    thumbnail (``x-64.jpg``), its ``-original``, its WebP or AVIF variant (``x.jpg.webp``).
    Processing that image would replace the file, and deleting the image would delete it, so
    no file of its own may take that name. Nothing was stored."""


class InvalidBBox(ValueError):
    """A crop box is not ``(left, upper, right, lower)`` with ``left < right`` and
    ``upper < lower`` inside the image. A ``ValueError``: it is a programming error."""
