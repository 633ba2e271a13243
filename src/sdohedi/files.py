"""Write a file so that readers see either the old content or the new, never half of it.

Every file sdohedi writes goes through here (or through ``pipeline.files.HashingFile`` for
837P interchanges, which also hashes what it writes): mode 0600, temp file beside the target,
fsync, rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600  # our outputs hold PHI: owner read/write only


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **open_kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success flush, fsync and rename it over ``path``.

    The temporary file lives in the same directory so the final ``os.replace`` is a rename on
    one file system (atomic on POSIX). The result has mode 0600 whatever the umask or the mode
    of a file it replaces. On an exception the temporary file is removed and ``path`` is untouched.
    """
    if mode not in ("w", "wb"):
        raise ValueError("atomic_write opens files for writing only ('w' or 'wb')")
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
