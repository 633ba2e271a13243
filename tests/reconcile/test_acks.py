"""999 and 277CA applied to the ledger (acknowledgments written by hand for our own claims)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from reconcile_support import BACKENDS, ISA, open_backend
from sdohedi.acks import apply_277ca, apply_999
from sdohedi.models.config import load_config
from sdohedi.models.service_row import COLUMNS
from sdohedi.pipeline.encode import encode

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "fixtures" / "nle.toml")


def write_log(path: Path, ids, member="M1"):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for i, sid in enumerate(ids):
            w.writerow(dict(service_id=sid, member_id=f"{member}{i % 2}", member_last_name="DOE", member_first_name="JO",
                            member_birth_date="1960-01-01", member_sex="F", member_address="2 ELM ST",
                            member_city="BEND", member_state="OR", member_zip="97701", payer="cascade", cbo="meals",
                            service_date="2026-09-02", procedure_code="S5170", modifiers="U6", units="1", minutes="",
                            diagnosis_codes="Z59.41", place_of_service="12", charge="", prior_auth=""))


@pytest.fixture(params=BACKENDS)
def ledger(request, tmp_path):
    write_log(tmp_path / "log.csv", ["K1", "K2"])
    lg = open_backend(request.param, request, tmp_path)
    encode([tmp_path / "log.csv"], CONFIG, out_dir=tmp_path / "out", ledger=lg, today=dt.date(2026, 11, 1))
    yield lg
    lg.close()


def test_999_rejecting_the_transaction_releases_its_lines(ledger, tmp_path):
    (gs06,) = ledger.execute("SELECT gs06 FROM interchanges").fetchone()
    ack = (f"{ISA}GS*FA*CMHP1*HARBORNLE*20261102*1200*77*X*005010X231A1~ST*999*0001*005010X231A1~"
           f"AK1*HC*{gs06}*005010X222A1~AK2*837*0001*005010X222A1~IK3*NM1*8*2010BA*8~IK5*R*5~AK9*R*1*1*0~"
           "SE*7*0001~GE*1*77~IEA*1*000000077~")
    result = apply_999(ledger, [ack.encode()])
    assert result.outcomes["rejected (999)"] == 2
    assert {s for (s,) in ledger.execute("SELECT status FROM claims")} == {"rejected"}
    assert ledger.execute("SELECT COUNT(*) FROM claim_lines").fetchone() == (0,)
    assert ledger.execute("SELECT ack_status FROM transactions").fetchone() == ("R",)
    # the released service ids bill again, as new claims
    summary = encode([tmp_path / "log.csv"], CONFIG, out_dir=tmp_path / "out2", ledger=ledger,
                     today=dt.date(2026, 11, 1))
    assert summary.billed_rows == 2 and summary.rejected_rows == 0


def test_999_accepting_marks_claims(ledger):
    (gs06,) = ledger.execute("SELECT gs06 FROM interchanges").fetchone()
    ack = (f"{ISA}GS*FA*CMHP1*HARBORNLE*20261102*1200*78*X*005010X231A1~ST*999*0001*005010X231A1~"
           f"AK1*HC*{gs06}*005010X222A1~AK2*837*0001*005010X222A1~IK5*A~AK9*A*1*1*1~"
           "SE*6*0001~GE*1*78~IEA*1*000000077~")
    apply_999(ledger, [ack.encode()])
    apply_999(ledger, [ack.encode()])  # twice: same state
    assert {r for (r,) in ledger.execute("SELECT ack_status FROM claims")} == {"999-A"}
    assert ledger.execute("SELECT COUNT(*) FROM claim_lines").fetchone() == (2,)


def test_277ca_accepts_one_claim_and_rejects_another(ledger):
    ids = [c for (c,) in ledger.execute("SELECT claim_id FROM claims ORDER BY claim_id")]
    assert len(ids) == 2
    body = ("BHT*0085*08*X1*20261102*1200*TH~HL*1**20*1~NM1*PR*2*CASCADE*****PI*CMHP1~TRN*1*X1~DTP*050*D8*20261102~"
            "DTP*009*D8*20261102~HL*2*1*21*1~NM1*41*2*HARBOR*****46*HARBORNLE~TRN*2*X2~STC*A1:20*20261102*WQ*20.50~"
            "HL*3*2*19*1~NM1*85*2*HARBOR*****XX*1234567893~TRN*1*X3~"
            f"HL*4*3*PT~NM1*QC*1*DOE*JO****MI*M10~TRN*2*{ids[0]}~STC*A2:20*20261102*WQ*10.25~REF*1K*ICN5551~"
            "DTP*472*D8*20260902~"
            f"HL*5*3*PT~NM1*QC*1*DOE*JO****MI*M11~TRN*2*{ids[1]}~STC*A7:562:85*20261102*U*10.25~REF*1K*ICN5552~"
            "DTP*472*D8*20260902~")
    n = body.count("~") + 2
    ack = (f"{ISA}GS*HN*CMHP1*HARBORNLE*20261102*1200*79*X*005010X214~ST*277*0001*005010X214~{body}"
           f"SE*{n}*0001~GE*1*79~IEA*1*000000077~")
    result = apply_277ca(ledger, [ack.encode()])
    assert result.claims_matched == 2
    rows = dict((c, (s, icn)) for c, s, icn in ledger.execute("SELECT claim_id, status, payer_claim_number FROM claims"))
    assert rows[ids[0]] == ("accepted", "ICN5551")
    assert rows[ids[1]] == ("rejected", "ICN5552")
    assert ledger.execute("SELECT ack_codes FROM claims WHERE claim_id = ?", (ids[1],)).fetchone() == ("A7:562:85",)
    assert ledger.execute("SELECT COUNT(*) FROM claim_lines WHERE claim_id = ?", (ids[1],)).fetchone() == (0,)
