"""S3 servers on loopback: moto in server mode, and OpenStack Swift with its ``s3api`` middleware.

Both are real HTTP servers that a client reaches through its ordinary network stack; neither
is a mock inside the test process. Each :class:`S3Server` is a context manager::

    with MotoServer() as moto:
        client = boto3.client("s3", endpoint_url=moto.endpoint, ...)

:meth:`S3Server.start` raises :class:`ServiceUnavailable` (with the command that installs it)
when the service is not installed here.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import urllib.request
from pathlib import Path
from typing import Any, TypeVar

from .process import HOST, ManagedProcess, ServiceUnavailable, clean_env, free_ports, http_ok, wait_until

__all__ = ["SWIFT_APT_PACKAGES", "MotoServer", "S3Server", "Servers", "SwiftServer"]

#: Debian packages Swift needs (installed with --no-install-recommends).
SWIFT_APT_PACKAGES = ("swift", "swift-proxy", "swift-account", "swift-container", "swift-object", "memcached")
SWIFT_INSTALL_HINT = (
    "apt-get update && apt-get install -y --no-install-recommends "
    + " ".join(SWIFT_APT_PACKAGES)
    + "   (./dev test does this when swift-proxy-server is missing)"
)
MOTO_INSTALL_HINT = "uv sync --all-packages   (moto[server] is in the workspace's dev dependency group)"


_S = TypeVar("_S", bound="Servers")


class Servers:
    """Server processes started together in a temporary working directory, and stopped
    together: the lifecycle every server class here shares."""

    #: Short name, used in test ids and messages.
    name = "servers"

    def __init__(self, startup_timeout: float = 60.0) -> None:
        self.startup_timeout = startup_timeout
        self.endpoint = ""
        self.workdir: Path | None = None
        self._processes: list[ManagedProcess] = []

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self: _S) -> _S:
        """Start the server and wait until it answers; :class:`ServiceUnavailable` if it cannot
        run here. On any other failure the processes started are stopped again."""
        self.check_installed()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"fs-{self.name}-"))
        try:
            self._start()
        except BaseException:
            logs = "\n".join(f"--- {p.name} ---\n{p.tail()}" for p in self._processes)
            self.stop()
            raise RuntimeError(f"{self.name} did not start:\n{logs}") from None
        return self

    def stop(self) -> None:
        """Stop every process started (in reverse order) and remove the working directory."""
        while self._processes:
            self._processes.pop().stop()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def pids(self) -> list[int]:
        """PIDs of the running server processes (for RSS measurements)."""
        return [p.popen.pid for p in self._processes if p.alive]

    # -- for subclasses -----------------------------------------------------------------------

    def check_installed(self) -> None:
        raise NotImplementedError

    def _start(self) -> None:
        raise NotImplementedError

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> ManagedProcess:
        assert self.workdir is not None
        process = ManagedProcess(name, argv, self.workdir / f"{name}.log", env=env)
        self._processes.append(process)
        return process

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.endpoint or 'stopped'}>"


class S3Server(Servers):
    """An S3 endpoint on loopback: where it is and which credentials it accepts."""

    name = "s3"
    region = "us-east-1"
    access_key = ""
    secret_key = ""
    #: Whether ``If-None-Match: *`` on PUT is supported (create-only writes).
    supports_if_none_match = False

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``boto3.client('s3', ...)`` reaching this server."""
        return {
            "endpoint_url": self.endpoint,
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "region_name": self.region,
        }

    def fs_config(self, **extra: Any) -> dict[str, Any]:
        """fs-s3 configuration keys (lowercased, as a backend's ``Config`` holds them) that
        reach this server, plus ``extra``."""
        return {
            "endpoint": self.endpoint,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "region": self.region,
            **extra,
        }


