"""The 835 read by the core (``sdohedi.remit835.parser``) against the former pure-Python
parser kept as the oracle (``oracle_parser``): the same models (``model_dump`` equal,
positions included), the same findings, the same errors (type, rule, position, segment,
element, message), in both modes, whole or in chunks cut anywhere, on the corpus, on
generated 835s and on mangled bytes."""

from __future__ import annotations

import datetime as dt

import oracle_parser
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from remit835_samples import CORPUS, SAMPLE
from remit835_strategies import ENVELOPE, remittance_batches
from sdohedi.remit835 import parser as core_parser, write_835
from sdohedi.x12 import X12Error

CORPUS_835 = sorted((CORPUS / "835").glob("*.edi")) + sorted((CORPUS / "realworld").glob("*.835")) + [
    p for p in sorted((CORPUS / "realworld").glob("*.txt")) if b"ST*835" in p.read_bytes()]
TIMESTAMP = dt.datetime(2026, 11, 2, 9, 30)


def outcome(module, data: bytes, cuts: list[int], by_claim: bool) -> list:
    """Everything a parser of ``module`` says about ``data`` fed in pieces cut at ``cuts``:
    per call, what it returned (dumped) or the error it raised; then the envelope findings."""
    parser = module.Parser835()
    feed, close = (parser.feed_claims, parser.close_claims) if by_claim else (parser.feed, parser.close)
    bounds = [0, *sorted(set(c for c in cuts if 0 < c < len(data))), len(data)]
    calls: list = []
    steps = [lambda a=a, b=b: feed(data[a:b]) for a, b in zip(bounds, bounds[1:])] + [close, close]
    for step in steps:
        try:
            calls.append([type(item).__name__ + repr(item.model_dump()) for item in step()])
        except X12Error as exc:
            calls.append(("error", type(exc).__name__, exc.rule, exc.position, exc.segment, exc.element, str(exc)))
        except RuntimeError as exc:  # pragma: no cover - a mode mix-up, not expected here
            calls.append(("runtime", str(exc)))
    calls.append([repr(f.model_dump()) for f in parser.findings])
    return calls


def assert_same(data: bytes, cuts: list[int] = ()) -> None:
    for by_claim in (False, True):
        new = outcome(core_parser, data, list(cuts), by_claim)
        old = outcome(oracle_parser, data, list(cuts), by_claim)
        assert new == old, f"by_claim={by_claim}"


def written(remittances) -> bytes:
    out: list[str] = []
    write_835(remittances, out.append, **dict(ENVELOPE, timestamp=TIMESTAMP))
    return "".join(out).encode("latin-1")


@pytest.mark.parametrize("path", CORPUS_835, ids=lambda p: p.name)
def test_corpus_whole_and_in_chunks(path):
    data = path.read_bytes()
    assert_same(data)
    assert_same(data, list(range(0, len(data), 97)))


def test_sample():
    assert_same(SAMPLE.encode())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(remittance_batches(), st.lists(st.integers(0, 20_000), max_size=6))
def test_generated(remittances, cuts):
    assert_same(written(remittances), cuts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([SAMPLE.encode()] + [p.read_bytes() for p in CORPUS_835]), st.data())
def test_mangled(data, draw):
    """Cut anywhere, bytes flipped or dropped or repeated: the same models, findings and errors."""
    data = bytearray(data)
    for _ in range(draw.draw(st.integers(0, 4))):
        i = draw.draw(st.integers(0, max(len(data) - 1, 0)))
        how = draw.draw(st.sampled_from(["flip", "delete", "interesting", "dup"]))
        if not data:
            break
        if how == "flip":
            data[i] = draw.draw(st.integers(0, 255))
        elif how == "delete":
            del data[i:i + draw.draw(st.integers(1, 20))]
        elif how == "dup":
            data[i:i] = data[i:i + draw.draw(st.integers(1, 40))]
        else:
            data[i] = draw.draw(st.sampled_from(list(b"*:^~>|\n\r 0123456789.-ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
    end = draw.draw(st.integers(0, len(data)))
    cuts = draw.draw(st.lists(st.integers(0, len(data)), max_size=4))
    assert_same(bytes(data[:end]), cuts)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=3))
def test_arbitrary_bytes(data, cuts):
    assert_same(data, cuts)
