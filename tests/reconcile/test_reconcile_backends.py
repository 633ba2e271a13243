"""The same reconcile and acknowledgment scenarios on a SQLite and a PostgreSQL ledger: equal
results, equal reports, equal rows; and ``sdohedi reconcile --ledger postgresql://...``."""

from __future__ import annotations

import csv
import dataclasses
import json
import multiprocessing
import uuid
from decimal import Decimal as D
from pathlib import Path

import pytest

from round_trip_support import encode_and_adjudicate, run
from reconcile_support import (
    BACKENDS, CONFIG, FIVE_ROWS, ROOT, ack_277ca, ack_999, bill, claim_of, counted_statements, open_backend,
    paid_then_recouped, plb, remit, reports, snapshot, svc, write_rows,
)
from sdohedi import reconcile as rec
from sdohedi.acks import apply_277ca, apply_999
from sdohedi.ledger import open_ledger
from sdohedi.models.remit import Address, Adjustment, ClaimPayment, Communication, Contact, PartyName
from sdohedi.remit835 import write_835

FIX = ROOT / "fixtures"


def _ids(lg):
    return {sid: claim_of(lg, sid) for sid in ("A1", "B1", "C1", "E1")}


def _gs06(lg) -> int:
    return lg.execute("SELECT gs06 FROM interchanges").fetchone()[0]


def paid_partial_denied(lg, tmp):
    i = _ids(lg)
    return [rec.apply_remittance(lg, remit("EFT1001", "100.00", [
        ClaimPayment(claim_id=i["A1"], status_code="1", charge=D("61.50"), paid=D("60.00"), payer_claim_number="ICN-A",
                     services=[svc("A1", "S5170", "41.00", "40.00", [("CO", "45", "1.00")]),
                               svc("A2", "S5170", "20.50", "20.00", [("CO", "45", "0.50")])]),
        ClaimPayment(claim_id=i["B1"], status_code="1", charge=D("56.00"), paid=D("40.00"),
                     patient_responsibility=D("16.00"), payer_claim_number="ICN-B",
                     services=[svc("B1", "T2003", "56.00", "40.00", [("PR", "3", "16.00")])]),
        ClaimPayment(claim_id=i["C1"], status_code="4", charge=D("64.20"), paid=D("0"), payer_claim_number="ICN-C",
                     adjustments=[Adjustment(group="CO", reason="197", amount=D("64.20"))],
                     services=[svc("C1", "T1016", "64.20", "0")]),
    ]))]


def partial_line_level(lg, tmp):
    i = _ids(lg)
    return [rec.apply_remittance(lg, remit("EFT6001", "54.20", [
        ClaimPayment(claim_id=i["C1"], status_code="1", charge=D("64.20"), paid=D("54.20"),
                     services=[svc("C1", "T1016", "64.20", "54.20", [("OA", "23", "10.00")])])]))]


def reversal_then_repayment(lg, tmp):
    b = _ids(lg)["B1"]
    first = remit("EFT3001", "56.00", [ClaimPayment(claim_id=b, status_code="1", charge=D("56.00"), paid=D("56.00"),
                                                    payer_claim_number="ICN-B1",
                                                    services=[svc("B1", "T2003", "56.00", "56.00")])])
    reversal = ClaimPayment(claim_id=b, status_code="22", charge=D("-56.00"), paid=D("-56.00"),
                            payer_claim_number="ICN-B1", services=[svc("B1", "T2003", "-56.00", "-56.00")])
    repay = ClaimPayment(claim_id=b, status_code="1", charge=D("56.00"), paid=D("50.00"), payer_claim_number="ICN-B2",
                         adjustments=[Adjustment(group="CO", reason="45", amount=D("6"))],
                         services=[svc("B1", "T2003", "56.00", "50.00")])
    # as a payer sends it: the reversal and the corrected payment in one 835, the same claim twice
    return [rec.apply_all(lg, [first]), rec.apply_all(lg, [remit("EFT3002", "-6.00", [reversal, repay])])]


def plb_interest_and_recoupment(lg, tmp):
    # and a forwarding balance that names no claim of ours
    return [rec.apply_all(lg, paid_then_recouped(_ids(lg)["A1"], plb("FB", "3.00", "NOT-OURS")))]


