//! An 837P (005010X222A1) as Arrow record batches: claims, service lines, diagnoses, parties and
//! findings.
//!
//! Segments come from the tokenizer and are placed by the guide walker ([`Walk`]); which table a
//! segment fills depends on the loop the walker put it in (2010AA, 2300, 2400, 2420A, ...), never
//! on a loop structure written here. A row is held while its loop is open (a claim's DTP, REF and
//! HI follow its CLM) and appended to the column builders when the loop closes. Batches are cut
//! after `batch_claims` claims, so memory is bounded by one batch whatever the file's size.
//!
//! Types, the one-row-per-value rules and the bad-value findings are those of the 835 tables
//! ([`crate::tables835`]): amounts Decimal128(18,2), quantities Decimal128(18,4), dates date32,
//! codes and text utf8; a value that does not read as its type is null in its row and a finding
//! (`invalid-decimal`, `invalid-date`) names its segment, position and element.
//!
//! Member PHI is left out: the names, birth dates, addresses, member ids and REF ids of the
//! subscriber (2010BA), the patient (2010CA) and other subscribers (2330A) are never read into a
//! column. Every column, its type and its source element: `schemas/tables/837p.md` (a test holds
//! this module to it).

use arrow_array::RecordBatch;

pub use crate::table_builder::{schema, Column, Kind};
use crate::table_builder::{table, BadValue, Cell, Table};

use crate::problem::Problem;
use crate::tokenizer::{Segment, Tokenizer, ISA_BY_SEPARATORS};
use crate::walker::{StructureProblem, Walk};

table!(claims {
    ROW: "claim_row", Key, "ordinal of the CLM in the stream, from 0";
    TRANSACTION_ROW: "transaction_row", Key, "ordinal of its ST/SE in the stream, from 0";
    POSITION: "position", Key, "CLM position in the stream";
    ISA13: "isa13", Text, "ISA13 of its interchange";
    GS06: "gs06", Text, "GS06 of its group";
    ST02: "st02", Text, "ST02 of its transaction set";
    BHT03: "bht03_reference", Text, "BHT03";
    BHT04: "bht04_date", Date, "BHT04";
    BILLING_HL: "billing_hl_id", Text, "HL01 of its 2000A (billing provider)";
    SUBSCRIBER_HL: "subscriber_hl_id", Text, "HL01 of its 2000B (subscriber)";
    PATIENT_HL: "patient_hl_id", Text, "HL01 of its 2000C (patient); null when the subscriber is the patient";
    BILLING_TAXONOMY: "billing_provider_taxonomy", Text, "2000A PRV03";
    BILLING_NAME: "billing_provider_name", Text, "2010AA NM103";
    BILLING_ID_QUALIFIER: "billing_provider_id_qualifier", Text, "2010AA NM108 (XX: NPI)";
    BILLING_ID: "billing_provider_id", Text, "2010AA NM109";
    BILLING_TAX_ID: "billing_provider_tax_id", Text, "2010AA REF*EI REF02";
    SBR01: "sbr01_payer_responsibility", Text, "2000B SBR01 (P, S, T, ...)";
    SBR02: "sbr02_relationship", Text, "2000B SBR02 (18: the subscriber is the patient)";
    SBR03: "sbr03_group_number", Text, "2000B SBR03";
    SBR09: "sbr09_filing_indicator", Text, "2000B SBR09 (MC Medicaid, ...)";
    PAYER_NAME: "payer_name", Text, "2010BB NM103";
    PAYER_ID_QUALIFIER: "payer_id_qualifier", Text, "2010BB NM108";
    PAYER_ID: "payer_id", Text, "2010BB NM109";
    CLM01: "clm01_claim_id", Text, "CLM01 (patient control number)";
    CLM02: "clm02_charge", Amount, "CLM02";
    CLM05_1: "clm05_place_of_service", Text, "CLM05-1";
    CLM05_2: "clm05_facility_qualifier", Text, "CLM05-2";
    CLM05_3: "clm05_frequency", Text, "CLM05-3 (1 original, 7 replacement, 8 void)";
    CLM06: "clm06_provider_signature", Text, "CLM06";
    CLM07: "clm07_assignment", Text, "CLM07";
    CLM08: "clm08_benefits_assignment", Text, "CLM08";
    CLM09: "clm09_release_of_information", Text, "CLM09";
    CLM10: "clm10_patient_signature_source", Text, "CLM10";
    CLM11_1: "clm11_related_cause1", Text, "CLM11-1";
    CLM11_2: "clm11_related_cause2", Text, "CLM11-2";
    CLM11_4: "clm11_accident_state", Text, "CLM11-4";
    CLM12: "clm12_special_program", Text, "CLM12";
    CLM20: "clm20_delay_reason", Text, "CLM20";
    ONSET_DATE: "onset_date", Date, "DTP*431 DTP03";
    INITIAL_TREATMENT_DATE: "initial_treatment_date", Date, "DTP*454 DTP03";
    LAST_SEEN_DATE: "last_seen_date", Date, "DTP*304 DTP03";
    ACCIDENT_DATE: "accident_date", Date, "DTP*439 DTP03";
    ADMISSION_DATE: "admission_date", Date, "DTP*435 DTP03";
    DISCHARGE_DATE: "discharge_date", Date, "DTP*096 DTP03";
    PATIENT_AMOUNT_PAID: "patient_amount_paid", Amount, "AMT*F5 AMT02";
    PRIOR_AUTHORIZATION: "prior_authorization", Text, "REF*G1 REF02";
    REFERRAL_NUMBER: "referral_number", Text, "REF*9F REF02";
    PAYER_CLAIM_NUMBER: "payer_claim_number", Text, "REF*F8 REF02 (the claim a replacement or void refers to)";
    CLEARINGHOUSE_TRACE: "clearinghouse_trace", Text, "REF*D9 REF02";
});

