from __future__ import annotations

import pytest

import fs_core
from fs_core.config import serve_enabled
from fs_core.errors import ConfigurationError


@pytest.mark.parametrize(
    ("value", "served"),
    [(True, True), (False, False), ("false", False), ("1", True), ("redirect", True), ("Stream", True)],
)
def test_serve_values(value, served):
    assert serve_enabled(value) is served


def test_unknown_serve_value_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="SERVE"):
        serve_enabled("sometimes")


@pytest.mark.parametrize(("serve", "status"), [("redirect", 200), ("stream", 200), (False, 404)])
def test_view_honours_serve_modes(make_app, serve, status):
    files = fs_core.Storage("files", fs_core.ALL)
    app = make_app(files, FILES_FS_SERVE=serve)
    with app.app_context():
        files.write("a.txt", b"x")
    response = app.test_client().get("/files/a.txt")
    assert response.status_code == status
