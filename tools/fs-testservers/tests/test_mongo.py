"""The MongoDB target of the tests: mongomock made usable with pymongo 4 and GridFSBucket."""

from __future__ import annotations

import io
import threading

import gridfs
import pytest

from fs_testservers.mongo import MOCK_URL, MongoTarget, mongomock_client_class


@pytest.fixture
def mock() -> MongoTarget:
    return MongoTarget(MOCK_URL, mongomock_client_class())


def test_clients_of_one_url_share_one_server(mock):
    database = mock.database_name()
    first, second = mock.client(), mock.client()
    first[database]["c"].insert_one({"_id": 1})
    assert second[database]["c"].find_one({"_id": 1}) == {"_id": 1}
    other = mock.client_class("mongodb://elsewhere.test:27017")
    assert other[database]["c"].find_one({"_id": 1}) is None
    first.drop_database(database)


def test_a_url_in_a_list_is_the_same_server(mock):
    """mongoengine.connect(host=url, mongo_client_class=...) passes the URL in a list."""
    database = mock.database_name()
    listed = mock.client_class([mock.url])
    listed[database]["c"].insert_one({"_id": 1})
    assert mock.client()[database]["c"].find_one({"_id": 1}) == {"_id": 1}
    listed.drop_database(database)


def test_gridfsbucket_works_on_it(mock):
    """pymongo >= 4.2's GridFSBucket reads client.options.timeout and checks isinstance."""
    client = mock.client()
    database = mock.database_name()
    bucket = gridfs.GridFSBucket(client[database], bucket_name="b")
    file_id = bucket.upload_from_stream("a.bin", io.BytesIO(b"x" * 300_000))
    assert bucket.open_download_stream(file_id).read() == b"x" * 300_000
    assert client.options.timeout is None
    client.drop_database(database)


def test_writes_are_serialised(mock, monkeypatch):
    """A write holds the lock for its whole run: another thread's write waits for it."""
    import mongomock.collection

    client = mock.client()
    collection = client[mock.database_name()]["c"]
    inside, release = threading.Event(), threading.Event()
    real = mongomock.collection.Collection._insert

    def slow_insert(self, *args, **kwargs):
        if not inside.is_set():
            inside.set()
            release.wait(10)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(mongomock.collection.Collection, "_insert", slow_insert)
    first = threading.Thread(target=collection.insert_one, args=({"_id": "a"},))
    first.start()
    assert inside.wait(10)
    second_done = threading.Event()
    second = threading.Thread(target=lambda: (collection.insert_one({"_id": "b"}), second_done.set()))
    second.start()
    assert not second_done.wait(0.3)  # blocked behind the first write
    release.set()
    first.join()
    second.join()
    assert second_done.is_set()
    assert {doc["_id"] for doc in collection.find()} == {"a", "b"}
