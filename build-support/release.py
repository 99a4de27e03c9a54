"""Check a release tag against its package, and build that package's wheel and sdist.

    ./dev release fs-local-v0.2.0            check, then build into dist/fs-local-0.2.0/
    ./dev release --check fs-local-v0.2.0    check only
    ./dev release --list                     every package: version, tag, fs-core pin

A tag is ``<distribution>-v<version>`` (``fs-s3-v0.2.0``). The check: the distribution is a
package of the workspace (packages/*); the tag's version is the package's version (its
``__version__``, which hatch reads); its CHANGELOG.md has a ``## <version>`` section; a plugin's
``fs-core`` requirement admits the workspace's fs-core; and if the tag exists in git, it
points at the commit being built. See RELEASING.md.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version
from workspace import ROOT, canonical, load_toml, released, uv, version

TAG = re.compile(r"^(?P<dist>[a-z0-9][a-z0-9-]*?)-v(?P<version>\d[^\s/]*)$")
CORE = "fs-core"


class ReleaseError(Exception):
    """The tag and the package do not agree; the message says what to fix."""


@dataclass(frozen=True)
class Package:
    name: str
    directory: Path
    version: str

    @property
    def tag(self) -> str:
        return f"{self.name}-v{self.version}"


def packages(root: Path = ROOT) -> dict[str, Package]:
    return {name: Package(name, path, version(path)) for name, path in released(root).items()}


def core_pin(package: Package) -> Requirement | None:
    """The package's requirement on fs-core (None for fs-core itself)."""
    for text in load_toml(package.directory / "pyproject.toml")["project"].get("dependencies", []):
        req = Requirement(text)
        if canonical(req.name) == CORE:
            return req
    return None


def expected_core_range(core_version: str) -> str:
    """The range a plugin pins for the fs-core minor it was written for: ``>=0.1,<0.2``."""
    v = Version(core_version)
    return f">={v.major}.{v.minor},<{v.major}.{v.minor + 1}"


def _git(*args: str, root: Path) -> str | None:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def check(tag: str, root: Path = ROOT) -> Package:
    """The package ``tag`` releases, or :class:`ReleaseError` saying what does not match."""
    match = TAG.match(tag)
    if match is None:
        raise ReleaseError(f"{tag!r} is not a release tag: use <distribution>-v<version>, e.g. fs-s3-v0.2.0")
    pkgs = packages(root)
    name = canonical(match["dist"])
    if name not in pkgs:
        raise ReleaseError(
            f"{tag}: no package {name!r} under packages/ (packages: {', '.join(sorted(pkgs))})"
        )
    package = pkgs[name]
    if Version(match["version"]) != Version(package.version):
        init = load_toml(package.directory / "pyproject.toml")["tool"]["hatch"]["version"]["path"]
        raise ReleaseError(
            f"{tag}: {name} is at version {package.version} (packages/{package.directory.name}/{init}); "
            f"bump __version__ there, or tag {package.tag}"
        )
    changelog = package.directory / "CHANGELOG.md"
    heading = re.compile(rf"^##\s+\[?v?{re.escape(package.version)}\]?(\s|$)", re.MULTILINE)
    if not changelog.is_file() or not heading.search(changelog.read_text()):
        raise ReleaseError(f"{tag}: {changelog.relative_to(root)} has no '## {package.version}' section")
    pin = core_pin(package)
    if pin is not None:
        core = pkgs[CORE].version
        if not pin.specifier.contains(core, prereleases=True):
            raise ReleaseError(f"{tag}: {name} requires {pin}, which excludes the workspace's fs-core {core}")
    tagged = _git("rev-list", "-n", "1", f"refs/tags/{tag}", root=root)
    if tagged and tagged != _git("rev-parse", "HEAD", root=root):
        raise ReleaseError(f"{tag} exists and points at {tagged[:12]}, not at the checked-out commit")
    return package


def build(package: Package, out: Path, root: Path = ROOT) -> list[Path]:
    """``uv build --package`` into ``out``: the wheel and the sdist."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [*uv(), "build", "--package", package.name, "--out-dir", str(out), "--quiet"],
        cwd=root,
        check=True,
    )
    stem = package.name.replace("-", "_")
    built = sorted(out.glob(f"{stem}-{package.version}*"))
    kinds = {p.suffix for p in built}
    if kinds != {".whl", ".gz"}:
        raise ReleaseError(f"expected a wheel and an sdist of {package.tag} in {out}, found {built}")
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("tag", nargs="?", help="e.g. fs-local-v0.1.0")
    parser.add_argument("--check", action="store_true", help="check the tag, build nothing")
    parser.add_argument("--list", action="store_true", help="list packages, versions and tags")
    parser.add_argument("--out", type=Path, help="output folder (default: dist/<tag without v>)")
    args = parser.parse_args(argv)
    if args.list:
        for package in packages().values():
            pin = core_pin(package)
            print(f"{package.name:<16} {package.version:<10} {package.tag:<24} {pin or ''}")
        return 0
    if not args.tag:
        parser.error("give a tag, e.g. fs-local-v0.1.0 (or --list)")
    try:
        package = check(args.tag)
        print(f"{args.tag}: {package.name} {package.version} is ready to release")
        if not args.check:
            out = args.out or ROOT / "dist" / f"{package.name}-{package.version}"
            for path in build(package, out):
                print(f"built {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
