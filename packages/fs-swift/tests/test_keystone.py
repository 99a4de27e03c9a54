"""Keystone v3 for real: Debian's Keystone on loopback and a Swift proxy that validates its
tokens (``fs_testservers.KeystoneSwift``), reached with fs-swift's Keystone keys."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fs_core.config import Config
from fs_core.errors import BackendError, FileNotFound
from fs_swift.backend import SwiftBackend
from fs_swift.listing import delete_objects, list_objects
from fs_swift.settings import MiB
from fs_testservers import KeystoneSwift, unique_name

# python-swiftclient authenticates through python-keystoneclient's deprecated v3 client.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:keystoneclient"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:debtcollector"),
]


@pytest.fixture
def make_v3(keystone_swift: KeystoneSwift) -> Iterator[Callable[..., SwiftBackend]]:
    """``make_v3(**config)``: a backend of a fresh storage in the ``demo`` project, through
    Keystone v3; what it stored is deleted after the test."""
    made: list[SwiftBackend] = []

    def make(**config: Any) -> SwiftBackend:
        backend = SwiftBackend(unique_name(), Config({**keystone_swift.swift_config(), **config}))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        if not backend._container_ready:
            continue
        conn = backend.connections.get()
        for container in (backend.container, backend.segment_container):
            try:
                names = [item["name"] for item in list_objects(conn, container, "")]
            except Exception:
                continue
            delete_objects(conn, ((container, n) for n in names), 0, backend.name)


def test_v3_round_trip_in_the_projects_account(make_v3, keystone_swift):
    backend = make_v3(slo_threshold=MiB, segment_size=MiB)
    backend.write("notes/a.txt", b"through keystone")
    backend.save(io.BytesIO(b"L" * (3 * MiB)), "big.bin")  # a Static Large Object: 3 segments
    assert backend.read("notes/a.txt") == b"through keystone"
    assert backend.read("big.bin") == b"L" * (3 * MiB)
    assert sorted(backend.list_files()) == ["big.bin", "notes/a.txt"]
    assert backend.metadata("notes/a.txt")["size"] == 16
    # The storage URL is the catalogue's endpoint for the project: the Keystone proxy.
    storage_url = backend.connections.storage_url
    assert storage_url.startswith(f"{keystone_swift.proxy_endpoint}/v1/AUTH_")
    backend.delete("big.bin")
    assert not backend.exists("big.bin")
    assert list(list_objects(backend.connections.get(), backend.segment_container, "")) == []


def test_v3_temp_urls_signed_with_a_container_key(make_v3):
    backend = make_v3(temp_url_key="v3-secret", set_temp_url_key=True)
    backend.write("report.pdf", b"%PDF-1.4 signed")
    url = backend.signed_url("report.pdf", 60)
    with urllib.request.urlopen(url, timeout=30) as response:  # no token: the signature only
        assert response.read() == b"%PDF-1.4 signed"
    tampered = url.replace("report.pdf", "other.pdf")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=30)
    assert refused.value.code == 401


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"key": "not-the-password"}, "refused the credentials"),
        ({"project_name": "no-such-project"}, "refused the credentials"),
        ({"region_name": "Elsewhere"}, "no endpoint for these options .* Check REGION_NAME"),
    ],
    ids=["password", "project", "region"],
)
def test_v3_bad_settings_give_one_clear_error_at_first_use(make_v3, config, expected):
    backend = make_v3(retries=0, **config)  # constructing it contacts nothing
    with pytest.raises(BackendError, match=expected) as raised:
        backend.exists("a.txt")
    assert backend.name in str(raised.value)
    assert raised.value.original is not None


def test_v3_missing_file_is_file_not_found(make_v3):
    backend = make_v3()
    with pytest.raises(FileNotFound):
        backend.read("nothing-here.txt")
