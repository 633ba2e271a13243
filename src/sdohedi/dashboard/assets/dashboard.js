// sdohedi dashboard: filters the embedded rows (amounts in integer cents) and sums them again.
// Every figure on the page is recomputed from the rows a filter keeps; nothing is fetched.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("dashboard-data").textContent);
  var ALL_MONTHS = "*";
  var DOMAIN_LABELS = { food: "Food", housing: "Housing", transportation: "Transportation",
                        case_management: "Case management", other: "Other" };
  var COLORS = ["#2f6db5", "#2e8b57", "#c77c02", "#7b4fb0", "#8a9aab"];
  var filters = { payer: "", cbo: "", month: "" };
  var charts = {};

  function money(c) {
    var neg = c < 0, s = String(Math.abs(c)).padStart(3, "0");
    var whole = s.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (neg ? "-$" : "$") + whole + "." + s.slice(-2);
  }
  function pct(n, d) { return d ? (100 * n / d).toFixed(1) + "%" : "n/a"; }
  function payerName(k) { return k === "" ? "(claims not ours)" : k; }
  function keep(r) {
    return (!filters.payer || r.payer === filters.payer) && (!filters.cbo || r.cbo === filters.cbo) &&
           (!filters.month || r.month === filters.month);
  }
  function sumBy(rows, keyFn, fields) {
    var out = {}, order = [];
    rows.forEach(function (r) {
      var k = keyFn(r);
      if (!(k in out)) { out[k] = { key: k, row: r }; fields.forEach(function (f) { out[k][f] = 0; }); order.push(k); }
      fields.forEach(function (f) { out[k][f] += r[f]; });
    });
    return order.map(function (k) { return out[k]; });
  }
  function total(rows, f) { return rows.reduce(function (a, r) { return a + r[f]; }, 0); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function cell(tr, text, num, cents) {
    var td = el("td", text, num ? "num" : undefined);
    if (cents !== undefined) td.dataset.cents = cents;
    tr.appendChild(td);
    return td;
  }
  function setMoney(id, c) { var e = document.getElementById(id); e.textContent = money(c); e.dataset.cents = c; }
  function setText(id, t) { document.getElementById(id).textContent = t; }
  function fill(tbody, rows, columns, emptyText) {
    tbody.textContent = "";
    if (!rows.length) {
      var tr = el("tr", undefined, "empty"), td = el("td", emptyText || "Nothing for this selection");
      td.colSpan = columns; tr.appendChild(td); tbody.appendChild(tr);
    }
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function options(id, values, label) {
    var s = document.getElementById(id);
    values.forEach(function (v) { var o = el("option", label ? label(v) : v); o.value = v; s.appendChild(o); });
    s.addEventListener("change", function () { filters[s.id.slice(2)] = s.value; render(); });
  }
  function distinct(field) {
    var seen = {};
    [DATA.owed, DATA.billed, DATA.denials, DATA.remarks, DATA.outstanding, DATA.first_pass, DATA.domains].forEach(function (rows) {
      rows.forEach(function (r) { if (r[field] && r[field] !== ALL_MONTHS) seen[r[field]] = true; });
    });
    return Object.keys(seen).sort();
  }

  function renderOwed() {
    // the fee is taken per CBO, payer and period: whole-period rows, or the chosen month's rows
    var rows = DATA.owed.filter(function (r) {
      return (!filters.payer || r.payer === filters.payer) && (!filters.cbo || r.cbo === filters.cbo) &&
             r.month === (filters.month || ALL_MONTHS);
    });
    fill(document.querySelector("#t-owed tbody"), rows.map(function (r) {
      var tr = el("tr");
      cell(tr, r.cbo); cell(tr, r.payer);
      cell(tr, money(r.paid), true, r.paid);
      cell(tr, money(r.admin_fee) + " (" + r.admin_fee_percent + "%)", true, r.admin_fee);
      cell(tr, money(r.provider_adjustments), true, r.provider_adjustments);
      cell(tr, money(r.owed), true, r.owed);
      return tr;
    }), 6);
    var t = { paid: total(rows, "paid"), fee: total(rows, "admin_fee"), plb: total(rows, "provider_adjustments"),
              owed: total(rows, "owed") };
    setMoney("owed-total-paid", t.paid); setMoney("owed-total-fee", t.fee);
    setMoney("owed-total-plb", t.plb); setMoney("owed-total-owed", t.owed);
    setMoney("kpi-paid", t.paid); setMoney("kpi-fee", t.fee); setMoney("kpi-owed", t.owed);
    setText("kpi-plb", "after " + money(t.plb) + " provider adjustments");
    return t;
  }

  function renderMonths(paidTotal) {
    var billed = DATA.billed.filter(keep);
    var paid = DATA.owed.filter(function (r) { return r.month !== ALL_MONTHS && keep(r); });
    var key = function (r) { return r.month + "|" + r.payer; };
    var rows = {}, keys = [];
    function row(r) {
      var k = key(r);
      if (!(k in rows)) { rows[k] = { month: r.month, payer: r.payer, claims: 0, billed: 0, paid: 0 }; keys.push(k); }
      return rows[k];
    }
    billed.forEach(function (r) { var x = row(r); x.claims += r.claims; x.billed += r.billed; });
    paid.forEach(function (r) { row(r).paid += r.paid; });
    keys.sort();
    fill(document.querySelector("#t-months tbody"), keys.map(function (k) {
      var r = rows[k], tr = el("tr");
      cell(tr, r.month); cell(tr, r.payer); cell(tr, String(r.claims), true);
      cell(tr, money(r.billed), true, r.billed); cell(tr, money(r.paid), true, r.paid);
      return tr;
    }), 5);
    var billedTotal = total(billed, "billed");
    setMoney("kpi-billed", billedTotal);
    setText("kpi-billed-claims", total(billed, "claims") + " claims");
    setText("kpi-paid-rate", pct(paidTotal, billedTotal) + " of billed");
    var months = {}, payers = {};
    keys.forEach(function (k) { months[rows[k].month] = true; payers[rows[k].payer] = true; });
    months = Object.keys(months).sort(); payers = Object.keys(payers).sort();
    var datasets = [];
    payers.forEach(function (p, i) {
      var pick = function (f) { return months.map(function (m) { var r = rows[m + "|" + p]; return r ? r[f] / 100 : 0; }); };
      datasets.push({ label: "Billed " + p, data: pick("billed"), backgroundColor: COLORS[i % COLORS.length] + "55",
                      borderColor: COLORS[i % COLORS.length], borderWidth: 1, stack: "billed" });
      datasets.push({ label: "Paid " + p, data: pick("paid"), backgroundColor: COLORS[i % COLORS.length],
                      stack: "paid" });
    });
    chart("chart-months", "bar", months, datasets, {
      scales: { x: { stacked: true }, y: { stacked: true, ticks: { callback: function (v) { return "$" + v.toLocaleString("en-US"); } } } }
    });
  }

  function renderDomains(paidTotal) {
    var rows = sumBy(DATA.domains.filter(keep), function (r) { return r.domain; }, ["paid"]);
    var byDomain = {};
    rows.forEach(function (r) { byDomain[r.key] = r.paid; });
    var names = DATA.domain_names.filter(function (d) { return byDomain[d]; });
    var sum = total(rows, "paid");
    fill(document.querySelector("#t-domains tbody"), names.map(function (d) {
      var tr = el("tr");
      tr.dataset.domain = d;
      cell(tr, DOMAIN_LABELS[d] || d); cell(tr, money(byDomain[d]), true, byDomain[d]); cell(tr, pct(byDomain[d], sum), true);
      return tr;
    }), 3);
    setMoney("domains-total", sum);
    chart("chart-domains", "doughnut", names.map(function (d) { return DOMAIN_LABELS[d] || d; }),
          [{ data: names.map(function (d) { return byDomain[d] / 100; }),
             backgroundColor: names.map(function (d) { return COLORS[DATA.domain_names.indexOf(d) % COLORS.length]; }) }],
          { plugins: { legend: { position: "right" } } });
  }

  function renderFirstPass() {
    var rows = sumBy(DATA.first_pass.filter(keep), function (r) { return r.payer; },
                     ["answered", "accepted", "adjudicated", "paid"]);
    rows.sort(function (a, b) { return a.key < b.key ? -1 : 1; });
    fill(document.querySelector("#t-firstpass tbody"), rows.map(function (r) {
      var tr = el("tr");
      tr.dataset.payer = r.key;
      cell(tr, r.key);
      cell(tr, r.accepted + " / " + r.answered, true); cell(tr, pct(r.accepted, r.answered), true);
      cell(tr, r.paid + " / " + r.adjudicated, true); cell(tr, pct(r.paid, r.adjudicated), true);
      return tr;
    }), 5);
  }

  function renderOutstanding() {
    var rows = DATA.outstanding.filter(keep);
    var acks = {}, grid = {};
    rows.forEach(function (r) {
      acks[r.ack] = true;
      var k = r.ack + "|" + r.bucket, g = grid[k] || (grid[k] = { claims: 0, charge: 0 });
      g.claims += r.claims; g.charge += r.charge;
    });
    acks = Object.keys(acks).sort();
    var table = document.getElementById("t-outstanding");
    var head = table.querySelector("thead tr");
    head.textContent = "";
    head.appendChild(el("th", "Acknowledgment"));
    DATA.buckets.forEach(function (b) { head.appendChild(el("th", b + " days", "num")); });
    head.appendChild(el("th", "Total", "num"));
    function line(label, pick) {
      var tr = el("tr"), all = { claims: 0, charge: 0 };
      cell(tr, label);
      DATA.buckets.forEach(function (b) {
        var g = pick(b);
        all.claims += g.claims; all.charge += g.charge;
        var td = cell(tr, g.claims ? g.claims + " · " + money(g.charge) : "–", true, g.charge);
        td.dataset.bucket = b;
      });
      cell(tr, all.claims + " · " + money(all.charge), true, all.charge).dataset.bucket = "total";
      return { tr: tr, all: all };
    }
    var zero = { claims: 0, charge: 0 };
    fill(table.querySelector("tbody"), acks.map(function (a) {
      return line(a, function (b) { return grid[a + "|" + b] || zero; }).tr;
    }), DATA.buckets.length + 2, "No outstanding claims");
    var foot = table.querySelector("tfoot");
    foot.textContent = "";
    var t = line("Total", function (b) {
      var g = { claims: 0, charge: 0 };
      acks.forEach(function (a) { var x = grid[a + "|" + b]; if (x) { g.claims += x.claims; g.charge += x.charge; } });
      return g;
    });
    t.tr.id = "outstanding-total";
    foot.appendChild(t.tr);
    setMoney("kpi-outstanding", t.all.charge);
    setText("kpi-outstanding-claims", t.all.claims + " claims awaiting payment");
  }

  function renderDenials() {
    var rows = sumBy(DATA.denials.filter(keep), function (r) { return r.group + "|" + r.reason; }, ["count", "amount"]);
    rows.sort(function (a, b) {
      return b.amount - a.amount || (a.row.group < b.row.group ? -1 : a.row.group > b.row.group ? 1 : 0) ||
             (a.row.reason < b.row.reason ? -1 : a.row.reason > b.row.reason ? 1 : 0);
    });
    fill(document.querySelector("#t-denials tbody"), rows.map(function (r) {
      var tr = el("tr");
      tr.dataset.reason = r.key;
      cell(tr, r.row.group); cell(tr, r.row.reason);
      var d = cell(tr, DATA.carc[r.row.reason] || ""); d.className = "desc";
      cell(tr, String(r.count), true); cell(tr, money(r.amount), true, r.amount);
      return tr;
    }), 5, "No denials or reductions");
    var count = total(rows, "count"), amount = total(rows, "amount");
    setText("denials-total-count", String(count)); setMoney("denials-total-amount", amount);
    setMoney("kpi-denied", amount); setText("kpi-denied-count", count + " adjustments (CAS)");

    var remarks = sumBy(DATA.remarks.filter(keep), function (r) { return r.code; }, ["count", "amount"]);
    remarks.sort(function (a, b) { return b.amount - a.amount || b.count - a.count || (a.key < b.key ? -1 : 1); });
    fill(document.querySelector("#t-remarks tbody"), remarks.map(function (r) {
      var tr = el("tr");
      tr.dataset.remark = r.key;
      cell(tr, r.key);
      var d = cell(tr, DATA.rarc[r.key] || ""); d.className = "desc";
      cell(tr, String(r.count), true); cell(tr, money(r.amount), true, r.amount);
      return tr;
    }), 4, "No remark codes");
    setText("remarks-total-count", String(total(remarks, "count")));
    setMoney("remarks-total-amount", total(remarks, "amount"));

    var perCbo = sumBy(DATA.denials.filter(function (r) { return r.cbo && keep(r); }),
                       function (r) { return r.cbo + "|" + r.group + "|" + r.reason; }, ["count", "amount"]);
    var cbos = {};
    perCbo.forEach(function (r) { (cbos[r.row.cbo] = cbos[r.row.cbo] || []).push(r); });
    var out = [];
    Object.keys(cbos).sort().forEach(function (c) {
      cbos[c].sort(function (a, b) { return b.amount - a.amount || b.count - a.count || (a.key < b.key ? -1 : 1); });
      cbos[c].slice(0, 3).forEach(function (r, i) {
        var tr = el("tr");
        cell(tr, i === 0 ? c : ""); cell(tr, r.row.group + "-" + r.row.reason);
        var d = cell(tr, DATA.carc[r.row.reason] || ""); d.className = "desc";
        cell(tr, String(r.count), true); cell(tr, money(r.amount), true, r.amount);
        out.push(tr);
      });
    });
    fill(document.querySelector("#t-topreasons tbody"), out, 5, "No denials or reductions");
  }

  function chart(id, type, labels, datasets, extra) {
    if (typeof Chart === "undefined") return;  // the tables carry every figure; the charts only show them
    if (charts[id]) charts[id].destroy();
    var options = { responsive: true, maintainAspectRatio: false, animation: false,
                    plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } };
    Object.keys(extra || {}).forEach(function (k) { options[k] = Object.assign(options[k] || {}, extra[k]); });
    charts[id] = new Chart(document.getElementById(id), { type: type, data: { labels: labels, datasets: datasets },
                                                          options: options });
  }

  function render() {
    var owed = renderOwed();
    renderMonths(owed.paid);
    renderDomains(owed.paid);
    renderFirstPass();
    renderOutstanding();
    renderDenials();
    document.body.dataset.ready = JSON.stringify(filters);
  }

  options("f-payer", distinct("payer"), function (k) { return DATA.payers[k] ? k + " — " + DATA.payers[k] : k; });
  options("f-cbo", distinct("cbo"));
  options("f-month", distinct("month"));
  render();
})();
