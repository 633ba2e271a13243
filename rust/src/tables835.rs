//! An 835 (005010X221A1) as Arrow record batches: payments, claims, service lines, adjustments,
//! provider adjustments and findings.
//!
//! Segments come from the tokenizer and are placed by the guide walker ([`Walk`]); which table a
//! segment fills depends on the loop the walker put it in (1000A, 2100, 2110, ...), never on a
//! hand-written loop structure here. A row is held while its loop is open (a claim's REF, DTM and
//! AMT follow its CLP) and appended to the column builders when the loop closes. Batches are cut
//! after `batch_claims` claims, so memory is bounded by one batch whatever the file's size.
//!
//! Amounts are Decimal128(18,2), quantities Decimal128(18,4), dates date32, codes and text utf8
//! (latin-1 bytes read one character per byte, as the tokenizer's Python face does). A value that
//! does not read as its type is null in its row and a finding (`invalid-decimal`,
//! `invalid-date`) names the segment, its position and the element: the row is kept. Every
//! column, its type and its source element: `schemas/tables/835.md` (a test holds this module to it).

use arrow_array::RecordBatch;

pub use crate::table_builder::{date, decimal, schema, Column, Kind};
use crate::table_builder::{table, BadValue, Cell, Table};

use crate::balance835::Balance;
use crate::elements::{missing_required, required_elements};
use crate::envelope;

use crate::problem::Problem;
use crate::tokenizer::{Segment, Tokenizer, ISA_BY_SEPARATORS};
use crate::walker::{is_segment_id, StructureProblem, Walk};

table!(payments {
    ROW: "payment_row", Key, "ordinal of the ST/SE in the stream, from 0";
    POSITION: "position", Key, "ST position in the stream";
    ISA13: "isa13", Text, "ISA13";
    GS06: "gs06", Text, "GS06";
    ST02: "st02", Text, "ST02";
    BPR01: "bpr01_handling", Text, "BPR01";
    BPR02: "bpr02_amount", Amount, "BPR02";
    BPR03: "bpr03_credit_debit", Text, "BPR03";
    BPR04: "bpr04_method", Text, "BPR04";
    BPR05: "bpr05_format", Text, "BPR05";
    BPR06: "bpr06_sender_dfi_qualifier", Text, "BPR06";
    BPR07: "bpr07_sender_dfi_id", Text, "BPR07";
    BPR08: "bpr08_sender_account_qualifier", Text, "BPR08";
    BPR09: "bpr09_sender_account", Text, "BPR09";
    BPR10: "bpr10_originator_id", Text, "BPR10";
    BPR11: "bpr11_originator_supplemental", Text, "BPR11";
    BPR12: "bpr12_receiver_dfi_qualifier", Text, "BPR12";
    BPR13: "bpr13_receiver_dfi_id", Text, "BPR13";
    BPR14: "bpr14_receiver_account_qualifier", Text, "BPR14";
    BPR15: "bpr15_receiver_account", Text, "BPR15";
    BPR16: "bpr16_date", Date, "BPR16";
    TRN01: "trn01_trace_type", Text, "TRN01";
    TRN02: "trn02_trace_number", Text, "TRN02 (check or EFT number)";
    TRN03: "trn03_originator_id", Text, "TRN03";
    TRN04: "trn04_originator_supplemental", Text, "TRN04";
    RECEIVER_ID: "receiver_id", Text, "header REF*EV REF02";
    VERSION_ID: "version_id", Text, "header REF*F2 REF02";
    PRODUCTION_DATE: "production_date", Date, "DTM*405 DTM02";
    PAYER_NAME: "payer_name", Text, "1000A N102";
    PAYER_ID_QUALIFIER: "payer_id_qualifier", Text, "1000A N103";
    PAYER_ID: "payer_id", Text, "1000A N104";
    PAYER_ADDRESS1: "payer_address1", Text, "1000A N301";
    PAYER_ADDRESS2: "payer_address2", Text, "1000A N302";
    PAYER_CITY: "payer_city", Text, "1000A N401";
    PAYER_STATE: "payer_state", Text, "1000A N402";
    PAYER_POSTAL_CODE: "payer_postal_code", Text, "1000A N403";
    PAYER_COUNTRY: "payer_country", Text, "1000A N404";
    PAYER_REF_QUALIFIER: "payer_ref_qualifier", Text, "1000A REF01 (the first REF)";
    PAYER_REF: "payer_ref", Text, "1000A REF02 (the first REF)";
    PAYER_CONTACT_FUNCTION: "payer_contact_function", Text, "1000A PER01 (the first PER)";
    PAYER_CONTACT_NAME: "payer_contact_name", Text, "1000A PER02 (the first PER)";
    PAYER_CONTACT_QUALIFIER: "payer_contact_qualifier", Text, "1000A PER03 (the first PER)";
    PAYER_CONTACT_NUMBER: "payer_contact_number", Text, "1000A PER04 (the first PER)";
    PAYEE_NAME: "payee_name", Text, "1000B N102";
    PAYEE_ID_QUALIFIER: "payee_id_qualifier", Text, "1000B N103 (XX NPI, FI TIN, XV plan id)";
    PAYEE_ID: "payee_id", Text, "1000B N104";
    PAYEE_ADDRESS1: "payee_address1", Text, "1000B N301";
    PAYEE_ADDRESS2: "payee_address2", Text, "1000B N302";
    PAYEE_CITY: "payee_city", Text, "1000B N401";
    PAYEE_STATE: "payee_state", Text, "1000B N402";
    PAYEE_POSTAL_CODE: "payee_postal_code", Text, "1000B N403";
    PAYEE_REF_QUALIFIER: "payee_ref_qualifier", Text, "1000B REF01 (the first REF)";
    PAYEE_REF: "payee_ref", Text, "1000B REF02 (the first REF)";
    PAYER_ADDITIONAL_ID: "payer_additional_id", Text, "1000A REF*2U REF02 (the payer's id when N104 is absent)";
    ISA06: "isa06", Text, "ISA06 (the interchange sender)";
    INTERCHANGE_POSITION: "interchange_position", Key, "ISA position in the stream";
    TRACE_POSITION: "trace_position", Key, "TRN position in the stream";
    SE_POSITION: "se_position", Key, "SE position in the stream; null when the transaction set ended without its SE (the stream stopped)";
});

