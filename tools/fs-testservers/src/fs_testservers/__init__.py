"""fs-testservers: the fs workspace's own test tooling (never published).

Real storage servers on loopback for the test suites and benchmarks: ``moto`` in server mode
and OpenStack Swift with its ``s3api`` middleware (Debian's packages), Keystone v3 with a Swift
proxy behind it, and nginx in front of an app (offload); MongoDB as ``FS_TEST_MONGO_URL`` names
it, else mongomock. The server classes have no pytest dependency; the pytest fixtures are in
:mod:`fs_testservers.fixtures`.
"""

from __future__ import annotations

from .keystone import KEYSTONE_APT_PACKAGES, KeystoneSwift
from .mongo import MONGO_URL_VARIABLE, MongoTarget, mongo_target, mongomock_client_class
from .nginx import NGINX_APT_PACKAGES, Nginx
from .process import ServiceUnavailable, free_ports, silent_port
from .s3 import CallRecorder, empty_bucket, fail_requests, lose_responses, unique_name
from .servers import SWIFT_APT_PACKAGES, MotoServer, S3Server, Servers, SwiftServer

__all__ = [
    "KEYSTONE_APT_PACKAGES",
    "MONGO_URL_VARIABLE",
    "NGINX_APT_PACKAGES",
    "SWIFT_APT_PACKAGES",
    "CallRecorder",
    "KeystoneSwift",
    "MongoTarget",
    "MotoServer",
    "Nginx",
    "S3Server",
    "Servers",
    "ServiceUnavailable",
    "SwiftServer",
    "empty_bucket",
    "fail_requests",
    "free_ports",
    "lose_responses",
    "mongo_target",
    "mongomock_client_class",
    "silent_port",
    "unique_name",
]
