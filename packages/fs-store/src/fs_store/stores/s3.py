"""Flask-Store's S3 providers (``flask_store.stores.s3``), on fs-s3 (boto3).

``S3GeventStore`` keeps its promise (``save`` returns at once, the transfer runs later)
without gevent: the upload is spooled to local disk and a pool of threads transfers it, with
retries, and no failure goes unnoticed (see :mod:`fs_store.background`).
"""

from __future__ import annotations

from flask import Flask

from . import BaseStore

__all__ = ["S3GeventStore", "S3Store"]


class S3Store(BaseStore):
    """Files in an S3 bucket (``STORE_S3_BUCKET``), under the key prefix ``STORE_PATH``.

    The ``STORE_S3_*`` keys become fs-s3's (``STORE_FS_BUCKET``, ``_REGION``, ``_ACCESS_KEY``,
    ``_SECRET_KEY``, ``_ACL``); every other fs-s3 key works too (``STORE_FS_ENDPOINT`` for an
    S3-compatible service). No route: the URLs are ``STORE_DOMAIN`` + ``STORE_URL_PREFIX``
    (the bucket's address), as in Flask-Store."""

    backend = "s3"
    #: Required application configuration variables
    REQUIRED_CONFIGURATION = [
        "STORE_S3_ACCESS_KEY",
        "STORE_S3_SECRET_KEY",
        "STORE_S3_BUCKET",
        "STORE_S3_REGION",
    ]

    @staticmethod
    def app_defaults(app: Flask) -> None:
        # The root of the bucket; the key prefix doubles as the URL prefix.
        app.config.setdefault("STORE_PATH", "/")
        app.config.setdefault("STORE_URL_PREFIX", app.config["STORE_PATH"])
        app.config.setdefault("STORE_S3_ACL", "private")


class S3GeventStore(S3Store):
    """:class:`S3Store` whose ``save`` returns the name at once and uploads in the background."""

    background = True