table!(claims {
    ROW: "claim_row", Key, "ordinal of the CLP in the stream, from 0";
    PAYMENT_ROW: "payment_row", Key, "payments.payment_row of its ST/SE";
    POSITION: "position", Key, "CLP position in the stream";
    HEADER_NUMBER: "header_number", Text, "LX01 of the enclosing 2000 loop";
    CLP01: "clp01_claim_id", Text, "CLP01 (echoes the 837's CLM01)";
    CLP02: "clp02_status", Text, "CLP02";
    CLP03: "clp03_charge", Amount, "CLP03";
    CLP04: "clp04_paid", Amount, "CLP04";
    CLP05: "clp05_patient_responsibility", Amount, "CLP05";
    CLP06: "clp06_filing_indicator", Text, "CLP06";
    CLP07: "clp07_payer_claim_number", Text, "CLP07";
    CLP08: "clp08_facility_code", Text, "CLP08";
    CLP09: "clp09_frequency", Text, "CLP09";
    CLP11: "clp11_drg_code", Text, "CLP11";
    CLP12: "clp12_drg_weight", Quantity, "CLP12";
    CLP13: "clp13_discharge_fraction", Quantity, "CLP13";
    CLP14: "clp14_yes_no", Text, "CLP14";
    RENDERING_PROVIDER_ID_QUALIFIER: "rendering_provider_id_qualifier", Text, "NM1*82 NM108";
    RENDERING_PROVIDER_ID: "rendering_provider_id", Text, "NM1*82 NM109";
    ORIGINAL_REFERENCE: "original_reference", Text, "REF*F8 REF02";
    PRIOR_AUTHORIZATION: "prior_authorization", Text, "REF*G1 REF02";
    GROUP_NUMBER: "group_number", Text, "REF*1L REF02";
    STATEMENT_START: "statement_start", Date, "DTM*232 DTM02";
    STATEMENT_END: "statement_end", Date, "DTM*233 DTM02";
    COVERAGE_EXPIRATION: "coverage_expiration", Date, "DTM*036 DTM02";
    RECEIVED_DATE: "received_date", Date, "DTM*050 DTM02";
    COVERAGE_AMOUNT: "coverage_amount", Amount, "AMT*AU AMT02";
    DISCOUNT_AMOUNT: "discount_amount", Amount, "AMT*D8 AMT02";
    PER_DAY_LIMIT: "per_day_limit", Amount, "AMT*DY AMT02";
    PATIENT_AMOUNT_PAID: "patient_amount_paid", Amount, "AMT*F5 AMT02";
    INTEREST: "interest", Amount, "AMT*I AMT02";
    NEGATIVE_LEDGER_BALANCE: "negative_ledger_balance", Amount, "AMT*NL AMT02";
    TAX: "tax", Amount, "AMT*T AMT02";
});

table!(lines {
    ROW: "line_row", Key, "ordinal of the SVC in the stream, from 0";
    CLAIM_ROW: "claim_row", Key, "claims.claim_row of its CLP";
    PAYMENT_ROW: "payment_row", Key, "payments.payment_row of its ST/SE";
    POSITION: "position", Key, "SVC position in the stream";
    QUALIFIER: "svc01_qualifier", Text, "SVC01-1 (HC, AD, ER, IV, N4, NU, WK, ...)";
    PROCEDURE: "svc01_procedure", Text, "SVC01-2";
    MODIFIER1: "svc01_modifier1", Text, "SVC01-3";
    MODIFIER2: "svc01_modifier2", Text, "SVC01-4";
    MODIFIER3: "svc01_modifier3", Text, "SVC01-5";
    MODIFIER4: "svc01_modifier4", Text, "SVC01-6";
    DESCRIPTION: "svc01_description", Text, "SVC01-7";
    CHARGE: "svc02_charge", Amount, "SVC02";
    PAID: "svc03_paid", Amount, "SVC03";
    REVENUE_CODE: "svc04_revenue_code", Text, "SVC04";
    UNITS: "svc05_units", Quantity, "SVC05 (null when absent; the TR3 reads that as 1)";
    ORIGINAL_QUALIFIER: "svc06_qualifier", Text, "SVC06-1";
    ORIGINAL_PROCEDURE: "svc06_procedure", Text, "SVC06-2";
    ORIGINAL_UNITS: "svc07_units", Quantity, "SVC07";
    LINE_CONTROL_NUMBER: "line_control_number", Text, "REF*6R REF02 (echoes the 837's REF*6R)";
    SERVICE_DATE: "service_date", Date, "DTM*472 DTM02";
    SERVICE_START: "service_start", Date, "DTM*150 DTM02";
    SERVICE_END: "service_end", Date, "DTM*151 DTM02";
    ALLOWED_AMOUNT: "allowed_amount", Amount, "AMT*B6 AMT02";
});

table!(adjustments {
    ROW: "adjustment_row", Key, "ordinal of the CAS triple in the stream, from 0";
    CLAIM_ROW: "claim_row", Key, "claims.claim_row of its CLP";
    LINE_ROW: "line_row", Key, "service_lines.line_row of its SVC; null at claim level";
    PAYMENT_ROW: "payment_row", Key, "payments.payment_row of its ST/SE";
    POSITION: "position", Key, "CAS position in the stream";
    LEVEL: "level", Text, "claim (2100 CAS) or line (2110 CAS)";
    TRIPLE: "triple", Key, "1-6: which reason/amount/quantity triple of the CAS";
    GROUP: "group_code", Text, "CAS01 (CO, OA, PI, PR)";
    REASON: "reason", Text, "CAS02, 05, 08, 11, 14, 17 (CARC)";
    AMOUNT: "amount", Amount, "CAS03, 06, 09, 12, 15, 18";
    QUANTITY: "quantity", Quantity, "CAS04, 07, 10, 13, 16, 19";
});

table!(provider_adjustments {
    ROW: "provider_adjustment_row", Key, "ordinal of the PLB pair in the stream, from 0";
    PAYMENT_ROW: "payment_row", Key, "payments.payment_row of its ST/SE";
    POSITION: "position", Key, "PLB position in the stream";
    PAIR: "pair", Key, "1-6: which reason/amount pair of the PLB";
    PROVIDER_ID: "provider_id", Text, "PLB01";
    FISCAL_PERIOD_DATE: "fiscal_period_date", Date, "PLB02";
    REASON: "reason", Text, "PLB03-1, 05-1, ... 13-1";
    REFERENCE_ID: "reference_id", Text, "PLB03-2, 05-2, ... 13-2";
    AMOUNT: "amount", Amount, "PLB04, 06, ... 14 (positive: reduces the payment)";
});

table!(findings {
    ROW: "finding_row", Key, "ordinal of the finding in the stream, from 0";
    PAYMENT_ROW: "payment_row", Key, "payments.payment_row of the ST/SE it is in; null outside one";
    SEVERITY: "severity", Text, "error or warning";
    RULE: "rule", Text, "the rule slug (sdohedi.problems.RULES)";
    MESSAGE: "message", Text, "what is wrong; no names, ids or dates (balancing: the amounts)";
    POSITION: "position", Key, "segment position in the stream";
    SEGMENT: "segment", Text, "segment id";
    ELEMENT: "element", Key, "1-based element position in the segment";
    LOOP_ID: "loop_id", Text, "the loop the walker was in (2100, 2110, ...)";
});

table!(remarks {
    ROW: "remark_row", Key, "ordinal of the remark code in the stream, from 0";
    CLAIM_ROW: "claim_row", Key, "claims.claim_row of its CLP";
    LINE_ROW: "line_row", Key, "service_lines.line_row of its SVC; null at claim level";
    PAYMENT_ROW: "payment_row", Key, "payments.payment_row of its ST/SE";
    POSITION: "position", Key, "MOA or LQ position in the stream";
    LEVEL: "level", Text, "claim (2100 MOA) or line (2110 LQ)";
    QUALIFIER: "qualifier", Text, "LQ01 (HE: a RARC; RX: an NCPDP reject code); null for MOA";
    CODE: "code", Text, "LQ02, or MOA03-07 (one row each)";
});

/// The seven tables, in the order [`TABLES`] names them.
pub const TABLES: [(&str, &[Column]); 7] = [
    ("payments", payments::COLUMNS),
    ("claims", claims::COLUMNS),
    ("service_lines", lines::COLUMNS),
    ("adjustments", adjustments::COLUMNS),
    ("provider_adjustments", provider_adjustments::COLUMNS),
    ("findings", findings::COLUMNS),
    ("remarks", remarks::COLUMNS),
];

