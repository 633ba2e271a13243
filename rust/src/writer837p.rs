//! The 837P (005010X222A1) renderer: claims as plain Rust records in, X12 text out.
//!
//! Nothing here knows Python: `python::writer837p` fills these records from pydantic models,
//! and a columnar front end can fill them from Arrow batches. Each segment is rendered in one
//! place (the `seg_*`/`block_*` functions below); a new field is a field on its record, a line
//! in its front end's extraction, and a line in the segment that carries it.
//!
//! Consecutive claims with equal billing provider share its HL 20; with equal subscriber,
//! patient and payer (at most 100 claims) their HL 22/23. A transaction set holds at most
//! `max_claims_per_transaction` claims, then a new ST begins. Every block is checked after it
//! is rendered (printable ASCII, one terminator per segment); a block that fails is taken back
//! out of the output, so `output()` only ever holds checked text.

use crate::text::digits;

pub const VERSION: &str = "005010X222A1";
pub const MAX_CLAIMS_PER_TRANSACTION: usize = 5000;
pub const MAX_CLAIMS_PER_SUBSCRIBER_HL: usize = 100;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Date {
    pub year: u32,
    pub month: u32,
    pub day: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub state: String,
    pub zip: String,
}

/// 1000A.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Submitter {
    pub name: String,
    pub id: String,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// 1000B.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Receiver {
    pub name: String,
    pub id: String,
}

/// 2010AA (and its id in 2010BB REF).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BillingProvider {
    pub entity_type: String,
    pub name: String,
    pub first_name: Option<String>,
    pub npi: Option<String>,
    pub tax_id: String,
    pub tax_id_qualifier: String,
    pub taxonomy: Option<String>,
    pub address: Address,
    pub payer_assigned_id: Option<String>,
    pub payer_assigned_id_qualifier: String,
}

/// 2310B, or 2420A on a line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RenderingProvider {
    pub entity_type: String,
    pub name: String,
    pub first_name: Option<String>,
    pub npi: Option<String>,
    pub taxonomy: Option<String>,
    pub secondary_id: Option<String>,
    pub secondary_id_qualifier: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Person {
    pub last_name: String,
    pub first_name: Option<String>,
    pub birth_date: Option<Date>,
    pub sex: Option<String>,
    pub address: Option<Address>,
}

/// 2010BA.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subscriber {
    pub person: Person,
    pub member_id: String,
    pub payer_responsibility: String,
}

/// 2010CA.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Patient {
    pub person: Person,
    pub relationship: String,
}

/// 2010BB.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payer {
    pub name: String,
    pub payer_id: String,
    pub payer_id_qualifier: String,
    pub claim_filing_indicator: String,
}

/// 2400. Amounts are X12 'R' text already (see `push_amount`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceLine {
    pub procedure_code: String,
    pub modifiers: Vec<String>,
    pub charge: String,
    pub unit_basis: String,
    pub units: String,
    pub service_date: Date,
    pub service_date_end: Option<Date>,
    pub diagnosis_pointers: Vec<i64>,
    pub line_control_number: Option<String>,
    pub place_of_service: Option<String>,
    pub rendering_provider: Option<RenderingProvider>,
    pub pickup: Option<Address>,
    pub dropoff: Option<Address>,
}

/// 2300 with its lines; its parties come beside it in `Parties`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claim {
    pub claim_id: String,
    pub frequency: String,
    pub payer_claim_number: Option<String>,
    pub place_of_service: String,
    pub diagnosis_code_qualifier: String,
    pub diagnoses: Vec<String>,
    pub prior_authorization: Option<String>,
    pub total_charge: String,
    pub lines: Vec<ServiceLine>,
    pub rendering_provider: Option<RenderingProvider>,
    pub pickup: Option<Address>,
    pub dropoff: Option<Address>,
    pub provider_signature: String,
    pub assignment_participation: String,
    pub benefits_assignment: String,
    pub release_of_information: String,
    /// The rules a leniently read claim breaks: such a claim is refused.
    pub deviations: Vec<String>,
}

