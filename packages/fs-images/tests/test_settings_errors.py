"""Image settings the rest of the suite never tried: sizes that are not positive, a size that
is not a number, one size given alone, and a pipeline turned off key by key."""

from __future__ import annotations

import pytest
from flask import Flask

import fs_core
import fs_images


def settings(**config):
    app = Flask("image_settings")
    app.config.update(FS_BACKEND="memory", FS_PLUGINS=["images"], **config)
    avatars = fs_core.Storage("avatars", fs_core.IMAGES)
    fs_core.init_app(app, avatars)
    with app.app_context():
        return fs_images.settings_for(avatars)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"AVATARS_FS_IMAGES_THUMBNAILS": -5}, "IMAGES_THUMBNAILS must be positive sizes, not [-5]"),
        ({"AVATARS_FS_IMAGES_MAX_SIZE": 0}, "IMAGES_MAX_SIZE must be a positive size, not 0"),
        ({"AVATARS_FS_IMAGES_MAX_SIZE": "big"}, "AVATARS_FS_IMAGES_MAX_SIZE must be an integer, not 'big'"),
    ],
)
def test_sizes_that_make_no_sense_are_refused(config, message):
    with pytest.raises(fs_core.ConfigurationError) as refused:
        settings(**config)
    assert message in str(refused.value)


def test_one_size_alone_is_a_list_of_one():
    assert settings(AVATARS_FS_IMAGES_THUMBNAILS=64).thumbnails == (64,)
    assert settings(AVATARS_FS_IMAGES_THUMBNAILS="64 32").thumbnails == (64, 32)


def test_a_storage_with_every_key_off_has_no_pipeline():
    assert settings(AVATARS_FS_IMAGES_THUMBNAILS="", AVATARS_FS_IMAGES_OPTIMIZE="false") is None
    on = settings(AVATARS_FS_IMAGES_OPTIMIZE="false", AVATARS_FS_IMAGES_MAX_SIZE=100)
    assert on is not None
    assert (on.optimize, on.max_size) == (False, 100)