/// What a placed segment fills, from the loop the walker put it in and its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Other,
    St,
    Se,
    Bpr,
    Trn,
    HeaderRef,
    HeaderDtm,
    PayerN1,
    PayerN3,
    PayerN4,
    PayerRef,
    PayerPer,
    PayeeN1,
    PayeeN3,
    PayeeN4,
    PayeeRef,
    Lx,
    Clp,
    ClaimCas,
    ClaimNm1,
    ClaimRef,
    ClaimDtm,
    ClaimAmt,
    Svc,
    LineDtm,
    LineCas,
    LineRef,
    LineAmt,
    LineLq,
    ClaimMoa,
    Plb,
}

fn role(loop_id: Option<&str>, id: &str) -> Role {
    match (loop_id, id) {
        (None, "ST") => Role::St,
        (None, "SE") => Role::Se,
        (None, "BPR") => Role::Bpr,
        (None, "TRN") => Role::Trn,
        (None, "REF") => Role::HeaderRef,
        (None, "DTM") => Role::HeaderDtm,
        (None, "PLB") => Role::Plb,
        (Some("1000A"), "N1") => Role::PayerN1,
        (Some("1000A"), "N3") => Role::PayerN3,
        (Some("1000A"), "N4") => Role::PayerN4,
        (Some("1000A"), "REF") => Role::PayerRef,
        (Some("1000A"), "PER") => Role::PayerPer,
        (Some("1000B"), "N1") => Role::PayeeN1,
        (Some("1000B"), "N3") => Role::PayeeN3,
        (Some("1000B"), "N4") => Role::PayeeN4,
        (Some("1000B"), "REF") => Role::PayeeRef,
        (Some("2000"), "LX") => Role::Lx,
        (Some("2100"), "CLP") => Role::Clp,
        (Some("2100"), "CAS") => Role::ClaimCas,
        (Some("2100"), "NM1") => Role::ClaimNm1,
        (Some("2100"), "REF") => Role::ClaimRef,
        (Some("2100"), "DTM") => Role::ClaimDtm,
        (Some("2100"), "AMT") => Role::ClaimAmt,
        (Some("2110"), "SVC") => Role::Svc,
        (Some("2110"), "DTM") => Role::LineDtm,
        (Some("2110"), "CAS") => Role::LineCas,
        (Some("2110"), "REF") => Role::LineRef,
        (Some("2110"), "AMT") => Role::LineAmt,
        (Some("2110"), "LQ") => Role::LineLq,
        (Some("2100"), "MOA") => Role::ClaimMoa,
        _ => Role::Other,
    }
}

/// One batch of each table, cut at a claim boundary.
pub struct Batches {
    /// In the order of [`TABLES`].
    pub tables: [RecordBatch; 7],
}

/// The elements of a segment (the id first), cut into a fixed array; past 24 they are dropped
/// (no 835 segment the tables read has more than 21).
struct Elements<'a> {
    els: [&'a [u8]; 24],
    n: usize,
    component: u8,
}

impl<'a> Elements<'a> {
    #[inline(always)]
    fn new(seg: &Segment<'a>) -> Self {
        let mut els: [&[u8]; 24] = [b""; 24];
        let mut n = 0;
        for e in seg.elements().take(24) {
            els[n] = e;
            n += 1;
        }
        Elements {
            els,
            n,
            component: seg.delimiters.component,
        }
    }

    fn get(&self, i: usize) -> &'a [u8] {
        if i < self.n {
            self.els[i]
        } else {
            b""
        }
    }

    /// Component `c` (1-based) of element `i`.
    fn component(&self, i: usize, c: usize) -> &'a [u8] {
        self.get(i)
            .split(|&b| b == self.component)
            .nth(c - 1)
            .unwrap_or(b"")
    }
}

/// The table builder behind the tokenizer: everything but the tokenizer, so the tokenizer's
/// sink can borrow it.
struct State {
    walk: Walk,
    /// Role of each segment of the 835 guide; the guide's index in the walker's tables.
    guide: usize,
    roles: Vec<Role>,
    /// The required simple elements of each segment of the 835 guide.
    required: Vec<Vec<usize>>,
    problems: Vec<StructureProblem>,
    bad: Vec<BadValue>,
    payments: Table,
    claims: Table,
    lines: Table,
    adjustments: Table,
    plb: Table,
    findings: Table,
    remarks: Table,
    isa13: Vec<u8>,
    isa06: Vec<u8>,
    isa_position: u64,
    gs06: Vec<u8>,
    st02: Vec<u8>,
    st_position: u64,
    /// Functional groups of the open interchange, transaction sets of the open group.
    groups: u64,
    transactions: u64,
    /// The open group is read as 835 remittances.
    remittances: bool,
    /// Envelopes open: 1 an interchange, 2 a group in it, 3 a transaction set in that.
    depth: u8,
    last_position: u64,
    balance: Balance,
    header_number: Vec<u8>,
    payment: Option<i64>,
    claim: Option<i64>,
    line: Option<i64>,
    loop_id: Option<&'static str>,
    batch_claims: usize,
    ready: Vec<Batches>,
}

