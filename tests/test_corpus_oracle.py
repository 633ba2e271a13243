"""The corpus the repository carries (tests/data/corpus): every file is listed in SOURCES.md with
its source and checksum, and what our readers make of each file agrees with a plain split of its
bytes (corpus_split): claim counts, charges, payments, adjustments and BPR02, to the cent."""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import CORPUS
from corpus_split import Split, cents, segments, split_file
from pyx12_oracle import pyx12_errors
from sdohedi.ack999 import read_999
from sdohedi.claims837p import ClaimNotRead, Reader837P
from sdohedi.cli import main
from sdohedi.remit835 import parse_835_file
from sdohedi.status277 import read_277ca
from sdohedi.x12 import X12Error

FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.parent.name != "licenses" and p.suffix != ".md")
SOURCES = (CORPUS / "SOURCES.md").read_text()
ROW = re.compile(r"^\| `([^`]+)` \| (\S+) \| ([0-9a-f]{40}) \| `([^`]+)` \| ([\w.-]+) \| ([0-9a-f]{64}) \|$", re.M)
LICENSE_TEXTS = {"kputnam/stupidedi": "stupidedi-LICENSE", "imsweb/x12-parser": "imsweb-x12-parser-LICENSE",
                 "azoner/pyx12": "pyx12-LICENSE.txt", "LinuxForHealth/x12": "linuxforhealth-x12-LICENSE"}

