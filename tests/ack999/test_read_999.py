"""Reading the corpus 999s; expected values written by hand from the raw files."""

from conftest import CORPUS
from sdohedi.ack999 import read_999
from sdohedi.x12 import read_chunks

FOLDER = CORPUS / "999"


def read(name, chunk=None):
    with open(FOLDER / name, "rb") as f:
        return read_999(read_chunks(f, chunk) if chunk else [f.read()])


def test_accepted_with_envelope_quirks():
    # GS05 "102497" is not a time (97 seconds) and IEA02 000000001 does not repeat ISA13 000000286.
    ack = read("imsweb-x12_999_accepted.txt")
    (g,) = ack.groups
    assert (g.functional_id, g.control_number, g.version) == ("HC", "17456", "005010X223A2")
    assert (g.status, g.included, g.received, g.accepted_count, g.syntax_errors) == ("A", 1, 1, 1, ())
    (t,) = g.transactions
    assert (t.transaction_set, t.control_number, t.implementation, t.status, t.accepted) == \
        ("837", "0001", "005010X223A2", "A", True)
    assert t.segment_errors == ()
    assert [(f.rule, f.location.segment, f.location.element) for f in ack.findings] == [
        ("invalid-time", "GS", 5), ("iea02-mismatch", "IEA", 2)]


def test_rejected_with_a_segment_error():
    ack = read("imsweb-x12_999_rejected.txt")
    (g,) = ack.groups
    assert (g.status, g.included, g.received, g.accepted_count) == ("R", 1, 1, 0)
    assert (g.ack_interchange, g.ack_transaction) == ("095832987", "95832987")
    (t,) = g.transactions
    assert (t.control_number, t.implementation, t.status, t.syntax_errors, t.accepted) == \
        ("0028", None, "R", ("5",), False)
    (s,) = t.segment_errors
    assert (s.segment_id, s.position, s.loop, s.code, s.description) == ("NM", 17, None, "1", "unrecognized segment ID")
    assert ack.findings == ()


def test_byte_order_mark_and_partial_acceptance():
    for ack in (read("stupidedi-response-to-functional-group-containing-3-837s.edi"),
                read("stupidedi-response-to-functional-group-containing-3-837s.edi", chunk=7)):
        (g,) = ack.groups
        assert (g.functional_id, g.control_number, g.version) == ("HC", "17456", "005010X222A2")
        assert (g.status, g.included, g.received, g.accepted_count) == ("P", 3, 3, 1)
        assert [(t.control_number, t.status) for t in g.transactions] == [("0001", "A"), ("0002", "R"), ("0003", "R")]
        t2, t3 = g.transactions[1], g.transactions[2]
        (s,) = t2.segment_errors
        assert (s.segment_id, s.position, s.code, s.contexts) == ("CLM", 22, "8", ("CLM01:123456789",))
        (e,) = s.elements
        assert (e.position, e.component, e.data_element, e.code, e.description) == \
            (2, None, "782", "1", "required data element missing")
        (s,) = t3.segment_errors
        assert (s.segment_id, s.position, s.code) == ("REF", 57, "3")
        assert s.contexts == ("SITUATIONAL TRIGGER*CLM*43**5:3", "CLM01:987654321")
        assert t3.syntax_errors == ("5",)
        assert [f.rule for f in ack.findings] == ["byte-order-mark"]
        assert ack.transaction("17456", "0002") is t2


def test_a_truncated_999_keeps_what_was_read():
    data = (FOLDER / "imsweb-x12_999_rejected.txt").read_bytes()
    ack = read_999([data[:data.index(b"AK9")]])
    (g,) = ack.groups
    assert g.status is None and [t.status for t in g.transactions] == ["R"]
    assert {f.rule for f in ack.findings} == {"se-missing", "ge-missing", "iea-missing"}
    ack = read_999([data[:data.index(b"AK9") + 6]])  # cut inside a segment
    assert [t.status for g in ack.groups for t in g.transactions] == ["R"]
    assert "truncated" in {f.rule for f in ack.findings}
