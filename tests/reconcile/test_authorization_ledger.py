"""Authorizations on both ledger backends: the lines' prior_auth is recorded and counted the same
on SQLite and PostgreSQL, an old ledger gains the column, and a run whose authorization another
run used up while it ran (both on one ledger) bills no unit beyond it."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D

import pytest

import sdohedi.pipeline.encode as encode_module
from reconcile_support import BACKENDS, CONFIG, TODAY, bill, open_backend, row, write_rows
from sdohedi.ledger import Ledger, open_ledger
from sdohedi.pipeline.authorizations import Authorization, AuthorizationBook
from sdohedi.pipeline.encode import encode


def book(*auths) -> AuthorizationBook:
    return AuthorizationBook(auths)


def t1016(number: str, units: str, member: str = "M1") -> Authorization:
    return Authorization(number, "cascade", member, "T1016", None, D(units), dt.date(2026, 9, 1),
                         dt.date(2026, 9, 30), 2)


def _sum_units(lg, number: str) -> D:
    """The ledger's lines under ``number``, summed here from the rows (not by the method under test)."""
    return sum((D(u) for (u,) in lg.execute("SELECT units FROM claim_lines WHERE prior_auth = ?", (number,))),
               D(0))


@pytest.mark.parametrize("kind", BACKENDS)
def test_authorization_use_is_counted_from_the_ledger_on_both_backends(kind, request, tmp_path):
    auths = book(t1016("PA-1", "5"), t1016("PA-2", "9", member="M2"))
    rows = [row("A1", "M1", "casemgmt", "T1016", "", "2", "2026-09-05"),
            row("A2", "M1", "casemgmt", "T1016", "", "2.5", "2026-09-06"),
            row("A3", "M2", "casemgmt", "T1016", "", "4", "2026-09-07"),
            row("A4", "M3", "casemgmt", "T1016", "", "1", "2026-09-07")]  # no authorization
    with open_backend(kind, request, tmp_path) as lg:
        s = bill(lg, write_rows(tmp_path / "log.csv", rows), tmp_path / "out", authorizations=auths)
        assert s.rejected_rows == 0 and s.billed_rows == 4
        assert _sum_units(lg, "PA-1") == D("4.5") and _sum_units(lg, "PA-2") == D("4")
        assert lg.authorization_use(["PA-1", "PA-2", "PA-3"]) == {("cascade", "PA-1"): D("4.5"),
                                                                   ("cascade", "PA-2"): D("4")}
        # a second run sees what the first billed: 0.5 left of PA-1, which B1 (the earlier) takes;
        # B1's other 0.5 and B2 are rejected
        more = [row("B1", "M1", "casemgmt", "T1016", "", "1", "2026-09-10"),
                row("B2", "M1", "casemgmt", "T1016", "", "0.5", "2026-09-11")]
        s2 = bill(lg, write_rows(tmp_path / "log2.csv", more), tmp_path / "out2", authorizations=auths)
        assert (s2.billed_rows, s2.rejected_rows) == (1, 2)
        assert _sum_units(lg, "PA-1") == D("5")


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_ledger_without_the_column_gains_it_and_keeps_its_lines(kind, request, tmp_path):
    with open_backend(kind, request, tmp_path) as lg:
        bill(lg, write_rows(tmp_path / "log.csv", [row("O1", "M1", "casemgmt", "T1016", "", "1", "2026-09-05")]),
             tmp_path / "out")
        lg.execute("ALTER TABLE claim_lines DROP COLUMN prior_auth")
        assert "prior_auth" not in lg.columns("claim_lines")
        lg.create_tables()  # what opening the ledger does
        assert "prior_auth" in lg.columns("claim_lines")
        assert lg.execute("SELECT service_id, prior_auth FROM claim_lines").fetchall() == [("O1", None)]
        lg.create_tables()  # again: nothing to do


def test_read_only_old_ledger_counts_nothing_instead_of_failing(tmp_path):
    path = tmp_path / "old.sqlite"
    with Ledger(path) as lg:
        bill(lg, write_rows(tmp_path / "log.csv", [row("O1", "M1", "casemgmt", "T1016", "", "1", "2026-09-05")]),
             tmp_path / "out")
        lg.execute("ALTER TABLE claim_lines DROP COLUMN prior_auth")
    with Ledger(path, readonly=True) as ro:
        assert ro.authorization_use(["PA-1"]) == {}
        assert ro.line_authorizations(["O1"]) == {}


def _spec(kind, request, tmp_path) -> str:
    if kind == "sqlite":
        return str(tmp_path / "shared.sqlite")
    return request.getfixturevalue("pg_server").new_database("a" + uuid.uuid4().hex[:12])


@pytest.mark.parametrize("kind", BACKENDS)
def test_units_another_run_takes_while_this_one_runs_are_counted_under_the_billing_lock(
        kind, request, tmp_path, monkeypatch):
    """Run 1 reads its rows while 6 of PA-C's 8 units are free; before it bills, run 2 bills 4 under
    PA-C. Run 1 then finds 2 left inside its billing transaction: of its two 3-unit lines, the first
    is billed for those 2, the second not at all."""
    spec = _spec(kind, request, tmp_path)
    auths = [t1016("PA-C", "8")]
    with open_ledger(spec) as lg:
        bill(lg, write_rows(tmp_path / "log0.csv", [row("C0", "M1", "casemgmt", "T1016", "", "2", "2026-09-02")]),
             tmp_path / "out0", authorizations=book(*auths))
    mine = write_rows(tmp_path / "log1.csv", [row("C1", "M1", "casemgmt", "T1016", "", "3", "2026-09-05"),
                                              row("C2", "M1", "casemgmt", "T1016", "", "3", "2026-09-06")])
    theirs = write_rows(tmp_path / "log2.csv", [row("C3", "M1", "casemgmt", "T1016", "", "4", "2026-09-20")])
    plan = encode_module._plan

    def other_run_first(*args, **kw):
        monkeypatch.setattr(encode_module, "_plan", plan)  # once: the other run plans as usual
        with open_ledger(spec) as other:
            s = encode([theirs], CONFIG, out_dir=tmp_path / "out2", ledger=other, today=TODAY,
                       authorizations=book(*auths))
            assert s.billed_rows == 1
        return plan(*args, **kw)

    monkeypatch.setattr(encode_module, "_plan", other_run_first)
    with open_ledger(spec) as lg:
        s = encode([mine], CONFIG, out_dir=tmp_path / "out1", ledger=lg, today=TODAY, authorizations=book(*auths))
        assert (s.billed_rows, s.rejected_rows, s.authorized_concurrently) == (1, 2, 2)
        assert s.reject_reasons == {"units: authorization-exceeded": 2}
        assert _sum_units(lg, "PA-C") == D("8")  # never beyond the 8 authorized
