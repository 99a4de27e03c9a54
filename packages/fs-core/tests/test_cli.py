from __future__ import annotations

import io
import json
import sys

import click
import click.testing
import pytest

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


def test_plugin_commands_get_the_core_helpers(make_app, fs_register_plugin):
    """A plugin's command finds storages, asks, prints JSON and exits as fs-core's do; the
    group runs it in the app's context and turns the core's errors into messages."""
    from fs_core.cli import ExitCode, Progress, confirm, echo_json, json_option, lookup_storage

    class Reindex:
        @fs.hookimpl
        def register_commands(self, cli):
            @cli.command("reindex")
            @click.argument("storage")
            @click.option("--yes", is_flag=True)
            @json_option
            def reindex(storage, yes, as_json):
                store = lookup_storage(storage)
                names = sorted(store.list_files())
                confirm(f"Reindex {len(names)} file(s)?", yes)
                with Progress("Reindexing", files=len(names)) as progress:
                    for _ in names:
                        progress.add_file()
                if as_json:
                    echo_json({"files": names})
                if not names:
                    click.get_current_context().exit(ExitCode.PARTIAL)
                store.read("missing")  # an FSError: a message, status 1

    files = fs.Storage("files")
    app = make_app(files)
    fs_register_plugin(app, Reindex())
    from fs_core.cli import make_cli

    app.cli.add_command(make_cli(app.extensions["fs"]))
    with app.app_context():
        files.write("a.txt", b"a")
    run = app.test_cli_runner().invoke
    unknown = run(args=["fs", "reindex", "nope", "--yes"])
    assert unknown.exit_code == ExitCode.USAGE
    assert "Configured storages: files" in unknown.stderr
    asked = run(args=["fs", "reindex", "files"])
    assert asked.exit_code == 1
    assert "Reindex 1 file(s)? Not asked: no terminal. Pass --yes" in asked.stderr
    done = run(args=["fs", "reindex", "files", "--yes", "--json"])
    assert json.loads(done.stdout) == {"files": ["a.txt"]}
    assert done.exit_code == 1
    assert "No file named 'missing' (FileNotFound in files): flask fs ls files shows" in done.stderr
    assert "Traceback" not in done.output


def test_durations_and_sizes():
    from fs_core.cli import duration, human_size

    assert [duration(v) for v in ("90", "90s", "30m", "12h", "7d", "2w", 5)] == [
        90,
        90,
        1800,
        43200,
        604800,
        1209600,
        5,
    ]
    with pytest.raises(click.BadParameter):
        duration("1y")
    assert [human_size(v) for v in (0, 1023, 1536, 5 << 20, 3 << 40)] == [
        "0 B",
        "1023 B",
        "1.5 KiB",
        "5.0 MiB",
        "3.0 TiB",
    ]


