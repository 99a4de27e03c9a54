"""Nothing outside the store is ever opened, resolved or deleted, whatever ids and paths a
caller passes (HashFS's ``get``/``open``/``delete`` accepted any absolute path on the
machine), and hostile input raises only the core's errors."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fs_core
from fs_core.testing import HOSTILE_NAMES


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the store, next to it: what an escape would read or delete."""
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not yours")
    return secret


def _escapes(hashfs: Any, outside: Path) -> list[str]:
    root = hashfs.client.root
    return [
        str(outside),
        f"{root}/../secret.txt",
        f"{root}/../../{outside.parent.name}/secret.txt",
        f"{root}/a/../../secret.txt",
        f"{root}//secret.txt",
        f"{root}secret.txt",  # a sibling whose name starts like the root's
        f"hashfs://{hashfs.client.storage.name}/../secret.txt",
        "hashfs://other/secret.txt",
        "../secret.txt",
        "../../" * 10 + str(outside).lstrip("/"),
        "/etc/passwd",
        "a/b/../../../secret.txt",
        "..\\secret.txt",
        "%2e%2e/secret.txt",
    ]


def test_paths_outside_the_store_are_never_opened_nor_deleted(hashfs, outside):
    kept = hashfs.put(io.BytesIO(b"inside"))
    for path in _escapes(hashfs, outside):
        assert hashfs.get(path) is None, path
        assert not hashfs.exists(path), path
        assert hashfs.client.realpath(path) is None, path
        with pytest.raises(fs_core.FileNotFound):
            hashfs.open(path)
        hashfs.delete(path)
        assert outside.read_bytes() == b"not yours", path
    assert hashfs.get(kept.id) == kept


def test_an_id_cannot_carry_a_path(hashfs, outside):
    id = "0" * 62 + ".."
    for reference in (id, "0" * 64 + "/../../secret.txt", f"../{'0' * 64}", "../" + outside.name):
        assert hashfs.get(reference) is None
        hashfs.delete(reference)
    assert outside.exists()
    with pytest.raises(fs_core.InvalidFilename):
        hashfs.client.idpath("../../etc/passwd")


@pytest.mark.parametrize("backend", ["local"], indirect=True)  # (links exist on local disks only)
def test_a_link_inside_the_store_to_a_file_outside_is_not_followed(make_app, outside, backend):
    app, fs = make_app()
    with app.app_context():
        root = Path(fs.client.root)
        root.mkdir(parents=True, exist_ok=True)
        (root / "link.txt").symlink_to(outside)
        (root / "dir").symlink_to(outside.parent, target_is_directory=True)
        for reference in ("link.txt", str(root / "link.txt"), "dir/secret.txt", str(root / "dir/secret.txt")):
            try:
                stream = fs.open(reference)
            except fs_core.FSError:
                pass
            else:
                stream.close()
                raise AssertionError(f"{reference} was opened through a link")
            fs.delete(reference)
        assert outside.read_bytes() == b"not yours"


def test_relpath_and_unshard_refuse_paths_outside(hashfs, outside):
    with pytest.raises(ValueError, match="not inside the store"):
        hashfs.client.relpath(str(outside))
    with pytest.raises(ValueError):
        hashfs.client.unshard(f"{hashfs.client.root}/../x")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def test_hostile_names_only_raise_the_cores_errors_and_change_nothing_outside(hashfs, tmp_path, outside):
    """Generated names (fs-core's hostile set) as ids, paths, extensions and URLs."""
    kept = hashfs.put(io.BytesIO(b"kept"), extension=".txt")
    root = hashfs.client.root
    local = hashfs.client.storage.root is not None
    before = _snapshot(tmp_path)

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(name=HOSTILE_NAMES, absolute=st.booleans())
    def attempt(name: str, absolute: bool) -> None:
        reference = f"{root}/{name}" if absolute else name
        try:
            hashfs.get(reference)
            hashfs.exists(reference)
            hashfs.delete(reference)
        except Exception as exc:
            raise AssertionError(f"{reference!r}: {type(exc).__name__}: {exc}") from exc
        for call in (
            lambda: hashfs.open(reference).close(),
            lambda: hashfs.put(io.BytesIO(b"payload"), extension=name),
            lambda: hashfs.url_for(name, external=False),
        ):
            try:
                call()
            except fs_core.FSError:
                pass

    attempt()
    assert hashfs.get(kept.id) is not None
    after = _snapshot(tmp_path)
    if local:  # only files of the store's own root may have come or gone
        changed = {p for p in set(before) ^ set(after) if not p.startswith(os.path.join(root, ""))}
        assert not changed
    for path, content in before.items():
        if not path.startswith(os.path.join(root, "")):
            assert after[path] == content


def test_names_a_backend_reserves_are_no_file_of_the_store(hashfs):
    for name in (".fs-s3-probe", ".fs-s3-probe/x", ".fs-tmp-x", ".fs-previous-1"):
        assert hashfs.get(name) is None
        assert not hashfs.exists(name)
        hashfs.delete(name)
