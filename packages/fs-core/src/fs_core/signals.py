"""Blinker signals, sent with the storage as sender (``connect(fn, sender=images)`` listens
to one storage). Flask-FS declared them but never sent them; fs-core does.

* ``file_uploaded(storage, filename=…)``: after ``save``/``write`` stored a file and its
  post-save processors ran;
* ``file_deleted(storage, filename=…)``: after ``delete``;
* ``before_display(storage, filename=…)``: before a file is served by ``fs.get_file`` or
  ``Storage.serve``.
"""

from __future__ import annotations

from blinker import Namespace

__all__ = ["before_display", "file_deleted", "file_uploaded"]

_signals = Namespace()

file_uploaded = _signals.signal("file-uploaded")
file_deleted = _signals.signal("file-deleted")
before_display = _signals.signal("before-display")