def test_progress_counts_from_threads_and_hides_off_terminal(capsys):
    import threading

    from fs_core.cli import Progress

    with Progress("Copying", files=4, nbytes=4000) as progress:
        threads = [
            threading.Thread(target=lambda: [progress.add_bytes(10) for _ in range(100)]) for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        progress.add_file(4)
    assert (progress.files, progress.bytes) == (4, 4000)
    assert capsys.readouterr().err == ""  # not a terminal: nothing drawn
    assert "4/4 files, 3.9 KiB/3.9 KiB" in progress._status()


class Terminal(io.StringIO):
    """What a user types at a terminal."""

    def isatty(self):
        return True


@pytest.mark.parametrize(("answer", "changes"), [("y\n", True), ("n\n", False), ("\n", False)])
def test_confirm_asks_on_a_terminal(monkeypatch, capsys, answer, changes):
    from fs_core.cli import confirm

    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    if changes:
        confirm("Remove 3 file(s)?")
    else:
        with pytest.raises(click.ClickException, match="Nothing was changed"):
            confirm("Remove 3 file(s)?")
    assert capsys.readouterr().err.startswith("Remove 3 file(s)? [y/N]")


def test_a_plugin_option_of_durations_takes_an_int_default():
    from fs_core.cli import Duration

    @click.command()
    @click.option("--age", type=Duration(), default=3600)
    def show(age):
        click.echo(repr(age))

    runner = click.testing.CliRunner()
    assert runner.invoke(show, []).stdout == "3600\n"
    assert runner.invoke(show, ["--age", "2h"]).stdout == "7200\n"


def test_json_of_sets_and_of_what_it_cannot_write():
    from fs_core.cli import echo_json

    out = io.StringIO()
    echo_json({"kinds": {"b", "a"}, "frozen": frozenset({2, 1})}, file=out)
    assert json.loads(out.getvalue()) == {"kinds": ["a", "b"], "frozen": [1, 2]}
    with pytest.raises(TypeError, match="bytes is not JSON serialisable"):
        echo_json({"data": b"raw"}, file=io.StringIO())


def test_storages_are_looked_up_outside_a_command_too(make_app):
    """A plugin's code calls lookup_storage from a task, not a click command."""
    from fs_core.cli import lookup_storage

    files = fs.Storage("files")
    app = make_app(files)
    with app.app_context():
        assert click.get_current_context(silent=True) is None
        assert lookup_storage("files") is files
        with pytest.raises(click.UsageError, match="Configured storages: files"):
            lookup_storage("nope")


@pytest.mark.parametrize("stderr", [None, "closed"], ids=["no-stderr", "closed-stderr"])
def test_no_progress_drawn_without_a_usable_stderr(monkeypatch, stderr):
    """pythonw has no stderr; a daemon may have closed it: no bar, no crash."""
    from fs_core.cli import Progress
    from fs_core.cli.helpers import _stderr_is_terminal

    if stderr == "closed":
        stderr = io.StringIO()
        stderr.close()
    monkeypatch.setattr(sys, "stderr", stderr)
    assert _stderr_is_terminal() is False
    with Progress("Copying", files=1) as progress:
        progress.add_file()
    assert progress.files == 1


def test_local_folders_are_told_from_storages_by_one_rule():
    """lookup_location and the error report share it: '.', '..', '~', paths with a '/'."""
    from fs_core.cli.helpers import names_local_folder

    for text in (".", "..", "./x", "../x", "/srv", "~", "~/x", "backup/", "a/b"):
        assert names_local_folder(text), text
    for text in ("files", "files:docs", ".hidden", "a..b"):
        assert not names_local_folder(text), text


@pytest.mark.parametrize(
    ("error", "said", "not_said"),
    [
        # A message that merely contains "check" (an action of the backend's) gets the advice.
        (fs.BackendError("Storage 'files': the service failed to check 'a.txt': EIO"), "reachable", None),
        (
            fs.BackendError("Storage 'files': the service refused the key", advice="Check KEY_FILE"),
            "refused the key. Check KEY_FILE (BackendError",
            "reachable",
        ),
    ],
)
def test_a_backends_own_advice_replaces_the_cores(make_app, monkeypatch, error, said, not_said):
    """``BackendError.advice`` says whether the backend told the user what to check: the core
    adds its own advice only where none was given (it used to look for "check" in the text)."""
    from fs_core.memory import MemoryBackend

    def fail(self, filename, mode="rb"):
        raise error

    monkeypatch.setattr(MemoryBackend, "open", fail)
    files = fs.Storage("files")
    app = make_app(files)
    with app.app_context():
        files.write("a.txt", b"1")
    result = app.test_cli_runner().invoke(args=["fs", "cat", "files", "a.txt"])
    assert result.exit_code == 1, result.output
    assert said in result.output
    assert result.output.count("Check") == 1
    if not_said:
        assert not_said not in result.output


@pytest.mark.parametrize(
    "message", ["The key you gave does not exist in our records.", "the key was refused", "refused. "]
)
def test_advice_is_the_sentence_after_the_message(message):
    """A service's own text often ends with a period: the advice follows it as one more
    sentence, never after ``..``."""
    error = fs.BackendError(message, advice="Check KEY_FILE")
    assert error.advice == "Check KEY_FILE"
    assert str(error).endswith("Check KEY_FILE")
    assert ".." not in str(error)
    assert str(error).startswith(message.rstrip().rstrip("."))
    assert str(fs.BackendError(message)) == message  # no advice: the message as given
