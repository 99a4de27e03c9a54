"""Configuration: what each key does, and clear errors for wrong values (no server needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from flask import Flask

import fs_core
from fs_core.config import Config
from fs_core.errors import ConfigurationError
from fs_swift.backend import SwiftBackend
from fs_swift.client import Connections
from fs_swift.settings import GiB, MiB, SwiftSettings


def settings(name: str = "files", **config) -> SwiftSettings:
    return SwiftSettings.from_config(name, Config(config))


def test_importing_the_plugin_does_not_import_swiftclient():
    code = "import sys, fs_swift, fs_swift.plugin; sys.exit('swiftclient' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_container_per_storage_by_default():
    s = settings("avatars")
    assert (s.container, s.key_prefix, s.segment_container) == ("avatars", "", "avatars_segments")


def test_shared_container_uses_the_storage_name_as_prefix():
    s = settings("avatars", container="my-app")
    assert (s.container, s.key_prefix, s.segment_container) == ("my-app", "avatars/", "my-app_segments")
    assert settings("avatars", container="my-app", key_prefix="img/v1/").key_prefix == "img/v1/"
    assert settings("avatars", container="c", segment_container="segs").segment_container == "segs"
    with pytest.raises(ConfigurationError, match="SEGMENT_CONTAINER must differ"):
        settings(container="c", segment_container="c")
    with pytest.raises(ConfigurationError, match="not a valid Swift container name"):
        settings(container="a/b")


def test_key_prefix_is_per_storage_only():
    app = Flask("prefix")
    app.config.update(FS_BACKEND="swift", FS_SWIFT_CONTAINER="c", FS_SWIFT_KEY_PREFIX="x")
    with pytest.raises(ConfigurationError, match="FILES_FS_KEY_PREFIX"):
        fs_core.init_app(app, fs_core.Storage("files"))


def test_flask_fs_keys_and_keystone_options_reach_swiftclient():
    s = settings(
        authurl="https://keystone:5000/v3",
        user="demo",
        key="secret",
        auth_version="3",
        project_name="demo",
        user_domain_name="Default",
        project_domain_name="Default",
        region_name="RegionOne",
        endpoint_type="internalURL",
        os_options={"service_type": "object-store"},
        connection_options={"insecure": True, "retries": 7},
        timeout="5",
    )
    kwargs = Connections(s).kwargs()
    assert kwargs["authurl"] == "https://keystone:5000/v3"
    assert (kwargs["user"], kwargs["key"], kwargs["auth_version"]) == ("demo", "secret", "3")
    assert kwargs["os_options"] == {
        "project_name": "demo",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
        "region_name": "RegionOne",
        "endpoint_type": "internalURL",
        "service_type": "object-store",
    }
    assert (kwargs["insecure"], kwargs["retries"], kwargs["timeout"]) == (True, 7, 5.0)
    assert settings(auth_version="v2.0").auth_version == "2"
    with pytest.raises(ConfigurationError, match="AUTH_VERSION"):
        settings(auth_version="4")


def test_sizes_and_their_limits():
    s = settings(slo_threshold="1GiB", segment_size="64 MB")
    assert (s.slo_threshold, s.segment_size) == (GiB, 64 * MiB)
    assert (settings().slo_threshold, settings().segment_size) == (512 * MiB, 128 * MiB)
    with pytest.raises(ConfigurationError, match="SEGMENT_SIZE must be at most 5 GiB"):
        settings(segment_size="6GiB")
    with pytest.raises(ConfigurationError, match="SLO_THRESHOLD"):
        settings(slo_threshold="lots")


def test_serve_digest_and_bulk():
    assert settings(serve="redirect").serve == "redirect"
    assert settings(serve=True).serve == "stream"
    with pytest.raises(ConfigurationError, match="TEMP_URL_DIGEST"):
        settings(temp_url_digest="md5")
    assert settings().bulk_delete is None
    assert settings(bulk_delete="false").bulk_delete is False


def test_the_constructor_contacts_nothing():
    backend = SwiftBackend("files", Config(authurl="http://127.0.0.1:1/auth/v1.0", user="a", key="b"))
    assert backend.connections._auth is None
    assert repr(backend) == "<SwiftBackend 'files' swift://files/>"


def test_place_is_the_container_on_its_cluster_and_the_prefix():
    def place(name, **config):
        base = {"authurl": "http://127.0.0.1:1/auth/v1.0", "user": "a", "key": "b"}
        return SwiftBackend(name, Config({**base, **config})).place()

    assert place("files") == ("swift http://127.0.0.1:1/auth/v1.0 a files", "")
    media = place("media", container="shared")
    thumbs = place("thumbs", container="shared", key_prefix="media/t")
    assert media[0] == thumbs[0]
    assert (media[1], thumbs[1]) == ("media", "media/t")
    assert place("media", container="shared", user="other")[0] != media[0]  # another account
    assert place("media", container="other")[0] != media[0]