table!(lines {
    ROW: "line_row", Key, "ordinal of the SV1 in the stream, from 0";
    CLAIM_ROW: "claim_row", Key, "claims.claim_row of its CLM";
    TRANSACTION_ROW: "transaction_row", Key, "ordinal of its ST/SE in the stream, from 0";
    POSITION: "position", Key, "SV1 position in the stream";
    LX01: "lx01_line_number", Text, "LX01";
    QUALIFIER: "sv101_qualifier", Text, "SV101-1 (HC, ER, IV, WK)";
    PROCEDURE: "sv101_procedure", Text, "SV101-2";
    MODIFIER1: "sv101_modifier1", Text, "SV101-3";
    MODIFIER2: "sv101_modifier2", Text, "SV101-4";
    MODIFIER3: "sv101_modifier3", Text, "SV101-5";
    MODIFIER4: "sv101_modifier4", Text, "SV101-6";
    DESCRIPTION: "sv101_description", Text, "SV101-7";
    CHARGE: "sv102_charge", Amount, "SV102";
    UNIT_BASIS: "sv103_unit_basis", Text, "SV103 (UN units, MJ minutes)";
    UNITS: "sv104_units", Quantity, "SV104";
    PLACE_OF_SERVICE: "sv105_place_of_service", Text, "SV105 (null: the claim's CLM05-1)";
    POINTER1: "sv107_pointer1", Text, "SV107-1 (a diagnoses.ordinal of the claim)";
    POINTER2: "sv107_pointer2", Text, "SV107-2";
    POINTER3: "sv107_pointer3", Text, "SV107-3";
    POINTER4: "sv107_pointer4", Text, "SV107-4";
    EMERGENCY: "sv109_emergency", Text, "SV109";
    EPSDT: "sv111_epsdt", Text, "SV111";
    FAMILY_PLANNING: "sv112_family_planning", Text, "SV112";
    SERVICE_START: "service_start", Date, "DTP*472 DTP03 (D8: the date; RD8: the first date)";
    SERVICE_END: "service_end", Date, "DTP*472 DTP03 (D8: the date; RD8: the last date)";
    LINE_CONTROL_NUMBER: "line_control_number", Text, "REF*6R REF02";
    PRIOR_AUTHORIZATION: "prior_authorization", Text, "REF*G1 REF02";
    REFERRAL_NUMBER: "referral_number", Text, "REF*9F REF02";
    NDC_QUALIFIER: "ndc_qualifier", Text, "2410 LIN02 (N4)";
    NDC: "ndc", Text, "2410 LIN03";
    NDC_QUANTITY: "ndc_quantity", Quantity, "2410 CTP04";
    NDC_UNIT: "ndc_unit", Text, "2410 CTP05-1";
});

table!(diagnoses {
    ROW: "diagnosis_row", Key, "ordinal of the HI code in the stream, from 0";
    CLAIM_ROW: "claim_row", Key, "claims.claim_row of its CLM";
    TRANSACTION_ROW: "transaction_row", Key, "ordinal of its ST/SE in the stream, from 0";
    POSITION: "position", Key, "HI position in the stream";
    ELEMENT: "element", Key, "1-12: which element of its HI (HI01 ... HI12)";
    ORDINAL: "ordinal", Key, "1-based order of the code among the claim's HI codes (the SV107 pointers count the HI*ABK/ABF codes, which come first)";
    QUALIFIER: "qualifier", Text, "HIxx-1 (ABK principal, ABF other, BP, BG, ...)";
    CODE: "code", Text, "HIxx-2";
});

