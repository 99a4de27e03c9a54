"""Sphinx configuration of fs's documentation site: ``./dev docs`` builds it into docs/_build/html.

The pages are Markdown (MyST). Each package's page is its README, included as it is, and its
API reference comes from the docstrings of the modules its ``[tool.fs.packages]`` entry in the
root pyproject.toml lists: docs/_ext/fs_docs.py writes those pages (docs/packages/, docs/api/)
at the start of every build, so a package joins the site with that one entry.
"""

from __future__ import annotations

import glob
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "_ext"), str(HERE.parent / "build-support")]

from workspace import version as package_version  # noqa: E402

project = "fs"
author = "fs contributors"
copyright = "fs contributors"
release = version = package_version(HERE.parent / "packages/fs-core")

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "fs_docs",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md"]
templates_path: list[str] = []

# MyST: GitHub's heading anchors (the READMEs link to #sections), and ```{directive} blocks.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence", "deflist"]

# The API reference: public names only (each module's __all__), type hints in the signatures.
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
python_maximum_signature_line_length = 90  # one parameter a line beyond that
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
# A class says how to build it; an __init__ docstring (often inherited from a library) adds nothing.
autoclass_content = "class"
# Every cross-reference must resolve (./dev docs builds with -n -W): fs_docs resolves the names
# of fs's own objects through their public module, and reports any other unresolved fs_* name.
nitpicky = True

# Python's, Flask's and Werkzeug's object inventories come from Debian's documentation packages
# (./dev docs installs them: python3-doc, python-flask-doc, python-werkzeug-doc); links point
# to the projects' sites.
_INVENTORIES = {
    "python": ("https://docs.python.org/3", "/usr/share/doc/python3.*/html/objects.inv"),
    "flask": (
        "https://flask.palletsprojects.com/en/stable",
        "/usr/share/doc/python-flask-doc/html/objects.inv",
    ),
    "werkzeug": (
        "https://werkzeug.palletsprojects.com/en/stable",
        "/usr/share/doc/python-werkzeug-doc/html/objects.inv",
    ),
}
intersphinx_mapping = {}
for _name, (_url, _pattern) in _INVENTORIES.items():
    _found = sorted(glob.glob(_pattern))
    if _found:
        intersphinx_mapping[_name] = (_url, _found[-1])
intersphinx_timeout = 1

html_theme = "furo"
html_title = "fs: file storage for Flask"
html_show_sourcelink = False
