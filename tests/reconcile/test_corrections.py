"""sdohedi correct (the library): which claims can be corrected how, what the 837P says, and
reconcile following a correction to the right CBO with every cent of BPR02 in a report.

Expected amounts are the fixture's fees (fixtures/nle.toml, cascade) worked out by hand; the 837Ps
are read back by a plain split of the text, and checked by pyx12."""

from __future__ import annotations

import csv
import io
import shutil
import uuid
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyx12_oracle import assert_pyx12_clean
from reconcile_support import (
    BACKENDS, CONFIG, FIVE_ROWS, TODAY, ack_277ca, ack_999, bill, claim_of, open_backend, remit, svc, write_rows,
)
from sdohedi import reconcile as rec
from sdohedi.acks import apply_277ca, apply_999
from sdohedi.corrections import chain, claim_states
from sdohedi.ledger import Ledger
from sdohedi.models.remit import ClaimPayment
from sdohedi.pipeline.correct import correct
from test_reconcile_invariant import as_835, plain_bpr02, remittances_to_us


def segments(path: Path) -> list[list[str]]:
    return [s.strip().split("*") for s in path.read_text().split("~") if s.strip()]


def clm_and_f8(path: Path) -> list[tuple[str, str, str | None]]:
    """(CLM01, CLM05-3, REF*F8 of that claim) per claim, from a plain split."""
    out = []
    for seg in segments(path):
        if seg[0] == "CLM":
            out.append([seg[1], seg[5].split(":")[2], None])
        elif seg[0] == "REF" and seg[1] == "F8" and out:
            out[-1][2] = seg[2]
    return [tuple(c) for c in out]


def accounted(lg) -> D:
    owed = rec.disbursement(lg, CONFIG)
    return (sum((D(o["paid"]) - D(o["provider_adjustments"]) for o in owed), D(0))
            + sum((D(u["amount"]) for u in rec.unmatched(lg)), D(0))
            - sum((D(n["amount"]) for n in rec.network_adjustments(lg)), D(0)))


def pay_a(claim_a: str) -> ClaimPayment:
    """Claim A (A1 4 x 10.25, A2 2 x 10.25) paid in full, CLP07 ICN-A9."""
    return ClaimPayment(claim_id=claim_a, status_code="1", charge=D("61.50"), paid=D("61.50"),
                        payer_claim_number="ICN-A9", services=[svc("A1", "S5170", "41.00", "41.00"),
                                                               svc("A2", "S5170", "20.50", "20.50")])


def corrected_rows(units_a1: str = "3"):
    """Claim A's rows with A1's units corrected (4 -> 3: 30.75), the rest as billed."""
    return [dict(r, units=units_a1) if r["service_id"] == "A1" else r
            for r in FIVE_ROWS if r["service_id"] in ("A1", "A2")]


@pytest.fixture(params=BACKENDS)
def lg(request, tmp_path):
    ledger = open_backend(request.param, request, tmp_path)
    bill(ledger, write_rows(tmp_path / "log.csv", FIVE_ROWS), tmp_path / "out")
    yield ledger
    ledger.close()


