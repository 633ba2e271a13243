"""The compiled 837P writer against the Python writer it replaced (oracle_writer.py): the same
bytes for the same claims, the same WriteResult, and the same refusals (rule, segment, message,
and what was written before). Every file the new writer emits here also passes pyx12."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import oracle_writer
from conftest import CORPUS
from factories import (
    CHILD, ENVELOPE, MEALS_CBO, MEMBER, MEMBER_2, NLE, NLE_ATYPICAL, PAYER_B, RECEIVER, RIDES_CBO, SUBMITTER,
    TIMESTAMP, claim, meal_line,
)
from pyx12_oracle import assert_pyx12_clean
from unit_oracle import write_unit_from_models
from strategies import claims
from sdohedi.claims837p import Reader837P, write_837p
from sdohedi.ledger import Ledger
from sdohedi.models import Address, Claim, Patient, RenderingProvider, ServiceLine, Submitter, Subscriber
from sdohedi.models.config import load_config
from sdohedi.pipeline import encode as encode_module
from sdohedi.pipeline.encode import encode
from sdohedi.x12 import X12Error

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ARGS = dict(submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE, interchange_control_number=101,
            group_control_number=55, timestamp=TIMESTAMP)


def run(writer, claims_, **kw):
    """(text written, WriteResult or None, (error type, rule, segment, message) or None)."""
    out: list[str] = []
    try:
        result = writer(list(claims_), out.append, **{**ARGS, **kw})
    except X12Error as e:
        return "".join(out), None, (type(e), e.rule, e.segment, str(e))
    return "".join(out), result, None


def assert_same(claims_, *, pyx12: bool = True, **kw) -> str:
    new = run(write_837p, claims_, **kw)
    old = run(oracle_writer.write_837p, claims_, **kw)
    assert new[2] == old[2]
    assert new[1] == old[1]
    assert new[0] == old[0]
    if pyx12 and new[2] is None:
        assert_pyx12_clean(new[0])
    return new[0]


def test_hand_written_claims_every_loop():
    """Patient loop, HL reuse and split, atypical provider, person renderers with and without
    NPI, line renderers, 2310E/F and 2420G/H, ICD-9, RD8 ranges, SV105, REF*G1/F8, RP."""
    home = Address(line1="2 ELM ST", city="BEND", state="OR", zip="97701")
    clinic = Address(line1="2500 NE NEFF RD", line2="SUITE 4", city="BEND", state="OR", zip="977011234")
    worker = RenderingProvider(entity_type="1", name="OKAFOR", first_name="ADA", taxonomy="172V00000X",
                               secondary_id="CHW-0042", secondary_id_qualifier="LU")
    worker_npi = RenderingProvider(entity_type="1", name="OKAFOR", npi="1003000126", taxonomy="172V00000X")
    ride = ServiceLine(procedure_code="T2003", charge=Decimal("28.00"), units=Decimal("1"),
                       service_date=dt.date(2026, 10, 2), service_date_end=dt.date(2026, 10, 4),
                       line_control_number="R-1", place_of_service="99", rendering_provider=worker,
                       pickup=clinic, dropoff=home, diagnosis_pointers=(2, 1))
    claims_ = [
        claim("A1"), claim("A2"), claim("A3", patient=CHILD), claim("B1", subscriber=MEMBER_2, payer=PAYER_B,
                                                                     rendering_provider=RIDES_CBO),
        claim("C1", billing_provider=NLE_ATYPICAL, frequency="7", payer_claim_number="ICN9",
              prior_authorization="PA-1", rendering_provider=None),
        claim("D1", lines=(meal_line(1), ride), pickup=home, dropoff=clinic, rendering_provider=worker_npi),
        claim("E1", diagnosis_code_qualifier="BK", diagnoses=("4779", "V600"), provider_signature="N",
              assignment_participation="C", benefits_assignment="N", release_of_information="I"),
        claim("F1", subscriber=Subscriber(member_id="M2", last_name="SOLO", payer_responsibility="S"),
              patient=Patient(last_name="SOLO", birth_date=dt.date(2015, 1, 2), sex="U", relationship="G8",
                              address=home)),
    ]
    text = assert_same(claims_)
    assert "NM1*PW*2~" in text and "NM1*45*2~" in text and "HI*BK:4779*BF:V600~" in text
    assert_same(claims_, transaction_type="RP", max_claims_per_transaction=3)
    assert_same([claim(f"K{i}") for i in range(205)], max_claims_per_transaction=70)  # HL 22 split at 100


def test_amounts_dates_and_submitter_without_contact():
    lines = (meal_line(1, charge="0.10", units="1.500"), meal_line(2, charge="1E+2", units="2.25"),
             meal_line(3, charge="100.00", units="0.001"))
    plain = Submitter(name="NLE", id="NLE001", email="billing@example.org")
    assert_same([claim(lines=lines)], submitter=plain)
    assert_same([claim(lines=lines, total_charge=Decimal("2.001E+2"))])
    assert_same([], submitter=plain, pyx12=False)  # no claims: GS/GE with no ST (pyx12 wants an ST, as before)


def test_refusals_match():
    lenient = claim().model_copy(update={"deviations": ("npi-check-digit",)})
    bad_line = ServiceLine.model_construct(**{**meal_line(1).__dict__, "line_control_number": "X~\nNM1*IL"})
    terminator = Claim.model_construct(**{**claim("T2").__dict__, "lines": (bad_line,)})
    lone = Claim.model_construct(**{**claim("T3").__dict__, "claim_id": "A~B"})
    accent = Claim.model_construct(**{**claim("T4").__dict__, "claim_id": "JOS\u00c9"})
    newline = Claim.model_construct(**{**claim("T5").__dict__, "prior_authorization": "P\nQ"})
    bad_member = MEMBER.model_construct(**{**MEMBER.__dict__, "last_name": "RIV\x07ERA"})
    bad_bp = NLE.model_construct(**{**NLE.__dict__, "name": "HARBOR~~"})
    bad_rp = MEALS_CBO.model_construct(**{**MEALS_CBO.__dict__, "name": "GOOD\x00FOOD"})
    cases = [
        [claim("OK1"), lenient], [claim("OK1"), terminator], [lone], [claim("OK1"), accent], [newline],
        [claim("OK1"), claim("S", subscriber=bad_member)], [claim("OK1"), claim("P", billing_provider=bad_bp)],
        [claim("R", rendering_provider=bad_rp)],
    ]
    for claims_ in cases:
        _, _, refusal = run(write_837p, claims_)
        assert refusal is not None
        assert_same(claims_)
    bad_submitter = SUBMITTER.model_construct(**{**SUBMITTER.__dict__, "contact_name": "A\u00e9"})
    assert_same([claim()], submitter=bad_submitter)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cs=st.lists(claims(), min_size=1, max_size=6), repeat=st.integers(1, 3), per_tx=st.integers(1, 5000))
def test_generated_claims(cs, repeat, per_tx):
    # repeats share their HL loops; a few equal-valued party copies exercise the == path
    assert_same(cs * repeat, max_claims_per_transaction=per_tx, pyx12=repeat == 1 and per_tx == 5000)


def corpus_claims() -> list[tuple[str, list[Claim]]]:
    files = sorted((CORPUS / "837p").glob("*")) + sorted((CORPUS / "realworld").glob("*.837"))
    out = []
    for path in files:
        reader = Reader837P(lenient=True)
        try:
            read = reader.feed(path.read_bytes()) + reader.close()
        except X12Error:
            continue
        if read:
            out.append((path.name, read))
    return out


CORPUS_CLAIMS = corpus_claims()


def test_the_corpus_gives_claims():
    assert len(CORPUS_CLAIMS) >= 18  # the 16 stupidedi examples and two of the realworld files, today


@pytest.mark.parametrize("name,read", CORPUS_CLAIMS, ids=[n for n, _ in CORPUS_CLAIMS])
def test_claims_decoded_from_the_corpus(name, read):
    assert_same(read, pyx12=False)  # lenient ones are refused, alike
    writable = [c.model_copy(update={"deviations": ()}) for c in read]  # what the values alone render
    assert_same(writable, pyx12=not any(c.deviations for c in read))


def test_encode_output_of_the_fixtures(tmp_path, monkeypatch):
    config = load_config(FIXTURES / "nle.toml")
    stamp = dt.datetime(2026, 11, 2, 9, 30)

    def files(out: Path) -> dict[str, bytes]:
        with Ledger(out.with_suffix(".sqlite")) as ledger:
            encode([FIXTURES / "service_log.csv"], config, out_dir=out, ledger=ledger, today=dt.date(2026, 11, 1),
                   timestamp=stamp)
        return {p.name: p.read_bytes() for p in sorted(out.glob("*.837"))}

    new = files(tmp_path / "new")
    monkeypatch.setattr(encode_module, "write_unit",
                        functools.partial(write_unit_from_models, writer=oracle_writer.write_837p))
    old = files(tmp_path / "old")
    assert new and new == old
    for text in new.values():
        assert_pyx12_clean(text.decode("ascii"))


def test_output_reaches_write_in_chunks():
    """The compiled writer hands its checked text over in chunks of about 256 KiB, not a call
    per segment block (what made the Python writer's sink a cost of its own)."""
    calls: list[int] = []
    write_837p([claim(f"W{i}") for i in range(3000)], lambda s: calls.append(len(s)), **ARGS)
    assert sum(calls) > 3 << 18
    assert len(calls) <= sum(calls) // (1 << 18) + 1


@pytest.mark.parametrize("writer", [write_837p, oracle_writer.write_837p], ids=["rust", "python"])
def test_a_missing_amount_is_an_error_not_text(writer):
    """A model built without validation may lack an amount: an error, never "None" in the file."""
    no_charge = ServiceLine.model_construct(**{**meal_line(1).__dict__, "charge": None})
    bad = Claim.model_construct(**{**claim().__dict__, "lines": (no_charge,)})
    out: list[str] = []
    with pytest.raises(TypeError):
        writer([bad], out.append, **ARGS)
    assert "None" not in "".join(out)
