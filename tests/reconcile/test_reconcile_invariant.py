"""Money is never lost: over generated 835s (balanced or not, claims and lines ours or not, PLBs
traced to our claims or not), the reports account for BPR02 to the cent:

    sum of disbursement paid - its provider adjustments + sum of unmatched - sum of network
    adjustments = sum of BPR02 (negative when BPR03 is D)

BPR02 is taken from a plain split of the 835 text written, not from our reader.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "remit835"))

from reconcile_support import CONFIG, FIVE_ROWS, bill, claim_of, write_rows  # noqa: E402
from remit835_strategies import ENVELOPE, remittance_batches  # noqa: E402
from sdohedi import reconcile as rec  # noqa: E402
from sdohedi.ledger import Ledger  # noqa: E402
from sdohedi.remit835 import write_835  # noqa: E402

OUR_LINES = ["A1", "A2", "B1", "C1", "E1"]


@pytest.fixture(scope="module")
def billed(tmp_path_factory):
    """A ledger with the five rows billed (claims A: A1 A2, B: B1, C: C1, E: E1), copied per example."""
    tmp = tmp_path_factory.mktemp("billed")
    with Ledger(tmp / "template.sqlite") as lg:
        bill(lg, write_rows(tmp / "log.csv", FIVE_ROWS), tmp / "out")
        claims = {sid: claim_of(lg, sid) for sid in OUR_LINES}
    return tmp / "template.sqlite", claims


@st.composite
def remittances_to_us(draw, claims: dict[str, str]):
    """Generated remittances, some of whose claims, lines and PLB references are ours; BPR02 off
    by some cents in some of them."""
    batch = draw(remittance_batches())
    out = []
    for n, r in enumerate(batch):
        new_claims = []
        for c in r.claims:
            sid = draw(st.sampled_from([None, *OUR_LINES]))
            lines = [s.model_copy(update={"line_control_number": draw(st.sampled_from(
                [s.line_control_number, "NO-SUCH-LINE", *OUR_LINES]))}) for s in c.services]
            new_claims.append(c.model_copy(update={"claim_id": claims[sid] if sid else c.claim_id,
                                                   "services": lines}))
        plbs = [p.model_copy(update={"reference_id": draw(st.sampled_from([p.reference_id, *claims.values()]))})
                for p in r.provider_adjustments]
        signed = -r.total_payment if r.credit_debit == "D" else r.total_payment
        signed += D(draw(st.sampled_from([0, 0, 1, -250, 99999]))).scaleb(-2)
        out.append(r.model_copy(update={
            "claims": new_claims, "provider_adjustments": plbs, "trace_number": f"{r.trace_number[:25]}T{n}",
            "total_payment": abs(signed), "credit_debit": "D" if signed < 0 else "C"}))
    return out


def plain_bpr02(text: str) -> D:
    total = D(0)
    for seg in text.replace("\n", "").split("~"):
        els = seg.split("*")
        if els[0] == "BPR":
            total += -D(els[2]) if els[3] == "D" else D(els[2])
    return total


def as_835(remits) -> str:
    text: list[str] = []
    write_835(remits, text.append, sender_id=ENVELOPE["sender_id"], receiver_id=ENVELOPE["receiver_id"],
              interchange_control_number=ENVELOPE["interchange_control_number"],
              group_control_number=ENVELOPE["group_control_number"])
    return "".join(text)


def copy_of(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the billed ledger for one example (hypothesis reuses tmp_path)."""
    ledger = tmp_path / f"{uuid.uuid4().hex}.sqlite"
    shutil.copy(template, ledger)
    return ledger


def accounted(lg) -> D:
    owed = rec.disbursement(lg, CONFIG)
    return (sum((D(o["paid"]) - D(o["provider_adjustments"]) for o in owed), D(0))
            + sum((D(u["amount"]) for u in rec.unmatched(lg)), D(0))
            - sum((D(n["amount"]) for n in rec.network_adjustments(lg)), D(0)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_cent_of_bpr02_lands_in_a_report(billed, tmp_path, data):
    template, claims = billed
    remits = data.draw(remittances_to_us(claims))
    era = tmp_path / f"{uuid.uuid4().hex}.835"
    era.write_text(as_835(remits))
    ledger = copy_of(template, tmp_path)
    with Ledger(ledger) as lg:
        result = rec.apply_835_file(lg, era)
        assert result.error is None and result.applied == len(remits)
        assert accounted(lg) == plain_bpr02(era.read_text())
        before = (rec.disbursement(lg, CONFIG), rec.unmatched(lg), rec.network_adjustments(lg))
        again = rec.apply_835_file(lg, era)  # idempotent: the same reports
        assert again.applied == 0 and again.already_applied == len(remits)
        assert (rec.disbursement(lg, CONFIG), rec.unmatched(lg), rec.network_adjustments(lg)) == before


# elements that carry an amount or an id reconcile uses (BPR02 left readable: the invariant needs it),
# and what makes each unreadable: empty where the TR3 requires it, not a number where it is an amount
NUMBER, REQUIRED = ["X", "1.2.3"], [""]
GARBLE = {"CLP": {1: REQUIRED, 3: REQUIRED + NUMBER, 4: REQUIRED + NUMBER}, "SVC": {2: REQUIRED + NUMBER, 3: NUMBER},
          "CAS": {3: REQUIRED + NUMBER, 6: NUMBER}, "PLB": {4: REQUIRED + NUMBER, 6: NUMBER},
          "TRN": {2: REQUIRED, 3: REQUIRED}}


def garble(text: str, data) -> tuple[str, str]:
    """The 835 text with one of its GARBLE elements made unreadable, and which element (e.g. ``CLP04``)."""
    segs = [s.split("*") for s in text.split("~")]
    spots = [(n, e) for n, s in enumerate(segs) for e in GARBLE.get(s[0].strip(), {}) if len(s) > e and s[e]]
    n, e = data.draw(st.sampled_from(spots))
    name = segs[n][0].strip()
    segs[n][e] = data.draw(st.sampled_from(GARBLE[name][e]))
    return "~".join("*".join(s) for s in segs), f"{name}{e:02d}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_one_unreadable_element_keeps_every_cent_of_bpr02_in_a_report(billed, tmp_path, data):
    template, claims = billed
    remits = data.draw(remittances_to_us(claims))
    garbled, element = garble(as_835(remits), data)
    era = tmp_path / f"{uuid.uuid4().hex}.835"
    era.write_text(garbled)
    ledger = copy_of(template, tmp_path)
    with Ledger(ledger) as lg:
        result = rec.apply_835_file(lg, era)
        assert result.error is None and result.applied == len(remits)
        assert element in {f"{f.location.segment}{f.location.element:02d}" for f in result.findings if f.location.element is not None}
        assert accounted(lg) == plain_bpr02(garbled)
