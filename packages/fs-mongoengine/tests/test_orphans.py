"""``flask fs orphans`` with fs-mongoengine: the files no document refers to (fs-core's
``referenced_files`` hook), in batches of names, and nothing reported where it cannot tell."""

from __future__ import annotations

import io
import json

import mongoengine as me
import pytest

import fs_core as fs
from fs_mongoengine import FileField, ImageField, referrers

documents = fs.Storage("orphandocs", fs.ALL)
pictures_storage = fs.Storage("orphanpics", fs.IMAGES)
untracked = fs.Storage("orphanfree", fs.ALL)  # no document has a field of it


class Report(me.Document):
    attachment = FileField(fs=documents)


class Album(me.Document):
    cover = ImageField(fs=pictures_storage, thumbnails=[32])


@pytest.fixture
def app(make_app):
    app = make_app(documents, pictures_storage, untracked)
    with app.app_context():
        yield app


def orphans(app, storage):
    result = app.test_cli_runner().invoke(args=["fs", "orphans", storage, "--older-than", "0", "--json"])
    assert result.exit_code == 0, result.output
    return {o["name"]: o["kind"] for o in json.loads(result.stdout)}


def test_files_no_document_refers_to(app, pictures, monkeypatch):
    for name in ("kept.txt", "also-kept.txt"):
        report = Report()
        report.attachment.save(io.BytesIO(b"x"), name)
        report.save()
    documents.write("lost.txt", b"nobody refers to me")
    album = Album()
    album.cover.save(pictures.png(), "cover.png")
    album.save()
    pictures_storage.write("stray.png", pictures.png().getvalue())
    untracked.write("free.txt", b"y")
    monkeypatch.setattr(referrers, "BATCH", 2)  # several queries for three names
    assert orphans(app, "orphandocs") == {"lost.txt": "unreferenced"}
    stored = set(pictures_storage.list_files())
    assert {"cover.png", "cover-32.png"} <= stored  # the thumbnail is named in the document
    assert orphans(app, "orphanpics") == {"stray.png": "unreferenced"}
    assert orphans(app, "orphanfree") == {}  # no document class: fs-mongoengine abstains
    removed = app.test_cli_runner().invoke(
        args=["fs", "orphans", "orphandocs", "--older-than", "0", "--delete", "-y"]
    )
    assert removed.exit_code == 0, removed.output
    assert sorted(documents.list_files()) == ["also-kept.txt", "kept.txt"]


def test_nothing_is_reported_where_it_cannot_tell(app, monkeypatch):
    documents.write("maybe.txt", b"?")

    def unsearchable(storage, names):
        raise referrers.Unsearchable("Report (attachment) could not be searched: connection refused")

    monkeypatch.setattr(referrers, "referenced", unsearchable)
    result = app.test_cli_runner().invoke(
        args=["fs", "orphans", "orphandocs", "--older-than", "0", "--delete", "-y"]
    )
    assert result.exit_code == 1
    assert "cannot tell which files of storage 'orphandocs' documents refer to" in result.stderr
    assert "OperationNotSupported" in result.stderr
    assert documents.exists("maybe.txt")
