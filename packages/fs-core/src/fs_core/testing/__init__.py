"""Testing helpers for fs-core applications and backends, as a pytest plugin.

Enable it in a ``conftest.py``::

    pytest_plugins = ["fs_core.testing"]

It provides:

* :class:`BackendContract`: the backend contract suite (see :mod:`fs_core.testing.contract`),
  and :class:`ServiceFailureContract` for backends with a service;
* the ``fs_app`` fixture: a Flask app whose storages use the ``memory`` backend, with
  fs-core initialised, for testing application code without a disk or a service;
* the ``fs_register_plugin`` fixture: registers a plugin object on an app for one test;
* the ``fs_make_app`` fixture, for plugin authors: ``fs_make_app(*plugins, storages=…,
  **config)`` makes an app in which only fs-core and the given plugins are loaded (objects,
  or the names of installed plugins), so that another plugin installed in the environment,
  broken or not, cannot change what your tests see;
* :class:`PatternStream` and :class:`FailingStream`: large and failing uploads;
* :func:`child_env`: the environment for a test's child processes, and :func:`kill_9_when`
  to ``SIGKILL`` one at a chosen moment (what an interrupted write leaves behind).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from flask import Flask

from ..backend import BaseBackend
from ..extension import init_app
from ..storage import Storage
from .contract import BackendContract, ServiceFailureContract
from .names import HOSTILE_NAMES, name_of_length
from .processes import child_env, kill_9_when
from .streams import ClientWentAway, FailingStream, PatternStream

__all__ = [
    "HOSTILE_NAMES",
    "BackendContract",
    "ClientWentAway",
    "FailingStream",
    "PatternStream",
    "ServiceFailureContract",
    "bind_backend",
    "child_env",
    "fs_app",
    "fs_make_app",
    "fs_register_plugin",
    "kill_9_when",
    "name_of_length",
]


def bind_backend(app: Flask, storage: Storage, backend: BaseBackend) -> Storage:
    """Attach an already built ``backend`` to ``storage`` for ``app`` (no configuration read;
    fs-core is set up on ``app`` first if it was not)."""
    init_app(app)
    storage._bind(app, backend)
    return storage


@pytest.fixture
def fs_app(tmp_path: Any) -> Iterator[Flask]:
    """A Flask app with fs-core initialised and ``FS_BACKEND = 'memory'``, in an app context.

    Pass storages with ``fs_core.init_app(fs_app, storage)``.
    """
    app = Flask("fs_test_app", instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SECRET_KEY="test", FS_BACKEND="memory", SERVER_NAME="fs.test")
    init_app(app)
    with app.app_context():
        yield app


@pytest.fixture
def fs_make_app(tmp_path: Any) -> Callable[..., Flask]:
    """``fs_make_app(*plugins, storages=(), **config)``: a Flask app with fs-core set up,
    loading no installed plugin but those named in ``plugins`` (entry-point names, loaded as
    users get them) and registering the plugin objects in ``plugins`` (modules or instances
    with hook implementations), then configuring ``storages``. ``FS_BACKEND`` defaults to
    ``'memory'``, ``SECRET_KEY`` and ``SERVER_NAME`` are set; ``config`` adds to them.
    """

    def make(*plugins: Any, storages: Iterable[Storage] = (), **config: Any) -> Flask:
        app = Flask(f"fs_plugin_test_{len(made)}", instance_path=str(tmp_path / f"instance{len(made)}"))
        app.config.update(TESTING=True, SECRET_KEY="test", FS_BACKEND="memory", SERVER_NAME="fs.test")
        app.config.update(config)
        app.config["FS_PLUGINS"] = [p for p in plugins if isinstance(p, str)]
        init_app(app, *storages, plugins=[p for p in plugins if not isinstance(p, str)])
        made.append(app)
        return app

    made: list[Flask] = []
    return make


@pytest.fixture
def fs_register_plugin() -> Iterator[Callable[..., str]]:
    """``register(app, plugin, name=None)``: add a plugin to ``app`` until the test ends."""
    registered: list[tuple[Flask, str]] = []

    def register(app: Flask, plugin: Any, name: str | None = None) -> str:
        plugins = init_app(app).plugins
        plugin_name: str = plugins.register(plugin, name=name)
        registered.append((app, plugin_name))
        return plugin_name

    yield register
    for app, name in registered:
        app.extensions["fs"].plugins.unregister(name)
