"""Every problem the library reports: one registry of rule slugs and one :class:`Problem` model.

A rule has one slug wherever it is found: the validator, the 837P and 835 readers, the 835
balancing, the writers, ingest of service logs and reconciliation all name a broken SE01 count
``se01-count``. Each :class:`Rule` says what the slug means, which layer finds it (a SNIP level
1-5 for X12 content, or ``ingest``/``reconcile``/``write`` where no SNIP level applies), its
default severity, and where a 999 (005010X231A1) puts it: IK3 names a segment (IK304 = segment
syntax error code, element 620), IK4 an element (IK403 = element syntax error code, element
621), IK5 the transaction (IK502.. = element 718), AK9 the group (AK905.. = element 716).
Interchange-level problems (ISA/IEA) belong in a TA1, not a 999.

This module imports nothing of sdohedi, so every layer may use it. It is Python, not a data file
the Rust core reads: the core reports only a handful of tokenizer slugs (``rust/src``), and a
test holds them to this registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning"]
Level = Literal["syntax", "guide", "balancing", "situational", "code-set", "write", "ingest", "reconcile"]
"""Which layer finds it: X12 syntax and envelopes (SNIP 1); the implementation guide: loops,
order, usage, repeats, code lists (SNIP 2); balancing of amounts (SNIP 3); situational rules
(SNIP 4); external code sets: procedure, ICD-10-CM, NPI, taxonomy (SNIP 5); a value our writers
refuse to put in X12; a service-log row refused at ingest; an acknowledgment or remittance the
ledger cannot apply as it is. pyx12 checks the first two only."""

SNIP: dict[str, int] = {"syntax": 1, "guide": 2, "balancing": 3, "situational": 4, "code-set": 5}
AckScope = Literal["segment", "element", "transaction", "group", "interchange", "none"]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    level: Level
    severity: Severity  # the default; a reader may report it as a warning where it reads on
    scope: AckScope
    description: str
    ik304: str | None = None  # segment syntax error code (IK3)
    ik403: str | None = None  # element syntax error code (IK4)
    code: str | None = None  # IK5 (transaction) or AK9 (group) syntax error code

    @property
    def snip(self) -> int | None:
        """The SNIP level (1-5), None where none applies (ingest, reconcile, our writers)."""
        return SNIP.get(self.level)


def _r(id_: str, level: Level, scope: AckScope, description: str, ik304=None, ik403=None, code=None,
       severity: Severity = "error") -> Rule:
    return Rule(id_, level, severity, scope, description, ik304, ik403, code)


_ALL = [
    # -- syntax: the stream itself (fatal: nothing after them can be read) -------------------------------------
    _r("isa-missing", "syntax", "interchange", "the data does not start with an ISA segment"),
    _r("isa-fixed-length", "syntax", "interchange", "an ISA element is not its fixed width (ISA is 106 characters)"),
    _r("truncated", "syntax", "interchange", "the data ends inside a segment or an envelope"),
    _r("segment-length", "syntax", "interchange", "a segment is longer than any segment can be"),
    _r("delimiter-length", "syntax", "interchange", "an ISA delimiter is not one character"),
    _r("delimiter-distinct", "syntax", "interchange", "two ISA delimiters are the same character"),
    _r("delimiter-class", "syntax", "interchange", "an ISA delimiter is a letter, digit or space"),
    _r("isa-element-count", "syntax", "interchange", "the ISA does not have 16 elements"),
    _r("byte-order-mark", "syntax", "interchange", "the data starts with a UTF-8 byte order mark", severity="warning"),
    _r("stream-closed", "syntax", "none", "data was fed to a reader after it was closed"),
    # -- syntax: segments and elements ---------------------------------------------------------------------------
    _r("segment-id", "syntax", "segment", "a segment identifier is not 2-3 letters or digits", "1"),
    _r("trailing-separator", "syntax", "segment", "a segment ends with an element separator", "8"),
    _r("too-many-elements", "syntax", "element", "a segment has more elements than its definition", "8", "3"),
    _r("too-many-components", "syntax", "element", "a composite has more components than its definition", "8", "13"),
    _r("invalid-composite", "syntax", "element", "a simple element holds component separators", "8", "6"),
    _r("element-too-short", "syntax", "element", "an element is shorter than its minimum length", "8", "4"),
    _r("element-too-long", "syntax", "element", "an element is longer than its maximum length", "8", "5"),
    _r("control-character", "syntax", "element", "a value holds a control character", "8", "6"),
    _r("invalid-character", "syntax", "element",
       "a value holds a character outside the X12 character set (or with no basic-ASCII form)", "8", "6"),
    _r("delimiter-in-value", "syntax", "element", "a value holds an X12 delimiter", "8", "6"),
    _r("trailing-spaces", "syntax", "element", "an identifier or text element has trailing spaces", "8", "6"),
    _r("invalid-number", "syntax", "element", "a numeric (N) element or field is not a whole number", "8", "6"),
    _r("invalid-decimal", "syntax", "element", "a decimal (R) element or amount is not a decimal number", "8", "6"),
    _r("invalid-date", "syntax", "element", "a date element or field is not a calendar date", "8", "8"),
    _r("invalid-time", "syntax", "element", "a time element is not a valid time", "8", "9"),
    _r("syntax-paired", "syntax", "element", "a paired syntax note (P) is broken", "8", "2"),
    _r("syntax-required", "syntax", "element", "a required syntax note (R) is broken", "8", "2"),
    _r("syntax-conditional", "syntax", "element", "a conditional syntax note (C) is broken", "8", "2"),
    _r("syntax-list-conditional", "syntax", "element", "a list-conditional syntax note (L) is broken", "8", "2"),
    _r("syntax-exclusive", "syntax", "element", "an exclusion syntax note (E) is broken", "8", "10"),
    # -- syntax: envelopes ---------------------------------------------------------------------------------------
    _r("iea01-count", "syntax", "interchange", "IEA01 does not count the interchange's functional groups"),
    _r("iea02-mismatch", "syntax", "interchange", "IEA02 does not match ISA13"),
    _r("isa13-duplicate", "syntax", "interchange", "an ISA13 is repeated in one file"),
    _r("iea-missing", "syntax", "interchange", "an interchange has no IEA"),
    _r("segment-outside-envelope", "syntax", "interchange", "a segment is outside an interchange, group or set"),
    _r("envelope-nesting", "syntax", "interchange", "ISA/GS/ST and their trailers are not nested"),
    _r("control-number", "syntax", "interchange", "a control number is not 1-9 digits"),
    _r("ge01-count", "syntax", "group", "GE01 does not count the group's transaction sets", code="5"),
    _r("ge02-mismatch", "syntax", "group", "GE02 does not match GS06", code="4"),
    _r("gs06-duplicate", "syntax", "group", "a GS06 is repeated in one interchange", code="19"),
    _r("ge-missing", "syntax", "group", "a functional group has no GE", code="3"),
    _r("group-not-supported", "syntax", "group", "GS01 names a functional group this reader does not read", code="1"),
    _r("group-version-not-supported", "syntax", "group",
       "GS08 (or ST03) names an implementation guide this reader does not read", code="2"),
    _r("se01-count", "syntax", "transaction", "SE01 does not count the transaction set's segments", code="4"),
    _r("se02-mismatch", "syntax", "transaction", "SE02 does not match ST02", code="3"),
    _r("st02-duplicate", "syntax", "transaction", "an ST02 is repeated in one group", code="23"),
    _r("se-missing", "syntax", "transaction", "a transaction set has no SE", code="2"),
    _r("st03-mismatch", "syntax", "transaction", "ST03 does not match GS08", code="19"),
    _r("transaction-not-supported", "syntax", "transaction",
       "ST01 (or the guide) names a transaction set this reader does not read", code="1"),
    # -- implementation guide --------------------------------------------------------------------------------
    _r("segment-unexpected", "guide", "segment", "a known segment is out of place", "2"),
    _r("segment-unknown", "guide", "segment", "a segment is not in the implementation guide", "6"),
    _r("segment-missing", "guide", "segment", "a required segment is missing", "3"),
    _r("loop-missing", "guide", "segment", "a required loop is missing", "3"),
    _r("loop-max-repeat", "guide", "segment", "a loop repeats more often than the guide allows", "4"),
    _r("segment-max-use", "guide", "segment", "a segment repeats more often than the guide allows", "5"),
    _r("segment-not-used", "guide", "segment", "a segment the guide marks 'not used' is present", "I4"),
    _r("loop-not-used", "guide", "segment", "a loop the guide marks 'not used' is present", "I4"),
    _r("element-missing", "guide", "element", "a required element is missing or empty", "8", "1"),
    _r("composite-missing", "guide", "element", "a required composite is missing", "8", "1"),
    _r("element-not-used", "guide", "element", "an element the guide marks 'not used' is present", "8", "I10"),
    _r("composite-not-used", "guide", "element", "a composite the guide marks 'not used' is present", "8", "I10"),
    _r("invalid-code", "guide", "element", "a code is not in the element's code list", "8", "7"),
    _r("unexpected-qualifier", "guide", "element", "a qualifier this reader does not expect; the segment is skipped",
       "8", "7", severity="warning"),
    _r("pattern-mismatch", "guide", "element", "a value does not have the form the guide requires", "8", "I12"),
    _r("guide-max-length", "guide", "element", "a value is longer than the guide (not the standard) allows",
       "8", "5"),
    _r("hl-sequence", "guide", "element", "HL01 does not number the HLs 1, 2, 3 ...", "8", "I12"),
    _r("hl-parent", "guide", "element", "HL02 does not name an earlier HL", "8", "I12"),
    _r("hl-structure", "guide", "segment", "the HL hierarchy is not billing provider > subscriber > patient", "I6"),
    _r("lx-sequence", "guide", "element", "LX01 does not number the lines 1, 2, 3 ...", "8", "I12"),
    _r("claim-outside-lx", "guide", "segment", "a 2100 claim (CLP) comes before any LX", "2", severity="warning"),
    _r("claim-after-plb", "guide", "segment", "a 2100 claim (CLP) comes after the PLB", "2", severity="warning"),
    _r("line-count", "guide", "segment", "a claim has more service lines than the guide allows", "4"),
    _r("replacement-needs-f8", "guide", "segment", "a replacement or void claim has no REF*F8", "I6"),
    _r("claim-value", "guide", "segment", "a value of a claim cannot be read; the claim is not read"),
    _r("loop-value", "guide", "segment", "a loop's values cannot be read; its claim is not read"),
    _r("header", "guide", "segment", "the transaction's header (BHT, 1000A, 1000B) cannot be read"),
    _r("unsupported", "guide", "segment", "a construct the guide allows that this reader does not read"),
    # -- balancing -------------------------------------------------------------------------------------------
    _r("clm02-balance", "balancing", "element", "CLM02 is not the sum of the lines' SV102", "8", "I12"),
    _r("svc-balance", "balancing", "element", "SVC02 - SVC03 is not the line's CAS total", "8", "I12"),
    _r("clp-balance", "balancing", "element",
       "CLP03 - CLP04 is not the claim's and its lines' CAS total (or the lines' SVC03 sum is not CLP04)",
       "8", "I12"),
    _r("bpr-balance", "balancing", "element", "BPR02 is not the sum of CLP04 less the PLB adjustments", "8", "I12"),
    _r("cas-group", "balancing", "element", "a CAS group code is not CO, OA, PI or PR", "8", "7"),
    # -- code sets ---------------------------------------------------------------------------------------
    _r("procedure-code", "code-set", "element", "a procedure code is outside the code set", "8", "7",
       severity="warning"),
    _r("procedure-modifier", "code-set", "element", "a modifier is not allowed with the procedure", "8", "7",
       severity="warning"),
    _r("procedure-date", "code-set", "element", "a procedure code is not valid on the service date", "8", "7",
       severity="warning"),
    _r("icd10-format", "code-set", "element", "a diagnosis is not an ICD-10-CM code", "8", "7"),
    _r("icd9-format", "code-set", "element", "an ICD-9-CM diagnosis code is malformed", "8", "7"),
    _r("diagnosis-date", "code-set", "element", "a diagnosis code is not valid on the service date", "8", "7"),
    _r("npi-check-digit", "code-set", "element", "an NPI fails its Luhn check digit", "8", "I12"),
    _r("taxonomy-format", "code-set", "element", "a provider taxonomy code is malformed", "8", "I12"),
    # -- a leniently read 837P claim: rules of ours within the TR3's limits (Claim.deviations) -----------
    _r("billing-provider-po-box", "situational", "element", "the billing provider's address is a P.O. box",
       "8", "I12"),
    _r("claim-id-length", "situational", "element", "CLM01 is longer than the 20 characters we accept", "8", "5"),
    _r("frequency-code", "situational", "element", "CLM05-3 is not 1, 7 or 8", "8", "7"),
    _r("line-control-number", "situational", "element", "REF*6R is missing or longer than 30 characters", "8", "5"),
    _r("rendering-provider-npi", "situational", "element", "the rendering provider has no NPI", "8", "1"),
    _r("rendering-provider-taxonomy", "situational", "element", "the rendering provider has no taxonomy",
       "8", "1"),
    _r("rendering-provider-not-kept", "situational", "segment",
       "a claim-level rendering provider differs by line and is not kept"),
    # -- values our writers refuse ---------------------------------------------------------------------------
    _r("code-value", "write", "none", "a code given to a writer is not one the element allows"),
    _r("lenient-claim", "write", "none", "a leniently read claim breaks rules and cannot be written"),
    _r("modifier-count", "write", "none", "more modifiers (or adjustments) than the segment holds"),
    _r("remark-count", "write", "none", "more remark codes than the segment holds"),
    # -- service-log rows (ingest); the column names the field -------------------------------------------
    _r("row-shape", "ingest", "none", "a row is not a row: wrong field count, not JSON, not an object"),
    _r("field-missing", "ingest", "none", "a required field is missing or empty"),
    _r("field-length", "ingest", "none", "a field is shorter or longer than it may be"),
    _r("field-format", "ingest", "none", "a field does not have its format (pattern, type or choice)"),
    _r("empty-after-cleaning", "ingest", "none", "a required text field is empty once cleaned for X12"),
    _r("unknown-payer", "ingest", "none", "the payer key is not in [payers] of the config"),
    _r("unknown-cbo", "ingest", "none", "the cbo key is not in [cbos] of the config"),
    _r("service-date-future", "ingest", "none", "the service date is in the future"),
    _r("service-date-before-icd10", "ingest", "none", "the service date is before ICD-10-CM (2015-10-01)"),
    _r("past-timely-filing", "ingest", "none", "the service is older than the payer's timely_filing_days"),
    _r("log-date-format", "ingest", "none", "a date of another platform's export does not match [log] date_format"),
    _r("authorization-required", "ingest", "none",
       "the payer pays the code only under a prior authorization (authorization_required) and none covers the row"),
    _r("authorization-exceeded", "ingest", "none", "the row asks for more units than its authorization has left"),
    _r("authorization-mismatch", "ingest", "none", "the row's own authorization does not cover its service"),
    _r("correction-not-billed", "ingest", "none", "a correction of a service the ledger never billed"),
    _r("correction-not-in-log", "ingest", "none", "a --void service id the corrected log does not hold"),
    _r("correction-awaiting-adjudication", "ingest", "none",
       "a correction of a claim the payer has neither adjudicated nor rejected yet"),
    _r("correction-reversed", "ingest", "none", "a correction of a claim the payer reversed (CLP02 22)"),
    _r("correction-nothing-to-void", "ingest", "none", "a void of a claim the payer rejected and never adjudicated"),
    _r("correction-incomplete", "ingest", "none", "a replacement or void that lacks some of the claim's services"),
    _r("correction-payer-differs", "ingest", "none", "a replacement or void sent to another payer than the claim's"),
    _r("correction-split", "ingest", "none", "corrected rows of one claim that would make more than one claim"),
    _r("correction-void-differs", "ingest", "none", "a void whose rows differ from the claim as billed"),
    _r("birth-date-after-service", "ingest", "none", "the birth date is after the service date"),
    _r("birth-date-before-1900", "ingest", "none", "the birth date is before 1900"),
    _r("procedure-not-covered", "ingest", "none", "the payer does not cover the procedure (covered_codes)"),
    _r("modifier-repeated", "ingest", "none", "a modifier is given twice"),
    _r("diagnosis-not-billable", "ingest", "none", "the diagnosis is not a billable SDOH (Z55-Z65) code"),
    _r("place-of-service", "ingest", "none", "the place of service is not a CMS place-of-service code"),
    _r("transport-location", "ingest", "none", "a transport code lacks a pick-up or drop-off field (2310E/2310F)"),
    _r("units-not-positive", "ingest", "none", "units are not greater than 0"),
    _r("units-missing", "ingest", "none", "neither units nor minutes are given"),
    _r("not-timed", "ingest", "none", "minutes given for a procedure not billed by time"),
    _r("minutes-below-unit", "ingest", "none", "the minutes make less than one unit under the payer's rounding"),
    _r("charge-not-positive", "ingest", "none", "the charge (given or priced) is not greater than 0"),
    _r("no-fee", "ingest", "none", "no charge given and no fee in the payer's fee schedule"),
    _r("duplicate-service", "ingest", "none", "the service_id is repeated in this run or already billed"),
    _r("no-payer-claim-number", "ingest", "none", "a resubmission whose claim has no payer claim number yet"),
    _r("claim-not-built", "ingest", "none", "the claim the row belongs to cannot be built"),
    # -- remittances and acknowledgments the ledger applies -------------------------------------------------
    _r("repeated-interchange", "reconcile", "none", "an 835 interchange was applied before", severity="warning"),
    _r("repeated-trace", "reconcile", "none", "an 835 trace number (TRN02) repeats within one file",
       severity="warning"),
    _r("trace-reused", "reconcile", "none", "a trace number was applied before for other content",
       severity="warning"),
    _r("ack-unmatched", "reconcile", "none", "an acknowledgment names no claim or group on record"),
]

RULES: dict[str, Rule] = {r.id: r for r in _ALL}
assert len(RULES) == len(_ALL), "a slug is registered twice"


class Location(BaseModel):
    """Where a problem is. Every part is optional: a truncated file has no ST02, a missing
    trailer has no element, a service-log row has a row and a column instead of segments.

    For a required segment or loop that is missing, ``segment`` and ``loop`` name what is
    missing and ``position`` the segment at which its absence became certain (as the 999's
    IK3 reports it).
    """

    model_config = ConfigDict(frozen=True)

    interchange: str | None = None  # ISA13
    group: str | None = None  # GS06
    transaction: str | None = None  # ST02
    position: int | None = None  # ordinal of the segment in the file (first segment = 1)
    transaction_position: int | None = None  # ordinal within its transaction set (ST = 1), as 999 IK302 wants
    loop: str | None = None  # TR3 loop id, e.g. "2400"; None in headers and envelopes
    segment: str | None = None  # segment id
    element: int | None = None  # 1-based element position
    component: int | None = None  # 1-based component position within a composite
    data_element: str | None = None  # X12 data element reference number (999 IK402)
    file: str | None = None
    row: int | None = None  # service-log row (CSV: the header is row 1)
    column: str | None = None  # service-log column

    def reference(self) -> str:
        """'CLM02', 'SV101-2', 'HL' ..."""
        ref = self.segment or ""
        if self.element is not None:
            ref += f"{self.element:02d}"
            if self.component is not None:
                ref += f"-{self.component}"
        return ref


class Problem(BaseModel):
    """One problem: which rule (a slug of :data:`RULES`), how bad, where, and what to fix.

    ``message`` says what to fix without quoting free-text values (names, ids and dates may be
    protected health information); ``value`` is set only for code values (a qualifier, a
    procedure or diagnosis code), which a 999 may echo back.
    """

    model_config = ConfigDict(frozen=True)

    severity: Severity
    level: Level
    rule: str
    message: str
    location: Location
    value: str | None = None

    @property
    def snip(self) -> int | None:
        return SNIP.get(self.level)

    def __str__(self) -> str:
        loc = self.location
        where = []
        if loc.file:
            where.append(f"file {loc.file}")
        if loc.row is not None:
            where.append(f"row {loc.row}")
        if loc.column:
            where.append(f"column {loc.column}")
        if loc.position is not None:
            where.append(f"segment {loc.position}")
        if loc.loop:
            where.append(f"loop {loc.loop}")
        ref = loc.reference()
        if ref:
            where.append(ref)
        prefix = f"{self.severity.upper()} [{self.rule}]"
        return f"{prefix} {', '.join(where)}: {self.message}" if where else f"{prefix} {self.message}"


def problem(rule: str, message: str, *, severity: Severity | None = None, value: str | None = None,
            **where) -> Problem:
    """A :class:`Problem` of a registered rule, its level and (unless given) severity from the
    registry; ``where`` are :class:`Location` fields. An unregistered slug is a bug of the caller:
    ValueError naming it, not a bare KeyError."""
    r = RULES.get(rule)
    if r is None:
        raise ValueError(f"rule slug not registered in sdohedi.problems.RULES: {rule!r}")
    return Problem(severity=severity or r.severity, level=r.level, rule=rule, message=message,
                   location=Location(**where), value=value)
