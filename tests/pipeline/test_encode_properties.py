"""Properties of encode on generated service logs, checked against the written 837P files."""

from __future__ import annotations

import csv
import datetime as dt
import multiprocessing
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from factories import TRIP_HOME, TRIP_TO_CLINIC
from pyx12_oracle import assert_pyx12_clean
from sdohedi.ledger import Ledger
from sdohedi.models.config import load_config
from sdohedi.models.service_row import COLUMNS
from sdohedi.pipeline import encode as encode_module
from sdohedi.pipeline.encode import encode
from sdohedi.x12 import iter_segments

CONFIG = load_config(Path(__file__).resolve().parents[2] / "fixtures" / "nle.toml")
TODAY = dt.date(2026, 11, 1)
# (payer, cbo, code, modifiers, fee per unit) — fees copied by hand from fixtures/nle.toml
SERVICES = [("cascade", "meals", "S5170", "U6", Decimal("10.25")), ("cascade", "rides", "T2003", "", Decimal("28.00")),
            ("cascade", "casemgmt", "T1016", "", Decimal("21.40")), ("summit", "meals", "S5170", "", Decimal("11.00")),
            ("summit", "rides", "S0215", "", Decimal("2.00"))]


@st.composite
def service_logs(draw):
    n_members = draw(st.integers(1, 4))
    rows = []
    for i in range(draw(st.integers(1, 70))):
        m = draw(st.integers(0, n_members - 1))
        payer, cbo, code, mods, fee = draw(st.sampled_from(SERVICES))
        units = draw(st.integers(1, 9))
        rows.append({
            "service_id": f"S{i}", "member_id": f"M{m:05d}", "member_last_name": draw(st.sampled_from(["LEE", "Peña", "O'Neil*X"])),
            "member_first_name": "ANN", "member_birth_date": "1950-02-03", "member_sex": "F",
            "member_address": "1 MAIN ST", "member_city": "SALEM", "member_state": "OR", "member_zip": "97301",
            "payer": payer, "cbo": cbo,
            "service_date": (dt.date(2026, 8, 1) + dt.timedelta(days=draw(st.integers(0, 80)))).isoformat(),
            "procedure_code": code, "modifiers": mods, "units": str(units), "minutes": "",
            "diagnosis_codes": ";".join(draw(st.lists(st.sampled_from(["Z59.41", "Z59.48", "Z59.82", "Z59.869", "Z59.01",
                                                                      "Z60.2", "Z56.0", "Z59.6", "Z63.8", "Z65.8",
                                                                      "Z59.87", "Z55.6", "Z59.811", "Z59.12"]),
                                                      min_size=1, max_size=4, unique=True))),
            "place_of_service": "12", "charge": "", "prior_auth": "", "_fee": fee * units,
            # rides go to the clinic or back home: one claim may hold both trips (2310E/F and 2420G/H)
            **(draw(st.sampled_from([TRIP_TO_CLINIC, TRIP_HOME])) if cbo == "rides" else {}),
        })
        # keep a member's name stable, as a real log would
        rows[-1]["member_last_name"] = ["LEE", "Peña", "O'Neil*X", "NG"][m]
    return rows


