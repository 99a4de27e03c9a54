"""fs-mongoengine's hook implementations (wiring only: the work is in ``images.py``).

They act only during an ``ImageField`` save (an :class:`~fs_mongoengine.images.ImageSave`
active in the context, for that storage); every other save, in any storage, passes through
untouched.
"""

from __future__ import annotations

from typing import BinaryIO

from fs_core import Storage, hookimpl

from . import images


# Before the storage's own policy; refuses by raising, else abstains.
@hookimpl(tryfirst=True)
def file_allowed(storage: Storage, file: BinaryIO, filename: str) -> bool | None:
    images.file_allowed(storage, file, filename)
    return None


@hookimpl
def prepare_upload(storage: Storage, filename: str, file: BinaryIO) -> BinaryIO | None:
    return images.prepare_upload(storage, filename, file)  # type: ignore[no-any-return]


@hookimpl
def check_target(storage: Storage, filename: str, replace: bool) -> None:
    images.check_target(storage, filename, replace)


@hookimpl
def will_process(storage: Storage, filename: str) -> bool | None:
    return images.will_process(storage, filename)


# After fs-images' own processor, where the storage processes images too.
@hookimpl(trylast=True)
def after_save(storage: Storage, filename: str) -> None:
    images.after_save(storage, filename)


@hookimpl
def after_delete(storage: Storage, filename: str) -> None:
    images.after_delete(storage, filename)
