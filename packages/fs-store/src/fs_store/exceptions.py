"""Flask-Store's exceptions (``flask_store.exceptions``), in the core's error family."""

from __future__ import annotations

from fs_core import ConfigurationError

__all__ = ["NotConfiguredError"]


class NotConfiguredError(ConfigurationError):
    """The application's ``STORE_*`` configuration cannot work: a required key is missing
    (the message names every one), or ``STORE_PROVIDER`` names nothing usable. Also an
    ``fs_core.ConfigurationError``, so ``except fs_core.FSError`` catches it."""
