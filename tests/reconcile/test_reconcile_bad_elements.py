"""``sdohedi reconcile`` on an 835 with one unreadable element (the simulator's 835, edited): the
reader's finding is printed with its position, exit 1, no traceback; every other claim is applied
as from the unedited file, and every cent of BPR02 still lands in a report.

Expectations come from a plain split of the 835 text and from reconciling the unedited file on a
copy of the same ledger, never from the reports under test alone.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections import defaultdict
from decimal import Decimal as D

import pytest

from test_reconcile_money import bpr02, cbo_of, loop, reconcile, segments, write  # noqa: F401 (loop: fixture)

# mode: (segment, element, the edit, the reader's rule)
MUTATIONS = {
    "clp04": ("CLP", 4, lambda s: s.__setitem__(4, "X"), "invalid-decimal"),
    "clp03": ("CLP", 3, lambda s: s.__setitem__(3, ""), "element-missing"),
    "cas03": ("CAS", 3, lambda s: s.__setitem__(3, "abc"), "invalid-decimal"),
    "svc03": ("SVC", 3, lambda s: s.__setitem__(3, "1.2.3"), "invalid-decimal"),
    "bpr16": ("BPR", 16, lambda s: s.__delitem__(16), "element-missing"),
    "clp01": ("CLP", 1, lambda s: s.__setitem__(1, ""), "element-missing"),
}


def accounted(reports) -> D:
    """disbursement paid - provider adjustments + unmatched - network adjustments."""
    return (sum((D(r["paid"]) - D(r["provider_adjustments"]) for r in reports["disbursement"]), D(0))
            + sum((D(r["amount"]) for r in reports["unmatched"]), D(0))
            - sum((D(r["amount"]) for r in reports["network_adjustments"]), D(0)))


def claims_paid(ledger) -> dict[str, D]:
    with sqlite3.connect(ledger) as db:
        return {c: D(p) for c, p in db.execute("SELECT claim_id, paid FROM claims")}


def garble(loop, tmp_path, mode: str):
    """(edited segments, 1-based position of the edited segment, its unedited copy, reconcile of the
    unedited file on a copy of the ledger: (result, summary, reports, claims' paid))."""
    ledger, eras, _acks = loop
    name, _element, edit, _rule = MUTATIONS[mode]
    segs = segments(eras["cascade"])
    i = next(i for i, s in enumerate(segs) if s[0] == name)
    original = list(segs[i])
    edit(segs[i])
    clean = tmp_path / "clean.sqlite"
    shutil.copy(ledger, clean)
    base = reconcile(clean, [eras["cascade"]], tmp_path / "clean")
    assert base[0].exit_code == 0, base[0].output
    return segs, i + 1, original, base + (claims_paid(clean),)


@pytest.mark.parametrize("mode", list(MUTATIONS))
def test_an_unreadable_element_is_a_finding_and_every_other_claim_is_applied(loop, tmp_path, mode):
    ledger, _eras, _acks = loop
    name, element, _edit, rule = MUTATIONS[mode]
    segs, position, original, (_r, _s, base_reports, base_paid) = garble(loop, tmp_path, mode)
    era = write(tmp_path / f"{mode}.835", segs)
    result, summary, reports = reconcile(ledger, [era], tmp_path / mode)
    assert "Traceback" not in result.output  # (and the runner lets no exception through)
    assert result.exit_code == 1, result.output
    assert f"[{rule}] ISA13=000000701 GS06=701 ST02=0001 segment #{position} {name}{element:02d}" in result.stderr
    if mode in ("cas03", "svc03"):
        assert original[3] not in result.stderr  # the finding names the element, not the value sent
    assert summary["transactions_applied"] == 1

    # every other claim as from the unedited file; the edited claim only when its CLP01 and CLP04 read
    claim_id = original[1] if name == "CLP" else None
    paid = claims_paid(ledger)
    assert {c: p for c, p in paid.items() if c != claim_id} == {c: p for c, p in base_paid.items() if c != claim_id}
    expected: dict[tuple[str, str], D] = defaultdict(D)
    for r in base_reports["disbursement"]:
        expected[(r["cbo"], r["payer"])] = D(r["paid"])
    if mode in ("clp04", "clp01"):
        expected[cbo_of(ledger)[claim_id]] -= D(original[4])
        assert paid[claim_id] == 0  # not applied: CLP04 unknown (not a denial), or CLP01 matches nothing
    assert {(r["cbo"], r["payer"]): D(r["paid"]) for r in reports["disbursement"]} == dict(expected)

    # every cent of BPR02 (from a plain split) in a report; what no readable amount accounts for in unmatched
    assert accounted(reports) == bpr02(segs)
    unmatched = [(r["claim_id"], r["reason"], D(r["amount"])) for r in reports["unmatched"]]
    if mode == "clp04":
        assert unmatched == [("", "BPR02 not accounted for by claims (CLP04) and PLB", D(original[4]))]
    elif mode == "clp01":
        assert unmatched == [("", "claim not in the ledger (CLP01)", D(original[4]))]
    else:
        assert unmatched == []


def test_an_unreadable_bpr02_is_a_finding_and_the_claims_are_applied(loop, tmp_path):
    ledger, eras, _acks = loop
    segs = segments(eras["cascade"])
    i = next(i for i, s in enumerate(segs) if s[0] == "BPR")
    segs[i][2] = "1,000.00"
    era = write(tmp_path / "bpr02.835", segs)
    result, summary, reports = reconcile(ledger, [era], tmp_path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"segment #{i + 1} BPR02" in result.stderr
    assert summary["claims_matched"] == sum(1 for s in segs if s[0] == "CLP")
    # the claims are paid as their CLP04 say; no gap row can be computed against an unknown BPR02
    assert sum(D(r["paid"]) for r in reports["disbursement"]) == sum(D(s[4]) for s in segs if s[0] == "CLP")
    assert reports["unmatched"] == []


def test_a_ledger_failure_is_one_line_and_exit_1(loop, tmp_path, monkeypatch):
    from sdohedi import reconcile as rec
    from sdohedi.ledger import LedgerError

    ledger, eras, _acks = loop

    def fail(*args, **kwargs):
        raise LedgerError("the ledger is locked by another run (gave up after 30 s)")

    monkeypatch.setattr(rec, "apply_835_file", fail)
    result, _summary, _reports = reconcile(ledger, [eras["cascade"]], tmp_path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == ["error: the ledger is locked by another run (gave up after 30 s)"]


def test_a_ledger_that_cannot_be_opened_is_one_line_and_exit_2(loop, tmp_path, monkeypatch):
    from sdohedi import commands
    from sdohedi.ledger import LedgerError

    ledger, eras, _acks = loop

    def fail(*args, **kwargs):
        raise LedgerError("ledger l.sqlite: OperationalError: database is locked")

    monkeypatch.setattr(commands, "open_ledger", fail)  # what every command opens its ledger with
    result, _summary, _reports = reconcile(ledger, [eras["cascade"]], tmp_path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == ["error: ledger l.sqlite: OperationalError: database is locked"]
