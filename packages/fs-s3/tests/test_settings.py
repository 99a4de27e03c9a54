"""Configuration: what each key does, and clear errors for wrong values (no server needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from flask import Flask

import fs_core
from fs_core.config import Config
from fs_core.errors import ConfigurationError
from fs_s3.backend import S3Backend
from fs_s3.client import copy_transfer_config, make_client
from fs_s3.settings import MiB, S3Settings
from fs_s3.uploads import Plan, plan


def settings(name: str = "files", **config) -> S3Settings:
    return S3Settings.from_config(name, Config(config))


def test_importing_the_plugin_does_not_import_boto3():
    code = "import sys, fs_s3, fs_s3.plugin; sys.exit('boto3' in sys.modules or 'botocore' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_bucket_per_storage_by_default():
    s = settings("avatars")
    assert (s.bucket, s.key_prefix) == ("avatars", "")


def test_shared_bucket_uses_the_storage_name_as_prefix():
    s = settings("avatars", bucket="my-app")
    assert (s.bucket, s.key_prefix) == ("my-app", "avatars/")
    assert settings("avatars", bucket="my-app", key_prefix="img/v1/").key_prefix == "img/v1/"
    assert settings("avatars", bucket="my-app", key_prefix="").key_prefix == ""


@pytest.mark.parametrize("name", ["my_files", "ab", "Files"])
def test_storage_name_that_is_no_bucket_name_asks_for_bucket(name):
    with pytest.raises(ConfigurationError, match=f"{name.upper()}_FS_BUCKET"):
        settings(name)
    assert settings(name, bucket="shared").key_prefix == f"{name}/"


def test_invalid_shared_bucket_name():
    with pytest.raises(ConfigurationError, match="BUCKET"):
        settings("files", bucket="Not_A_Bucket")


def test_endpoint_without_scheme_gets_https_and_path_style():
    s = settings(endpoint="minio.internal:9000")
    assert s.endpoint == "https://minio.internal:9000"
    assert s.addressing_style == "path"
    assert settings().addressing_style == "auto"
    assert settings(endpoint="http://x", addressing_style="virtual").addressing_style == "virtual"
    with pytest.raises(ConfigurationError, match="ADDRESSING_STYLE"):
        settings(addressing_style="sideways")


def test_sse_and_acl():
    assert settings(sse="aes256").write_args == {"ServerSideEncryption": "AES256"}
    assert settings(sse_kms_key_id="alias/k").write_args == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": "alias/k",
    }
    assert settings(acl="public-read").write_args == {"ACL": "public-read"}
    for key, value in (("sse", "rot13"), ("acl", "everyone"), ("sse", "AES256")):
        if value == "AES256":
            with pytest.raises(ConfigurationError, match="SSE_KMS_KEY_ID"):
                settings(sse=value, sse_kms_key_id="k")
        else:
            with pytest.raises(ConfigurationError, match=key.upper()):
                settings(**{key: value})


def test_sizes_timeouts_and_retries():
    s = settings(multipart_chunksize="16MiB", multipart_threshold="32 MB", max_concurrency="4")
    assert (s.multipart_chunksize, s.multipart_threshold, s.max_concurrency) == (16 * MiB, 32 * MiB, 4)
    with pytest.raises(ConfigurationError, match="MULTIPART_CHUNKSIZE"):
        settings(multipart_chunksize=MiB)
    with pytest.raises(ConfigurationError, match="MULTIPART_THRESHOLD"):
        settings(multipart_threshold="lots")
    with pytest.raises(ConfigurationError, match="MAX_ATTEMPTS"):
        settings(max_attempts=0)
    with pytest.raises(ConfigurationError, match="CONNECT_TIMEOUT"):
        settings(connect_timeout="soon")
    assert settings(retry_mode="Adaptive").retry_mode == "adaptive"
    with pytest.raises(ConfigurationError, match="RETRY_MODE"):
        settings(retry_mode="forever")


def test_serve_modes():
    assert settings().serve == "stream"
    assert settings(serve=True).serve == "stream"
    assert settings(serve="redirect").serve == "redirect"
    with pytest.raises(ConfigurationError, match="SERVE"):
        settings(serve="teleport")
    assert settings(redirect_expires=7 * 24 * 3600).redirect_expires == 7 * 24 * 3600
    with pytest.raises(ConfigurationError, match=r"REDIRECT_EXPIRES.*7 days"):
        settings(redirect_expires=7 * 24 * 3600 + 1)  # S3 refuses such presigned URLs


def test_atomic_create_setting():
    assert settings().atomic_create is None
    assert settings(atomic_create="false").atomic_create is False
    assert settings(atomic_create=True).atomic_create is True


def test_constructor_contacts_nothing():
    backend = S3Backend("files", Config(endpoint="http://127.0.0.1:9", access_key="a", secret_key="b"))
    assert backend._client is None
    assert backend._atomic is None


def test_client_built_from_the_settings():
    s = settings(
        endpoint="http://127.0.0.1:9",
        region="eu-west-3",
        access_key="AK",
        secret_key="SK",
        connect_timeout=2,
        read_timeout=7,
        max_attempts=5,
        config_options={"max_pool_connections": 33, "s3": {"payload_signing_enabled": False}},
        client_options={"verify": False},
    )
    client = make_client(s)
    config = client.meta.config
    assert client.meta.endpoint_url == "http://127.0.0.1:9"
    assert client.meta.region_name == "eu-west-3"
    assert (config.connect_timeout, config.read_timeout) == (2, 7)
    assert config.retries["total_max_attempts"] == 5
    assert config.max_pool_connections == 33
    assert config.s3 == {"addressing_style": "path", "payload_signing_enabled": False}
    assert config.signature_version == "s3v4"
    credentials = client._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key) == ("AK", "SK")


def test_upload_plans_bound_memory():
    s = settings(multipart_chunksize="8MiB", max_concurrency=3)
    budget = 8 * MiB * 4
    for size in (None, 9 * MiB, 20 * MiB, 10 * 1024**3, 200 * 1024**3, 5 * 1024**4):
        upload = plan(size, s.multipart_chunksize, s.max_concurrency)
        # (parts over half the budget, for files over 10,000 x 16 MiB, hold two parts)
        assert upload.memory <= max(budget, 2 * upload.part_size), (size, upload)
        assert upload.part_size >= 8 * MiB
        if size is not None:
            assert -(-size // upload.part_size) <= 10_000, (size, upload)  # S3's part limit
    assert plan(9 * MiB, 8 * MiB, 3).concurrency == 2  # two parts: no third thread
    assert plan(1024**3, 8 * MiB, 3) == Plan(8 * MiB, 3)
    big = plan(200 * 1024**3, 8 * MiB, 3)  # 200 GiB: parts over 8 MiB, fewer of them at a time
    assert big == Plan(21 * MiB, 1)
    # A stream of unknown size under a threshold above the part size: first parts that hold
    # the threshold, fewer of them at a time (not 4 x 16 MiB).
    assert plan(None, 8 * MiB, 3, at_least=16 * MiB) == Plan(16 * MiB, 1)
    assert plan(None, 8 * MiB, 3, at_least=8 * MiB) == Plan(8 * MiB, 3)
    huge = copy_transfer_config(s, 10 * 1024**4)  # 10 TiB needs parts over 1 GiB
    assert huge.multipart_chunksize * 10_000 >= 10 * 1024**4


def test_invalid_endpoint_is_a_configuration_error_at_first_use():
    backend = S3Backend("files", Config(endpoint="http://not a host", access_key="a", secret_key="b"))
    with pytest.raises(ConfigurationError, match="ENDPOINT"):
        backend.exists("x")


def test_backend_class_is_reachable_from_the_package():
    import fs_s3

    assert fs_s3.S3Backend is S3Backend
    with pytest.raises(AttributeError):
        fs_s3.nothing  # noqa: B018


def test_key_prefix_is_per_storage_only():
    """``FS_S3_KEY_PREFIX`` would give every storage of the shared bucket the same prefix,
    where each would list, overwrite and delete the others' files: it is refused."""
    app = Flask("prefixes")
    app.config.update(FS_BACKEND="s3", FS_S3_BUCKET="shared", FS_S3_KEY_PREFIX="media")
    avatars, exports = fs_core.Storage("avatars"), fs_core.Storage("exports")
    with pytest.raises(ConfigurationError, match=r"FS_S3_KEY_PREFIX.*set AVATARS_FS_KEY_PREFIX"):
        fs_core.init_app(app, avatars, exports)

    app = Flask("prefixes")
    app.config.update(FS_BACKEND="s3", FS_S3_BUCKET="shared", AVATARS_FS_KEY_PREFIX="media/avatars")
    fs_core.init_app(app, avatars, exports)
    with app.app_context():
        assert (avatars.backend.key_prefix, exports.backend.key_prefix) == ("media/avatars/", "exports/")
