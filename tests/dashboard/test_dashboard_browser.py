"""The page in a real browser: Debian's Chromium (/usr/bin/chromium) driven by Playwright, with every
network request refused. Filters recompute the totals, which must equal reconcile's CSV reports
(and the plain split of the 835 and 837Ps where the CSVs have no payer or month)."""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from dashboard_support import build_flow, cents, dashboard

CHROMIUM = os.environ.get("SDOHEDI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the test extra) is not installed")
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium; .ci/run does)", allow_module_level=True)


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    return build_flow(str(tmp / "ledger.sqlite"), tmp)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser, flow):
    """The page opened from its file, offline, every request but the file itself aborted and noted."""
    path = dashboard(flow, flow.tmp / "report.html")
    context = browser.new_context(offline=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    requests, errors = [], []

    def refuse(route):
        if route.request.url == path.as_uri():
            return route.continue_()
        requests.append(route.request.url)
        return route.abort()

    page.route("**/*", refuse)
    page.on("request", lambda r: r.url != path.as_uri() and requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready]")
    yield page
    assert not requests, f"the page asked for {requests[:3]}"
    assert not errors, errors[:3]
    context.close()


def figure(page, element_id: str) -> int:
    return int(page.get_attribute(f"#{element_id}", "data-cents"))


def choose(page, which: str, value: str) -> None:
    page.select_option(f"#f-{which}", value)
    page.wait_for_function("f => document.body.dataset.ready === f", arg=page.evaluate(
        "() => JSON.stringify({payer: document.getElementById('f-payer').value,"
        " cbo: document.getElementById('f-cbo').value, month: document.getElementById('f-month').value})"))


def owed_totals(rows) -> dict:
    return {"owed-total-paid": sum(cents(r["paid"]) for r in rows),
            "owed-total-fee": sum(cents(r["admin_fee"]) for r in rows),
            "owed-total-plb": sum(cents(r["provider_adjustments"]) for r in rows),
            "owed-total-owed": sum(cents(r["owed"]) for r in rows)}


def test_totals_and_filters_equal_the_csv_reports(page, flow, tmp_path):
    disbursement = flow.report("disbursement")
    outstanding = flow.report("outstanding")
    denials = flow.report("denials")
    ids = list(owed_totals(disbursement))
    read = lambda: {i: figure(page, i) for i in ids}  # noqa: E731

    # no filter: the whole disbursement report, every denial, every outstanding claim
    assert read() == owed_totals(disbursement)
    assert figure(page, "kpi-owed") == owed_totals(disbursement)["owed-total-owed"]
    assert figure(page, "denials-total-amount") == sum(cents(r["amount"]) for r in denials)
    assert int(page.text_content("#denials-total-count")) == sum(int(r["count"]) for r in denials)
    assert figure(page, "kpi-outstanding") == sum(cents(r["charge"]) for r in outstanding)
    assert figure(page, "domains-total") == owed_totals(disbursement)["owed-total-paid"]
    assert figure(page, "remarks-total-amount") == sum(a for c in flow.cascade_835 for _, a in c.remarks)
    assert page.locator("#t-remarks tbody tr").count() == 2  # N130 and MA01
    assert page.evaluate("typeof Chart") == "function"  # the embedded library ran
    assert page.evaluate("Chart.getChart('chart-months').data.datasets.length") == 4  # billed, paid x 2 payers
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    # payer filter: that payer's rows of each report. Summit: its claims outstanding, nothing paid yet
    choose(page, "payer", "summit")
    assert read() == owed_totals([r for r in disbursement if r["payer"] == "summit"]) == dict.fromkeys(ids, 0)
    summit = [r for r in outstanding if r["payer"] == "summit"]
    assert summit and figure(page, "kpi-outstanding") == sum(cents(r["charge"]) for r in summit)
    assert page.text_content("#outstanding-total [data-bucket=total]").startswith(f"{len(summit)} ·")
    assert figure(page, "denials-total-amount") == 0  # summit's 835 was never applied
    assert page.locator("#t-firstpass tbody tr").count() == 1

    # cascade: paid, denied and (November) outstanding
    choose(page, "payer", "cascade")
    cascade = [r for r in disbursement if r["payer"] == "cascade"]
    assert read() == owed_totals(cascade) and owed_totals(cascade)["owed-total-owed"] > 0
    assert figure(page, "kpi-outstanding") == sum(cents(r["charge"]) for r in outstanding if r["payer"] == "cascade")
    assert figure(page, "denials-total-amount") == sum(a for c in flow.cascade_835 for *_, a in c.adjustments)

    # and a CBO: one row of the disbursement report
    choose(page, "cbo", "meals")
    (row,) = [r for r in cascade if r["cbo"] == "meals"]
    assert read() == owed_totals([row])
    assert page.locator("#t-owed tbody tr").count() == 1

    # and a month: CLP04, charges and CAS of that month's claims (the 835 and 837 split; the CSVs have no months)
    choose(page, "cbo", "")
    month = {b.claim_id: b.month for b in flow.billed}
    choose(page, "month", "2026-09")
    assert figure(page, "owed-total-paid") == sum(c.paid for c in flow.cascade_835 if month[c.claim_id] == "2026-09")
    assert figure(page, "kpi-billed") == sum(b.charge for b in flow.billed
                                             if b.payer == "cascade" and b.month == "2026-09")
    assert figure(page, "denials-total-amount") == sum(a for c in flow.cascade_835 if month[c.claim_id] == "2026-09"
                                                       for *_, a in c.adjustments)
    page.screenshot(path=str(tmp_path / "dashboard-cascade-2026-09.png"), full_page=True)
    keep = os.environ.get("SDOHEDI_DASHBOARD_SHOTS")  # a folder to keep the screenshots in, to look at them
    if keep:
        for p in tmp_path.glob("*.png"):
            shutil.copy(p, Path(keep) / p.name)


def test_top_reasons_per_cbo_follow_the_835(page, flow):
    """Each CBO's first reason is its largest CAS amount in the 835 (CBO from the 837's 2310B)."""
    cbo = {b.claim_id: b.cbo for b in flow.billed}
    per: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for c in flow.cascade_835:
        for group, reason, amount in c.adjustments:
            per[cbo[c.claim_id]][f"{group}-{reason}"] += amount
    rows = page.locator("#t-topreasons tbody tr")
    firsts = {}
    current = None
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        current = cells.nth(0).text_content() or current
        firsts.setdefault(current, (cells.nth(1).text_content(), int(cells.nth(4).get_attribute("data-cents"))))
    assert firsts == {c: max(r.items(), key=lambda kv: kv[1]) for c, r in per.items()}
