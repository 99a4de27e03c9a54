"""fs-images' hook implementations (wiring only: the work is in ``pipeline.py``)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from fs_core import hookimpl

from .settings import DEFAULTS, settings_for

if TYPE_CHECKING:  # pragma: no cover
    import click
    from flask import Flask

    from fs_core import Storage


@hookimpl
def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, list(value) if isinstance(value, list) else value)


@hookimpl(tryfirst=True)
def file_allowed(storage: Storage, file: Any, filename: str) -> bool | None:
    # Runs before the other policies: a refusal raises InvalidImage; otherwise abstain.
    settings = settings_for(storage)
    if settings is not None:
        from . import pipeline  # Pillow is imported only where a storage processes images

        pipeline.check_upload(file, filename, settings)
    return None


@hookimpl
def check_target(storage: Storage, filename: str, replace: bool) -> None:
    # Names of variants belong to their image: neither taken from it nor given to it.
    settings = settings_for(storage)
    if settings is not None:
        from . import pipeline

        pipeline.check_target(storage, filename, replace, settings)


@hookimpl
def prepare_upload(storage: Storage, filename: str, file: Any) -> Any:
    # The upload with its metadata removed is what is first stored (None: store it as it is).
    settings = settings_for(storage)
    if settings is None:
        return None
    from . import pipeline

    return pipeline.prepare_upload(file, filename, settings)


@hookimpl
def after_save(storage: Storage, filename: str) -> None:
    settings = settings_for(storage)
    if settings is not None:
        from . import pipeline

        pipeline.process(storage, filename, settings, bbox=pipeline.current_bbox())


@hookimpl
def will_process(storage: Storage, filename: str) -> bool | None:
    # So that an overwrite whose new image is refused puts the old one back.
    if settings_for(storage) is None:
        return None
    from .processing import format_for

    return format_for(filename) is not None


@hookimpl
def after_copy(storage: Storage, source: str, target: str) -> None:
    settings = settings_for(storage)
    if settings is not None:
        from . import pipeline

        pipeline.copy_variants(storage, source, target, settings)


@hookimpl
def after_delete(storage: Storage, filename: str) -> None:
    settings = settings_for(storage)
    if settings is not None:
        from . import pipeline

        pipeline.delete_variants(storage, filename, settings)


@hookimpl
def derived_files(storage: Storage, names: AbstractSet[str]) -> dict[str, list[str]] | None:
    # Variants whose image is gone are orphans (flask fs orphans).
    settings = settings_for(storage)
    if settings is None:
        return None
    from . import pipeline

    return pipeline.derived_files(names, settings)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .rerender import images

    cli.add_command(images)
