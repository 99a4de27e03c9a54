"""The ``swift`` backend's configuration: every key, its default, and its validation.

Read once, when a storage is configured, from the core's cascade (``FS_SWIFT_<KEY>`` <
``<NAME>_FS_<KEY>``). Nothing here contacts the service or imports python-swiftclient: a
storage configured while Swift is down still lets the app start, and a wrong value is a
:class:`~fs_core.errors.ConfigurationError` naming the key.

Flask-FS's keys (``AUTHURL``, ``USER``, ``KEY``) keep their meaning; Keystone's options
(``AUTH_VERSION = 3`` with a project and domains) and python-swiftclient's own
(``CONNECTION_OPTIONS``, ``OS_OPTIONS``) are passed through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fs_core.config import Config, as_bool, serve_mode, shared_key_prefix
from fs_core.errors import ConfigurationError

__all__ = ["AUTH_VERSIONS", "OS_OPTION_KEYS", "GiB", "MiB", "SwiftSettings"]

MiB = 1 << 20
GiB = 1 << 30

#: Auth versions python-swiftclient knows, by what a configuration may say.
AUTH_VERSIONS = {"1": "1", "1.0": "1", "2": "2", "2.0": "2", "3": "3", "3.0": "3"}
#: Keystone options (lowercased config keys) passed to swiftclient's ``os_options``.
OS_OPTION_KEYS = (
    "project_name",
    "project_id",
    "tenant_name",
    "tenant_id",
    "user_domain_name",
    "user_domain_id",
    "project_domain_name",
    "project_domain_id",
    "region_name",
    "endpoint_type",
    "service_type",
)
#: Swift refuses container names longer than this (and any ``/``).
MAX_CONTAINER_NAME = 256
#: The largest object Swift stores by default (``max_file_size``): larger files need an SLO.
SWIFT_MAX_FILE_SIZE = 5 * GiB
TEMP_URL_DIGESTS = frozenset({"sha1", "sha256", "sha512"})


@dataclass(frozen=True)
class SwiftSettings:
    """One storage's Swift settings, resolved and checked."""

    storage: str
    authurl: str | None
    user: str | None
    key: str | None
    container: str
    #: Prepended to every name to make its object name: ``'<storage>/'`` in a shared
    #: ``CONTAINER``, else ``''``.
    key_prefix: str
    #: Where the segments of Static Large Objects go.
    segment_container: str
    auth_version: str = "1"
    os_options: Mapping[str, Any] = field(default_factory=dict)
    storage_url: str | None = None
    create_container: bool = True
    timeout: float = 60.0
    retries: int = 3
    starting_backoff: float = 0.5
    max_backoff: float = 8.0
    connection_options: Mapping[str, Any] = field(default_factory=dict)
    slo_threshold: int = 512 * MiB
    segment_size: int = 128 * MiB
    serve: str = "stream"
    redirect_expires: int = 300
    temp_url_key: str | None = None
    set_temp_url_key: bool = False
    temp_url_digest: str = "sha256"
    #: ``None``: ask the cluster (``/info``) on first use; ``True``/``False``: trust this.
    bulk_delete: bool | None = None

    @classmethod
    def from_config(cls, name: str, config: Config) -> SwiftSettings:
        """Build the settings of storage ``name`` from its resolved ``config``."""
        hint = f"{name.upper()}_FS_"
        shared = config.get_str("container")
        if shared:
            container, key_prefix = shared, shared_key_prefix(config, name)
        else:
            container, key_prefix = name, ""
        segments = config.get_str("segment_container") or f"{container}_segments"
        for key, value in (("CONTAINER", container), ("SEGMENT_CONTAINER", segments)):
            if "/" in value or len(value) > MAX_CONTAINER_NAME:
                where = f"{hint}{key}" if key != "CONTAINER" or shared else f"the storage name {name!r}"
                raise ConfigurationError(
                    f"{value!r} from {where} is not a valid Swift container name (no '/', at most "
                    f"{MAX_CONTAINER_NAME} characters)"
                )
        if segments == container:
            raise ConfigurationError(
                f"SEGMENT_CONTAINER must differ from the container {container!r}: segments would be "
                f"listed as files"
            )

        version = str(config.get("auth_version", "1")).strip().lower().lstrip("v")
        if version not in AUTH_VERSIONS:
            raise ConfigurationError(f"AUTH_VERSION must be 1, 2 or 3, not {config.get('auth_version')!r}")
        os_options = {key: str(config[key]) for key in OS_OPTION_KEYS if config.get_str(key)}
        os_options.update(config.get_mapping("os_options"))
        storage_url = config.get_str("storage_url")
        if storage_url:
            os_options["object_storage_url"] = storage_url

        segment_size = config.get_size("segment_size", 128 * MiB)
        threshold = config.get_size("slo_threshold", 512 * MiB)
        for size_key, size in (("SEGMENT_SIZE", segment_size), ("SLO_THRESHOLD", threshold)):
            if size > SWIFT_MAX_FILE_SIZE:
                raise ConfigurationError(
                    f"{size_key} must be at most 5 GiB (Swift's largest object), not {size}"
                )
        digest = (config.get_str("temp_url_digest") or "sha256").lower()
        if digest not in TEMP_URL_DIGESTS:
            raise ConfigurationError(
                f"TEMP_URL_DIGEST must be one of {', '.join(sorted(TEMP_URL_DIGESTS))}, not {digest!r}"
            )
        bulk = config.get("bulk_delete", "auto")
        bulk_delete = None if str(bulk).strip().lower() == "auto" else as_bool(bulk, "bulk_delete")
        retries = config.get_int("retries", 3)
        if retries is None or retries < 0:
            raise ConfigurationError(f"RETRIES must be 0 or more, not {retries!r}")

        return cls(
            storage=name,
            authurl=config.get_str("authurl"),
            user=config.get_str("user"),
            key=config.get_str("key"),
            container=container,
            key_prefix=key_prefix,
            segment_container=segments,
            auth_version=AUTH_VERSIONS[version],
            os_options=os_options,
            storage_url=storage_url,
            create_container=config.get_bool("create_container", True),
            timeout=config.get_float("timeout", 60.0),
            retries=retries,
            starting_backoff=config.get_float("starting_backoff", 0.5),
            max_backoff=config.get_float("max_backoff", 8.0),
            connection_options=config.get_mapping("connection_options"),
            slo_threshold=threshold,
            segment_size=segment_size,
            serve=serve_mode(config.get("serve", True)),
            redirect_expires=config.get_positive_int("redirect_expires", 300),
            temp_url_key=config.get_str("temp_url_key"),
            set_temp_url_key=config.get_bool("set_temp_url_key", False),
            temp_url_digest=digest,
            bulk_delete=bulk_delete,
        )

    def check_credentials(self) -> None:
        """Raise :class:`ConfigurationError` naming the keys a connection still needs (at first
        use: a storage may be configured before its credentials are known)."""
        preauth = self.storage_url and self.connection_options.get("preauthtoken")
        if preauth or self.connection_options.get("session") is not None:
            return
        missing = [key for key in ("authurl", "user", "key") if not getattr(self, key)]
        if missing:
            names = ", ".join(
                f"FS_SWIFT_{k.upper()} or {self.storage.upper()}_FS_{k.upper()}" for k in missing
            )
            raise ConfigurationError(f"Storage {self.storage!r} on swift needs {names}")
