"""The streaming parser: what it reads from a hand-written 835, how it reads it in pieces, and
what it says about files that are wrong."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from remit835_samples import CLAIM, CORPUS, HEADER, ISA, PHI, SAMPLE, interchange, parse_all, replace_segment, transaction
from sdohedi.remit835 import Parser835, Remit835Error, parse_835
from sdohedi.x12 import Tokenizer, X12Error, X12SyntaxError


def no_phi(text: str) -> None:
    for word in PHI:
        assert word not in text


def test_sample_fields():
    (r,), envelope = parse_all(SAMPLE)
    assert envelope == [] and r.findings == []
    assert (r.interchange_control_number, r.group_control_number, r.transaction_control_number) == (
        "000000101", "55", "0001")
    assert (r.interchange_sender_id, r.application_receiver) == ("CASCADEHP", "HARBORNLE")
    assert (r.total_payment, r.payment_method, r.payment_date) == (D("42.50"), "CHK", dt.date(2026, 10, 30))
    assert r.sender_dfi_id is None and r.payment_format is None
    assert (r.trace_type, r.trace_number, r.trace_payer_id) == ("1", "CHK100200", "1930000000")
    assert r.payer.name == "CASCADE HEALTH PLAN" and r.payer.address.line1 == "1 PLAN WAY"
    assert r.payer_id == "1930000000"  # no N104 and no REF*2U: TRN03
    assert (r.position, r.payment_position) == (3, 4)
    (c,) = r.claims
    assert (c.claim_id, c.charge, c.paid, c.patient_responsibility, c.payer_claim_number) == (
        "CLM1001", D("50"), D("42.5"), D("5"), "PAYER123")
    assert (c.header_number, c.position, c.status_description) == ("1", 12, "Processed as Primary")
    assert c.patient.identifier == "MBR000111" and c.patient.id_qualifier == "MI"
    (s,) = c.services
    assert (s.procedure_code, s.modifiers, s.units, s.service_date, s.position) == (
        "S5170", ["U6"], D("4"), dt.date(2026, 10, 3), 14)
    assert [(a.code, a.amount, a.position) for a in s.adjustments] == [("CO-45", D("2.5"), 16), ("PR-3", D("5"), 17)]
    assert (s.line_control_number, s.allowed_amount, s.remark_codes) == ("SVC-1", D("47.5"), ["N290"])


def test_every_cut_gives_the_same_result():
    whole, _ = parse_all(SAMPLE)
    data = SAMPLE.encode()
    for cut in range(1, len(data)):
        assert parse_all(data, [cut])[0] == whole
    assert parse_all(data, range(1, len(data)))[0] == whole  # one byte at a time


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_line_breaks_between_segments(line_end):
    assert parse_all(SAMPLE.replace("~", "~" + line_end))[0] == parse_all(SAMPLE)[0]


def test_byte_order_mark_and_blanks_before_ids():
    text = "\ufeff".encode("utf-8") + SAMPLE.replace("~CLP", "~  CLP").encode()
    assert parse_all(text)[0] == parse_all(SAMPLE)[0]


def test_every_blank_before_every_segment_id_is_dropped_by_the_core():
    """Space, tab, VT and FF before each id: the core drops them (the reader has no branch for them)."""
    messy = SAMPLE.replace("~", "~ \t\x0b\x0c").encode()
    assert parse_all(messy) == parse_all(SAMPLE)
    batches = Tokenizer(join_lines=True).feed_batches(messy)
    assert all(s[:1].isalnum() for _start, _d, segments in batches for s in segments)


def test_other_delimiters_and_two_interchanges_in_one_stream():
    other = SAMPLE.translate(str.maketrans({"*": "|", ":": ">", "~": "\n"}))
    rems, envelope = parse_all(SAMPLE + "\n" + other + SAMPLE)
    assert len(rems) == 3 and envelope == []
    assert rems[0] == rems[1] == rems[2]
    assert rems[1].claims[0].services[0].modifiers == ["U6"]  # component separator '>' read from ISA16
    assert rems[2].position == 23 + 23 + 3  # two interchanges of 23 segments, then ISA GS ST


def test_several_transactions_and_groups():
    tx1, tx2 = transaction(st02="0001"), transaction(st02="0002")
    gs2 = "GS*HP*CASCADEHP*HARBORNLE*20261102*0930*56*X*005010X221A1~"
    text = (ISA + "GS*HP*CASCADEHP*HARBORNLE*20261102*0930*55*X*005010X221A1~" + tx1 + tx2 + "GE*2*55~"
            + gs2 + tx1 + "GE*1*56~IEA*2*000000101~")
    rems, envelope = parse_all(text)
    assert [(r.group_control_number, r.transaction_control_number) for r in rems] == [
        ("55", "0001"), ("55", "0002"), ("56", "0001")]
    assert envelope == [] and all(r.findings == [] for r in rems)


def test_remittances_come_out_as_soon_as_their_se_arrives():
    data = interchange(transaction(st02="0001"), transaction(st02="0002")).encode()
    end_of_first = data.index(b"SE*19*0001~") + len(b"SE*19*0001~")
    parser = Parser835()
    assert parser.feed(data[:end_of_first - 1]) == []
    (first,) = parser.feed(data[end_of_first - 1:end_of_first])
    assert first.transaction_control_number == "0001"
    (second,) = parser.feed(data[end_of_first:])
    assert second.transaction_control_number == "0002" and parser.close() == []


# --------------------------------------------------------------------------------------------
# Recoverable problems: findings
# --------------------------------------------------------------------------------------------

def test_wrong_se_count_is_a_finding():
    (r,), _ = parse_all(interchange(transaction(se01=18)))
    (f,) = r.findings
    assert (f.severity, f.rule, f.location.position, f.location.segment, f.location.element) == \
        ("error", "se01-count", 21, "SE", 1)
    assert (f.location.interchange, f.location.group, f.location.transaction) == ("000000101", "55", "0001")
    assert "18" in f.message and "19" in f.message
    assert len(r.claims) == 1  # still read


def test_control_number_mismatches_and_trailer_counts_are_findings():
    (r,), envelope = parse_all(interchange(transaction(se02="0009"), ge01=3, iea01=2, iea02="000000999"))
    assert [(f.rule, f.location.segment, f.location.element) for f in r.findings] == [("se02-mismatch", "SE", 2)]
    assert [(f.rule, f.location.segment, f.location.element, f.location.position) for f in envelope] == [
        ("ge01-count", "GE", 1, 22), ("iea01-count", "IEA", 1, 23), ("iea02-mismatch", "IEA", 2, 23)]
    assert all(f.location.transaction is None for f in envelope)


def test_unknown_segment_is_a_warning_and_skipped():
    body = HEADER + CLAIM[:3] + ["ZZQ*SECRET"] + CLAIM[3:]
    (r,), _ = parse_all(interchange(transaction(body)))
    (f,) = r.findings
    assert (f.severity, f.rule, f.location.segment, f.location.position) == ("warning", "segment-unknown", "ZZQ", 14)
    assert "SECRET" not in f.message
    assert len(r.claims[0].services) == 1 and r.claims[0].services[0].position == 15


def test_segment_out_of_place_is_a_warning():
    body = HEADER + CLAIM[:3] + ["LQ*HE*N290"] + CLAIM[3:]  # LQ before any SVC
    (r,), _ = parse_all(interchange(transaction(body)))
    assert [(f.severity, f.rule, f.location.segment) for f in r.findings] == [("warning", "segment-unexpected", "LQ")]
    assert r.claims[0].services[0].remark_codes == ["N290"]


def test_allowed_but_unmodelled_segments_are_read_silently():
    body = HEADER + CLAIM[:1] + ["TS3*1234567893*11*20261231*1*50"] + CLAIM[1:3] + [
        "MIA*0", "MOA***MA130", "PER*CX*CLAIMS*TE*5035550100"] + CLAIM[3:]
    (r,), _ = parse_all(interchange(transaction(body)))
    assert r.findings == [] and r.claims[0].outpatient.remark_codes == ["MA130"]


def test_non_835_version_in_an_hp_group_is_a_warning():
    gs = "GS*HP*CASCADEHP*HARBORNLE*20261102*0930*55*X*004010X091A1~"
    rems, envelope = parse_all(interchange(transaction(), gs=gs))
    assert len(rems) == 1 and [(f.rule, f.location.element) for f in envelope] == [("group-version-not-supported", 8)]


# --------------------------------------------------------------------------------------------
# Unreadable: typed errors with a position, never with a value
# --------------------------------------------------------------------------------------------

def error_of(data, cuts=()) -> X12Error:
    with pytest.raises(X12Error) as info:
        parse_all(data, cuts)
    no_phi(str(info.value))
    return info.value


def test_truncated_inside_a_segment():
    cut = SAMPLE.index("RIVERA") + 3
    e = error_of(SAMPLE[:cut])
    assert isinstance(e, X12SyntaxError) and e.rule == "truncated" and e.position == 13


def test_truncated_between_segments_inside_a_transaction():
    cut = SAMPLE.index("SVC*")
    e = error_of(SAMPLE[:cut])
    assert isinstance(e, Remit835Error) and (e.rule, e.segment, e.position) == ("truncated", "SE", 14)


def test_truncated_after_the_se_returns_the_remittance_then_raises():
    data = SAMPLE[:SAMPLE.index("GE*")].encode()
    parser = Parser835()
    (r,) = parser.feed(data)
    assert r.claims[0].claim_id == "CLM1001"
    with pytest.raises(Remit835Error) as info:
        parser.close()
    assert (info.value.rule, info.value.segment) == ("truncated", "GE")


def test_an_error_after_a_complete_transaction_is_raised_by_the_next_call():
    bad = transaction(replace_segment(HEADER + CLAIM, "CLP*", "ST*835*0009"), st02="0002")
    data = interchange(transaction(), bad).encode()
    parser = Parser835()
    (first,) = parser.feed(data)  # the good one is not lost
    assert first.transaction_control_number == "0001"
    with pytest.raises(Remit835Error) as info:
        parser.close()
    e = info.value
    assert (e.rule, e.segment, e.position) == ("envelope-nesting", "ST", 31)
    with pytest.raises(Remit835Error):  # and the parser stays finished
        parser.feed(b"ISA")


def test_feed_after_close():
    parser = Parser835()
    parser.feed(SAMPLE.encode())
    parser.close()
    with pytest.raises(X12SyntaxError):
        parser.feed(b"")


def test_an_837_is_not_an_835():
    e = error_of((CORPUS / "837p" / "stupidedi-ambulance.edi").read_bytes())
    assert isinstance(e, Remit835Error) and (e.rule, e.segment, e.position) == ("transaction-not-supported", "GS", 2)


def test_an_837_transaction_inside_an_hp_group_is_not_an_835():
    e = error_of(SAMPLE.replace("ST*835*", "ST*837*"))
    assert (e.rule, e.segment, e.element, e.position) == ("transaction-not-supported", "ST", 1, 3)


@pytest.mark.parametrize("data,rule", [
    (b"hello, this is not X12 at all" * 5, "isa-missing"),
    (b"", "isa-missing"),
    (b"   \n", "isa-missing"),
    (ISA[:60].encode(), "isa-fixed-length"),
])
def test_not_x12(data, rule):
    e = error_of(data)
    assert isinstance(e, X12SyntaxError) and e.rule == rule


@pytest.mark.parametrize("prefix", ["BPR*", "TRN*", "N1*PE"])
def test_missing_header_segment(prefix):
    e = error_of(interchange(transaction(replace_segment(HEADER + CLAIM, prefix, None))))
    assert isinstance(e, Remit835Error)
    assert (e.rule, e.segment) == ("segment-missing", prefix[:-1] if prefix.endswith("*") else "N1")
    assert e.position is not None


@pytest.mark.parametrize("prefix,new,rule,segment,element,position", [
    ("BPR*", "BPR*I*42.50*C*CHK************20261399", "invalid-date", "BPR", 16, 4),
    ("DTM*472", "DTM*472*2026-10-03", "invalid-date", "DTM", 2, 15),
    ("CAS*CO", "CAS*CO*45", "element-missing", "CAS", 3, 16),
    ("CAS*CO", "CAS*CO*45*1E3", "invalid-decimal", "CAS", 3, 16),
    ("CAS*PR", "CAS*PR**5", "element-missing", "CAS", 2, 17),
    ("SVC*", "SVC*HC*50*42.5", "element-missing", "SVC", 1, 14),
    ("CLP*", "CLP*CLM1001*1*50", "element-missing", "CLP", 4, 12),
    ("NM1*QC", "NM1", "element-missing", "NM1", None, 13),
    ("REF*6R", "REF*6R", "element-missing", "REF", None, 18),
])
def test_unreadable_values_are_findings(prefix, new, rule, segment, element, position):
    body = replace_segment(HEADER + CLAIM, prefix, new)
    (r,), _ = parse_all(interchange(transaction(body)))
    assert len(r.claims) == 1  # the claim is kept
    (f,) = [f for f in r.findings if f.rule == rule]
    assert (f.severity, f.location.segment, f.location.element, f.location.position) == \
        ("error", segment, element, position)
    no_phi(str(f))


@pytest.mark.parametrize("text,rule", [
    (SAMPLE.replace("GS*HP", "XX*HP", 1), "segment-unknown"),  # then ST has no group
    (SAMPLE.replace("ST*835*0001~", "ST*835*0001~ST*835*0002~", 1), "envelope-nesting"),
    (SAMPLE.replace("GE*1*55~", "", 1), "envelope-nesting"),
    (SAMPLE.replace("IEA*1*000000101~", ISA, 1), "envelope-nesting"),
])
def test_broken_envelopes(text, rule):
    if rule == "segment-unknown":
        e = error_of(text)
        assert e.rule == "envelope-nesting" and e.segment == "ST"
    else:
        assert error_of(text).rule == rule


def test_segment_id_that_is_not_an_id_is_skipped():
    (r,), _ = parse_all(SAMPLE.replace("LX*1", "L!X*1"))
    assert [(f.rule, f.location.position, f.location.segment) for f in r.findings] == [
        ("segment-id", 11, None), ("claim-outside-lx", 12, "CLP")]  # the LX was skipped
    assert "L!X" not in str(r.findings[0])
    assert [c.claim_id for c in r.claims] == ["CLM1001"]


def test_parse_835_convenience_collects_envelope_findings():
    findings = []
    rems = parse_835(interchange(transaction(), ge01=2).encode(), findings)
    assert len(rems) == 1 and [f.rule for f in findings] == ["ge01-count"]


def test_garbage_collector_state_is_restored():
    import gc

    assert gc.isenabled()
    parse_all(SAMPLE)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        parse_all(SAMPLE)
        assert not gc.isenabled()
    finally:
        gc.enable()
    kept = [object() for _ in range(3)]  # a caller that froze its own objects keeps them frozen
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        parse_all(SAMPLE)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
    del kept
