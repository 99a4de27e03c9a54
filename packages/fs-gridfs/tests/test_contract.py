"""The backend contract suite of fs-core, on mongomock or on FS_TEST_MONGO_URL's server."""

from __future__ import annotations

from typing import Any

import pytest

from fs_core.testing import BackendContract, ServiceFailureContract
from fs_gridfs.backend import GridFSBackend
from fs_testservers import MongoTarget


class TestGridFS(BackendContract, ServiceFailureContract):
    """A storage in a bucket of its own; a neighbouring storage in the same database must
    never be touched by any name."""

    @pytest.fixture
    def fs_backend(self, make_backend) -> GridFSBackend:
        return make_backend("contract")

    @pytest.fixture
    def fs_unavailable_backend(self, unreachable_backend) -> GridFSBackend:
        return unreachable_backend

    @pytest.fixture
    def fs_memory_budget(self, mongo: MongoTarget, fs_large_file_size: int) -> int:
        # mongomock keeps what is stored in this process's memory (traced too): the budget is
        # what a save or read may hold beyond the stored bytes.
        return 32 << 20 if mongo.real else fs_large_file_size + (32 << 20)

    @pytest.fixture
    def fs_outside_storage(self, make_backend, fs_backend, db):
        """Every document of the database outside this storage's bucket (a neighbour's file
        included): no name may reach them."""
        neighbour = make_backend("contract2")
        neighbour.write("secret.txt", b"keep")
        neighbour.write("contract/secret.txt", b"keep")
        prefix = f"{fs_backend.settings.bucket}."

        def snapshot() -> set[Any]:
            found = set()
            for collection in db.list_collection_names():
                if not collection.startswith(prefix):
                    for doc in db[collection].find():
                        found.add((collection, repr(sorted(doc.items(), key=lambda kv: kv[0]))))
            return found

        return snapshot
