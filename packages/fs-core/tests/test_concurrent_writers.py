"""What a save does when another writer gets there between its check and its write: the
backend below lets a test decide what "another writer" stored at that moment, so each race
is played exactly, without timing."""

from __future__ import annotations

import io

import pytest

import fs_core
from fs_core.memory import MemoryBackend
from fs_core.naming import previous_name


class Racing(MemoryBackend):
    """A memory backend whose ``exists`` says no for the names in ``unseen`` (until they are
    raced), and whose create of a name in ``others`` fails because another writer stored it
    just before."""

    unseen: set[str] = set()
    others: dict[str, bytes] = {}
    gone: set[str] = set()

    def exists(self, filename):
        return filename not in self.unseen and super().exists(filename)

    def save(self, file_or_wfs, filename, overwrite=False, content_type=None):
        if filename in self.others and not overwrite:
            super().save(io.BytesIO(self.others.pop(filename)), filename)
            self.unseen.discard(filename)  # seen from now on
        return super().save(file_or_wfs, filename, overwrite=overwrite, content_type=content_type)

    def get_metadata(self, filename):
        if filename in self.gone:
            raise fs_core.FileNotFound(filename)
        return super().get_metadata(filename)


class RacingPlugin:
    @fs_core.hookimpl
    def register_backends(self, register):
        register("racing", Racing)


@pytest.fixture
def racing(fs_make_app):
    Racing.unseen, Racing.others, Racing.gone = set(), {}, set()
    files = fs_core.Storage("files", fs_core.ALL)
    fs_make_app(RacingPlugin(), storages=[files], FS_BACKEND="racing", FILES_FS_ON_CONFLICT="rename")
    return files


def test_rename_moves_on_when_another_writer_takes_the_free_name(racing):
    racing.save(io.BytesIO(b"mine"), "a.txt")
    Racing.unseen = {"a_1.txt"}
    Racing.others = {"a_1.txt": b"theirs"}  # stored between our check and our save
    assert racing.save(io.BytesIO(b"second"), "a.txt") == "a_2.txt"
    assert racing.read("a_1.txt") == b"theirs"
    assert racing.read("a_2.txt") == b"second"  # from the start: the stream was rewound


def test_rename_gives_up_on_a_stream_it_cannot_rewind(racing):
    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer):
            return self._data.readinto(buffer)

    Racing.unseen = {"a.txt"}
    Racing.others = {"a.txt": b"theirs"}
    with pytest.raises(fs_core.FileExists):
        racing.save(OneWay(b"mine"), "a.txt")
    assert racing.read("a.txt") == b"theirs"


def test_rename_stops_after_a_hundred_names_taken_under_it(racing):
    names = ["a.txt"] + [f"a_{n}.txt" for n in range(1, 101)]
    Racing.unseen = set(names)
    Racing.others = dict.fromkeys(names, b"theirs")
    with pytest.raises(fs_core.FileExists, match="the first 100 tried were taken"):
        racing.save(io.BytesIO(b"mine"), "a.txt")


def test_rename_reports_when_no_name_is_free(racing):
    for n in range(1, 10_000):
        racing.backend._files[f"a_{n}.txt"] = racing.backend._files.get("a.txt")
    racing.write("a.txt", b"first")
    with pytest.raises(fs_core.FileExists, match=r"No free name for 'a\.txt' in 'the storage root'"):
        racing.save(io.BytesIO(b"mine"), "a.txt")


def test_hashed_names_deduplicate_against_a_concurrent_writer(fs_make_app):
    Racing.unseen, Racing.others, Racing.gone = set(), {}, set()
    blobs = fs_core.Storage("blobs", fs_core.ALL)
    fs_make_app(RacingPlugin(), storages=[blobs], FS_BACKEND="racing", BLOBS_FS_NAMING="hash")
    name = blobs.save(io.BytesIO(b"same"), "a.txt")
    blobs.delete(name)
    Racing.unseen = {name}
    Racing.others = {name: b"same"}  # the same content, stored by another process meanwhile
    assert blobs.save(io.BytesIO(b"same"), "b.txt") == name
    assert blobs.read(name) == b"same"


def test_a_set_aside_copy_that_vanishes_while_listed_is_skipped(racing):
    aside = previous_name("docs/a.txt", "0" * 32)
    racing.backend._files[aside] = racing.backend._files.get(aside)
    racing.write("docs/b.txt", b"x")
    racing.backend.write(aside, b"old", overwrite=True)
    assert [leftover.name for leftover in racing.leftovers(0)] == [aside]
    Racing.gone = {aside}  # its processing finished and removed it meanwhile
    assert list(racing.leftovers(0)) == []


def test_the_view_answers_404_for_a_file_gone_before_it_is_sent(fs_make_app):
    class Vanishing(fs_core.Storage):
        def serve(self, filename, *, as_attachment=False, download_name=None):
            raise fs_core.FileNotFound(filename)  # deleted between the check and the send

    files = Vanishing("files", fs_core.ALL)
    app = fs_make_app(storages=[files])
    files.write("a.txt", b"x")
    assert app.test_client().get("/files/a.txt").status_code == 404