def unknown_claim_and_unmatched_line(lg, tmp):
    e = _ids(lg)["E1"]
    return [rec.apply_remittance(lg, remit("EFT5001", "20.25", [
        ClaimPayment(claim_id="NOT-OURS-1", status_code="1", charge=D("10"), paid=D("10"),
                     services=[svc("Z9", "S5170", "10", "10")]),
        # E's line paid, plus a line the payer names that claim E does not hold (B1 is claim B's)
        ClaimPayment(claim_id=e, status_code="1", charge=D("10.25"), paid=D("10.25"),
                     services=[svc("E1", "S5170", "10.25", "10.25"), svc("B1", "T2003", "0", "0")]),
    ]))]


def applied_twice(lg, tmp):
    a = _ids(lg)["A1"]
    r = remit("EFT2002", "60.00", [ClaimPayment(claim_id=a, status_code="1", charge=D("61.50"), paid=D("60.00"),
                                                services=[svc("A1", "S5170", "41.00", "40.00"),
                                                          svc("A2", "S5170", "20.50", "20.00")])])
    results = [rec.apply_remittance(lg, r), rec.apply_remittance(lg, r), rec.apply_all(lg, [r, r])]
    assert [x.already_applied for x in results] == [0, 1, 2]
    return results


def rejected_by_999_then_billed_again(lg, tmp):
    results = [apply_999(lg, [ack_999(_gs06(lg), "R*5", "R")]), apply_999(lg, [ack_999(_gs06(lg), "R*5", "R")])]
    again = bill(lg, tmp / "log.csv", tmp / "out2")
    assert again.billed_rows == 5 and again.rejected_rows == 0
    return results + [again.billed_rows]


def accepted_by_999_then_paid(lg, tmp):
    gs06 = _gs06(lg)
    return [apply_999(lg, [ack_999(gs06, "A", "A", control=78)]), apply_999(lg, [ack_999(gs06, "A", "A", control=78)]),
            apply_999(lg, [ack_999(gs06 + 1000, "A", "A", control=80)])] + paid_partial_denied(lg, tmp)


def claims_acknowledged_by_277ca(lg, tmp):
    i = _ids(lg)
    ack = ack_277ca(accepted=[i["A1"], i["B1"]], rejected=[i["C1"], "NOT-OURS-2"])
    results = [apply_277ca(lg, [ack]), apply_277ca(lg, [ack])]
    # the payer's claim number from the 277CA traces a later recoupment to claim B
    pay = remit("EFT7001", "56.00", [ClaimPayment(claim_id=i["B1"], status_code="1", charge=D("56.00"),
                                                  paid=D("56.00"), services=[svc("B1", "T2003", "56.00", "56.00")])])
    recoup = remit("EFT7002", "-5.00", [], plb=[plb("WO", "5.00", f"ICN{i['B1']}")])
    return results + [rec.apply_all(lg, [pay, recoup])]


def claim_and_line_twice_in_one_835(lg, tmp):
    """Claim A twice, line A1 three times: amounts add up in order, the last payer claim number given stays."""
    a = _ids(lg)["A1"]
    first = ClaimPayment(claim_id=a, status_code="1", charge=D("61.50"), paid=D("30.00"), payer_claim_number="ICN-A1",
                         services=[svc("A1", "S5170", "41.00", "10.00"), svc("A1", "S5170", "41.00", "5.00"),
                                   svc("A2", "S5170", "20.50", "15.00")])
    second = ClaimPayment(claim_id=a, status_code="2", charge=D("61.50"), paid=D("20.00"),
                          patient_responsibility=D("1.50"), services=[svc("A1", "S5170", "41.00", "20.00")])
    return [rec.apply_remittance(lg, remit("EFT8001", "50.00", [first, second]))]


def paid_then_resubmitted(lg, tmp):
    """Claim A paid (its payer claim number from the 835), then billed again as a replacement claim."""
    rec.apply_remittance(lg, paid_then_recouped(_ids(lg)["A1"])[0])
    again = bill(lg, tmp / "log.csv", tmp / "out2", resubmit=True)
    replacement = lg.claim(claim_of(lg, "A1"))
    return [again.billed_rows, again.rejected_rows,
            {k: v for k, v in replacement.items() if k not in ("created_at", "updated_at")}]


