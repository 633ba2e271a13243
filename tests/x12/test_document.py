"""Lossless documents (sdohedi.x12.document over rust/src/document.rs).

Oracles: the input's own bytes (read -> write must give them back), the core GuideWalker (itself
differential-tested against pyx12's walk) for where each segment lands, tests/corpus_split.py's
plain split for how many segments, claims and transaction sets there are, and pyx12's validator
for an edited 837P.
"""

from __future__ import annotations

import os
import stat
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import corpus_split
from conftest import CORPUS, cut_at
from factories import ENVELOPE, RECEIVER, SUBMITTER, TIMESTAMP
from pyx12_oracle import assert_pyx12_clean, pyx12_errors
from strategies import claims
from test_core_tokenizer import stream
from sdohedi import _core
from sdohedi.claims837p import write_837p
from sdohedi.problems import RULES, Problem
from sdohedi.x12 import X12SyntaxError, X12ValueError
from sdohedi.x12.document import iter_documents, iter_transactions, read_document

FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and "licenses" not in p.parts and p.name != "SOURCES.md")
IDS = [f"{p.parent.name}/{p.name}" for p in FILES]
CLAIM_FILE = CORPUS / "837p" / "stupidedi-commercial-health-insurance.edi"


def joined(docs) -> bytes:
    return b"".join(d.to_bytes() for d in docs)


def test_the_corpus_is_all_there():
    kinds = {p.parent.name for p in FILES}
    assert {"837p", "837p-invalid", "835", "999", "277ca", "realworld"} <= kinds and len(FILES) >= 60


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_corpus_file_writes_back_its_bytes(path):
    data = path.read_bytes()
    doc = read_document(path)
    assert doc.to_bytes() == data
    assert read_document(data).to_bytes() == data
    # One document per transaction set and envelope stretch, read 61 bytes at a time: the same bytes.
    docs = list(iter_documents(path, read_size=61))
    assert joined(docs) == data
    assert sum(len(d) for d in docs) == len(doc)
    # The pieces are the file's: head, each segment's text and trailer, tail.
    assert doc.head + b"".join(s.text + s.trailer for s in doc.segments) + doc.tail == data
    for seg in doc.segments:
        assert data[seg.offset:seg.offset + len(seg.text)] == seg.text


def walker_placements(data: bytes) -> list:
    walker = _core.GuideWalker()
    out = []
    try:
        out += walker.feed(data)
        out += walker.close()
    except X12SyntaxError:
        pass
    return out


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_loop_ids_agree_with_the_guide_walker(path):
    data = path.read_bytes()
    doc = read_document(data)
    want = [(p.position, p.segment, p.loop, p.path, p.loop_path) for p in walker_placements(data)]
    got = [(s.position, s.id, s.loop_id, s.path, s.loop.path if s.path else None) for s in doc.segments]
    assert got == want
    # Every segment sits in the tree: its loop's chain of parents ends at an interchange.
    for seg in doc.segments:
        top = seg.loop
        while top.parent is not None:
            assert seg.index >= top.first
            top = top.parent
        assert top.id == "ISA_LOOP"


def plain_split(data: bytes):
    try:
        return corpus_split.split(data)
    except ValueError:  # no fixed-width ISA: the plain split cannot read it
        pytest.skip("the plain split reads fixed-width ISAs only")


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_segment_counts_agree_with_a_plain_split(path):
    data = path.read_bytes()
    want = plain_split(data)
    doc = read_document(data)
    assert Counter(s.id for s in doc.segments) == want.ids
    assert [t.segments[0]["ST01"] for t in doc.transactions] == want.transaction_sets
    assert len(doc.interchanges) == want.ids["ISA"] and len(doc.groups) == want.ids["GS"]
    if path.parent.name == "837p":  # valid 837Ps: each claim opens a 2300
        assert len(doc.loops("2300")) == want.ids["CLM"]
        got = Counter((c.segment("CLM")["CLM01"], corpus_split.cents(c.segment("CLM")["CLM02"]))
                      for c in doc.loops("2300"))
        assert got == want.claim_charges
    if path.parent.name == "835":
        assert len(doc.loops("2100")) == want.ids["CLP"]
    streamed = list(iter_transactions(path, read_size=97))
    assert len(streamed) == len(want.transaction_sets)
    assert [t.segments[0]["ST02"] for t in streamed] == [t.segments[0]["ST02"] for t in doc.transactions]


def test_a_split_stream_holds_one_transaction_set_at_a_time():
    path = CORPUS / "837p" / "imsweb-x12_multiple_isa.txt"
    data = path.read_bytes()
    docs = list(iter_documents(path, read_size=50))
    whole = read_document(data)
    txs = [d for d in docs if d.is_transaction]
    assert len(txs) == len(whole.transactions) >= 2
    for doc, tx in zip(txs, whole.transactions):
        segs = list(tx.walk())
        # exactly its ST..SE, nothing of the envelope around it
        assert [s.position for s in doc.segments] == [s.position for s in segs]
        assert doc.segments[0].id == "ST" and doc.segments[-1].id == "SE"
        assert [s.id for s in doc.envelope] == ["ISA", "GS"]
        assert doc.transactions[0].parent is None
    # the envelope documents hold the rest
    assert {s.id for d in docs if not d.is_transaction for s in d.segments} == {"ISA", "GS", "GE", "IEA"}