impl State {
    fn segment(&mut self, seg: Segment<'_>) {
        if seg.isa_by_separators {
            // Here, in stream order (`after` leaves out the tokenizer's copy).
            self.finding(
                "warning",
                "isa-fixed-length",
                ISA_BY_SEPARATORS,
                (Some(seg.position), Some("ISA"), None),
                None,
            );
        }
        // Cut once: the walker places the segment by the same elements the tables read.
        let els = Elements::new(&seg);
        let placed = self
            .walk
            .elements(&els.els[..els.n], seg.position, &mut self.problems);
        if !self.problems.is_empty() {
            if self.remittances {
                self.structure_findings();
            } else {
                self.problems.clear(); // another guide's structure: not this reader's to report
            }
        }
        let id = seg.id();
        self.last_position = seg.position;
        match id {
            b"ISA" => self.depth = 1,
            b"GS" => self.depth = 2,
            b"ST" => self.depth = 3,
            b"SE" => self.depth = 2,
            b"GE" => self.depth = 1,
            b"IEA" => self.depth = 0,
            _ => {}
        }
        match id {
            b"ISA" => {
                self.close_payment();
                self.isa13.clear();
                self.isa13.extend_from_slice(els.get(13));
                self.isa06.clear();
                self.isa06.extend_from_slice(els.get(6).trim_ascii_end());
                self.isa_position = seg.position;
                self.groups = 0;
                return;
            }
            b"GS" => {
                self.close_payment();
                self.gs06.clear();
                self.gs06.extend_from_slice(els.get(6));
                self.groups += 1;
                self.transactions = 0;
                let (gs01, gs08) = (els.get(1), els.get(8));
                self.remittances = self.walk.tables().guide_for(gs01, gs08) == Some(self.guide);
                if !self.remittances {
                    self.other_group(gs01, gs08, seg.position);
                }
                return;
            }
            b"ST" => {
                self.transactions += 1;
                self.st_position = seg.position;
                self.st02.clear();
                self.st02.extend_from_slice(els.get(2));
            }
            b"SE" => {
                let count = (seg.position + 1).saturating_sub(self.st_position);
                let found = envelope::se(els.get(1), els.get(2), count, &self.st02);
                self.trailer_findings(found, seg.position, "SE");
            }
            b"GE" => {
                self.close_payment();
                let found = envelope::ge(els.get(1), els.get(2), self.transactions, &self.gs06);
                self.trailer_findings(found, seg.position, "GE");
                return;
            }
            b"IEA" => {
                self.close_payment();
                let found = envelope::iea(els.get(1), els.get(2), self.groups, &self.isa13);
                self.trailer_findings(found, seg.position, "IEA");
                return;
            }
            _ => {}
        }
        if placed.is_none() && !is_segment_id(id) {
            // Not named: what stands where an id should be may be anything, data included.
            let at = (Some(seg.position), None, None);
            let message = "segment identifier must be 2-3 letters or digits; segment skipped";
            self.finding("error", "segment-id", message, at, self.loop_id);
            return;
        }
        let node = placed
            .as_ref()
            .filter(|p| p.guide == self.guide)
            .map(|p| p.segment);
        let role = match placed {
            Some(p) if p.guide == self.guide => {
                let tables = self.walk.tables();
                self.loop_id = tables.guides[p.guide].segments[p.segment]
                    .loop_id
                    .as_deref();
                self.roles[p.segment]
            }
            Some(_) => return,
            // Out of place (the walker has reported it): its id still says what it holds.
            None if self.payment.is_some() => self.recover(id),
            None => return,
        };
        if role == Role::Other {
            return;
        }
        let pos = seg.position;
        if let Some(node) = node {
            self.required_elements(node, &els, pos);
        }
        match role {
            Role::St => {
                self.close_payment();
                let row = self.payments.open();
                self.payment = Some(row);
                let t = &mut self.payments;
                t.int(payments::POSITION, pos as i64);
                let (isa13, gs06) = (
                    std::mem::take(&mut self.isa13),
                    std::mem::take(&mut self.gs06),
                );
                t.bytes(payments::ISA13, &isa13, pos, "ISA", 13);
                t.bytes(payments::GS06, &gs06, pos, "GS", 6);
                (self.isa13, self.gs06) = (isa13, gs06);
                t.bytes(payments::ST02, els.get(2), pos, "ST", 2);
                let isa06 = std::mem::take(&mut self.isa06);
                let t = &mut self.payments;
                t.bytes(payments::ISA06, &isa06, pos, "ISA", 6);
                t.int(payments::INTERCHANGE_POSITION, self.isa_position as i64);
                self.isa06 = isa06;
                self.balance.transaction();
            }
            Role::Se => {
                if self.payment.is_some() {
                    self.payments.int(payments::SE_POSITION, pos as i64);
                    self.balance.end();
                    self.balance_findings();
                }
                self.close_payment()
            }
            _ if self.payment.is_none() => {}
            Role::Bpr => {
                self.balance.bpr(pos, els.get(2), els.get(3));
                let t = &mut self.payments;
                for (i, col) in (payments::BPR01..=payments::BPR16).enumerate() {
                    t.bytes(col, els.get(i + 1), pos, "BPR", i as u8 + 1);
                }
            }
            Role::Trn => {
                if matches!(self.payments.cells[payments::TRN02], Cell::Null) {
                    self.payments.int(payments::TRACE_POSITION, pos as i64);
                }
                for (i, col) in (payments::TRN01..=payments::TRN04).enumerate() {
                    self.payments
                        .bytes(col, els.get(i + 1), pos, "TRN", i as u8 + 1);
                }
            }
            Role::HeaderRef => {
                let col = match els.get(1) {
                    b"EV" => payments::RECEIVER_ID,
                    b"F2" => payments::VERSION_ID,
                    _ => return,
                };
                self.payments.bytes(col, els.get(2), pos, "REF", 2);
            }
            Role::HeaderDtm => {
                if els.get(1) == b"405" {
                    self.payments
                        .bytes(payments::PRODUCTION_DATE, els.get(2), pos, "DTM", 2);
                }
            }
            Role::PayerN1 | Role::PayeeN1 => {
                let first = if role == Role::PayerN1 {
                    payments::PAYER_NAME
                } else {
                    payments::PAYEE_NAME
                };
                for i in 0..3 {
                    self.payments
                        .bytes(first + i, els.get(i + 2), pos, "N1", i as u8 + 2);
                }
            }
            Role::PayerN3 | Role::PayeeN3 => {
                let first = if role == Role::PayerN3 {
                    payments::PAYER_ADDRESS1
                } else {
                    payments::PAYEE_ADDRESS1
                };
                for i in 0..2 {
                    self.payments
                        .bytes(first + i, els.get(i + 1), pos, "N3", i as u8 + 1);
                }
            }
            Role::PayerN4 | Role::PayeeN4 => {
                let (first, n) = if role == Role::PayerN4 {
                    (payments::PAYER_CITY, 4)
                } else {
                    (payments::PAYEE_CITY, 3)
                };
                for i in 0..n {
                    self.payments
                        .bytes(first + i, els.get(i + 1), pos, "N4", i as u8 + 1);
                }
            }
            Role::PayerRef | Role::PayeeRef => {
                let first = if role == Role::PayerRef {
                    payments::PAYER_REF_QUALIFIER
                } else {
                    payments::PAYEE_REF_QUALIFIER
                };
                if matches!(self.payments.cells[first], Cell::Null) {
                    self.payments.bytes(first, els.get(1), pos, "REF", 1);
                    self.payments.bytes(first + 1, els.get(2), pos, "REF", 2);
                }
                if role == Role::PayerRef && els.get(1) == b"2U" {
                    self.payments
                        .bytes(payments::PAYER_ADDITIONAL_ID, els.get(2), pos, "REF", 2);
                }
            }
            Role::PayerPer => {
                if matches!(
                    self.payments.cells[payments::PAYER_CONTACT_FUNCTION],
                    Cell::Null
                ) {
                    for i in 0..4 {
                        let col = payments::PAYER_CONTACT_FUNCTION + i;
                        self.payments
                            .bytes(col, els.get(i + 1), pos, "PER", i as u8 + 1);
                    }
                }
            }
            Role::Lx => {
                self.close_header();
                self.close_claim();
                self.header_number.clear();
                self.header_number.extend_from_slice(els.get(1));
            }
            Role::Clp => {
                self.close_header();
                self.clp(&els, pos)
            }
            Role::Plb => {
                self.close_header();
                self.close_claim();
                self.plb(&els, pos);
            }
            Role::Svc => self.svc(&els, pos),
            Role::ClaimCas | Role::LineCas => self.cas(&els, pos, role == Role::LineCas),
            Role::ClaimMoa => {
                for i in 3..8 {
                    self.remark(None, None, els.get(i), pos, i as u8);
                }
            }
            Role::LineLq => {
                if let Some(line) = self.line {
                    self.remark(Some(line), Some(els.get(1)), els.get(2), pos, 2);
                }
            }
            _ => self.claim_detail(role, &els, pos),
        }
    }

    /// The role of a segment the walker could not place, from its id and the open loops, so
    /// that a segment out of order (or a composite cut by the wrong separator) loses no money.
    fn recover(&self, id: &[u8]) -> Role {
        let line = self.line.is_some();
        match id {
            b"LX" => Role::Lx,
            b"CLP" => Role::Clp,
            b"SVC" => Role::Svc,
            b"PLB" => Role::Plb,
            b"SE" => Role::Se,
            b"CAS" if line => Role::LineCas,
            b"CAS" => Role::ClaimCas,
            b"DTM" if line => Role::LineDtm,
            b"REF" if line => Role::LineRef,
            b"AMT" if line => Role::LineAmt,
            b"LQ" if line => Role::LineLq,
            b"MOA" if self.claim.is_some() => Role::ClaimMoa,
            b"DTM" if self.claim.is_some() => Role::ClaimDtm,
            b"REF" if self.claim.is_some() => Role::ClaimRef,
            b"AMT" if self.claim.is_some() => Role::ClaimAmt,
            _ => Role::Other,
        }
    }

