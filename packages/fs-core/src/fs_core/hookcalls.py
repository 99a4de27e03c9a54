"""Calling hooks on the hot path: nothing when no plugin implements a hook, and a plain loop
over the implementations when none of them needs pluggy's machinery.

A save asks four or five hooks (``file_allowed``, ``prepare_upload``, ``check_target``,
``after_save``, ``will_process``), and most applications implement few of them. Through
``pm.hook.<name>(...)`` each call costs pluggy's argument check, a copy of the
implementation list and its generic loop (wrappers, teardowns) even when no plugin implements
the hook: about 13,000 instructions for nothing, more than the ``write`` of a small file
(``benchmarks/bench_local_io.py``). :class:`HookCalls` decides once per set of plugins, for
each hook:

* no implementation: no call at all (:meth:`HookCalls.get` returns ``None``);
* plain implementations only (no ``wrapper``/``hookwrapper``, no argument with a default) and
  no monitoring or tracing: a loop calling them in pluggy's order with pluggy's semantics
  (``firstresult``: the first answer that is not ``None``; otherwise the list of answers
  that are not ``None``; an exception propagates at once);
* anything else: pluggy's own call.

The set of plugins changes through the :class:`PluginManager` below (``register``,
``unregister``, ``set_blocked``, ``add_hookspecs``, monitoring and tracing), which counts
its changes; the callers are worked out again after each change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pluggy

__all__ = ["HookCalls", "PluginManager"]


class PluginManager(pluggy.PluginManager):
    """A pluggy ``PluginManager`` that counts changes to its plugins and hooks
    (:attr:`generation`), and knows whether hook calls are being monitored."""

    def __init__(self, project_name: str) -> None:
        super().__init__(project_name)
        #: Bumped by every change that can change what a hook call runs.
        self.generation = 0
        #: How many monitors (``add_hookcall_monitoring``, ``enable_tracing``) are active.
        self.monitors = 0

    def _changed(self) -> None:
        self.generation += 1

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        try:
            return super().register(plugin, name)
        finally:
            self._changed()

    def unregister(self, plugin: Any = None, name: str | None = None) -> Any:
        try:
            return super().unregister(plugin, name)
        finally:
            self._changed()

    def set_blocked(self, name: str) -> None:
        try:
            super().set_blocked(name)
        finally:
            self._changed()

    def add_hookspecs(self, module_or_class: Any) -> None:
        try:
            super().add_hookspecs(module_or_class)
        finally:
            self._changed()

    def add_hookcall_monitoring(self, before: Any, after: Any) -> Callable[[], None]:
        undo = super().add_hookcall_monitoring(before, after)
        self.monitors += 1
        self._changed()

        def undo_monitoring() -> None:
            undo()
            self.monitors -= 1
            self._changed()

        return undo_monitoring


class HookCalls:
    """The callers of one :class:`PluginManager`'s hooks, worked out once per generation."""

    def __init__(self, pm: PluginManager) -> None:
        self._pm = pm
        self._generation = -1
        self._callers: dict[str, Callable[..., Any] | None] = {}
        self._sole: dict[str, Callable[..., Any] | None] = {}

    def _check_generation(self) -> None:
        if self._generation != self._pm.generation:
            self._callers = {}
            self._sole = {}
            self._generation = self._pm.generation

    def get(self, name: str) -> Callable[..., Any] | None:
        """A callable taking the hook's keyword arguments, or ``None`` if no plugin
        implements hook ``name``."""
        self._check_generation()
        try:
            return self._callers[name]
        except KeyError:
            caller = self._callers[name] = self._caller(name)
            return caller

    def sole(self, name: str) -> Callable[..., Any] | None:
        """The function implementing hook ``name`` if it is the only implementation (a plain
        one, and calls are not monitored), else ``None``. (fs-core asks whether its own
        extension policy is the only answer to ``file_allowed``.)"""
        self._check_generation()
        try:
            return self._sole[name]
        except KeyError:
            hook: pluggy.HookCaller = getattr(self._pm.hook, name)
            impls = hook.get_hookimpls()
            plain = len(impls) == 1 and self.get(name) is not hook
            sole = self._sole[name] = impls[0].function if plain else None
            return sole

    def _caller(self, name: str) -> Callable[..., Any] | None:
        hook: pluggy.HookCaller = getattr(self._pm.hook, name)
        impls = hook.get_hookimpls()
        if not impls:
            return None
        if self._pm.monitors or any(impl.hookwrapper or impl.wrapper or impl.kwargnames for impl in impls):
            return hook
        firstresult = bool(hook.spec is not None and hook.spec.opts.get("firstresult"))
        return _direct([(impl.function, impl.argnames) for impl in reversed(impls)], firstresult)


def _direct(
    functions: Sequence[tuple[Callable[..., Any], Sequence[str]]], firstresult: bool
) -> Callable[..., Any]:
    """pluggy's call of plain implementations (``functions`` in calling order)."""
    if len(functions) == 1:
        ((function, argnames),) = functions

        if firstresult:

            def call_one(**kwargs: Any) -> Any:
                return function(*[kwargs[arg] for arg in argnames])

            return call_one

        def collect_one(**kwargs: Any) -> list[Any]:
            result = function(*[kwargs[arg] for arg in argnames])
            return [] if result is None else [result]

        return collect_one

    if firstresult:

        def call_first(**kwargs: Any) -> Any:
            for function, argnames in functions:
                result = function(*[kwargs[arg] for arg in argnames])
                if result is not None:
                    return result
            return None

        return call_first

    def collect(**kwargs: Any) -> list[Any]:
        results = []
        for function, argnames in functions:
            result = function(*[kwargs[arg] for arg in argnames])
            if result is not None:
                results.append(result)
        return results

    return collect