def paid_at_claim_level_unbalanced_and_trace_reused(lg, tmp):
    """An 835 file, read claim by claim: claim A paid with no SVC loops, an unknown claim, a line of
    claim C that names no line of it, BPR02 0.75 short; then another remittance with the same TRN."""
    i = _ids(lg)
    first = remit("EFT9100", "101.45", [
        ClaimPayment(claim_id=i["A1"], status_code="1", charge=D("61.50"), paid=D("61.50")),
        ClaimPayment(claim_id="NOT-OURS-9", status_code="1", charge=D("5"), paid=D("5"),
                     services=[svc("Z9", "S5170", "5", "5")]),
        ClaimPayment(claim_id=i["C1"], status_code="1", charge=D("64.20"), paid=D("35.70"),
                     services=[svc("C1", "T1016", "21.40", "21.40"), svc("NOPE", "T1016", "42.80", "14.30",
                                                                           [("CO", "45", "28.50")])])])
    other = remit("EFT9100", "56.00", [ClaimPayment(claim_id=i["B1"], status_code="1", charge=D("56.00"),
                                                    paid=D("56.00"), services=[svc("B1", "T2003", "56.00", "56.00")])],
                  plb=[plb("WO", "3.00", i["B1"]), plb("L6", "-3.00")])
    payer = first.payer.model_copy(update={"address": Address(line1="500 PLAN WAY", city="SALEM", state="OR",
                                                              postal_code="97301"),
                                          "contacts": [Contact(function="BL", name="PROVIDER SERVICES", communications=[
                                              Communication(qualifier="TE", number="8005550100")])]})
    era = tmp / "two.835"
    text: list[str] = []
    patient = PartyName(entity_code="QC", entity_type="1", last_name="DOE", first_name="JO")
    as_sent = [r.model_copy(update={"payer": payer, "claims": [
        c.model_copy(update={"filing_indicator": "MC", "payer_claim_number": f"ICN9{n}", "patient": patient})
        for n, c in enumerate(r.claims)]}) for r in (first, other)]
    write_835(as_sent, text.append, sender_id="CMHP1", receiver_id="HARBORNLE", interchange_control_number=901,
              group_control_number=901)
    era.write_text("".join(text))
    results = [rec.apply_835_file(lg, era), rec.apply_835_file(lg, era)]
    assert [(r.applied, r.already_applied) for r in results] == [(2, 0), (0, 2)]
    assert [f.rule for f in results[0].findings] == ["bpr-balance", "trace-reused"]
    return results


