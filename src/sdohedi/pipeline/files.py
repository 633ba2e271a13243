"""Files we write: created 0600, written to a temp file in the same folder, then renamed."""

from __future__ import annotations

import hashlib
import os
from contextlib import AbstractContextManager as ContextManager
from pathlib import Path
from typing import IO

from ..files import atomic_write


def atomic_text_file(path: str | Path, *, newline: str | None = "") -> ContextManager[IO[str]]:
    """A UTF-8 text file that replaces ``path`` atomically on success (see ``sdohedi.files``)."""
    return atomic_write(path, "w", encoding="utf-8", newline=newline)


class HashingFile:
    """A ``write`` callable for the X12 writers: buffers text, writes ASCII bytes to a 0600 temp
    file and hashes them on the way. ``commit()`` fsyncs and renames into place."""

    def __init__(self, path: str | Path, buffer_size: int = 1 << 16, *, tmp: str | Path | None = None) -> None:
        self.path = Path(path)
        self.tmp = Path(tmp) if tmp is not None else self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self._fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._parts: list[str] = []
        self._pending = 0
        self._limit = buffer_size
        self.sha256 = hashlib.sha256()
        self.size = 0

    def __call__(self, text: str) -> None:
        self._parts.append(text)
        self._pending += len(text)
        if self._pending >= self._limit:
            self._flush()

    def _flush(self) -> None:
        if not self._parts:
            return
        data = "".join(self._parts).encode("ascii")
        self._parts.clear()
        self._pending = 0
        self.sha256.update(data)
        self.size += len(data)
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]

    def finish(self) -> None:
        """Flush and fsync; the file is complete but not yet in place."""
        self._flush()
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = -1

    def commit(self) -> None:
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self.tmp.unlink(missing_ok=True)
