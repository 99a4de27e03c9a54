"""Names at the length limits: the whole name's 1,024 bytes, and a backend's own smaller room
(``BaseBackend.max_name_bytes``: what is left of a service's key limit after its prefix).

Names the core makes from a valid one (``name_1.ext`` on a conflict, the copy set aside while
processors run) must fit the same room as the name, or a valid save fails.
"""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage

import fs_core as fs
from fs_core.errors import InvalidFilename, ProcessingError
from fs_core.memory import MemoryBackend
from fs_core.naming import MAX_NAME_BYTES
from fs_core.testing import name_of_length


class ShortKeys(MemoryBackend):
    """A memory backend under a 40-byte key prefix of a service that caps keys at 1,024
    bytes, as fs-s3 and fs-swift are: it refuses longer names before storing anything."""

    @property
    def max_name_bytes(self) -> int:
        return MAX_NAME_BYTES - 40

    def save(self, file_or_wfs, filename, overwrite=False, content_type=None):
        self.check_name_length(filename)
        return super().save(file_or_wfs, filename, overwrite=overwrite, content_type=content_type)

    def copy(self, filename, target, overwrite=False):
        self.check_name_length(target)
        return super().copy(filename, target, overwrite=overwrite)


class TinyKeys(ShortKeys):
    """A key prefix that leaves 40 bytes: too few for a copy set aside (45 bytes)."""

    @property
    def max_name_bytes(self) -> int:
        return 40


class Registers:
    @fs.hookimpl
    def register_backends(self, register):
        register("short", ShortKeys)
        register("tiny", TinyKeys)


class Processes:
    """Processes every file (so a replaced one is set aside first); fails on demand."""

    fail = False

    @fs.hookimpl
    def will_process(self, storage, filename):
        return True

    @fs.hookimpl
    def after_save(self, storage, filename):
        if self.fail:
            raise ValueError("processing failed")


def upload(data: bytes, filename: str) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=filename)


@pytest.fixture(params=["memory", "short"])
def limited(request, fs_make_app):
    """``(app, storage)`` on the memory backend (room: 1,024 bytes) and on ShortKeys."""
    files = fs.Storage("files", fs.ALL)
    processes = Processes()
    app = fs_make_app(
        Registers(),
        processes,
        storages=[files],
        FILES_FS_BACKEND=request.param,
        FILES_FS_ON_CONFLICT="rename",
    )
    with app.app_context():
        yield files, processes


def test_a_backend_takes_names_up_to_its_max_name_bytes(limited):
    files, _ = limited
    room = files.backend.max_name_bytes
    longest = name_of_length(room)
    assert len(longest.encode()) == room
    files.write(longest, b"x")
    assert files.read(longest) == b"x"
    with pytest.raises(InvalidFilename, match=r"(longer than|too long).*\d+ bytes"):
        files.write(name_of_length(room + 1), b"y")
    assert list(files.list_files()) == [longest]


def test_check_name_length_says_where_the_room_went():
    backend = ShortKeys("files")
    name = name_of_length(backend.max_name_bytes + 1)
    with pytest.raises(InvalidFilename) as caught:
        backend.check_name_length(name, why="under the key prefix 'files/'")  # no leading space
    assert str(caught.value).endswith(
        f": {len(name)} bytes under the key prefix 'files/', and it takes names of at most "
        f"{backend.max_name_bytes} bytes; shorten it by 1 byte"
    )
    with pytest.raises(InvalidFilename, match=r"\d+ bytes \(54 for its parts\), .* by 55 bytes$"):
        backend.check_name_length(name, extra=54, why=" (54 for its parts)")
    backend.check_name_length(name_of_length(backend.max_name_bytes))  # fits: no error


def test_base_backend_takes_the_whole_name_limit():
    assert fs.BaseBackend("x").max_name_bytes == MAX_NAME_BYTES


def test_rename_on_conflict_fits_the_room_of_the_whole_name(limited):
    """A taken name as long as the backend takes, with a short base name: ``a_1.txt`` would
    make it too long, so the stem is shortened for the marker (it was refused)."""
    files, _ = limited
    longest = name_of_length(files.backend.max_name_bytes, "abcdef.txt")
    folder, _, base = longest.rpartition("/")
    first = files.save(upload(b"1", base), prefix=folder)
    assert first == longest
    second = files.save(upload(b"2", base), prefix=folder)
    third = files.save(upload(b"3", base), prefix=folder)
    assert second.rpartition("/")[0] == third.rpartition("/")[0] == folder
    assert second.endswith("_1.txt")
    assert third.endswith("_2.txt")
    for name in (second, third):
        assert len(name.encode()) <= files.backend.max_name_bytes
    assert [files.read(n) for n in (first, second, third)] == [b"1", b"2", b"3"]


