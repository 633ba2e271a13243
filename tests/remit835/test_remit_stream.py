"""Reading claim by claim (``Parser835.feed_claims``) gives what reading whole remittances
gives (same claims, headers, PLB, findings, balancing), and holds one claim at a time."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import tracemalloc
from decimal import Decimal as D

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from remit835_samples import CLAIM, CORPUS, HEADER, SAMPLE, interchange, replace_segment, transaction
from remit835_strategies import ENVELOPE, remittance_batches
from sdohedi.cli import main
from sdohedi.models.remit import ClaimPayment, RemittanceClaim, RemittanceEnd
from sdohedi.remit835 import (
    Parser835, Remit835Error, balance_findings, iter_835_claims, parse_835_claims, parse_835_file,
    stream_balance_findings, write_835,
)
from sdohedi.remit835 import export
from sdohedi.x12 import X12Error

CORPUS_835 = sorted((CORPUS / "835").glob("*.edi"))
TIMESTAMP = dt.datetime(2026, 11, 2, 9, 30)


def read(data: bytes, cuts=(), streaming=False):
    """(items, envelope findings, error) reading ``data`` cut at ``cuts``, one way or the other."""
    parser = Parser835()
    feed, close = (parser.feed_claims, parser.close_claims) if streaming else (parser.feed, parser.close)
    out: list = []
    error = None
    prev = 0
    try:
        for c in [*sorted(cuts), len(data)]:
            out += feed(data[prev:c])
            prev = c
        out += close()
    except X12Error as exc:
        error = exc
    return out, parser.findings, error


def assert_same(data: bytes, cuts=()) -> None:
    whole, whole_envelope, whole_error = read(data, cuts)
    items, envelope, error = read(data, cuts, streaming=True)
    ends = [i for i in items if isinstance(i, RemittanceEnd)]
    assert len(ends) == len(whole)
    # The claims of the transactions that ended, in order, equal to the whole remittances' claims.
    done = items[:items.index(ends[-1]) + 1] if ends else []
    claims = [i.claim for i in done if isinstance(i, RemittanceClaim)]
    assert claims == [c for r in whole for c in r.claims]
    assert [c.position for c in claims] == [c.position for r in whole for c in r.claims]
    for end, remittance in zip(ends, whole):
        assert end.remittance == remittance.model_copy(update={"claims": []})
        assert end.remittance.findings == remittance.findings
        assert end.remittance.provider_adjustments == remittance.provider_adjustments
        assert (end.claim_count, end.claims_paid) == (len(remittance.claims), remittance.claims_paid)
    for item in done:
        if isinstance(item, RemittanceClaim):  # the header: everything of the remittance but claims, PLB, findings
            (remittance,) = [r for r, e in zip(whole, ends) if e.remittance.position == item.payment.position]
            assert item.payment == remittance.model_copy(update={"claims": [], "provider_adjustments": [],
                                                                 "findings": []})
            assert item.claim in remittance.claims
    assert [f for i in done for f in stream_balance_findings(i)] == [f for r in whole for f in balance_findings(r)]
    assert envelope == whole_envelope
    if whole_error is None:
        assert error is None and done == items
    else:
        assert error is not None and (error.rule, type(error)) == (whole_error.rule, type(whole_error))
        if whole_error.rule != "segment-missing":  # streaming meets a missing header at the first CLP
            assert str(error) == str(whole_error)


@pytest.mark.parametrize("path", CORPUS_835, ids=lambda p: p.name)
def test_corpus_same_both_ways(path):
    data = path.read_bytes()
    assert_same(data)
    assert_same(data, cuts=range(0, len(data), 37))  # cut anywhere
    assert read(data, streaming=True)[0]  # something was read


def test_sample_and_oddities_same_both_ways():
    odd_claim = replace_segment(CLAIM, "SVC*", "SVC*HC:S5170:U6*50*40**4")  # does not balance
    cases = [
        SAMPLE,
        interchange(transaction(se01=5), ge01=2),  # trailer counts
        interchange(transaction(HEADER + CLAIM + ["ZZZ*1"] + CLAIM + ["PLB*1234567893*20261231*WO*1.5"])),
        interchange(transaction(HEADER + odd_claim + odd_claim), transaction(HEADER, st02="0002")),  # no claims
        interchange(transaction(HEADER + CLAIM[1:] + CLAIM)),  # CLP outside LX
        interchange(transaction(HEADER + CLAIM + ["PLB*1234567893*20261231*WO*1.5"] + CLAIM)),  # CLP after PLB
        interchange(transaction(HEADER + CLAIM + ["LX*2"] + CLAIM[1:])),
        interchange(transaction(), transaction(replace_segment(HEADER + CLAIM + CLAIM, "CAS*PR", "CAS*PR*3*X"),
                                               st02="0002")),  # error in the second claim of the second ST
        interchange(transaction(replace_segment(HEADER, "N1*PE", None) + CLAIM)),  # no payee
    ]
    for text in cases:
        assert_same(text.encode())
        assert_same(text.encode(), cuts=range(0, len(text), 11))


def test_missing_header_fails_at_the_first_claim():
    data = interchange(transaction(replace_segment(HEADER, "N1*PE", None) + CLAIM)).encode()
    with pytest.raises(Remit835Error) as whole:
        Parser835().feed(data)
    parser = Parser835()
    with pytest.raises(Remit835Error) as streaming:
        parser.feed_claims(data)
    assert whole.value.rule == streaming.value.rule == "segment-missing"
    assert streaming.value.position == 11  # the CLP (whole remittances: the SE, 20)
    assert whole.value.position == 20


def render(batch) -> bytes:
    out: list[str] = []
    write_835(batch, out.append, timestamp=TIMESTAMP, **ENVELOPE)
    return "".join(out).encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(remittance_batches(), st.data())
def test_generated_same_both_ways(batch, data):
    text = render(batch)
    segments = text.decode().split("~")
    # Bend it now and then: an unbalanced amount, an unknown segment, a wrong count, a bad value.
    bend = data.draw(st.sampled_from(["none", "amount", "unknown", "count", "bad-value"]))
    if bend != "none":
        i = data.draw(st.integers(4, len(segments) - 4))
        if bend == "amount" and segments[i].startswith(("SVC*", "CLP*", "CAS*")):
            parts = segments[i].split("*")
            parts[3 if parts[0] == "CAS" else 2] = "999.99"
            segments[i] = "*".join(parts)
        elif bend == "unknown":
            segments.insert(i, "ZZ9*X")
        elif bend == "count" and segments[i].startswith("SE*"):
            segments[i] = "SE*1*" + segments[i].split("*")[2]
        elif bend == "bad-value" and segments[i].startswith("CLP*"):
            segments[i] = segments[i].replace("*", "*X", 3)
    text = "~".join(segments).encode()
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=6))
    assert_same(text, cuts)


def test_modes_do_not_mix():
    parser = Parser835()
    parser.feed_claims(SAMPLE.encode()[:100])
    with pytest.raises(RuntimeError):
        parser.feed(SAMPLE.encode()[100:])
    parser = Parser835()
    parser.feed(SAMPLE.encode()[:100])
    with pytest.raises(RuntimeError):
        parser.close_claims()


def big_transaction(claims: int) -> bytes:
    """One ST/SE holding ``claims`` claims (each balanced, 42.50 paid)."""
    body = list(HEADER)
    body[0] = f"BPR*I*{D('42.5') * claims}*C*CHK************20261030"
    for n in range(claims):
        body += [f"LX*{n + 1}", f"CLP*CLM{n:06d}*1*50*42.5*5*MC*PAYER{n}", *CLAIM[2:]]
    return interchange(transaction(body)).encode()


def live_claims() -> int:
    return sum(type(o) is ClaimPayment for o in gc.get_objects())


def held_bytes(feed, data: bytes, chunk: int) -> int:
    """The most memory the parser holds (traced) while ``data`` but its last chunk is fed, the
    items each call returns let go at once, as a posting job does."""
    tracemalloc.start()
    try:
        most = 0
        for i in range(0, len(data) - chunk, chunk):
            items = feed(data[i:i + chunk])
            del items
            if i // chunk % 25 == 0:
                most = max(most, tracemalloc.get_traced_memory()[0])
        return most
    finally:
        tracemalloc.stop()


def test_a_huge_transaction_is_read_claim_by_claim():
    data = big_transaction(3000)
    chunk = 4096  # about 12 claims per chunk
    parser = Parser835()
    before = live_claims()
    seen = most = 0
    paid = D(0)
    ends = []
    for i in range(0, len(data), chunk):
        items = parser.feed_claims(data[i:i + chunk])
        ends += [item for item in items if isinstance(item, RemittanceEnd)]
        seen += sum(isinstance(item, RemittanceClaim) for item in items)
        paid += sum((item.claim.paid for item in items if isinstance(item, RemittanceClaim)), D(0))
        del items  # a posting job stores each claim and lets it go
        if i // chunk % 50 == 0:
            most = max(most, live_claims() - before)
    ends += parser.close_claims()
    (end,) = ends
    assert isinstance(end, RemittanceEnd) and end.remittance.claims == []
    assert seen == end.claim_count == 3000 and paid == end.claims_paid == D("42.5") * 3000
    assert stream_balance_findings(end) == []
    assert most <= 1  # no claim model is held but the one being read (held as values until its loop ends)
    # claim by claim, what the parser holds stays flat; whole remittances hold every claim of
    # the ST/SE until its SE
    by_claim = held_bytes(Parser835().feed_claims, data, chunk)
    whole = held_bytes(Parser835().feed, data, chunk)
    assert by_claim < 200_000 and whole > 10 * by_claim


def test_iter_835_claims_file(tmp_path):
    path = tmp_path / "big.835"
    path.write_bytes(big_transaction(50))
    envelope: list = []
    items = list(iter_835_claims(path, chunk_size=1000, findings=envelope))
    assert [type(i) for i in items] == [RemittanceClaim] * 50 + [RemittanceEnd]
    assert len({id(i.payment) for i in items[:-1]}) == 1  # one header object per transaction
    (whole,) = parse_835_file(path)
    assert [i.claim for i in items[:-1]] == whole.claims and envelope == []
    assert parse_835_claims(path.read_bytes()) == items


# --------------------------------------------------------------------------------------------
# sdohedi remit: claim by claim, a transaction set still all or nothing
# --------------------------------------------------------------------------------------------

def run(*args):
    return CliRunner().invoke(main, ["remit", *map(str, args)])


def failing_after_claims(tmp_path):
    """Two STs: the first fine; the second cut off after two claims and part of a third (the file
    ends inside it: the stream cannot be followed; a bad element or an out-of-place segment would
    be a finding, not a stop)."""
    path = tmp_path / "half.835"
    second = HEADER + CLAIM + CLAIM + CLAIM
    unbalanced = replace_segment(CLAIM, "SVC*", "SVC*HC:S5170:U6*50*40**4")
    text = interchange(transaction(HEADER + unbalanced), transaction(second, st02="0002"))
    third = text.index("CLP*", text.index("CLP*", text.index("ST*835*0002")) + 1)
    path.write_text(text[:text.index("SVC*", text.index("CLP*", third + 1))])
    return path


def sample_file(tmp_path):
    path = tmp_path / "era.835"
    path.write_text(SAMPLE)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_rows_of_a_transaction_that_fails_are_dropped(tmp_path, suffix, monkeypatch):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
        monkeypatch.setattr(export, "PARQUET_BATCH_ROWS", 1)  # spill the open transaction to disk
    out = tmp_path / f"p{suffix}"
    result = run(failing_after_claims(tmp_path), sample_file(tmp_path), "--out", out)
    assert result.exit_code == 1 and "(after 1 transaction sets)" in result.stderr
    assert result.stderr.count("[svc-balance]") == 1 and "ST02=0001" in result.stderr
    assert "ST02=0002" not in result.stderr  # nothing reported about the transaction that failed
    if suffix == ".csv":
        rows = list(csv.DictReader(out.open()))
    else:
        import pyarrow.parquet as pq
        rows = pq.read_table(out).to_pylist()
    assert [(r["st02"], r["claim_id"]) for r in rows] == [("0001", "CLM1001"), ("0001", "CLM1001")]
    assert result.stderr.splitlines()[-1].endswith(f"2 rows written to {out}")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("per_claim", [False, True])
def test_big_transaction_rows_same_as_whole(tmp_path, suffix, per_claim, monkeypatch):
    """The table equals the rows made from the whole remittance, also across Parquet spills."""
    from sdohedi.remit835.rows import claim_rows, service_rows

    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
        monkeypatch.setattr(export, "PARQUET_BATCH_ROWS", 7)
    path = tmp_path / "big.835"
    # another interchange and payment after the big one (the same ones twice would be findings)
    path.write_bytes(big_transaction(40) + SAMPLE.replace("000000101", "000000102").replace("CHK100200", "CHK9").encode())
    out = tmp_path / f"p{suffix}"
    result = run(path, "--out", out, *(["--claims"] if per_claim else []))
    assert result.exit_code == 0, result.stderr
    expected = [row for r in parse_835_file(path) for row in (claim_rows if per_claim else service_rows)(r, str(path))]
    if suffix == ".parquet":
        import pyarrow.parquet as pq
        got = pq.read_table(out).to_pylist()
        assert [r["claim_id"] for r in got] == [r["claim_id"] for r in expected]
        assert [r["paid"] for r in got] == [r["paid"] for r in expected]
    elif suffix == ".csv":
        got = list(csv.DictReader(out.open()))
        assert [r["claim_id"] for r in got] == [r["claim_id"] for r in expected]
        assert [D(r["paid"]) for r in got] == [r["paid"] for r in expected]
    else:
        assert len(out.read_text().splitlines()) == len(expected)
