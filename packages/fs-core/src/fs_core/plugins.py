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

import difflib
import importlib
import inspect
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import FrameType
from typing import Any

import pluggy

from . import builtin, hookspecs
from .backend import BaseBackend
from .errors import ConfigurationError, PluginError
from .hookcalls import HookCalls, PluginManager
from .legacy import adapt

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
logger = logging.getLogger("fs_core")
#: What every backend implements (:class:`~fs_core.BaseBackend` builds the rest on them).
PRIMITIVES = ("exists", "open_read", "save", "delete", "list_files", "get_metadata")
#: The names of fs-core's hooks, for "did you mean" hints.
HOOK_NAMES = sorted(
    name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), f"{hookspecs.PROJECT}_spec")
)


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

    def __init__(self, enabled: Any = None, blocked: Any = None, extra: Iterable[Any] = ()) -> None:
        """``enabled``/``blocked``: ``FS_PLUGINS``/``FS_BLOCKED_PLUGINS``; ``extra``: plugin
        objects registered beside the installed ones, before any hook is called."""
        self.enabled = _as_list(enabled, "FS_PLUGINS")
        self.blocked = set(_as_list(blocked, "FS_BLOCKED_PLUGINS") or ())
        self.pm = PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        #: The hooks' callers for the hot path: ``calls.get('after_save')`` is ``None`` when no
        #: plugin implements it (see :mod:`fs_core.hookcalls`).
        self.calls = HookCalls(self.pm)
        self.infos: dict[str, PluginInfo] = {}
        self._backends: dict[str, _BackendEntry] = {}
        self._load(list(extra))

    @property
    def hook(self) -> Any:
        """The hook caller: ``plugins.hook.after_save(storage=…, filename=…)``."""
        return self.pm.hook

    # -- loading ------------------------------------------------------------------------

    def _wanted(self, name: str) -> bool:
        if name in self.blocked:
            return False
        return self.enabled is None or name in self.enabled

    def _load(self, extra: list[Any]) -> None:
        self.pm.register(builtin, name=_CORE)
        self.infos[_CORE] = PluginInfo(_CORE, "fs-core", _version("fs-core"))
        eps = list(entry_points(group=hookspecs.PROJECT))
        legacy = list(entry_points(group=LEGACY_GROUP))
        self._check_names(eps, legacy)
        self._check_blocked(eps, legacy)
        for ep in sorted(eps, key=lambda e: e.name):
            if not self._wanted(ep.name):
                continue
            dist, version = _dist(ep)
            self.infos[ep.name] = PluginInfo(ep.name, dist, version)
            try:
                module = ep.load()
            except ModuleNotFoundError as exc:
                if exc.name and (ep.module == exc.name or ep.module.startswith(exc.name + ".")):
                    raise PluginError(
                        f"Plugin {self._who(ep.name)}: its entry point names the module {ep.module!r}, "
                        f"which does not exist: a typo in its [project.entry-points.fs_core] table, or "
                        f"an incomplete install. Add {ep.name!r} to FS_BLOCKED_PLUGINS to start without it."
                    ) from exc
                raise PluginError(
                    f"Plugin {self._who(ep.name)} needs {exc.name!r}, which is not installed: install it "
                    f"(the plugin should depend on it), or add {ep.name!r} to FS_BLOCKED_PLUGINS."
                ) from exc
            except Exception as exc:
                raise PluginError(
                    f"Plugin {self._who(ep.name)} failed to import: {exc!r}. Reinstall it, or add "
                    f"{ep.name!r} to FS_BLOCKED_PLUGINS to start without it."
                ) from exc
            if isinstance(module, type):
                remedy = (
                    "A backend class is registered from a register_backends hook: "
                    'register("name", "module:Class"); the entry point names the module with that hook.'
                    if issubclass(module, BaseBackend)
                    else "Name a module, or an instance of the class (module:instance)."
                )
                raise PluginError(
                    f"Plugin {self._who(ep.name)}: its entry point {ep.value!r} names a class. {remedy}"
                )
            self._register(module, ep.name)
            self._check_has_hooks(module, ep.name)
        for plugin in extra:
            name = self._register(plugin, None)
            self.infos.setdefault(name, PluginInfo(name, None, None))
        self._check_hook_names()
        self._collect_backends()
        for ep in sorted(legacy, key=lambda e: e.name):
            # A distribution that also has an fs_core plugin of that name is loaded through it.
            if self._wanted(ep.name) and ep.name not in self.infos:
                dist, version = _dist(ep)
                self.infos[ep.name] = PluginInfo(ep.name, dist, version, legacy=True)
                self._add_backend(ep.name, ep, ep.name)

    def _who(self, name: str) -> str:
        """``'acme' (distribution fs-acme)``: how messages name a plugin."""
        info = self.infos.get(name)
        dist = info.dist if info is not None else None
        return f"{name!r} (distribution {dist})" if dist else repr(name)

    def _register(self, plugin: Any, name: str | None) -> str:
        """Register with pluggy; its validation errors become :class:`PluginError`s that
        name the plugin and say what to change."""
        try:
            registered = self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"Plugin {self._who(name or '?')}: {_misfit(plugin)}") from exc
        if registered is None:  # pragma: no cover - pluggy returns None only for blocked names
            raise PluginError(f"The plugin name {name!r} is blocked")
        return registered

    def _check_has_hooks(self, plugin: Any, name: str) -> None:
        """A plugin that implements no hook is a mistake (``@hookimpl`` forgotten): say so."""
        if self.pm.get_hookcallers(plugin):
            return
        unmarked = [n for n in HOOK_NAMES if callable(getattr(plugin, n, None))]
        hint = (
            f" {', '.join(unmarked)} {'is' if len(unmarked) == 1 else 'are'} not marked @fs_core.hookimpl."
            if unmarked
            else ""
        )
        logger.warning("Plugin %s implements no hook of fs-core.%s", self._who(name), hint)

    def _check_hook_names(self) -> None:
        """A function marked as a hook whose name is no hook of fs-core: say which plugin,
        and the nearest hook name."""
        for hook_name in dir(self.pm.hook):
            caller = getattr(self.pm.hook, hook_name)
            if hook_name.startswith("_") or not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if getattr(impl, "optionalhook", False):
                    continue
                near = difflib.get_close_matches(hook_name, HOOK_NAMES, n=1, cutoff=0.75)
                if near:  # a typo: the hook would silently never run
                    raise PluginError(
                        f"Plugin {self._who(impl.plugin_name)} implements {hook_name!r}, which is no "
                        f"hook of fs-core. Did you mean {near[0]!r}?"
                    )
                logger.warning(  # a hook of a newer fs-core, say: it will not run here
                    "Plugin %s implements %r, which this fs-core does not define (hooks: %s): it "
                    "will not run. Mark it @hookimpl(optionalhook=True) if that is intended.",
                    self._who(impl.plugin_name),
                    hook_name,
                    ", ".join(HOOK_NAMES),
                )

    def _check_blocked(self, eps: list[EntryPoint], legacy: list[EntryPoint]) -> None:
        installed = {ep.name for ep in [*eps, *legacy]}
        for name in sorted(self.blocked - installed):
            logger.warning(
                "FS_BLOCKED_PLUGINS names %r, which is not installed (installed plugins: %s): "
                "check the spelling",
                name,
                ", ".join(sorted(installed)) or "none",
            )

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
                    f"{'is' if len(unknown) == 1 else 'are'} not installed.{_nearest(unknown, installed)} "
                    f"Installed plugins: {listed}."
                )

    def _collect_backends(self, only: str | None = None) -> None:
        """Call ``register_backends`` through pluggy, once (wrappers, ``tryfirst``/``trylast``
        and monitoring apply), with a ``register`` that finds the plugin calling it on the
        stack, so that a duplicate name is reported with both plugins' names."""
        owners: dict[Any, str] = {}
        for impl in self.pm.hook.register_backends.get_hookimpls():
            if only is None or impl.plugin_name == only:
                owners[getattr(impl.function, "__func__", impl.function).__code__] = impl.plugin_name
        if not owners:
            return

        def register(name: str, backend: Any) -> None:
            frame: FrameType | None = sys._getframe(1)
            for _ in range(32):  # the hook function itself, or a helper it calls
                if frame is None or frame.f_code in owners:
                    break
                frame = frame.f_back
            plugin = owners.get(frame.f_code) if frame is not None else None
            if plugin is not None:
                self._add_backend(name, backend, plugin)
            elif only is None:
                self._add_backend(name, backend, "?")

        if only is None:
            self.pm.hook.register_backends(register=register)
        else:  # a plugin registered at run time: only its own implementation
            for impl in self.pm.hook.register_backends.get_hookimpls():
                if impl.plugin_name == only:
                    impl.function(**dict.fromkeys(impl.argnames, register))

    def answers(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Each plugin's answer to the hook ``hook_name``, as ``(plugin, result)`` in pluggy's
        order (``plugin`` as messages name it; hook wrappers left out): for reports that say
        which plugin said what. A plugin's exception propagates."""
        results = []
        for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
            if impl.hookwrapper or getattr(impl, "wrapper", False):
                continue
            result = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            results.append((self._who(impl.plugin_name), result))
        return results

    def refusing_plugin(self, storage: Any, file: Any, filename: str, start: int | None = None) -> str | None:
        """Which plugin's ``file_allowed`` refused ``filename`` (``'name' (distribution …)``),
        or ``None`` if it was fs-core's own policy or cannot be told. Asked on the refusal path
        only: each plugin again, in pluggy's order, with the upload put back at ``start``
        (where it stood before the first asking)."""
        kwargs = {"storage": storage, "file": file, "filename": filename}
        try:
            for impl in reversed(self.pm.hook.file_allowed.get_hookimpls()):
                if impl.hookwrapper or getattr(impl, "wrapper", False):
                    continue
                if start is not None:
                    file.seek(start)
                try:
                    answer = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
                except Exception:
                    return None  # it raised this time: not told apart
                if answer is not None:
                    return None if impl.plugin_name == _CORE or answer else self._who(impl.plugin_name)
            return None
        finally:
            if start is not None:
                file.seek(start)

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
        name = self._register(plugin, name)
        self.infos.setdefault(name, PluginInfo(name, None, None))
        self._check_hook_names()
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
        who = self._who(entry.plugin)
        try:
            if isinstance(target, EntryPoint):
                cls = target.load()
            elif isinstance(target, str):
                module, _, attr = target.partition(":")
                if not attr:
                    raise PluginError(
                        f"Plugin {who} registered backend {name!r}{where} as {target!r}: write 'module:Class'"
                    )
                cls = getattr(importlib.import_module(module), attr)
            else:
                cls = target
        except ImportError as exc:
            missing = getattr(exc, "name", None)
            module = target.partition(":")[0] if isinstance(target, str) else ""
            if missing and (module == missing or module.startswith(missing + ".")):
                raise PluginError(
                    f"Backend {name!r}{where} from plugin {who} names the module {target!r}, which "
                    f"does not exist: the plugin's register_backends has a typo, or the plugin is "
                    f"not fully installed"
                ) from exc
            package = self._distribution(entry) or KNOWN_BACKEND_PACKAGES.get(name, entry.plugin)
            raise PluginError(
                f"Backend {name!r}{where} from plugin {who} cannot be imported: {exc}. Install what "
                f"it needs{f' ({missing!r})' if missing else ''}: pip install {package} brings it if "
                f"{package} declares it."
            ) from exc
        except AttributeError as exc:
            raise PluginError(
                f"Backend {name!r}{where} from plugin {who}: {target!r} names no class ({exc})"
            ) from exc
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(
                f"Backend {name!r}{where} from plugin {who} failed to import: {exc!r}. Report it "
                f"to the plugin's authors, or block the plugin with FS_BLOCKED_PLUGINS."
            ) from exc
        if not (isinstance(cls, type) and issubclass(cls, BaseBackend)):
            raise PluginError(
                f"Backend {name!r} from plugin {who} is {cls!r}, not a fs_core.BaseBackend subclass"
            )
        adapted = adapt(cls)  # type: ignore[arg-type]  # mypy: a class's __hash__ is unbound
        missing_primitives = [p for p in PRIMITIVES if getattr(adapted, p) is getattr(BaseBackend, p)]
        if missing_primitives:
            logger.warning(
                "Backend %r from plugin %s (%s) does not implement %s: the operations that need "
                "them will fail (a backend implements the six primitives %s, see fs_core.BaseBackend)",
                name,
                who,
                cls.__qualname__,
                ", ".join(missing_primitives),
                ", ".join(PRIMITIVES),
            )
        return adapted

    def _distribution(self, entry: _BackendEntry) -> str | None:
        if isinstance(entry.target, EntryPoint):
            return _dist(entry.target)[0]
        info = self.infos.get(entry.plugin)
        return info.dist if info is not None else None

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


def _nearest(names: Iterable[str], known: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for the first of ``names`` close to one of ``known``."""
    known = list(known)
    for name in names:
        near = difflib.get_close_matches(name, known, n=1)
        if near:
            return f" Did you mean {near[0]!r}?"
    return ""


def _misfit(plugin: Any) -> str:
    """Which of ``plugin``'s hook implementations take arguments their hook does not have."""
    problems = []
    for hook_name in HOOK_NAMES:
        function = getattr(plugin, hook_name, None)
        if function is None or not hasattr(function, f"{hookspecs.PROJECT}_impl"):
            continue
        spec = list(inspect.signature(getattr(hookspecs, hook_name)).parameters)
        taken = [p for p in inspect.signature(function).parameters if p != "self"]
        extra = [p for p in taken if p not in spec]
        if extra:
            problems.append(
                f"its {hook_name}() takes {', '.join(map(repr, extra))}, which {hook_name} does not "
                f"have: its arguments are {', '.join(spec)} (take any of them, by these names)"
            )
    return "; ".join(problems) or "a hook implementation does not fit its hook (see fs_core.hookspecs)"


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None