table!(parties {
    ROW: "party_row", Key, "ordinal of the party loop's NM1 in the stream, from 0";
    TRANSACTION_ROW: "transaction_row", Key, "ordinal of its ST/SE in the stream, from 0";
    CLAIM_ROW: "claim_row", Key, "claims.claim_row for 2310x, 2330x and 2420x; null above the claim";
    LINE_ROW: "line_row", Key, "service_lines.line_row for 2420x; null otherwise";
    HL_ID: "hl_id", Text, "HL01 of the HL loop it is in (claims.billing_hl_id, ...); null for 1000A/1000B";
    POSITION: "position", Key, "NM1 position in the stream";
    LOOP_ID: "loop_id", Text, "the loop (1000A, 2010AA, 2310B, 2420A, ...)";
    ENTITY: "nm101_entity_code", Text, "NM101 (41 submitter, 85 billing, 82 rendering, PR payer, IL subscriber, ...)";
    ENTITY_TYPE: "nm102_entity_type", Text, "NM102 (1 person, 2 organization)";
    NAME: "nm103_name", Text, "NM103 (last or organization name); null for 2010BA, 2010CA, 2330A";
    FIRST_NAME: "nm104_first_name", Text, "NM104; null for 2010BA, 2010CA, 2330A";
    ID_QUALIFIER: "nm108_id_qualifier", Text, "NM108 (XX NPI, PI payer id, MI member id, ...)";
    ID: "nm109_id", Text, "NM109; null for 2010BA, 2010CA, 2330A";
    PRV01: "prv01_provider_code", Text, "PRV01";
    TAXONOMY: "prv03_taxonomy", Text, "PRV03";
    REF_QUALIFIER: "ref_qualifier", Text, "REF01 (the first REF)";
    REF_ID: "ref_id", Text, "REF02 (the first REF); null for 2010BA, 2010CA, 2330A";
    ADDRESS1: "address1", Text, "N301; null for 2010BA, 2010CA, 2330A";
    CITY: "city", Text, "N401; null for 2010BA, 2010CA, 2330A";
    STATE: "state", Text, "N402; null for 2010BA, 2010CA, 2330A";
    POSTAL_CODE: "postal_code", Text, "N403; null for 2010BA, 2010CA, 2330A";
});

table!(findings {
    ROW: "finding_row", Key, "ordinal of the finding in the stream, from 0";
    TRANSACTION_ROW: "transaction_row", Key, "ordinal of the ST/SE it is in; null outside one";
    CLAIM_ROW: "claim_row", Key, "claims.claim_row of the claim it is in; null outside one";
    SEVERITY: "severity", Text, "error or warning";
    RULE: "rule", Text, "the rule slug (sdohedi.problems.RULES)";
    MESSAGE: "message", Text, "what is wrong, in words that hold no value from the data";
    POSITION: "position", Key, "segment position in the stream";
    SEGMENT: "segment", Text, "segment id";
    ELEMENT: "element", Key, "1-based element position in the segment";
    LOOP_ID: "loop_id", Text, "the loop the walker was in (2300, 2400, ...)";
});

/// The five tables, in the order [`TABLES`] names them.
pub const TABLES: [(&str, &[Column]); 5] = [
    ("claims", claims::COLUMNS),
    ("service_lines", lines::COLUMNS),
    ("diagnoses", diagnoses::COLUMNS),
    ("parties", parties::COLUMNS),
    ("findings", findings::COLUMNS),
];

/// What a placed segment fills, from the loop the walker put it in and its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Other,
    St,
    Se,
    Bht,
    Hl,
    BillingPrv,
    Sbr,
    PartyNm1,
    PartyN3,
    PartyN4,
    PartyRef,
    PartyPrv,
    Clm,
    ClaimDtp,
    ClaimAmt,
    ClaimRef,
    Hi,
    Lx,
    Sv1,
    LineDtp,
    LineRef,
    Lin,
    Ctp,
}

/// The loops that name a party (an NM1 and what follows it).
fn is_party_loop(loop_id: &str) -> bool {
    matches!(
        loop_id,
        "1000A" | "1000B" | "2010AA" | "2010AB" | "2010AC" | "2010BA" | "2010BB" | "2010CA"
    ) || (loop_id.len() == 5
        && (loop_id.starts_with("231") || loop_id.starts_with("233") || loop_id.starts_with("242")))
}

/// The loops of a member (subscriber, patient, other subscriber): their PHI is not read.
fn is_member_loop(loop_id: &str) -> bool {
    matches!(loop_id, "2010BA" | "2010CA" | "2330A")
}

fn role(loop_id: Option<&str>, id: &str) -> Role {
    match (loop_id, id) {
        (_, "ST") => Role::St,
        (_, "SE") => Role::Se,
        (None, "BHT") => Role::Bht,
        (Some("2000A" | "2000B" | "2000C"), "HL") => Role::Hl,
        (Some("2000A"), "PRV") => Role::BillingPrv,
        (Some("2000B"), "SBR") => Role::Sbr,
        (Some("2300"), "CLM") => Role::Clm,
        (Some("2300"), "DTP") => Role::ClaimDtp,
        (Some("2300"), "AMT") => Role::ClaimAmt,
        (Some("2300"), "REF") => Role::ClaimRef,
        (Some("2300"), "HI") => Role::Hi,
        (Some("2400"), "LX") => Role::Lx,
        (Some("2400"), "SV1") => Role::Sv1,
        (Some("2400"), "DTP") => Role::LineDtp,
        (Some("2400"), "REF") => Role::LineRef,
        (Some("2410"), "LIN") => Role::Lin,
        (Some("2410"), "CTP") => Role::Ctp,
        (Some(l), "NM1") if is_party_loop(l) => Role::PartyNm1,
        (Some(l), "N3") if is_party_loop(l) => Role::PartyN3,
        (Some(l), "N4") if is_party_loop(l) => Role::PartyN4,
        (Some(l), "REF") if is_party_loop(l) => Role::PartyRef,
        (Some(l), "PRV") if is_party_loop(l) => Role::PartyPrv,
        _ => Role::Other,
    }
}

