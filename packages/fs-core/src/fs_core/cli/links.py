"""``flask fs url`` and ``flask fs sign``: the public URL of a file, and signed, expiring ones."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..errors import OperationNotSupported
from .helpers import Duration, lookup_storage


@click.command("url", short_help="Print the public URL of a file.")
@click.argument("storage")
@click.argument("name")
@with_appcontext
def url(storage: str, name: str) -> None:
    """Print the public URL of the file NAME of STORAGE (not checked for existence).

    Outside a request the URL is built from the storage's URL (FS_URL, {NAME}_FS_URL) or,
    for files the app serves, from SERVER_NAME and PREFERRED_URL_SCHEME.
    """
    store = lookup_storage(storage)
    try:
        click.echo(store.url(name, external=True))
    except OperationNotSupported as exc:
        raise OperationNotSupported(f"{exc}: flask fs sign {storage} {name}") from None


@click.command("sign", short_help="Print a signed, expiring URL of a file.")
@click.argument("storage")
@click.argument("name")
@click.option(
    "-e",
    "--expires",
    type=Duration(),
    default=None,
    help="Lifetime: seconds, or 30m, 12h, 7d [default: the storage's SIGNED_URL_EXPIRES, else 1h].",
)
@click.option(
    "--method",
    type=click.Choice(["GET", "HEAD", "PUT", "DELETE"], case_sensitive=False),
    default="GET",
    show_default=True,
    help="What the URL allows (other than GET only where the service signs its own URLs).",
)
@click.option("--download-name", help="File name the browser saves it as.")
@click.option("--attachment", is_flag=True, help="Download rather than display in the browser.")
@with_appcontext
def sign(
    storage: str, name: str, expires: int | None, method: str, download_name: str | None, attachment: bool
) -> None:
    """Print a signed URL of the file NAME of STORAGE that expires: the service's own (S3
    presigned) where the backend has one, else one of the app's fs view."""
    store = lookup_storage(storage)
    click.echo(
        store.signed_url(
            name, expires, method=method.upper(), download_name=download_name, as_attachment=attachment
        )
    )


COMMANDS = [url, sign]
