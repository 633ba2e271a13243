//! The validator's content checks of an 837P (005010X222A1), beyond what the guide's tables
//! encode. Per claim (2300 and its 2400 lines, at most 50, so memory stays bounded):
//!
//! * balancing: CLM02 equals the sum of SV102 (`clm02-balance`);
//! * replacement and void claims (CLM05-3 = 7 or 8) carry REF*F8, the payer's claim number;
//! * the TR3's tighter lengths: CLM01 at most 20 characters, REF*6R at most 30;
//! * HI diagnosis codes: ICD-10-CM or ICD-9-CM format, SDOH Z codes billable on every date of
//!   service;
//! * SV101 procedure codes and modifiers against the core code set (warnings: a payer may
//!   cover more).
//!
//! NPIs (NM108 = XX) and taxonomy codes (PRV02 = PXC) are checked wherever they appear.

use std::sync::Arc;

use crate::amount::Amount;
use crate::codes::{
    diagnosis_format_problem, is_icd10_qualifier, is_sdoh_z_code, parse_day, taxonomy_problem,
    CodeProblem, CodeSet, Day,
};
use crate::content::{Seg, Spot};
use crate::content835::npi;
use crate::validator::Finding;

/// TR3: "the maximum number of characters to be submitted in this data element is 20".
const CLM01_MAX: usize = 20;
/// TR3 2400 REF*6R: at most 30 characters although REF02 allows 50.
const LINE_CONTROL_MAX: usize = 30;

/// Bytes kept for the open claim: a range of [`ClaimChecks::kept`].
type Kept = std::ops::Range<usize>;

struct Claim {
    spot: Spot,
    /// CLM02 and CLM05, when the segment has them.
    charge: Option<Kept>,
    facility: Option<Kept>,
}

struct Line {
    /// Of its SV1 once seen (its LX before).
    spot: Spot,
    /// SV101 and SV102 (None when the SV1 ends before it).
    sv1: Option<(Kept, Option<Kept>)>,
    /// Its DTP*472 dates (both ends of a range), CCYYMMDD as written: a range of `line_dates`.
    dates: std::ops::Range<usize>,
}

/// The claim's segments are kept as ranges of one buffer, cleared per claim, so a claim costs no
/// allocation once the buffers have grown to the largest claim.
pub struct ClaimChecks {
    codes: Arc<CodeSet>,
    comp: u8,
    claim: Option<Claim>,
    has_f8: bool,
    kept: Vec<u8>,
    claim_dates: Vec<Kept>,
    line_dates: Vec<Kept>,
    /// The HI segments of the claim: where, and their elements (a range of `hi_values`).
    his: Vec<(Spot, std::ops::Range<usize>)>,
    hi_values: Vec<Kept>,
    lines: Vec<Line>,
    days: Vec<Day>,
    problems: Vec<CodeProblem>,
}

fn split(value: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    value.split(move |&b| b == sep)
}

fn keep(kept: &mut Vec<u8>, bytes: &[u8]) -> Kept {
    let start = kept.len();
    kept.extend_from_slice(bytes);
    start..kept.len()
}

impl ClaimChecks {
    pub fn new(codes: Arc<CodeSet>) -> Self {
        ClaimChecks {
            codes,
            comp: b':',
            claim: None,
            has_f8: false,
            kept: Vec::new(),
            claim_dates: Vec::new(),
            line_dates: Vec::new(),
            his: Vec::new(),
            hi_values: Vec::new(),
            lines: Vec::new(),
            days: Vec::new(),
            problems: Vec::new(),
        }
    }

    pub fn segment(&mut self, seg: &Seg<'_>, out: &mut Vec<Finding>) {
        self.comp = seg.comp;
        match seg.id() {
            b"HL" => self.end_claim(out),
            b"CLM" => self.clm(seg, out),
            b"REF" => self.reference(seg, out),
            b"DTP" => self.date(seg),
            b"HI" if self.claim.is_some() => {
                let first = self.hi_values.len();
                for e in &seg.els[1..] {
                    let k = keep(&mut self.kept, e);
                    self.hi_values.push(k);
                }
                let values = first..self.hi_values.len();
                self.his.push((Spot::of(seg), values));
            }
            b"LX" if self.claim.is_some() => {
                let at = self.line_dates.len();
                self.lines.push(Line {
                    spot: Spot::of(seg),
                    sv1: None,
                    dates: at..at,
                });
            }
            b"SV1" => {
                if let Some(line) = self.lines.last_mut() {
                    line.spot = Spot::of(seg);
                    let code = keep(&mut self.kept, seg.el(1));
                    let charge = seg.els.get(2).map(|e| keep(&mut self.kept, e));
                    line.sv1 = Some((code, charge));
                }
            }
            b"NM1" => npi(seg, 8, out),
            b"PRV" => {
                let code = seg.el(3);
                if seg.el(2) == b"PXC" && !code.is_empty() {
                    if let Some(problem) = taxonomy_problem(code) {
                        let message = format!("PRV03 (Provider Taxonomy Code): {problem}");
                        out.push(Spot::of(seg).finding(
                            seg.id(),
                            "taxonomy-format",
                            message,
                            Some(3),
                            None,
                            None,
                            Some("127"),
                        ));
                    }
                }
            }
            _ => {}
        }
    }