    fn clp(&mut self, els: &Elements<'_>, pos: u64) {
        self.close_claim();
        let row = self.claims.open();
        self.claim = Some(row);
        let t = &mut self.claims;
        t.opt_int(claims::PAYMENT_ROW, self.payment);
        t.int(claims::POSITION, pos as i64);
        t.bytes(claims::HEADER_NUMBER, &self.header_number, pos, "LX", 1);
        for (i, col) in (claims::CLP01..=claims::CLP09).enumerate() {
            t.bytes(col, els.get(i + 1), pos, "CLP", i as u8 + 1);
        }
        for (i, col) in (claims::CLP11..=claims::CLP14).enumerate() {
            t.bytes(col, els.get(i + 11), pos, "CLP", i as u8 + 11);
        }
        self.balance.claim(pos, els.get(3), els.get(4));
    }

    fn svc(&mut self, els: &Elements<'_>, pos: u64) {
        self.close_line();
        let Some(claim) = self.claim else { return };
        let row = self.lines.open();
        self.line = Some(row);
        self.balance.line(pos, els.get(2), els.get(3));
        let t = &mut self.lines;
        t.int(lines::CLAIM_ROW, claim);
        t.opt_int(lines::PAYMENT_ROW, self.payment);
        t.int(lines::POSITION, pos as i64);
        for (i, col) in (lines::QUALIFIER..=lines::DESCRIPTION).enumerate() {
            t.bytes(col, els.component(1, i + 1), pos, "SVC", 1);
        }
        t.bytes(lines::CHARGE, els.get(2), pos, "SVC", 2);
        t.bytes(lines::PAID, els.get(3), pos, "SVC", 3);
        t.bytes(lines::REVENUE_CODE, els.get(4), pos, "SVC", 4);
        t.bytes(lines::UNITS, els.get(5), pos, "SVC", 5);
        t.bytes(
            lines::ORIGINAL_QUALIFIER,
            els.component(6, 1),
            pos,
            "SVC",
            6,
        );
        t.bytes(
            lines::ORIGINAL_PROCEDURE,
            els.component(6, 2),
            pos,
            "SVC",
            6,
        );
        t.bytes(lines::ORIGINAL_UNITS, els.get(7), pos, "SVC", 7);
    }

    fn cas(&mut self, els: &Elements<'_>, pos: u64, line_level: bool) {
        let Some(claim) = self.claim else { return };
        let line = if line_level { self.line } else { None };
        if line_level && line.is_none() {
            return;
        }
        for triple in 0..6 {
            let at = 2 + 3 * triple;
            let (reason, amount, quantity) = (els.get(at), els.get(at + 1), els.get(at + 2));
            if reason.is_empty() && amount.is_empty() && quantity.is_empty() {
                continue;
            }
            let t = &mut self.adjustments;
            t.open();
            t.int(adjustments::CLAIM_ROW, claim);
            t.opt_int(adjustments::LINE_ROW, line);
            t.opt_int(adjustments::PAYMENT_ROW, self.payment);
            t.int(adjustments::POSITION, pos as i64);
            t.text(
                adjustments::LEVEL,
                if line_level { "line" } else { "claim" },
            );
            t.int(adjustments::TRIPLE, triple as i64 + 1);
            t.bytes(adjustments::GROUP, els.get(1), pos, "CAS", 1);
            t.bytes(adjustments::REASON, reason, pos, "CAS", at as u8);
            t.bytes(adjustments::AMOUNT, amount, pos, "CAS", at as u8 + 1);
            t.bytes(adjustments::QUANTITY, quantity, pos, "CAS", at as u8 + 2);
            t.close(&mut self.bad);
            self.balance.adjustment(pos, els.get(1), amount, line_level);
        }
        self.bad_findings();
        self.balance_findings();
    }

    /// One remark code (MOA03-07 at claim level, LQ02 at line level); an empty one is no row.
    fn remark(
        &mut self,
        line: Option<i64>,
        qualifier: Option<&[u8]>,
        code: &[u8],
        pos: u64,
        element: u8,
    ) {
        let Some(claim) = self.claim else { return };
        if code.is_empty() {
            return;
        }
        let t = &mut self.remarks;
        t.open();
        t.int(remarks::CLAIM_ROW, claim);
        t.opt_int(remarks::LINE_ROW, line);
        t.opt_int(remarks::PAYMENT_ROW, self.payment);
        t.int(remarks::POSITION, pos as i64);
        t.text(
            remarks::LEVEL,
            if line.is_some() { "line" } else { "claim" },
        );
        if let Some(q) = qualifier {
            t.bytes(remarks::QUALIFIER, q, pos, "LQ", 1);
        }
        let segment = if line.is_some() { "LQ" } else { "MOA" };
        t.bytes(remarks::CODE, code, pos, segment, element);
        let mut none = Vec::new();
        t.close(&mut none);
    }

    fn plb(&mut self, els: &Elements<'_>, pos: u64) {
        for pair in 0..6 {
            let at = 3 + 2 * pair;
            let (reason, amount) = (els.get(at), els.get(at + 1));
            if reason.is_empty() && amount.is_empty() {
                continue;
            }
            let t = &mut self.plb;
            t.open();
            t.opt_int(provider_adjustments::PAYMENT_ROW, self.payment);
            t.int(provider_adjustments::POSITION, pos as i64);
            t.int(provider_adjustments::PAIR, pair as i64 + 1);
            t.bytes(provider_adjustments::PROVIDER_ID, els.get(1), pos, "PLB", 1);
            t.bytes(
                provider_adjustments::FISCAL_PERIOD_DATE,
                els.get(2),
                pos,
                "PLB",
                2,
            );
            t.bytes(
                provider_adjustments::REASON,
                els.component(at, 1),
                pos,
                "PLB",
                at as u8,
            );
            t.bytes(
                provider_adjustments::REFERENCE_ID,
                els.component(at, 2),
                pos,
                "PLB",
                at as u8,
            );
            t.bytes(
                provider_adjustments::AMOUNT,
                amount,
                pos,
                "PLB",
                at as u8 + 1,
            );
            t.close(&mut self.bad);
            self.balance.provider_adjustment(amount);
        }
        self.bad_findings();
    }

