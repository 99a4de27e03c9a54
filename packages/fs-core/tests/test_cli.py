from __future__ import annotations

import json

import click

import fs_core as fs


def test_plugins_can_add_commands(make_app, fs_register_plugin):
    class Commands:
        @fs.hookimpl
        def register_commands(self, cli):
            @cli.command("hello")
            @click.argument("who")
            def hello(who):
                click.echo(f"hello {who}")

    app = make_app()
    fs_register_plugin(app, Commands())
    # Commands are collected when the group is built (at init_app): rebuild it for the test.
    from fs_core.cli import make_cli

    app.cli.add_command(make_cli(app.extensions["fs"]))
    result = app.test_cli_runner().invoke(args=["fs", "hello", "world"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello world\n"
    other = make_app()
    assert other.test_cli_runner().invoke(args=["fs", "hello", "x"]).exit_code != 0


def test_storages_and_ls(make_app):
    files, images = fs.Storage("files"), fs.Storage("images", fs.IMAGES)
    app = make_app(files, images, IMAGES_FS_PRIVATE=True)
    with app.app_context():
        files.write("b/2.txt", b"22")
        files.write("a.txt", b"1")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["fs", "storages"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["files"]["backend"] == "memory"
    assert rows["images"]["private"] is True
    assert "atomic_create" in rows["files"]["capabilities"]
    result = runner.invoke(args=["fs", "ls", "files"])
    assert result.stdout == "a.txt\nb/\n"
    result = runner.invoke(args=["fs", "ls", "-r", "files"])
    assert result.stdout == "a.txt\nb/2.txt\n"
    result = runner.invoke(args=["fs", "ls", "-l", "files", "b"])
    assert result.stdout.split()[0] == "2"
    assert result.stdout.rstrip().endswith("b/2.txt")
    result = runner.invoke(args=["fs", "ls", "nope"])
    assert result.exit_code != 0
    assert "Configured storages: files, images" in result.output


def test_core_errors_are_messages_not_tracebacks(make_app):
    """A name from a terminal can be anything (bytes that are not UTF-8 arrive as lone
    surrogates): the command says what is wrong and exits 1."""
    files = fs.Storage("files")
    app = make_app(files)
    runner = app.test_cli_runner()
    for prefix in ("\udcff", "../etc", "a\x00b"):
        result = runner.invoke(args=["fs", "ls", "files", prefix])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Error: " in result.output
        assert "InvalidFilename" in result.output
        assert "Traceback" not in result.output


def test_names_cannot_drive_the_terminal(make_app):
    """A name can hold an escape sequence (set a terminal's title, rewrite the screen):
    listings print it escaped."""
    files = fs.Storage("files", fs.ALL)
    app = make_app(files)
    with app.app_context():
        files.backend.write("\x1b]0;owned\x07report.txt", b"x")  # as another program wrote it
        files.write("файл.txt", b"x")
    result = app.test_cli_runner().invoke(args=["fs", "ls", "files"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "\x07" not in result.output
    assert "\\x1b]0;owned\\x07report.txt" in result.stdout
    assert "файл.txt" in result.stdout
