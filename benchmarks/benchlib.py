"""Helpers the benchmark scripts share (not a benchmark itself).

Standard library only: compare.py's children import this under the peers' own pythons, which
have no sdohedi. The scripts find it beside them, as ``python benchmarks/<script>.py`` puts
this folder first on ``sys.path`` (so do their children, which run the same file).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time

CHUNK = 1 << 16  # 64 KiB reads, as the library's readers do (sdohedi.x12.READ_SIZE)


def maxrss_mb() -> float:
    """Peak resident size of this process so far (``ru_maxrss``), in MiB."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1 << 20) if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB elsewhere


def current_rss_mb() -> float:
    """Resident set size now (Linux /proc); the peak so far where that is not available."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return maxrss_mb()


def chunks(path, size: int = CHUNK):
    """The file's bytes, ``size`` at a time."""
    with open(path, "rb") as f:
        while chunk := f.read(size):
            yield chunk


def split_ceiling(path) -> int:
    """The chunked-split ceiling: 64 KiB reads, ``split('~')`` then ``split('*')``, nothing kept.
    Returns the number of segments."""
    n = 0
    rest = ""
    for chunk in chunks(path):
        text = rest + chunk.decode("latin-1")
        end = text.rfind("~")
        rest = text[end + 1:]
        for piece in text[:end].split("~"):
            n += len(piece.split("*")) > 0
    return n


def model_objects(roots) -> list:
    """Every distinct pydantic model object reachable from ``roots``, as (class, field dict)."""
    from pydantic import BaseModel  # only where sdohedi's own Python runs this

    found: list = []
    seen: dict[int, object] = {}  # holds each object, so that its id is not reused by another

    def walk(obj) -> None:
        if isinstance(obj, BaseModel):
            if id(obj) in seen:  # parties shared by many claims are built once
                return
            seen[id(obj)] = obj
            found.append((type(obj), obj.__dict__))
            for value in obj.__dict__.values():
                walk(value)
        elif isinstance(obj, (list, tuple)):
            for value in obj:
                walk(value)

    for root in roots:
        walk(root)
    return found


def split_and_objects_floor(path, objects: list) -> dict:
    """What any reader that builds ``objects`` from the file spends at the least: the chunked
    split of segments and elements, plus creating the same objects the cheapest way pydantic
    allows (``object.__new__`` and a copy of the field dict as ``__dict__``), with the
    collector paused as our readers pause it. The rest of a target's time is all that is left
    for the parsing logic."""
    import gc

    gc.disable()
    try:
        n = split_ceiling(path)
        new, set_attr = object.__new__, object.__setattr__
        for cls, values in objects:
            set_attr(new(cls), "__dict__", values.copy())
    finally:
        gc.enable()
    return {"segments": n, "objects": len(objects)}


class Clock:
    """Wall and CPU time of the timed part only (``stop`` then ``start`` again leaves bookkeeping out).
    ``with Clock() as clock:`` times the block."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self._w = self._c = None

    def start(self) -> None:
        self._w, self._c = time.perf_counter(), time.process_time()

    def stop(self) -> None:
        self.wall += time.perf_counter() - self._w
        self.cpu += time.process_time() - self._c

    def __enter__(self) -> "Clock":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def run_json(cmd: list[str], failure: str) -> dict:
    """Run a child process that prints a JSON object as its last line of output, and return it.
    When the child fails, its stderr is shown and the script exits with ``failure`` and the status."""
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"{failure} (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pyx12_validator(path: str):
    """pyx12's validator (``x12n_document``: no 997/999, no HTML, no XML) set up for ``path``.

    Returns ``(run, errors)``: ``run()`` validates and returns pyx12's verdict; ``errors``
    collects the messages pyx12 logs at level ERROR. Only ``run()`` is what is timed.
    """
    import logging

    import pyx12.params
    import pyx12.x12n_document

    errors: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            errors.append(record.getMessage())

    logger = logging.getLogger("pyx12")
    logger.addHandler(Collect(level=logging.ERROR))
    logger.setLevel(logging.ERROR)

    def run() -> bool:
        return bool(pyx12.x12n_document.x12n_document(param=pyx12.params.params(), src_file=path, fd_997=None,
                                                      fd_html=None, fd_xmldoc=None))

    return run, errors


def print_header(title: str, python_extra: str = "") -> None:
    """The first lines of a benchmark's report: title, date, and the python and machine it runs on."""
    now = dt.datetime.now().astimezone()
    print(title)
    print(f"date:     {now:%Y-%m-%d %H:%M:%S %Z}")
    print(f"python:   {platform.python_implementation()} {sys.version.split()[0]} ({platform.platform()}, "
          f"{os.cpu_count()} CPUs){python_extra}")