    /// REF, DTM, AMT and NM1*82 of a claim or a line.
    fn claim_detail(&mut self, role: Role, els: &Elements<'_>, pos: u64) {
        let (qualifier, value) = (els.get(1), els.get(2));
        let (table, col, segment, element) = match role {
            Role::ClaimNm1 if qualifier == b"82" => {
                if self.claim.is_some() {
                    self.claims.bytes(
                        claims::RENDERING_PROVIDER_ID_QUALIFIER,
                        els.get(8),
                        pos,
                        "NM1",
                        8,
                    );
                    self.claims
                        .bytes(claims::RENDERING_PROVIDER_ID, els.get(9), pos, "NM1", 9);
                }
                return;
            }
            Role::ClaimRef => (
                &mut self.claims,
                match qualifier {
                    b"F8" => claims::ORIGINAL_REFERENCE,
                    b"G1" => claims::PRIOR_AUTHORIZATION,
                    b"1L" => claims::GROUP_NUMBER,
                    _ => return,
                },
                "REF",
                2,
            ),
            Role::ClaimDtm => (
                &mut self.claims,
                match qualifier {
                    b"232" => claims::STATEMENT_START,
                    b"233" => claims::STATEMENT_END,
                    b"036" => claims::COVERAGE_EXPIRATION,
                    b"050" => claims::RECEIVED_DATE,
                    _ => return,
                },
                "DTM",
                2,
            ),
            Role::ClaimAmt => (
                &mut self.claims,
                match qualifier {
                    b"AU" => claims::COVERAGE_AMOUNT,
                    b"D8" => claims::DISCOUNT_AMOUNT,
                    b"DY" => claims::PER_DAY_LIMIT,
                    b"F5" => claims::PATIENT_AMOUNT_PAID,
                    b"I" => claims::INTEREST,
                    b"NL" => claims::NEGATIVE_LEDGER_BALANCE,
                    b"T" => claims::TAX,
                    _ => return,
                },
                "AMT",
                2,
            ),
            Role::LineRef if qualifier == b"6R" => {
                (&mut self.lines, lines::LINE_CONTROL_NUMBER, "REF", 2)
            }
            Role::LineDtm => (
                &mut self.lines,
                match qualifier {
                    b"472" => lines::SERVICE_DATE,
                    b"150" => lines::SERVICE_START,
                    b"151" => lines::SERVICE_END,
                    _ => return,
                },
                "DTM",
                2,
            ),
            Role::LineAmt if qualifier == b"B6" => {
                (&mut self.lines, lines::ALLOWED_AMOUNT, "AMT", 2)
            }
            _ => return,
        };
        if table.open {
            table.bytes(col, value, pos, segment, element);
        }
    }

    fn close_line(&mut self) {
        if self.lines.close(&mut self.bad) {
            self.bad_findings();
        }
        self.balance.close_line();
        self.balance_findings();
        self.line = None;
    }

    fn close_claim(&mut self) {
        self.close_line();
        self.balance.close_claim();
        self.balance_findings();
        if self.claims.close(&mut self.bad) {
            self.bad_findings();
            if self.claims.rows >= self.batch_claims {
                self.cut();
            }
        }
        self.claim = None;
    }

    /// The transaction's header is over (its first LX, CLP or PLB): its payment row goes to the
    /// builders now, so it is in the batch of its first claim or an earlier one, never a later one.
    fn close_header(&mut self) {
        if self.payments.close(&mut self.bad) {
            self.bad_findings();
        }
    }

    fn close_payment(&mut self) {
        self.close_claim();
        self.close_header();
        self.payment = None;
        self.header_number.clear();
    }

    /// Finish the rows appended so far as one batch of each table.
    fn cut(&mut self) {
        let tables = [
            self.payments.finish(),
            self.claims.finish(),
            self.lines.finish(),
            self.adjustments.finish(),
            self.plb.finish(),
            self.findings.finish(),
            self.remarks.finish(),
        ];
        self.ready.push(Batches { tables });
    }

    fn finding(
        &mut self,
        severity: &str,
        rule: &str,
        message: &str,
        (position, segment, element): (Option<u64>, Option<&str>, Option<u8>),
        loop_id: Option<&str>,
    ) {
        let t = &mut self.findings;
        t.open();
        t.opt_int(findings::PAYMENT_ROW, self.payment);
        t.text(findings::SEVERITY, severity);
        t.text(findings::RULE, rule);
        t.text(findings::MESSAGE, message);
        t.opt_int(findings::POSITION, position.map(|p| p as i64));
        if let Some(s) = segment {
            t.text(findings::SEGMENT, s);
        }
        t.opt_int(findings::ELEMENT, element.map(i64::from));
        if let Some(l) = loop_id {
            t.text(findings::LOOP_ID, l);
        }
        let mut none = Vec::new();
        t.close(&mut none);
    }

    /// A required simple element that is empty (`element-missing`), as the guide says: the value
    /// is null in its row and the row is kept. The guide's other element rules are the validator's.
    fn required_elements(&mut self, node: usize, els: &Elements<'_>, pos: u64) {
        let seg = &self.walk.tables().guides[self.guide].segments[node];
        let mut found = Vec::new();
        missing_required(seg, &self.required[node], &els.els[..els.n], &mut found);
        for p in found {
            let element = p.element.map(|e| e.min(255) as u8);
            let at = (Some(pos), Some(seg.id.as_str()), element);
            let loop_id = self.loop_id;
            self.finding("error", p.rule, &p.message, at, loop_id);
        }
    }

    /// A GS that does not name the 835 guide: a group of another 5010 835 version, or an HP
    /// group of another version, is read by the 005010X221A1 guide with a warning (money is not
    /// left unread for a version string); any other group is not 835 remittances.
    fn other_group(&mut self, gs01: &[u8], gs08: &[u8], position: u64) {
        let remittances = gs08.starts_with(b"005010X221");
        if gs01 != b"HP" && !remittances {
            let message = "the functional group is not 835 remittances (GS01 HP, GS08 005010X221A1): its transaction sets are not read";
            let at = (Some(position), Some("GS"), Some(1));
            self.finding("error", "transaction-not-supported", message, at, None);
            return;
        }
        self.walk.read_as(self.guide);
        self.remittances = true;
        if gs01 != b"HP" {
            let message = "GS01 is not HP (health care claim payment/advice)";
            let at = (Some(position), Some("GS"), Some(1));
            self.finding("warning", "group-not-supported", message, at, None);
        }
        if !remittances {
            let shown: String = gs08.iter().take(12).map(|&b| char::from(b)).collect();
            let message = format!("GS08 {shown} is not 005010X221A1; read as 005010X221A1");
            let at = (Some(position), Some("GS"), Some(8));
            self.finding("warning", "group-version-not-supported", &message, at, None);
        }
    }

    /// At the end of the stream: every envelope opened was closed, else the stream was cut.
    fn envelope_closed(&self) -> Result<(), Problem> {
        let message = match self.depth {
            0 => return Ok(()),
            1 => "stream ends inside an interchange (no IEA)",
            2 => "stream ends inside a functional group (no GE)",
            _ => "stream ends inside a transaction set (no SE)",
        };
        Err(Problem::at("truncated", message, self.last_position + 1))
    }

    fn trailer_findings(
        &mut self,
        found: Vec<envelope::TrailerProblem>,
        position: u64,
        segment: &'static str,
    ) {
        for p in found {
            let at = (Some(position), Some(segment), Some(p.element));
            self.finding("error", p.rule, &p.message, at, None);
        }
    }

    /// The balancing rules broken so far (in the order they were found); no loop: they are
    /// about amounts of several segments.
    fn balance_findings(&mut self) {
        for f in std::mem::take(&mut self.balance.found) {
            self.finding(
                "error",
                f.rule,
                &f.message,
                (Some(f.position), Some(f.segment), Some(f.element)),
                None,
            );
        }
    }

    fn bad_findings(&mut self) {
        for b in std::mem::take(&mut self.bad) {
            self.finding(
                "error",
                b.rule,
                b.message,
                (Some(b.position), Some(b.segment), Some(b.element)),
                self.loop_id,
            );
        }
    }

    fn structure_findings(&mut self) {
        for p in std::mem::take(&mut self.problems) {
            let t = &mut self.findings;
            t.open();
            t.opt_int(findings::PAYMENT_ROW, self.payment);
            t.text(findings::SEVERITY, "error");
            t.text(findings::RULE, p.rule);
            t.text(findings::MESSAGE, &p.message);
            t.int(findings::POSITION, p.position as i64);
            t.text(findings::SEGMENT, &p.segment);
            if let Some(l) = &p.loop_id {
                t.text(findings::LOOP_ID, l);
            }
            let mut none = Vec::new();
            t.close(&mut none);
        }
    }
}