    /// The end of the transaction set.
    pub fn end(&mut self, out: &mut Vec<Finding>) {
        self.end_claim(out);
    }

    fn clm(&mut self, seg: &Seg<'_>, out: &mut Vec<Finding>) {
        self.end_claim(out);
        self.kept.clear();
        self.claim_dates.clear();
        self.line_dates.clear();
        self.his.clear();
        self.hi_values.clear();
        self.lines.clear();
        self.has_f8 = false;
        let charge = seg.els.get(2).map(|e| keep(&mut self.kept, e));
        let facility = seg.els.get(5).map(|e| keep(&mut self.kept, e));
        self.claim = Some(Claim {
            spot: Spot::of(seg),
            charge,
            facility,
        });
        let clm01 = seg.el(1);
        if clm01.len() > CLM01_MAX {
            let message = format!(
                "CLM01 (Patient Control Number) is {} characters; the TR3 allows {CLM01_MAX}",
                clm01.len()
            );
            out.push(Spot::of(seg).finding(
                seg.id(),
                "guide-max-length",
                message,
                Some(1),
                None,
                None,
                Some("1028"),
            ));
        }
    }

    fn reference(&mut self, seg: &Seg<'_>, out: &mut Vec<Finding>) {
        if seg.els.len() < 3 {
            return;
        }
        match seg.el(1) {
            b"F8" => self.has_f8 |= seg.loop_id == Some("2300"),
            b"6R" if seg.el(2).len() > LINE_CONTROL_MAX => {
                let message = format!(
                    "REF02 (Line Item Control Number) is {} characters; the TR3 allows {LINE_CONTROL_MAX}",
                    seg.el(2).len()
                );
                out.push(Spot::of(seg).finding(
                    seg.id(),
                    "guide-max-length",
                    message,
                    Some(2),
                    None,
                    None,
                    Some("127"),
                ));
            }
            _ => {}
        }
    }

    fn date(&mut self, seg: &Seg<'_>) {
        if seg.els.len() < 4 || seg.el(1) != b"472" || self.claim.is_none() {
            return;
        }
        let into = match seg.loop_id {
            // A line's dates follow its LX: they are the last of `line_dates`.
            Some("2400") if !self.lines.is_empty() => &mut self.line_dates,
            Some("2300") => &mut self.claim_dates,
            _ => return,
        };
        let value = seg.el(3);
        if seg.el(2) == b"RD8" {
            for d in split(value, b'-') {
                into.push(keep(&mut self.kept, d));
            }
        } else {
            into.push(keep(&mut self.kept, value));
        }
        if let (Some("2400"), Some(line)) = (seg.loop_id, self.lines.last_mut()) {
            line.dates.end = self.line_dates.len();
        }
    }

    fn end_claim(&mut self, out: &mut Vec<Finding>) {
        let Some(claim) = self.claim.take() else {
            return;
        };
        self.balance(&claim, out);
        let comp = self.comp;
        if let (Some(facility), false) = (&claim.facility, self.has_f8) {
            let frequency = split(&self.kept[facility.clone()], comp)
                .nth(2)
                .unwrap_or(b"");
            if let Some(kind) = match frequency {
                b"7" => Some("replacement"),
                b"8" => Some("void"),
                _ => None,
            } {
                let message = format!(
                    "a {kind} claim (CLM05-3 = {}) needs REF*F8 with the payer's claim control number \
                     (from the 277CA REF*1K or the 835 CLP07)",
                    char::from(frequency[0])
                );
                out.push(claim.spot.finding(
                    b"CLM",
                    "replacement-needs-f8",
                    message,
                    None,
                    None,
                    None,
                    None,
                ));
            }
        }
        self.diagnoses(out);
        self.procedures(out);
    }

