"""Data after the last IEA that is not an interchange (a mail footer, a second file's torn head)
must not take down the complete interchanges before it: the tokenizer hands them out and raises
the error afterwards, and the 835 parser, the 837P reader and the CLI keep every claim read.

Expected segments and claims come from a plain split of the valid file, not from our readers."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings, strategies as st

from conftest import CORPUS, cut_at
from round_trip_support import run
from sdohedi.claims837p import Reader837P
from sdohedi.remit835 import Parser835
from sdohedi.x12 import Tokenizer, X12Error

ERA = CORPUS / "835" / "stupidedi-era-sample.edi"
CLAIMS = CORPUS / "837p" / "stupidedi-ambulance.edi"
# Long enough to be read as an ISA head, which it is not.
TRAILER = b"GARBAGE AFTER THE LAST INTERCHANGE, LONG ENOUGH TO BE TAKEN FOR AN ISA HEAD BY A READER~"


def plain_segments(data: bytes) -> list[str]:
    term = chr(data[105])
    return [p for p in data.decode("latin-1").replace("\r", "").replace("\n", "").split(term) if p.strip()]


def plain_count(data: bytes, segment_id: str) -> int:
    sep = chr(data[3])
    return sum(1 for s in plain_segments(data) if s.split(sep)[0] == segment_id)


@settings(max_examples=60)
@given(cuts=st.lists(st.integers(0, len(ERA.read_bytes()) + len(TRAILER)), max_size=6))
def test_the_readers_tokenizer_hands_out_every_complete_segment_before_the_error(cuts):
    data = ERA.read_bytes()
    tokenizer = Tokenizer(strict=False, join_lines=True)
    pieces: list[str] = []
    with pytest.raises(X12Error) as raised:
        for chunk in cut_at(data + TRAILER, cuts):
            for _, _, batch in tokenizer.feed_batches(chunk):
                pieces += batch
        for _, _, batch in tokenizer.close_batches():
            pieces += batch
        tokenizer.check()
    assert raised.value.rule == "isa-missing"
    assert pieces == plain_segments(data)


def test_835_parser_keeps_the_remittances_before_trailing_data():
    data = ERA.read_bytes()
    parser = Parser835()
    remits = parser.feed(data + TRAILER)
    with pytest.raises(X12Error):
        remits += parser.close()
    assert sum(len(r.claims) for r in remits) == plain_count(data, "CLP") > 0


def test_837p_reader_keeps_the_claims_before_trailing_data():
    data = CLAIMS.read_bytes()
    reader = Reader837P(lenient=True)
    claims = reader.feed(data + TRAILER)
    with pytest.raises(X12Error):
        claims += reader.close()
    assert len(claims) == plain_count(data, "CLM") > 0


def test_remit_writes_the_claims_and_names_the_error(tmp_path):
    era = tmp_path / "era.835"
    era.write_bytes(ERA.read_bytes() + TRAILER)
    out = tmp_path / "payments.csv"
    result = run("remit", era, "--out", out, "--claims")  # an exception would propagate
    assert result.exit_code == 1, result.output
    assert "isa-missing" in result.stderr and "era.835" in result.stderr
    with open(out) as f:
        assert len(list(csv.DictReader(f))) == plain_count(ERA.read_bytes(), "CLP")
