"""The core's grouping and rendering of a unit (``write_unit`` through ``_core.write_837p_lines``)
against the path it replaced (``tests/unit_oracle.py``: claims built as models by
``grouping.build_claims``, then ``write_837p``): the same bytes, the same ledger rows, the same
rejects and the same result, on the fixtures and on generated line sets; pyx12 finds no error in
what the new path writes."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from pyx12_oracle import assert_pyx12_clean
from sdohedi.models.config import load_config
from sdohedi.pipeline import encode as encode_module
from sdohedi.pipeline.encode import write_unit
from sdohedi.pipeline.grouping import Parties, column_batches
from sdohedi.pipeline.ingest import L
from sdohedi.pipeline.units import UnitNumbers
from sdohedi.x12 import X12Error
from test_claim_building import checked_lines
from test_encode_properties import service_logs, write_log
from unit_oracle import write_unit_from_models

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CONFIG = load_config(FIXTURES / "nle.toml")
STAMP = dt.datetime(2026, 11, 2, 9, 30)


def render(writer, lines, payer_key, config, **kw):
    """(bytes, WriteResult, ledger rows, rejects) of one unit, or the refusal raised."""
    out: list[str] = []
    records: list[tuple] = []
    rejects: list = []
    args = dict(payer_key=payer_key, config=config, parties=Parties(config), numbers=UnitNumbers(7, 3, 41, len(lines)),
                write=out.append, timestamp=STAMP, reject=rejects.append, payer_claim_numbers={},
                record=lambda claim_row, line_rows: records.append((claim_row, line_rows)))
    args.update(kw)
    try:
        result = writer(iter(lines), **args)
    except X12Error as e:
        return "".join(out), ("refused", type(e).__name__, str(e), getattr(e, "rule", None)), records, rejects
    return "".join(out), result, records, rejects


def assert_same_unit(lines, payer_key, config=CONFIG, pyx12=True, **kw):
    new = render(write_unit, lines, payer_key, config, **kw)
    old = render(write_unit_from_models, lines, payer_key, config, **kw)
    assert new[0] == old[0]
    assert new[1:] == old[1:]
    if pyx12 and new[0] and not isinstance(new[1], tuple) and new[1].claims:
        assert_pyx12_clean(new[0])
    return new


def by_payer(lines):
    units = defaultdict(list)
    for line in lines:
        units[line[L["payer"]]].append(line)
    return units


def test_fixture_log_units_are_byte_identical():
    units = by_payer(checked_lines(FIXTURES / "service_log.csv"))
    assert len(units) >= 2
    for payer_key, lines in units.items():
        text, result, records, rejects = assert_same_unit(lines, payer_key)
        assert result.claims == len(records) > 10 and not rejects
        # the ledger rows, counted from a plain split of the file: one line row per SV1
        assert sum(len(r[1]) for r in records) == text.count("~\nSV1*") == len(lines)


def test_a_unit_split_across_many_small_batches(monkeypatch):
    """A claim's lines may arrive in several batches: the core holds them until the key changes."""
    lines = by_payer(checked_lines(FIXTURES / "service_log.csv"))["cascade"]
    whole = render(write_unit, lines, "cascade", CONFIG)
    monkeypatch.setattr(encode_module, "column_batches", functools.partial(column_batches, size=1))
    assert render(write_unit, lines, "cascade", CONFIG) == whole


def _with(line: tuple, **fields) -> tuple:
    out = list(line)
    for name, value in fields.items():
        out[L[name]] = value
    return tuple(out)


@st.composite
def variations(draw, lines: list[tuple]):
    """Line-level variations the row checks let through or later steps set: replacements
    (with and without a payer claim number, voids, new originals), prior authorizations, and a
    few values the models refuse (a member's sex, a trip's state, a charge past the Money limit)."""
    out = []
    for line in lines:
        kind = draw(st.sampled_from(["plain"] * 6 + ["auth", "replaces", "bad-member", "bad-trip", "huge"]))
        if kind == "auth":
            line = _with(line, prior_auth=draw(st.sampled_from(["PA1", "PA2"])))
        elif kind == "replaces":
            line = _with(line, replaces=draw(st.sampled_from(["HAR0000000001", "HAR0000000002", "HAR0000000003",
                                                              "HAR0000000004"])))
        elif kind == "bad-member":
            line = _with(line, sex="X")
        elif kind == "bad-trip" and line[L["pickup_address"]]:
            line = _with(line, pickup_state="xx")
        elif kind == "huge":
            line = _with(line, charge="99999999999999999.00")
        out.append(line)
    return sorted(out)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(rows=service_logs(), max_lines=st.sampled_from([50, 4, 1]), batch=st.sampled_from([1, 3, 4096]),
       encounter=st.booleans(), data=st.data())
def test_generated_units_are_byte_identical(tmp_path_factory, monkeypatch, rows, max_lines, batch, encounter, data):
    log = tmp_path_factory.mktemp("r") / "log.csv"
    write_log(log, rows)
    payers = dict(CONFIG.payers)
    if encounter:
        payers["cascade"] = payers["cascade"].model_copy(update={"submission": "encounter"})
    config = CONFIG.model_copy(update={"payers": payers, "interchange": CONFIG.interchange.model_copy(
        update={"max_lines_per_claim": max_lines})})
    monkeypatch.setattr(encode_module, "column_batches", functools.partial(column_batches, size=batch))
    icns = {"HAR0000000001": "PCN1", "HAR0000000002": "PCN2", "HAR0000000003": "PCN3"}  # 4: none on record
    frequencies = {"HAR0000000002": "8", "HAR0000000003": "1"}
    lines = checked_lines(log, config)
    for payer_key, unit in by_payer(data.draw(variations(lines))).items():
        assert_same_unit(unit, payer_key, config, payer_claim_numbers=icns, frequencies=frequencies)