pub struct Parties<'a> {
    pub billing_provider: &'a BillingProvider,
    pub subscriber: &'a Subscriber,
    pub patient: Option<&'a Patient>,
    pub payer: &'a Payer,
}

/// What the interchange around the claims needs. `isa_gs` is the ISA and GS segments, already
/// rendered and checked by the envelope writer the other transactions share.
pub struct Header {
    pub isa_gs: String,
    pub interchange_control_number: u32,
    pub group_control_number: u32,
    /// BHT04 and BHT05 (CCYYMMDD, HHMM) and BHT06 (CH or RP).
    pub date: String,
    pub time: String,
    pub transaction_type: String,
    pub max_claims_per_transaction: usize,
    pub submitter: Submitter,
    pub receiver: Receiver,
}

/// A claim (or party block) the writer will not write: the rule, where, and why (no values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub rule: &'static str,
    pub segment: Option<&'static str>,
    pub message: String,
}

pub struct Writer837P {
    header: Header,
    out: String,
    parties: String,
    segments: u64,
    tx_open: bool,
    tx_start: u64,
    transactions: u32,
    claims_in_tx: usize,
    claims_in_sub: usize,
    hl: u64,
    bp_hl: u64,
    last_bp: Option<BillingProvider>,
    last_sub: Option<(Subscriber, Option<Patient>, Payer)>,
    claims: u64,
    lines: u64,
}

// -- X12 text of values ---------------------------------------------------------------------

