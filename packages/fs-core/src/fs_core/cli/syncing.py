"""``flask fs sync SRC DST``: copy what is missing or different, between any two storages or a
storage and a local folder (the work is :func:`fs_core.sync.sync`)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..parallel import DEFAULT_JOBS
from ..sync import Change, Plan, SyncOptions, SyncReport, sync
from .helpers import (
    ExitCode,
    Progress,
    echo_json,
    human_size,
    jobs_option,
    json_option,
    lookup_location,
    shown,
)


def _summary(report: SyncReport) -> str:
    if report.dry_run:
        text = f"Would copy {len(report.would_copy):,} file(s) and delete {len(report.would_delete):,}"
    else:
        rate = human_size(report.copied_bytes / report.seconds) if report.seconds else "-"
        side = f", {report.server_side:,} server-side" if report.server_side else ""
        text = (
            f"Copied {report.copied:,} file(s) ({human_size(report.copied_bytes)}{side}, {rate}/s), "
            f"deleted {report.deleted:,}"
        )
    return f"{text}; {report.skipped:,} unchanged, {len(report.failed):,} failed, in {report.seconds:.1f} s."


@click.command("sync", short_help="Copy what is missing or different (SRC -> DST).")
@click.argument("src", metavar="SRC")
@click.argument("dst", metavar="DST")
@click.option("--delete", is_flag=True, help="Delete what only DST has (not excluded names).")
@click.option("-n", "--dry-run", is_flag=True, help="Only print what would be copied and deleted.")
@click.option("-c", "--checksum", is_flag=True, help="Compare content, not dates, when sizes are equal.")
@click.option(
    "--include", multiple=True, metavar="PATTERN", help="Only names matching (repeatable; '*' spans folders)."
)
@click.option("--exclude", multiple=True, metavar="PATTERN", help="Never names matching (repeatable).")
@jobs_option(DEFAULT_JOBS)
@click.option("-v", "--verbose", is_flag=True, help="Print each file copied or deleted.")
@json_option
@with_appcontext
def sync_command(
    src: str,
    dst: str,
    delete: bool,
    dry_run: bool,
    checksum: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    jobs: int,
    verbose: bool,
    as_json: bool,
) -> None:
    """Make DST hold what SRC holds: copy the files DST lacks or has different.

    SRC and DST are STORAGE, STORAGE:FOLDER, or a local folder (./backup, /srv/files). A file
    is copied when DST has none of its name, when sizes differ, when checksums of the same
    kind differ, or else when SRC's is newer (--checksum: when the content differs). Copies
    are server-side when both are on one service, streamed otherwise, --jobs at a time; each
    appears whole or not at all, so an interrupted sync is resumed by running it again.
    Copies are raw: DST's policy and processors do not run.

    Exit status: 0 done, 3 some files failed (listed; run again to retry), 130 interrupted,
    1 an error stopped it.
    """
    source, target = lookup_location(src, must_exist=True), lookup_location(dst)
    options = SyncOptions(
        delete=delete, dry_run=dry_run, checksum=checksum, include=include, exclude=exclude, jobs=jobs
    )
    progress = Progress(f"{src} -> {dst}", enabled=None if not dry_run else False)
    invalid: list[tuple[str, str]] = []

    def planned(plan: Plan) -> None:
        progress.set_total(len(plan.copies), plan.bytes)
        invalid.extend(plan.invalid)
        for name, reason in plan.invalid:
            click.echo(f"FAILED {shown(name)}: {shown(reason)}", err=True)
        if not as_json:
            checks = sum(1 for change in plan.copies if change.action == "check")
            compare = f", {checks:,} to compare" if checks else ""
            click.echo(
                f"{len(plan.copies) - checks:,} file(s) to copy{compare} ({human_size(plan.bytes)}), "
                f"{len(plan.deletes):,} to delete, {plan.unchanged:,} unchanged.",
                err=True,
            )

    def done(change: Change, outcome: str, error: BaseException | None) -> None:
        if change.action != "delete":
            progress.add_file()
        if error is not None and outcome == "failed":
            click.echo(f"FAILED {shown(change.name)}: {shown(str(error))}", err=True)
        elif as_json or outcome in ("same", "stopped") or outcome.startswith("would"):
            return  # a dry run's lines are printed at the end, in name order
        elif verbose:
            click.echo(f"{outcome:<11} {shown(change.name)}")

    with progress:
        report = sync(source, target, options, on_plan=planned, on_bytes=progress.add_bytes, on_file=done)
    if as_json:
        echo_json(report.as_dict())
    else:
        for name, reason in report.would_copy:
            click.echo(f"copy   {shown(name)}  ({reason})")
        for name in report.would_delete:
            click.echo(f"delete {shown(name)}  (only in target)")
        click.echo(_summary(report), err=True)
    ctx = click.get_current_context()
    if report.interrupted:
        click.echo("Interrupted: run the same command again to copy the rest.", err=True)
        ctx.exit(ExitCode.INTERRUPTED)
    if report.failed:
        if not as_json and invalid:
            click.echo(
                f"{len(invalid):,} name(s) cannot be copied or deleted as they are (listed above): "
                f"running again will not change that; rename them, or --exclude them.",
                err=True,
            )
        if not as_json and len(report.failed) > len(invalid):
            click.echo(
                "Some files failed (listed above): run the same command again to retry them.", err=True
            )
        ctx.exit(ExitCode.PARTIAL)


COMMANDS = [sync_command]