def test_replacement_of_a_paid_claim_then_reversal_and_replacement_paid(lg, tmp_path):
    a = claim_of(lg, "A1")
    rec.apply_remittance(lg, remit("EFT5001", "61.50", [pay_a(a)]))
    summary, correction = correct([write_rows(tmp_path / "fix.csv", corrected_rows())], CONFIG,
                                  out_dir=tmp_path / "fix", ledger=lg, today=TODAY)
    assert (summary.billed_rows, summary.rejected_rows, dict(correction.kinds)) == (2, 0, {"replacement": 1})
    [out] = summary.outputs
    assert_pyx12_clean(Path(out.path).read_bytes())
    [(new_id, frequency, f8)] = clm_and_f8(Path(out.path))
    assert (frequency, f8) == ("7", "ICN-A9") and new_id != a
    assert [c["claim_id"] for c in chain(lg, new_id)] == [new_id, a]
    assert claim_of(lg, "A1") == new_id == claim_of(lg, "A2")
    # the payer reverses A (its lines negated) and pays the replacement 30.75 + 20.50
    reversal = ClaimPayment(claim_id=a, status_code="22", charge=D("-61.50"), paid=D("-61.50"),
                            payer_claim_number="ICN-A9", services=[svc("A1", "S5170", "-41.00", "-41.00"),
                                                                   svc("A2", "S5170", "-20.50", "-20.50")])
    paid = ClaimPayment(claim_id=new_id, status_code="1", charge=D("51.25"), paid=D("51.25"),
                        payer_claim_number="ICN-A10", services=[svc("A1", "S5170", "30.75", "30.75"),
                                                                svc("A2", "S5170", "20.50", "20.50")])
    result = rec.apply_remittance(lg, remit("EFT5002", "-10.25", [reversal, paid]))
    assert result.unmatched_lines == 0 and result.claims_matched == 2
    meals = [o for o in rec.disbursement(lg, CONFIG) if o["cbo"] == "meals"]
    assert [(o["payer"], o["paid"]) for o in meals] == [("cascade", "51.25")]  # 61.50 - 61.50 + 51.25
    assert rec.unmatched(lg) == []
    assert accounted(lg) == D("61.50") + D("-10.25")  # the two BPR02s
    states = claim_states(lg, [a, new_id])
    assert (states[a].state, states[new_id].state, states[new_id].payer_claim_number) == (
        "reversed", "adjudicated", "ICN-A10")
    # the replacement's lines carry what it was paid; A's reversal did not touch them
    assert sorted(lg.execute("SELECT service_id, claim_id, paid FROM claim_lines WHERE service_id IN ('A1', 'A2')")
                  .fetchall()) == [("A1", new_id, "30.75"), ("A2", new_id, "20.50")]


def test_replacement_corrected_again_follows_the_chain(lg, tmp_path):
    a = claim_of(lg, "A1")
    rec.apply_remittance(lg, remit("EFT5101", "61.50", [pay_a(a)]))
    log = write_rows(tmp_path / "fix.csv", corrected_rows())
    first, _ = correct([log], CONFIG, out_dir=tmp_path / "fix1", ledger=lg, today=TODAY)
    second_id = claim_of(lg, "A1")
    # not adjudicated yet: refused, nothing written
    again, _ = correct([log], CONFIG, out_dir=tmp_path / "fix2", ledger=lg, today=TODAY)
    assert (again.billed_rows, again.rejected_rows) == (0, 2)
    assert again.reject_reasons == {"service_id: correction-awaiting-adjudication": 2}
    rec.apply_remittance(lg, remit("EFT5102", "51.25", [ClaimPayment(
        claim_id=second_id, status_code="1", charge=D("51.25"), paid=D("51.25"), payer_claim_number="ICN-B7",
        services=[svc("A1", "S5170", "30.75", "30.75"), svc("A2", "S5170", "20.50", "20.50")])]))
    third, _ = correct([write_rows(tmp_path / "fix3.csv", corrected_rows("2"))], CONFIG, out_dir=tmp_path / "fix3",
                       ledger=lg, today=TODAY)
    [out] = third.outputs
    [(third_id, frequency, f8)] = clm_and_f8(Path(out.path))
    assert (frequency, f8) == ("7", "ICN-B7")
    assert [c["claim_id"] for c in chain(lg, third_id)] == [third_id, second_id, a]


