"""FileField: Flask-FS's documented interface, round trips through save and reload, change
tracking, and the stored shape."""

from __future__ import annotations

import copy
import io

import mongoengine as me
import pytest
from mongoengine.errors import ValidationError
from werkzeug.datastructures import FileStorage

import fs_core as fs
from fs_mongoengine import FileField, FileReference

files = fs.Storage("files", fs.ALL)
prefixed = fs.Storage("prefixed", fs.ALL, upload_to="storage-level")


class Note(me.Document):
    title = me.StringField()
    file = FileField(fs=files)


class Named(me.Document):
    slug = me.StringField()
    file = FileField(fs=files, upload_to=lambda doc: f"notes/{doc.slug}", basename=lambda doc: doc.slug)


class Fixed(me.Document):
    file = FileField(fs=prefixed, upload_to="prefix", basename="basename")


class Required(me.Document):
    file = FileField(fs=files, required=True)


class Renamed(me.Document):
    file = FileField(fs=files, db_field="attachment")


@pytest.fixture
def app(app_context):
    with app_context(files, prefixed) as context:
        yield context


def test_an_empty_value_as_flask_fs_documents_it(app):
    doc = Note()
    assert isinstance(doc.file, FileReference)
    assert bool(doc.file) is False
    assert doc.file.filename is None
    assert doc.file.url is None
    assert str(doc.file) == ""


def test_save_sets_name_url_and_content(app):
    doc = Note()
    name = doc.file.save(io.BytesIO(b"xxx"), "test.file")
    assert name == "test.file"
    assert bool(doc.file) is True
    assert doc.file.filename == "test.file"
    assert doc.file.url == "/files/test.file"
    assert str(doc.file) == "/files/test.file"
    assert files.read("test.file") == b"xxx"
    response = app.app.test_client().get(doc.file.url)
    assert (response.status_code, response.data) == (200, b"xxx")


def test_basename_and_upload_to_use_the_document(app):
    doc = Named(slug="alice")
    doc.file.save(FileStorage(io.BytesIO(b"cv"), filename="My CV.PDF"))
    assert doc.file.filename == "notes/alice/alice.pdf"  # the upload's extension, lowercased
    assert files.read("notes/alice/alice.pdf") == b"cv"


def test_upload_to_and_basename_as_values_and_the_storage_folder(app):
    # The seed's example: FileStorage's name overridden by basename, under the prefixes.
    doc = Fixed()
    doc.file.save(FileStorage(io.BytesIO(b"xxx"), filename="test.file"))
    assert doc.file.filename == "storage-level/prefix/basename.file"
    assert doc.file.url == "/prefixed/storage-level/prefix/basename.file"


def test_an_explicit_name_wins_over_basename(app):
    doc = Named(slug="bob")
    doc.file.save(io.BytesIO(b"x"), "explicit.txt")
    assert doc.file.filename == "notes/bob/explicit.txt"


def test_a_clients_name_is_made_safe(app):
    doc = Note()
    doc.file.save(FileStorage(io.BytesIO(b"x"), filename="../../etc/Pass Wd.TXT"))
    assert doc.file.filename == "etc_Pass_Wd.txt"
    assert files.read("etc_Pass_Wd.txt") == b"x"


def test_round_trip_through_save_and_reload(app, raw):
    doc = Note(title="a")
    doc.file.save(io.BytesIO(b"content"), "folder/a.txt")
    doc.save()
    assert raw.note.find_one({"_id": doc.id})["file"] == {"filename": "folder/a.txt"}
    loaded = Note.objects.get(id=doc.id)
    assert isinstance(loaded.file, FileReference)
    assert loaded.file.filename == "folder/a.txt"
    assert loaded.file.instance is loaded
    assert loaded.file.name == "file"
    assert files.read(loaded.file.filename) == b"content"
    assert loaded.file == doc.file


def test_an_empty_value_round_trips_and_is_not_stored(app, raw):
    doc = Note(title="empty").save()
    assert "file" not in raw.note.find_one({"_id": doc.id})
    loaded = Note.objects.get(id=doc.id)
    assert not loaded.file
    assert loaded.file.filename is None
    loaded.save()
    assert "file" not in raw.note.find_one({"_id": doc.id})


def test_none_clears_the_value_and_unsets_the_key(app, raw):
    doc = Note(title="x")
    doc.file.save(io.BytesIO(b"x"), "x.txt")
    doc.save()
    loaded = Note.objects.get(id=doc.id)
    loaded.file = None
    assert not loaded.file
    assert loaded._changed_fields == ["file"]
    loaded.save()
    assert "file" not in raw.note.find_one({"_id": doc.id})
    assert not Note.objects.get(id=doc.id).file


