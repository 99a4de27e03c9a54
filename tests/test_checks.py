"""The checks around the suite: one entry per package in [tool.fs.packages] (the documentation
site, the type check and the coverage floor all read it), the site's link handling, and the
code in the API reference's docstrings."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
import textwrap

import pytest
from check_links import broken_links
from workspace import ROOT, load_toml, members, packages

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import fs_docs


def test_every_workspace_member_has_one_entry():
    found = packages()  # raises, saying what to add, if a member has none
    assert set(found) == set(members())
    for package in found.values():
        assert 0 < package.coverage <= 100, package
        assert (package.src / package.module / "__init__.py").is_file(), package
        if package.documented:
            assert (package.directory / "README.md").is_file(), package
            assert (package.src / package.module / "py.typed").is_file(), f"{package.name} ships no py.typed"
            for module in package.api:
                importlib.import_module(module)


def test_a_member_without_an_entry_is_named(tmp_path):
    pyproject = load_toml(ROOT / "pyproject.toml")
    (tmp_path / "packages" / "fs-new").mkdir(parents=True)
    (tmp_path / "packages" / "fs-new" / "pyproject.toml").write_text('[project]\nname = "fs-new"\n')
    (tmp_path / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["packages/*"]\n[tool.fs.packages.fs-gone]\ncoverage = 90\n'
    )
    with pytest.raises(ValueError) as error:
        packages(tmp_path)
    assert "fs-new has no entry in pyproject.toml: add [tool.fs.packages.fs-new]" in str(error.value)
    assert "[tool.fs.packages.fs-gone] names no workspace member" in str(error.value)
    assert pyproject["tool"]["mypy"]["strict"] is True


def _site(tmp_path, pages):
    for name, html in pages.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"<html><body>{html}</body></html>")
    return tmp_path


def test_the_link_check_finds_missing_pages_and_anchors(tmp_path):
    site = _site(
        tmp_path,
        {
            "index.html": '<a href="api/core.html#fs_core.Storage">ok</a> <a href="api/core.html#nope">x</a>'
            '<a href="missing.html">x</a> <a href="https://example.com/">other site</a>'
            '<a href="#top">self</a> <img src="_static/logo.png"> <p id="top"></p>',
            "api/core.html": '<dl id="fs_core.Storage"></dl> <a href="../index.html#top">back</a>',
        },
    )
    assert broken_links(site) == [
        "index.html: api/core.html#nope (no element of that id)",
        "index.html: missing.html",
        "index.html: _static/logo.png",
    ]
    (site / "_static").mkdir()
    (site / "_static" / "logo.png").write_bytes(b"png")
    assert len(broken_links(site)) == 2


def test_repository_links_lead_to_the_site_or_to_github():
    readme = ROOT / "packages" / "fs-local" / "README.md"
    documented = {"fs-core", "fs-local"}
    target = fs_docs.site_target
    assert target("../fs-core#configuration", readme, documented) == "/packages/fs-core.md#configuration"
    assert target("../fs-core/README.md", readme, documented) == "/packages/fs-core.md"
    assert target("../../docs/writing-a-backend.md#1-the-package", readme, documented) == (
        "/writing-a-backend.md#1-the-package"
    )
    assert target("../../build-support/release.py", readme, documented) == (
        f"{fs_docs.REPOSITORY}/blob/main/build-support/release.py"
    )
    demo = f"{fs_docs.REPOSITORY}/tree/main/examples/demo"
    assert target("../../examples/demo", readme, documented) == demo
    assert target("https://nginx.org/", readme, documented) == "https://nginx.org/"
    assert target("#symbolic-links", readme, documented) == "#symbolic-links"
    included = target("#symbolic-links", readme, documented, included=True)
    assert included == "/packages/fs-local.md#symbolic-links"
    text = "[a](../fs-core) and\n```python\nx = [1](2)\n```\n[b](#c)"
    assert fs_docs.rewrite_links(text, readme, documented) == (
        "[a](/packages/fs-core.md) and\n```python\nx = [1](2)\n```\n[b](#c)"
    )


def _api_objects():
    for package in packages().values():
        if not package.documented:
            continue
        for name in package.api:
            module = importlib.import_module(name)
            yield name, module
            for attribute in getattr(module, "__all__", ()):
                obj = getattr(module, attribute)
                yield f"{name}.{attribute}", obj
                if inspect.isclass(obj):
                    for member_name, member in vars(obj).items():
                        if not member_name.startswith("_") and inspect.getdoc(member):
                            yield f"{name}.{attribute}.{member_name}", member


_LITERAL = re.compile(r"::\n\n((?:(?:[ ]{4}.*)?\n)+)")


def _literal_blocks():
    seen = set()
    for name, obj in _api_objects():
        doc = inspect.getdoc(obj) if not isinstance(obj, (str, int, frozenset, tuple, list)) else None
        for match in _LITERAL.finditer((doc or "") + "\n"):
            block = textwrap.dedent(match.group(1)).strip("\n")
            if (name, block) not in seen:
                seen.add((name, block))
                yield name, block


def test_the_code_in_the_api_reference_is_valid():
    """The docstrings' literal blocks (``::``) are fragments that need the reader's own code
    around them (``MyBackend``, an upload): each must at least be valid Python or TOML."""
    blocks = list(_literal_blocks())
    assert len(blocks) >= 3
    for name, block in blocks:
        if re.match(r"^\[[\w.\-\"]+\]", block):
            tomllib.loads(block)
        else:
            ast.parse(block, filename=name)


def test_the_coverage_table_marks_what_is_below_its_floor():
    from coverage_floors import table

    figures = {"fs-core": (98.5, 97.0), "fs-new": (80.0, 90.0), "fs-none": (None, 90.0)}
    lines = table(figures).splitlines()
    assert lines[1].endswith("97%")
    assert lines[2].endswith("90%  BELOW THE FLOOR")
    assert "no data" in lines[3]
    assert lines[3].endswith("BELOW THE FLOOR")
    assert "BELOW" not in table(figures, verdicts=False)


def test_the_type_check_covers_every_members_src():
    from typecheck import sources

    assert sorted(sources()) == sorted(str(p.src.relative_to(ROOT)) for p in packages().values())


def test_a_package_page_lists_its_errors_from_its_code():
    found = packages()
    images = fs_docs.errors_section(found["fs-images"])
    assert "- {py:exc}`~fs_images.ImageTooLarge` (a {py:exc}`~fs_images.errors.InvalidImage`)" in images
    not_ours = "{py:exc}`~fs_images.InvalidBBox` (a {py:exc}`~builtins.ValueError`, not an `fs_core.FSError`)"
    assert not_ours in images
    assert "{py:data}`fs_images.metadata.MAX_JPEG_SCANS`" in images  # reST roles made MyST roles
    assert "raises fs-core's errors" in fs_docs.errors_section(found["fs-local"])
    assert fs_docs.errors_section(found["fs-core"]) == ""  # its README has its own section
