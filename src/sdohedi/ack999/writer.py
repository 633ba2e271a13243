"""Write 999 acknowledgments (005010X231A1) from a validation run.

One 999 interchange answers each validated interchange (sender and receiver swapped), with
one ST*999 per acknowledged functional group: AK1 echoes GS01/GS06/GS08, AK2 each ST01/ST02/
ST03, IK3/IK4 locate the errors (codes from :mod:`sdohedi.validate.rules`), IK5 gives the
transaction set's verdict and AK9 the group's. Envelopes, counts and control numbers come
from the x12 core writer.

Choices:
- every error-severity finding rejects its transaction set (IK5 R), syntax and TR3 errors as
  well as balancing and code-set errors, so the 999 agrees with the validator's exit status;
  warnings are not acknowledged;
- IK404 (copy of the bad element) is sent only for code values, never for free text that may
  hold protected health information; IK303 only for loop ids of at most 4 characters (the
  999's limit), IK402 only for numeric data element numbers;
- functional groups of acknowledgments (GS01 = FA) are not acknowledged.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable

from ..validate.findings import Finding
from ..validate.results import GroupResult, InterchangeResult, TransactionResult
from ..validate.rules import RULES
from ..x12 import DEFAULT_DELIMITERS, Interchange
from ..x12.writer import Transaction

VERSION = "005010X231A1"
_FORBIDDEN = set(DEFAULT_DELIMITERS.all)


def _safe(value: str | None, max_len: int = 99) -> str | None:
    """A value we may echo: printable ASCII without our delimiters, within the element's length."""
    if not value or len(value) > max_len or any(c in _FORBIDDEN or not " " <= c <= "~" for c in value):
        return None
    return value


def _segment_groups(errors: list[Finding]):
    """Findings grouped by the segment they are on, in order of position."""
    by_segment: dict[tuple[int, str], list[Finding]] = {}
    for f in errors:
        loc = f.location
        if loc.transaction_position is None or loc.transaction_position < 1 or not loc.segment:
            continue
        by_segment.setdefault((loc.transaction_position, loc.segment), []).append(f)
    return sorted(by_segment.items(), key=lambda kv: kv[0][0])


def _write_transaction_ack(tx: Transaction, t: TransactionResult) -> bool:
    """AK2 ... IK5 for one transaction set; True when it is accepted."""
    tx.segment("AK2", t.st01, t.st02, t.st03 or "")
    syntax_level = False
    for (position, segment_id), findings in _segment_groups(t.errors):
        if len(segment_id) not in (2, 3) or not segment_id.isalnum():
            segment_id = "XX"  # IK301 must be a segment id; the finding itself says what was there
        loop = next((f.location.loop for f in findings if f.location.loop), None)
        loop = loop if loop and len(loop) <= 4 else ""
        segment_codes: list[str] = []
        element_findings: list[Finding] = []
        for f in findings:
            rule = RULES[f.rule]
            syntax_level = syntax_level or f.level == "syntax"
            if rule.scope == "element" and f.location.element:
                element_findings.append(f)
            elif rule.ik304 and rule.ik304 not in segment_codes:
                segment_codes.append(rule.ik304)
        for code in segment_codes:
            if code == "8" and element_findings:
                continue  # written below, with its IK4s
            tx.segment("IK3", segment_id, str(position), loop, code)
        if element_findings:
            tx.segment("IK3", segment_id, str(position), loop, "8")
            seen: set[tuple] = set()
            for f in element_findings:
                loc = f.location
                code = RULES[f.rule].ik403 or "7"
                key = (loc.element, loc.component, code)
                if key in seen:
                    continue
                seen.add(key)
                where = [str(loc.element)] + ([str(loc.component)] if loc.component else [])
                data_element = loc.data_element if loc.data_element and loc.data_element.isdigit() \
                    and len(loc.data_element) <= 4 else ""
                tx.segment("IK4", where, data_element, code, _safe(f.value) or "")
    codes = sorted(t.syntax_codes, key=lambda c: (len(c), c))
    if t.errors or t.error_count:
        codes.append("5" if syntax_level else "I5")
    accepted = t.error_count == 0 and not t.syntax_codes
    tx.segment("IK5", "A" if accepted else "R", *codes[:5])
    return accepted


def _write_group_ack(group, g: GroupResult, number: int) -> None:
    tx = group.transaction("999", number)
    tx.segment("AK1", g.gs01, g.gs06, g.gs08)
    accepted = 0
    for t in g.transactions:
        if t.st01 and t.st02:
            accepted += _write_transaction_ack(tx, t)
    received = len(g.transactions)
    included = g.declared_count if g.declared_count is not None else received
    if g.syntax_codes or not g.supported:
        status = "R"
    elif received and accepted == received:
        status = "E" if g.envelope_errors else "A"
    elif accepted == 0 and received:
        status = "R"
    elif received:
        status = "P"
    else:
        status = "A"
    codes = sorted(g.syntax_codes, key=lambda c: (len(c), c))[:5]
    tx.segment("AK9", status, str(max(included, 0)), str(received), str(accepted), *codes)
    tx.close()


def write_999(
    results: Iterable[InterchangeResult],
    write: Callable[[str], object],
    *,
    interchange_control_number: int = 1,
    group_control_number: int = 1,
    timestamp: _dt.datetime | None = None,
) -> int:
    """Write the 999s for validated interchanges; returns how many interchanges were written.

    Control numbers count up from the ones given, one per interchange written.
    """
    written = 0
    for ic in results:
        groups = [g for g in ic.groups if g.gs01 != "FA" and g.gs01 and g.gs06.isdigit()]
        if not groups:
            continue
        usage = ic.isa15 if ic.isa15 in ("P", "T") else "P"
        interchange = Interchange(
            write, sender_id=ic.isa08.strip() or "UNKNOWN", receiver_id=ic.isa06.strip() or "UNKNOWN",
            sender_qualifier=ic.isa07 or "ZZ", receiver_qualifier=ic.isa05 or "ZZ",
            control_number=interchange_control_number + written, usage=usage, timestamp=timestamp,
        )
        group = interchange.group("FA", groups[0].gs03.strip() or "UNKNOWN", groups[0].gs02.strip() or "UNKNOWN",
                                  group_control_number + written, VERSION)
        for number, g in enumerate(groups, 1):
            _write_group_ack(group, g, number)
        group.close()
        interchange.close()
        written += 1
    return written


def build_999(results: Iterable[InterchangeResult], **kwargs) -> str:
    """The 999s as a string (see :func:`write_999`)."""
    out: list[str] = []
    write_999(results, out.append, **kwargs)
    return "".join(out)
