"""Every figure of ``sdohedi dashboard`` equals reconcile's CSV reports, or a plain split of the
837Ps and 835s the flow wrote: on a ledger built by the real CLI flow (dashboard_support), SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import stat
import uuid
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import pytest

from dashboard_support import (CONFIG, NOVEMBER_ROWS, TODAY, build_flow, cents, dashboard, fee, page_data, read_csv,
                               run, segments)
from round_trip_support import FIX
from sdohedi.codes import load_table
from sdohedi.dashboard import Period, figures
from sdohedi.ledger import open_ledger


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def flow(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"flow-{request.param}")
    if request.param == "sqlite":
        ledger = str(tmp / "ledger.sqlite")
    else:
        ledger = request.getfixturevalue("pg_server").new_database("d" + uuid.uuid4().hex[:12])
    return build_flow(ledger, tmp)


@pytest.fixture(scope="module")
def data(flow):
    return page_data(dashboard(flow, flow.tmp / "report.html").read_text(encoding="utf-8"))


def whole(rows):
    return [r for r in rows if r["month"] == "*"]


def test_owed_equals_disbursement_csv(flow, data):
    csv_rows = {(r["cbo"], r["payer"]): r for r in flow.report("disbursement")}
    assert csv_rows  # the flow paid something
    page = {(r["cbo"], r["payer"]): r for r in whole(data["owed"])}
    assert set(page) == set(csv_rows)
    for key, r in csv_rows.items():
        p = page[key]
        assert (p["paid"], p["claim_level"], p["admin_fee"], p["provider_adjustments"], p["owed"]) == (
            cents(r["paid"]), cents(r["claim_level"]), cents(r["admin_fee"]), cents(r["provider_adjustments"]),
            cents(r["owed"])), key
        assert p["admin_fee_percent"] == r["admin_fee_percent"]


def test_owed_by_month_is_the_835_split_with_the_fee_per_month(flow, data):
    """Month rows: CLP04 of the claims of that service month (835 and 837 split), the fee taken on it."""
    claim = {b.claim_id: b for b in flow.billed}
    paid: dict[tuple, int] = defaultdict(int)
    for c in flow.cascade_835:
        b = claim[c.claim_id]
        paid[(b.cbo, b.payer, b.month)] += c.paid
    page = {(r["cbo"], r["payer"], r["month"]): r for r in data["owed"] if r["month"] != "*"}
    assert {k: r["paid"] for k, r in page.items()} == dict(paid)
    for (cbo, payer, month), r in page.items():
        assert r["admin_fee"] == fee(r["paid"], payer)
        assert r["owed"] == r["paid"] - r["admin_fee"] - r["provider_adjustments"]
    assert len({m for _, _, m in page}) >= 2  # the fixture spans months: the month rows are not the whole


def test_billed_by_month_and_payer_equals_the_837_split(flow, data):
    expected: dict[tuple, list] = defaultdict(lambda: [0, 0])
    for b in flow.billed:
        expected[(b.payer, b.cbo, b.month)][0] += 1
        expected[(b.payer, b.cbo, b.month)][1] += b.charge
    for name, path in flow.acks.items():  # nothing in the flow was rejected
        assert [s for s in segments(path) if s[0] == "AK9"][0][1] == "A", name
    assert {(r["payer"], r["cbo"], r["month"]): [r["claims"], r["billed"]] for r in data["billed"]} == dict(expected)


def test_denials_equal_denials_csv_and_the_835_split(flow, data):
    totals: dict[tuple, list] = defaultdict(lambda: [0, 0])
    for r in data["denials"]:
        totals[(r["group"], r["reason"])][0] += r["count"]
        totals[(r["group"], r["reason"])][1] += r["amount"]
    csv_rows = flow.report("denials")
    assert csv_rows
    assert dict(totals) == {(r["group"], r["reason"]): [int(r["count"]), cents(r["amount"])] for r in csv_rows}
    assert {r["reason"]: r["description"] for r in csv_rows} == data["carc"]
    split: dict[tuple, int] = defaultdict(int)
    for c in flow.cascade_835:
        for group, reason, amount in c.adjustments:
            split[(group, reason)] += amount
    assert {k: v[1] for k, v in totals.items()} == dict(split)


def test_remarks_equal_the_835_split(flow, data):
    """RARCs (LQ*HE on lines, MOA on claims) with the CAS amounts they stand beside, as in the 835."""
    expected: dict[str, list] = defaultdict(lambda: [0, 0])
    for c in flow.cascade_835:
        for code, amount in c.remarks:
            expected[code][0] += 1
            expected[code][1] += amount
    assert set(expected) == {"N130", "MA01"}  # both kinds are in the flow's 835
    got: dict[str, list] = defaultdict(lambda: [0, 0])
    for r in data["remarks"]:
        got[r["code"]][0] += r["count"]
        got[r["code"]][1] += r["amount"]
    assert dict(got) == dict(expected)
    assert data["rarc"]["N130"].startswith("Consult plan benefit documents")


def test_a_ledger_from_before_remarks_shows_none(flow, tmp_path):
    """A SQLite ledger reconcile last wrote before remarks were kept: the page is written, no remarks."""
    if flow.ledger.startswith("postgresql"):
        pytest.skip("the SQLite case says it")
    old = tmp_path / "old.sqlite"
    with sqlite3.connect(flow.ledger) as src, sqlite3.connect(old) as dst:
        src.backup(dst)
    with sqlite3.connect(old) as db:
        for table in ("claim_payments", "line_payments"):
            db.execute(f"ALTER TABLE {table} DROP COLUMN remarks")
    data = page_data(dashboard(replace(flow, ledger=str(old)), tmp_path / "old.html").read_text(encoding="utf-8"))
    assert data["remarks"] == [] and whole(data["owed"])


def test_outstanding_equals_outstanding_csv(flow, data):
    csv_rows = flow.report("outstanding")
    expected: dict[tuple, list] = defaultdict(lambda: [0, 0])
    names = {"": "not acknowledged", "999-A": "999 accepted"}
    for r in csv_rows:
        expected[(r["payer"], r["cbo"], names[r["ack_status"]])][0] += 1
        expected[(r["payer"], r["cbo"], names[r["ack_status"]])][1] += cents(r["charge"])
    got: dict[tuple, list] = defaultdict(lambda: [0, 0])
    for r in data["outstanding"]:
        got[(r["payer"], r["cbo"], r["ack"])][0] += r["claims"]
        got[(r["payer"], r["cbo"], r["ack"])][1] += r["charge"]
        assert r["bucket"] == "0-30"  # sent today
    assert dict(got) == dict(expected)
    # both states are there: summit's acknowledged claims, November's never answered
    assert {k[2] for k in got} == {"999 accepted", "not acknowledged"}
    summit = sum(1 for b in flow.billed if b.payer == "summit")
    assert sum(v[0] for k, v in got.items() if k[2] == "999 accepted") == summit


@pytest.mark.parametrize("days, bucket", [(0, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"),
                                          (90, "61-90"), (91, "90+"), (400, "90+")])
def test_outstanding_ages_bucket_by_days_since_sent(flow, days, bucket):
    with open_ledger(flow.ledger, readonly=True) as ledger:
        data = figures(ledger, CONFIG, today=TODAY + dt.timedelta(days=days))
    csv_rows = flow.report("outstanding")
    assert {int(r["age_days"]) for r in csv_rows} == {0}
    assert {r["bucket"] for r in data["outstanding"]} == {bucket}
    assert sum(r["claims"] for r in data["outstanding"]) == len(csv_rows)


def test_first_pass_rates_per_payer(flow, data):
    got: dict[str, Counter] = defaultdict(Counter)
    for r in data["first_pass"]:
        got[r["payer"]].update({k: r[k] for k in ("answered", "accepted", "adjudicated", "paid")})
    billed = Counter(b.payer for b in flow.billed)
    # cascade: every claim of the first interchange acknowledged (999 A) and paid on its remittance;
    # the November claims got no answer yet
    assert got["cascade"] == Counter(answered=billed["cascade"] - _november(flow),
                                     accepted=billed["cascade"] - _november(flow),
                                     adjudicated=len(flow.cascade_835), paid=sum(c.paid > 0 for c in flow.cascade_835))
    assert got["summit"] == Counter(answered=billed["summit"], accepted=billed["summit"])


def _november(flow) -> int:
    return sum(1 for b in flow.billed if b.month == "2026-11")


def test_spend_by_domain_equals_the_835_lines_and_disbursement(flow, data):
    domain = {code: row["domain"] for code, row in load_table("procedures").items()}
    expected: dict[str, int] = defaultdict(int)
    for c in flow.cascade_835:
        for code, paid in c.lines:
            expected[domain[code]] += paid
        assert c.paid == sum(p for _, p in c.lines)  # nothing at claim level in this flow
    got: dict[str, int] = defaultdict(int)
    for r in data["domains"]:
        got[r["domain"]] += r["paid"]
    assert dict(got) == dict(expected)
    assert sum(got.values()) == sum(cents(r["paid"]) for r in flow.report("disbursement"))
    assert set(got) <= set(data["domain_names"]) and len(got) >= 2


def test_period_keeps_the_claims_first_served_in_it(flow, tmp_path):
    data = page_data(dashboard(flow, tmp_path / "sept.html", "--from", "2026-09-01", "--to", "2026-09-30")
                     .read_text(encoding="utf-8"))
    assert data["period"] == {"from": "2026-09-01", "to": "2026-09-30"}
    claim = {b.claim_id: b for b in flow.billed}
    paid: dict[tuple, int] = defaultdict(int)
    for c in flow.cascade_835:
        if claim[c.claim_id].month == "2026-09":
            paid[(claim[c.claim_id].cbo, claim[c.claim_id].payer)] += c.paid
    owed = {(r["cbo"], r["payer"]): r for r in whole(data["owed"])}
    assert {k: r["paid"] for k, r in owed.items()} == dict(paid)
    assert all(r["admin_fee"] == fee(r["paid"], r["payer"]) for r in owed.values())
    assert {r["month"] for r in data["billed"]} == {"2026-09"}
    assert sum(r["billed"] for r in data["billed"]) == sum(b.charge for b in flow.billed if b.month == "2026-09")
    assert {r["month"] for key in ("denials", "outstanding", "first_pass", "domains") for r in data[key]} <= {"2026-09"}


def test_page_holds_no_member_data(flow):
    html = (flow.tmp / "report.html").read_text(encoding="utf-8")
    with open(FIX / "service_log.csv", newline="") as f:
        rows = read_csv(FIX / "service_log.csv")
    assert rows
    values = {r[c] for r in rows for c in ("member_id", "member_last_name", "member_first_name", "member_birth_date",
                                           "member_address")}
    text = str(page_data(html)) + re.sub(r"<script.*?</script>", "", html, flags=re.S)  # data + the page's own text
    found = sorted(v for v in values if v and re.search(rf"\b{re.escape(v)}\b", text))
    assert not found, found[:5]


def test_file_is_0600_written_atomically_and_self_contained(flow):
    path = flow.tmp / "report.html"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".report.html")]  # no temp file left
    html = path.read_text(encoding="utf-8")
    # nothing loaded from anywhere: no src/href to a URL, no stylesheet link, no import
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"<link\b", html, re.I) and "@import" not in html
    assert "default-src 'none'" in html  # the page's CSP refuses every request
    assert html.count("Chart.js v3.9.1") == 1  # the charting library is inlined


def test_cli_refuses_what_it_cannot_do(flow, tmp_path):
    out = tmp_path / "x.html"
    r = run("dashboard", "--config", FIX / "nle.toml", "--ledger", tmp_path / "none.sqlite", "--out", out)
    assert r.exit_code == 2 and "no ledger" in r.output and not out.exists()
    r = run("dashboard", "--config", FIX / "nle.toml", "--ledger", flow.ledger, "--out", out, "--from", "2026-13-01")
    assert r.exit_code == 2 and "not a date" in r.output and not out.exists()
    r = run("dashboard", "--config", FIX / "nle.toml", "--ledger", flow.ledger, "--out", out,
            "--from", "2026-10-01", "--to", "2026-09-01")
    assert r.exit_code == 2 and not out.exists()
    assert NOVEMBER_ROWS == sum(1 for _ in open(flow.tmp / "november.csv")) - 1


def test_period_filter_uses_the_first_date_of_service():
    p = Period(dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    assert p("x", "2026-09-01") and p("x", "2026-09-30") and not p("x", "2026-08-31") and not p("x", "2026-10-01")
    assert Period()("x", "1999-01-01") and Period().everything
