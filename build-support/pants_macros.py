# Pants BUILD-file macros (loaded through [GLOBAL].build_file_prelude_globs in pants.toml).
# The names used below (build_file_dir, python_sources, …) are given by Pants to this file.
#
# A package packages/fs-foo/ has three one-line BUILD files (Pants takes a source root from
# the directory of the BUILD file that declares a target, so src/ and tests/ need their own):
#
#   packages/fs-foo/BUILD        fs_package(requires=["fs-core"])
#   packages/fs-foo/src/BUILD    fs_sources()
#   packages/fs-foo/tests/BUILD  fs_tests()
#
# ruff: noqa: F821


def _package():
    """(directory, distribution name, import name) of the package of the calling BUILD file."""
    directory = build_file_dir()
    if directory.name in ("src", "tests"):
        directory = directory.parent
    return str(directory), directory.name, directory.name.replace("-", "_")


def fs_package(requires=()):
    """packages/<dist>/BUILD: the package's own files and its wheel + sdist.

    * ``:package_files``: pyproject.toml, README.md and CHANGELOG.md;
    * ``:dist``: the wheel and sdist, built by hatchling from the package's own pyproject.toml
      (``generate_setup=False``), so versions, dependencies and entry points are written once.

    ``requires``: the workspace packages this one depends on (``["fs-core"]``), as in its
    pyproject (build-support/sync_pants.py checks the two agree).
    """
    directory, dist, _ = _package()
    # With the whole import package: its entry points name modules nothing imports.
    resources(
        name="package_files",
        sources=["pyproject.toml", "README.md", "CHANGELOG.md"],
        dependencies=[f"{directory}/src", f"{directory}/src:data"],
    )
    python_distribution(
        name="dist",
        dependencies=[
            ":package_files",
            f"{directory}/src",
            f"{directory}/src:data",
            f"{directory}/tests",  # the sdist ships the tests, as uv build's does
            *(f"packages/{name}:dist" for name in requires),
        ],
        provides=python_artifact(name=dist),
        generate_setup=False,
        wheel=True,
        sdist=True,
    )


def fs_sources():
    """packages/<dist>/src/BUILD: the import package, and its non-Python files (py.typed).

    The sources depend on the package's pyproject.toml, so a test that imports the package
    also gets its metadata (see build-support/pants_dist_info.py).
    """
    directory, _, module = _package()
    python_sources(dependencies=[f"{directory}:package_files"], sources=[f"{module}/**/*.py"])
    resources(name="data", sources=[f"{module}/**/*", "!**/*.py", "!**/*.pyc", "!**/__pycache__/**"])


def fs_tests(dependencies=(), tags=(), extra_env_vars=(), skip_tests=False, conftest=True):
    """packages/<dist>/tests/BUILD: the package's tests and their conftest.py.

    Tests run from sources; build-support/pants_dist_info.py gives every package whose code they
    import its entry points, as an editable install would. ``dependencies`` adds what
    inference cannot see (a plugin the test only discovers, a tool package, data files);
    ``tags`` and ``extra_env_vars`` are the python_tests fields of the same name.
    ``conftest=False`` for a package whose tests/ has no conftest.py (Pants warns of an empty
    glob otherwise; build-support/sync_pants.py checks the flag against the file).
    """
    directory, _, _ = _package()
    if conftest:
        python_test_utils(name="test_utils", sources=["conftest.py"])
    python_tests(
        sources=["**/test_*.py"],
        dependencies=[f"{directory}:package_files", "build-support/pants_dist_info.py", *dependencies],
        tags=list(tags),
        extra_env_vars=list(extra_env_vars),
        skip_tests=skip_tests,
    )
