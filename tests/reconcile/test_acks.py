"""999 and 277CA applied to the ledger (acknowledgments written by hand for our own claims)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from reconcile_support import BACKENDS, ISA, ack_277ca, ack_999, open_backend
from sdohedi.acks import apply_277ca, apply_999
from sdohedi.ledger import Ledger
from sdohedi.models.config import load_config
from sdohedi.models.service_row import COLUMNS
from sdohedi.pipeline.encode import encode
from sdohedi.x12 import X12Error

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


# -- acknowledgments that are cut short, of another guide, or for nothing of ours ---------------

def _rows(lg):
    return sorted(lg.execute("SELECT claim_id, status, ack_status, payer_claim_number FROM claims").fetchall())


def _ak1(data: bytes) -> int:
    """The ordinal of the AK1 segment, by a plain split."""
    return [s.split(b"*")[0] for s in data.split(b"~")].index(b"AK1") + 1


def _cut_before(data: bytes, marker: bytes) -> bytes:
    return data[:data.index(marker)]


def test_a_truncated_277ca_is_refused_and_changes_nothing(ledger):
    ids = [c for (c,) in ledger.execute("SELECT claim_id FROM claims")]
    before = _rows(ledger)
    whole = ack_277ca(accepted=ids[:1], rejected=ids[1:])
    cut = _cut_before(whole, b"SE*")
    segments_read = cut.count(b"~")
    with pytest.raises(X12Error) as err:
        apply_277ca(ledger, [cut])
    assert err.value.rule == "se-missing" and err.value.position == segments_read + 1
    assert "277CA is incomplete" in str(err.value) and f"segment #{segments_read + 1}" in str(err.value)
    with pytest.raises(X12Error) as err:  # cut inside a segment
        apply_277ca(ledger, [whole[:whole.index(b"REF*1K") + 4]])
    assert err.value.rule in ("truncated", "se-missing")
    assert _rows(ledger) == before and ledger.execute("SELECT COUNT(*) FROM claim_lines").fetchone() == (2,)


def test_a_999_cut_before_its_ak9_is_refused(ledger):
    (gs06,) = ledger.execute("SELECT gs06 FROM interchanges").fetchone()
    before = _rows(ledger)
    rejecting = ack_999(gs06, "R*5", "R")
    with pytest.raises(X12Error) as err:
        apply_999(ledger, [_cut_before(rejecting, b"AK9")])
    assert err.value.rule == "se-missing" and "999 is incomplete" in str(err.value)
    # whole envelopes, but the group's verdict (AK9) missing
    no_ak9 = rejecting.replace(b"AK9*R*1*1*0~", b"").replace(b"SE*7*", b"SE*6*")
    with pytest.raises(X12Error) as err:
        apply_999(ledger, [no_ak9])
    assert (err.value.rule, err.value.segment, err.value.position) == ("segment-missing", "AK9", _ak1(no_ak9))
    assert _rows(ledger) == before and ledger.execute("SELECT COUNT(*) FROM claim_lines").fetchone() == (2,)


def test_a_277_of_another_guide_is_refused_by_name(ledger):
    ids = [c for (c,) in ledger.execute("SELECT claim_id FROM claims")]
    before = _rows(ledger)
    status_response = ack_277ca(accepted=ids, rejected=[]).replace(b"005010X214", b"005010X212")
    with pytest.raises(X12Error) as err:
        apply_277ca(ledger, [status_response])
    assert err.value.rule == "transaction-not-supported"
    assert "005010X212 is not a 277CA (005010X214" in str(err.value)
    assert _rows(ledger) == before


def test_acknowledgments_that_match_nothing_are_findings(ledger):
    (gs06,) = ledger.execute("SELECT gs06 FROM interchanges").fetchone()
    before = _rows(ledger)
    stranger = ack_999(gs06 + 1000, "A", "A")
    result = apply_999(ledger, [stranger])
    assert result.applied == 0
    assert [(f.rule, f.location.segment, f.location.element, f.location.position) for f in result.findings] == [
        ("ack-unmatched", "AK1", 2, _ak1(stranger))]
    result = apply_277ca(ledger, [ack_277ca(accepted=["NOT-OURS-1"], rejected=[])])
    assert result.applied == 0 and result.unknown_claims == ["NOT-OURS-1"]
    assert [(f.rule, f.location.segment) for f in result.findings] == [("ack-unmatched", "TRN")]
    assert _rows(ledger) == before


def test_reconcile_command_refuses_or_flags_acknowledgments(tmp_path):
    from round_trip_support import run

    write_log(tmp_path / "log.csv", ["K1", "K2"])
    ledger = tmp_path / "l.sqlite"
    with Ledger(ledger) as lg:
        encode([tmp_path / "log.csv"], CONFIG, out_dir=tmp_path / "out", ledger=lg, today=dt.date(2026, 11, 1))
        (gs06,) = lg.execute("SELECT gs06 FROM interchanges").fetchone()
        ids = [c for (c,) in lg.execute("SELECT claim_id FROM claims")]
    files = {
        "cut.277": _cut_before(ack_277ca(accepted=ids, rejected=[]), b"SE*"),
        "cut.999": _cut_before(ack_999(gs06, "A", "A"), b"AK9"),
        "x212.277": ack_277ca(accepted=ids, rejected=[]).replace(b"005010X214", b"005010X212"),
        "stranger.999": ack_999(gs06 + 1000, "A", "A"),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)

    def reconcile(*names):
        return run("reconcile", *(tmp_path / n for n in names), "--ledger", ledger, "--config",
                   ROOT / "fixtures" / "nle.toml", "--reports", tmp_path / "rep")

    for name, rule in (("cut.277", "se-missing"), ("cut.999", "se-missing"), ("x212.277", "transaction-not-supported")):
        result = reconcile(name)
        assert result.exit_code == 2, (name, result.output)
        assert f"{tmp_path / name}: error: [segment #" in result.stderr and f"(rule: {rule})" in result.stderr
    result = reconcile("stranger.999")
    assert result.exit_code == 1 and "[ack-unmatched]" in result.stderr and "transactions applied: 0" in result.stdout
    result = reconcile("cut.999", "stranger.999")
    assert result.exit_code == 1
