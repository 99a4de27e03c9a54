"""The store's API on every backend: content addressing checked by recomputing hashes,
deduplication, lookups by id and path, listing, size, repair, errors."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

import fs_core
import fs_hashfs
from fs_hashfs import AddressNotFound, FlaskHashFS, HashAddress, HashFSConfigError, UnreadableSource


def stored_digest(fs: FlaskHashFS, address: HashAddress, algorithm: str = "sha256") -> str:
    """The digest of what the storage holds at ``address``, read back through the storage."""
    with fs.client.storage.open(address.relpath, "rb") as stream:
        return hashlib.new(algorithm, stream.read()).hexdigest()


def test_seed_example_runs_as_written(make_app, tmp_path):
    # Flask-HashFS's README, with `flask_hashfs` changed to `fs_hashfs`.
    from flask import Flask

    from fs_hashfs import FlaskHashFS

    app = Flask(__name__, instance_path=str(tmp_path / "seed"))
    fs = FlaskHashFS()
    _, configured = make_app()  # the backend's keys (memory, local folder, S3 bucket)
    app.config.update({k: v for k, v in configured.app.config.items() if k.startswith("HASHFS_FS_")})
    app.config.update(
        {
            "HASHFS_HOST": None,
            "HASHFS_PATH_PREFIX": "/uploads",
            "HASHFS_ROOT_FOLDER": str(tmp_path / "var/www/data/uploads"),
            "HASHFS_DEPTH": 4,
            "HASHFS_WIDTH": 1,
            "HASHFS_ALGORITHM": "sha256",
        }
    )
    fs.init_app(app)
    io_obj = io.BytesIO(b"\xff\xd8\xff\xe0 a jpeg")

    with app.app_context():
        # Store readable objects or file paths
        address = fs.put(io_obj, extension=".jpg")

        # Get a file's hash address
        assert fs.get(address.id) == address
        assert fs.get(address.relpath) == address
        assert fs.get(address.abspath) == address
        assert fs.get("invalid") is None

        # Get a BufferedReader handler
        fileio = fs.open(address.id)
        assert fileio.read() == b"\xff\xd8\xff\xe0 a jpeg"
        fileio.close()

        # Or using the full path...
        fileio = fs.open(address.abspath)
        fileio.close()

        # Or using a path relative to fs.root
        fileio = fs.open(address.relpath)
        fileio.close()

        # Delete a file by address ID or path
        fs.delete(address.id)
        assert not fs.exists(address.id)
        address = fs.put(io_obj, extension=".jpg")
        fs.delete(address.abspath)
        assert fs.get(address.relpath) is None
        address = fs.put(io_obj, extension=".jpg")
        fs.delete(address.relpath)
        assert fs.count() == 0

    with pytest.raises(RuntimeError, match="app_context"):  # given no app: which one?
        fs.client  # noqa: B018
    with app.app_context():
        assert isinstance(fs.client, fs_hashfs.HashFS)

    with app.test_request_context():
        assert fs.url_for("relative/file/path") == "http://localhost/uploads/relative/file/path"


@pytest.mark.parametrize(
    ("depth", "width", "algorithm"), [(4, 1, "sha256"), (2, 2, "md5"), (0, 1, "sha1"), (3, 4, "blake2b")]
)
def test_put_addresses_the_content_by_its_hash(make_app, depth, width, algorithm):
    app, fs = make_app(HASHFS_DEPTH=depth, HASHFS_WIDTH=width, HASHFS_ALGORITHM=algorithm)
    content = os.urandom(100_000)
    with app.app_context():
        address = fs.put(io.BytesIO(content), extension="png")
        id = hashlib.new(algorithm, content).hexdigest()
        assert address.id == id
        assert stored_digest(fs, address, algorithm) == id  # what is stored hashes to its id
        folders, rest = id[: depth * width], id[depth * width :]
        expected = [folders[i * width : (i + 1) * width] for i in range(depth)]
        assert address.relpath == "/".join([*expected, f"{rest}.png"])
        assert address.is_duplicate is False
        assert fs.client.layout.unshard(address.relpath) == id


def test_extension_with_or_without_a_dot_and_none(hashfs):
    a = hashfs.put(io.BytesIO(b"x"), extension=".txt")
    b = hashfs.put(io.BytesIO(b"x"), extension="txt")
    c = hashfs.put(io.BytesIO(b"x"))
    assert a.relpath == b.relpath == c.relpath + ".txt"
    assert b.is_duplicate
    assert not c.is_duplicate
    assert hashfs.count() == 2
    assert hashfs.get(a.id).relpath == c.relpath  # the bare address first, as HashFS's realpath


def test_extension_cannot_add_or_leave_a_folder(hashfs):
    for extension in ("x/y", "/../../z", "a\\b", ".\u202egpj", "\x00"):
        with pytest.raises(fs_core.InvalidFilename):
            hashfs.put(io.BytesIO(b"x"), extension=extension)
    assert hashfs.count() == 0


def test_same_content_is_stored_once(hashfs):
    first = hashfs.put(io.BytesIO(b"same bytes"), extension=".bin")
    second = hashfs.put(io.BytesIO(b"same bytes"), extension=".bin")
    assert second == first._replace(is_duplicate=True)
    assert hashfs.count() == 1
    assert hashfs.size() == len(b"same bytes")


def test_put_accepts_paths_uploads_and_unseekable_streams(hashfs, tmp_path):
    path = tmp_path / "upload.bin"
    path.write_bytes(b"from a path")
    by_path = hashfs.put(str(path))
    assert by_path.id == hashlib.sha256(b"from a path").hexdigest()
    assert hashfs.put(path).is_duplicate  # a PathLike too

    upload = FileStorage(io.BytesIO(b"an upload"), filename="photo.jpg")
    assert hashfs.put(upload, extension=".jpg").id == hashlib.sha256(b"an upload").hexdigest()

    read, write = os.pipe()
    os.write(write, b"through a pipe")
    os.close(write)
    with os.fdopen(read, "rb", buffering=0) as pipe:
        assert hashfs.put(pipe).id == hashlib.sha256(b"through a pipe").hexdigest()


def test_seekable_source_is_read_from_its_start_and_its_position_put_back(hashfs):
    source = io.BytesIO(b"0123456789")
    source.seek(4)
    address = hashfs.put(source)
    assert address.id == hashlib.sha256(b"0123456789").hexdigest()
    assert source.tell() == 4


def test_unreadable_sources_are_refused(hashfs, tmp_path):
    with pytest.raises(UnreadableSource, match="readable object"):
        hashfs.put(42)
    with pytest.raises(UnreadableSource, match=r"missing\.bin") as raised:
        hashfs.put(str(tmp_path / "missing.bin"))
    assert isinstance(raised.value, (fs_core.FSError, ValueError))
    assert hashfs.count() == 0


def test_max_size_refuses_and_stores_nothing(make_app):
    app, fs = make_app(HASHFS_FS_MAX_SIZE=1000)
    with app.app_context():
        assert fs.put(io.BytesIO(b"x" * 1000)).is_duplicate is False
        with pytest.raises(fs_core.FileTooLarge):
            fs.put(io.BytesIO(b"y" * 1001))
        assert fs.count() == 1


def test_get_by_every_kind_of_reference(hashfs):
    address = hashfs.put(io.BytesIO(b"findable"), extension=".txt")
    for reference in (address, address.id, address.relpath, address.abspath, Path(address.relpath)):
        assert hashfs.get(reference) == address, reference
        assert hashfs.exists(reference)
        assert reference in hashfs.client
    for missing in ("invalid", "", None, 42, "0" * 64, address.relpath + ".other", address.id[:-1]):
        assert hashfs.get(missing) is None
        assert not hashfs.exists(missing)
    with pytest.raises(AddressNotFound, match="Could not locate file") as raised:
        hashfs.open("0" * 64)
    assert isinstance(raised.value, (IOError, fs_core.FileNotFound))


def test_open_reads_bytes_or_text_and_never_writes(hashfs):
    address = hashfs.put(io.BytesIO("héllo".encode()), extension=".txt")
    with hashfs.open(address.id) as binary:
        assert binary.read() == "héllo".encode()
    with hashfs.open(address.id, "r") as text:
        assert text.read() == "héllo"
    for mode in ("r+", "wb", "w", "ab", "xb"):
        with pytest.raises(fs_core.OperationNotSupported, match="read-only"):
            hashfs.open(address.id, mode)
    assert stored_digest(hashfs, address) == address.id


def test_delete_by_id_path_and_address_and_missing_is_not_an_error(hashfs):
    kept = hashfs.put(io.BytesIO(b"kept"))
    for reference in ("id", "relpath", "abspath"):
        address = hashfs.put(io.BytesIO(b"gone"), extension=".dat")
        hashfs.delete(getattr(address, reference))
        assert not hashfs.exists(address.id)
    hashfs.delete("0" * 64)
    hashfs.delete("not/a/file")
    assert hashfs.count() == 1
    assert hashfs.exists(kept.id)


def test_delete_never_removes_a_folder(hashfs):
    address = hashfs.put(io.BytesIO(b"in a folder"))
    folder = address.relpath.rpartition("/")[0]
    hashfs.delete(folder)
    hashfs.delete(folder.split("/")[0])
    assert hashfs.exists(address.id)


def test_files_folders_count_size(hashfs):
    assert (hashfs.count(), hashfs.size(), list(hashfs.files()), list(hashfs.folders())) == (0, 0, [], [])
    contents = [b"a", b"bb", b"ccc", b"bb"]
    addresses = [hashfs.put(io.BytesIO(c), extension=".x") for c in contents]
    unique = {a.abspath for a in addresses}
    assert hashfs.count() == len(hashfs.client) == 3
    assert hashfs.size() == 6
    assert set(hashfs.files()) == set(hashfs.client) == unique
    assert set(hashfs.folders()) == {a.abspath.rpartition("/")[0] for a in addresses}


def test_abspath_says_where_the_file_is(hashfs):
    address = hashfs.put(io.BytesIO(b"where"))
    storage = hashfs.client.storage
    if storage.root is not None:  # local: the file's path on this machine
        assert Path(address.abspath).read_bytes() == b"where"
        assert address.abspath == os.path.join(storage.root, address.relpath)
    else:  # elsewhere: an address the store's get/open/delete understand
        assert address.abspath == f"hashfs://{storage.name}/{address.relpath}"
        with pytest.raises(fs_core.OperationNotSupported):
            storage.path(address.relpath)


def test_repair_moves_misplaced_files_to_their_address(hashfs):
    storage = hashfs.client.storage
    good = hashfs.put(io.BytesIO(b"good"), extension=".txt")
    # A file whose content changed under its name, and one put there by other means.
    changed = hashfs.put(io.BytesIO(b"before"), extension=".txt")
    storage.write(changed.relpath, b"after", overwrite=True)
    storage.write("stray.txt", b"good")  # the content of `good`: only the copy goes
    corrupted = dict(hashfs.client.corrupted())
    assert set(corrupted) == {hashfs.client.abspath(changed.relpath), hashfs.client.abspath("stray.txt")}

    repaired = hashfs.repair()
    assert {path for path, _ in repaired} == set(corrupted)
    after = hashlib.sha256(b"after").hexdigest()
    assert hashfs.get(after).relpath.endswith(".txt")
    assert stored_digest(hashfs, hashfs.get(after)) == after
    assert not storage.exists("stray.txt")
    assert storage.read(good.relpath) == b"good"
    assert list(hashfs.client.corrupted()) == []
    assert hashfs.count() == 2


def test_repair_swaps_files_that_hold_each_others_content(hashfs):
    """HashFS deleted one of them; both must survive, each at its own address."""
    storage = hashfs.client.storage
    one = hashfs.put(io.BytesIO(b"one"))
    two = hashfs.put(io.BytesIO(b"two"))
    storage.write(one.relpath, b"two", overwrite=True)
    storage.write(two.relpath, b"one", overwrite=True)
    assert len(hashfs.repair()) == 2
    assert storage.read(one.relpath) == b"one"
    assert storage.read(two.relpath) == b"two"
    assert hashfs.count() == 2
    assert list(hashfs.client.corrupted()) == []


def test_repair_without_extensions_drops_them(hashfs):
    storage = hashfs.client.storage
    storage.write("misplaced.jpg", b"jpeg")
    [(_, address)] = hashfs.repair(extensions=False)
    assert address.relpath == hashfs.client.layout.relpath(hashlib.sha256(b"jpeg").hexdigest())
    assert storage.read(address.relpath) == b"jpeg"


def test_the_store_stays_on_its_own_storage(make_app):
    """Another storage of the app is not part of the store, and the other way round."""
    app, fs = make_app()
    other = fs_core.Storage("other", fs_core.ALL)
    app.config["OTHER_FS_BACKEND"] = "memory"
    fs_core.init_app(app, other)
    with app.app_context():
        other.write("a.txt", b"elsewhere")
        address = fs.put(io.BytesIO(b"elsewhere"), extension=".txt")
        assert fs.count() == 1
        assert list(other.list_files()) == ["a.txt"]
        assert fs.get("a.txt") is None
        assert other.exists("a.txt")
        assert not other.exists(address.relpath)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("HASHFS_PATH_PREFIX", None, "must be set"),
        ("HASHFS_PATH_PREFIX", "uploads", "leading slash"),
        ("HASHFS_ALGORITHM", "nope", "not a hashlib algorithm"),
        ("HASHFS_ALGORITHM", "shake_128", "no fixed digest size"),
        ("HASHFS_DEPTH", 64, "must be shorter"),
        ("HASHFS_DEPTH", "four", "must be an integer"),
        ("HASHFS_WIDTH", 0, "WIDTH at least 1"),
    ],
)
def test_configuration_errors_name_the_key(make_app, key, value, message):
    with pytest.raises(HashFSConfigError, match=message) as raised:
        make_app(**{key: value})
    assert isinstance(raised.value, (ValueError, fs_core.ConfigurationError))


def test_configuration_defaults_and_the_old_length_key(make_app):
    app, fs = make_app()
    for key, value in {
        "HASHFS_HOST": None,
        "HASHFS_PATH_PREFIX": "",
        "HASHFS_DEPTH": 4,
        "HASHFS_WIDTH": 1,
        "HASHFS_ALGORITHM": "sha256",
    }.items():
        assert app.config[key] == value, key
    assert app.config["HASHFS_FS_MAX_AGE"] == 365 * 24 * 3600
    app, fs = make_app(HASHFS_LENGTH=2)  # Flask-HashFS < 0.3 called WIDTH LENGTH
    with app.app_context():
        assert fs.client.width == 2