def test_fifty_lines_and_twelve_diagnoses_split_the_same_way(tmp_path):
    """One member, one CBO, one month: 120 lines, their diagnoses cycling through 14 codes."""
    codes = ["Z59.41", "Z59.48", "Z59.82", "Z59.869", "Z59.01", "Z60.2", "Z56.0", "Z59.6", "Z63.8", "Z65.8",
             "Z59.87", "Z55.6", "Z59.811", "Z59.12"]
    rows = [{"service_id": f"D{i}", "member_id": "M00001", "member_last_name": "LEE", "member_first_name": "ANN",
             "member_birth_date": "1950-02-03", "member_sex": "F", "member_address": "1 MAIN ST",
             "member_city": "SALEM", "member_state": "OR", "member_zip": "97301", "payer": "cascade", "cbo": "meals",
             "service_date": f"2026-09-{i % 28 + 1:02d}", "procedure_code": "S5170", "modifiers": "U6", "units": "1",
             "minutes": "", "diagnosis_codes": ";".join(codes[(i * 3 + k) % 14] for k in range(1 + i % 4)),
             "place_of_service": "12", "charge": "", "prior_auth": ""} for i in range(120)]
    write_log(tmp_path / "log.csv", rows)
    lines = checked_lines(tmp_path / "log.csv")
    text, result, records, rejects = assert_same_unit(lines, "cascade")
    assert result.claims == len(records) >= 3 and not rejects
    assert all(len(line_rows) <= 50 for _, line_rows in records)
    assert max(len(line_rows) for _, line_rows in records) == 50 or result.claims > 3


def test_a_refusal_keeps_its_rule_and_what_came_before():
    """The writer's refusal (a terminator inside a value) ends the unit as it did: same rule,
    same message, the claims before it written."""
    lines = by_payer(checked_lines(FIXTURES / "service_log.csv"))["cascade"]
    bad = sorted([*lines[:20], _with(lines[20], service_id=lines[20][L["service_id"]] + "~\nNM1"), *lines[21:]])
    new = assert_same_unit(bad, "cascade", pyx12=False)
    assert new[1][0] == "refused" and new[1][3] == "delimiter-in-value"
    assert new[0].count("~\nCLM*") > 0


def test_ledger_rows_match_the_file():
    """Each claim row's CLM01 and total, and each line row's REF*6R, from a plain split of the output."""
    lines = checked_lines(FIXTURES / "service_log.csv")
    for payer_key, unit in by_payer(lines).items():
        text, result, records, _ = render(write_unit, unit, payer_key, CONFIG)
        clms = [s.split("*") for s in text.split("~\n") if s.startswith("CLM*")]
        assert [(c[1], c[2]) for c in clms] == [(r[0][0], r[0][10].rstrip("0").rstrip(".") if "." in r[0][10]
                                                 else r[0][10]) for r in records]
        ref6r = [s[7:] for s in text.split("~\n") if s.startswith("REF*6R*")]
        assert ref6r == [ln[0] for _, rows in records for ln in rows]


def test_claims_are_not_built_as_models_past_the_first_of_a_pair(monkeypatch):
    """The core fills the writer's records from the columns: the model-building way the
    pipeline had (``_unchecked_claim``) is not taken, and a validated Claim is built only for the
    first claim of each payer x CBO pair."""
    from sdohedi.pipeline import grouping

    def not_here(*_a, **_k):
        raise AssertionError("a claim model built from checked lines")

    monkeypatch.setattr(grouping, "_unchecked_claim", not_here, raising=False)  # gone from src: the oracle's now
    validated = []
    real = grouping._validated_claim
    monkeypatch.setattr(grouping, "_validated_claim", lambda *a: validated.append(a[0][0]) or real(*a))
    lines = by_payer(checked_lines(FIXTURES / "service_log.csv"))["cascade"]
    text, result, records, rejects = render(write_unit, lines, "cascade", CONFIG)
    assert result.claims > 20 and not rejects
    assert len(validated) == len({(ln[L["payer"]], ln[L["cbo"]]) for ln in lines})


def test_a_party_rule_broken_refuses_every_claim_of_that_pair():
    """A CBO read leniently (a wrong NPI check digit) passes its own model but no claim's
    validation: every claim of that payer x CBO pair is rejected, the others written, alike."""
    from sdohedi.models.claim import RenderingProvider
    from sdohedi.models.fields import LENIENT_CONTEXT

    lines = by_payer(checked_lines(FIXTURES / "service_log.csv"))["cascade"]
    parties = Parties(CONFIG)
    parties.cbos["rides"] = RenderingProvider.model_validate(
        parties.cbos["rides"].model_dump() | {"npi": "1245319590"}, context=LENIENT_CONTEXT)
    text, result, records, rejects = assert_same_unit(lines, "cascade", parties=parties)
    ride_lines = [ln for ln in lines if ln[L["cbo"]] == "rides"]
    assert ride_lines and len(rejects) == len(ride_lines)
    assert all(r.rule == "claim-not-built" and "npi-check-digit" in r.reason for r in rejects)
    assert result.claims == len(records) > 0 and all(r[0][2] != "rides" for r in records)