/// Reads an 835 stream fed in chunks into Arrow batches.
pub struct Reader {
    tokenizer: Tokenizer,
    state: State,
    /// No more input is read (an error, or closed).
    stopped: bool,
    /// The error the stream stopped at.
    error: Option<Problem>,
    findings_seen: usize,
}

/// Claims per batch unless told otherwise.
pub const BATCH_CLAIMS: usize = 65_536;

impl Reader {
    pub fn new(batch_claims: usize) -> Result<Self, &'static str> {
        let walk = Walk::new()?;
        let tables = walk.tables();
        let guide = tables
            .guide_for(b"HP", b"005010X221A1")
            .ok_or("the 835 guide is not compiled into the core")?;
        let g = &tables.guides[guide];
        let roles = g
            .segments
            .iter()
            .map(|s| role(s.loop_id.as_deref(), &s.id))
            .collect();
        let required = g.segments.iter().map(required_elements).collect();
        Ok(Reader {
            tokenizer: Tokenizer::new(false).lenient_isa(true),
            state: State {
                walk,
                guide,
                roles,
                required,
                problems: Vec::new(),
                bad: Vec::new(),
                payments: Table::new(payments::COLUMNS),
                claims: Table::new(claims::COLUMNS),
                lines: Table::new(lines::COLUMNS),
                adjustments: Table::new(adjustments::COLUMNS),
                plb: Table::new(provider_adjustments::COLUMNS),
                findings: Table::new(findings::COLUMNS),
                remarks: Table::new(remarks::COLUMNS),
                isa13: Vec::new(),
                isa06: Vec::new(),
                isa_position: 0,
                gs06: Vec::new(),
                st02: Vec::new(),
                st_position: 0,
                groups: 0,
                transactions: 0,
                remittances: true,
                depth: 0,
                last_position: 0,
                balance: Balance::default(),
                header_number: Vec::new(),
                payment: None,
                claim: None,
                line: None,
                loop_id: None,
                batch_claims: batch_claims.max(1),
                ready: Vec::new(),
            },
            stopped: false,
            error: None,
            findings_seen: 0,
        })
    }

    /// Feed a chunk cut anywhere. A stream error (not X12, truncated, ...) becomes a finding
    /// and ends the stream: what was read before it stays in the tables.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.stopped {
            return;
        }
        let state = &mut self.state;
        let result = self.tokenizer.feed(chunk, |seg| state.segment(seg));
        self.after(result);
    }

    fn after(&mut self, result: Result<(), Problem>) {
        for p in &self.tokenizer.findings()[self.findings_seen..] {
            if p.rule == "isa-fixed-length" {
                continue; // reported at its segment
            }
            let loop_id = self.state.loop_id;
            self.state.finding(
                "warning",
                p.rule,
                p.message,
                (p.position, p.segment, None),
                loop_id,
            );
        }
        self.findings_seen = self.tokenizer.findings().len();
        if let Err(p) = result {
            self.stopped = true;
            let open = self.state.payment;
            self.state.close_payment();
            // The stop is the last finding; its payment_row names the transaction set it cut
            // short (null between transaction sets).
            self.state.payment = open;
            let loop_id = self.state.loop_id;
            self.state.finding(
                "error",
                p.rule,
                p.message,
                (p.position, p.segment, None),
                loop_id,
            );
            self.state.payment = None;
            self.error = Some(p);
        }
    }

    /// Whether the stream stopped at an error (it is the last finding).
    pub fn failed(&self) -> Option<&Problem> {
        self.error.as_ref()
    }

    /// The error the stream stopped at before any transaction set was read: nothing could be read.
    pub fn failed_early(&self) -> Option<&Problem> {
        self.error
            .as_ref()
            .filter(|_| self.state.payments.next_row == 0)
    }

    /// Batches completed so far (each `batch_claims` claims).
    pub fn take(&mut self) -> Vec<Batches> {
        std::mem::take(&mut self.state.ready)
    }

    /// End of the stream: close what is open and cut the last batch.
    pub fn close(&mut self) -> Vec<Batches> {
        if !self.stopped {
            let state = &mut self.state;
            let result = self.tokenizer.close(|seg| state.segment(seg));
            let result = result.and_then(|()| self.state.envelope_closed());
            self.after(result);
        }
        self.stopped = true;
        self.state.close_payment();
        self.state.cut();
        self.take()
    }
}

