"""The fs demo: a photo and file sharing site on fs-core, fs-images and any backend.

``create_app(config)`` builds it; ``examples/demo/run.py`` (``./dev demo [BACKEND]``) starts a
backend's server and serves it; ``flask --app examples/demo/app.py run`` serves it on local disk.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