/// One batch of each table, cut at a claim boundary.
pub struct Batches {
    /// In the order of [`TABLES`].
    pub tables: [RecordBatch; 5],
}

/// The elements of a segment (the id first), cut into a fixed array; past 24 they are dropped
/// (no 837P segment the tables read has more than 21).
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
/// Which HL level a loop is at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Billing,
    Subscriber,
    Patient,
}

/// Claim-level values read above the claim (2000A, 2010AA, 2000B, 2010BB), copied into each
/// claim of their HL loops. Each is (bytes, position, element) of its source.
#[derive(Default)]
struct Above {
    values: Vec<(Vec<u8>, u64, u8)>,
}

/// The columns of `claims` filled from above the claim, in the order `Above::values` holds them.
const BILLING_COLUMNS: [(usize, &str); 5] = [
    (claims::BILLING_TAXONOMY, "PRV"),
    (claims::BILLING_NAME, "NM1"),
    (claims::BILLING_ID_QUALIFIER, "NM1"),
    (claims::BILLING_ID, "NM1"),
    (claims::BILLING_TAX_ID, "REF"),
];
const SUBSCRIBER_COLUMNS: [(usize, &str); 7] = [
    (claims::SBR01, "SBR"),
    (claims::SBR02, "SBR"),
    (claims::SBR03, "SBR"),
    (claims::SBR09, "SBR"),
    (claims::PAYER_NAME, "NM1"),
    (claims::PAYER_ID_QUALIFIER, "NM1"),
    (claims::PAYER_ID, "NM1"),
];

impl Above {
    fn new(n: usize) -> Self {
        Above {
            values: vec![(Vec::new(), 0, 0); n],
        }
    }

    fn clear(&mut self) {
        self.values.iter_mut().for_each(|v| v.0.clear());
    }

    fn set(&mut self, i: usize, value: &[u8], position: u64, element: u8) {
        let v = &mut self.values[i];
        v.0.clear();
        v.0.extend_from_slice(value);
        v.1 = position;
        v.2 = element;
    }