/// Read a whole 835 held in memory.
pub fn read(data: &[u8], batch_claims: usize) -> Result<Vec<Batches>, &'static str> {
    let mut reader = Reader::new(batch_claims)?;
    reader.feed(data);
    let mut out = reader.take();
    out.extend(reader.close());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, Decimal128Array, Int64Array, StringArray};

    pub const SAMPLE: &[u8] = b"ISA*00*          *00*          *ZZ*PAYER          *ZZ*NLE            *261102*0930*^*00501*000000007*0*T*:~\n\
GS*HP*PAYER*NLE*20261102*0930*7*X*005010X221A1~\n\
ST*835*0001~\n\
BPR*I*125.5*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*888888888*DA*654321*20261105~\n\
TRN*1*EFT0001*1512345678~\n\
DTM*405*20261102~\n\
N1*PR*HEALTH PLAN*XV*PLAN1~N3*1 PLAN WAY~N4*SACRAMENTO*CA*95814~REF*2U*P1~PER*BL*DESK*TE*5555550100~\n\
N1*PE*NLE NETWORK*XX*1234567893~N3*2 MAIN ST~N4*OAKLAND*CA*94601~REF*TJ*123456789~\n\
LX*1~\n\
CLP*C1*1*100*80**MC*ICN1~CAS*CO*45*20~NM1*QC*1*DOE*JANE****MI*M1~DTM*232*20261101~AMT*AU*100~\n\
SVC*HC:S9470:U1*100*80**2~DTM*472*20261101~CAS*CO*45*15*1*253*5~REF*6R*L1~AMT*B6*85~\n\
CLP*C2*4*50*0**MC*ICN2~CAS*CO*29*50~\n\
SVC*HC:S5170*50*0~DTM*472*2026130X~\n\
PLB*1234567893*20261231*WO:ICN9*-45.5*L6*0~\n\
SE*24*0001~GE*1*7~IEA*1*000000007~\n";

    fn column<'a, T: 'static>(b: &'a RecordBatch, name: &str) -> &'a T {
        b.column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<T>()
            .unwrap()
    }

    #[test]
    fn moa_and_lq_codes_are_remark_rows() {
        let text = std::str::from_utf8(SAMPLE)
            .unwrap()
            .replace("MI*M1~DTM*232", "MI*M1~MOA***MA01**MA02~DTM*232")
            .replace("AMT*B6*85~", "AMT*B6*85~LQ*HE*N290~LQ*RX*R1~");
        let out = read(text.as_bytes(), BATCH_CLAIMS).unwrap();
        let remarks = &out[0].tables[6];
        let codes = column::<StringArray>(remarks, "code");
        let got: Vec<_> = (0..remarks.num_rows()).map(|i| codes.value(i)).collect();
        assert_eq!(got, ["MA01", "MA02", "N290", "R1"]);
        let lines = column::<Int64Array>(remarks, "line_row");
        assert!(lines.is_null(0) && lines.is_null(1));
        assert_eq!(lines.value(2), 0);
        let qualifiers = column::<StringArray>(remarks, "qualifier");
        assert!(qualifiers.is_null(0));
        assert_eq!(qualifiers.value(3), "RX");
        assert_eq!(column::<Int64Array>(remarks, "claim_row").value(3), 0);
    }

    #[test]
    fn a_sample_fills_every_table() {
        let out = read(SAMPLE, BATCH_CLAIMS).unwrap();
        assert_eq!(out.len(), 1);
        let [pay, clm, svc, cas, plb, found, _remarks] = &out[0].tables;
        assert_eq!(pay.num_rows(), 1);
        assert_eq!(
            column::<Decimal128Array>(pay, "bpr02_amount").value(0),
            12550
        );
        assert_eq!(
            column::<StringArray>(pay, "payer_name").value(0),
            "HEALTH PLAN"
        );
        assert_eq!(
            column::<StringArray>(pay, "payee_id").value(0),
            "1234567893"
        );
        assert_eq!(column::<StringArray>(pay, "isa13").value(0), "000000007");
        assert_eq!(
            column::<StringArray>(pay, "payer_additional_id").value(0),
            "P1"
        );
        assert_eq!(clm.num_rows(), 2);
        assert_eq!(column::<StringArray>(clm, "clp01_claim_id").value(1), "C2");
        assert_eq!(column::<StringArray>(clm, "header_number").value(0), "1");
        assert_eq!(
            column::<Decimal128Array>(clm, "coverage_amount").value(0),
            10000
        );
        assert_eq!(svc.num_rows(), 2);
        assert_eq!(column::<StringArray>(svc, "svc01_modifier1").value(0), "U1");
        assert_eq!(
            column::<StringArray>(svc, "line_control_number").value(0),
            "L1"
        );
        assert_eq!(
            column::<Decimal128Array>(svc, "svc05_units").value(0),
            20000
        );
        assert_eq!(column::<Int64Array>(svc, "claim_row").value(1), 1);
        // CAS*CO*45*15*1*253*5: two triples; CO*45*20 and CO*29*50 at claim level.
        assert_eq!(cas.num_rows(), 4);
        let amounts = column::<Decimal128Array>(cas, "amount");
        assert_eq!(
            (0..4).map(|i| amounts.value(i)).sum::<i128>(),
            2000 + 1500 + 500 + 5000
        );
        assert!(column::<Int64Array>(cas, "line_row").is_null(0));
        assert_eq!(column::<Int64Array>(cas, "line_row").value(1), 0);
        assert_eq!(plb.num_rows(), 2);
        assert_eq!(column::<StringArray>(plb, "reference_id").value(0), "ICN9");
        assert_eq!(column::<Decimal128Array>(plb, "amount").value(0), -4550);
        // The bad date is a finding; its line is kept with the date null.
        let rules = column::<StringArray>(found, "rule");
        let bad: Vec<_> = (0..found.num_rows())
            .filter(|&i| rules.value(i) == "invalid-date")
            .collect();
        assert_eq!(bad.len(), 1, "{found:?}");
        assert_eq!(column::<StringArray>(found, "segment").value(bad[0]), "DTM");
        assert_eq!(column::<Int64Array>(found, "element").value(bad[0]), 2);
        assert!(column::<arrow_array::Date32Array>(svc, "service_date").is_null(1));
    }

    #[test]
    fn batches_cut_at_claims_keep_their_keys() {
        let out = read(SAMPLE, 1).unwrap();
        let claims: Vec<usize> = out.iter().map(|b| b.tables[1].num_rows()).collect();
        assert_eq!(claims.iter().sum::<usize>(), 2);
        assert!(claims.iter().all(|&n| n <= 1));
        let lines: Vec<i64> = out
            .iter()
            .flat_map(|b| {
                let c = column::<Int64Array>(&b.tables[2], "claim_row");
                (0..c.len()).map(|i| c.value(i)).collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(lines, vec![0, 1]);
    }

    #[test]
    fn another_835_version_is_read_with_a_warning_and_other_groups_are_not() {
        let rules = |out: &[Batches]| -> Vec<String> {
            out.iter()
                .flat_map(|b| {
                    let r = column::<StringArray>(&b.tables[5], "rule");
                    (0..r.len())
                        .map(|i| r.value(i).to_owned())
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let claims = |out: &[Batches]| out.iter().map(|b| b.tables[1].num_rows()).sum::<usize>();
        let text = std::str::from_utf8(SAMPLE).unwrap();
        let older = text.replace("*X*005010X221A1~", "*X*005010X222~");
        let out = read(older.as_bytes(), 100).unwrap();
        assert_eq!(claims(&out), 2);
        // The sample's own findings (it is bent on purpose), after the version's warning.
        let mut want = vec!["group-version-not-supported".to_owned()];
        want.extend(rules(&read(SAMPLE, 100).unwrap()));
        assert_eq!(rules(&out), want);
        let claims_group = text
            .replace("GS*HP*", "GS*HC*")
            .replace("*X*005010X221A1~", "*X*005010X222A1~");
        let out = read(claims_group.as_bytes(), 100).unwrap();
        assert_eq!(claims(&out), 0);
        let found = rules(&out);
        assert_eq!(found[0], "transaction-not-supported");
        // Another guide's structure is not reported; the envelope's trailers still are.
        assert!(found
            .iter()
            .all(|r| !r.starts_with("segment-") && !r.starts_with("loop-")));
    }

    #[test]
    fn chunks_cut_anywhere_give_the_same_tables() {
        let whole = read(SAMPLE, BATCH_CLAIMS).unwrap();
        for size in [1, 7, 64] {
            let mut reader = Reader::new(BATCH_CLAIMS).unwrap();
            for chunk in SAMPLE.chunks(size) {
                reader.feed(chunk);
            }
            let got = reader.close();
            assert_eq!(got.len(), 1);
            for (a, b) in got[0].tables.iter().zip(whole[0].tables.iter()) {
                assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn decimals_and_dates() {
        assert_eq!(decimal(b"12.5", 2), Some(1250));
        assert_eq!(decimal(b"-0.01", 2), Some(-1));
        assert_eq!(decimal(b"7", 2), Some(700));
        assert_eq!(decimal(b".5", 2), Some(50));
        assert_eq!(decimal(b"1.250", 2), Some(125));
        assert_eq!(decimal(b"1.255", 2), None);
        assert_eq!(decimal(b"1e5", 2), None);
        assert_eq!(decimal(b"-", 2), None);
        assert_eq!(decimal(b".", 2), None);
        assert_eq!(decimal(b"1.2.3", 2), None);
        assert_eq!(
            decimal(b"9999999999999999.99", 2),
            Some(999_999_999_999_999_999)
        );
        assert_eq!(decimal(b"10000000000000000", 2), None);
        assert_eq!(date(b"19700101"), Some(0));
        assert_eq!(date(b"20240229"), Some(19782));
        assert_eq!(date(b"20230229"), None);
        assert_eq!(date(b"2024011"), None);
    }

    #[test]
    fn garbage_is_a_finding_not_a_panic() {
        let out = read(b"not x12 at all", BATCH_CLAIMS).unwrap();
        let found = &out[0].tables[5];
        assert_eq!(found.num_rows(), 1);
        assert_eq!(column::<StringArray>(found, "rule").value(0), "isa-missing");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_read_without_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = read(&data, 2).unwrap();
        }

        #[test]
        fn any_edit_of_the_sample_reads_without_panic(at in 0usize..SAMPLE.len(), byte in proptest::num::u8::ANY) {
            let mut data = SAMPLE.to_vec();
            data[at] = byte;
            let _ = read(&data, 1).unwrap();
        }
    }
}