def test_void_carries_the_claim_as_billed(lg, tmp_path):
    a = claim_of(lg, "A1")
    rec.apply_remittance(lg, remit("EFT5201", "61.50", [pay_a(a)]))
    as_billed = [r for r in FIVE_ROWS if r["service_id"] in ("A1", "A2")]
    changed, _ = correct([write_rows(tmp_path / "changed.csv", corrected_rows())], CONFIG,
                         out_dir=tmp_path / "v0", ledger=lg, voids=["A1"], today=TODAY)
    assert (changed.billed_rows, changed.rejected_rows) == (0, 2)
    assert list(changed.reject_reasons) == ["service_id: correction-void-differs"]
    summary, correction = correct([write_rows(tmp_path / "void.csv", as_billed)], CONFIG, out_dir=tmp_path / "v1",
                                  ledger=lg, voids=["A2"], today=TODAY)
    assert (summary.billed_rows, dict(correction.kinds)) == (2, {"void": 1})
    [out] = summary.outputs
    assert_pyx12_clean(Path(out.path).read_bytes())
    [(void_id, frequency, f8)] = clm_and_f8(Path(out.path))
    assert (frequency, f8) == ("8", "ICN-A9")
    assert lg.claim(void_id)["replaces"] == a and lg.claim(void_id)["frequency"] == "8"
    # the payer reverses A: back out of the CBO's share, nothing unmatched
    rec.apply_remittance(lg, remit("EFT5202", "-61.50", [ClaimPayment(
        claim_id=a, status_code="22", charge=D("-61.50"), paid=D("-61.50"), payer_claim_number="ICN-A9",
        services=[svc("A1", "S5170", "-41.00", "-41.00"), svc("A2", "S5170", "-20.50", "-20.50")])]))
    assert [o["paid"] for o in rec.disbursement(lg, CONFIG) if o["cbo"] == "meals"] == ["0.00"]
    assert rec.unmatched(lg) == [] and accounted(lg) == D(0)
    # the reversal settles the void: not outstanding, and its services can be billed anew
    assert lg.claim(void_id)["status"] == "voided"
    assert void_id not in [o["claim_id"] for o in rec.outstanding(lg, TODAY)]
    assert lg.billed(["A1", "A2"]) == {}
    anew = bill(lg, write_rows(tmp_path / "anew.csv", as_billed), tmp_path / "anew")
    assert (anew.billed_rows, anew.rejected_rows) == (2, 0)
    [(_, frequency, f8)] = clm_and_f8(Path(anew.outputs[0].path))
    assert (frequency, f8) == ("1", None)


def test_rejected_claim_is_billed_again_as_a_new_original(lg, tmp_path):
    b = claim_of(lg, "B1")
    apply_277ca(lg, [ack_277ca(accepted=[], rejected=[b])])
    summary, correction = correct([write_rows(tmp_path / "fix.csv", [r for r in FIVE_ROWS if r["service_id"] == "B1"])],
                                  CONFIG, out_dir=tmp_path / "fix", ledger=lg, today=TODAY)
    assert (summary.billed_rows, dict(correction.kinds)) == (1, {"new original": 1})
    [out] = summary.outputs
    assert_pyx12_clean(Path(out.path).read_bytes())
    [(new_id, frequency, f8)] = clm_and_f8(Path(out.path))
    assert (frequency, f8) == ("1", None) and new_id != b
    assert lg.claim(new_id)["replaces"] == b and claim_of(lg, "B1") == new_id
    # a void of a claim never adjudicated is refused, and so is a void of an id that is nowhere
    voided, _ = correct([write_rows(tmp_path / "fix2.csv", [r for r in FIVE_ROWS if r["service_id"] == "C1"])],
                        CONFIG, out_dir=tmp_path / "fix2", ledger=lg, voids=["C1", "ZZ9"], today=TODAY)
    assert sorted(voided.reject_reasons) == ["--void: correction-not-in-log", "service_id: correction-awaiting-adjudication"]


def test_refusals_name_the_row_and_the_reason(lg, tmp_path):
    a = claim_of(lg, "A1")
    rec.apply_remittance(lg, remit("EFT5301", "61.50", [pay_a(a)]))
    rows = [r for r in corrected_rows() if r["service_id"] == "A1"] + [dict(FIVE_ROWS[0], service_id="NEW1")]
    summary, _ = correct([write_rows(tmp_path / "fix.csv", rows)], CONFIG, out_dir=tmp_path / "fix", ledger=lg,
                         today=TODAY)
    assert (summary.billed_rows, summary.rejected_rows, summary.outputs) == (0, 2, [])
    text = (tmp_path / "fix" / "rejects.csv").read_text()
    refused = {(Path(r["file"]).name, r["row_number"], r["service_id"], r["column"]): r["reason"]
               for r in csv.DictReader(io.StringIO(text))}
    assert refused[("fix.csv", "2", "A1", "service_id")] == (
        f"incomplete replacement: a replacement covers the whole claim {a}, whose service ids A2 are not in the log")
    assert refused[("fix.csv", "3", "NEW1", "service_id")].startswith("not billed")
    assert "DOE" not in text and "M1" not in text  # no member data
    assert claim_of(lg, "A1") == a  # nothing moved