def test_rename_never_cuts_the_extension_to_fit(limited):
    """A taken longest name whose stem cannot give way (``a.txt``): no ``a_1.txt`` fits, and
    ``a.t_1`` (what the core made) would change the file's type, so the upload is refused
    with what to do, and nothing is stored."""
    files, _ = limited
    longest = name_of_length(files.backend.max_name_bytes, "a.txt")
    folder, _, base = longest.rpartition("/")
    files.save(upload(b"1", base), prefix=folder)
    with pytest.raises(InvalidFilename, match=r"No room to add '_1' to 'a.txt'.*shorter folder"):
        files.save(upload(b"2", base), prefix=folder)
    assert list(files.list_files()) == [longest]


def test_marked_keeps_a_real_extension_or_refuses():
    from fs_core.naming import marked

    assert marked("a.jpeg", "_9", room=8) == "a_9.jpeg"
    for room in (7, 3):  # no room for a_10.jpeg: never a.jpe_10 (a type the storage may refuse)
        with pytest.raises(InvalidFilename, match=r"No room to add '_10' to 'a\.jpeg'"):
            marked("a.jpeg", "_10", room=room)
    # A stem of multibyte characters is cut at a character, never inside one.
    assert marked("日本語.txt", "_1", room=11) == "日_1.txt"
    with pytest.raises(InvalidFilename, match=r"fewer than the 9 of '日_1\.txt'"):
        marked("日本語.txt", "_1", room=8)
    # An extension too long for any stem to fit before it in a segment is no extension.
    long_ext = "b." + "t" * 253
    assert marked(long_ext, "_1", room=20) == long_ext[:18] + "_1"


@pytest.mark.parametrize("fail", [False, True])
def test_replacing_a_longest_name_with_processors(limited, fail):
    """The copy kept while processors work on a replacement (``.fs-previous-<token>``,
    45 bytes) must fit where the name fits, even when the name's own base name is short."""
    files, processes = limited
    longest = name_of_length(files.backend.max_name_bytes, "a.txt")
    files.write(longest, b"old")
    processes.fail = fail
    if fail:
        with pytest.raises(ProcessingError, match="put back"):
            files.write(longest, b"new", overwrite=True)
    else:
        files.write(longest, b"new", overwrite=True)
    assert files.read(longest) == (b"old" if fail else b"new")
    assert list(files.backend.list_files()) == [longest]  # nothing set aside is left


def test_no_room_for_the_copy_set_aside_is_a_configuration_error(fs_make_app):
    """Under a prefix that leaves fewer bytes than ``.fs-previous-<token>`` takes, replacing a
    processed file is refused with what to change (the storage's key prefix), not an
    ``InvalidFilename`` about a reserved name the user never gave; nothing is lost."""
    files = fs.Storage("files", fs.ALL)
    app = fs_make_app(Registers(), Processes(), storages=[files], FILES_FS_BACKEND="tiny")
    with app.app_context():
        files.write("me.txt", b"old")  # a first save sets nothing aside
        with pytest.raises(fs.ConfigurationError, match=r"'me.txt' in storage 'files'.*shorter key prefix"):
            files.write("me.txt", b"new", overwrite=True)
        assert files.read("me.txt") == b"old"
        assert list(files.backend.list_files()) == ["me.txt"]


def test_marked_names_fit_the_room_a_folder_leaves():
    from fs_core.naming import marked, previous_name, room_in

    assert room_in("") == 255
    assert room_in("d" * 1000) == 23
    assert room_in("d" * 1000, limit=1010) == 9
    assert marked("abcdef.txt", "_1", room=9) == "abc_1.txt"
    with pytest.raises(InvalidFilename, match=r"No room to add '_100' to 'abcdef\.txt'"):
        marked("abcdef.txt", "_100", room=4)
    assert previous_name("d" * 900 + "/a.txt", "t" * 32) == "d" * 900 + "/.fs-previous-" + "t" * 32
    assert previous_name("d" * 1000 + "/a.txt", "t" * 32) == ".fs-previous-" + "t" * 32
