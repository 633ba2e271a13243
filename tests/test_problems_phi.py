"""Messages hold no element values: names, member ids and dates put into broken inputs appear in
no finding, error, reject reason or terminal output."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from click.testing import CliRunner

from sdohedi.cli import main

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "corpus"
PHI = ("QUIXOTICZ", "ZELDAQ", "MBR98765Q", "19310744", "1931-07-44", "19310704", "1931-07-04", "2021-06-05",
       "20210605")


def _clean(text: str) -> None:
    for value in PHI:
        assert value not in text


def _run(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output + (result.stderr if result.stderr_bytes is not None else "")


def test_835_with_phi_in_broken_elements(tmp_path):
    text = (CORPUS / "835" / "stupidedi-era-sample.edi").read_text()
    text = text.replace("NM1*QC*1*DOE*SALLY****MI*SJD11111", "NM1*QC*1*QUIXOTICZ*ZELDAQ****ZZ*MBR98765Q*X1*X2*X3")
    text = text.replace("DTM*472*20140324", "DTM*472*19310744", 2).replace("CLP*7722337*1*226", "CLP*MBR98765Q*1*2X6")
    path = tmp_path / "phi.835"
    path.write_text(text)
    out = _run("validate", path) + _run("remit", path, "--out", tmp_path / "r.csv")
    assert "[" in out  # findings were reported
    _clean(out)


def test_837p_with_phi_in_broken_elements(tmp_path):
    text = (CORPUS / "837p" / "imsweb-x12_valid.txt").read_text()
    text = text.replace("NM1*IL*1*DOE*JOHN*T**JR*MI*123456", "NM1*IL*1*QUIXOTICZ*ZELDAQ*T**JR*ZZ*MBR98765Q*X1*X2*X3", 1)
    text = re.sub(r"DMG\*D8\*\d{8}", "DMG*D8*19310744", text)
    text = re.sub(r"DTP\*472\*D8\*\d{8}", "DTP*472*D8*19310744", text, count=1)
    path = tmp_path / "phi.837"
    path.write_text(text)
    out = _run("validate", path) + _run("decode", path, "--out", tmp_path / "c.json")
    out += _run("decode", path, "--lenient", "--out", tmp_path / "d.json")
    assert "[" in out or "error" in out
    _clean(out)


def test_service_log_with_phi_in_broken_fields(tmp_path):
    with open(ROOT / "fixtures" / "service_log.csv", newline="") as f:
        rows = list(csv.DictReader(f))[:3]
    bad = dict(rows[0], member_last_name="QUIXOTICZ☃", member_first_name="ZELDAQ" * 7,
               member_id="MBR98765Q*", member_birth_date="1931-07-44", service_date="19310704", payer="nope")
    bad2 = dict(rows[1], member_last_name="QUIXOTICZ", member_id="MBR98765Q" * 10, member_birth_date="1931-07-04",
                member_zip="MBR98765Q", units="MBR98765Q")
    log = tmp_path / "log.csv"
    with open(log, "w", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader()
        # a date of service before the procedure and the diagnosis were in force
        early = dict(rows[2], service_date="2021-06-05", procedure_code="G0023", diagnosis_codes="Z55.5")
        w.writerows([bad, bad2, early, rows[2]])
    out = _run("encode", log, "--config", ROOT / "fixtures" / "nle.toml", "--out", tmp_path / "o",
               "--ledger", tmp_path / "l.sqlite")
    out += _run("encode", log, "--config", ROOT / "fixtures" / "nle.toml", "--dry-run", "--format", "json",
                "--ledger", tmp_path / "l2.sqlite")
    _clean(out)
    with open(tmp_path / "o" / "rejects.csv", newline="") as f:
        rejects = list(csv.DictReader(f))
    assert len({r["row_number"] for r in rejects}) == 3 and len(rejects) >= 9
    _clean(" ".join(r["reason"] + r["rule"] + r["column"] for r in rejects))
