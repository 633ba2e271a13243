"""``sdohedi decode``: read an 837P back into claims, one JSON object per line, or (``--tables``)
into the 837P's typed tables (schemas/tables/837p.md), one Parquet or JSON Lines file per table."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..x12 import X12Error


class _Unreadable(Exception):
    """Nothing could be read: abort the output file (atomic_text_file removes it)."""


def claim_json_line(claim) -> str:
    """One claim as a compact JSON line. pydantic's serializer (about 3x faster than
    ``json.dumps(model_dump(mode="json"))``) writes the same text for ASCII values, which is
    all the strict models hold; anything else keeps json.dumps's ``\\u`` escapes."""
    text = claim.model_dump_json()
    if not text.isascii():
        text = json.dumps(claim.model_dump(mode="json"), separators=(",", ":"))
    return text + "\n"


@click.command("decode")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="JSON Lines file to write: one claim per line (mode 0600, replaced atomically). With "
                   "--tables: X.parquet or X.jsonl, written as X.claims.parquet, X.service_lines.parquet, ...")
@click.option("--tables", "as_tables", is_flag=True,
              help="Write the five 837P tables (claims, service_lines, diagnoses, parties, findings; columns in "
                   "schemas/tables/837p.md; no member names, birth dates or ids) instead of the claim models.")
@click.option("--lenient", is_flag=True,
              help="Also read claims that break rules files from others often break, within the TR3's own "
                   "limits: NPI check digits, NUCC taxonomy shape, a PO box as 2010AA address, CLM01 over 20 "
                   "characters, frequency other than 1/7/8, REF*6R over 30 characters or repeated; files of "
                   "005010X222 or 005010X222A2; a 2310B/2420A NPI or taxonomy that is malformed (read without "
                   "it). Each such claim lists them in 'deviations'; the 837P writer refuses it.")
def command(file, out_path, lenient, as_tables):
    """Decode the 837P (005010X222A1) claims in FILE to JSON Lines.

    Each line is one claim with its billing provider, subscriber, patient, payer, rendering
    provider and service lines. Claims that cannot be read are named on stderr by segment
    position (no values are shown: they may be PHI).

    Exit status: 0 every claim read; 1 some claims, envelopes or headers could not be read
    (the others are written); 2 the file could not be read at all (no output is written).
    """
    from ..claims837p.reader import CHUNK_SIZE, Reader837P
    from ..pipeline.files import atomic_text_file
    from ..x12 import X12Error

    if as_tables:
        if lenient:
            raise click.UsageError("--tables reads 005010X222A1 as the guide has it; --lenient is for the claim models")
        sys.exit(_tables(file, Path(out_path)))
    reader = Reader837P(lenient=lenient)
    written = 0
    problems = 0
    fatal: X12Error | None = None

    def report() -> int:
        errors = reader.take_errors()
        for error in errors:
            click.echo(f"{file}: {error}", err=True)
        return len(errors)

    try:
        with open(file, "rb") as source, atomic_text_file(out_path) as out:
            try:
                for chunk in iter(lambda: source.read(CHUNK_SIZE), b""):
                    for claim in reader.feed(chunk):
                        out.write(claim_json_line(claim))
                        written += 1
                    problems += report()
                reader.close()
            except X12Error as exc:
                fatal = exc
            problems += report()
            if fatal is not None and written == 0:
                raise _Unreadable
    except _Unreadable:
        click.echo(f"{file}: error: {fatal}", err=True)
        click.echo(f"{file}: not readable as an 837P; nothing written", err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(f"error: {exc.filename or file}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    if fatal is not None:
        click.echo(f"{file}: error: {fatal} (claims after this point were not read)", err=True)
        problems += 1
    mode = " (lenient)" if lenient else ""
    click.echo(f"{written} claims read{mode} from {reader.transactions} transaction sets -> {out_path}"
               + (f"; {reader.claims_not_read} claims not read, {problems} problems (see stderr)" if problems else ""))
    sys.exit(1 if problems else 0)


def _tables(file: str, out_path: Path) -> int:
    """``--tables``: the exit status (0 clean, 1 findings, 2 nothing read)."""
    from ..claims837p.tables import NAMES, iter_837p_tables
    from ..table_files import TableFormatError, problem_row_text, write_table_files

    try:
        findings, failures, rows = write_table_files(
            [Path(file)], out_path, NAMES, iter_837p_tables, problem_row_text, lambda line: click.echo(line, err=True))
    except TableFormatError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    if failures and not rows["claims"]:
        click.echo(f"{file}: not readable as an 837P; nothing written", err=True)
        return 2
    counts = ", ".join(f"{n} {name}" for name, n in rows.items())
    click.echo(f"{counts} -> {out_path.stem}.*{out_path.suffix}")
    return 1 if findings or failures else 0
