"""``sdohedi adjudicate`` on 837Ps we did not write: its 835 passes our validator and pyx12
(CLP06 is a CLP06 code even when SBR09 is not), and an 835 with nothing to pay is not written."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from conftest import CORPUS
from pyx12_oracle import pyx12_errors
from round_trip_support import FIX, encode_and_adjudicate, run
from sdohedi.adjudicate import adjudicate, load_rules
from sdohedi.claims837p.reader import Reader837P
from sdohedi.remit835 import write_835
from sdohedi.validate import validate_file

CORPUS_837P = sorted((CORPUS / "837p").glob("*")) if (CORPUS / "837p").is_dir() else []
RULES = FIX / "payer_summit.toml"
# CLP06 (Claim Filing Indicator Code) in 005010X221A1, copied from the TR3's code list
CLP06_CODES = {"12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA", "MB", "MC", "OF", "TV", "VA",
               "WC", "ZZ"}


def read_claims(path: Path, lenient: bool) -> list:
    reader = Reader837P(lenient=lenient)
    claims = reader.feed(path.read_bytes())
    reader.close()
    return claims


def readable(path: Path) -> bool:
    """decode reads at least one claim of it, strict or lenient (else adjudicate has nothing to say)."""
    return any(read_claims(path, lenient) for lenient in (False, True))


def segments(data: bytes) -> list[list[str]]:
    """A plain split (ISA fixes the separators at bytes 3 and 105), independent of our tokenizer."""
    text = data.decode("ascii")
    element, terminator = text[3], text[105]
    return [s.strip().split(element) for s in text.split(terminator) if s.strip()]


def our_errors(path: Path) -> list[str]:
    return [f"{f.rule}: {f.message}" for f in validate_file(path) if f.severity == "error"]


def assert_835_accepted(path: Path) -> None:
    assert not our_errors(path), our_errors(path)[:5]
    ok, errors, _ = pyx12_errors(path.read_bytes())
    assert ok and not errors, errors[:5]
    ids = [s[0] for s in segments(path.read_bytes())]
    for i, seg in enumerate(ids):  # every group holds a transaction set
        if seg == "GS":
            assert ids[i + 1] == "ST", "a GS with no ST"


READABLE = [p for p in CORPUS_837P if readable(p)]


@pytest.mark.skipif(not READABLE, reason="no readable 837P in the corpus")
@pytest.mark.parametrize("path", READABLE, ids=lambda p: p.name)
def test_cli_on_corpus_835_accepted_or_absent(path, tmp_path):
    era, ack = tmp_path / "out.835", tmp_path / "out.999"
    r = run("adjudicate", path, "--rules", RULES, "--out-835", era, "--out-999", ack, "--payment-date", "2026-11-15")
    assert "Traceback" not in r.output
    assert ack.exists()
    ack_segments = segments(ack.read_bytes())
    rejected = [s for s in ack_segments if s[0] == "IK5" and s[1] == "R"]
    adjudicated = int(r.output.split("claims adjudicated:")[1].split()[0])
    if era.exists():
        assert adjudicated > 0
        assert_835_accepted(era)
        clp = [s for s in segments(era.read_bytes()) if s[0] == "CLP"]
        assert len(clp) == adjudicated
        assert all(s[6] in CLP06_CODES for s in clp)
    else:  # nothing to pay: no 835 (a GS/GE with no ST is not X12), the 999 tells why
        assert adjudicated == 0 and r.exit_code == 1
        assert rejected, "no 835 and no rejection in the 999"
        assert "no 835 written" in r.output


@pytest.mark.skipif(not READABLE, reason="no readable 837P in the corpus")
@pytest.mark.parametrize("path", READABLE, ids=lambda p: p.name)
def test_adjudicating_every_readable_corpus_claim_gives_an_accepted_835(path, tmp_path):
    """Not only the sets our 999 accepts: every claim lenient decode reads gets a valid 835."""
    claims = read_claims(path, lenient=True)
    assert claims
    rules = load_rules(RULES)
    remit = adjudicate(claims, rules, payee_name="CORPUS PAYEE", payee_npi=None, payee_tax_id="123456789",
                       receiver_id="RECEIVER", control_number=5, payment_date=dt.date(2026, 11, 15))
    out = io.StringIO()
    write_835([remit], out.write, sender_id=rules.payer_id, receiver_id="RECEIVER", interchange_control_number=5,
              group_control_number=5, timestamp=dt.datetime(2026, 11, 15, 12, 0))
    era = tmp_path / "all.835"
    era.write_text(out.getvalue())
    assert_835_accepted(era)


def test_sbr09_not_a_clp06_code_takes_the_payers_default(tmp_path):
    """SBR09 CI (commercial insurance) has no CLP06 twin: the payer's filing_indicator is written and said."""
    summary, eras, _ = encode_and_adjudicate(tmp_path / "l.sqlite", tmp_path)
    x837 = Path(summary["interchanges"][0]["path"])
    data = x837.read_bytes().decode("ascii")
    sbr = [s for s in data.split("~") if s.strip().startswith("SBR*")]
    assert sbr and all(s.split("*")[9] != "CI" for s in sbr)
    ci = tmp_path / "ci.837"
    ci.write_text("~".join(
        "*".join(s.split("*")[:9] + ["CI"] + s.split("*")[10:]) if s.strip().startswith("SBR*") else s
        for s in data.split("~")))
    era, ack = tmp_path / "ci.835", tmp_path / "ci.999"
    r = run("adjudicate", ci, "--rules", FIX / f"payer_{summary['interchanges'][0]['payer']}.toml", "--out-835", era,
            "--out-999", ack, "--payment-date", "2026-11-15")
    assert r.exit_code == 0, r.output
    assert_835_accepted(era)
    clp06 = {s[6] for s in segments(era.read_bytes()) if s[0] == "CLP"}
    assert clp06 == {"MC"}  # the fixtures' payer rules set no filing_indicator: the default
    assert "SBR09 'CI' is not a CLP06 code" in r.output


def test_fixture_eras_pass_our_validator(tmp_path):
    _, eras, _ = encode_and_adjudicate(tmp_path / "l.sqlite", tmp_path)
    assert eras
    for era in eras:
        assert_835_accepted(era)


def test_payer_filing_indicator_must_be_a_clp06_code(tmp_path):
    rules = tmp_path / "p.toml"
    rules.write_text(RULES.read_text().replace("[payer]\n", '[payer]\nfiling_indicator = "CI"\n', 1))
    r = run("adjudicate", FIX / "service_log.csv", "--rules", rules, "--out-835", tmp_path / "a", "--out-999",
            tmp_path / "b")
    assert r.exit_code == 2 and "filing_indicator" in r.output and "CLP06" in r.output
