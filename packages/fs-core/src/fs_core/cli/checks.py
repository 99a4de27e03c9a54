"""``flask fs verify``, ``orphans`` and ``clean``: is every file whole (and its copy too),
what does a storage hold that nothing should, what did interrupted writes leave."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..errors import FSError
from ..leftovers import DEFAULT_LEFTOVER_AGE, Leftover
from ..listing import FileInfo
from ..orphans import KINDS, Orphan
from ..parallel import DEFAULT_JOBS
from ..verify import Problem, verify
from .helpers import (
    Duration,
    ExitCode,
    Progress,
    confirm,
    echo_json,
    human_size,
    jobs_option,
    json_option,
    lookup_location,
    lookup_storage,
    shown,
)

_AGE_HELP = (
    "Only what was last written this long ago or more: seconds, or 30m, 12h, 7d (younger "
    "ones may belong to work in progress)."
)


@click.command("verify", short_help="Check every file against its checksum, or a copy.")
@click.argument("location", metavar="STORAGE")
@click.option(
    "--against", metavar="OTHER", help="A copy to compare with (STORAGE, STORAGE:FOLDER or ./folder)."
)
@jobs_option(DEFAULT_JOBS)
@json_option
@with_appcontext
def verify_command(location: str, against: str | None, jobs: int, as_json: bool) -> None:
    """Read every file of STORAGE (or STORAGE:FOLDER, or a local folder), recompute its
    checksum and compare it with the one the service keeps; with --against, check that OTHER
    has each file with the same content.

    Prints one line per problem (unreadable, size, checksum, missing, differs). Exit status:
    0 all verified, 3 problems found, 130 interrupted, 1 an error stopped it.
    """
    here = lookup_location(location, must_exist=True)
    other = lookup_location(against, must_exist=True) if against else None
    progress = Progress(f"Verifying {location}")

    def checked(info: FileInfo, problems: list[Problem]) -> None:
        progress.add_file()
        for problem in [] if as_json else problems:
            click.echo(f"{problem.kind.upper():<10} {shown(problem.name)}: {shown(problem.detail)}")

    with progress:
        report = verify(
            here, other, jobs=jobs, on_start=lambda n, b: progress.set_total(n, b),
            on_bytes=progress.add_bytes, on_file=checked,
        )  # fmt: skip
    if as_json:
        echo_json(report.as_dict())
    else:
        extra = f"; {len(report.extra):,} only in {against}" if report.extra else ""
        unchecked = (
            f" ({report.without_checksum:,} with no stored checksum: read whole, size checked)"
            if report.without_checksum
            else ""
        )
        click.echo(
            f"Verified {report.checked:,} file(s), {human_size(report.bytes)}{unchecked}: "
            f"{len(report.problems):,} problem(s){extra}, in {report.seconds:.1f} s.",
            err=True,
        )
    ctx = click.get_current_context()
    if report.interrupted:
        ctx.exit(ExitCode.INTERRUPTED)
    if report.problems:
        ctx.exit(ExitCode.PARTIAL)


def _orphan_json(orphan: Orphan) -> dict[str, object]:
    return {
        "kind": orphan.kind,
        "name": orphan.name,
        "what": orphan.what,
        "size": orphan.size,
        "modified": orphan.modified,
    }


@click.command("orphans", short_help="List (and remove) what nothing should hold.")
@click.argument("storage")
@click.option(
    "--older-than", default=str(DEFAULT_LEFTOVER_AGE), show_default="1d", type=Duration(), help=_AGE_HELP
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(KINDS),
    help="Only these kinds (repeatable) [default: all].",
)
@click.option("--delete", is_flag=True, help="Remove them (after a confirmation).")
@click.option("-y", "--yes", is_flag=True, help="With --delete: do not ask.")
@json_option
@with_appcontext
def orphans(
    storage: str, older_than: int, kinds: tuple[str, ...], delete: bool, yes: bool, as_json: bool
) -> None:
    """List what STORAGE holds that nothing should, and with --delete remove it.

    \b
    leftover      what interrupted writes left (temporary files, unfinished uploads,
                  copies set aside while processing)
    derived       files derived from another that is gone (a thumbnail of a deleted image)
    unreferenced  files no record of the app refers to (with a plugin that keeps
                  references, such as fs-mongoengine)

    Exit status: 0 (whether or not orphans were found), 3 some could not be removed, 1 an
    error stopped it.
    """
    store = lookup_storage(storage)
    found = [o for o in store.orphans(older_than) if not kinds or o.kind in kinds]
    total = sum(o.size or 0 for o in found)
    if as_json and not delete:
        echo_json([_orphan_json(o) for o in found])
        return
    if not as_json:
        for orphan in found:
            size = "-" if orphan.size is None else human_size(orphan.size)
            click.echo(f"{orphan.kind:<12} {size:>10}  {shown(orphan.what)}")
        click.echo(f"{len(found):,} orphan(s), {human_size(total)}.", err=True)
    if not delete or not found:
        if as_json:
            echo_json([_orphan_json(o) for o in found])
        return
    confirm(f"Remove these {len(found):,} orphan(s) of {storage} ({human_size(total)})?", yes)
    with Progress(f"Removing from {storage}", files=len(found)) as progress:
        failures = store.remove_orphans(found, lambda orphan, error: progress.add_file())
    if as_json:
        failed = {id(o) for o, _ in failures}
        echo_json([{**_orphan_json(o), "removed": id(o) not in failed} for o in found])
    for orphan, error in failures:
        click.echo(f"FAILED {shown(orphan.what)}: {shown(str(error))}", err=True)
    if not as_json:
        click.echo(f"{len(found) - len(failures):,} removed, {len(failures):,} failed.", err=True)
    if failures:
        click.get_current_context().exit(ExitCode.PARTIAL)


@click.command("clean", short_help="Remove what interrupted writes left.")
@click.argument("storage")
@click.option(
    "--older-than", default=str(DEFAULT_LEFTOVER_AGE), show_default="1d", type=Duration(), help=_AGE_HELP
)
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@with_appcontext
def clean(storage: str, older_than: int, dry_run: bool) -> None:
    """Remove what interrupted writes left in STORAGE (temporary files, unfinished
    uploads, copies set aside while processing)."""
    store = lookup_storage(storage)
    verb = "would remove" if dry_run else "removing"

    def report(leftover: Leftover) -> None:
        size = "" if leftover.size is None else f" ({leftover.size:,} bytes)"
        click.echo(f"{verb}: {leftover.what}{size}, last written {leftover.modified:%Y-%m-%d %H:%M:%S} UTC")

    try:
        found = store.clean_leftovers(older_than, dry_run=dry_run, progress=report)
    except FSError as exc:
        raise click.ClickException(f"{exc} (nothing after the last line above was removed)") from exc
    total = sum(leftover.size or 0 for leftover in found)
    done = "found" if dry_run else "removed"
    click.echo(f"{len(found)} leftover(s) {done}, {total:,} bytes", err=True)


COMMANDS = [verify_command, orphans, clean]