def test_claim_rejected_by_999_is_billed_again_as_a_new_original(lg, tmp_path):
    (gs06,) = lg.execute("SELECT gs06 FROM interchanges").fetchone()
    apply_999(lg, [ack_999(gs06, "R", "R")])  # the whole group: every claim rejected
    rows = [r for r in FIVE_ROWS if r["service_id"] in ("C1", "E1")]
    summary, correction = correct([write_rows(tmp_path / "fix.csv", rows)], CONFIG, out_dir=tmp_path / "fix",
                                  ledger=lg, today=TODAY)
    assert (summary.billed_rows, summary.rejected_rows, dict(correction.kinds)) == (2, 0, {"new original": 2})
    [out] = summary.outputs
    assert_pyx12_clean(Path(out.path).read_bytes())
    assert sorted(f for _, f, _ in clm_and_f8(Path(out.path))) == ["1", "1"]
    assert all(f8 is None for _, _, f8 in clm_and_f8(Path(out.path)))
    # the rejected claims' other lines were not asked for: they stay released, and are not billed
    assert lg.billed(["A1", "A2", "B1"]) == {}


def test_encode_still_bills_a_corrected_service_once(lg, tmp_path):
    a = claim_of(lg, "A1")
    rec.apply_remittance(lg, remit("EFT5401", "61.50", [pay_a(a)]))
    log = write_rows(tmp_path / "fix.csv", corrected_rows())
    correct([log], CONFIG, out_dir=tmp_path / "fix", ledger=lg, today=TODAY)
    again = bill(lg, log, tmp_path / "again")
    assert (again.billed_rows, again.rejected_rows) == (0, 2)
    assert list(again.reject_reasons) == ["service_id: duplicate-service"]


def test_rejected_replacement_is_corrected_as_the_claim_it_replaced(lg, tmp_path):
    """The payer never saw a replacement its front end rejected: correcting it again sends another
    replacement of the claim the payer has (REF*F8 its CLP07), not a new original."""
    a = claim_of(lg, "A1")
    rec.apply_remittance(lg, remit("EFT5501", "61.50", [pay_a(a)]))
    log = write_rows(tmp_path / "fix.csv", corrected_rows())
    correct([log], CONFIG, out_dir=tmp_path / "fix1", ledger=lg, today=TODAY)
    rejected = claim_of(lg, "A1")
    apply_277ca(lg, [ack_277ca(accepted=[], rejected=[rejected])])
    assert lg.billed(["A1", "A2"]) == {}
    summary, correction = correct([log], CONFIG, out_dir=tmp_path / "fix2", ledger=lg, today=TODAY)
    assert (summary.billed_rows, dict(correction.kinds)) == (2, {"replacement": 1})
    [(third, frequency, f8)] = clm_and_f8(Path(summary.outputs[0].path))
    assert (frequency, f8) == ("7", "ICN-A9")
    assert lg.claim(third)["replaces"] == a and claim_of(lg, "A2") == third