def test_navigation_by_loops_and_element_references():
    doc = read_document(CLAIM_FILE)
    (tx,) = doc.transactions
    assert tx.parent.id == "GS_LOOP" and tx.parent.parent.id == "ISA_LOOP"
    (claim,) = tx.loops("2300")
    clm = claim.segments[0]
    raw = clm.text.decode().split("*")
    assert (clm.id, clm.loop_id, clm.loop is claim) == ("CLM", "2300", True)
    assert clm["CLM01"] == clm[1] == raw[1] and clm["CLM02"] == raw[2]
    assert clm["CLM05-1"] == raw[5].split(":")[0] == clm.components(5)[0]
    assert clm[40] == "" and clm["CLM05-9"] == ""
    with pytest.raises(KeyError):
        clm["SV101"]
    lines = claim.loops("2400")
    assert [ln.segment("LX")[1] for ln in lines] == [str(i + 1) for i in range(len(lines))]
    assert all(ln.parent is claim for ln in lines)
    sv1 = lines[0].segment("SV1")
    composite = sv1.text.split(b"*")[1].decode().split(":")
    assert sv1["SV101-2"] == sv1["SV101-02"] == composite[1] and sv1["SV101-1"] == composite[0]
    for bad in ("SV1", "SV101-0", "SV1X01", "SV10"):
        with pytest.raises(KeyError):
            sv1[bad]
    # the items of a loop, in order, are the segments from its first to its last
    assert [s.index for s in claim.walk()] == list(range(clm.index, lines[-1].segments[-1].index + 1))


def test_an_edit_of_clm02_changes_only_that_elements_bytes(tmp_path):
    data = CLAIM_FILE.read_bytes()
    assert_pyx12_clean(data)
    doc = read_document(CLAIM_FILE)
    clm = doc.loops("2300")[0].segment("CLM")
    old = clm["CLM02"]
    clm["CLM02"] = "123.45"
    out = tmp_path / "edited.x12"
    doc.write(out)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    edited = out.read_bytes()
    # where CLM02 is, found by a plain search of the input, not by our reader
    at = data.index(b"CLM*") + len(b"CLM*") + data[data.index(b"CLM*") + 4:].index(b"*") + 1
    assert data[at:at + len(old)] == old.encode()
    assert edited == data[:at] + b"123.45" + data[at + len(old):]
    assert read_document(edited).loops("2300")[0].segment("CLM")["CLM02"] == "123.45"
    ok, errors, _ = pyx12_errors(edited)
    assert ok and not errors  # pyx12 does not add charges up: the edited file is still well formed
    clm["CLM02"] = old
    assert doc.to_bytes() == data


def test_edits_of_components_and_past_the_last_element():
    doc = read_document(CLAIM_FILE)
    clm = doc.loops("2300")[0].segment("CLM")
    before = clm.text
    clm["CLM05-2"] = "A"
    assert clm.text.split(b"*")[5].split(b":")[1] == b"A"
    n = len(clm.elements)
    clm[n + 1] = "Z"  # two elements on: an empty one in between
    assert clm.text.endswith(b"**Z") and clm.text.startswith(before.split(b"*")[0])
    for i, seg in enumerate(doc.segments):
        if seg is not clm:
            assert seg.text == read_document(CLAIM_FILE).segments[i].text


@pytest.mark.parametrize("key, value, rule", [
    ("CLM02", "1*2", "delimiter-in-value"), ("CLM02", "1~2", "delimiter-in-value"),
    ("CLM05-1", "1:2", "delimiter-in-value"), ("CLM01", "ĀBC", "invalid-character"), (0, "CLP", "segment-id"),
])
def test_a_refused_edit_names_the_rule_not_the_value_and_changes_nothing(key, value, rule):
    doc = read_document(CLAIM_FILE)
    clm = doc.loops("2300")[0].segment("CLM")
    with pytest.raises(X12ValueError) as e:
        clm[key] = value
    assert e.value.rule == rule and e.value.rule in RULES and value not in str(e.value)
    assert e.value.position == clm.position
    assert doc.to_bytes() == CLAIM_FILE.read_bytes()


def test_structure_problems_are_registered_problems_kept_with_their_segment():
    path = CORPUS / "837p-invalid" / "imsweb-x12_segments_out_of_order.txt"
    doc = read_document(path)
    assert doc.to_bytes() == path.read_bytes()
    problems = doc.problems
    assert problems and all(isinstance(p, Problem) and p.rule in RULES for p in problems)
    assert all(p.location.file == str(path) for p in problems)
    # the walker's own findings, at the same positions
    want = sorted((q.rule, q.position) for p in walker_placements(path.read_bytes()) for q in p.problems)
    assert sorted((p.rule, p.location.position) for p in problems) == want
    values = {e for s in doc.segments for e in s.elements[1:] if len(e) >= 4}
    assert not any(v in p.message for p in problems for v in values)


