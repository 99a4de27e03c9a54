"""Keystone v3 on loopback, and a Swift proxy that authenticates with it.

:class:`KeystoneSwift` runs Debian's Keystone (sqlite, fernet tokens) under uwsgi on a free
loopback port, registers an ``object-store`` service whose endpoint is a second Swift proxy on
the back ends of a running :class:`~fs_testservers.servers.SwiftServer` (with ``authtoken`` and
``keystoneauth`` in place of ``s3api`` and ``tempauth``), and creates a project ``demo`` whose
user ``demo`` has the ``swiftoperator`` role. A client then authenticates as Keystone v3 users
do (auth URL, user, password, project, domains, region) and reaches that Swift::

    with SwiftServer() as swift, KeystoneSwift(swift) as keystone:
        conn = swiftclient.Connection(**keystone.connection_kwargs())

Cost here: about 6 s of ``keystone-manage`` and 2 s of start-up, 260 MB of memory. Nothing is
written outside a temporary directory (no ``/etc/keystone`` change).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import textwrap
import urllib.request
from typing import Any

from .process import HOST, ServiceUnavailable, clean_env, free_ports, http_ok, wait_until
from .servers import Servers, SwiftServer, _user_name

__all__ = ["KEYSTONE_APT_PACKAGES", "KeystoneSwift"]

#: Debian packages Keystone needs here (with --no-install-recommends): Keystone itself,
#: uwsgi to run it, and the middleware Swift's proxy validates its tokens with.
KEYSTONE_APT_PACKAGES = ("keystone", "uwsgi-core", "uwsgi-plugin-python3", "python3-keystonemiddleware")
KEYSTONE_INSTALL_HINT = (
    "apt-get update && apt-get install -y --no-install-recommends "
    + " ".join(KEYSTONE_APT_PACKAGES)
    + "   (./dev test does this when keystone-manage is missing)"
)
#: Files that must exist (the system Python imports keystonemiddleware for Swift's proxy).
REQUIRED = ("/usr/bin/keystone-manage", "/usr/bin/keystone-wsgi-public", "/usr/bin/uwsgi")


class KeystoneSwift(Servers):
    """Keystone v3 and a Swift proxy behind it, on the back ends of ``swift`` (started)."""

    name = "keystone"
    region = "RegionOne"
    domain = "Default"
    project = "demo"
    user = "demo"
    password = "demo-secret"
    admin_password = "admin-secret"

    def __init__(self, swift: SwiftServer, startup_timeout: float = 60.0) -> None:
        super().__init__(startup_timeout)
        self.swift = swift
        #: The Keystone-authenticated Swift proxy (``http://127.0.0.1:<port>``).
        self.proxy_endpoint = ""

    @property
    def auth_url(self) -> str:
        """Keystone's v3 auth URL."""
        return f"{self.endpoint}/v3"

    def os_options(self) -> dict[str, str]:
        """python-swiftclient's ``os_options`` for the ``demo`` project."""
        return {
            "project_name": self.project,
            "user_domain_name": self.domain,
            "project_domain_name": self.domain,
            "region_name": self.region,
            "endpoint_type": "publicURL",
        }

    def connection_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``swiftclient.Connection`` for the ``demo`` user."""
        return {
            "authurl": self.auth_url,
            "user": self.user,
            "key": self.password,
            "auth_version": "3",
            "os_options": self.os_options(),
        }

    def swift_config(self, **extra: Any) -> dict[str, Any]:
        """fs-swift configuration keys (lowercased) for the ``demo`` user, plus ``extra``."""
        return {
            "authurl": self.auth_url,
            "user": self.user,
            "key": self.password,
            "auth_version": "3",
            **self.os_options(),
            **extra,
        }

    # -- lifecycle ----------------------------------------------------------------------------

    def check_installed(self) -> None:
        missing = [path for path in REQUIRED if not os.path.exists(path)]
        if not os.path.exists("/usr/lib/uwsgi/plugins/python3_plugin.so"):
            missing.append("uwsgi's python3 plugin")
        probe = subprocess.run(
            [SwiftServer.SYSTEM_PYTHON, "-c", "import keystonemiddleware.auth_token"],
            env=clean_env(),
            capture_output=True,
        )
        if probe.returncode != 0:
            missing.append("python3-keystonemiddleware")
        if missing:
            raise ServiceUnavailable(
                f"Keystone is not installed ({', '.join(missing)} missing): {KEYSTONE_INSTALL_HINT}"
            )
        if self.swift.workdir is None:
            raise RuntimeError("KeystoneSwift needs a started SwiftServer")

    def _start(self) -> None:
        assert self.workdir is not None
        keystone_port, proxy_port = free_ports(2)
        self.endpoint = f"http://{HOST}:{keystone_port}"
        self.proxy_endpoint = f"http://{HOST}:{proxy_port}"
        conf = self._write_keystone_config()
        self._manage(conf)
        env = clean_env()
        env.update(OS_KEYSTONE_CONFIG_DIR=str(self.workdir), OS_KEYSTONE_CONFIG_FILES="keystone.conf")
        uwsgi = self._spawn(
            "keystone",
            [
                "uwsgi",
                "--plugin",
                "python3",
                "--http-socket",
                f"{HOST}:{keystone_port}",
                "--wsgi-file",
                "/usr/bin/keystone-wsgi-public",
                "--master",
                "--processes",
                "1",
                "--threads",
                "1",  # keystone's sqlite connections are not for sharing between threads
                "--die-on-term",
            ],
            env,
        )
        wait_until(
            lambda: http_ok(self.auth_url), self.startup_timeout, "keystone (uwsgi)", lambda: uwsgi.alive
        )
        self._register(proxy_port)
        conf_path = self.workdir / "proxy-server.conf"
        conf_path.write_text(
            self.swift.proxy_config(proxy_port, "authtoken keystoneauth", self._auth_filters())
        )
        proxy = self._spawn("swift-proxy", ["/usr/bin/swift-proxy-server", str(conf_path), "-v"], clean_env())
        wait_until(
            lambda: http_ok(f"{self.proxy_endpoint}/healthcheck"),
            self.startup_timeout,
            "swift-proxy-server (keystone)",
            lambda: proxy.alive,
        )

    def _write_keystone_config(self) -> str:
        assert self.workdir is not None
        work = self.workdir
        for folder in ("fernet", "credential"):
            (work / folder).mkdir()
        conf = work / "keystone.conf"
        conf.write_text(
            textwrap.dedent(
                f"""\
                [DEFAULT]
                use_stderr = true
                [database]
                connection = sqlite:///{work}/keystone.db
                [token]
                provider = fernet
                [fernet_tokens]
                key_repository = {work}/fernet
                [fernet_receipts]
                key_repository = {work}/fernet
                [credential]
                key_repository = {work}/credential
                """
            )
        )
        return str(conf)

    def _manage(self, conf: str) -> None:
        """Create the database, keys and the admin (``keystone-manage``, ~1.5 s a step), then
        put the database in WAL mode: with sqlite's default journal a second write request
        waits 5 s for a lock and fails."""
        assert self.workdir is not None
        user = _user_name()
        steps = [
            ["db_sync"],
            ["fernet_setup", "--keystone-user", user, "--keystone-group", user],
            ["credential_setup", "--keystone-user", user, "--keystone-group", user],
            [
                "bootstrap",
                "--bootstrap-password",
                self.admin_password,
                "--bootstrap-username",
                "admin",
                "--bootstrap-project-name",
                "admin",
                "--bootstrap-role-name",
                "admin",
                "--bootstrap-service-name",
                "keystone",
                "--bootstrap-region-id",
                self.region,
                "--bootstrap-public-url",
                self.auth_url,
            ],
        ]
        for step in steps:
            done = subprocess.run(
                ["keystone-manage", "--config-file", conf, *step],
                env=clean_env(),
                capture_output=True,
                text=True,
                timeout=120,
            )
            if done.returncode != 0:
                raise RuntimeError(f"keystone-manage {step[0]} failed:\n{done.stderr[-3000:]}")
        with sqlite3.connect(self.workdir / "keystone.db") as db:
            db.execute("PRAGMA journal_mode=WAL")

    def _register(self, proxy_port: int) -> None:
        """The object-store service and endpoint, the ``demo`` project and user, and its role."""
        token = self._admin_token()

        def call(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
            request = urllib.request.Request(
                f"{self.auth_url}{path}",
                data=json.dumps(body).encode() if body is not None else None,
                method=method,
                headers={"X-Auth-Token": token, "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
            return json.loads(text) if text else {}

        service = call("POST", "/services", {"service": {"type": "object-store", "name": "swift"}})
        call(
            "POST",
            "/endpoints",
            {
                "endpoint": {
                    "service_id": service["service"]["id"],
                    "interface": "public",
                    "region_id": self.region,
                    "url": f"{self.proxy_endpoint}/v1/AUTH_$(project_id)s",
                }
            },
        )
        project = call("POST", "/projects", {"project": {"name": self.project, "domain_id": "default"}})
        user = call(
            "POST", "/users", {"user": {"name": self.user, "domain_id": "default", "password": self.password}}
        )
        role = call("POST", "/roles", {"role": {"name": "swiftoperator"}})
        call(
            "PUT",
            f"/projects/{project['project']['id']}/users/{user['user']['id']}/roles/{role['role']['id']}",
        )

    def _admin_token(self) -> str:
        scope = {"project": {"name": "admin", "domain": {"id": "default"}}}
        identity = {
            "methods": ["password"],
            "password": {
                "user": {"name": "admin", "domain": {"id": "default"}, "password": self.admin_password}
            },
        }
        request = urllib.request.Request(
            f"{self.auth_url}/auth/tokens",
            data=json.dumps({"auth": {"identity": identity, "scope": scope}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return str(response.headers["X-Subject-Token"])

    def _auth_filters(self) -> str:
        """The proxy's ``authtoken`` (validates tokens with Keystone, as admin) and
        ``keystoneauth`` (project roles to Swift rights) filters."""
        return textwrap.dedent(
            f"""\
            [filter:authtoken]
            paste.filter_factory = keystonemiddleware.auth_token:filter_factory
            www_authenticate_uri = {self.endpoint}
            auth_url = {self.endpoint}
            auth_type = password
            interface = public
            project_domain_id = default
            user_domain_id = default
            project_name = admin
            username = admin
            password = {self.admin_password}
            delay_auth_decision = True
            memcached_servers = {HOST}:{self.swift.memcached_port}

            [filter:keystoneauth]
            use = egg:swift#keystoneauth
            operator_roles = admin, swiftoperator
            """
        )
