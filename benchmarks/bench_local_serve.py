"""Serving a 1 MiB file: the ``fs.get_file`` view against a bare ``send_file`` view, under
the same gunicorn in the same run; then X-Accel-Redirect behind nginx against nginx serving
the file itself.

    ./dev bench bench_local_serve [--seconds 10] [--runs 3]

Needs wrk and nginx (Debian: apt-get install wrk nginx-light).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import urllib.request

from _common import table
from _servers import free_port, process, require, wrk

APP = """
import os
from flask import Flask, send_file
import fs_core as fs

ROOT = {root!r}
app = Flask("bench_serve")
app.config.update(FS_ROOT=ROOT, ACCEL_FS_ROOT=os.path.join(ROOT, "files"),
                  ACCEL_FS_OFFLOAD="x-accel-redirect", ACCEL_FS_OFFLOAD_PREFIX="/_accel/")
files, accel = fs.Storage("files", fs.ALL), fs.Storage("accel", fs.ALL)
fs.init_app(app, files, accel)

@app.get("/raw/<name>")
def raw(name):
    return send_file(os.path.join(ROOT, "files", name), conditional=True)
"""

NGINX = """
worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream app {{ server 127.0.0.1:{app_port}; }}
    server {{
        listen 127.0.0.1:{port};
        location /static/ {{ alias {root}/files/; }}
        location /_accel/ {{ internal; alias {root}/files/; add_header X-Content-Type-Options nosniff; }}
        location / {{ proxy_pass http://app; proxy_http_version 1.1; }}
    }}
}}
"""


def measure(urls: dict[str, str], runs: int, seconds: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {k: [] for k in urls}
    for run in range(runs):
        order = list(urls.items()) if run % 2 == 0 else list(urls.items())[::-1]
        for key, url in order:
            samples[key].append(wrk(url, seconds))
    return {k: statistics.median(v) for k, v in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    require("wrk", "nginx")
    with tempfile.TemporaryDirectory(prefix="fs-bench-serve-") as root:
        os.chmod(root, 0o755)  # nginx workers run as an unprivileged user
        os.makedirs(os.path.join(root, "files"))
        data = os.urandom(1 << 20)
        with open(os.path.join(root, "files", "1m.bin"), "wb") as f:
            f.write(data)
        with open(os.path.join(root, "bench_app.py"), "w") as f:
            f.write(textwrap.dedent(APP.format(root=root)))
        app_port, nginx_port = free_port(), free_port()
        gunicorn = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{app_port}",
            "--chdir",
            root,
            "bench_app:app",
        ]
        base = f"http://127.0.0.1:{app_port}"
        with process(gunicorn, f"{base}/raw/1m.bin"):
            for path in ("/raw/1m.bin", "/files/1m.bin"):
                with urllib.request.urlopen(base + path) as r:
                    assert r.read() == data, path
            direct = measure(
                {"send_file": f"{base}/raw/1m.bin", "fs": f"{base}/files/1m.bin"}, args.runs, args.seconds
            )
            ngdir = os.path.join(root, "nginx")
            os.makedirs(ngdir)
            conf = os.path.join(ngdir, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX.format(dir=ngdir, root=root, port=nginx_port, app_port=app_port))
            front = f"http://127.0.0.1:{nginx_port}"
            nginx = ["nginx", "-c", conf, "-p", ngdir, "-g", "daemon off;"]
            with process(nginx, f"{front}/static/1m.bin"):
                with urllib.request.urlopen(f"{front}/accel/1m.bin") as r:
                    body, headers = r.read(), r.headers
                assert body == data
                check = subprocess.run(
                    ["curl", "-s", "-D", "-", "-o", "/dev/null", "-r", "0-1023", f"{front}/accel/1m.bin"],
                    capture_output=True,
                    text=True,
                ).stdout
                proxied = measure(
                    {
                        "nginx static": f"{front}/static/1m.bin",
                        "fs X-Accel-Redirect": f"{front}/accel/1m.bin",
                        "fs streamed via nginx": f"{front}/files/1m.bin",
                    },
                    args.runs,
                    args.seconds,
                )
    rows = [
        ["gunicorn, 2 sync workers", "send_file view", direct["send_file"], 1.0],
        ["gunicorn, 2 sync workers", "fs.get_file view", direct["fs"], direct["fs"] / direct["send_file"]],
        ["nginx in front", "nginx serving the file", proxied["nginx static"], 1.0],
        [
            "nginx in front",
            "fs.get_file + X-Accel-Redirect",
            proxied["fs X-Accel-Redirect"],
            proxied["fs X-Accel-Redirect"] / proxied["nginx static"],
        ],
        [
            "nginx in front",
            "fs.get_file streamed through nginx",
            proxied["fs streamed via nginx"],
            proxied["fs streamed via nginx"] / proxied["nginx static"],
        ],
    ]
    table(
        f"Serving a 1 MiB file (wrk -c4, {args.seconds} s x {args.runs}, median req/s; "
        "ratio against the first row of its group)",
        ["setup", "what serves", "req/s", "ratio"],
        rows,
    )
    print("\nHeaders of X-Accel-Redirect through nginx (Range 0-1023):")
    print("\n".join("    " + line for line in check.strip().splitlines()))
    print(
        "\nHeaders kept through nginx on a full GET:",
        {
            k: headers[k]
            for k in ("Content-Type", "Content-Disposition", "X-Content-Type-Options")
            if k in headers
        },
    )


if __name__ == "__main__":
    main()
