from __future__ import annotations

import os

import pytest

import fs_core as fs
from fs_core.config import Config, as_bool, parse_size, resolve, serve_mode, shared_key_prefix
from fs_core.errors import ConfigurationError


def test_config_attribute_access():
    cfg = Config({"root": "/x"})
    assert cfg.root == "/x"
    cfg.url = "http://u/"
    assert cfg["url"] == "http://u/"
    del cfg.url
    with pytest.raises(AttributeError, match="Unknown attribute: url"):
        _ = cfg.url
    assert Config(root="/y").root == "/y"


def test_cascade_storage_beats_backend_beats_global():
    app_config = {
        "FS_ROOT": "/srv/fs",
        "FS_DENY": ["exe"],
        "FS_MAX_SIZE": 10,
        "FS_S3_REGION": "eu-west-1",
        "FS_S3_MAX_SIZE": 20,
        "FS_S3_URL": "https://s3.example/",
        "FS_S3_ROOT": "/ignored",
        "FS_S3_BACKEND": "ignored",
        "AVATARS_FS_MAX_SIZE": 30,
        "AVATARS_FS_BUCKET": "b",
        "OTHER_FS_REGION": "us-east-2",
    }
    cfg = resolve(app_config, "avatars", "s3")
    assert cfg["max_size"] == 30
    assert cfg["region"] == "eu-west-1"
    assert cfg["bucket"] == "b"
    assert cfg["deny"] == ["exe"]
    assert "url" not in cfg  # FS_S3_URL is a parent URL, joined with the name by Storage
    assert "backend" not in cfg
    assert cfg["root"] == os.path.join("/ignored", "avatars")  # FS_{B}_ROOT is a parent
    other = resolve(app_config, "files", "s3")
    assert other["max_size"] == 20
    assert "bucket" not in other


def test_global_level_only_for_storage_policy_keys():
    cfg = resolve(
        {"FS_URL": "http://cdn/", "FS_BACKEND": "s3", "FS_SERVE": False, "FS_ALLOW": "pdf"}, "x", "local"
    )
    assert "url" not in cfg
    assert "backend" not in cfg
    assert cfg["serve"] is False
    assert cfg["allow"] == "pdf"


def test_root_defaults():
    assert resolve({"FS_ROOT": "/r"}, "files", "local")["root"] == os.path.join("/r", "files")
    assert resolve({"FS_ROOT": "/r", "FS_LOCAL_ROOT": "/l"}, "files", "local")["root"] == os.path.join(
        "/l", "files"
    )
    assert resolve({"FS_ROOT": "/r", "FILES_FS_ROOT": "/exact"}, "files", "local")["root"] == "/exact"
    assert resolve({}, "files", "local")["root"] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("true", True), ("1", True), ("off", False), (0, False), (None, False)],
)
def test_as_bool(value, expected):
    assert as_bool(value) is expected


def test_bad_values_name_their_key():
    with pytest.raises(ConfigurationError, match="SERVE"):
        as_bool("maybe", "serve")
    with pytest.raises(ConfigurationError, match="MAX_SIZE"):
        Config(max_size="big").get_int("max_size")
    with pytest.raises(ConfigurationError, match="FS_S3_ENDPOINT, FS_S3_REGION"):
        Config(endpoint="").require("endpoint", "region", prefix="FS_S3_")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5), ("5", 5), ("255KiB", 255 << 10), (" 4 MB ", 4 << 20), ("1g", 1 << 30), ("2k", 2048)],
)
def test_sizes_take_integers_and_binary_units(value, expected):
    assert Config(chunk=value).get_size("chunk", 1) == expected
    assert Config().get_size("chunk", 7) == 7


@pytest.mark.parametrize("value", ["big", "4 TB", "16 TiB", "1.5MiB", "-1", -1, 0, True, None])
def test_bad_sizes_name_their_key(value):
    with pytest.raises(ConfigurationError, match="CHUNK_SIZE must be"):
        Config(chunk_size=value).get_size("chunk_size", 1)


def test_seconds():
    assert Config(timeout="2.5").get_seconds("timeout", 1) == 2.5
    assert Config().get_seconds("timeout", 10) == 10
    for bad in ("soon", 0, -1, "nan", "inf", None):
        with pytest.raises(ConfigurationError, match="TIMEOUT must be"):
            Config(timeout=bad).get_seconds("timeout", 1)


def test_storage_config_follows_the_app(make_app):
    files = fs.Storage("files")
    app = make_app(files, FS_MAX_SIZE=5, FILES_FS_OVERWRITE=True)
    with app.app_context():
        assert files.config["max_size"] == 5
        assert files.config["overwrite"] is True
        assert files.backend_name == "memory"
        assert files.backend_prefix == "FS_MEMORY_"


def test_per_storage_locations_are_not_global():
    # One nginx location per storage directory: a global prefix would send every storage to one.
    cfg = resolve({"FS_OFFLOAD": "x-accel-redirect", "FS_OFFLOAD_PREFIX": "/one/"}, "files", "local")
    assert cfg["offload"] == "x-accel-redirect"
    assert "offload_prefix" not in cfg


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), ("512", 512), ("16MiB", 16 << 20), (" 64 MB ", 64 << 20), ("1g", 1 << 30), ("3k", 3072)],
)
def test_sizes_in_bytes_or_binary_units(value, expected):
    assert parse_size(value) == expected
    assert Config(part=value).get_size("part", 5) == expected


def test_typed_getters():
    cfg = Config(
        timeout="2.5", retries="3", zero="0", name="  swift  ", blank="  ", options={"a": 1}, bad="x"
    )
    assert cfg.get_float("timeout", 1.0) == 2.5
    assert cfg.get_float("missing", 1.0) == 1.0
    assert cfg.get_positive_int("retries", 1) == 3
    assert cfg.get_positive_int("missing", 7) == 7
    assert cfg.get_str("name") == "swift"
    assert cfg.get_str("blank") is None
    assert cfg.get_str("missing", "default") == "default"
    assert cfg.get_mapping("options") == {"a": 1}
    assert cfg.get_mapping("missing") == {}
    with pytest.raises(ConfigurationError, match="ZERO must be a positive integer"):
        cfg.get_positive_int("zero", 1)
    with pytest.raises(ConfigurationError, match="ZERO must be positive"):
        cfg.get_float("zero", 1.0)
    with pytest.raises(ConfigurationError, match="BAD must be a number"):
        cfg.get_float("bad", 1.0)
    with pytest.raises(ConfigurationError, match="BAD must be a dict"):
        cfg.get_mapping("bad")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, "stream"), ("false", "stream"), (" Redirect ", "redirect"), ("stream", "stream")],
)
def test_serve_mode(value, expected):
    assert serve_mode(value) == expected


def test_serve_mode_refuses_other_values():
    with pytest.raises(ConfigurationError, match="SERVE"):
        serve_mode("cdn")


@pytest.mark.parametrize(
    ("key_prefix", "expected"),
    [(None, "avatars/"), ("", ""), ("/", ""), ("users/avatars/", "users/avatars/"), (" /a/b ", "a/b/")],
)
def test_shared_key_prefix(key_prefix, expected):
    config = Config() if key_prefix is None else Config(key_prefix=key_prefix)
    assert shared_key_prefix(config, "avatars") == expected
