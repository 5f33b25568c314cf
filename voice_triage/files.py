"""Owner-only, atomic file writes: the one way reports, prompt WAVs and manifests reach a disk.

Reports and prompt audio are health-like data, and the paths come from people and from folders
other people can write in. So every write here:

* refuses a target that is a symbolic link, a device, a FIFO or a folder (a link is never
  followed, and never replaced: ``--report /dev/stdout`` is an error, not a new file);
* writes a temporary file in the target's own folder, created with ``O_CREAT | O_EXCL |
  O_NOFOLLOW`` at mode 0600 (whatever the umask), syncs it, then renames it over the target, so
  a reader sees the old file or the whole new one, never a partial one;
* on any failure (a full disk, a vanished folder) removes the temporary file and raises a
  ``FileWriteError`` naming the file.

Folders made for reports are 0700; an existing one is tightened to 0700, and one that is a link
is refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path
from typing import Final

from .errors import FileWriteError

#: Owner read/write only, for every file written here.
FILE_MODE: Final = 0o600
#: Owner only, for every folder made here.
DIR_MODE: Final = 0o700
#: Characters of the target's name kept in the temporary file's name (names are at most 255
#: bytes, and the temporary name adds a dot, a random part and a suffix).
_TMP_STEM: Final = 40


def _describe(mode: int) -> str | None:
    """What is wrong with writing over something of this mode; None: a regular file (fine)."""
    if stat.S_ISLNK(mode):
        return "is a symbolic link (reports are never written through a link)"
    if stat.S_ISDIR(mode):
        return "is a folder; give a file name"
    if stat.S_ISREG(mode):
        return None
    return "is not a regular file (a device, pipe or socket)"


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_target(path: Path, what: str = "file") -> Path:
    """Fail now if ``path`` could not be written by :func:`write_bytes`; returns ``path``."""
    if not str(path):
        raise FileWriteError(path, what, "no file name given")
    if "\0" in str(path):
        raise FileWriteError(path, what, "the name holds a NUL character")
    try:
        problem = _describe(os.lstat(path).st_mode)
    except FileNotFoundError:
        problem = None
    except OSError as exc:
        raise FileWriteError(path, what, _why(exc)) from None
    if problem:
        raise FileWriteError(path, what, problem)
    parent = path.parent
    try:
        if not stat.S_ISDIR(os.stat(parent).st_mode):
            raise FileWriteError(path, what, f"{parent} is not a folder")
    except FileNotFoundError:
        raise FileWriteError(path, what, f"the folder {parent} does not exist") from None
    except OSError as exc:
        raise FileWriteError(path, what, _why(exc)) from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise FileWriteError(path, what, f"cannot write in {parent}")
    return path


def write_bytes(path: Path, data: bytes, what: str = "file") -> None:
    """Replace ``path`` with ``data`` atomically, owner-only; ``FileWriteError`` naming it on failure."""
    path = Path(path)
    check_target(path, what)
    parent = str(path.parent)
    tmp_name = f".{path.name[:_TMP_STEM]}.{secrets.token_hex(6)}.tmp"
    try:
        dir_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise FileWriteError(path, what, _why(exc)) from None
    try:
        try:
            fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                         FILE_MODE, dir_fd=dir_fd)
        except OSError as exc:
            raise FileWriteError(path, what, _why(exc)) from None
        try:
            try:
                os.fchmod(fd, FILE_MODE)
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            # The check again, just before the rename: a link put there meanwhile is refused too.
            try:
                problem = _describe(os.lstat(path.name, dir_fd=dir_fd).st_mode)
            except FileNotFoundError:
                problem = None
            if problem:
                raise FileWriteError(path, what, problem)
            os.rename(tmp_name, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name, dir_fd=dir_fd)
            if isinstance(exc, OSError):
                raise FileWriteError(path, what, _why(exc)) from None
            raise
        try:
            os.fsync(dir_fd)  # the rename itself survives a crash
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.EROFS):
                raise FileWriteError(path, what, _why(exc)) from None
    finally:
        os.close(dir_fd)


def write_text(path: Path, text: str, what: str = "file") -> None:
    """:func:`write_bytes` for UTF-8 text."""
    write_bytes(path, text.encode("utf-8", errors="surrogateescape"), what)


def private_dir(path: Path, what: str = "folder") -> Path:
    """``path`` as an owner-only (0700) folder, created with its parents when missing.

    An existing folder is tightened to 0700; a link, a file or a folder of someone else's is an
    error naming it."""
    path = Path(path)
    if not str(path):
        raise FileWriteError(path, what, "no folder name given")
    if "\0" in str(path):
        raise FileWriteError(path, what, "the name holds a NUL character")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise FileWriteError(path, what, _why(exc)) from None
    try:
        if info is None:
            path.mkdir(parents=True, mode=DIR_MODE)
            info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            raise FileWriteError(path, what, "is a symbolic link (reports are never written through a link)")
        if not stat.S_ISDIR(info.st_mode):
            raise FileWriteError(path, what, "exists and is not a folder")
        if info.st_uid != os.geteuid():
            raise FileWriteError(path, what, "belongs to another user")
        if stat.S_IMODE(info.st_mode) != DIR_MODE:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                os.fchmod(fd, DIR_MODE)
            finally:
                os.close(fd)
    except FileExistsError:  # made by someone else between the check and mkdir: look again
        return private_dir(path, what)
    except OSError as exc:
        raise FileWriteError(path, what, _why(exc)) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise FileWriteError(path, what, "cannot write in this folder")
    return path