class MotoServer(S3Server):
    """``moto_server`` (from ``moto[server]``) on a free loopback port. State is in memory."""

    name = "moto"
    access_key = "testing"
    secret_key = "testing"
    supports_if_none_match = True

    @staticmethod
    def executable() -> str | None:
        """The ``moto_server`` beside this Python (the workspace's venv), else on ``PATH``."""
        beside = Path(sys.executable).with_name("moto_server")
        if beside.exists():
            return str(beside)
        return shutil.which("moto_server")

    def check_installed(self) -> None:
        if self.executable() is None:
            raise ServiceUnavailable(f"moto_server is not installed: {MOTO_INSTALL_HINT}")

    def _start(self) -> None:
        (port,) = free_ports(1)
        self.endpoint = f"http://{HOST}:{port}"
        exe = self.executable()
        assert exe is not None
        process = self._spawn("moto", [exe, "-H", HOST, "-p", str(port)])
        wait_until(
            lambda: http_ok(f"{self.endpoint}/moto-api/"),
            self.startup_timeout,
            "moto_server",
            lambda: process.alive,
        )

    def reset(self) -> None:
        """Drop every bucket and object (moto keeps them all in memory)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass


class SwiftServer(S3Server):
    """OpenStack Swift "all in one" from Debian's packages: the Swift API (tempauth, with the
    ``bulk``, ``tempurl``, ``slo``, ``dlo``, ``copy``, ``versioned_writes`` and ``symlink``
    middlewares) and ``s3api`` on one proxy.

    Four server processes (proxy, account, container, object; one process each, no forked
    workers) and a memcached for tempauth's tokens, all on free loopback ports, with configs,
    rings and the object store in a temporary directory. Only ``/etc/swift/swift.conf``
    (hash prefix and storage policies, which Swift 2.30 always reads from there) comes from
    the package as installed.
    """

    name = "swift"
    access_key = "test:tester"
    secret_key = "testing"
    #: Swift's s3api answers ``If-None-Match: *`` on PUT with 501 NotImplemented.
    supports_if_none_match = False
    SERVERS = ("account", "container", "object", "proxy")
    SYSTEM_PYTHON = "/usr/bin/python3"

    #: The Swift API's own authentication (tempauth, v1): ``GET {auth_url}`` with these.
    swift_user = "test:tester"
    swift_key = "testing"
    #: The memcached the proxy keeps tokens in (set when started).
    memcached_port = 0

    @property
    def auth_url(self) -> str:
        """tempauth's v1 auth URL (``X-Auth-User``/``X-Auth-Key`` give a token and the
        account's storage URL)."""
        return f"{self.endpoint}/auth/v1.0"

    def swift_config(self, **extra: Any) -> dict[str, Any]:
        """fs-swift configuration keys (lowercased, as a backend's ``Config`` holds them) that
        reach this server's Swift API as ``test:tester``, plus ``extra``."""
        return {"authurl": self.auth_url, "user": self.swift_user, "key": self.swift_key, **extra}

    def seed_listing(self, container: str, names: list[str], account: str = "AUTH_test") -> None:
        """Add ``names`` (1-byte ``text/plain`` entries) to the listing of an existing
        ``container``, straight into its container database.

        For tests of listings longer than one page (10,000 names): this Swift stores about 250
        real objects a second on two cores, so 10,000 real objects take 40 s; rows cost
        nothing. The listing is then what the proxy and the container server page through, as
        for real objects (a GET of such a name is a 404: no object exists behind it).
        """
        assert self.workdir is not None
        script = textwrap.dedent(
            """\
            import glob, hashlib, json, sys
            from swift.common.utils import Timestamp
            from swift.container.backend import ContainerBroker
            devices, account, container = sys.argv[1:4]
            names = json.load(sys.stdin)
            for path in glob.glob(f"{devices}/*/containers/*/*/*/*.db"):
                broker = ContainerBroker(path, account=account, container=container)
                info = broker.get_info()
                if (info["account"], info["container"]) != (account, container):
                    continue
                now, etag = Timestamp.now().internal, hashlib.md5(b"x").hexdigest()
                broker.merge_items([
                    {"name": name, "created_at": now, "size": 1, "content_type": "text/plain",
                     "etag": etag, "deleted": 0, "storage_policy_index": 0}
                    for name in names
                ])
                break
            else:
                sys.exit(f"no database for {account}/{container}")
            """
        )
        devices = self.workdir / "srv" / "node"
        subprocess.run(
            [self.SYSTEM_PYTHON, "-c", script, str(devices), account, container],
            input=json.dumps(names),
            text=True,
            check=True,
            env=clean_env(),
            capture_output=True,
            timeout=120,
        )

    def check_installed(self) -> None:
        missing = [
            f"/usr/bin/swift-{s}-server"
            for s in self.SERVERS
            if not os.path.exists(f"/usr/bin/swift-{s}-server")
        ]
        if not shutil.which("memcached"):
            missing.append("memcached")
        if not os.path.exists("/etc/swift/swift.conf"):
            missing.append("/etc/swift/swift.conf")
        if missing:
            raise ServiceUnavailable(
                f"OpenStack Swift is not installed ({', '.join(missing)} missing): {SWIFT_INSTALL_HINT}"
            )

    def _start(self) -> None:
        assert self.workdir is not None
        proxy, account, container, obj, memcached = free_ports(5)
        ports = {"proxy": proxy, "account": account, "container": container, "object": obj}
        self.memcached_port = memcached
        self.endpoint = f"http://{HOST}:{proxy}"
        etc, devices = self.workdir / "etc", self.workdir / "srv" / "node"
        etc.mkdir()
        (devices / "sdb1").mkdir(parents=True)
        self._write_configs(etc, devices, ports)
        self._build_rings(etc, ports)

        mc = ["memcached", "-l", HOST, "-p", str(memcached), "-U", "0", "-m", "64"]
        if os.geteuid() == 0:
            mc += ["-u", "root"]  # memcached refuses to run as root without -u
        self._spawn("memcached", mc)
        env = clean_env()
        started = {
            name: self._spawn(
                name, [f"/usr/bin/swift-{name}-server", str(etc / f"{name}-server.conf"), "-v"], env
            )
            for name in self.SERVERS
        }
        for name, process in started.items():

            def alive(process: ManagedProcess = process) -> bool:
                return process.alive

            wait_until(
                functools.partial(http_ok, f"http://{HOST}:{ports[name]}/healthcheck"),
                self.startup_timeout,
                f"swift-{name}-server",
                alive,
            )
        # End to end: tempauth answers (through memcached) and creates the account.
        request = urllib.request.Request(
            self.auth_url, headers={"X-Auth-User": self.swift_user, "X-Auth-Key": self.swift_key}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            token, url = response.headers["X-Auth-Token"], response.headers["X-Storage-Url"]
        with urllib.request.urlopen(urllib.request.Request(url, headers={"X-Auth-Token": token}), timeout=10):
            pass

    def _write_configs(self, etc: Path, devices: Path, ports: dict[str, int]) -> None:
        common = _common_settings(etc)
        for name in ("account", "container", "object"):
            (etc / f"{name}-server.conf").write_text(
                textwrap.dedent(
                    f"""\
                    [DEFAULT]
                    bind_port = {ports[name]}
                    devices = {devices}
                    mount_check = false
                    disable_fallocate = true
                    log_name = {name}-server
                    """
                )
                + common
                + textwrap.dedent(
                    f"""
                    [pipeline:main]
                    pipeline = healthcheck {name}-server

                    [app:{name}-server]
                    use = egg:swift#{name}

                    [filter:healthcheck]
                    use = egg:swift#healthcheck
                    """
                )
            )
        (etc / "proxy-server.conf").write_text(self.proxy_config(ports["proxy"]))

    def proxy_config(self, port: int, auth: str = "s3api tempauth", auth_filters: str = "") -> str:
        """The proxy server's configuration, listening on ``port``, with ``auth`` (middleware
        names) in the auth slot of the pipeline and ``auth_filters`` (their ``[filter:…]``
        sections) added: another proxy on the same back ends can authenticate otherwise."""
        assert self.workdir is not None
        common = _common_settings(self.workdir / "etc")
        # s3api must sit before the auth middleware and before slo (multipart uploads are
        # built on SLO); it checks this order at start-up.
        pipeline = (
            "catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl "
            f"formpost ratelimit {auth} staticweb copy container-quotas account-quotas slo "
            "dlo versioned_writes symlink proxy-logging proxy-server"
        )
        filters = "\n".join(
            f"[filter:{f}]\nuse = egg:swift#{f.replace('-', '_')}"
            for f in [
                "catch_errors",
                "gatekeeper",
                "healthcheck",
                "proxy-logging",
                "listing_formats",
                "bulk",
                "tempurl",
                "formpost",
                "ratelimit",
                "staticweb",
                "copy",
                "container-quotas",
                "account-quotas",
                "slo",
                "dlo",
                "symlink",
            ]
        )
        return (
            f"[DEFAULT]\nbind_port = {port}\nlog_name = proxy-server\n{common}\n"
            f"[pipeline:main]\npipeline = {pipeline}\n\n"
            "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n"
            "allow_account_management = true\n\n"
            "[filter:tempauth]\nuse = egg:swift#tempauth\n"
            "user_admin_admin = admin .admin .reseller_admin\nuser_test_tester = testing .admin\n"
            "user_test_tester3 = testing3\nuser_test2_tester2 = testing2 .admin\n\n"
            f"[filter:s3api]\nuse = egg:swift#s3api\nlocation = {self.region}\n\n"
            f"[filter:cache]\nuse = egg:swift#memcache\nmemcache_servers = {HOST}:{self.memcached_port}\n\n"
            "[filter:versioned_writes]\nuse = egg:swift#versioned_writes\n"
            "allow_versioned_writes = true\nallow_object_versioning = true\n\n"
            f"{filters}\n{auth_filters}\n"
        )

    def _build_rings(self, etc: Path, ports: dict[str, int]) -> None:
        """One device, one replica, 2^10 partitions per ring, built in a single run of the
        system Python (``swift-ring-builder`` costs a second of start-up per call)."""
        script = textwrap.dedent(
            """\
            import sys
            from swift.common.ring import RingBuilder
            etc = sys.argv[1]
            for arg in sys.argv[2:]:
                name, port = arg.split("=")
                builder = RingBuilder(10, 1, 1)
                builder.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1",
                                 "port": int(port), "device": "sdb1", "weight": 100})
                builder.rebalance()
                builder.save(f"{etc}/{name}.builder")
                builder.get_ring().save(f"{etc}/{name}.ring.gz")
            """
        )
        args = [f"{name}={ports[name]}" for name in ("account", "container", "object")]
        subprocess.run(
            [self.SYSTEM_PYTHON, "-c", script, str(etc), *args],
            check=True,
            env=clean_env(),
            capture_output=True,
            timeout=120,
        )


def _common_settings(etc: Path) -> str:
    """``[DEFAULT]`` settings of every Swift server here: loopback, no forked workers."""
    return f"bind_ip = {HOST}\nworkers = 0\nuser = {_user_name()}\nswift_dir = {etc}\n"


def _user_name() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name
