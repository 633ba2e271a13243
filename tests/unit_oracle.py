"""The unit-rendering path ``write_unit`` replaced, kept as the oracle of the differential tests:
claims built as models in Python (``grouping.build_claims``), the ledger rows made from them,
and the models handed to ``write_837p``."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from sdohedi.claims837p import write_837p
from sdohedi.pipeline.encode import _parties_of
from sdohedi.pipeline.grouping import BuiltClaim, build_claims
from sdohedi.pipeline.ingest import L

_SERVICE_ID, _PROCEDURE, _MODIFIERS, _UNITS, _CHARGE, _DATE, _AUTH = (
    L["service_id"], L["procedure_code"], L["modifiers"], L["units"], L["charge"], L["service_date"],
    L["prior_auth"])


def write_unit_from_models(lines, *, payer_key, config, parties, numbers, write, timestamp, reject,
                           payer_claim_numbers, record=None, frequencies=None, writer=write_837p):
    """``encode.write_unit`` as it was: same arguments, same result."""
    ic = config.interchange
    sender = ic.sender_id
    submitter, receiver, envelope = _parties_of(config, payer_key)
    encounter = config.payers[payer_key].submission == "encounter" or ic.transaction_type == "RP"
    submission = "encounter" if encounter else "claim"
    isa13, gs06 = numbers.isa13, numbers.gs06
    ids = itertools.count(numbers.first_claim_number)
    prefix = ic.claim_id_prefix

    def next_claim_id(_payer: str) -> str:
        return f"{prefix}{next(ids):010d}"

    def recorded(built_claims: Iterable[BuiltClaim]):
        n = 0
        for b in built_claims:
            c = b.claim
            claim_id = c.claim_id
            cbo = b.cbo_key
            st02 = f"{n // 5000 + 1:04d}"  # the writer starts a new ST every 5,000 claims
            n += 1
            dates = [ln[_DATE] for ln in b.lines]
            claim_row = (claim_id, b.payer_key, cbo, b.member_id, sender, isa13, gs06, st02,
                         c.frequency, b.replaces or None, str(c.total_charge), min(dates), max(dates), submission)
            line_rows = [(ln[_SERVICE_ID], claim_id, i, cbo, ln[_PROCEDURE], ln[_MODIFIERS], ln[_UNITS],
                          ln[_CHARGE], ln[_DATE], ln[_AUTH] or None)
                         for i, ln in enumerate(b.lines, 1)]
            record(claim_row, line_rows)
            yield c

    claims = build_claims(lines, parties, next_claim_id, max_lines=ic.max_lines_per_claim, reject=reject,
                          payer_claim_numbers=payer_claim_numbers, frequencies=frequencies)
    claims = recorded(claims) if record is not None else (b.claim for b in claims)
    return writer(claims, write, submitter=submitter, receiver=receiver, envelope=envelope,
                  interchange_control_number=isa13, group_control_number=gs06,
                  transaction_type="RP" if encounter else ic.transaction_type, timestamp=timestamp)
