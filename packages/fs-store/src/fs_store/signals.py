"""Signals of background saves (blinker), sent with the Flask app as sender.

* ``upload_completed``: a background save reached the storage (``upload=`` the
  :class:`~fs_store.background.Upload`);
* ``upload_failed``: a background save gave up after its retries, or was refused
  (``upload=``, ``error=`` the exception). It is also logged on ``app.logger`` at ERROR,
  and kept: :meth:`~fs_store.background.BackgroundUploads.failed` lists it and
  :meth:`~fs_store.background.BackgroundUploads.retry` tries it again.
"""

from __future__ import annotations

from blinker import Namespace

__all__ = ["upload_completed", "upload_failed"]

_signals = Namespace()

upload_completed = _signals.signal("fs-store-upload-completed")
upload_failed = _signals.signal("fs-store-upload-failed")