def test_change_tracking(app, raw):
    doc = Note(title="t")
    doc.file.save(io.BytesIO(b"1"), "one.txt")
    doc.save()
    loaded = Note.objects.get(id=doc.id)
    assert loaded._changed_fields == []
    assert loaded.file.url == "/files/one.txt"  # reading changes nothing
    assert loaded._changed_fields == []
    loaded.file = "one.txt"  # the same value
    assert loaded._changed_fields == []
    loaded.file.save(io.BytesIO(b"2"), "two.txt")
    assert loaded._changed_fields == ["file"]
    loaded.save()
    assert loaded._changed_fields == []
    assert raw.note.find_one({"_id": doc.id})["file"] == {"filename": "two.txt"}
    assert raw.note.find_one({"_id": doc.id})["title"] == "t"


def test_assigning_a_name_or_a_stored_shape(app):
    doc = Note(file="a.txt")
    assert doc.file.filename == "a.txt"
    doc.file = {"filename": "b.txt", "unknown": 1}
    assert isinstance(doc.file, FileReference)
    assert doc.file.filename == "b.txt"
    assert doc.file.instance is doc


def test_a_value_of_another_document_is_copied(app):
    first = Note()
    first.file.save(io.BytesIO(b"x"), "shared.txt")
    second = Note(file=first.file)
    assert second.file.filename == "shared.txt"
    assert second.file is not first.file
    assert second.file.instance is second
    second.file = None
    assert first.file.filename == "shared.txt"


def test_db_field_is_the_stored_key(app, raw):
    doc = Renamed()
    doc.file.save(io.BytesIO(b"x"), "r.txt")
    doc.save()
    assert raw.renamed.find_one({"_id": doc.id})["attachment"] == {"filename": "r.txt"}
    assert Renamed.objects.get(id=doc.id).file.filename == "r.txt"


def test_query_by_filename(app):
    doc = Note()
    doc.file.save(io.BytesIO(b"x"), "wanted.txt")
    doc.save()
    Note(file="other.txt").save()
    assert [d.id for d in Note.objects(file__filename="wanted.txt")] == [doc.id]
    assert [d.id for d in Note.objects(file=doc.file)] == [doc.id]


def test_required_refuses_an_empty_value(app):
    with pytest.raises(ValidationError, match="required"):
        Required().save()
    doc = Required()
    doc.file.save(io.BytesIO(b"x"), "req.txt")
    doc.save()
    assert Required.objects.count() == 1


def test_a_value_that_is_no_file_is_refused_by_validation(app):
    doc = Note(title="x")
    doc.file = 42
    with pytest.raises(ValidationError, match="not a file of storage 'files'"):
        doc.validate()


def test_a_field_needs_a_storage():
    with pytest.raises(fs.ConfigurationError, match=r"FileField\(fs=fs_core.Storage"):
        FileField()


def test_copies_share_the_storage(app):
    doc = Note()
    doc.file.save(io.BytesIO(b"x"), "copied.txt")
    clone = copy.deepcopy(doc)
    assert clone.file.fs is files
    assert clone.file.instance is clone
    assert clone.file.filename == "copied.txt"
    field_copy = copy.deepcopy(Note._fields["file"])
    assert field_copy.fs is files


def test_loading_without_dereferencing(app):
    # mongoengine deep-copies the fields for no_dereference(): the storage must be shared.
    doc = Note()
    doc.file.save(io.BytesIO(b"x"), "nd.txt")
    doc.save()
    with me.context_managers.no_dereference(Note):
        loaded = Note.objects.get(id=doc.id)
    assert loaded.file.filename == "nd.txt"
    assert loaded.file.url == "/files/nd.txt"


def test_overwrite_and_conflicts(app):
    first, second = Note(), Note()
    first.file.save(io.BytesIO(b"1"), "same.txt")
    with pytest.raises(fs.FileExists):
        second.file.save(io.BytesIO(b"2"), "same.txt")
    assert not second.file
    second.file.save(io.BytesIO(b"2"), "same.txt", overwrite=True)
    assert files.read("same.txt") == b"2"


def test_renaming_storage_gives_the_name_it_stored(app_context):
    renaming = fs.Storage("renaming", fs.ALL)

    class Renaming(me.Document):
        file = FileField(fs=renaming)

    with app_context(renaming, RENAMING_FS_ON_CONFLICT="rename"):
        first, second = Renaming(), Renaming()
        first.file.save(io.BytesIO(b"1"), "n.txt")
        second.file.save(io.BytesIO(b"2"), "n.txt")
        assert (first.file.filename, second.file.filename) == ("n.txt", "n_1.txt")
        assert renaming.read("n_1.txt") == b"2"


def test_signed_url_of_a_private_storage(app_context):
    private = fs.Storage("private", fs.ALL)

    class Secret(me.Document):
        file = FileField(fs=private)

    with app_context(private, PRIVATE_FS_PRIVATE=True) as context:
        doc = Secret()
        doc.file.save(io.BytesIO(b"secret"), "s.txt")
        with pytest.raises(fs.OperationNotSupported):
            _ = doc.file.url
        url = doc.file.signed_url(60)
        assert context.app.test_client().get(url).data == b"secret"
        assert Secret().file.signed_url() is None