def test_reversal_naming_the_replacement_reverses_the_claim_it_replaced(lg, tmp_path):
    """Some payers echo the replacement's CLM01 on the reversal too; its CLP07 is the original's."""
    a = claim_of(lg, "A1")
    rec.apply_remittance(lg, remit("EFT5601", "61.50", [pay_a(a)]))
    correct([write_rows(tmp_path / "fix.csv", corrected_rows())], CONFIG, out_dir=tmp_path / "fix", ledger=lg,
            today=TODAY)
    new_id = claim_of(lg, "A1")
    reversal = ClaimPayment(claim_id=new_id, status_code="22", charge=D("-61.50"), paid=D("-61.50"),
                            payer_claim_number="ICN-A9", services=[svc("A1", "S5170", "-41.00", "-41.00"),
                                                                   svc("A2", "S5170", "-20.50", "-20.50")])
    paid = ClaimPayment(claim_id=new_id, status_code="1", charge=D("51.25"), paid=D("51.25"),
                        payer_claim_number="ICN-A10", services=[svc("A1", "S5170", "30.75", "30.75"),
                                                                svc("A2", "S5170", "20.50", "20.50")])
    result = rec.apply_remittance(lg, remit("EFT5602", "-10.25", [reversal, paid]))
    assert result.unmatched_lines == 0
    assert (lg.claim(a)["status"], lg.claim(a)["paid"]) == ("reversed", "0.00")
    assert (lg.claim(new_id)["status"], lg.claim(new_id)["paid"]) == ("paid", "51.25")
    assert sorted(lg.execute("SELECT service_id, paid FROM claim_lines WHERE claim_id = ?", (new_id,)).fetchall()) == [
        ("A1", "30.75"), ("A2", "20.50")]
    assert [o["paid"] for o in rec.disbursement(lg, CONFIG) if o["cbo"] == "meals"] == ["51.25"]
    assert rec.unmatched(lg) == [] and accounted(lg) == D("51.25")


@pytest.fixture(scope="module")
def corrected_template(tmp_path_factory):
    """A SQLite ledger with the five rows billed, claim A paid (CLP07 ICN-A9) and replaced by A'
    (A1, A2 moved to it), copied per example."""
    tmp = tmp_path_factory.mktemp("corrected")
    with Ledger(tmp / "template.sqlite") as ledger:
        bill(ledger, write_rows(tmp / "log.csv", FIVE_ROWS), tmp / "out")
        a = claim_of(ledger, "A1")
        rec.apply_remittance(ledger, remit("EFT5701", "61.50", [pay_a(a)]))
        correct([write_rows(tmp / "fix.csv", corrected_rows())], CONFIG, out_dir=tmp / "fix", ledger=ledger,
                today=TODAY)
        claims = {sid: claim_of(ledger, sid) for sid in ("A1", "A2", "B1", "C1", "E1")}
    return tmp / "template.sqlite", a, claims


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_cent_of_bpr02_lands_in_a_report_across_a_correction(corrected_template, tmp_path, data):
    """Generated 835s (balanced or not) whose claims are the original A (reversed or not, under its
    CLP07 or not), its replacement, our other claims or none of ours: BPR02 (a plain split) is
    accounted for by the reports to the cent, and A's lines are matched on A as on its replacement."""
    template, a, claims = corrected_template
    remits = data.draw(remittances_to_us({**claims, "A1": data.draw(st.sampled_from([a, claims["A1"]]))}))
    remits = [r.model_copy(update={"claims": [
        c.model_copy(update={"status_code": "22", "payer_claim_number": data.draw(st.sampled_from(["ICN-A9", "X"]))})
        if data.draw(st.booleans()) else c for c in r.claims]}) for r in remits]
    era = tmp_path / f"{uuid.uuid4().hex}.835"
    era.write_text(as_835(remits))
    ledger = tmp_path / f"{uuid.uuid4().hex}.sqlite"
    shutil.copy(template, ledger)
    with Ledger(ledger) as lg:
        first = accounted(lg)
        result = rec.apply_835_file(lg, era)
        assert result.error is None and result.applied == len(remits)
        assert accounted(lg) - first == plain_bpr02(era.read_text())
        # A1 and A2 are the lines of both A (before) and its replacement (now): never unmatched on them
        assert lg.execute("SELECT COUNT(*) FROM line_payments WHERE claim_id IN (?, ?) AND service_id IN ('A1', 'A2')"
                          " AND matched = 0", (a, claims["A1"])).fetchone() == (0,)