    /// CLM02 against the sum of SV102; an amount that does not read has its own finding.
    fn balance(&self, claim: &Claim, out: &mut Vec<Finding>) {
        let Some(total) = claim
            .charge
            .clone()
            .and_then(|c| Amount::parse(&self.kept[c]))
        else {
            return;
        };
        if self.lines.is_empty() {
            return;
        }
        let mut line_total = Amount::default();
        for line in &self.lines {
            let charge = match &line.sv1 {
                Some((_, Some(charge))) => Amount::parse(&self.kept[charge.clone()]),
                _ => None,
            };
            let Some(charge) = charge else { return };
            line_total = line_total + charge;
        }
        if !line_total.same(total) {
            let message = format!(
                "CLM02 (total claim charge) is {total} but the service lines (SV102) add up to {line_total}"
            );
            out.push(claim.spot.finding(
                b"CLM",
                "clm02-balance",
                message,
                Some(2),
                None,
                None,
                Some("782"),
            ));
        }
    }

    fn diagnoses(&mut self, out: &mut Vec<Finding>) {
        if self.his.is_empty() {
            return;
        }
        // The dates of service: the lines' DTP*472, else the claim's.
        let written = if self.line_dates.is_empty() {
            &self.claim_dates
        } else {
            &self.line_dates
        };
        let any_dates = !written.is_empty();
        let kept = &self.kept;
        let days = &mut self.days;
        days.clear();
        days.extend(written.iter().filter_map(|d| parse_day(&kept[d.clone()])));
        days.sort_unstable();
        days.dedup();
        for (spot, values) in &self.his {
            for (i, value) in self.hi_values[values.clone()].iter().enumerate() {
                let mut parts = split(&kept[value.clone()], self.comp);
                let qualifier = parts.next().unwrap_or(b"");
                let code = match parts.next() {
                    Some(code) if !code.is_empty() => code,
                    _ => continue,
                };
                let element = i as u32 + 1;
                let (rule, message) = match diagnosis_format_problem(qualifier, code) {
                    Some((rule, problem)) => (rule, format!("HI{element:02}-2: {problem}")),
                    None if any_dates && is_icd10_qualifier(qualifier) && is_sdoh_z_code(code) => {
                        let problem = days
                            .iter()
                            .find_map(|&day| self.codes.diagnosis_problem(code, day));
                        match problem {
                            Some(p) => (
                                "diagnosis-date",
                                format!("{p} (on one of the claim's dates of service)"),
                            ),
                            None => continue,
                        }
                    }
                    None => continue,
                };
                out.push(spot.finding(
                    b"HI",
                    rule,
                    message,
                    Some(element),
                    Some(2),
                    Some(code),
                    Some("1271"),
                ));
            }
        }
    }

    fn procedures(&mut self, out: &mut Vec<Finding>) {
        let kept = &self.kept;
        let earliest = |dates: &[Kept]| dates.iter().map(|d| &kept[d.clone()]).min();
        let claim_day = earliest(&self.claim_dates);
        let mut problems = std::mem::take(&mut self.problems);
        for line in &self.lines {
            let Some((sv101, _)) = &line.sv1 else {
                continue;
            };
            let day = earliest(&self.line_dates[line.dates.clone()]).or(claim_day);
            let mut parts = split(&kept[sv101.clone()], self.comp);
            let (qualifier, code) = (parts.next().unwrap_or(b""), parts.next().unwrap_or(b""));
            if qualifier != b"HC" || code.is_empty() {
                continue;
            }
            let mut modifiers: [&[u8]; 4] = [b""; 4];
            let mut n = 0;
            for (slot, m) in modifiers.iter_mut().zip(parts) {
                *slot = m;
                n += 1;
            }
            let day = day.filter(|d| !d.is_empty()).and_then(parse_day);
            self.codes
                .procedure_problems(code, &modifiers[..n], day, &mut problems);
            let spot = Spot {
                loop_id: Some("2400"),
                ..line.spot
            };
            for p in problems.drain(..) {
                let data_element = if p.component == 2 { "234" } else { "1339" };
                out.push(spot.finding(
                    b"SV1",
                    p.rule,
                    p.message,
                    Some(1),
                    Some(p.component),
                    Some(&p.value),
                    Some(data_element),
                ));
            }
        }
        self.problems = problems;
    }
}
