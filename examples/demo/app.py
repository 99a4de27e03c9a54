"""The demo on local disk, for ``flask --app examples/demo/app.py run`` (and ``flask fs …``).

``./dev demo [BACKEND]`` (``run.py``) is the usual way in: it can also start an S3 server.
Files go to ``examples/demo/instance/fs`` unless ``FS_ROOT`` is set in the environment.
"""

from __future__ import annotations

from fs_demo import create_app

app = create_app()