def write_log(path: Path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(rows=service_logs(), max_lines=st.sampled_from([50, 3]))
def test_each_service_id_once_and_totals_equal_priced_lines(tmp_path_factory, rows, max_lines):
    tmp = tmp_path_factory.mktemp("p")
    log = tmp / "log.csv"
    write_log(log, rows)
    config = CONFIG.model_copy(update={"interchange": CONFIG.interchange.model_copy(
        update={"max_lines_per_claim": max_lines})})
    with Ledger(tmp / "l.sqlite") as ledger:
        summary = encode([log], config, out_dir=tmp / "out", ledger=ledger, today=TODAY, run_size=16)
    assert summary.rejected_rows == 0
    ref6r, clm_total = [], Decimal(0)
    for f in (tmp / "out").glob("*.837"):
        data = f.read_bytes()
        for s in iter_segments([data]):
            if s.elements[:2] == ["REF", "6R"]:
                ref6r.append(s.elements[2])
            elif s.id == "CLM":
                clm_total += Decimal(s.elements[2])
            elif s.id == "LX":
                assert int(s.elements[1]) <= max_lines
    assert sorted(ref6r) == sorted(r["service_id"] for r in rows)
    assert clm_total == sum(r["_fee"] for r in rows)
    assert sum(o.total_charge for o in summary.outputs) == clm_total


def test_pyx12_accepts_spilled_multi_member_run(tmp_path):
    rows = [dict(service_id=f"X{i}", member_id=f"M{i % 7}", member_last_name="DOE", member_first_name="JO",
                 member_birth_date="1960-01-01", member_sex="M", member_address="2 ELM", member_city="BEND",
                 member_state="OR", member_zip="97701", payer="cascade", cbo="meals",
                 service_date=f"2026-0{8 + i % 2}-{1 + i % 28:02d}", procedure_code="S5170", modifiers="U6",
                 units="1", minutes="", diagnosis_codes="Z59.41", place_of_service="12", charge="", prior_auth="")
            for i in range(400)]
    write_log(tmp / "x.csv" if (tmp := tmp_path) else None, rows)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        summary = encode([tmp_path / "x.csv"], CONFIG, out_dir=tmp_path / "o", ledger=ledger, today=TODAY, run_size=50)
    assert summary.billed_rows == 400
    for f in (tmp_path / "o").glob("*.837"):
        assert_pyx12_clean(f.read_bytes())


def _reserve_many(path, n, q):
    with Ledger(path) as ledger:
        q.put([ledger.reserve("isa13:X")[0] for _ in range(n)])


def test_concurrent_reservations_never_overlap(tmp_path):
    path = tmp_path / "l.sqlite"
    Ledger(path).close()
    q = multiprocessing.get_context("spawn").Queue()
    procs = [multiprocessing.get_context("spawn").Process(target=_reserve_many, args=(path, 60, q)) for _ in range(3)]
    for p in procs:
        p.start()
    got = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join()
    numbers = [n for chunk in got for n in chunk]
    assert len(numbers) == len(set(numbers)) == 180


def test_crash_while_writing_leaves_no_file_and_no_record(tmp_path, monkeypatch):
    rows = [dict(service_id=f"C{i}", member_id="M1", member_last_name="DOE", member_first_name="JO",
                 member_birth_date="1960-01-01", member_sex="M", member_address="2 ELM", member_city="BEND",
                 member_state="OR", member_zip="97701", payer="cascade", cbo="meals", service_date="2026-09-01",
                 procedure_code="S5170", modifiers="U6", units="1", minutes="", diagnosis_codes="Z59.41",
                 place_of_service="12", charge="", prior_auth="") for i in range(5)]
    write_log(tmp_path / "x.csv", rows)
    real = encode_module.write_837p_lines

    def crashing(batches, write, **kw):
        def boom():
            yield from batches
            raise RuntimeError("disk gone")
        return real(boom(), write, **kw)

    monkeypatch.setattr(encode_module, "write_837p_lines", crashing)
    with Ledger(tmp_path / "l.sqlite") as ledger, pytest.raises(RuntimeError):
        encode([tmp_path / "x.csv"], CONFIG, out_dir=tmp_path / "o", ledger=ledger, today=TODAY)
    assert list((tmp_path / "o").iterdir()) == []
    db = sqlite3.connect(tmp_path / "l.sqlite")
    assert db.execute("SELECT COUNT(*) FROM interchanges").fetchone() == (0,)
    assert db.execute("SELECT COUNT(*) FROM claim_lines").fetchone() == (0,)
    # the numbers reserved before the crash stay burned: the next run does not reuse them
    assert db.execute("SELECT value FROM counters WHERE name='isa13:HARBORNLE'").fetchone() == (1,)
    monkeypatch.setattr(encode_module, "write_837p_lines", real)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        summary = encode([tmp_path / "x.csv"], CONFIG, out_dir=tmp_path / "o", ledger=ledger, today=TODAY)
    assert summary.outputs[0].interchange_control_number == 2 and summary.billed_rows == 5


def test_resubmit_makes_replacement_claim_with_f8(tmp_path):
    rows = [dict(service_id=f"R{i}", member_id="M1", member_last_name="DOE", member_first_name="JO",
                 member_birth_date="1960-01-01", member_sex="M", member_address="2 ELM", member_city="BEND",
                 member_state="OR", member_zip="97701", payer="cascade", cbo="meals", service_date="2026-09-01",
                 procedure_code="S5170", modifiers="U6", units="1", minutes="", diagnosis_codes="Z59.41",
                 place_of_service="12", charge="", prior_auth="") for i in range(3)]
    write_log(tmp_path / "x.csv", rows)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        first = encode([tmp_path / "x.csv"], CONFIG, out_dir=tmp_path / "o1", ledger=ledger, today=TODAY)
        (claim_id,) = ledger.db.execute("SELECT claim_id FROM claims").fetchone()
        # without a payer claim number the replacement cannot be sent
        rows[1]["units"] = "2"
        write_log(tmp_path / "x.csv", rows)
        blocked = encode([tmp_path / "x.csv"], CONFIG, out_dir=tmp_path / "o2", ledger=ledger, today=TODAY,
                         resubmit=True)
        assert blocked.billed_rows == 0 and blocked.rejected_rows == 3
        ledger.db.execute("UPDATE claims SET payer_claim_number = 'ICN77' WHERE claim_id = ?", (claim_id,))
        again = encode([tmp_path / "x.csv"], CONFIG, out_dir=tmp_path / "o3", ledger=ledger, today=TODAY,
                       resubmit=True)
        assert first.billed_rows == again.billed_rows == 3
        (f,) = (tmp_path / "o3").glob("*.837")
        data = f.read_bytes()
        assert_pyx12_clean(data)
        segs = [s.elements for s in iter_segments([data])]
        assert ["REF", "F8", "ICN77"] in segs
        assert next(s for s in segs if s[0] == "CLM")[5] == "12:B:7"
        (replaces,) = ledger.db.execute("SELECT replaces FROM claims WHERE frequency = '7'").fetchone()
        assert replaces == claim_id
        assert ledger.db.execute("SELECT COUNT(*) FROM line_history").fetchone() == (3,)
