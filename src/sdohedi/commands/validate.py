"""``sdohedi validate``: check X12 files (837P, 835; envelopes of any 5010 file) and write a 999."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..validate import Validator
    from ..validate.findings import Finding

CLEAN, ERRORS, UNREADABLE = 0, 1, 2
_STATUS_NAMES = {CLEAN: "clean", ERRORS: "errors", UNREADABLE: "unreadable"}


class _TextOutput:
    def __init__(self, out) -> None:
        self.out = out

    def start(self, path: str) -> None:
        pass

    def finding(self, path: str, f: Finding) -> None:
        self.out.write(f"{path}: {f}\n")

    def end(self, path: str, v: Validator | None, status: int, note: str | None) -> None:
        if note:
            self.out.write(f"{path}: {note}\n")
        if v is not None:
            self.out.write(f"{path}: {v.errors} error(s), {v.warnings} warning(s) in {v.segments} segment(s): "
                           f"{_STATUS_NAMES[status]}\n")

    def close(self) -> None:
        self.out.flush()


class _JsonOutput:
    """One JSON document, written as findings arrive (memory stays flat on large files)."""

    def __init__(self, out) -> None:
        self.out = out
        self.files = 0
        self.first_finding = True
        out.write('{"files": [')

    def start(self, path: str) -> None:
        self.out.write(("," if self.files else "") + "\n  {" + f'"path": {json.dumps(path)}, "findings": [')
        self.files += 1
        self.first_finding = True

    def finding(self, path: str, f: Finding) -> None:
        prefix = "" if self.first_finding else ","
        self.first_finding = False
        self.out.write(prefix + "\n    " + json.dumps(f.model_dump(mode="json", exclude_none=True)))

    def end(self, path: str, v: Validator | None, status: int, note: str | None) -> None:
        summary = {"errors": v.errors if v else 0, "warnings": v.warnings if v else 0,
                   "segments": v.segments if v else 0, "status": _STATUS_NAMES[status]}
        if note:
            summary["note"] = note
        self.out.write("]" + "".join(f", {json.dumps(k)}: {json.dumps(x)}" for k, x in summary.items()) + "}")

    def close(self) -> None:
        self.out.write("\n]}\n")
        self.out.flush()


def _ack_path(ack_out: str, file: str, several: bool) -> Path:
    if not several:
        return Path(ack_out)
    folder = Path(ack_out)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (Path(file).name + ".999")


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: one line per finding; json: one document with every file's findings.")
@click.option("--ack-out", type=click.Path(), default=None,
              help="Write a 999 acknowledgment here (with several FILEs: a directory, one FILE.999 each).")
@click.option("--ack-control-number", type=click.IntRange(1, 999_999_999), default=1, show_default=True,
              help="ISA13/GS06 of the (first) 999 written.")
def command(files, fmt, ack_out, ack_control_number):
    """Validate X12 FILEs: syntax and envelopes, the 005010X222A1 (837P) and 005010X221A1 (835)
    implementation guides, balancing, and code sets (procedures, ICD-10-CM Z codes on the date of
    service, NPI check digits, taxonomy, place of service).

    Findings name the segment by its position in the file, its loop and element; messages never
    quote free-text values. Warnings (a procedure outside the core code set) do not fail a file.

    Exit status: 0 every file clean; 1 errors found; 2 a file could not be read (missing,
    unreadable, or not X12 at all). The highest applies when there are several files.
    """
    from ..ack999 import write_999
    from ..pipeline.files import atomic_text_file
    from ..validate import GuideUnavailable, Validator
    from ..x12 import read_chunks

    try:
        Validator()  # loads the implementation-guide tables once, before any output
    except GuideUnavailable as exc:
        click.echo(f"sdohedi validate: {exc}", err=True)
        sys.exit(UNREADABLE)
    output = _JsonOutput(sys.stdout) if fmt == "json" else _TextOutput(sys.stdout)
    worst = CLEAN
    ack_number = ack_control_number
    for file in files:
        output.start(file)
        v = Validator(keep_results=ack_out is not None)
        status, note = CLEAN, None
        try:
            with open(file, "rb") as f:
                for chunk in read_chunks(f):
                    for finding in v.feed(chunk):
                        output.finding(file, finding)
            for finding in v.close():
                output.finding(file, finding)
        except OSError as exc:
            status, note = UNREADABLE, f"cannot read the file ({exc.strerror or exc})"
            v = None
        if v is not None:
            if v.fatal and v.interchanges == 0:
                status, note = UNREADABLE, "not an X12 interchange"
            elif v.errors:
                status = ERRORS
        output.end(file, v, status, note)
        worst = max(worst, status)
        if ack_out is not None and v is not None and v.results:
            path = _ack_path(ack_out, file, len(files) > 1)
            with atomic_text_file(path) as out:
                ack_number += write_999(v.results, out.write, interchange_control_number=ack_number,
                                        group_control_number=ack_number)
    output.close()
    sys.exit(worst)
