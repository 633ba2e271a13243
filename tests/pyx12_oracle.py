"""pyx12 as an independent oracle: validate a file and return its ERROR messages."""

from __future__ import annotations

import io
import logging
import os
import tempfile

import pyx12.params
import pyx12.x12n_document


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def pyx12_errors(data: bytes | str, *, ack: bool = False) -> tuple[bool, list[str], str | None]:
    """Validate ``data`` with pyx12. Returns (ok, error messages, 999 text when ``ack``).

    ``ack`` must be False for 835 input (pyx12's 999 writer fails there).
    """
    if isinstance(data, str):
        data = data.encode("ascii")
    fd, path = tempfile.mkstemp(suffix=".x12")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        handler = _Collect()
        logger = logging.getLogger("pyx12")
        old_level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.ERROR)
        fd_997 = io.StringIO() if ack else None
        try:
            ok = pyx12.x12n_document.x12n_document(
                param=pyx12.params.params(), src_file=path, fd_997=fd_997, fd_html=None, fd_xmldoc=None,
            )
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
        return bool(ok), [r.getMessage() for r in handler.records], (fd_997.getvalue() if fd_997 else None)
    finally:
        os.unlink(path)


def assert_pyx12_clean(data: bytes | str, *, ack: bool = False) -> None:
    ok, errors, _ = pyx12_errors(data, ack=ack)
    assert ok and not errors, f"pyx12 found errors: {errors[:10]}"
