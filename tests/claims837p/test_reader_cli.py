"""sdohedi decode FILE.837 --out claims.jsonl"""

from __future__ import annotations

import json
import stat

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import CORPUS
from factories import CHILD, ENVELOPE, RECEIVER, SUBMITTER, TIMESTAMP, claim
from strategies import claims
from sdohedi.claims837p import read_837p_file, write_837p
from sdohedi.cli import main
from sdohedi.commands.decode import claim_json_line
from sdohedi.models import Claim


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def encode(cs) -> str:
    out = []
    write_837p(cs, out.append, submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE, interchange_control_number=9,
               group_control_number=9, timestamp=TIMESTAMP)
    return "".join(out)


def test_registered():
    assert "decode" in run("--help").stdout


def test_our_own_file_round_trips_to_json_lines(tmp_path):
    cs = [claim("A1"), claim("A2", patient=CHILD)]
    src, out = tmp_path / "x.837", tmp_path / "claims.jsonl"
    src.write_text(encode(cs))
    result = run("decode", src, "--out", out)
    assert result.exit_code == 0, result.stderr
    lines = out.read_text().splitlines()
    assert [Claim.model_validate_json(line) for line in lines] == cs  # equal values (12.5 is 12.50)
    assert json.loads(lines[1])["patient"]["first_name"] == "LUIS"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "2 claims read" in result.stdout and result.stderr == ""
    assert not list(tmp_path.glob(".*.tmp"))


def test_some_claims_not_read_exit_1_and_say_where_without_phi(tmp_path):
    text = encode([claim("A1"), claim("A2"), claim("A3")]).replace("CLM*A2*50*", "CLM*A2*5*")
    src, out = tmp_path / "x.837", tmp_path / "claims.jsonl"
    src.write_text(text)
    result = run("decode", src, "--out", out)
    assert result.exit_code == 1
    assert [json.loads(line)["claim_id"] for line in out.read_text().splitlines()] == ["A1", "A3"]
    assert "claim #2" in result.stderr and "segment #" in result.stderr and "CLM02" in result.stderr
    for phi in ("RIVERA", "ANA", "MBR000111", "19580314"):
        assert phi not in result.stderr and phi not in result.stdout


def test_lenient_reads_the_tr3_examples(tmp_path):
    src = CORPUS / "837p" / "stupidedi-anesthesia.edi"
    out = tmp_path / "claims.jsonl"
    strict = run("decode", src, "--out", out)
    assert strict.exit_code == 1 and "--lenient" in strict.stderr
    assert out.read_text() == ""
    lenient = run("decode", src, "--out", out, "--lenient")
    assert lenient.exit_code == 0
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["claim_id"] == "153829140" and record["deviations"] == ["npi-check-digit"]
    assert record["lines"][0]["unit_basis"] == "MJ" and record["diagnosis_code_qualifier"] == "BK"


def test_unreadable_exit_2_and_nothing_written(tmp_path):
    out = tmp_path / "claims.jsonl"
    src = tmp_path / "notes.txt"
    src.write_text("not an interchange")
    result = run("decode", src, "--out", out)
    assert result.exit_code == 2 and "isa-missing" in result.stderr
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))
    assert run("decode", tmp_path / "missing.837", "--out", out).exit_code == 2
    remit = encode([claim()]).replace("ST*837*", "ST*835*")
    src.write_text(remit)
    assert run("decode", src, "--out", out).exit_code == 2 and not out.exists()


def test_fatal_error_after_some_claims_keeps_them_exit_1(tmp_path):
    src, out = tmp_path / "x.837", tmp_path / "claims.jsonl"
    src.write_text(encode([claim("A1")]) + encode([claim("B1")]).replace("GS*HC*", "GS*HP*"))
    result = run("decode", src, "--out", out)
    assert result.exit_code == 1 and "group-not-supported" in result.stderr
    assert [json.loads(line)["claim_id"] for line in out.read_text().splitlines()] == ["A1"]


def _json_dumps_line(c: Claim) -> str:
    """The JSON line as the standard library writes it: the oracle for claim_json_line."""
    return json.dumps(c.model_dump(mode="json"), separators=(",", ":")) + "\n"


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cs=st.lists(claims(), min_size=1, max_size=3))
def test_json_lines_are_what_json_dumps_writes(cs):
    for c in cs:
        assert claim_json_line(c) == _json_dumps_line(c)


def test_json_lines_of_the_corpus_and_of_non_ascii_text_are_what_json_dumps_writes():
    corpus = [c for path in sorted((CORPUS / "837p").glob("stupidedi-*"))
              for c in read_837p_file(path, lenient=True, on_error=lambda e: None)]
    assert corpus
    odd = Claim.model_construct(**{**claim("Z1").__dict__, "claim_id": "CAFÉ \u2028"})  # no model holds this
    for c in corpus + [claim("A1"), claim("A2", patient=CHILD), odd]:
        assert claim_json_line(c) == _json_dumps_line(c)
