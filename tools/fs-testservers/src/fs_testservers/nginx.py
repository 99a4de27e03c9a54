"""nginx (Debian's) on a free loopback port, with a ``server`` block of the test's own: what a
deployment puts in front of the app (X-Accel-Redirect offload)."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

from .process import HOST, ManagedProcess, ServiceUnavailable, free_ports, wait_until

__all__ = ["NGINX_APT_PACKAGES", "Nginx"]

#: What ``./dev test`` installs for these tests.
NGINX_APT_PACKAGES = ("nginx-light",)

_CONFIG = """
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    include {mime_types};
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen {host}:{port};
{server}
    }}
}}
"""


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


class Nginx:
    """``Nginx(server_block).start()``: nginx serving ``server_block`` (the inside of a
    ``server {}``) on ``url``; :meth:`stop` ends it. Run as root, its workers stay root, so
    they read the test's private temporary folders."""

    def __init__(self, server_block: str) -> None:
        self.server_block = server_block
        self.port: int | None = None
        self._process: ManagedProcess | None = None
        self._dir: Path | None = None

    @staticmethod
    def executable() -> str | None:
        return shutil.which("nginx") or next(
            (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> Nginx:
        binary = self.executable()
        if binary is None:
            raise ServiceUnavailable(
                "nginx is not installed: apt-get install "
                + " ".join(NGINX_APT_PACKAGES)
                + " (./dev test does it)"
            )
        self._dir = Path(tempfile.mkdtemp(prefix="fs-nginx-"))
        (port,) = free_ports(1)
        self.port = port
        mime_types = next((p for p in ("/etc/nginx/mime.types",) if os.path.exists(p)), None)
        conf = self._dir / "nginx.conf"
        conf.write_text(
            _CONFIG.format(
                user="user root;" if os.geteuid() == 0 else "",
                dir=self._dir,
                mime_types=mime_types or "/dev/null",
                host=HOST,
                port=self.port,
                server=self.server_block,
            )
        )
        process = self._process = ManagedProcess(
            "nginx",
            [binary, "-c", str(conf), "-p", str(self._dir), "-g", "daemon off;"],
            self._dir / "out.log",
        )
        try:
            wait_until(lambda: _listening(port), 15, "nginx", lambda: process.alive)
        except RuntimeError as exc:
            error_log = (self._dir / "error.log").read_text(errors="replace") if self._dir else ""
            self.stop()
            raise RuntimeError(f"{exc}\n{error_log}") from exc
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
