"""Whatever bytes come in, the parser returns remittances or raises an X12Error, promptly."""

from __future__ import annotations

import signal
from contextlib import contextmanager

from hypothesis import HealthCheck, example, given, settings, strategies as st

from remit835_samples import CORPUS, SAMPLE, parse_all
from sdohedi.models.remit import Remittance
from sdohedi.remit835 import Parser835, balance_findings
from sdohedi.remit835.rows import claim_rows, service_rows
from sdohedi.x12 import X12Error

VALID = [SAMPLE.encode()] + [p.read_bytes() for p in sorted((CORPUS / "835").glob("*.edi"))]
# Bytes that matter to X12: delimiters of the sample files, segment ids, digits, blanks, high bytes.
INTERESTING = b"*:^~>|\n\r \x00\xff\xefISAGSTSEBPRCLPSVCCASIEAGEN1LXPLB0123456789.-"


@contextmanager
def time_limit(seconds: int):
    """A hang is a failure too (SIGALRM: Linux/macOS, main thread)."""
    def fail(*_):
        raise TimeoutError(f"parser did not finish within {seconds}s")
    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def read_everything(data: bytes, chunk: int) -> None:
    with time_limit(10):
        parser = Parser835()
        out: list[Remittance] = []
        try:
            for i in range(0, len(data), chunk):
                out += parser.feed(data[i:i + chunk])
            out += parser.close()
        except X12Error as exc:
            str(exc)  # renders
        for r in out + []:
            # what comes out is usable downstream
            balance_findings(r)
            list(service_rows(r, "f"))
            list(claim_rows(r, "f"))
            r.model_dump_json()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600), st.integers(1, 64))
@example(b"ISA", 1)
@example(SAMPLE.encode()[:106] + b"~" * 5, 3)
def test_arbitrary_bytes(data, chunk):
    read_everything(data, chunk)


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["replace", "delete", "insert", "duplicate", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "replace" and data:
            data[at] = draw(st.sampled_from(INTERESTING))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8)) if draw(st.booleans()) else \
                bytes(draw(st.lists(st.sampled_from(INTERESTING), min_size=1, max_size=8)))
        elif kind == "duplicate":
            data[at:at] = data[at:at + draw(st.integers(1, 80))]
        else:
            del data[at:]
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.sampled_from([1, 7, 100, 1 << 20]))
def test_mutated_valid_files(data, chunk):
    read_everything(data, chunk)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(VALID), st.lists(st.integers(1, 4000), max_size=8))
def test_valid_files_cut_anywhere(data, cuts):
    whole = parse_all(data)
    assert parse_all(data, [c for c in cuts if c < len(data)]) == whole
