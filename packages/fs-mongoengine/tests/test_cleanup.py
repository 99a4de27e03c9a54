"""``delete_files=True``: files go when their document is deleted, or once it is saved with
another file; never while another document references them. Checked on the storage."""

from __future__ import annotations

import io
import logging

import mongoengine as me
import pytest
from mongoengine.errors import InvalidDocumentError

import fs_core as fs
from fs_mongoengine import FileField, ImageField

files = fs.Storage("cleanfiles", fs.ALL)
pics = fs.Storage("cleanpics", fs.IMAGES)


class Kept(me.Document):
    file = FileField(fs=files)


class Post(me.Document):
    meta = {"allow_inheritance": True}
    title = me.StringField()
    file = FileField(fs=files, delete_files=True)
    image = ImageField(fs=pics, max_size=100, thumbnails=[40, 20], delete_files=True)


class Mention(me.Document):
    """Another collection that references files of the same storage (no clean-up of its own)."""

    file = FileField(fs=files)


class Item(me.EmbeddedDocument):
    file = FileField(fs=files)
    picture = ImageField(fs=pics)


class Gallery(me.Document):
    items = me.ListField(me.EmbeddedDocumentField(Item))
    cover = me.EmbeddedDocumentField(Item)


@pytest.fixture
def app(app_context):
    with app_context(files, pics) as context:
        yield context


def _post(name: str = "a.txt", content: bytes = b"x", **fields) -> Post:
    post = Post(**fields)
    post.file.save(io.BytesIO(content), name)
    return post.save()


def test_without_delete_files_nothing_is_deleted(app):
    doc = Kept()
    doc.file.save(io.BytesIO(b"1"), "kept.txt")
    doc.save()
    doc.file.save(io.BytesIO(b"2"), "kept2.txt")
    doc.save()
    doc.delete()
    assert sorted(files.list_files()) == ["kept.txt", "kept2.txt"]


def test_deleting_the_document_deletes_its_files(app, pictures):
    post = Post()
    post.file.save(io.BytesIO(b"x"), "doc.txt")
    post.image.save(pictures.png((300, 200)), "pic.png")
    post.save()
    assert sorted(pics.list_files()) == ["pic-20.png", "pic-40.png", "pic-original.png", "pic.png"]
    post.delete()
    assert list(files.list_files()) == []
    assert list(pics.list_files()) == []


def test_a_replaced_file_goes_once_the_document_is_saved(app):
    post = _post("old.txt")
    loaded = Post.objects.get(id=post.id)
    loaded.file.save(io.BytesIO(b"new"), "new.txt")
    assert sorted(files.list_files()) == ["new.txt", "old.txt"]  # the database still names old.txt
    loaded.save()
    assert sorted(files.list_files()) == ["new.txt"]


def test_a_cleared_file_goes_once_the_document_is_saved(app):
    post = _post("cleared.txt")
    post.file = None
    assert files.exists("cleared.txt")
    post.save()
    assert list(files.list_files()) == []


def test_files_never_saved_in_the_document_go_too(app):
    post = _post("first.txt")
    post.file.save(io.BytesIO(b"2"), "second.txt")
    post.file.save(io.BytesIO(b"3"), "third.txt")
    post.save()
    assert sorted(files.list_files()) == ["third.txt"]


def test_an_unsaved_replacement_discarded_by_reload_goes_at_the_next_save(app):
    post = _post("kept-by-db.txt")
    post.file.save(io.BytesIO(b"2"), "discarded.txt")
    post.reload()
    assert post.file.filename == "kept-by-db.txt"
    post.save()
    assert sorted(files.list_files()) == ["kept-by-db.txt"]


def test_overwriting_in_place_keeps_the_file(app):
    post = _post("same.txt", b"1")
    post.file.save(io.BytesIO(b"2"), "same.txt", overwrite=True)
    post.save()
    assert files.read("same.txt") == b"2"


def test_a_file_shared_by_two_documents(app):
    first = _post("shared.txt")
    second = Post(file=first.file.filename).save()
    first.delete()
    assert files.exists("shared.txt")
    second.file = None
    second.save()
    assert not files.exists("shared.txt")


def test_a_file_referenced_from_another_collection_stays(app):
    post = _post("mentioned.txt")
    Mention(file="mentioned.txt").save()
    post.delete()
    assert files.exists("mentioned.txt")


def test_a_file_referenced_from_embedded_documents_stays(app, pictures):
    post = _post("in-list.txt")
    post.image.save(pictures.png(), "cover.png")
    post.save()
    Gallery(items=[Item(), Item(file="in-list.txt")]).save()
    Gallery(cover=Item(picture="cover.png")).save()
    post.delete()
    assert files.exists("in-list.txt")
    assert pics.exists("cover.png")
    assert pics.exists("cover-40.png")  # what is derived from a referenced image stays with it
    Gallery.objects.delete()
    Post(file="in-list.txt").save().delete()  # the galleries were what kept it
    assert not files.exists("in-list.txt")


def test_a_replaced_file_another_document_references_stays(app):
    first = _post("old-shared.txt")
    Post(file="old-shared.txt").save()
    first.file.save(io.BytesIO(b"n"), "replacement.txt")
    first.save()
    assert sorted(files.list_files()) == ["old-shared.txt", "replacement.txt"]


def test_a_bulk_delete_deletes_each_documents_files(app):
    for name in ("bulk1.txt", "bulk2.txt"):
        _post(name, title="bulk")
    shared = _post("bulk-shared.txt", title="bulk")
    Post(title="bulk", file=shared.file.filename).save()
    keep = _post("other.txt", title="other")
    assert Post.objects(title="bulk").delete() == 4
    assert sorted(files.list_files()) == ["other.txt"]
    assert keep.file.filename == "other.txt"


