"""``sdohedi remit`` reports an interchange or a payment read twice in one run (exit 1)."""

from __future__ import annotations

import csv
import re

from click.testing import CliRunner

from remit835_samples import CLAIM as SAMPLE_CLAIM, HEADER, SAMPLE, interchange, replace_segment, transaction
from sdohedi.cli import main


def run(*args):
    result = CliRunner().invoke(main, ["remit", *map(str, args)])
    assert "Traceback" not in result.output
    return result


def positions(text: str, segment_id: str) -> list[int]:
    """1-based positions of the segments with that id, from a plain split of the file."""
    return [i for i, s in enumerate(text.split("~"), 1) if s.split("*")[0] == segment_id]


def findings(stderr: str, rule: str) -> list[tuple[str, int]]:
    """(file, segment position) of each finding of ``rule``."""
    return [(m[1], int(m[2])) for m in re.finditer(rf"^(.*?): error \[{rule}\] .*?segment #(\d+)", stderr, re.M)]


def test_the_same_interchange_repeated_in_a_file(tmp_path):
    text = SAMPLE * 3
    path = tmp_path / "thrice.835"
    path.write_text(text)
    out = tmp_path / "p.csv"
    result = run(path, "--out", out)
    assert result.exit_code == 1
    first, *again = positions(text, "ISA")
    assert findings(result.stderr, "repeated-interchange") == [(str(path), p) for p in again]
    assert f"already read in segment #{first} of this file" in result.stderr
    assert "repeated-trace" not in result.stderr  # the interchange finding says it already
    assert len(list(csv.DictReader(out.open()))) == 3  # the output holds what was sent; the finding says so


def test_the_same_file_twice_names_the_first(tmp_path):
    one, two = tmp_path / "a.835", tmp_path / "b.835"
    one.write_text(SAMPLE)
    two.write_text(SAMPLE)
    result = run(one, two, "--out", tmp_path / "p.csv")
    assert result.exit_code == 1
    assert findings(result.stderr, "repeated-interchange") == [(str(two), 1)]
    assert f"already read in {one} (segment #1)" in result.stderr


def test_the_same_trace_number_in_another_interchange(tmp_path):
    other = SAMPLE.replace("000000101", "000000102")  # ISA13 and IEA02: another interchange, same TRN
    path = tmp_path / "two.835"
    path.write_text(SAMPLE + other)
    result = run(path, "--out", tmp_path / "p.csv")
    assert result.exit_code == 1
    trn = positions(SAMPLE + other, "TRN")
    assert findings(result.stderr, "repeated-trace") == [(str(path), trn[1])]
    assert f"already read in segment #{trn[0]} of this file" in result.stderr
    assert "repeated-interchange" not in result.stderr


def test_different_payments_are_not_repeats(tmp_path):
    other_trace = transaction(replace_segment(HEADER, "TRN*", "TRN*1*CHK100201*1930000000") + SAMPLE_CLAIM,
                              st02="0002")
    other_payer = transaction(replace_segment(HEADER, "TRN*", "TRN*1*CHK100200*1999999999") + SAMPLE_CLAIM,
                              st02="0003")
    path = tmp_path / "one.835"
    path.write_text(interchange(transaction(), other_trace, other_payer))
    result = run(path, "--out", tmp_path / "p.csv")
    assert result.exit_code == 0, result.stderr
    assert "repeated" not in result.stderr