def unreadable_elements(lg, tmp):
    """An 835 file with one element unreadable in each of: claim A's CLP04, claim B's line SVC03 and
    its CAS03, an unknown claim's CLP01 (so no id at all), a PLB amount and TRN02; claim C as sent."""
    i = _ids(lg)
    r = remit("EFT9300", "150.45", [
        ClaimPayment(claim_id=i["A1"], status_code="1", charge=D("61.50"), paid=D("61.50"),
                     services=[svc("A1", "S5170", "41.00", "41.00"), svc("A2", "S5170", "20.50", "20.50")]),
        ClaimPayment(claim_id=i["B1"], status_code="1", charge=D("56.00"), paid=D("40.00"),
                     services=[svc("B1", "T2003", "56.00", "40.00", [("PR", "3", "16.00")])]),
        ClaimPayment(claim_id="NOT-OURS-3", status_code="1", charge=D("5"), paid=D("5"),
                     services=[svc("Z9", "S5170", "5", "5")]),
        ClaimPayment(claim_id=i["C1"], status_code="1", charge=D("64.20"), paid=D("54.20"),
                     services=[svc("C1", "T1016", "64.20", "54.20", [("CO", "45", "10.00")])])],
        plb=[plb("WO", "10.25", "NOT-OURS")])
    r = r.model_copy(update={"payer": r.payer.model_copy(update={
        "address": Address(line1="500 PLAN WAY", city="SALEM", state="OR", postal_code="97301"),
        "contacts": [Contact(function="BL", communications=[Communication(qualifier="TE", number="8005550100")])]}),
        "claims": [c.model_copy(update={"filing_indicator": "MC", "payer_claim_number": f"ICN93{n}",
                                        "patient": PartyName(entity_code="QC", entity_type="1", last_name="DOE")})
                   for n, c in enumerate(r.claims)]})
    text: list[str] = []
    write_835([r], text.append, sender_id="CMHP1", receiver_id="HARBORNLE", interchange_control_number=930,
              group_control_number=930)
    segs = [seg.strip().split("*") for seg in "".join(text).split("~") if seg.strip()]
    clps = [n for n, seg in enumerate(segs) if seg[0] == "CLP"]
    segs[clps[0]][4] = "X"
    svcs = [n for n, seg in enumerate(segs) if seg[0] == "SVC"]
    segs[svcs[2]][3] = "4O.00"
    next(seg for seg in segs[svcs[2]:] if seg[0] == "CAS")[3] = "l6.00"
    segs[clps[2]][1] = ""
    next(seg for seg in segs if seg[0] == "PLB")[4] = "1O.25"
    next(seg for seg in segs if seg[0] == "TRN")[2] = ""
    era = tmp / "garbled.835"
    era.write_text("".join("*".join(seg) + "~\n" for seg in segs))
    results = [rec.apply_835_file(lg, era), rec.apply_835_file(lg, era)]
    assert [(x.applied, x.already_applied, x.error) for x in results] == [(1, 0, None), (0, 1, None)]
    assert [f"{f.location.segment}{f.location.element:02d}" for f in results[0].findings if f.rule != "element-missing"][:4] == [
        "CLP04", "SVC03", "CAS03", "PLB04"]
    # B's 40.00 at claim level, C's 54.20; the unknown claim's 5.00 and A's 61.50 less the PLB's 10.25 unmatched
    r = reports(lg)
    assert sum(D(o["paid"]) for o in r["disbursement"]) + sum(D(u["amount"]) for u in r["unmatched"]) == D("150.45")
    assert sorted(D(u["amount"]) for u in r["unmatched"]) == [D("5.00"), D("51.25")] and r["network_adjustments"] == []
    return results


SCENARIOS = [paid_partial_denied, partial_line_level, reversal_then_repayment, plb_interest_and_recoupment,
             unknown_claim_and_unmatched_line, applied_twice, rejected_by_999_then_billed_again,
             accepted_by_999_then_paid, claims_acknowledged_by_277ca, claim_and_line_twice_in_one_835,
             paid_then_resubmitted, paid_at_claim_level_unbalanced_and_trace_reused, unreadable_elements]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_both_backends_agree(scenario, request, tmp_path):
    seen = {}
    for kind in ("sqlite", "postgresql"):
        tmp = tmp_path / kind
        tmp.mkdir()
        lg = open_backend(kind, request, tmp)
        try:
            assert bill(lg, write_rows(tmp / "log.csv", FIVE_ROWS), tmp / "out").billed_rows == 5
            results = scenario(lg, tmp)
            seen[kind] = {"results": results, "reports": reports(lg), "rows": snapshot(lg)}
        finally:
            lg.close()
    sqlite, pg = seen["sqlite"], seen["postgresql"]
    assert pg["results"] == sqlite["results"]
    assert pg["reports"] == sqlite["reports"]
    for table, rows in sqlite["rows"].items():
        assert pg["rows"][table] == rows, table
    assert sqlite["rows"]["claim_payments"] or sqlite["rows"]["transactions"]


@pytest.mark.parametrize("kind", BACKENDS)
def test_reversal_and_repayment_in_one_835_net_out(kind, request, tmp_path):
    """Hand-worked amounts of the scenario above: 56.00 paid, then one 835 reversing it and paying 50.00."""
    lg = open_backend(kind, request, tmp_path)
    with lg:
        bill(lg, write_rows(tmp_path / "log.csv", FIVE_ROWS), tmp_path / "out")
        reversal_then_repayment(lg, tmp_path)
        b = claim_of(lg, "B1")
        assert lg.execute("SELECT status, paid, payer_claim_number FROM claims WHERE claim_id = ?",
                          (b,)).fetchone() == ("paid", "50.00", "ICN-B2")
        assert lg.execute("SELECT paid, status FROM claim_lines WHERE service_id = ?", ("B1",)).fetchone() == (
            "50.00", "paid")
        owed = {(o["cbo"], o["payer"]): o["owed"] for o in rec.disbursement(lg, CONFIG)}
        assert owed[("rides", "cascade")] == "46.00"