def test_an_image_and_all_its_variants_go(make_app, pictures):
    storage = fs.Storage("cleanwebp", fs.IMAGES)

    class Card(me.Document):
        image = ImageField(fs=storage, thumbnails=[30], delete_files=True)

    app = make_app(storage, CLEANWEBP_FS_IMAGES_WEBP="auto", CLEANWEBP_FS_IMAGES_MAX_SIZE=80)
    with app.app_context():
        card = Card()
        card.image.save(pictures.png((200, 100)), "card.png")
        card.save()
        stored = set(storage.list_files())
        assert {"card.png", "card-original.png", "card-30.png"} <= stored
        card.delete()
        assert list(storage.list_files()) == []


def test_thumbnails_a_rerender_dropped_go_with_the_save(app, pictures):
    class Banner(me.Document):
        meta = {"collection": "banner"}
        image = ImageField(fs=pics, max_size=100, thumbnails=[40, 20], delete_files=True)

    class BannerV2(me.Document):  # the same documents, declared with other sizes
        meta = {"collection": "banner"}
        image = ImageField(fs=pics, max_size=100, thumbnails=[10], delete_files=True)

    banner = Banner()
    banner.image.save(pictures.png(), "re.png")
    banner.save()
    loaded = BannerV2.objects.get(id=banner.id)
    loaded.image.rerender()
    assert sorted(pics.list_files()) == ["re-10.png", "re-20.png", "re-40.png", "re-original.png", "re.png"]
    loaded.save()
    assert sorted(pics.list_files()) == ["re-10.png", "re-original.png", "re.png"]


def test_subclasses_delete_their_files(app, raw):
    class Article(Post):
        pass

    # Written by another process: no Article was ever made in this one before the delete.
    raw.post.insert_one({"_cls": "Post.Article", "title": "sub", "file": {"filename": "sub.txt"}})
    files.write("sub.txt", b"x")
    assert Article.objects(title="sub").delete() == 1
    assert not files.exists("sub.txt")


def test_a_field_from_a_mixin(app):
    class Attached:
        attachment = FileField(fs=files, delete_files=True)

    class First(Attached, me.Document):
        pass

    class Second(Attached, me.Document):
        pass

    for document in (First, Second):
        doc = document()
        doc.attachment.save(io.BytesIO(b"x"), f"{document.__name__}.txt")
        doc.save().delete()
    assert list(files.list_files()) == []


def test_delete_files_is_refused_where_it_cannot_work():
    with pytest.raises(InvalidDocumentError, match="EmbeddedDocument"):

        class Embedded(me.EmbeddedDocument):
            file = FileField(fs=files, delete_files=True)

    with pytest.raises(InvalidDocumentError, match="list or dict"):

        class Listed(me.Document):
            files_ = me.ListField(FileField(fs=files, delete_files=True))


def test_when_references_cannot_be_searched_files_stay(make_app, caplog):
    storage = fs.Storage("unsearchable", fs.ALL)

    class Owner(me.Document):
        file = FileField(fs=storage, delete_files=True)

    class ByKey(me.Document):  # files in a dict: its keys cannot be queried
        files = me.MapField(FileField(fs=storage))

    app = make_app(storage)
    with app.app_context():
        doc = Owner()
        doc.file.save(io.BytesIO(b"x"), "u.txt")
        doc.save()
        with caplog.at_level(logging.WARNING, logger="fs_mongoengine"):
            doc.delete()
        assert storage.exists("u.txt")
        assert "dict of files" in caplog.text
        assert "u.txt" in caplog.text


def test_a_failed_delete_is_logged_not_raised(app, caplog, monkeypatch):
    post = _post("stuck.txt")

    def fail(name):
        raise fs.BackendError("service down", original=None)

    monkeypatch.setattr(files, "delete", fail)
    with caplog.at_level(logging.WARNING, logger="fs_mongoengine"):
        post.delete()
    assert Post.objects(id=post.id).count() == 0
    assert "could not delete 'stuck.txt'" in caplog.text
    assert files.backend.exists("stuck.txt")


def test_content_addressed_storage_shares_one_file(make_app, pictures):
    """With NAMING = 'hash' two documents saving the same upload name one file: it stays
    until the last of them goes."""
    storage = fs.Storage("hashed", fs.ALL)

    class Attachment(me.Document):
        file = FileField(fs=storage, delete_files=True)
        image = ImageField(fs=storage, thumbnails=[16], delete_files=True)

    app = make_app(storage, HASHED_FS_NAMING="hash")
    with app.app_context():
        first, second = Attachment(), Attachment()
        for doc in (first, second):
            doc.file.save(io.BytesIO(b"same bytes"), "a.txt")
            doc.image.save(pictures.png((64, 64)), "p.png")
            doc.save()
        assert first.file.filename == second.file.filename
        assert first.image.filename == second.image.filename
        assert first.image.thumbnails == second.image.thumbnails
        thumb = first.image.thumbnail(16)
        assert pictures.opened(storage.read(thumb)).size == (16, 16)
        first.delete()
        assert storage.exists(second.file.filename)
        assert storage.exists(thumb)
        second.delete()
        assert list(storage.list_files()) == []


def test_a_field_of_an_abstract_document(app, raw):
    class Base(me.Document):
        meta = {"abstract": True}
        file = FileField(fs=files, delete_files=True)

    class Concrete(Base):
        pass

    raw.concrete.insert_one({"file": {"filename": "abstract.txt"}})
    files.write("abstract.txt", b"x")
    assert Concrete.objects.delete() == 1
    assert not files.exists("abstract.txt")
