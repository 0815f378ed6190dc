"""mesacheck.fileio: output paths are validated without creating anything, and files are written
atomically (an existing good file survives any failure, no temporary file is left behind)."""
import os
import stat

import pytest

from mesacheck import fileio
from mesacheck.errors import InputError


def listing(root):
    """Every entry under ``root`` (links as their targets, files with their bytes)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                out[rel] = ("dir",)
            elif not os.path.isfile(path):
                out[rel] = ("special", stat.S_IFMT(os.lstat(path).st_mode))
            else:
                with open(path, "rb") as fh:
                    out[rel] = ("file", fh.read(), stat.S_IMODE(os.lstat(path).st_mode))
    return out


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "good.tex").write_bytes(b"GOOD")
    (tmp_path / "dir").mkdir()
    os.symlink(tmp_path / "missing.tex", tmp_path / "dangling.tex")
    os.symlink(tmp_path / "good.tex", tmp_path / "link.tex")
    os.mkfifo(tmp_path / "fifo.tex")
    return tmp_path


@pytest.mark.parametrize("name, message", [
    ("dangling.tex", "symbolic link"), ("link.tex", "symbolic link"), ("dir", "is a directory"),
    ("fifo.tex", "not a regular file"), ("missing/x.tex", "does not exist"), ("x.txt", "must end in"),
    ("good.tex/", "cannot end in"), ("", "expected a file name"), ("x" * 300 + ".tex", "too long"),
    ("a\0b.tex", "expected a file name"),
])
def test_check_output_path_refuses_and_creates_nothing(tree, name, message):
    before = listing(tree)
    path = os.path.join(str(tree), name) if name else ""  # (pathlib would drop a trailing '/')
    suffixes = (".tex",) if name.endswith(".txt") else None
    with pytest.raises(InputError, match=message):
        fileio.check_output_path(path, "-o", suffixes=suffixes)
    assert listing(tree) == before


@pytest.mark.parametrize("path", ["/proc/x.tex", "/proc/self/x.tex", "/sys/x.tex", "/dev/full", "/dev/null",
                                  "/dev/x.tex"])
def test_system_directories_are_refused(path):
    with pytest.raises(InputError):
        fileio.check_output_path(path, "-o")


def test_check_output_path_accepts_new_and_existing_files(tree):
    assert fileio.check_output_path(str(tree / "new.tex"), "-o", (".tex",)) == str(tree / "new.tex")
    assert fileio.check_output_path(str(tree / "good.TEX"), "-o", (".tex",)) == str(tree / "good.TEX")
    # a link in a parent directory is followed (as by any program); only the final name may not be one
    os.symlink(tree / "dir", tree / "dirlink")
    assert fileio.check_output_path(str(tree / "dirlink" / "x.tex"), "-o") == str(tree / "dirlink" / "x.tex")
    assert not os.path.exists(tree / "new.tex")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_directory_and_read_only_file(tree):
    (tree / "ro").mkdir()
    os.chmod(tree / "ro", 0o555)
    with pytest.raises(InputError, match="not writable"):
        fileio.check_output_path(str(tree / "ro" / "x.tex"), "-o")
    os.chmod(tree / "good.tex", 0o444)
    with pytest.raises(InputError, match="read-only"):
        fileio.check_output_path(str(tree / "good.tex"), "-o")


def test_atomic_write_replaces_whole_file_and_keeps_its_mode(tree):
    os.chmod(tree / "good.tex", 0o640)
    assert fileio.write_text(str(tree / "good.tex"), "NEW") == str(tree / "good.tex")
    assert (tree / "good.tex").read_text() == "NEW"
    assert stat.S_IMODE(os.stat(tree / "good.tex").st_mode) == 0o640
    fileio.write_bytes(str(tree / "fresh.bin"), b"\x00\x01")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tree / "fresh.bin").st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failed_write_leaves_the_old_file_and_no_temporary(tree, exc):
    before = listing(tree)
    with pytest.raises(type(exc)):
        with fileio.atomic_open(str(tree / "good.tex"), "w") as fh:
            fh.write("HALF")
            raise exc
    assert listing(tree) == before
    with pytest.raises(type(exc)):
        with fileio.atomic_path(str(tree / "good.tex")) as tmp:
            with open(tmp, "w") as fh:
                fh.write("HALF")
            raise exc
    assert listing(tree) == before


def test_os_errors_become_one_line_input_errors(tree):
    before = listing(tree)
    with pytest.raises(InputError, match="No space left"):
        with fileio.atomic_path(str(tree / "good.tex")):
            raise OSError(28, "No space left on device")
    with pytest.raises(InputError, match="cannot write"):
        fileio.write_text(str(tree / "missing" / "x.tex"), "x")
    assert listing(tree) == before


def test_check_output_dir(tree):
    assert fileio.check_output_dir(str(tree / "new"), "--out") == str(tree / "new")
    assert fileio.check_output_dir(str(tree / "dir") + "/", "--out") == str(tree / "dir")
    os.symlink(tree / "dir", tree / "dirlink")
    for bad, message in [("dirlink", "symbolic link"), ("good.tex", "not a directory"), ("no/new", "does not exist"),
                         ("dangling.tex", "symbolic link")]:
        with pytest.raises(InputError, match=message):
            fileio.check_output_dir(str(tree / bad), "--out")
    with pytest.raises(InputError, match="system directory"):
        fileio.check_output_dir("/proc/out", "--out")
    assert not os.path.exists(tree / "new")


def test_output_directory_appears_complete_or_not_at_all(tree):
    before = listing(tree)
    with pytest.raises(KeyboardInterrupt):
        with fileio.output_directory(str(tree / "rep")) as stage:
            (open(os.path.join(stage, "a.png"), "wb")).close()
            raise KeyboardInterrupt
    assert listing(tree) == before
    with fileio.output_directory(str(tree / "rep")) as stage:
        assert not os.path.exists(tree / "rep")
        with open(os.path.join(stage, "a.png"), "wb") as fh:
            fh.write(b"A")
    assert listing(tree / "rep") == {"a.png": ("file", b"A", listing(tree / "rep")["a.png"][2])}
    assert not [n for n in os.listdir(tree) if n.startswith(".mesacheck-")]


def test_output_directory_into_an_existing_folder_replaces_only_its_files(tree):
    (tree / "dir" / "keep.txt").write_bytes(b"keep")
    (tree / "dir" / "a.png").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with fileio.output_directory(str(tree / "dir")) as stage:
            with open(os.path.join(stage, "a.png"), "wb") as fh:
                fh.write(b"new")
            raise RuntimeError("fail after writing")
    assert (tree / "dir" / "a.png").read_bytes() == b"old"
    with fileio.output_directory(str(tree / "dir")) as stage:
        with open(os.path.join(stage, "a.png"), "wb") as fh:
            fh.write(b"new")
    assert (tree / "dir" / "a.png").read_bytes() == b"new" and (tree / "dir" / "keep.txt").read_bytes() == b"keep"
    assert not [n for n in os.listdir(tree) if n.startswith(".mesacheck-")]