def rel(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def split_or_none(path: Path) -> Split | None:
    try:
        return split_file(path)
    except ValueError:  # no ISA, or not fixed width: not X12 for the split either
        return None


def of_kind(kind: str, guide: bytes = b"") -> list:
    """Corpus files whose every transaction set is ``kind`` (and that name ``guide``)."""
    out = []
    for path in FILES:
        s = split_or_none(path)
        if s is not None and s.transaction_sets and set(s.transaction_sets) == {kind} and guide in path.read_bytes():
            out.append(pytest.param(path, id=rel(path)))
    return out


def money(value: Decimal | None) -> int:
    return 0 if value is None else cents(str(value))


# --- the corpus itself ---------------------------------------------------------------------------

def test_every_file_is_listed_with_its_source_license_and_checksum():
    rows = {m[0]: m[1:] for m in ROW.findall(SOURCES)}
    assert sorted(rows) == sorted(rel(p) for p in FILES)
    for path in FILES:
        repo, commit, source_path, license_id, sha = rows[rel(path)]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, rel(path)
        assert license_id in {"BSD-3-Clause", "Apache-2.0"} and source_path
        assert (CORPUS / "licenses" / LICENSE_TEXTS[repo]).is_file()


def test_license_texts_are_the_sources_own():
    texts = {name: (CORPUS / "licenses" / name).read_text() for name in LICENSE_TEXTS.values()}
    for name in ("stupidedi-LICENSE", "imsweb-x12-parser-LICENSE", "pyx12-LICENSE.txt"):
        assert "Redistribution and use in source and binary forms" in texts[name]
        assert "Copyright" in texts[name]
    assert "Apache License" in texts["linuxforhealth-x12-LICENSE"] and "Version 2.0" in \
        texts["linuxforhealth-x12-LICENSE"]


def test_the_corpus_covers_each_kind():
    kinds = Counter(frozenset(s.transaction_sets) for s in map(split_or_none, FILES) if s is not None)
    assert kinds[frozenset({"837"})] >= 30 and kinds[frozenset({"835"})] >= 10
    assert kinds[frozenset({"999"})] >= 3 and kinds[frozenset({"277"})] >= 3


def test_the_split_reads_the_delimiters_from_the_isa():
    # the same interchange written with * ~ : and with ~ _ ^ (imsweb), and the same 835 as one line
    # (stupidedi) and as one segment per line (LinuxForHealth): the same segments
    plain, odd = (split_file(CORPUS / "837p" / f"imsweb-x12_{n}.txt") for n in ("valid", "valid_different_separators"))
    assert plain == odd and plain.ids["CLM"] == 2
    one_line = split_file(CORPUS / "835" / "stupidedi-dollars-and-data-sent-together.edi")
    per_line = split_file(CORPUS / "realworld" / "lfh-medicare-part-a.835")
    assert (one_line.clp03, one_line.clp04, one_line.plb) == (per_line.clp03, per_line.clp04, per_line.plb)


@pytest.mark.parametrize("path", [p for p in FILES if split_or_none(p) is None], ids=rel)
def test_what_the_split_cannot_read_our_readers_refuse(path):
    with pytest.raises(X12Error):
        Reader837P(lenient=True).feed(path.read_bytes())
    with pytest.raises(X12Error):
        list(parse_835_file(path))


# --- 837P: Reader837P against the split ----------------------------------------------------------

@pytest.mark.parametrize("path", of_kind("837"))
def test_837p_reader_accounts_for_every_claim_the_split_sees(path):
    expected = split_file(path)
    reader = Reader837P(lenient=True)
    claims = reader.feed(path.read_bytes()) + reader.close()
    not_read = [e for e in reader.errors if isinstance(e, ClaimNotRead)]
    assert len(claims) + len(not_read) == expected.ids["CLM"]  # each CLM read or reported, none twice
    read = Counter((c.claim_id, money(c.total_charge)) for c in claims)
    assert read <= expected.claim_charges  # every claim read has its file's CLM01 and CLM02
    if not not_read:
        assert sum(money(c.total_charge) for c in claims) == expected.clm02
        assert sum(len(c.lines) for c in claims) == expected.ids["SV1"]
        assert sum(money(ln.charge) for c in claims for ln in c.lines) == expected.sv102


def test_the_clean_837p_files_are_read_whole():
    clean = [p for p in FILES if p.parent.name == "837p" and p.name.startswith("stupidedi-")]
    assert len(clean) == 16
    for path in clean:
        reader = Reader837P(lenient=True)
        claims = reader.feed(path.read_bytes()) + reader.close()
        assert reader.errors == [] and len(claims) == split_file(path).ids["CLM"] == 1


# --- 835: the parser and the remit CSV against the split -----------------------------------------

@pytest.mark.parametrize("path", of_kind("835"))
def test_835_parser_totals_equal_the_split(path):
    expected = split_file(path)
    remittances = list(parse_835_file(path, findings=[]))
    claims = [c for r in remittances for c in r.claims]
    services = [s for c in claims for s in c.services]
    assert len(remittances) == len(expected.transaction_sets)
    assert len(claims) == expected.ids["CLP"] and len(services) == expected.ids["SVC"]
    assert sum(money(r.total_payment) for r in remittances) == expected.bpr02
    assert sum(money(c.charge) for c in claims) == expected.clp03
    assert sum(money(c.paid) for c in claims) == expected.clp04
    assert sum(money(s.charge) for s in services) == expected.svc02
    assert sum(money(s.paid) for s in services) == expected.svc03
    assert sum(money(a.amount) for c in claims for a in c.all_adjustments) == expected.cas
    assert sum(money(p.amount) for r in remittances for p in r.provider_adjustments) == expected.plb


def remit_csv(path: Path, out: Path, *options: str) -> list[dict]:
    result = CliRunner().invoke(main, ["remit", str(path), "--out", str(out), *options])
    assert result.exit_code in (0, 1), result.stderr  # 1: findings; the rows are still written
    with out.open(newline="") as f:
        return list(csv.DictReader(f))


def amount(text: str) -> int:
    return cents(text) if text else 0


@pytest.mark.parametrize("path", of_kind("835"))
def test_remit_csv_totals_equal_the_split(path, tmp_path):
    expected = split_file(path)
    lines = remit_csv(path, tmp_path / "lines.csv")
    claims = remit_csv(path, tmp_path / "claims.csv", "--claims")
    # one payment per transaction set (its control numbers), repeated on each of its rows
    payments = {(r["isa13"], r["gs06"], r["st02"]): r["payment_amount"] for r in lines + claims}
    assert len(payments) == len(expected.transaction_sets)
    assert sum(amount(v) for v in payments.values()) == expected.bpr02
    assert len(claims) == expected.ids["CLP"]
    assert sum(amount(r["charge"]) for r in claims) == expected.clp03
    assert sum(amount(r["paid"]) for r in claims) == expected.clp04
    with_lines = [r for r in lines if r["procedure_code"] or r["charge"]]
    assert len(with_lines) == expected.ids["SVC"]
    assert sum(amount(r["charge"]) for r in with_lines) == expected.svc02
    assert sum(amount(r["paid"]) for r in with_lines) == expected.svc03
    # a claim without lines is one row; so every claim shows up in the line file too
    assert len({(r["st02"], r["claim_id"], r["claim_charge"]) for r in lines}) == \
        len({(r["st02"], r["claim_id"], r["charge"]) for r in claims})


# --- acknowledgments -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", of_kind("999"))
def test_999_reader_gives_each_ak2_its_ik5(path):
    segs = segments(path.read_bytes())
    expected = [(s[2], None) for s in segs if s[0] == "AK2"]
    verdicts = iter(s[1] for s in segs if s[0] == "IK5")  # one IK5 closes each AK2 in these files
    expected = [(number, next(verdicts)) for number, _ in expected]
    groups = [s[2] for s in segs if s[0] == "AK1"]
    ack = read_999([path.read_bytes()])
    assert [g.control_number for g in ack.groups] == groups
    assert [(t.control_number, t.status) for g in ack.groups for t in g.transactions] == expected


@pytest.mark.parametrize("path", of_kind("277", guide=b"005010X214"))
def test_277ca_reader_gives_each_patient_level_its_trace(path):
    traces, at_patient = [], False
    for s in segments(path.read_bytes()):
        if s[0] == "HL":
            at_patient = s[3] == "PT"
        elif s[0] == "TRN" and at_patient:  # TRN02 of the patient level: the claim's CLM01
            traces.append(s[2])
            at_patient = False
    status = read_277ca([path.read_bytes()])
    assert [c.patient_control_number for c in status.claims] == traces


# --- pyx12 on what the tests call valid ----------------------------------------------------------

# The files the reader and remit tests treat as clean examples. stupidedi oxygen and wheelchair are
# not here: pyx12's map rejects their PWK02 = AD (see tests/validate/test_corpus_pyx12.py).
VALID = [p for p in FILES if p.parent.name == "835" or p.name == "pyx12-835_mult_loops.txt"
         or (p.parent.name == "837p" and p.name.startswith("stupidedi-")
             and p.name not in ("stupidedi-oxygen.edi", "stupidedi-wheelchair.edi"))]


@pytest.mark.parametrize("path", VALID, ids=rel)
def test_what_the_tests_call_valid_is_pyx12_clean(path):
    ok, messages, _ = pyx12_errors(path.read_bytes())
    assert ok and messages == []
