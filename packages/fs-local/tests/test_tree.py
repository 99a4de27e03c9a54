"""fs_local.tree, played exactly: a folder swapped for a link between the listing of its parent
and its opening is never entered, removing a name that is a link removes the link only, and a
folder that cannot be listed goes to ``onerror``."""

from __future__ import annotations

import os

import pytest

from fs_local.tree import remove_tree, walk


@pytest.fixture
def root(tmp_path):
    (tmp_path / "root").mkdir()
    fd = os.open(tmp_path / "root", os.O_RDONLY | os.O_DIRECTORY)
    yield tmp_path / "root", fd
    os.close(fd)


def test_a_folder_swapped_for_a_link_after_the_listing_is_not_entered(root, tmp_path):
    path, fd = root
    (path / "a").mkdir()
    (path / "a" / "inside.txt").write_text("x")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("s")

    def enter(parent, name):
        if name == "a":  # listed as a folder; a link takes its place before it is opened
            (path / "a" / "inside.txt").unlink()
            (path / "a").rmdir()
            (path / "a").symlink_to(tmp_path / "outside")
        return True

    seen = [(where, sorted(e.name for e in entries)) for where, _, entries in walk(fd, enter=enter)]
    assert seen == [("", [])]  # the link was skipped: nothing of outside/ was listed


def test_a_folder_that_cannot_be_listed_goes_to_onerror(root):
    path, _ = root
    (path / "file.txt").write_text("x")
    not_a_folder = os.open(path / "file.txt", os.O_RDONLY)
    errors = []
    try:
        assert [
            where for where, _, _ in walk(not_a_folder, onerror=lambda exc, p: errors.append((p, exc)))
        ] == [""]
        with pytest.raises(NotADirectoryError):
            list(walk(not_a_folder))
    finally:
        os.close(not_a_folder)
    assert [(p, type(exc)) for p, exc in errors] == [("", NotADirectoryError)]


def test_removing_a_link_removes_the_link_not_what_it_leads_to(root, tmp_path):
    path, fd = root
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "kept.txt").write_text("k")
    (path / "link").symlink_to(tmp_path / "outside")
    remove_tree(fd, "link")
    assert not os.path.lexists(path / "link")
    assert (tmp_path / "outside" / "kept.txt").read_text() == "k"


def test_removing_a_name_that_is_a_file_or_nothing(root):
    path, fd = root
    (path / "was-a-folder").write_text("now a file")
    remove_tree(fd, "was-a-folder")
    assert not (path / "was-a-folder").exists()
    remove_tree(fd, b"never-existed")  # gone already: not an error


def test_removing_a_tree_with_links_inside(root, tmp_path):
    path, fd = root
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "kept.txt").write_text("k")
    (path / "t" / "deep" / "er").mkdir(parents=True)
    (path / "t" / "deep" / "er" / "f.txt").write_text("x")
    (path / "t" / "deep" / "to-outside").symlink_to(tmp_path / "outside")
    remove_tree(fd, "t")
    assert os.listdir(path) == []
    assert (tmp_path / "outside" / "kept.txt").read_text() == "k"
