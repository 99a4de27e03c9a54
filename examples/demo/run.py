"""``./dev demo [BACKEND]``: serve the demo on a backend, starting its server first.

    ./dev demo               # local disk (examples/demo/instance/fs), nothing to install
    ./dev demo s3            # the same app on S3: moto_server on a free loopback port
    PORT=8000 HOST=0.0.0.0 ./dev demo

``HOST`` (default ``127.0.0.1``) and ``PORT`` (default ``5000``) come from the environment.
Ctrl-C (or SIGTERM) stops the app and the backend's server, and removes what that server
kept: only local disk keeps files between runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from werkzeug.serving import run_simple

from fs_demo import create_app
from fs_demo.backends import BACKENDS


def _stop(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C: the server and the backend's service stop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="./dev demo",
        description="Serve the fs demo. HOST and PORT come from the environment (127.0.0.1, 5000).",
    )
    parser.add_argument(
        "backend", nargs="?", default="local", choices=sorted(BACKENDS), help="default: local"
    )
    args = parser.parse_args(argv)
    host = os.environ.get("HOST") or "127.0.0.1"
    try:
        port = int(os.environ.get("PORT") or 5000)
    except ValueError:
        parser.error(f"PORT must be a number, not {os.environ['PORT']!r}")
    # Started in the background by a script, SIGINT arrives ignored: Ctrl-C must stop it anyway.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    backend = BACKENDS[args.backend]
    try:
        print(f"fs demo: starting the {backend.name} backend…", flush=True)
        with backend.running() as config:
            app = create_app(config)
            note = config["DEMO_BACKEND_NOTE"] or app.config.get("FS_ROOT") or f"{app.instance_path}/fs"
            print(f"fs demo: files on {backend.name}: {note}", flush=True)
            print(f"fs demo: open http://{host}:{port}/  (Ctrl-C stops it)", flush=True)
            run_simple(host, port, app, threaded=True)
    except KeyboardInterrupt:
        pass
    print("fs demo: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