    fn fill(&self, t: &mut Table, columns: &[(usize, &'static str)]) {
        for ((col, segment), (value, position, element)) in columns.iter().zip(&self.values) {
            t.bytes(*col, value, *position, segment, *element);
        }
    }
}

/// The table builder behind the tokenizer: everything but the tokenizer, so the tokenizer's
/// sink can borrow it.
struct State {
    walk: Walk,
    /// The 837P guide's index in the walker's tables; the role of each of its segments.
    guide: usize,
    roles: Vec<Role>,
    problems: Vec<StructureProblem>,
    bad: Vec<BadValue>,
    claims: Table,
    lines: Table,
    diagnoses: Table,
    parties: Table,
    findings: Table,
    isa13: Vec<u8>,
    gs06: Vec<u8>,
    st02: Vec<u8>,
    bht03: Vec<u8>,
    bht04: Vec<u8>,
    bht_position: u64,
    /// HL01 of the open 2000A, 2000B and 2000C.
    hl: [Vec<u8>; 3],
    level: Option<Level>,
    billing: Above,
    subscriber: Above,
    lx01: Vec<u8>,
    transactions: i64,
    transaction: Option<i64>,
    claim: Option<i64>,
    line: Option<i64>,
    /// HI codes of the open claim so far.
    codes: i64,
    /// The loop of the open party row.
    party_loop: Option<&'static str>,
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
                Some(seg.position),
                Some("ISA"),
                None,
            );
        }
        let placed = self.walk.segment(&seg, &mut self.problems);
        if !self.problems.is_empty() {
            self.structure_findings();
        }
        let id = seg.id();
        match id {
            b"ISA" | b"GS" => {
                self.close_transaction();
                let els = Elements::new(&seg);
                let (buf, at) = if id == b"ISA" {
                    (&mut self.isa13, 13)
                } else {
                    (&mut self.gs06, 6)
                };
                buf.clear();
                buf.extend_from_slice(els.get(at));
                return;
            }
            _ => {}
        }
        let (role, loop_id) = match placed {
            Some(p) if p.guide == self.guide => {
                let tables = self.walk.tables();
                let loop_id = tables.guides[p.guide].segments[p.segment]
                    .loop_id
                    .as_deref();
                (self.roles[p.segment], loop_id)
            }
            Some(_) => return,
            // Out of place (the walker has reported it): its id still says what it holds.
            None if self.transaction.is_some() => (self.recover(id), self.loop_id),
            None => return,
        };
        self.loop_id = loop_id;
        if self.party_loop.is_some() && (self.party_loop != loop_id || role == Role::PartyNm1) {
            self.close_party();
        }
        if role == Role::Other {
            return;
        }
        let els = Elements::new(&seg);
        let pos = seg.position;
        match role {
            Role::St => {
                self.close_transaction();
                self.transaction = Some(self.transactions);
                self.transactions += 1;
                self.st02.clear();
                self.st02.extend_from_slice(els.get(2));
            }
            Role::Se => self.close_transaction(),
            _ if self.transaction.is_none() => {}
            Role::Bht => {
                self.bht03.clear();
                self.bht03.extend_from_slice(els.get(3));
                self.bht04.clear();
                self.bht04.extend_from_slice(els.get(4));
                self.bht_position = pos;
            }
            Role::Hl => self.hl(&els, loop_id),
            Role::BillingPrv => self.billing.set(0, els.get(3), pos, 3),
            Role::Sbr => {
                for (i, at) in [1, 2, 3, 9].into_iter().enumerate() {
                    self.subscriber.set(i, els.get(at), pos, at as u8);
                }
            }
            Role::PartyNm1 => self.party(&els, pos, loop_id.unwrap_or("")),
            Role::PartyN3 | Role::PartyN4 | Role::PartyRef | Role::PartyPrv => {
                self.party_detail(role, &els, pos)
            }
            Role::Clm => self.clm(&els, pos),
            Role::Hi => self.hi(&els, pos),
            Role::Lx => {
                self.close_line();
                self.lx01.clear();
                self.lx01.extend_from_slice(els.get(1));
            }
            Role::Sv1 => self.sv1(&els, pos),
            Role::Lin => {
                let t = &mut self.lines;
                if t.open {
                    t.bytes(lines::NDC_QUALIFIER, els.get(2), pos, "LIN", 2);
                    t.bytes(lines::NDC, els.get(3), pos, "LIN", 3);
                }
            }
            Role::Ctp => {
                let t = &mut self.lines;
                if t.open {
                    t.bytes(lines::NDC_QUANTITY, els.get(4), pos, "CTP", 4);
                    t.bytes(lines::NDC_UNIT, els.component(5, 1), pos, "CTP", 5);
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
            b"SE" => Role::Se,
            b"CLM" => Role::Clm,
            b"LX" if self.claim.is_some() => Role::Lx,
            b"SV1" if self.claim.is_some() => Role::Sv1,
            b"HI" if self.claim.is_some() && !line => Role::Hi,
            b"DTP" if line => Role::LineDtp,
            b"REF" if line => Role::LineRef,
            b"DTP" if self.claim.is_some() => Role::ClaimDtp,
            b"REF" if self.claim.is_some() => Role::ClaimRef,
            b"AMT" if self.claim.is_some() && !line => Role::ClaimAmt,
            _ => Role::Other,
        }
    }

    fn hl(&mut self, els: &Elements<'_>, loop_id: Option<&str>) {
        self.close_claim();
        let level = match loop_id {
            Some("2000A") => Level::Billing,
            Some("2000B") => Level::Subscriber,
            _ => Level::Patient,
        };
        let at = level as usize;
        self.hl[at].clear();
        self.hl[at].extend_from_slice(els.get(1));
        // A new HL ends its level's loops and those below it.
        for below in self.hl.iter_mut().skip(at + 1) {
            below.clear();
        }
        match level {
            Level::Billing => {
                self.billing.clear();
                self.subscriber.clear();
            }
            Level::Subscriber => self.subscriber.clear(),
            Level::Patient => {}
        }
        self.level = Some(level);
    }

    fn party(&mut self, els: &Elements<'_>, pos: u64, loop_id: &'static str) {
        let member = is_member_loop(loop_id);
        match loop_id {
            "2010AA" => {
                for (i, at) in [3, 8, 9].into_iter().enumerate() {
                    self.billing.set(i + 1, els.get(at), pos, at as u8);
                }
            }
            "2010BB" => {
                for (i, at) in [3, 8, 9].into_iter().enumerate() {
                    self.subscriber.set(i + 4, els.get(at), pos, at as u8);
                }
            }
            _ => {}
        }
        let (claim, line) = match loop_id.as_bytes().get(..2) {
            Some(b"23") => (self.claim, None),
            Some(b"24") => (self.claim, self.line),
            _ => (None, None),
        };
        let hl = match loop_id.as_bytes().first() {
            Some(b'1') | None => None,
            _ => self
                .level
                .map(|l| &self.hl[l as usize])
                .filter(|h| !h.is_empty()),
        };
        let t = &mut self.parties;
        t.open();
        t.opt_int(parties::TRANSACTION_ROW, self.transaction);
        t.opt_int(parties::CLAIM_ROW, claim);
        t.opt_int(parties::LINE_ROW, line);
        if let Some(hl) = hl {
            t.bytes(parties::HL_ID, hl, pos, "HL", 1);
        }
        t.int(parties::POSITION, pos as i64);
        t.text(parties::LOOP_ID, loop_id);
        t.bytes(parties::ENTITY, els.get(1), pos, "NM1", 1);
        t.bytes(parties::ENTITY_TYPE, els.get(2), pos, "NM1", 2);
        t.bytes(parties::ID_QUALIFIER, els.get(8), pos, "NM1", 8);
        if !member {
            t.bytes(parties::NAME, els.get(3), pos, "NM1", 3);
            t.bytes(parties::FIRST_NAME, els.get(4), pos, "NM1", 4);
            t.bytes(parties::ID, els.get(9), pos, "NM1", 9);
        }
        self.party_loop = Some(loop_id);
    }

    fn party_detail(&mut self, role: Role, els: &Elements<'_>, pos: u64) {
        let member = self.party_loop.is_some_and(is_member_loop);
        if role == Role::PartyRef && self.party_loop == Some("2010AA") && els.get(1) == b"EI" {
            self.billing.set(4, els.get(2), pos, 2);
        }
        let t = &mut self.parties;
        if !t.open {
            return;
        }
        match role {
            Role::PartyPrv => {
                t.bytes(parties::PRV01, els.get(1), pos, "PRV", 1);
                t.bytes(parties::TAXONOMY, els.get(3), pos, "PRV", 3);
            }
            Role::PartyRef => {
                if matches!(t.cells[parties::REF_QUALIFIER], Cell::Null) {
                    t.bytes(parties::REF_QUALIFIER, els.get(1), pos, "REF", 1);
                    if !member {
                        t.bytes(parties::REF_ID, els.get(2), pos, "REF", 2);
                    }
                }
            }
            _ if member => {}
            Role::PartyN3 => t.bytes(parties::ADDRESS1, els.get(1), pos, "N3", 1),
            Role::PartyN4 => {
                for (i, col) in (parties::CITY..=parties::POSTAL_CODE).enumerate() {
                    t.bytes(col, els.get(i + 1), pos, "N4", i as u8 + 1);
                }
            }
            _ => {}
        }
    }

    fn clm(&mut self, els: &Elements<'_>, pos: u64) {
        self.close_claim();
        let row = self.claims.open();
        self.claim = Some(row);
        self.codes = 0;
        let t = &mut self.claims;
        t.opt_int(claims::TRANSACTION_ROW, self.transaction);
        t.int(claims::POSITION, pos as i64);
        t.bytes(claims::ISA13, &self.isa13, pos, "ISA", 13);
        t.bytes(claims::GS06, &self.gs06, pos, "GS", 6);
        t.bytes(claims::ST02, &self.st02, pos, "ST", 2);
        t.bytes(claims::BHT03, &self.bht03, self.bht_position, "BHT", 3);
        t.bytes(claims::BHT04, &self.bht04, self.bht_position, "BHT", 4);
        for (col, hl) in [
            claims::BILLING_HL,
            claims::SUBSCRIBER_HL,
            claims::PATIENT_HL,
        ]
        .into_iter()
        .zip(&self.hl)
        {
            t.bytes(col, hl, pos, "HL", 1);
        }
        self.billing.fill(t, &BILLING_COLUMNS);
        self.subscriber.fill(t, &SUBSCRIBER_COLUMNS);
        t.bytes(claims::CLM01, els.get(1), pos, "CLM", 1);
        t.bytes(claims::CLM02, els.get(2), pos, "CLM", 2);
        for (i, col) in (claims::CLM05_1..=claims::CLM05_3).enumerate() {
            t.bytes(col, els.component(5, i + 1), pos, "CLM", 5);
        }
        for (i, col) in (claims::CLM06..=claims::CLM10).enumerate() {
            t.bytes(col, els.get(i + 6), pos, "CLM", i as u8 + 6);
        }
        t.bytes(claims::CLM11_1, els.component(11, 1), pos, "CLM", 11);
        t.bytes(claims::CLM11_2, els.component(11, 2), pos, "CLM", 11);
        t.bytes(claims::CLM11_4, els.component(11, 4), pos, "CLM", 11);
        t.bytes(claims::CLM12, els.get(12), pos, "CLM", 12);
        t.bytes(claims::CLM20, els.get(20), pos, "CLM", 20);
    }

    fn hi(&mut self, els: &Elements<'_>, pos: u64) {
        let Some(claim) = self.claim else { return };
        for element in 1..=12 {
            let (qualifier, code) = (els.component(element, 1), els.component(element, 2));
            if els.get(element).is_empty() {
                continue;
            }
            self.codes += 1;
            let t = &mut self.diagnoses;
            t.open();
            t.int(diagnoses::CLAIM_ROW, claim);
            t.opt_int(diagnoses::TRANSACTION_ROW, self.transaction);
            t.int(diagnoses::POSITION, pos as i64);
            t.int(diagnoses::ELEMENT, element as i64);
            t.int(diagnoses::ORDINAL, self.codes);
            t.bytes(diagnoses::QUALIFIER, qualifier, pos, "HI", element as u8);
            t.bytes(diagnoses::CODE, code, pos, "HI", element as u8);
            t.close(&mut self.bad);
        }
        self.bad_findings();
    }

    fn sv1(&mut self, els: &Elements<'_>, pos: u64) {
        self.close_line();
        let Some(claim) = self.claim else { return };
        let row = self.lines.open();
        self.line = Some(row);
        let t = &mut self.lines;
        t.int(lines::CLAIM_ROW, claim);
        t.opt_int(lines::TRANSACTION_ROW, self.transaction);
        t.int(lines::POSITION, pos as i64);
        t.bytes(lines::LX01, &self.lx01, pos, "LX", 1);
        for (i, col) in (lines::QUALIFIER..=lines::DESCRIPTION).enumerate() {
            t.bytes(col, els.component(1, i + 1), pos, "SV1", 1);
        }
        for (i, col) in (lines::CHARGE..=lines::PLACE_OF_SERVICE).enumerate() {
            t.bytes(col, els.get(i + 2), pos, "SV1", i as u8 + 2);
        }
        for (i, col) in (lines::POINTER1..=lines::POINTER4).enumerate() {
            t.bytes(col, els.component(7, i + 1), pos, "SV1", 7);
        }
        t.bytes(lines::EMERGENCY, els.get(9), pos, "SV1", 9);
        t.bytes(lines::EPSDT, els.get(11), pos, "SV1", 11);
        t.bytes(lines::FAMILY_PLANNING, els.get(12), pos, "SV1", 12);
    }

    /// DTP, AMT and REF of a claim or a line.
    fn claim_detail(&mut self, role: Role, els: &Elements<'_>, pos: u64) {
        let (qualifier, value) = (els.get(1), els.get(2));
        let (table, col, segment) = match role {
            Role::ClaimDtp => (
                &mut self.claims,
                match qualifier {
                    b"431" => claims::ONSET_DATE,
                    b"454" => claims::INITIAL_TREATMENT_DATE,
                    b"304" => claims::LAST_SEEN_DATE,
                    b"439" => claims::ACCIDENT_DATE,
                    b"435" => claims::ADMISSION_DATE,
                    b"096" => claims::DISCHARGE_DATE,
                    _ => return,
                },
                "DTP",
            ),
            Role::ClaimAmt if qualifier == b"F5" => {
                (&mut self.claims, claims::PATIENT_AMOUNT_PAID, "AMT")
            }
            Role::ClaimRef => (
                &mut self.claims,
                match qualifier {
                    b"G1" => claims::PRIOR_AUTHORIZATION,
                    b"9F" => claims::REFERRAL_NUMBER,
                    b"F8" => claims::PAYER_CLAIM_NUMBER,
                    b"D9" => claims::CLEARINGHOUSE_TRACE,
                    _ => return,
                },
                "REF",
            ),
            Role::LineDtp if qualifier == b"472" => {
                let t = &mut self.lines;
                if t.open {
                    let date = els.get(3);
                    let (start, end) = match (value, date.iter().position(|&b| b == b'-')) {
                        (b"RD8", Some(dash)) => (&date[..dash], &date[dash + 1..]),
                        _ => (date, date),
                    };
                    t.bytes(lines::SERVICE_START, start, pos, "DTP", 3);
                    t.bytes(lines::SERVICE_END, end, pos, "DTP", 3);
                }
                return;
            }
            Role::LineRef => (
                &mut self.lines,
                match qualifier {
                    b"6R" => lines::LINE_CONTROL_NUMBER,
                    b"G1" => lines::PRIOR_AUTHORIZATION,
                    b"9F" => lines::REFERRAL_NUMBER,
                    _ => return,
                },
                "REF",
            ),
            _ => return,
        };
        if !table.open {
            return;
        }
        if segment == "DTP" {
            // DTP02 says the format of DTP03: D8 a date; an RD8 range gives its first date.
            let date = els.get(3);
            let first = match (value, date.iter().position(|&b| b == b'-')) {
                (b"RD8", Some(dash)) => &date[..dash],
                _ => date,
            };
            table.bytes(col, first, pos, "DTP", 3);
        } else {
            table.bytes(col, value, pos, segment, 2);
        }
    }

    fn close_party(&mut self) {
        if self.parties.close(&mut self.bad) {
            self.bad_findings();
        }
        self.party_loop = None;
    }

    fn close_line(&mut self) {
        if self.lines.close(&mut self.bad) {
            self.bad_findings();
        }
        self.line = None;
    }

    fn close_claim(&mut self) {
        self.close_line();
        if self.claims.close(&mut self.bad) {
            self.bad_findings();
            if self.claims.rows >= self.batch_claims {
                self.cut();
            }
        }
        self.claim = None;
    }

    fn close_transaction(&mut self) {
        self.close_party();
        self.close_claim();
        self.transaction = None;
        self.level = None;
        self.hl.iter_mut().for_each(Vec::clear);
        self.billing.clear();
        self.subscriber.clear();
        for b in [
            &mut self.st02,
            &mut self.bht03,
            &mut self.bht04,
            &mut self.lx01,
        ] {
            b.clear();
        }
    }

    /// Finish the rows appended so far as one batch of each table.
    fn cut(&mut self) {
        let tables = [
            self.claims.finish(),
            self.lines.finish(),
            self.diagnoses.finish(),
            self.parties.finish(),
            self.findings.finish(),
        ];
        self.ready.push(Batches { tables });
    }

    fn finding(
        &mut self,
        severity: &str,
        rule: &str,
        message: &str,
        position: Option<u64>,
        segment: Option<&str>,
        element: Option<u8>,
    ) {
        let t = &mut self.findings;
        t.open();
        t.opt_int(findings::TRANSACTION_ROW, self.transaction);
        t.opt_int(findings::CLAIM_ROW, self.claim);
        t.text(findings::SEVERITY, severity);
        t.text(findings::RULE, rule);
        t.text(findings::MESSAGE, message);
        t.opt_int(findings::POSITION, position.map(|p| p as i64));
        if let Some(s) = segment {
            t.text(findings::SEGMENT, s);
        }
        t.opt_int(findings::ELEMENT, element.map(i64::from));
        if let Some(l) = self.loop_id {
            t.text(findings::LOOP_ID, l);
        }
        let mut none = Vec::new();
        t.close(&mut none);
    }

    fn bad_findings(&mut self) {
        for b in std::mem::take(&mut self.bad) {
            self.finding(
                "error",
                b.rule,
                b.message,
                Some(b.position),
                Some(b.segment),
                Some(b.element),
            );
        }
    }

    fn structure_findings(&mut self) {
        for p in std::mem::take(&mut self.problems) {
            let t = &mut self.findings;
            t.open();
            t.opt_int(findings::TRANSACTION_ROW, self.transaction);
            t.opt_int(findings::CLAIM_ROW, self.claim);
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

/// Reads an 837P stream fed in chunks into Arrow batches.
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
            .guide_for(b"HC", b"005010X222A1")
            .ok_or("the 837P guide is not compiled into the core")?;
        let g = &tables.guides[guide];
        let roles = g
            .segments
            .iter()
            .map(|s| role(s.loop_id.as_deref(), &s.id))
            .collect();
        Ok(Reader {
            tokenizer: Tokenizer::new(false).lenient_isa(true),
            state: State {
                walk,
                guide,
                roles,
                problems: Vec::new(),
                bad: Vec::new(),
                claims: Table::new(claims::COLUMNS),
                lines: Table::new(lines::COLUMNS),
                diagnoses: Table::new(diagnoses::COLUMNS),
                parties: Table::new(parties::COLUMNS),
                findings: Table::new(findings::COLUMNS),
                isa13: Vec::new(),
                gs06: Vec::new(),
                st02: Vec::new(),
                bht03: Vec::new(),
                bht04: Vec::new(),
                bht_position: 0,
                hl: Default::default(),
                level: None,
                billing: Above::new(BILLING_COLUMNS.len()),
                subscriber: Above::new(SUBSCRIBER_COLUMNS.len()),
                lx01: Vec::new(),
                transactions: 0,
                transaction: None,
                claim: None,
                line: None,
                codes: 0,
                party_loop: None,
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
            self.state
                .finding("warning", p.rule, p.message, p.position, p.segment, None);
        }
        self.findings_seen = self.tokenizer.findings().len();
        if let Err(p) = result {
            self.stopped = true;
            self.state.close_transaction();
            self.state
                .finding("error", p.rule, p.message, p.position, p.segment, None);
            self.error = Some(p);
        }
    }

    /// Whether the stream stopped at an error (it is the last finding).
    pub fn failed(&self) -> Option<&Problem> {
        self.error.as_ref()
    }

    /// The error the stream stopped at before any transaction set was read: nothing could be read.
    pub fn failed_early(&self) -> Option<&Problem> {
        self.error.as_ref().filter(|_| self.state.transactions == 0)
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
            self.after(result);
        }
        self.stopped = true;
        self.state.close_transaction();
        self.state.cut();
        self.take()
    }
}

/// Read a whole 837P held in memory.
pub fn read(data: &[u8], batch_claims: usize) -> Result<Vec<Batches>, &'static str> {
    let mut reader = Reader::new(batch_claims)?;
    reader.feed(data);
    let mut out = reader.take();
    out.extend(reader.close());
    Ok(out)
}