@pytest.mark.parametrize("kind", BACKENDS)
def test_claim_level_unmatched_and_unbalanced_money_add_up(kind, request, tmp_path):
    """Hand-worked amounts of the scenario above (meals: claim A; casemgmt: claim C; rides: claim B)."""
    with open_backend(kind, request, tmp_path) as lg:
        bill(lg, write_rows(tmp_path / "log.csv", FIVE_ROWS), tmp_path / "out")
        paid_at_claim_level_unbalanced_and_trace_reused(lg, tmp_path)
        owed = {o["cbo"]: (o["paid"], o["claim_level"], o["provider_adjustments"])
                for o in rec.disbursement(lg, CONFIG)}
        # A: 61.50 at claim level; C: 35.70 less the unmatched line's 14.30; B: 56.00 less its 3.00 PLB
        assert owed == {"meals": ("61.50", "61.50", "0.00"), "casemgmt": ("21.40", "0.00", "0.00"),
                        "rides": ("56.00", "0.00", "3.00")}
        assert [(u["claim_id"], u["service_id"], u["amount"]) for u in rec.unmatched(lg)] == [
            ("", "", "-0.75"), ("NOT-OURS-9", "", "5.00"), (claim_of(lg, "C1"), "NOPE", "14.30")]
        assert rec.network_adjustments(lg) == [{"reason": "L6", "reference_id": "", "amount": "-3"}]  # as read
        # 61.50 + 21.40 + 56.00 - 3.00 + (-0.75 + 5 + 14.30) - (-3.00) = 101.45 + 56.00
        assert lg.execute("SELECT paid FROM claims WHERE claim_id = ?", (claim_of(lg, "A1"),)).fetchone() == ("61.5",)


@pytest.mark.parametrize("kind", BACKENDS)
def test_claim_and_line_twice_in_one_835_add_up(kind, request, tmp_path):
    """Hand-worked amounts of the scenario above."""
    with open_backend(kind, request, tmp_path) as lg:
        bill(lg, write_rows(tmp_path / "log.csv", FIVE_ROWS), tmp_path / "out")
        (result,) = claim_and_line_twice_in_one_835(lg, tmp_path)
        assert dict(result.outcomes) == {"paid": 1, "partial": 1} and result.claims_matched == 2
        a = claim_of(lg, "A1")
        assert lg.execute("SELECT status, paid, patient_responsibility, payer_claim_number FROM claims"
                          " WHERE claim_id = ?", (a,)).fetchone() == ("partial", "50.00", "1.50", "ICN-A1")
        assert sorted(lg.execute("SELECT service_id, paid, status FROM claim_lines WHERE claim_id = ?", (a,))) == [
            ("A1", "35.00", "paid"), ("A2", "15.00", "paid")]
        assert lg.execute("SELECT COUNT(*) FROM line_payments WHERE matched = 1").fetchone() == (4,)


@pytest.mark.parametrize("kind", BACKENDS)
def test_resubmitted_lines_move_to_the_replacement_unpaid(kind, request, tmp_path):
    with open_backend(kind, request, tmp_path) as lg:
        bill(lg, write_rows(tmp_path / "log.csv", FIVE_ROWS), tmp_path / "out")
        a = claim_of(lg, "A1")
        billed, rejected, replacement = paid_then_resubmitted(lg, tmp_path)
        # only claim A has a payer claim number: B, C and E cannot be replaced
        assert (billed, rejected) == (2, 3)
        assert replacement["replaces"] == a and replacement["frequency"] == "7" and replacement["paid"] == "0"
        new = replacement["claim_id"]
        assert sorted(lg.execute("SELECT service_id, claim_id, paid, status FROM claim_lines WHERE service_id IN"
                                 " ('A1', 'A2')")) == [("A1", new, "0", "submitted"), ("A2", new, "0", "submitted")]
        assert sorted(lg.execute("SELECT service_id, claim_id FROM line_history")) == [("A1", a), ("A2", a)]
        assert lg.claim(a)["paid"] == "61.50" and lg.claim("NOT-A-CLAIM") is None