def test_a_group_without_a_guide_still_has_its_envelope_levels():
    data = CLAIM_FILE.read_bytes().replace(b"005010X222A1", b"004010X098A1")
    doc = read_document(data)
    assert doc.to_bytes() == data
    (tx,) = doc.transactions
    assert [s.id for s in tx.segments][0] == "ST" and tx.segments[-1].id == "SE"
    assert len(tx.segments) == data.count(b"~") - 4  # every segment of the set, none placed deeper
    assert all(s.loop_id is None for s in tx.segments)


def test_what_cannot_be_read_is_the_tail_with_its_rule():
    data = CLAIM_FILE.read_bytes()
    cut = data[:data.rindex(b"IEA") + 5]
    doc = read_document(cut)
    assert doc.to_bytes() == cut and doc.tail.startswith(b"IEA")
    assert doc.failure.rule == "truncated" and [p.rule for p in doc.problems] == ["truncated"]
    assert doc.problems[0].location.position == len(doc) + 1
    with pytest.raises(X12SyntaxError) as e:
        list(iter_transactions(cut))
    assert e.value.rule == "truncated"
    junk = read_document(b"no X12 here")
    assert (len(junk), junk.tail, junk.failure.rule) == (0, b"no X12 here", "isa-missing")


# Delimiter sets whose characters no generated value holds, so the plain split can count.
DELIMITERS = [b"*:^~", b"\x1d\x1f\x1e\x1c", b"|>{!", b"*:^\n"]
BREAKS = [b"", b"\n", b"\r\n"]


@st.composite
def claim_files(draw) -> tuple[bytes, int]:
    """An 837P from the writer with its delimiters changed, line breaks after segments, maybe a BOM."""
    cs = draw(st.lists(claims(), min_size=1, max_size=4))
    out: list[str] = []
    write_837p(cs, out.append, submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE,
               interchange_control_number=7, group_control_number=8, timestamp=TIMESTAMP,
               max_claims_per_transaction=draw(st.integers(1, 3)))
    text = "".join(out).encode("latin-1")
    new = draw(st.sampled_from(DELIMITERS))
    if any(c in text for c in new if c not in b"*:^~"):
        new = DELIMITERS[0]
    text = text.translate(bytes.maketrans(b"*:^~", new))
    segs = text.split(new[3:4])[:-1]
    term = new[3:4]
    breaks = draw(st.lists(st.sampled_from(BREAKS if term != b"\n" else [b""]), min_size=len(segs),
                           max_size=len(segs)))
    body = b"".join(s + term + b for s, b in zip(segs, breaks))
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\n"])) + body, len(cs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claim_files(), st.lists(st.integers(0, 5000), max_size=5))
def test_generated_837ps_write_back_and_count_as_the_split(made, cuts):
    data, n_claims = made
    doc = read_document(data)
    assert doc.to_bytes() == data and doc.failure is None
    assert len(doc.loops("2300")) == n_claims
    assert Counter(s.id for s in doc.segments) == corpus_split.split(data).ids
    assert not [p for p in doc.problems if p.rule in ("segment-unknown", "segment-unexpected")]
    docs = list(iter_documents(cut_at(data, cuts)))
    assert joined(docs) == data
    assert sum(len(d.loops("2300")) for d in docs) == n_claims


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600) | stream(), st.lists(st.integers(0, 700), max_size=6))
def test_any_bytes_give_a_document_that_writes_them_back(data, cuts):
    doc = read_document(data)
    assert doc.to_bytes() == data
    assert joined(iter_documents(cut_at(data, cuts))) == data
    for seg in doc.segments:
        assert seg.id == seg.elements[0] and data[seg.offset:seg.offset + len(seg.text)] == seg.text
        assert seg.loop.document is doc
    assert all(p.rule in RULES for p in doc.problems)
    if doc.failure is not None:
        assert isinstance(doc.failure, X12SyntaxError) and doc.tail == data[len(data) - len(doc.tail):]


def test_an_isa_off_its_fixed_offsets_is_read_with_a_finding_and_written_back():
    data = CLAIM_FILE.read_bytes()
    isa_end = data.index(b"GS")
    fields = data[:isa_end].decode().split("*")
    fields[2] = ""  # ISA02 not padded to 10 blanks: the ISA is no longer 106 bytes
    short = "*".join(fields).encode() + data[isa_end:]
    doc = read_document(short)
    assert doc.to_bytes() == short and doc.failure is None
    assert [p.rule for p in doc.problems if p.rule == "isa-fixed-length"] == ["isa-fixed-length"]
    assert len(doc.transactions) == 1 and len(doc.loops("2300")) == 1
