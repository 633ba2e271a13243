"""The 837P read by the core (``sdohedi.claims837p.reader``, on ``_core.Claims837PReader``)
against the former pure-Python reader kept as the oracle (``oracle_reader``): the same claims
(``model_dump`` equal, ``__dict__`` in the same order), the same headers, the same errors (type,
rule, position, segment, element, component, ordinal, message) in the same place among the
claims, in both modes, whole or in chunks cut anywhere, on the corpus, on generated 837Ps and
on mangled bytes."""

from __future__ import annotations

from pathlib import Path

import oracle_reader
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import CORPUS
from factories import ENVELOPE, RECEIVER, SUBMITTER, TIMESTAMP
from strategies import claims
from sdohedi.claims837p import reader as core_reader, write_837p
from sdohedi.x12 import X12Error

FILES = sorted((CORPUS / "837p").iterdir()) + sorted(
    p for p in (CORPUS / "837p-invalid").iterdir() if p.suffix in (".837", ".txt"))
FILES += sorted(p for p in (CORPUS / "realworld").iterdir() if b"ST*837" in p.read_bytes())
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def error_record(exc: X12Error) -> tuple:
    return (type(exc).__name__, exc.rule, exc.position, exc.segment, exc.element, exc.component,
            getattr(exc, "claim_ordinal", None), getattr(exc, "claim_position", None), str(exc))


def claim_record(header, claim) -> tuple:
    return (repr(header.model_dump()) if header is not None else None, list(vars(claim)), repr(claim.model_dump()),
            claim.model_fields_set == set(type(claim).model_fields))


def outcome(module, data: bytes, cuts: list[int], lenient: bool) -> list:
    """Everything a reader of ``module`` says about ``data`` fed in pieces cut at ``cuts``: per
    call, the claims it returned with their headers, or the error it raised; the errors
    collected between calls; the counts."""
    reader = module.Reader837P(lenient=lenient)
    bounds = [0, *sorted(set(c for c in cuts if 0 < c < len(data))), len(data)]
    steps = [lambda a=a, b=b: reader.feed_with_headers(data[a:b]) for a, b in zip(bounds, bounds[1:])]
    steps += [reader.close_with_headers, reader.close_with_headers]
    calls: list = []
    for step in steps:
        try:
            calls.append([claim_record(h, c) for h, c in step()])
        except X12Error as exc:
            calls.append(("raised", *error_record(exc)))
        calls.append([(n, *error_record(e)) for n, e in reader._take_errors_in_order()])
    calls.append((reader.claims_read, reader.claims_not_read, reader.transactions,
                  repr(reader.header.model_dump()) if reader.header is not None else None))
    return calls


def assert_same(data: bytes, cuts=()) -> None:
    for lenient in (False, True):
        new = outcome(core_reader, data, list(cuts), lenient)
        old = outcome(oracle_reader, data, list(cuts), lenient)
        assert new == old, f"lenient={lenient}"


def written(cs) -> bytes:
    out: list[str] = []
    write_837p(cs, out.append, submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE,
               interchange_control_number=7, group_control_number=3, timestamp=TIMESTAMP)
    return "".join(out).encode("ascii")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_whole_and_in_chunks(path):
    data = path.read_bytes()
    assert_same(data)
    assert_same(data, list(range(0, len(data), 89)))


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=60, **SETTINGS)
@given(st.lists(claims(), min_size=1, max_size=5), st.lists(st.integers(0, 20_000), max_size=6))
def test_generated(cs, cuts):
    assert_same(written(cs), cuts)


SEEDS = [p.read_bytes() for p in FILES]


@settings(max_examples=300, **SETTINGS)
@given(st.sampled_from(SEEDS), st.data())
def test_mangled(data, draw):
    """Bytes flipped, dropped or repeated, segments swapped: the same claims and errors."""
    data = bytearray(data)
    for _ in range(draw.draw(st.integers(0, 4))):
        i = draw.draw(st.integers(0, max(len(data) - 1, 0)))
        kind = draw.draw(st.sampled_from(["flip", "drop", "repeat", "byte"]))
        if not data:
            break
        if kind == "flip":
            data[i] = draw.draw(st.sampled_from(b"*:~^\n0123ABZ "))
        elif kind == "drop":
            del data[i:i + draw.draw(st.integers(1, 40))]
        elif kind == "repeat":
            j = min(len(data), i + draw.draw(st.integers(1, 200)))
            data[j:j] = data[i:j]
        else:
            data[i] = draw.draw(st.integers(0, 255))
    assert_same(bytes(data), draw.draw(st.lists(st.integers(0, len(data)), max_size=3)))


@settings(max_examples=150, **SETTINGS)
@given(st.lists(claims(), min_size=1, max_size=3), st.data())
def test_mangled_segments(cs, draw):
    """Generated files with segments dropped, repeated or moved: every loop state's edge."""
    data = written(cs)
    segments = data.split(b"~")
    for _ in range(draw.draw(st.integers(1, 4))):
        i = draw.draw(st.integers(0, len(segments) - 1))
        kind = draw.draw(st.sampled_from(["drop", "repeat", "move", "element"]))
        if kind == "drop":
            del segments[i]
        elif kind == "repeat":
            segments.insert(i, segments[i])
        elif kind == "move":
            segments.insert(draw.draw(st.integers(0, len(segments) - 1)), segments.pop(i))
        else:
            els = segments[i].split(b"*")
            k = draw.draw(st.integers(0, len(els) - 1))
            els[k] = draw.draw(st.sampled_from([b"", b"X", b"ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", b"1:2",
                                                b"-1", b"20260231", b"99", b"HC:A", b"ABF:Z00"]))
            segments[i] = b"*".join(els)
        if not segments:
            break
    assert_same(b"~".join(segments))
