"""Writing output files safely: validate first, write to a temporary file beside the target, then
rename it into place, so an interrupted or failed run never leaves a truncated file and an
existing good file survives. Nothing here probes the target by opening it.
"""
import os
import tempfile
from contextlib import contextmanager

from mesacheck.errors import InputError


def check_output_path(path, option, suffixes=None):
    """Validate an output path before any computation; return it as an absolute path.

    Refuses (InputError naming ``option``): an empty name, a directory, a missing parent directory,
    a parent we cannot write into, a symlink (dangling or not: we never write through links), a
    special file (device, fifo, socket), and, when ``suffixes`` is given, a name whose suffix is not
    one of them. Creates and removes nothing.
    """
    if not isinstance(path, str) or not path or "\0" in path:
        raise InputError(f"{option}: expected a file name, got {path!r}")
    shown = path if len(path) <= 80 else path[:77] + "..."
    full = os.path.abspath(path)
    if suffixes is not None:
        ext = os.path.splitext(full)[1].lower()
        if ext not in suffixes:
            raise InputError(f"{option} {shown!r}: the name must end in one of {', '.join(suffixes)}")
    if os.path.islink(full):
        raise InputError(f"{option} {shown!r} is a symbolic link; give the real path")
    if os.path.isdir(full):
        raise InputError(f"{option} {shown!r} is a directory")
    if os.path.exists(full) and not os.path.isfile(full):
        raise InputError(f"{option} {shown!r} is not a regular file")
    parent = os.path.dirname(full)
    if not os.path.isdir(parent):
        raise InputError(f"{option} {shown!r}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{option} {shown!r}: directory {parent} is not writable")
    return full


@contextmanager
def atomic_open(path, mode="w", **kwargs):
    """Open a temporary file in ``path``'s directory; on success rename it onto ``path``.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    full = os.path.abspath(path)
    fd, tmp = tempfile.mkstemp(prefix=".mesacheck-", suffix=".part", dir=os.path.dirname(full))
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, full)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
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
