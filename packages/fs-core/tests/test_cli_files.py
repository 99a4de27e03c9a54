"""``flask fs`` as a file manager: ls, stat, du, cat, put, get, rm, cp, mv, url, sign (on the
memory backend; the same commands between real services are in the workspace's tests)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

import fs_core as fs
from fs_core.testing import child_env


class Thumbs:
    """A processor: 'x.png' gets 'x-small.png' on save, and loses it on delete."""

    @fs.hookimpl
    def after_save(self, storage, filename):
        if filename.endswith(".png"):
            storage.write(filename[:-4] + "-small.png", b"small", overwrite=True)

    @fs.hookimpl
    def after_copy(self, storage, source, target):
        if source.endswith(".png") and target.endswith(".png"):
            storage.backend.copy(source[:-4] + "-small.png", target[:-4] + "-small.png", overwrite=True)

    @fs.hookimpl
    def after_delete(self, storage, filename):
        if filename.endswith(".png"):
            storage.backend.delete(filename[:-4] + "-small.png")


@pytest.fixture
def env(make_app, fs_register_plugin):
    """An app with three storages: files (anything), images (images only, processed), and
    archive (a private one, upload_to 'in')."""
    files = fs.Storage("files", fs.ALL)
    images = fs.Storage("images", fs.IMAGES)
    archive = fs.Storage("archive", fs.ALL, upload_to="in")
    app = make_app(files, images, archive, ARCHIVE_FS_PRIVATE=True, SERVER_NAME="files.test")
    fs_register_plugin(app, Thumbs())
    runner = app.test_cli_runner()

    class Env:
        pass

    e = Env()
    e.app, e.files, e.images, e.archive = app, files, images, archive
    e.run = lambda *args, **kw: runner.invoke(args=["fs", *args], **kw)
    with app.app_context():
        files.write("a.txt", b"alpha")
        files.write("docs/b.txt", b"bravo!")
        files.write("docs/deep/c.bin", bytes(range(256)) * 4)
        yield e


def ok(result, code=0):
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def test_ls_first_level_long_recursive_json(env):
    assert ok(env.run("ls", "files")).stdout == "a.txt\ndocs/\n"
    assert ok(env.run("ls", "files", "docs")).stdout == "docs/b.txt\ndocs/deep/\n"
    assert ok(env.run("ls", "-r", "files", "docs")).stdout == "docs/b.txt\ndocs/deep/c.bin\n"
    long = ok(env.run("ls", "-l", "files")).stdout.splitlines()
    assert long[0].split()[0] == "5"
    assert "text/plain" in long[0]
    assert "sha256:" in long[0]
    assert long[1].split()[0] == str(6 + 1024)
    assert "2 file(s)" in long[1]
    assert long[1].endswith("docs/")
    rows = json.loads(ok(env.run("ls", "--json", "-r", "files")).stdout)
    assert [r["name"] for r in rows] == ["a.txt", "docs/b.txt", "docs/deep/c.bin"]
    assert rows[2]["size"] == 1024
    assert rows[2]["checksum"].startswith("sha256:")
    assert "3 file(s), 0 folder(s)" in env.run("ls", "-r", "files").stderr


def test_stat_file_folder_and_missing(env):
    meta = json.loads(ok(env.run("stat", "--json", "files", "docs/b.txt")).stdout)
    assert meta["size"] == 6
    assert meta["type"] == "file"
    assert meta["url"] == "http://files.test/files/docs/b.txt"
    folder = json.loads(ok(env.run("stat", "--json", "files", "docs")).stdout)
    assert (folder["type"], folder["files"], folder["size"]) == ("folder", 2, 1030)
    text = ok(env.run("stat", "files", "a.txt")).stdout
    assert "size:" in text
    assert "UTC" in text
    missing = env.run("stat", "files", "nope")
    assert missing.exit_code == 1
    assert "No file or folder named 'nope'" in missing.stderr


def test_du_totals_by_folder(env):
    rows = json.loads(ok(env.run("du", "--json", "files", "-d", "2")).stdout)
    assert rows == [
        {"folder": "docs/", "size": 1030, "files": 2},
        {"folder": "docs/deep/", "size": 1024, "files": 1},
        {"folder": ".", "size": 1035, "files": 3},
    ]
    top = ok(env.run("du", "files", "docs", "-d", "0")).stdout.split()
    assert top[:2] == ["1030", "2"]
    assert top[-1] == "docs"


def test_cat_is_binary_safe_and_reads_ranges(env):
    assert ok(env.run("cat", "files", "docs/deep/c.bin")).stdout_bytes == bytes(range(256)) * 4
    assert ok(env.run("cat", "files", "a.txt", "--range", "1-3")).stdout_bytes == b"lph"
    assert ok(env.run("cat", "files", "a.txt", "--range", "3-")).stdout_bytes == b"ha"
    assert ok(env.run("cat", "files", "a.txt", "--range", "-2")).stdout_bytes == b"ha"
    assert ok(env.run("cat", "files", "a.txt", "--range", "2-99")).stdout_bytes == b"pha"
    assert env.run("cat", "files", "a.txt", "--range", "5-2").exit_code == 2
    missing = env.run("cat", "files", "missing")
    assert missing.exit_code == 1
    assert "(FileNotFound in files): flask fs ls files shows what it holds." in missing.stderr
    # From the end of the file or past it, or any START- of an empty file: nothing (as
    # tail -c +N prints), not "the end is before the start".
    env.files.write("empty.txt", b"")
    for name, byte_range in (("a.txt", "5-"), ("a.txt", "100-"), ("empty.txt", "0-"), ("empty.txt", "-3")):
        assert ok(env.run("cat", "files", name, "--range", byte_range)).stdout_bytes == b"", byte_range
    assert "START-END" in env.run("cat", "files", "a.txt", "--range", "--2").stderr


def test_put_follows_the_storage_policy_and_processors(env, tmp_path):
    (tmp_path / "cat.png").write_bytes(b"png!")
    (tmp_path / "notes.txt").write_text("hi")
    result = ok(env.run("put", "images", str(tmp_path / "cat.png"), "-p", "2024"))
    assert result.stdout == "2024/cat.png\n"
    assert env.images.read("2024/cat-small.png") == b"small"  # the processor ran
    refused = env.run("put", "images", str(tmp_path / "notes.txt"))
    assert refused.exit_code == 1
    assert "UnauthorizedFileType" in refused.stderr
    assert not env.images.exists("notes.txt")
    raw = ok(env.run("put", "images", str(tmp_path / "notes.txt"), "--raw", "-n", "x/notes.txt"))
    assert raw.stdout == "x/notes.txt\n"
    assert env.images.read("x/notes.txt") == b"hi"
    assert ok(env.run("put", "archive", str(tmp_path / "notes.txt"))).stdout == "in/notes.txt\n"  # UPLOAD_TO


def test_put_conflicts_stdin_and_folders(env, tmp_path):
    (tmp_path / "a.txt").write_text("new")
    taken = env.run("put", "files", str(tmp_path / "a.txt"))
    assert taken.exit_code == 1
    assert "--overwrite" in taken.stderr
    assert env.files.read("a.txt") == b"alpha"
    ok(env.run("put", "files", str(tmp_path / "a.txt"), "--overwrite"))
    assert env.files.read("a.txt") == b"new"
    assert (
        ok(env.run("put", "files", "-", "-n", "in/stdin.bin", input=b"\x00\xff")).stdout == "in/stdin.bin\n"
    )
    assert env.files.read("in/stdin.bin") == b"\x00\xff"
    assert env.run("put", "files", "-").exit_code == 2  # stdin needs a name
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "one.txt").write_text("1")
    (tree / "sub" / "two.txt").write_text("2")
    assert env.run("put", "files", str(tree)).exit_code == 2  # a folder needs -r
    result = ok(env.run("put", "files", str(tree), "-r", "-p", "up"))
    assert result.stdout.split() == ["up/tree/one.txt", "up/tree/sub/two.txt"]
    # Several files, one refused: the others are stored, the status says some failed.
    (tree / "one.txt").write_text("changed")
    partly = env.run("put", "files", str(tree / "one.txt"), str(tree / "sub" / "two.txt"), "-p", "up/tree")
    assert partly.exit_code == 3, partly.output
    assert "FAILED" in partly.stderr


def test_put_of_a_folder_does_not_follow_links_out_of_it(env, tmp_path):
    """As sync from a local folder does not (fs-local's rule): a link planted in a folder
    that is put must not carry a file from elsewhere on the machine into the storage."""
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.pem").write_text("private")
    tree = tmp_path / "tree"
    (tree / "docs").mkdir(parents=True)
    (tree / "docs" / "a.txt").write_text("a")
    (tree / "key.pem").symlink_to(secret / "key.pem")
    (tree / "also.txt").symlink_to(tree / "docs" / "a.txt")  # a link inside the folder is read
    result = ok(env.run("put", "files", str(tree), "-r", "-p", "up"))
    assert result.stdout.split() == ["up/tree/also.txt", "up/tree/docs/a.txt"]
    assert not env.files.exists("up/tree/key.pem")
    assert f"skipped {tree / 'key.pem'}: a symbolic link out of its folder" in result.stderr
    # A link named on the command line is the user's own choice: it is read.
    assert ok(env.run("put", "files", str(tree / "key.pem"))).stdout == "key.pem\n"


def test_get_writes_atomically_and_refuses_to_replace(env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ok(env.run("get", "files", "docs/b.txt"))
    assert (tmp_path / "b.txt").read_bytes() == b"bravo!"
    assert env.run("get", "files", "docs/b.txt").exit_code == 1  # exists
    (tmp_path / "out").mkdir()
    ok(env.run("get", "files", "docs/deep/c.bin", "out"))
    assert (tmp_path / "out" / "c.bin").read_bytes() == bytes(range(256)) * 4
    assert ok(env.run("get", "files", "a.txt", "-")).stdout_bytes == b"alpha"
    ok(env.run("get", "files", "a.txt", "b.txt", "--overwrite"))
    assert (tmp_path / "b.txt").read_bytes() == b"alpha"
    folder = env.run("get", "files", "docs")
    assert folder.exit_code == 2
    assert "flask fs sync files:docs" in folder.stderr

    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            raise OSError("the disk went away")

    monkeypatch.setattr(env.files.backend, "open_read", lambda name: Broken())
    failed = env.run("get", "files", "a.txt", "broken.txt")
    assert failed.exit_code != 0
    assert sorted(os.listdir(tmp_path)) == ["b.txt", "out"]  # no partial file, no temporary


def test_rm_files_and_folders(env):
    ok(env.run("put", "images", "-", "-n", "p.png", input=b"png"))
    assert ok(env.run("rm", "images", "p.png")).stdout == "deleted p.png\n"
    assert not env.images.exists("p-small.png")  # what was derived went with it
    asked = env.run("rm", "files", "docs")  # a folder: confirmation, and no terminal to ask
    assert asked.exit_code == 1
    assert "--yes" in asked.stderr
    assert env.files.exists("docs/b.txt")
    assert "folder docs/ (2 file(s))" in ok(env.run("rm", "files", "docs", "-y")).stdout
    assert list(env.files.list_files()) == ["a.txt"]
    assert env.run("rm", "files", "nope").exit_code == 1
    partly = env.run("rm", "files", "a.txt", "nope")
    assert partly.exit_code == 3
    assert "No file or folder named 'nope'" in partly.stderr


def test_folders_as_ls_prints_them_with_a_slash(env):
    """ls prints a folder as 'docs/': stat, rm and cp take it back as it was printed."""
    assert "docs/" in ok(env.run("ls", "files")).stdout.split()
    folder = json.loads(ok(env.run("stat", "--json", "files", "docs/")).stdout)
    assert (folder["name"], folder["type"], folder["files"]) == ("docs/", "folder", 2)
    ok(env.run("cp", "-r", "files:docs/", "archive:copy/"))
    assert sorted(env.archive.list_files()) == ["in/copy/docs/b.txt", "in/copy/docs/deep/c.bin"]  # UPLOAD_TO
    for whole in ("/", "//", ""):  # never the whole storage
        assert env.run("rm", "files", whole, "-y").exit_code != 0, whole
    assert "folder docs/deep/ (1 file(s))" in ok(env.run("rm", "files", "docs/deep/", "-y")).stdout
    assert sorted(env.files.list_files()) == ["a.txt", "docs/b.txt"]


def test_cp_and_mv_within_and_between_storages(env):
    ok(env.run("put", "images", "-", "-n", "p.png", input=b"png"))
    assert ok(env.run("cp", "images:p.png", "images:q.png")).stdout == "p.png -> images:q.png\n"
    assert env.images.read("q-small.png") == b"small"  # after_copy ran
    ok(env.run("mv", "images:q.png", "images:old/"))
    assert env.images.exists("old/q.png")
    assert not env.images.exists("q.png")
    assert not env.images.exists("q-small.png")
    assert env.images.exists("old/q-small.png")
    # Into another storage, as an upload: its policy applies...
    refused = env.run("cp", "files:a.txt", "images:a.txt")
    assert refused.exit_code == 1
    assert "UnauthorizedFileType" in refused.stderr
    # ... unless --raw, which copies the bytes as they are.
    ok(env.run("cp", "files:a.txt", "images:a.txt", "--raw"))
    assert env.images.read("a.txt") == b"alpha"
    assert ok(env.run("cp", "files:a.txt", "archive:")).stdout == "a.txt -> archive:in/a.txt\n"
    ok(env.run("mv", "-r", "files:docs", "archive:", "--raw"))
    assert sorted(env.archive.list_files()) == ["docs/b.txt", "docs/deep/c.bin", "in/a.txt"]
    assert list(env.files.list_files()) == ["a.txt"]
    assert env.run("cp", "files:docs", "files:x").exit_code == 1  # gone
    assert env.run("cp", "archive:docs", "files:x").exit_code == 2  # a folder needs -r
    assert env.run("cp", "a.txt", "files:x").exit_code == 2  # STORAGE:NAME


def test_url_and_sign(env):
    assert ok(env.run("url", "files", "docs/b.txt")).stdout == "http://files.test/files/docs/b.txt\n"
    private = env.run("url", "archive", "x.txt")
    assert private.exit_code == 1
    assert "flask fs sign archive x.txt" in private.stderr
    signed = ok(env.run("sign", "archive", "x.txt", "-e", "10m")).stdout.strip()
    assert signed.startswith("http://files.test/archive/x.txt?")
    assert "signature=" in signed
    client = env.app.test_client()
    env.archive.write("x.txt", b"secret")
    assert client.get(signed.removeprefix("http://files.test")).data == b"secret"
    assert env.run("sign", "archive", "x.txt", "-e", "soon").exit_code == 2
    assert env.run("sign", "archive", "x.txt", "--method", "PUT").exit_code == 1  # the view signs GET only


def test_unknown_storage_lists_the_configured_ones(env):
    for args in (
        ("ls", "nope"),
        ("put", "nope", "-", "-n", "x"),
        ("sync", "nope", "files"),
        ("cp", "nope:a", "files:b"),
    ):
        result = env.run(*args, input=b"")
        assert result.exit_code == 2, (args, result.output)
        assert "Configured storages: archive, files, images" in result.stderr


def test_copy_over_an_existing_file_says_how(env):
    env.files.write("b.txt", b"other")
    taken = env.run("cp", "files:a.txt", "files:b.txt")
    assert taken.exit_code == 1
    assert "pass --overwrite to replace it" in taken.stderr
    assert env.files.read("b.txt") == b"other"
    ok(env.run("cp", "files:a.txt", "files:b.txt", "--overwrite"))
    assert env.files.read("b.txt") == b"alpha"
    missing = env.run("verify", "./no-such-folder")
    assert missing.exit_code == 2
    assert "No local folder './no-such-folder'" in missing.stderr


class Unseekable(io.RawIOBase):
    """A response body that can only be read forward (no ranged reads on this service)."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def seekable(self):
        return False

    def readinto(self, buffer):
        return self._data.readinto(buffer)


def test_cat_ranges_of_a_stream_read_forward_only(env, monkeypatch):
    real = env.files.backend.open_read
    monkeypatch.setattr(env.files.backend, "open_read", lambda name: Unseekable(real(name).read()))
    assert ok(env.run("cat", "files", "a.txt", "--range", "2-3")).stdout_bytes == b"ph"
    data = bytes(range(256)) * 4
    assert ok(env.run("cat", "files", "docs/deep/c.bin", "--range", "1000-")).stdout_bytes == data[1000:]
    # Replaced by a longer file between the opening and the size: what was opened ends
    # before the range starts, and nothing is printed (no error, no hang).
    real_metadata = env.files.backend.metadata
    monkeypatch.setattr(env.files.backend, "metadata", lambda name: {**real_metadata(name), "size": 100})
    assert ok(env.run("cat", "files", "a.txt", "--range", "50-")).stdout_bytes == b""


PIPED = """
import sys
from flask import Flask
from flask.cli import ScriptInfo
import fs_core as fs

files = fs.Storage("files", fs.ALL)
app = Flask("piped")
app.config.update(FS_BACKEND="memory", SECRET_KEY="x")
fs.init_app(app, files)
with app.app_context():
    files.write("big.bin", b"x" * (8 << 20))
app.cli.main(["fs", "cat", "files", "big.bin"], prog_name="flask", obj=ScriptInfo(create_app=lambda: app))
"""


def test_cat_into_a_reader_that_goes_away_ends_quietly():
    """flask fs cat ... | head -c 10: head exits, the next write fails with a broken pipe;
    the command ends with status 0 and no traceback or 'Exception ignored' on stderr."""
    child = subprocess.Popen(
        [sys.executable, "-c", PIPED], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env()
    )
    assert child.stdout.read(10) == b"x" * 10
    child.stdout.close()
    stderr = child.stderr.read()
    child.stderr.close()
    assert child.wait(timeout=60) == 0
    assert stderr == b""


def test_put_mistakes_and_files_that_are_not_regular(env, tmp_path):
    (tmp_path / "cat.png").write_bytes(b"png!")
    (tmp_path / "notes.txt").write_text("hi")
    missing = env.run("put", "files", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 2
    assert f"No local file or folder {str(tmp_path / 'nope.txt')!r}" in missing.stderr
    two = env.run("put", "files", str(tmp_path / "cat.png"), str(tmp_path / "notes.txt"), "-n", "x")
    assert two.exit_code == 2
    assert "--name names one file" in two.stderr
    # Several files, one refused by the storage's policy: the others are stored.
    partly = env.run("put", "images", str(tmp_path / "cat.png"), str(tmp_path / "notes.txt"))
    assert partly.exit_code == 3, partly.output
    assert partly.stdout == "cat.png\n"
    assert f"FAILED {tmp_path / 'notes.txt'}: " in partly.stderr
    assert "(UnauthorizedFileType)" in partly.stderr
    # In a folder, a named pipe (reading it would wait forever) and a dangling link are not files.
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_text("a")
    os.mkfifo(tree / "pipe")
    (tree / "dangling").symlink_to(tree / "gone.txt")
    assert ok(env.run("put", "files", str(tree), "-r")).stdout == "tree/a.txt\n"


def test_get_of_a_missing_file_says_so(env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    missing = env.run("get", "files", "docs/nope.txt")
    assert missing.exit_code == 1
    assert "FileNotFound" in missing.stderr
    assert "flask fs ls files" in missing.stderr
    assert os.listdir(tmp_path) == []


def test_a_folder_copy_goes_on_past_the_files_refused(env):
    env.files.backend.write("docs/p.png", b"png")  # (no thumbnail in files)
    result = env.run("cp", "-r", "files:docs", "images:")
    assert result.exit_code == 3, result.output
    assert result.stdout == "docs/p.png -> images:docs/p.png\n"
    failed = sorted(line.split(":")[0] for line in result.stderr.splitlines() if line.startswith("FAILED"))
    assert failed == ["FAILED docs/b.txt", "FAILED docs/deep/c.bin"]
    assert "(UnauthorizedFileType)" in result.stderr
    assert sorted(env.images.list_files()) == ["docs/p-small.png", "docs/p.png"]


def test_ls_of_a_file_deleted_while_listing(env, monkeypatch):
    """A listing without types (as S3's) is completed from each file's metadata; a file
    deleted by someone else in between is still listed, as the listing saw it."""
    backend = env.files.backend
    listed, real = backend.scan, backend.metadata

    def deleted_meanwhile(name):
        if name == "a.txt":
            backend.delete(name)
        return real(name)

    monkeypatch.setattr(backend, "scan", lambda prefix=None: (replace(i, mime=None) for i in listed(prefix)))
    monkeypatch.setattr(backend, "metadata", deleted_meanwhile)
    rows = json.loads(ok(env.run("ls", "--json", "-r", "files")).stdout)
    assert [(r["name"], r["size"], r["mime"]) for r in rows] == [
        ("a.txt", 5, None),
        ("docs/b.txt", 6, "text/plain"),  # from its metadata
        ("docs/deep/c.bin", 1024, "application/octet-stream"),
    ]
    assert rows[0]["checksum"].startswith("sha256:")  # as listed
    assert not env.files.exists("a.txt")
