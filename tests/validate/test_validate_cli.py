"""``sdohedi validate``: output formats, exit status and the 999 it writes."""

import json

from click.testing import CliRunner

from conftest import CORPUS
from factories import claim
from pyx12_oracle import assert_pyx12_clean
from sdohedi.ack999 import read_999
from sdohedi.cli import main
from validate_helpers import render

CLEAN_835 = CORPUS / "835" / "stupidedi-era-sample.edi"
BAD_837 = CORPUS / "837p-invalid" / "imsweb-x12_segment_errors.txt"
NOT_X12 = CORPUS / "837p-invalid" / "imsweb-x12_no_isa_line.txt"


def run(*args):
    return CliRunner().invoke(main, ["validate", *map(str, args)], catch_exceptions=False)


def test_clean_file_exits_0(tmp_path):
    f = tmp_path / "ok.x12"
    f.write_text(render([claim()]))
    r = run(f)
    assert r.exit_code == 0, r.output
    assert r.output.strip().endswith("0 error(s), 0 warning(s) in 40 segment(s): clean")


def test_warnings_alone_do_not_fail(tmp_path):
    f = tmp_path / "warn.x12"
    f.write_text(render([claim()]).replace("SV1*HC:S5170:U6*25", "SV1*HC:99213*25"))
    r = run(f)
    assert r.exit_code == 0 and "WARNING [procedure-code]" in r.output


def test_errors_exit_1_and_name_the_segment():
    r = run(BAD_837)
    assert r.exit_code == 1
    assert "ERROR [segment-missing] segment 10, loop 2010AA, N3" in r.output
    assert "ERROR [se01-count] segment 25, SE01" in r.output


def test_unreadable_exit_2(tmp_path):
    assert run(NOT_X12).exit_code == 2
    assert run(tmp_path / "missing.x12").exit_code == 2
    r = run(CLEAN_835, BAD_837, tmp_path / "missing.x12")
    assert r.exit_code == 2  # the worst status of all files


def test_json_format_is_one_document(tmp_path):
    r = run("--format", "json", CLEAN_835, BAD_837, tmp_path / "missing.x12")
    doc = json.loads(r.output)
    statuses = [(f["status"], f["errors"]) for f in doc["files"]]
    assert statuses == [("clean", 0), ("errors", 6), ("unreadable", 0)]
    first = doc["files"][1]["findings"][0]
    assert set(first) >= {"severity", "level", "rule", "message", "location"}
    assert first["location"]["interchange"] == "000000905" and first["location"]["transaction"] == "987654"


def test_ack_out_writes_a_999_pyx12_accepts(tmp_path):
    out = tmp_path / "ack.999"
    r = run("--ack-out", out, "--ack-control-number", 42, BAD_837)
    assert r.exit_code == 1
    text = out.read_text()
    assert_pyx12_clean(text)
    ack = read_999([text.encode()])
    (group,) = ack.groups
    assert (group.status, group.control_number, group.ack_interchange) == ("R", "1", "000000042")
    (tx,) = group.transactions
    assert (tx.control_number, tx.status, tx.syntax_errors) == ("987654", "R", ("4", "I5"))
    assert [(s.segment_id, s.position, s.code) for s in tx.segment_errors] == [
        ("NM1", 7, "8"), ("N3", 8, "3"), ("REF", 10, "5"), ("CLM", 19, "8"), ("HI", 20, "3")]
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_ack_out_with_several_files_is_a_directory(tmp_path):
    ok = tmp_path / "ok.x12"
    ok.write_text(render([claim()]))
    r = run("--ack-out", tmp_path / "acks", ok, CLEAN_835)
    assert r.exit_code == 0
    acks = sorted(p.name for p in (tmp_path / "acks").iterdir())
    assert acks == ["ok.x12.999", "stupidedi-era-sample.edi.999"]
    for p in (tmp_path / "acks").iterdir():
        group = read_999([p.read_bytes()]).groups[0]
        assert group.status == "A" and all(t.accepted for t in group.transactions)