@pytest.mark.parametrize("kind", BACKENDS)
def test_statements_do_not_grow_with_the_claims(kind, request, tmp_path):
    """An 835 of one claim and one of five (one unknown) run the same statements: no query per claim or line."""
    with open_backend(kind, request, tmp_path) as lg:
        bill(lg, write_rows(tmp_path / "log.csv", FIVE_ROWS), tmp_path / "out")
        i = _ids(lg)
        a = ClaimPayment(claim_id=i["A1"], status_code="1", charge=D("61.50"), paid=D("61.50"),
                         services=[svc("A1", "S5170", "41.00", "41.00"), svc("A2", "S5170", "20.50", "20.50")])
        others = [ClaimPayment(claim_id=i[sid], status_code="1", charge=D("10"), paid=D("10"),
                               services=[svc(sid, code, "10", "10")])
                  for sid, code in (("B1", "T2003"), ("C1", "T1016"), ("E1", "S5170"))]
        unknown = ClaimPayment(claim_id="NOT-OURS", status_code="1", charge=D("1"), paid=D("1"),
                               services=[svc("Z1", "S5170", "1", "1")])
        statements, results = [], []
        for trace, claims in (("EFT9001", [a]), ("EFT9002", [a, *others, unknown])):
            seen = counted_statements(lg)
            results.append(rec.apply_remittance(lg, remit(trace, "0", claims)))
            del lg.execute, lg.executemany
            statements.append(seen)
        assert [(r.claims_matched, r.unknown_claims) for r in results] == [(1, []), (4, ["NOT-OURS"])]
        # per remittance: the turn, its row, the reused-trace check, the claims (lock, read, 4 writes),
        # the PLBs and its CLP04 sum: a constant, whatever the claims
        assert len(statements[1]) == len(statements[0]) <= 13, statements
        assert lg.execute("SELECT COUNT(*) FROM line_payments").fetchone() == (2 + 6,)


@pytest.mark.parametrize("kind", BACKENDS)
def test_many_chunks_read_and_write_what_one_does(kind, request, tmp_path):
    """One value per ``IN (...)`` / ``= ANY(?)`` chunk: the same bills, results, reports and rows."""
    seen = []
    for in_chunk in (None, 1):
        tmp = tmp_path / f"chunk{in_chunk}"
        tmp.mkdir()
        with open_backend(kind, request, tmp) as lg:
            if in_chunk:
                lg.dialect = dataclasses.replace(lg.dialect, in_chunk=in_chunk)
            bill(lg, write_rows(tmp / "log.csv", FIVE_ROWS), tmp / "out")
            i = _ids(lg)
            assert lg.billed(["E1", "A1", "NOPE", "A2"]) == {"A1": i["A1"], "A2": i["A1"], "E1": i["E1"]}
            # with claims met again in one 835 (in another chunk, when one claim a chunk)
            results = [f(lg, tmp) for f in (paid_partial_denied, plb_interest_and_recoupment, reversal_then_repayment,
                                            claim_and_line_twice_in_one_835)]
            seen.append((results, reports(lg), snapshot(lg)))
    assert seen[1] == seen[0]
    assert len(seen[0][2]["line_payments"]) == 4 + 2 + 3 + 4 and len(seen[0][2]["provider_adjustments"]) == 3


# -- the command ------------------------------------------------------------------------------

def _loop(ledger: str, tmp: Path):
    """encode, then the payer simulator's 835 and 999 per payer, as tests/cli/test_round_trip.py, on ``ledger``."""
    _summary, eras, acks = encode_and_adjudicate(ledger, tmp)
    return acks + eras  # the 999s first, as they arrive: claims accepted, then paid


