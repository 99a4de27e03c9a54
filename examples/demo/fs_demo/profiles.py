"""Visitors' profiles: a name and a picture, kept in MongoDB documents whose picture is an
fs-mongoengine ``ImageField`` (its file lives in the ``avatars`` storage, on the demo's
backend, with thumbnails made by fs-images).

The documents go to ``DEMO_MONGO_URL`` if set, else to mongomock, an in-process MongoDB
(no MongoDB server can be installed from Debian's packages): then profiles last as long as
the demo runs. mongoengine's connections belong to the process: the demo connects when it is
created, so one demo app per process (the last created) holds profiles.
"""

from __future__ import annotations

from typing import Any

import mongoengine as me
from flask import Flask

import fs_core as fs
from fs_mongoengine import ImageField

__all__ = [
    "ALIAS",
    "AVATAR_SIZES",
    "NAME_LENGTH",
    "Profile",
    "avatars",
    "connect",
    "profile_of",
    "shown_profile",
]

#: The mongoengine connection the profiles use.
ALIAS = "fs-demo"
#: The longest name a profile takes.
NAME_LENGTH = 60
#: Thumbnails of a profile picture: the profile card's, and the header's.
AVATAR_SIZES = (96, 32)

avatars = fs.Storage("avatars", fs.IMAGES)


class Profile(me.Document):
    """One visitor's profile (the visitor is the id kept in their session)."""

    visitor = me.StringField(required=True, unique=True)
    name = me.StringField(max_length=NAME_LENGTH, default="")
    avatar = ImageField(fs=avatars, max_size=512, thumbnails=list(AVATAR_SIZES), delete_files=True)
    meta = {"db_alias": ALIAS, "indexes": ["avatar.filename"]}


def connect(app: Flask) -> None:
    """Connect the profiles' documents to ``DEMO_MONGO_URL``, or to a fresh mongomock."""
    url = app.config.get("DEMO_MONGO_URL")
    me.disconnect(alias=ALIAS)
    options: dict[str, Any] = {"alias": ALIAS, "tz_aware": True, "uuidRepresentation": "standard"}
    if url:
        me.connect(host=url, serverSelectionTimeoutMS=5000, **options)
    else:
        import mongomock

        me.connect("fs-demo", host="mongodb://localhost", mongo_client_class=mongomock.MongoClient, **options)


def profile_of(visitor: str) -> Profile:
    """The visitor's profile, a new (unsaved) one if they have none."""
    return Profile.objects(visitor=visitor).first() or Profile(visitor=visitor)


def shown_profile(visitor: str | None) -> Profile | None:
    """The profile the header shows: the visitor's, once it has a name or a picture."""
    if not visitor:
        return None
    found = Profile.objects(visitor=visitor).first()
    return found if found and (found.name or found.avatar) else None
