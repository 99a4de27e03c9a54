"""Loading plugins for one application, and the backends they register.

Each Flask app gets its own :class:`Plugins` (a pluggy ``PluginManager`` plus the backend
registry): nothing is module-global, so two apps, or two tests, can enable different
plugins in one process.

* ``FS_PLUGINS`` unset: every installed plugin (entry-point group ``fs_core``); a list: only
  those, and a name that is not installed is an error listing what is.
* ``FS_BLOCKED_PLUGINS``: plugins never loaded, even if listed.
* Backends registered the Flask-FS way, as classes in the ``fs.backend`` entry-point group,
  still load (each is a plugin named after its entry point).
* A backend name registered twice is an error naming both plugins.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from . import hookspecs
from .backend import BaseBackend
from .errors import ConfigurationError, PluginError

__all__ = ["KNOWN_BACKEND_PACKAGES", "LEGACY_GROUP", "PluginInfo", "Plugins"]

#: Flask-FS's entry-point group for backend classes.
LEGACY_GROUP = "fs.backend"
#: Where our own backends live, for "pip install …" hints.
KNOWN_BACKEND_PACKAGES = {
    "local": "fs-local",
    "s3": "fs-s3",
    "gridfs": "fs-gridfs",
    "swift": "fs-swift",
}
_CORE = "fs_core"


@dataclass
class PluginInfo:
    """One loaded plugin: its name, distribution, and what it provides."""

    name: str
    dist: str | None
    version: str | None
    backends: list[str] = field(default_factory=list)
    legacy: bool = False


@dataclass
class _BackendEntry:
    target: Any  # a class, "module:Class", or a legacy EntryPoint
    plugin: str


def _as_list(value: Any, key: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    raise ConfigurationError(f"{key} must be a list of plugin names, not {value!r}")


def _dist(ep: EntryPoint) -> tuple[str | None, str | None]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


class Plugins:
    """The plugin manager and backend registry of one application."""

    def __init__(self, enabled: Any = None, blocked: Any = None) -> None:
        self.enabled = _as_list(enabled, "FS_PLUGINS")
        self.blocked = set(_as_list(blocked, "FS_BLOCKED_PLUGINS") or ())
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self._backends: dict[str, _BackendEntry] = {}
        self._load()

    @property
    def hook(self) -> Any:
        """The hook caller: ``plugins.hook.after_save(storage=…, filename=…)``."""
        return self.pm.hook

    # -- loading ------------------------------------------------------------------------

    def _wanted(self, name: str) -> bool:
        if name in self.blocked:
            return False
        return self.enabled is None or name in self.enabled

    def _load(self) -> None:
        from . import builtin

        self.pm.register(builtin, name=_CORE)
        self.infos[_CORE] = PluginInfo(_CORE, "fs-core", _version("fs-core"))
        eps = list(entry_points(group=hookspecs.PROJECT))
        legacy = list(entry_points(group=LEGACY_GROUP))
        self._check_names(eps, legacy)
        for ep in sorted(eps, key=lambda e: e.name):
            if not self._wanted(ep.name):
                continue
            dist, version = _dist(ep)
            try:
                module = ep.load()
            except Exception as exc:
                raise PluginError(
                    f"Plugin {ep.name!r} ({dist or ep.value}) failed to import: {exc}. "
                    f"Reinstall it, or add it to FS_BLOCKED_PLUGINS to start without it."
                ) from exc
            self.pm.register(module, name=ep.name)
            self.infos[ep.name] = PluginInfo(ep.name, dist, version)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"A plugin implements a hook fs-core does not define: {exc}") from exc
        self._collect_backends()
        for ep in sorted(legacy, key=lambda e: e.name):
            # A distribution that also has an fs_core plugin of that name is loaded through it.
            if self._wanted(ep.name) and ep.name not in self.infos:
                dist, version = _dist(ep)
                self.infos[ep.name] = PluginInfo(ep.name, dist, version, legacy=True)
                self._add_backend(ep.name, ep, ep.name)

    def _check_names(self, eps: list[EntryPoint], legacy: list[EntryPoint]) -> None:
        """Plugin names are unique across both groups: a legacy ``fs.backend`` entry point is
        a plugin named after it, so Flask-FS's ``local`` next to fs-local is a conflict."""
        seen: dict[str, str] = {}
        for ep in [*eps, *legacy]:
            owner = _dist(ep)[0] or ep.value
            if ep.name in seen and seen[ep.name] != owner:
                raise PluginError(
                    f"Two installed distributions provide the plugin {ep.name!r}: "
                    f"{seen[ep.name]} and {owner}. Uninstall one of them."
                )
            seen[ep.name] = owner
        if self.enabled is not None:
            installed = set(seen)
            unknown = [name for name in self.enabled if name not in installed]
            if unknown:
                listed = ", ".join(sorted(installed)) or "none"
                raise PluginError(
                    f"FS_PLUGINS names {', '.join(map(repr, unknown))}, which "
                    f"{'is' if len(unknown) == 1 else 'are'} not installed. Installed plugins: {listed}."
                )

    def _collect_backends(self, only: str | None = None) -> None:
        """Call each plugin's ``register_backends`` with a ``register`` that knows the plugin,
        so a duplicate name can be reported with both plugins' names."""
        for impl in self.pm.hook.register_backends.get_hookimpls():
            plugin = impl.plugin_name
            if only is not None and plugin != only:
                continue

            def register(name: str, backend: Any, _plugin: str = plugin) -> None:
                self._add_backend(name, backend, _plugin)

            impl.function(**dict.fromkeys(impl.argnames, register))

    def _add_backend(self, name: str, target: Any, plugin: str) -> None:
        if not isinstance(name, str) or not name:
            raise PluginError(f"Plugin {plugin!r} registered a backend without a name")
        existing = self._backends.get(name)
        if existing is not None and existing.plugin != plugin:
            raise PluginError(
                f"Backend {name!r} is registered by two plugins: {existing.plugin!r} and "
                f"{plugin!r}. Block one of them with FS_BLOCKED_PLUGINS."
            )
        self._backends[name] = _BackendEntry(target, plugin)
        info = self.infos.get(plugin)
        if info is not None and name not in info.backends:
            info.backends.append(name)

    def register(self, plugin: Any, name: str | None = None) -> str:
        """Register a plugin object (a module or an instance with hookimpls) for this app.

        For tests and apps that keep a plugin in their own code; installed plugins come from
        entry points. Backends it registers become available at once.
        """
        name = self.pm.register(plugin, name=name)
        if name is None:  # pragma: no cover - pluggy returns None only for blocked names
            raise PluginError("That plugin name is blocked")
        self.infos.setdefault(name, PluginInfo(name, None, None))
        self._collect_backends(only=name)
        return name

    def unregister(self, name: str) -> None:
        """Remove a plugin registered with :meth:`register`, and its backends."""
        self.pm.unregister(name=name)
        self.infos.pop(name, None)
        for backend, entry in list(self._backends.items()):
            if entry.plugin == name:
                del self._backends[backend]

    # -- queries ------------------------------------------------------------------------

    @property
    def backend_names(self) -> list[str]:
        """Names of the backends that can be configured, sorted."""
        return sorted(self._backends)

    def backend_plugin(self, name: str) -> str | None:
        """The plugin that registered backend ``name``."""
        entry = self._backends.get(name)
        return entry.plugin if entry else None

    def backend_class(self, name: str, storage: str | None = None) -> type[BaseBackend]:
        """The class of backend ``name``, imported now; a clear error if it cannot be."""
        entry = self._backends.get(name)
        where = f" (storage {storage!r})" if storage else ""
        if entry is None:
            available = ", ".join(self.backend_names) or "none"
            if name in self._installed_plugin_names():
                hint = " Its plugin is installed but not enabled: check FS_PLUGINS and FS_BLOCKED_PLUGINS."
            elif name in KNOWN_BACKEND_PACKAGES:
                hint = f" Install it with: pip install {KNOWN_BACKEND_PACKAGES[name]}."
            else:
                hint = " Install the package that provides it."
            raise ConfigurationError(
                f"Unknown backend {name!r}{where}.{hint} Available backends: {available}."
            )
        target = entry.target
        try:
            if isinstance(target, EntryPoint):
                cls = target.load()
            elif isinstance(target, str):
                module, _, attr = target.partition(":")
                cls = getattr(importlib.import_module(module), attr)
            else:
                cls = target
        except ImportError as exc:
            raise ConfigurationError(
                f"Backend {name!r}{where} from plugin {entry.plugin!r} cannot be imported: {exc}. "
                f"Install its dependencies (pip install {KNOWN_BACKEND_PACKAGES.get(name, entry.plugin)})."
            ) from exc
        if not (isinstance(cls, type) and issubclass(cls, BaseBackend)):
            raise PluginError(
                f"Backend {name!r} from plugin {entry.plugin!r} is {cls!r}, not a BaseBackend subclass"
            )
        return cls

    def _installed_plugin_names(self) -> set[str]:
        names = {ep.name for ep in entry_points(group=LEGACY_GROUP)}
        names |= {ep.name for ep in entry_points(group=hookspecs.PROJECT)}
        return names

    def describe(self, include_core: bool = False) -> list[dict[str, Any]]:
        """Loaded plugins as JSON-ready dicts: name, distribution, version, hooks, backends."""
        result = []
        for name, info in sorted(self.infos.items()):
            if name == _CORE and not include_core:
                continue
            plugin = self.pm.get_plugin(name)
            hooks = []
            if plugin is not None:
                hooks = sorted(caller.name for caller in (self.pm.get_hookcallers(plugin) or ()))
            result.append(
                {
                    "name": name,
                    "distribution": info.dist,
                    "version": info.version,
                    "hooks": hooks,
                    "backends": sorted(info.backends),
                    **({"legacy_entry_point": LEGACY_GROUP} if info.legacy else {}),
                }
            )
        return result


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None
