"""Streaming: findings arrive while the stream is read, and memory does not grow with it."""

import itertools
import tracemalloc

from factories import ENVELOPE, RECEIVER, SUBMITTER, TIMESTAMP, claim, meal_line
from sdohedi.claims837p import write_837p
from sdohedi.validate import Validator, validate_stream
from validate_helpers import render


def claim_stream(n):
    pool = [claim(f"S{i:05d}", lines=[meal_line(k, 1 + (i + k) % 28) for k in range(1 + i % 4)]) for i in range(40)]
    for i, c in enumerate(itertools.islice(itertools.cycle(pool), n)):
        yield c.model_copy(update={"claim_id": f"S{i:07d}"})


def validate_generated(n_claims: int, tmp_path) -> tuple[int, int, int]:
    """Write n claims to a file, then validate it 64 KB at a time; (peak bytes while validating,
    findings, size). Only the validation is traced: the writer's own memory is not the subject."""
    path = tmp_path / f"claims-{n_claims}.x12"
    with open(path, "w", encoding="latin-1") as f:
        write_837p(claim_stream(n_claims), f.write, submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE,
                   interchange_control_number=7, group_control_number=7, timestamp=TIMESTAMP)
    v = Validator()
    findings = []
    tracemalloc.start()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            findings.extend(v.feed(chunk))
    findings.extend(v.close())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, len(findings), path.stat().st_size


def test_memory_does_not_grow_with_the_stream(tmp_path):
    validate_generated(40, tmp_path)  # first use loads code sets and compiled tables: not what is measured
    small_peak, small_findings, small_size = validate_generated(400, tmp_path)
    big_peak, big_findings, big_size = validate_generated(3_200, tmp_path)
    assert small_findings == big_findings == 0
    assert big_size > 7 * small_size
    # Eight times the input, about the same peak (the memo tables and one claim at a time).
    assert big_peak < small_peak * 1.5 + 256 * 1024, (small_peak, big_peak)


def test_findings_arrive_before_the_end_of_the_stream():
    text = render([claim("C1"), claim("C2")] + [claim(f"X{i}") for i in range(60)])
    data = text.replace("CLM*C1*50*", "CLM*C1*51*").encode()
    v = Validator()
    half = len(data) // 2
    early = v.feed(data[:half])
    assert [f.rule for f in early] == ["clm02-balance"]
    assert v.feed(data[half:]) + v.close() == []


def test_validate_stream_takes_any_chunking():
    text = render([claim(f"C{i}") for i in range(5)]).replace("*12:B:1*", "*30:B:1*")
    whole = [f.model_dump() for f in validate_stream([text.encode()])]
    bytewise = [f.model_dump() for f in validate_stream(bytes([b]) for b in text.encode())]
    assert whole == bytewise and len(whole) == 5


def test_non_printable_bytes_are_checked_even_in_big_chunks():
    text = render([claim()])
    data = text.replace("GOOD FOOD KITCHEN", "GOOD F\x01OD KITCHEN").encode()
    findings = list(validate_stream([data]))
    assert [(f.rule, f.location.segment, f.location.element) for f in findings] == [("control-character", "NM1", 3)]
    data = text.replace("GOOD FOOD KITCHEN", "GOOD F\nOOD KITCHEN").encode()
    findings = list(validate_stream([data[:100], data[100:]]))
    assert [(f.rule, f.location.segment) for f in findings] == [("control-character", "NM1")]
    data = text.replace("GOOD FOOD KITCHEN", "GOOD FÖOD KITCHEN").encode("latin-1")
    findings = list(validate_stream([data]))
    assert [(f.rule, f.location.element) for f in findings] == [("invalid-character", 3)]


def test_a_byte_order_mark_cut_across_chunks_is_reported_as_in_one_chunk():
    data = b"\xef\xbb\xbf" + render([claim("C1")]).encode()

    def findings(chunks):
        v = Validator()
        out = [f for chunk in chunks for f in v.feed(chunk)] + v.close()
        return [(f.rule, f.severity) for f in out], v.interchanges

    # One mark, one warning (the registry's severity for it); the claim itself is clean.
    whole = findings([data])
    assert whole == ([("byte-order-mark", "warning")], 1)
    for cut in (1, 2, 3):
        assert findings([data[:cut], data[cut:]]) == whole, cut
    assert findings([data[:1], data[1:2], data[2:3], data[3:]]) == whole
    assert findings([b"", b"\n", data[:1], data[1:]]) == whole  # blanks before it, as the tokenizer skips them
