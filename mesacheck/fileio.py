"""Writing output files safely: validate first, write to a temporary file beside the target, then
rename it into place, so an interrupted or failed run never leaves a truncated file and an
existing good file survives. Nothing here probes a target by opening or creating it.

* :func:`check_output_path` / :func:`check_output_dir` - validate a requested output before any
  computation (they create and remove nothing);
* :func:`atomic_open`, :func:`write_text`, :func:`write_bytes`, :func:`atomic_path` - write one
  file through a temporary sibling renamed onto the target;
* :func:`output_directory` - a directory that is created only when the work succeeds (files
  are staged in a temporary sibling directory); on failure nothing is left behind.
"""
import os
import shutil
import tempfile
from contextlib import contextmanager

from mesacheck.errors import InputError

#: system trees where mesacheck never writes (pseudo file systems and device nodes).
SYSTEM_DIRS = ("/proc", "/sys", "/dev")
_PREFIX = ".mesacheck-"


def shown(text, limit=80):
    """A user-supplied path as it appears in a message: repr, cut to ``limit`` characters."""
    text = str(text)
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _in_system_dir(full):
    real = os.path.realpath(full)
    return any(p == root or p.startswith(root + os.sep) for p in (full, real) for root in SYSTEM_DIRS)


def _check_name(path, option):
    if not isinstance(path, str) or not path or "\0" in path:
        raise InputError(f"{option}: expected a file name, got {shown(path)}")
    full = os.path.abspath(path)
    name = os.path.basename(full)
    if not name or name in (".", ".."):
        raise InputError(f"{option} {shown(path)}: expected a file name, not a directory")
    if path.endswith(os.sep):
        raise InputError(f"{option} {shown(path)}: a file name cannot end in {os.sep!r}")
    try:
        name_max = os.pathconf(os.path.dirname(full), "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        name_max = 255
    if len(os.fsencode(name)) + len(_PREFIX) + 16 > name_max:
        raise InputError(f"{option} {shown(path)}: the file name is too long (at most "
                         f"{name_max - len(_PREFIX) - 16} bytes)")
    if _in_system_dir(full):
        raise InputError(f"{option} {shown(path)} is inside a system directory ({', '.join(SYSTEM_DIRS)})")
    return full


def _check_parent(full, path, option):
    parent = os.path.dirname(full)
    if os.path.islink(parent) and not os.path.exists(parent):
        raise InputError(f"{option} {shown(path)}: directory {shown(parent)} is a dangling symbolic link")
    if not os.path.isdir(parent):
        raise InputError(f"{option} {shown(path)}: directory {shown(parent)} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{option} {shown(path)}: directory {shown(parent)} is not writable")


def check_output_path(path, option, suffixes=None):
    """Validate an output file path before any computation; return it as an absolute path.

    Refuses (InputError naming ``option``): an empty name, a name ending in '/', a directory, a
    missing parent directory, a parent we cannot write into, a path inside /proc, /sys or /dev,
    a symlink (dangling or not: we never write through links), a special file (device, fifo,
    socket), an existing file we may not write, a name too long for the temporary sibling, and,
    when ``suffixes`` is given, a name whose suffix (case-insensitive) is not one of them.
    Creates and removes nothing.
    """
    full = _check_name(path, option)
    if suffixes is not None:
        ext = os.path.splitext(full)[1].lower()
        if ext not in suffixes:
            raise InputError(f"{option} {shown(path)}: the name must end in one of {', '.join(suffixes)}")
    if os.path.islink(full):
        raise InputError(f"{option} {shown(path)} is a symbolic link; give the real path")
    if os.path.isdir(full):
        raise InputError(f"{option} {shown(path)} is a directory")
    if os.path.exists(full):
        if not os.path.isfile(full):
            raise InputError(f"{option} {shown(path)} is not a regular file")
        if not os.access(full, os.W_OK):
            raise InputError(f"{option} {shown(path)} exists and is read-only")
    _check_parent(full, path, option)
    return full


def check_output_dir(path, option):
    """Validate an output directory before any computation; return it as an absolute path.

    The directory may exist (then it must be a real, writable directory, not a symlink) or not
    (then its parent must exist and be writable). Creates nothing.
    """
    if isinstance(path, str) and path.endswith(os.sep) and path.strip(os.sep):
        path = path.rstrip(os.sep)
    full = _check_name(path, option)
    if os.path.islink(full):
        raise InputError(f"{option} {shown(path)} is a symbolic link; give the real path")
    if os.path.exists(full):
        if not os.path.isdir(full):
            raise InputError(f"{option} {shown(path)} exists and is not a directory")
        if not os.access(full, os.W_OK | os.X_OK):
            raise InputError(f"{option} {shown(path)} is not a writable directory")
    _check_parent(full, path, option)
    return full


def _final_mode(full):
    """Mode for the renamed file: that of the file it replaces, else 0666 minus the umask."""
    try:
        return os.stat(full).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _cannot_write(path, exc):
    return InputError(f"cannot write {shown(path)}: {exc.strerror or exc}")


@contextmanager
def atomic_path(path):
    """Yield a fresh temporary path beside ``path`` (same suffix); on success rename it onto
    ``path``. For writers that insist on opening a path themselves. On any exception the
    temporary file is removed and ``path`` is untouched; an OSError (disk full, permissions)
    becomes an InputError naming the path."""
    full = os.path.abspath(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_PREFIX, suffix=os.path.splitext(full)[1] + ".part",
                                   dir=os.path.dirname(full))
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, _final_mode(full))
        os.replace(tmp, full)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise


@contextmanager
def atomic_open(path, mode="w", **kwargs):
    """Open a temporary file in ``path``'s directory; on success rename it onto ``path``.

    On any exception the temporary file is removed and ``path`` is untouched; an OSError (disk
    full, permissions) becomes an InputError naming the path.
    """
    full = os.path.abspath(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_PREFIX, suffix=".part", dir=os.path.dirname(full))
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _final_mode(full))
        os.replace(tmp, full)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise


def write_text(path, text):
    """Write ``text`` to ``path`` atomically (UTF-8); return the absolute path written."""
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return os.path.abspath(path)


def write_bytes(path, data):
    """Write ``data`` to ``path`` atomically; return the absolute path written."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return os.path.abspath(path)


@contextmanager
def output_directory(path):
    """Stage the files of an output directory; publish them only if the block succeeds.

    Yields a temporary directory beside ``path`` to write into. On success: if ``path`` does
    not exist the staging directory is renamed to it (atomically); otherwise each staged file
    is renamed into ``path`` (replacing files of the same name, one atomic rename each). On
    any exception (Ctrl-C included) the staging directory is removed and ``path`` is exactly
    as before. Call :func:`check_output_dir` first.
    """
    full = os.path.abspath(path.rstrip(os.sep) or path)
    stage = tempfile.mkdtemp(prefix=_PREFIX, suffix=".part", dir=os.path.dirname(full))
    try:
        yield stage
        if not os.path.exists(full):
            os.chmod(stage, _final_mode(full) | 0o111)  # mkdtemp made it 0700; a new directory gets 0777 - umask
            os.rename(stage, full)
            return
        for name in sorted(os.listdir(stage)):
            os.replace(os.path.join(stage, name), os.path.join(full, name))
        os.rmdir(stage)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
