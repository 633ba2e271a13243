"""The flat payment rows of ``sdohedi remit --out`` built from the core's 835 tables, in Arrow.

One row per service payment (:func:`service_table`) or per claim (:func:`claim_table`), with the
columns of :mod:`sdohedi.remit835.rows` and the same values: joins on the tables' row keys,
CARC and claim status descriptions joined from the code tables, lists joined into one cell the
way rows.py joins them (modifiers and remark codes with ``:``, adjustments ``GROUP-REASON:AMOUNT``
with ``;``, descriptions with `` | ``). No Python loop over rows: every step is an Arrow kernel.
Needs pyarrow.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..codes import load_table
from .tables import Tables835

_SCALE_ZEROS = r"\.?0+$"  # decimal128(18, 2) text "12.50" -> X12 "12.5", "100.00" -> "100"


def _pa():
    import pyarrow
    import pyarrow.compute

    return pyarrow, pyarrow.compute


@cache
def _descriptions(name: str):
    """A code table as an Arrow table (code, description) to join on."""
    pa, _ = _pa()
    rows = load_table(name)
    return pa.table({"code": pa.array(list(rows), pa.string()),
                     "description": pa.array([r["description"] for r in rows.values()], pa.string())})


def _describe(codes, name: str):
    """The description of each code ('' when unknown or null), in the order of ``codes``."""
    pa, pc = _pa()
    table = _descriptions(name)
    at = pc.index_in(codes, value_set=table["code"])
    return pc.fill_null(pc.take(table["description"], at), "")


def _amount_text(amounts):
    """X12 'R' text of decimal amounts (as writer.format_amount): no trailing zeros; null -> ''."""
    pa, pc = _pa()
    text = pc.replace_substring_regex(pc.cast(amounts, pa.string()), _SCALE_ZEROS, "")
    text = pc.if_else(pc.equal(text, ""), "0", text)
    return pc.fill_null(text, "")


def _joined(keys, values, groups, separator: str):
    """``values`` (already in order) joined per key, aligned with ``groups``; '' for a group with none."""
    pa, pc = _pa()
    if len(keys) == 0:
        return pa.array([""] * len(groups), pa.string())
    t = pa.table({"k": keys, "v": values}).group_by("k", use_threads=False).aggregate([("v", "list")])
    joined = pc.binary_join(t["v_list"], separator)
    at = pc.index_in(groups, value_set=t["k"])
    return pc.fill_null(pc.take(joined, at), "")


def _sorted(table, keys: list[tuple[str, str]]):
    return table.sort_by(keys) if table.num_rows else table


def _adjustment_cells(adj):
    """Per adjustment row: ``GROUP-REASON:AMOUNT`` and ``GROUP-REASON description``."""
    _, pc = _pa()
    code = pc.binary_join_element_wise(pc.fill_null(adj["group_code"], ""), pc.fill_null(adj["reason"], ""), "-")
    text = pc.binary_join_element_wise(code, _amount_text(adj["amount"]), ":")
    described = pc.utf8_rtrim(pc.binary_join_element_wise(code, _describe(adj["reason"], "carc"), " "), " ")
    return text, described


def _payment_columns(pay, file: str, payment_rows):
    """The payment columns for each of ``payment_rows``, from the payments table ``pay``."""
    pa, pc = _pa()
    at = pc.index_in(payment_rows, value_set=pay["payment_row"])
    take = lambda name: pc.take(pay[name], at)  # noqa: E731
    payer_id = pc.coalesce(pay["payer_id"], pay["payer_additional_id"], pay["trn03_originator_id"])
    return {
        "file": pa.array([file] * len(payment_rows), pa.string()),
        "isa13": take("isa13"), "gs06": take("gs06"), "st02": take("st02"),
        "trace_number": take("trn02_trace_number"), "payer_id": pc.take(payer_id, at),
        "payee_id": take("payee_id"), "payment_date": take("bpr16_date"), "payment_amount": take("bpr02_amount"),
    }


def _claim_context(claims):
    return {
        "claim_id": claims["clp01_claim_id"], "status_code": claims["clp02_status"],
        "status_description": _describe(claims["clp02_status"], "claim_status"),
        "payer_claim_number": claims["clp07_payer_claim_number"],
    }


def _bad_units_positions(tables: Tables835):
    """Positions of the SVC segments whose SVC05 did not read (their units stay null, not 1)."""
    pa, pc = _pa()
    f = pa.table(tables.findings)
    bad = pc.and_(pc.and_(pc.equal(f["segment"], "SVC"), pc.equal(f["element"], 5)),
                  pc.equal(f["rule"], "invalid-decimal"))
    return pc.filter(f["position"], pc.fill_null(bad, False))


def service_table(tables: Tables835, file: str, payments=None, *, with_payment_row: bool = False):
    """One row per service payment (the columns of rows.SERVICE_COLUMNS), in file order; a claim
    without service lines gets one row with empty line cells. ``payments``: the payments table to
    take the payment columns from (a file read batch by batch: every payment read so far), else
    the batch's own; ``with_payment_row`` adds the rows' ``payment_row`` as a last column."""
    pa, pc = _pa()
    from .rows import SERVICE_COLUMNS

    claims = _sorted(pa.table(tables.claims), [("claim_row", "ascending")])
    lines = _sorted(pa.table(tables.service_lines), [("line_row", "ascending")])
    adj = _sorted(pa.table(tables.adjustments), [("adjustment_row", "ascending")])
    remarks = _sorted(pa.table(tables.remarks), [("remark_row", "ascending")])
    text, described = _adjustment_cells(adj)
    claim_level = pc.is_null(adj["line_row"])
    line_level = pc.invert(claim_level)

    # Line cells, per line.
    # Empty modifiers are null; joined as "" then the empty places squeezed out (pyarrow 26's
    # null_handling="skip" drops rows).
    mods = pc.binary_join_element_wise(*(pc.fill_null(lines[f"svc01_modifier{i}"], "") for i in range(1, 5)), ":")
    mods = pc.utf8_trim(pc.replace_substring_regex(mods, "::+", ":"), ":")
    bad_units = pc.is_in(lines["position"], value_set=_bad_units_positions(tables))
    units = pc.if_else(bad_units, pa.scalar(None, lines["svc05_units"].type),
                       pc.coalesce(lines["svc05_units"], pa.scalar(1, lines["svc05_units"].type)))
    line_rows = lines["line_row"]
    line_remarks = pc.filter(remarks, pc.fill_null(pc.equal(remarks["level"], "line"), False))
    line_cells = {
        "line_control_number": lines["line_control_number"], "procedure_code": lines["svc01_procedure"],
        "modifiers": mods,
        "charge": lines["svc02_charge"], "paid": lines["svc03_paid"], "allowed_amount": lines["allowed_amount"],
        "units": units, "service_date": pc.coalesce(lines["service_date"], lines["service_start"]),
        "adjustments": _joined(pc.filter(adj["line_row"], line_level), pc.filter(text, line_level), line_rows, ";"),
        "adjustment_descriptions": _joined(pc.filter(adj["line_row"], line_level),
                                           pc.filter(described, line_level), line_rows, " | "),
        "remark_codes": _joined(line_remarks["line_row"], line_remarks["code"], line_rows, ":"),
    }

    # One row per line, plus one per claim without lines; in claim, then line order.
    claim_rows = claims["claim_row"]
    lineless = pc.invert(pc.is_in(claim_rows, value_set=lines["claim_row"]))
    row_claims = pa.chunked_array([*lines["claim_row"].chunks, *pc.filter(claim_rows, lineless).chunks],
                                  pa.int64())
    row_lines = pa.chunked_array([*line_rows.chunks, pa.nulls(pc.sum(lineless).as_py() or 0, pa.int64())],
                                 pa.int64())
    order = pc.sort_indices(pa.table({"c": row_claims, "l": pc.fill_null(row_lines, -1)}),
                            sort_keys=[("c", "ascending"), ("l", "ascending")])
    row_claims, row_lines = pc.take(row_claims, order), pc.take(row_lines, order)
    at_claim = pc.index_in(row_claims, value_set=claim_rows)
    at_line = pc.index_in(row_lines, value_set=line_rows)

    claim_cells = _claim_context(claims) | {
        "claim_charge": claims["clp03_charge"], "claim_paid": claims["clp04_paid"],
        "claim_adjustments": _joined(pc.filter(adj["claim_row"], claim_level), pc.filter(text, claim_level),
                                     claim_rows, ";"),
    }
    pay = pa.table(tables.payments) if payments is None else payments
    row_payments = pc.take(claims["payment_row"], at_claim)
    columns: dict[str, Any] = _payment_columns(pay, file, row_payments)
    columns |= {name: pc.take(values, at_claim) for name, values in claim_cells.items()}
    no_line = pc.is_null(row_lines)
    for name, values in line_cells.items():
        taken = pc.take(values, at_line)
        if name in ("modifiers", "adjustments", "adjustment_descriptions", "remark_codes"):
            taken = pc.if_else(no_line, "", taken)
        columns[name] = taken
    return _rows(columns, SERVICE_COLUMNS, row_payments if with_payment_row else None)


def _rows(columns: dict[str, Any], names: list[str], payment_rows):
    pa, _ = _pa()
    table = pa.table({c: columns[c] for c in names})
    return table if payment_rows is None else table.append_column("payment_row", payment_rows)


def claim_table(tables: Tables835, file: str, payments=None, *, with_payment_row: bool = False):
    """One row per claim (the columns of rows.CLAIM_COLUMNS), in file order: its adjustments are
    the claim's then each line's, its remark codes MOA's then each line's LQ codes that neither MOA
    nor an earlier line listed. ``payments`` and ``with_payment_row`` as for :func:`service_table`."""
    pa, pc = _pa()
    from .rows import CLAIM_COLUMNS

    claims = _sorted(pa.table(tables.claims), [("claim_row", "ascending")])
    lines = pa.table(tables.service_lines)
    adj = pa.table(tables.adjustments)
    if adj.num_rows:  # claim-level (line_row null) first
        keys = pa.table({"c": adj["claim_row"], "l": pc.fill_null(adj["line_row"], -1), "a": adj["adjustment_row"]})
        adj = adj.take(pc.sort_indices(keys, sort_keys=[("c", "ascending"), ("l", "ascending"), ("a", "ascending")]))
    remarks = _sorted(pa.table(tables.remarks), [("remark_row", "ascending")])
    text, described = _adjustment_cells(adj)
    claim_rows = claims["claim_row"]

    # Remark codes: every MOA code, then each line code not already in the claim's list.
    is_claim = pc.fill_null(pc.equal(remarks["level"], "claim"), False)
    moa, lq = pc.filter(remarks, is_claim), pc.filter(remarks, pc.invert(is_claim))
    if lq.num_rows:
        # A code listed by an earlier line of the claim goes; repeats within one line stay.
        firsts = lq.group_by(["claim_row", "code"], use_threads=False).aggregate([("line_row", "min")])
        lq = lq.join(firsts, ["claim_row", "code"])
        lq = pc.filter(lq, pc.equal(lq["line_row"], lq["line_row_min"])).sort_by("remark_row")
        if moa.num_rows:
            known = pc.binary_join_element_wise(pc.cast(moa["claim_row"], pa.string()), moa["code"], "\x00")
            mine = pc.binary_join_element_wise(pc.cast(lq["claim_row"], pa.string()), lq["code"], "\x00")
            lq = pc.filter(lq, pc.invert(pc.is_in(mine, value_set=known)))
    listed = pa.concat_tables([moa.select(["claim_row", "code"]), lq.select(["claim_row", "code"])])

    counts = lines.group_by("claim_row", use_threads=False).aggregate([("line_row", "count")])
    service_lines = pc.fill_null(pc.take(counts["line_row_count"], pc.index_in(claim_rows, value_set=counts["claim_row"])),
                                 0)
    pay = pa.table(tables.payments) if payments is None else payments
    columns: dict[str, Any] = _payment_columns(pay, file, claims["payment_row"])
    columns |= _claim_context(claims) | {
        "charge": claims["clp03_charge"], "paid": claims["clp04_paid"],
        "patient_responsibility": claims["clp05_patient_responsibility"],
        "filing_indicator": claims["clp06_filing_indicator"], "service_lines": service_lines,
        "adjustments": _joined(adj["claim_row"], text, claim_rows, ";"),
        "adjustment_descriptions": _joined(adj["claim_row"], described, claim_rows, " | "),
        "remark_codes": _joined(listed["claim_row"], listed["code"], claim_rows, ":"),
    }
    return _rows(columns, CLAIM_COLUMNS, claims["payment_row"] if with_payment_row else None)
