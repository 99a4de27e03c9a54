"""Releases: one version, changelog and tag per package; plugins pin the fs-core minor."""

from __future__ import annotations

import pytest
import release
import sync_pants
from packaging.version import Version


def test_every_plugin_pins_the_current_fs_core_minor():
    packages = release.packages()
    core = Version(packages["fs-core"].version)
    expected = {f">={core.major}.{core.minor}", f"<{core.major}.{core.minor + 1}"}
    wanted = f"fs-core{release.expected_core_range(str(core))}"
    plugins = [p for name, p in packages.items() if name != "fs-core"]
    assert plugins, "no plugin packages found"
    for package in plugins:
        pin = release.core_pin(package)
        assert pin is not None, (
            f"{package.name} must depend on fs-core{release.expected_core_range(str(core))}"
        )
        assert {str(s) for s in pin.specifier} == expected, (
            f"{package.name} requires {pin}; fs-core is {core}, so it must say {wanted} "
            f"(hookspecs.py is the contract)"
        )


@pytest.mark.parametrize("name", sorted(release.packages()))
def test_current_version_is_releasable(name):
    package = release.packages()[name]
    assert release.check(package.tag) == package


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("fs-local-v99.0.0", "fs-local is at version"),
        ("fs-nope-v0.1.0", "no package 'fs-nope'"),
        ("fs-local-0.1.0", "is not a release tag"),
        ("v0.1.0", "is not a release tag"),
    ],
)
def test_check_refuses_a_tag_that_does_not_match(tag, message):
    with pytest.raises(release.ReleaseError, match=message):
        release.check(tag)


def test_expected_core_range():
    assert release.expected_core_range("0.1.3") == ">=0.1,<0.2"
    assert release.expected_core_range("1.4.0") == ">=1.4,<1.5"


@pytest.mark.wheels
def test_release_builds_the_wheel_and_sdist_of_one_package(tmp_path):
    package = release.packages()["fs-local"]
    built = release.build(package, tmp_path)
    assert [p.name for p in built] == [
        f"fs_local-{package.version}-py3-none-any.whl",
        f"fs_local-{package.version}.tar.gz",
    ]


def test_pants_build_is_in_step_with_the_pyprojects():
    # 3rdparty/python/requirements.txt and each package's BUILD files (sync_pants.py --check).
    assert sync_pants.problems() == []