def test_reconcile_command_on_postgres_matches_sqlite(pg_server, tmp_path):
    url = pg_server.new_database("cli_reconcile")
    out = {}
    for kind, ledger in (("sqlite", str(tmp_path / "sqlite" / "l.sqlite")), ("postgresql", url)):
        tmp = tmp_path / kind
        tmp.mkdir(exist_ok=True)
        files = _loop(ledger, tmp)
        args = ["reconcile", *files, "--ledger", ledger, "--config", FIX / "nle.toml", "--reports", tmp / "rep",
                "--format", "json"]
        first, again = run(*args), run(*args)
        assert first.exit_code == 0, first.output
        assert again.exit_code == 0, again.output
        reports = {name: list(csv.DictReader(open(tmp / "rep" / name)))
                   for name in ("outstanding.csv", "denials.csv", "disbursement.csv", "network_adjustments.csv")}
        out[kind] = (json.loads(first.output), json.loads(again.output), reports)
    assert out["postgresql"] == out["sqlite"]
    first, again, reports = out["postgresql"]
    # two payers: an 835 and a 999 each (an acknowledgment counts as applied every time: it is idempotent)
    assert first["transactions_applied"] == 4 and first["already_applied"] == 0
    assert first["claims_matched"] > 0 and first["outstanding_claims"] == 0 and first["unknown_claims"] == 0
    assert again["transactions_applied"] == 2 and again["already_applied"] == 2  # the 835s' traces already seen
    assert first["outcomes"]["accepted (999)"] == first["claims_matched"] and first["outcomes"]["paid"] > 0
    assert again["outcomes"] == {} and again["claims_matched"] == 0
    assert reports["disbursement.csv"] and reports["denials.csv"]


def test_reconcile_command_postgres_errors_name_no_password(pg_server, tmp_path):
    config = FIX / "nle.toml"
    bad = run("reconcile", "--ledger", "postgresql://nobody:secret@127.0.0.1:1/x", "--config", config,
              "--reports", tmp_path / "rep")
    assert bad.exit_code == 2 and "secret" not in bad.output and "PostgreSQL ledger" in bad.output
    empty = pg_server.new_database("no_ledger_yet")
    none = run("reconcile", "--ledger", empty, "--config", config, "--reports", tmp_path / "rep")
    assert none.exit_code == 2 and "no ledger" in none.output
    assert not (tmp_path / "rep").exists()
    import psycopg

    with psycopg.connect(empty) as conn:  # reconcile made no tables in a database encode never used
        assert conn.execute("SELECT to_regclass('claims') IS NULL").fetchone() == (True,)


# -- several processes on one PostgreSQL ledger -------------------------------------------------

def _apply_from_another_process(url, a, b, traces, q):
    try:
        with open_ledger(url) as lg:
            applied = already = 0
            for n, trace in enumerate(traces):
                pair = [ClaimPayment(claim_id=a, status_code="1", charge=D("61.50"), paid=D("1.00"),
                                     services=[svc("A1", "S5170", "41.00", "1.00")]),
                        ClaimPayment(claim_id=b, status_code="1", charge=D("56.00"), paid=D("1.00"),
                                     services=[svc("B1", "T2003", "56.00", "1.00")])]
                if n % 2:
                    pair.reverse()  # the claims in the other order: their locks must still not deadlock
                one = rec.apply_remittance(lg, remit(trace, "2.00", pair))
                applied += one.applied
                already += one.already_applied
        q.put((applied, already))
    except Exception as exc:  # to the test, at once (a deadlock, a unique violation)
        q.put(f"{type(exc).__name__}: {exc}")


def test_concurrent_remittances_neither_lose_updates_nor_double_count(pg_server, tmp_path):
    url = pg_server.new_database("c" + uuid.uuid4().hex[:12])
    with open_ledger(url) as lg:
        bill(lg, write_rows(tmp_path / "log.csv", FIVE_ROWS), tmp_path / "out")
        a, b = claim_of(lg, "A1"), claim_of(lg, "B1")
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    # every process applies the same 835 (trace DUP) first and last, and five of its own
    procs = [ctx.Process(target=_apply_from_another_process,
                         args=(url, a, b, ["DUP"] + [f"P{i}-{k}" for k in range(5)] + ["DUP"], q)) for i in range(4)]
    for p in procs:
        p.start()
    got = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert all(isinstance(x, tuple) for x in got), got
    assert sum(x[0] for x in got) == 21 and sum(x[1] for x in got) == 7
    with open_ledger(url) as lg:
        for claim_id, sid in ((a, "A1"), (b, "B1")):
            assert lg.execute("SELECT paid FROM claims WHERE claim_id = ?", (claim_id,)).fetchone() == ("21.00",)
            assert lg.execute("SELECT paid FROM claim_lines WHERE service_id = ?", (sid,)).fetchone() == ("21.00",)
        assert lg.execute("SELECT COUNT(*) FROM claim_payments").fetchone() == (42,)