/// `text` (a decimal as Python's `str(Decimal)` writes it: `12.50`, `1E+2`, `1.5E-7`) as X12
/// 'R': no exponent, no trailing zeros after the point, `0` for nothing. Text that is no
/// decimal (NaN, Infinity) is copied as is.
pub fn push_amount(out: &mut String, text: &str) {
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (mantissa, exponent) = match body.find(['E', 'e']) {
        Some(i) => match body[i + 1..].parse::<i64>() {
            Ok(e) => (&body[..i], e),
            Err(_) => {
                out.push_str(text);
                return;
            }
        },
        None => (body, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        out.push_str(text);
        return;
    }
    let start = out.len();
    out.push_str(sign);
    if exponent == 0 {
        out.push_str(int_part);
        if !frac_part.is_empty() {
            out.push('.');
            out.push_str(frac_part);
        }
    } else {
        // Fixed notation of digits * 10^(exponent - len(frac)), as format(d, 'f') gives it.
        let digits: String = int_part.chars().chain(frac_part.chars()).collect();
        let point = int_part.len() as i64 + exponent; // digits before the point
        if point <= 0 {
            out.push_str("0.");
            (0..-point).for_each(|_| out.push('0'));
            out.push_str(&digits);
        } else if point as usize >= digits.len() {
            out.push_str(&digits);
            (0..point as usize - digits.len()).for_each(|_| out.push('0'));
        } else {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        }
    }
    if out[start..].contains('.') {
        let trimmed = out.trim_end_matches('0').trim_end_matches('.').len();
        out.truncate(trimmed.max(start));
    }
    if out.len() == start {
        out.push('0');
    }
}

/// The amount `text` in X12 'R' form, as a new string.
pub fn amount(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_amount(&mut out, text);
    out
}

fn push_date(out: &mut String, d: Date) {
    push_padded(out, u64::from(d.year), 4);
    push_padded(out, u64::from(d.month), 2);
    push_padded(out, u64::from(d.day), 2);
}

fn push_padded(out: &mut String, value: u64, width: usize) {
    let mut buf = [0; 20];
    let digits = digits(value, &mut buf);
    (digits.len()..width).for_each(|_| out.push('0'));
    out.push_str(std::str::from_utf8(digits).unwrap_or_default());
}

fn push_int(out: &mut String, value: i64) {
    if value < 0 {
        out.push('-');
    }
    push_padded(out, value.unsigned_abs(), 0);
}

/// A situational value the models may leave out: absent or empty is not sent.
fn sent(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

// -- Segments -------------------------------------------------------------------------------

fn seg_address(out: &mut String, a: &Address) {
    out.push_str("N3*");
    out.push_str(&a.line1);
    if let Some(line2) = sent(&a.line2) {
        out.push('*');
        out.push_str(line2);
    }
    out.push_str("~\nN4*");
    for (i, v) in [&a.city, &a.state, &a.zip].into_iter().enumerate() {
        if i > 0 {
            out.push('*');
        }
        out.push_str(v);
    }
    out.push_str("~\n");
}

/// NM1 of a provider: person (NM103 last, NM104 first) or organization, then XX/NPI when known.
fn seg_provider_name(
    out: &mut String,
    qualifier: &str,
    entity_type: &str,
    name: &str,
    first_name: &Option<String>,
    npi: &Option<String>,
) {
    out.push_str("NM1*");
    out.push_str(qualifier);
    if entity_type == "1" {
        out.push_str("*1*");
        out.push_str(name);
        out.push('*');
        out.push_str(first_name.as_deref().unwrap_or(""));
        match sent(npi) {
            Some(npi) => {
                out.push_str("****XX*");
                out.push_str(npi);
            }
            None => {
                let kept = out.trim_end_matches('*').len();
                out.truncate(kept);
            }
        }
    } else {
        out.push_str("*2*");
        out.push_str(name);
        if let Some(npi) = sent(npi) {
            out.push_str("*****XX*");
            out.push_str(npi);
        }
    }
    out.push_str("~\n");
}

/// NM1 of a person, NM101..NM104; NM104 stays as an (empty) position for what follows.
fn push_person_name(out: &mut String, qualifier: &str, p: &Person) {
    out.push_str("NM1*");
    out.push_str(qualifier);
    out.push_str("*1*");
    out.push_str(&p.last_name);
    out.push('*');
    out.push_str(p.first_name.as_deref().unwrap_or(""));
}

fn seg_dmg(out: &mut String, p: &Person, birth_date: Date) {
    out.push_str("DMG*D8*");
    push_date(out, birth_date);
    out.push('*');
    out.push_str(p.sex.as_deref().unwrap_or("None"));
    out.push_str("~\n");
}

fn seg_ref(out: &mut String, qualifier: &str, value: &str) {
    out.push_str("REF*");
    out.push_str(qualifier);
    out.push('*');
    out.push_str(value);
    out.push_str("~\n");
}

/// 2000A/2010AA: HL 20, PRV*BI, NM1*85, N3/N4, REF tax id.
fn block_billing_provider(out: &mut String, bp: &BillingProvider, hl: u64) {
    out.push_str("HL*");
    push_padded(out, hl, 0);
    out.push_str("**20*1~\n");
    if let Some(taxonomy) = sent(&bp.taxonomy) {
        out.push_str("PRV*BI*PXC*");
        out.push_str(taxonomy);
        out.push_str("~\n");
    }
    seg_provider_name(
        out,
        "85",
        &bp.entity_type,
        &bp.name,
        &bp.first_name,
        &bp.npi,
    );
    seg_address(out, &bp.address);
    seg_ref(out, &bp.tax_id_qualifier, &bp.tax_id);
}

/// 2000B/2010BA/2010BB (and 2000C/2010CA when the patient is someone else). Returns HLs used.
fn block_subscriber(
    out: &mut String,
    bp: &BillingProvider,
    sub: &Subscriber,
    patient: Option<&Patient>,
    payer: &Payer,
    hl: u64,
    parent: u64,
) -> u64 {
    out.push_str("HL*");
    push_padded(out, hl, 0);
    out.push('*');
    push_padded(out, parent, 0);
    out.push_str(if patient.is_some() {
        "*22*1~\nSBR*"
    } else {
        "*22*0~\nSBR*"
    });
    out.push_str(&sub.payer_responsibility);
    out.push_str(if patient.is_some() { "*" } else { "*18" });
    out.push_str("*******");
    out.push_str(&payer.claim_filing_indicator);
    out.push_str("~\n");
    push_person_name(out, "IL", &sub.person);
    out.push_str("****MI*");
    out.push_str(&sub.member_id);
    out.push_str("~\n");
    if let Some(a) = &sub.person.address {
        seg_address(out, a);
    }
    if let Some(d) = sub.person.birth_date {
        seg_dmg(out, &sub.person, d); // situational when the patient is someone else
    }
    out.push_str("NM1*PR*2*");
    out.push_str(&payer.name);
    out.push_str("*****");
    out.push_str(&payer.payer_id_qualifier);
    out.push('*');
    out.push_str(&payer.payer_id);
    out.push_str("~\n");
    if let Some(id) = sent(&bp.payer_assigned_id) {
        seg_ref(out, &bp.payer_assigned_id_qualifier, id);
    }
    let Some(patient) = patient else {
        return 1;
    };
    out.push_str("HL*");
    push_padded(out, hl + 1, 0);
    out.push('*');
    push_padded(out, hl, 0);
    out.push_str("*23*0~\nPAT*");
    out.push_str(&patient.relationship);
    out.push_str("~\n");
    push_person_name(out, "QC", &patient.person);
    let kept = out.trim_end_matches('*').len();
    out.truncate(kept);
    out.push_str("~\n");
    if let Some(a) = &patient.person.address {
        seg_address(out, a);
    }
    seg_dmg(
        out,
        &patient.person,
        patient.person.birth_date.unwrap_or_default(),
    );
    2
}

/// 2310B, or 2420A on a line: NM1*82, PRV*PE when the taxonomy is known, REF secondary id.
/// Returns how many segments that is (counted off the text, as the check expects).
fn block_rendering(out: &mut String, rp: &RenderingProvider) -> usize {
    let start = out.len();
    seg_provider_name(
        out,
        "82",
        &rp.entity_type,
        &rp.name,
        &rp.first_name,
        &rp.npi,
    );
    if let Some(taxonomy) = sent(&rp.taxonomy) {
        out.push_str("PRV*PE*PXC*");
        out.push_str(taxonomy);
        out.push_str("~\n");
    }
    if let Some(id) = sent(&rp.secondary_id) {
        seg_ref(out, &rp.secondary_id_qualifier, id);
    }
    memchr::memchr_iter(b'~', &out.as_bytes()[start..]).count()
}

/// 2310E/2310F (or 2420G/2420H on a line): NM1*PW pick-up and NM1*45 drop-off, organizations
/// (NM102 2) with no name or id (NM103-NM109 are not used for PW; the models keep no drop-off
/// name), then N3/N4. Returns segments.
///
/// No CR1: the TR3 requires it on claims for ambulance transport, where 2310E/F are required
/// for ambulance or non-emergency transportation. What we bill (T2003, S0215, A0080-A0160:
/// taxi, bus, van, volunteer vehicle and their mileage) is non-emergency, not ambulance
/// (A0225-A0999), and CR1's required CR104 (reason for an ambulance transport) would have to
/// be made up; "if not required, do not send".
fn block_locations(out: &mut String, pickup: &Option<Address>, dropoff: &Option<Address>) -> usize {
    let mut segments = 0;
    if let Some(a) = pickup {
        out.push_str("NM1*PW*2~\n");
        seg_address(out, a);
        segments += 3;
    }
    if let Some(a) = dropoff {
        out.push_str("NM1*45*2~\n");
        seg_address(out, a);
        segments += 3;
    }
    segments
}

/// 2300 and its 2400 lines. Returns how many segments they should be (the check compares the
/// text's own count with it: a value holding a terminator would change it).
fn block_claim(out: &mut String, c: &Claim) -> usize {
    out.push_str("CLM*");
    out.push_str(&c.claim_id);
    out.push('*');
    out.push_str(&c.total_charge);
    out.push_str("***");
    out.push_str(&c.place_of_service);
    out.push_str(":B:");
    out.push_str(&c.frequency);
    for v in [
        &c.provider_signature,
        &c.assignment_participation,
        &c.benefits_assignment,
        &c.release_of_information,
    ] {
        out.push('*');
        out.push_str(v);
    }
    out.push_str("~\n");
    let mut segments = 2;
    if let Some(v) = sent(&c.prior_authorization) {
        seg_ref(out, "G1", v);
        segments += 1;
    }
    if let Some(v) = sent(&c.payer_claim_number) {
        seg_ref(out, "F8", v);
        segments += 1;
    }
    let (first, other) = if c.diagnosis_code_qualifier == "ABK" {
        ("HI*ABK:", "*ABF:")
    } else {
        ("HI*BK:", "*BF:")
    };
    for (i, code) in c.diagnoses.iter().enumerate() {
        out.push_str(if i == 0 { first } else { other });
        out.push_str(code);
    }
    if c.diagnoses.is_empty() {
        out.push_str(first);
    }
    out.push_str("~\n");
    if let Some(rp) = &c.rendering_provider {
        segments += block_rendering(out, rp);
    }
    segments += block_locations(out, &c.pickup, &c.dropoff);
    for (n, ln) in c.lines.iter().enumerate() {
        segments += block_line(out, n + 1, ln);
    }
    segments
}

/// 2400: LX, SV1, DTP*472, REF*6R, then 2420A and 2420G/H when the line has its own.
fn block_line(out: &mut String, n: usize, ln: &ServiceLine) -> usize {
    out.push_str("LX*");
    push_padded(out, n as u64, 0);
    out.push_str("~\nSV1*HC:");
    out.push_str(&ln.procedure_code);
    for m in &ln.modifiers {
        out.push(':');
        out.push_str(m);
    }
    out.push('*');
    out.push_str(&ln.charge);
    out.push('*');
    out.push_str(&ln.unit_basis);
    out.push('*');
    out.push_str(&ln.units);
    out.push('*');
    out.push_str(ln.place_of_service.as_deref().unwrap_or(""));
    out.push_str("**");
    for (i, p) in ln.diagnosis_pointers.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        push_int(out, *p);
    }
    match ln.service_date_end {
        Some(end) if end != ln.service_date => {
            out.push_str("~\nDTP*472*RD8*");
            push_date(out, ln.service_date);
            out.push('-');
            push_date(out, end);
        }
        _ => {
            out.push_str("~\nDTP*472*D8*");
            push_date(out, ln.service_date);
        }
    }
    out.push_str("~\n");
    let mut segments = 3;
    if let Some(v) = &ln.line_control_number {
        seg_ref(out, "6R", v);
        segments += 1;
    }
    if let Some(rp) = &ln.rendering_provider {
        segments += block_rendering(out, rp);
    }
    segments + block_locations(out, &ln.pickup, &ln.dropoff)
}

/// 1000A/1000B: NM1*41, PER*IC when there is a contact, NM1*40.
fn block_parties(out: &mut String, s: &Submitter, r: &Receiver) {
    out.push_str("NM1*41*2*");
    out.push_str(&s.name);
    out.push_str("*****46*");
    out.push_str(&s.id);
    out.push_str("~\n");
    let (contact, phone, email) = (sent(&s.contact_name), sent(&s.phone), sent(&s.email));
    if contact.is_some() || phone.is_some() || email.is_some() {
        out.push_str("PER*IC*");
        out.push_str(contact.unwrap_or(""));
        if let Some(phone) = phone {
            out.push_str("*TE*");
            out.push_str(phone);
        }
        if let Some(email) = email {
            out.push_str("*EM*");
            out.push_str(email);
        }
        out.push_str("~\n");
    }
    out.push_str("NM1*40*2*");
    out.push_str(&r.name);
    out.push_str("*****46*");
    out.push_str(&r.id);
    out.push_str("~\n");
}

// -- Checks ---------------------------------------------------------------------------------

struct Scan {
    unsafe_char: bool,
    terminators: usize,
    newlines: usize,
    double_terminator: bool,
}

fn scan(text: &[u8]) -> Scan {
    let mut s = Scan {
        unsafe_char: false,
        terminators: 0,
        newlines: 0,
        double_terminator: false,
    };
    let mut previous = 0u8;
    for &b in text {
        match b {
            b'~' => {
                s.terminators += 1;
                s.double_terminator |= previous == b'~';
            }
            b'\n' => s.newlines += 1,
            b' '..=b'}' => {}
            _ => s.unsafe_char = true,
        }
        previous = b;
    }
    s
}

/// Printable ASCII only, one newline per terminator, no empty segment. A "~" or newline inside
/// a value changes the counts, so this is enough (models built without validation come here).
fn check_block(text: &[u8], what: &str) -> Result<usize, Refusal> {
    let s = scan(text);
    if s.unsafe_char || s.terminators != s.newlines || s.double_terminator {
        return Err(character_set(what));
    }
    Ok(s.terminators)
}

fn character_set(what: &str) -> Refusal {
    Refusal {
        rule: "invalid-character",
        segment: None,
        message: format!(
            "{what} holds a character outside printable ASCII or a segment terminator inside a value"
        ),
    }
}

// -- The writer -----------------------------------------------------------------------------

impl Writer837P {
    /// Starts the interchange: ISA and GS, and the 1000A/1000B text every ST repeats (checked).
    pub fn new(header: Header) -> Self {
        let mut out = String::with_capacity(1 << 18);
        out.push_str(&header.isa_gs);
        Writer837P {
            header,
            out,
            parties: String::new(),
            segments: 2,
            tx_open: false,
            tx_start: 0,
            transactions: 0,
            claims_in_tx: 0,
            claims_in_sub: 0,
            hl: 0,
            bp_hl: 0,
            last_bp: None,
            last_sub: None,
            claims: 0,
            lines: 0,
        }
    }

    /// Renders and checks the submitter/receiver text; call once, before the first claim.
    pub fn start(&mut self) -> Result<(), Refusal> {
        let mut parties = String::new();
        block_parties(&mut parties, &self.header.submitter, &self.header.receiver);
        check_block(parties.as_bytes(), "submitter/receiver")?;
        self.parties = parties;
        Ok(())
    }

    /// Checked text not yet handed out.
    pub fn output(&self) -> &str {
        &self.out
    }

    pub fn clear_output(&mut self) {
        self.out.clear();
    }

    pub fn claims(&self) -> u64 {
        self.claims
    }

    pub fn lines(&self) -> u64 {
        self.lines
    }

    pub fn segments(&self) -> u64 {
        self.segments
    }

    pub fn transactions(&self) -> u32 {
        self.transactions
    }

    /// Writes one claim (and the HL loops it needs), or refuses it and writes nothing of it.
    pub fn claim(&mut self, claim: &Claim, parties: &Parties<'_>) -> Result<(), Refusal> {
        let n = self.claims + 1;
        if !claim.deviations.is_empty() {
            return Err(Refusal {
                rule: "lenient-claim",
                segment: Some("CLM"),
                message: format!(
                    "claim #{n} was read leniently and breaks {}: it cannot be written",
                    claim.deviations.join(", ")
                ),
            });
        }
        if !self.tx_open || self.claims_in_tx >= self.header.max_claims_per_transaction {
            self.open_transaction();
        }
        let bp = parties.billing_provider;
        if self.last_bp.as_ref() != Some(bp) {
            self.hl += 1;
            self.bp_hl = self.hl;
            let start = self.out.len();
            block_billing_provider(&mut self.out, bp, self.hl);
            self.commit(start, "billing provider")?;
            self.last_bp = Some(bp.clone());
            self.last_sub = None;
        }
        let same_sub = matches!(&self.last_sub, Some((s, p, y))
            if self.claims_in_sub < MAX_CLAIMS_PER_SUBSCRIBER_HL
                && s == parties.subscriber && p.as_ref() == parties.patient && y == parties.payer);
        if !same_sub {
            let start = self.out.len();
            let used = block_subscriber(
                &mut self.out,
                bp,
                parties.subscriber,
                parties.patient,
                parties.payer,
                self.hl + 1,
                self.bp_hl,
            );
            self.hl += used;
            self.commit(start, "subscriber/patient")?;
            self.last_sub = Some((
                parties.subscriber.clone(),
                parties.patient.cloned(),
                parties.payer.clone(),
            ));
            self.claims_in_sub = 0;
        }
        let start = self.out.len();
        let expected = block_claim(&mut self.out, claim);
        let s = scan(&self.out.as_bytes()[start..]);
        if s.unsafe_char || s.newlines != s.terminators || s.terminators != expected {
            self.out.truncate(start);
            let what = format!("claim #{n}");
            if s.unsafe_char || s.terminators != s.newlines || s.double_terminator {
                return Err(character_set(&what));
            }
            return Err(Refusal {
                rule: "delimiter-in-value",
                segment: Some("CLM"),
                message: format!("{what} holds a segment terminator inside a value"),
            });
        }
        self.segments += s.terminators as u64;
        self.claims_in_tx += 1;
        self.claims_in_sub += 1;
        self.claims += 1;
        self.lines += claim.lines.len() as u64;
        Ok(())
    }

    /// Closes the open transaction set, GE and IEA. The output then holds the interchange's end.
    pub fn finish(&mut self) {
        self.close_transaction();
        let h = &self.header;
        let (transactions, gcn, icn) = (
            self.transactions,
            h.group_control_number,
            h.interchange_control_number,
        );
        self.out.push_str("GE*");
        push_padded(&mut self.out, u64::from(transactions), 0);
        self.out.push('*');
        push_padded(&mut self.out, u64::from(gcn), 0);
        self.out.push_str("~\nIEA*1*");
        push_padded(&mut self.out, u64::from(icn), 9);
        self.out.push_str("~\n");
        self.segments += 2;
    }

    fn commit(&mut self, start: usize, what: &str) -> Result<(), Refusal> {
        match check_block(&self.out.as_bytes()[start..], what) {
            Ok(segments) => {
                self.segments += segments as u64;
                Ok(())
            }
            Err(refusal) => {
                self.out.truncate(start);
                Err(refusal)
            }
        }
    }

    fn open_transaction(&mut self) {
        self.close_transaction();
        self.transactions += 1;
        self.tx_open = true;
        self.tx_start = self.segments;
        let h = &self.header;
        let out = &mut self.out;
        out.push_str("ST*837*");
        push_padded(out, u64::from(self.transactions), 4);
        out.push('*');
        out.push_str(VERSION);
        out.push_str("~\nBHT*0019*00*");
        push_padded(out, u64::from(h.interchange_control_number), 0);
        push_padded(out, u64::from(self.transactions), 4);
        for v in [&h.date, &h.time, &h.transaction_type] {
            out.push('*');
            out.push_str(v);
        }
        out.push_str("~\n");
        out.push_str(&self.parties);
        self.segments += 2 + memchr::memchr_iter(b'~', self.parties.as_bytes()).count() as u64;
        self.claims_in_tx = 0;
        self.hl = 0;
        self.last_bp = None;
        self.last_sub = None;
    }

    fn close_transaction(&mut self) {
        if !self.tx_open {
            return;
        }
        let count = self.segments - self.tx_start + 1;
        self.out.push_str("SE*");
        push_padded(&mut self.out, count, 0);
        self.out.push('*');
        push_padded(&mut self.out, u64::from(self.transactions), 4);
        self.out.push_str("~\n");
        self.segments += 1;
        self.tx_open = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_x12_r() {
        for (text, want) in [
            ("12.50", "12.5"),
            ("100", "100"),
            ("100.00", "100"),
            ("0.00", "0"),
            ("0", "0"),
            ("1E+2", "100"),
            ("1.5E+1", "15"),
            ("1.5E-7", "0.00000015"),
            ("0E-8", "0"),
            ("2.50E+1", "25"),
            ("-3.10", "-3.1"),
            ("NaN", "NaN"),
        ] {
            assert_eq!(amount(text), want, "{text}");
        }
    }

    #[test]
    fn dates_and_numbers() {
        let mut s = String::new();
        push_date(
            &mut s,
            Date {
                year: 26,
                month: 1,
                day: 9,
            },
        );
        push_int(&mut s, -12);
        assert_eq!(s, "00260109-12");
    }

    fn fixture() -> (Header, BillingProvider, Subscriber, Payer, Claim) {
        let header = Header {
            isa_gs: "ISA*x~\nGS*x~\n".into(),
            interchange_control_number: 7,
            group_control_number: 3,
            date: "20261102".into(),
            time: "0930".into(),
            transaction_type: "CH".into(),
            max_claims_per_transaction: 2,
            submitter: Submitter {
                name: "NLE".into(),
                id: "NLE1".into(),
                phone: Some("5035550100".into()),
                ..Default::default()
            },
            receiver: Receiver {
                name: "PLAN".into(),
                id: "P1".into(),
            },
        };
        let address = Address {
            line1: "1 MAIN ST".into(),
            city: "SALEM".into(),
            state: "OR".into(),
            zip: "97301".into(),
            ..Default::default()
        };
        let bp = BillingProvider {
            entity_type: "2".into(),
            name: "NLE".into(),
            npi: Some("1234567893".into()),
            tax_id: "931234567".into(),
            tax_id_qualifier: "EI".into(),
            address: address.clone(),
            payer_assigned_id_qualifier: "G2".into(),
            ..Default::default()
        };
        let date = Date {
            year: 2026,
            month: 10,
            day: 3,
        };
        let sub = Subscriber {
            person: Person {
                last_name: "DOE".into(),
                birth_date: Some(date),
                sex: Some("F".into()),
                address: Some(address),
                ..Default::default()
            },
            member_id: "M1".into(),
            payer_responsibility: "P".into(),
        };
        let payer = Payer {
            name: "PLAN".into(),
            payer_id: "P1".into(),
            payer_id_qualifier: "PI".into(),
            claim_filing_indicator: "MC".into(),
        };
        let line = ServiceLine {
            procedure_code: "S5170".into(),
            charge: amount("12.50"),
            unit_basis: "UN".into(),
            units: amount("2"),
            service_date: date,
            diagnosis_pointers: vec![1],
            line_control_number: Some("L1".into()),
            ..Default::default()
        };
        let claim = Claim {
            claim_id: "C1".into(),
            frequency: "1".into(),
            place_of_service: "12".into(),
            diagnosis_code_qualifier: "ABK".into(),
            diagnoses: vec!["Z5941".into()],
            total_charge: amount("12.50"),
            lines: vec![line],
            provider_signature: "Y".into(),
            assignment_participation: "A".into(),
            benefits_assignment: "Y".into(),
            release_of_information: "Y".into(),
            ..Default::default()
        };
        (header, bp, sub, payer, claim)
    }

    #[test]
    fn counts_follow_the_text_and_a_terminator_in_a_value_is_refused() {
        let (header, bp, sub, payer, claim) = fixture();
        let parties = Parties {
            billing_provider: &bp,
            subscriber: &sub,
            patient: None,
            payer: &payer,
        };
        let mut w = Writer837P::new(header);
        w.start().unwrap();
        for _ in 0..3 {
            w.claim(&claim, &parties).unwrap();
        }
        let before = w.output().len();
        let mut bad = claim.clone();
        bad.lines[0].line_control_number = Some("X~\nNM1*IL".into());
        let refusal = w.claim(&bad, &parties).unwrap_err();
        assert_eq!(refusal.rule, "delimiter-in-value");
        assert_eq!(w.output().len(), before);
        w.finish();
        let text = w.output().to_string();
        let segments: Vec<&str> = text.split("~\n").filter(|s| !s.is_empty()).collect();
        assert_eq!(segments.len() as u64, w.segments());
        // two ST/SE pairs (two claims per transaction), each SE01 counting ST..SE
        let starts: Vec<usize> = (0..segments.len())
            .filter(|&i| segments[i].starts_with("ST*"))
            .collect();
        assert_eq!(starts.len(), 2);
        for &i in &starts {
            let j = (i..segments.len())
                .find(|&j| segments[j].starts_with("SE*"))
                .unwrap();
            assert_eq!(
                segments[j],
                format!("SE*{}*{}", j - i + 1, &segments[i][7..11])
            );
        }
        assert_eq!(segments[segments.len() - 2], "GE*2*3");
        assert_eq!(segments[segments.len() - 1], "IEA*1*000000007");
        assert!(text.contains("SV1*HC:S5170*12.5*UN*2***1~\nDTP*472*D8*20261003~\nREF*6R*L1~\n"));
    }
}
