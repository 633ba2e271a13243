"""The oracle's claims (tests/unit_oracle.py: built without re-validation by _unchecked_claim)
equal what pydantic's validation makes of the same values, and the validating way still decides
when in doubt: what makes the oracle a fair one for the core's grouping (test_unit_rendering.py)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from sdohedi.models.claim import Claim, RenderingProvider
from sdohedi.models.fields import LENIENT_CONTEXT
from sdohedi.models.config import load_config
from sdohedi.pipeline import grouping
from sdohedi.pipeline.grouping import Parties
from sdohedi.pipeline.ingest import Reject, read_rows
from row_checker import RowChecker
from factories import TRIP_TO_CLINIC
from test_encode_properties import service_logs, write_log
import unit_oracle
from unit_oracle import build_claims

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CONFIG = load_config(FIXTURES / "nle.toml")
TODAY = dt.date(2026, 11, 1)


def checked_lines(path: Path, config=CONFIG) -> list[tuple]:
    checker = RowChecker(config, today=TODAY)
    lines, seen = [], set()
    for n, raw in read_rows(path):
        line = checker.check(n, raw, str(path))
        if isinstance(line, Reject) or line[grouping.L["service_id"]] in seen:
            continue
        seen.add(line[grouping.L["service_id"]])
        lines.append(line)
    return sorted(lines)


def build(lines, config=CONFIG):
    ids = itertools.count(1)
    rejects: list[Reject] = []
    built = list(build_claims(lines, Parties(config), lambda _p: f"T{next(ids):010d}", reject=rejects.append))
    return built, rejects


def assert_same_as_validated(claim: Claim) -> None:
    again = Claim.model_validate(claim.model_dump())  # the independent check: pydantic's validation
    assert again == claim
    assert again.model_dump() == claim.model_dump()
    assert claim.deviations == ()


def test_fixture_log_claims_equal_validated_claims(monkeypatch):
    calls = []
    unchecked = unit_oracle._unchecked_claim
    monkeypatch.setattr(unit_oracle, "_unchecked_claim", lambda *a: calls.append(1) or unchecked(*a))
    built, rejects = build(checked_lines(FIXTURES / "service_log.csv"))
    assert len(built) > 50 and not rejects
    # all but the first claim of each payer x CBO pair were built the unchecked way
    pairs = {(b.payer_key, b.cbo_key) for b in built}
    assert len(calls) == len(built) - len(pairs)
    for b in built:
        assert_same_as_validated(b.claim)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(rows=service_logs())
def test_generated_logs_claims_equal_validated_claims(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("log") / "log.csv"
    write_log(path, rows)
    lines = checked_lines(path)
    built, rejects = build(lines)
    assert not rejects
    assert sum(len(b.claim.lines) for b in built) == len(lines)
    for b in built:
        assert_same_as_validated(b.claim)


def test_total_beyond_money_limit_goes_the_validating_way_and_is_rejected(tmp_path):
    rows = []
    for i in range(3):
        rows.append({
            "service_id": f"BIG{i}", "member_id": "M00001", "member_last_name": "LEE", "member_first_name": "ANN",
            "member_birth_date": "1950-02-03", "member_sex": "F", "member_address": "1 MAIN ST",
            "member_city": "SALEM", "member_state": "OR", "member_zip": "97301", "payer": "cascade", "cbo": "rides",
            "service_date": f"2026-09-0{i + 1}", "procedure_code": "T2003", "modifiers": "", "units": "1",
            "minutes": "", "diagnosis_codes": "Z59.82", "place_of_service": "12", "prior_auth": "",
            # a first, small claim of this payer x CBO passes full validation; the big one follows
            "charge": "10.00" if i == 0 else "9000000000000000.00", **TRIP_TO_CLINIC,
        })
    rows[0]["member_id"] = "M00000"
    path = tmp_path / "log.csv"
    write_log(path, rows)
    built, rejects = build(checked_lines(path))
    assert [len(b.claim.lines) for b in built] == [1]
    assert sorted(r.service_id for r in rejects) == ["BIG1", "BIG2"]
    assert all(r.column == "(claim)" and "total_charge" in r.reason for r in rejects)


def test_party_rule_broken_rejects_every_claim_of_that_pair():
    """A provider read leniently (a wrong NPI check digit) passes its own model but not a claim's
    validation: no claim of that payer x CBO pair ever passes, so none is built unchecked."""
    lines = checked_lines(FIXTURES / "service_log.csv")
    parties = Parties(CONFIG)
    rides = parties.cbos["rides"]
    parties.cbos["rides"] = RenderingProvider.model_validate(
        rides.model_dump() | {"npi": "1245319590"}, context=LENIENT_CONTEXT)
    ids = itertools.count(1)
    rejects: list[Reject] = []
    built = list(build_claims(lines, parties, lambda _p: f"T{next(ids):010d}", reject=rejects.append))
    ride_lines = [ln for ln in lines if ln[grouping.L["cbo"]] == "rides"]
    assert ride_lines and len(rejects) == len(ride_lines)
    assert all("npi-check-digit" in r.reason for r in rejects)
    assert built and all(b.cbo_key != "rides" for b in built)
