//! The code-set checks the implementation guides cannot express (SNIP 5), for the validator's
//! content checks:
//!
//! * NPI: 10 digits with the Luhn check digit over the 80840 prefix;
//! * provider taxonomy (PRV03 with PRV02 = PXC): NUCC format, 9 characters then `X`;
//! * diagnosis codes: ICD-10-CM (HI qualifiers ABK, ABF, ...) and ICD-9-CM (BK, BF, ...) format;
//!   the SDOH Z codes (Z55-Z65) also billable on every date of service;
//! * procedure codes and modifiers (SV101) against the core code set, with dates.
//!
//! The code set is handed over once by Python (`sdohedi.codes.CodeSet`, which may be a payer's
//! restricted copy); dates are CCYYMMDD numbers, which order as the dates do.

#![allow(clippy::inconsistent_digit_grouping)] // dates read as CCYY_MM_DD

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::text::latin1;

/// FNV-1a: the keys are codes of 3 to 7 bytes, looked up for every line and diagnosis; SipHash's
/// protection against chosen keys buys nothing for a table built from our own data.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Table<V> = HashMap<Vec<u8>, V, BuildHasherDefault<Fnv>>;

/// A date as the number CCYYMMDD.
pub type Day = u32;

/// The last day: an entry with no end date.
pub const FAR_FUTURE: Day = 9999_12_31;

pub struct Procedure {
    pub start: Day,
    pub end: Day,
    /// The allowed modifiers, sorted (looked up by binary search).
    pub modifiers: Vec<Vec<u8>>,
}

pub struct Diagnosis {
    /// With the dot, as coders write it.
    pub code: String,
    pub start: Day,
    pub end: Day,
}

#[derive(Default)]
pub struct CodeSet {
    pub procedures: Table<Procedure>,
    /// Keyed by the code without the dot, in capitals; several rows when the dates split.
    pub diagnoses: Table<Vec<Diagnosis>>,
}

/// A problem with one code: the rule, its message, the value to show and the SV101 component.
pub struct CodeProblem {
    pub rule: &'static str,
    pub message: String,
    pub value: Vec<u8>,
    pub component: u32,
}

impl CodeSet {
    /// Empty when the procedure is billable; else each problem, codes in the messages, never the
    /// date of service.
    pub fn procedure_problems(
        &self,
        code: &[u8],
        modifiers: &[&[u8]],
        day: Option<Day>,
        out: &mut Vec<CodeProblem>,
    ) {
        let Some(p) = self.procedures.get(code) else {
            out.push(CodeProblem {
                rule: "procedure-code",
                message: format!(
                    "procedure code {} is not in the core code set",
                    latin1(code)
                ),
                value: code.to_vec(),
                component: 2,
            });
            return;
        };
        if day.is_some_and(|d| d < p.start || d > p.end) {
            out.push(CodeProblem {
                rule: "procedure-date",
                message: format!(
                    "procedure code {} is not effective on the date of service",
                    latin1(code)
                ),
                value: code.to_vec(),
                component: 2,
            });
        }
        for (j, m) in modifiers.iter().enumerate() {
            if !m.is_empty()
                && p.modifiers
                    .binary_search_by(|a| a.as_slice().cmp(m))
                    .is_err()
            {
                out.push(CodeProblem {
                    rule: "procedure-modifier",
                    message: format!(
                        "modifier {} is not allowed with {}",
                        latin1(m),
                        latin1(code)
                    ),
                    value: m.to_vec(),
                    component: 3 + j as u32,
                });
            }
        }
    }

    /// Why an SDOH Z code is not billable on `day`, if it is not.
    pub fn diagnosis_problem(&self, code: &[u8], day: Day) -> Option<String> {
        let plain = !code.iter().any(|b| *b == b'.' || b.is_ascii_lowercase());
        let rows = if plain {
            self.diagnoses.get(code)
        } else {
            let key: Vec<u8> = code
                .iter()
                .filter(|&&b| b != b'.')
                .map(u8::to_ascii_uppercase)
                .collect();
            self.diagnoses.get(&key)
        };
        let rows = match rows {
            Some(rows) if !rows.is_empty() => rows,
            _ => {
                return Some(format!(
                    "diagnosis {} is not a billable ICD-10-CM Z55-Z65 code",
                    latin1(code)
                ))
            }
        };
        if rows.iter().any(|r| r.start <= day && day <= r.end) {
            return None;
        }
        // The first row with the latest end, as Python's max() picks it.
        let last = rows
            .iter()
            .reduce(|a, b| if b.end > a.end { b } else { a })
            .expect("rows is not empty");
        if day > last.end {
            return Some(format!(
                "diagnosis {} is not billable for services on or after {}",
                last.code,
                iso(next_day(last.end))
            ));
        }
        let start = rows.iter().map(|r| r.start).min().unwrap_or(day);
        Some(format!(
            "diagnosis {} is not billable before {}",
            rows[0].code,
            iso(start)
        ))
    }
}

fn leap(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// CCYYMMDD, or the start of CCYYMMDD-CCYYMMDD: a real date (year 1 to 9999) or None.
pub fn parse_day(value: &[u8]) -> Option<Day> {
    let v = value.get(..8)?;
    if !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = v.iter().fold(0u32, |n, &b| n * 10 + u32::from(b - b'0'));
    is_day(n).then_some(n)
}

/// Is the number CCYYMMDD a real date (year 1 to 9999)?
pub fn is_day(n: u32) -> bool {
    let (year, month, day) = (n / 10_000, n / 100 % 100, n % 100);
    (1..=9999).contains(&year)
        && (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
}

fn next_day(day: Day) -> Day {
    let (year, month, d) = (day / 10_000, day / 100 % 100, day % 100);
    if d < days_in_month(year, month) {
        day + 1
    } else if month < 12 {
        year * 10_000 + (month + 1) * 100 + 1
    } else {
        (year + 1) * 10_000 + 101
    }
}

fn iso(day: Day) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day / 10_000,
        day / 100 % 100,
        day % 100
    )
}

/// What is wrong with an NPI (None: 10 digits and the check digit holds).
pub fn npi_problem(npi: &[u8]) -> Option<&'static str> {
    if npi.len() != 10 || !npi.iter().all(u8::is_ascii_digit) {
        return Some("an NPI must be 10 digits");
    }
    // Luhn over 80840 and the first nine digits: the rightmost of those is doubled.
    let payload = b"80840".iter().chain(&npi[..9]);
    let total: u32 = payload
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b - b'0');
            match (i % 2 == 0, d * 2) {
                (true, x) if x > 9 => x - 9,
                (true, x) => x,
                (false, _) => d,
            }
        })
        .sum();
    if (10 - total % 10) % 10 == u32::from(npi[9] - b'0') {
        None
    } else {
        Some(
            "the NPI's check digit is wrong (Luhn over the 80840 prefix); check the NPI with the \
             provider or NPPES",
        )
    }
}

/// NUCC taxonomy format: 3 digits, 6 digits or capital letters, then `X`.
pub fn taxonomy_problem(code: &[u8]) -> Option<&'static str> {
    let ok = code.len() == 10
        && code[..3].iter().all(u8::is_ascii_digit)
        && code[3..9]
            .iter()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        && code[9] == b'X';
    (!ok).then_some(
        "a provider taxonomy code is 10 characters: 3 digits, 6 digits or capital letters, then 'X'",
    )
}

/// HI qualifiers of ICD-10-CM and ICD-9-CM codes.
pub fn is_icd10_qualifier(q: &[u8]) -> bool {
    matches!(
        q,
        b"ABK" | b"ABF" | b"ABJ" | b"APR" | b"ABN" | b"BBR" | b"BBQ"
    )
}

fn is_icd9_qualifier(q: &[u8]) -> bool {
    matches!(q, b"BK" | b"BF" | b"BJ" | b"PR" | b"BN" | b"BR" | b"BQ")
}

/// Z55.0 .. Z65.9: the range the code tables date.
pub fn is_sdoh_z_code(code: &[u8]) -> bool {
    let head = &code[..code.len().min(3)];
    head >= &b"Z55"[..] && head < &b"Z66"[..]
}

fn digits(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_digit)
}

fn icd10(code: &[u8]) -> bool {
    // A letter, a digit, a letter or digit, then up to four more.
    let alnum = |b: &u8| b.is_ascii_digit() || b.is_ascii_uppercase();
    (3..=7).contains(&code.len())
        && code[0].is_ascii_uppercase()
        && code[1].is_ascii_digit()
        && code[2..].iter().all(alnum)
}

fn icd9(code: &[u8]) -> bool {
    match code {
        [b'V', rest @ ..] => (2..=4).contains(&rest.len()) && digits(rest),
        [b'E', rest @ ..] => (3..=4).contains(&rest.len()) && digits(rest),
        _ => (3..=5).contains(&code.len()) && digits(code),
    }
}

/// (rule, message) when a diagnosis code does not look like its code system.
pub fn diagnosis_format_problem(
    qualifier: &[u8],
    code: &[u8],
) -> Option<(&'static str, &'static str)> {
    if is_icd10_qualifier(qualifier) {
        if code.contains(&b'.') {
            return Some((
                "icd10-format",
                "ICD-10-CM codes are sent without the decimal point",
            ));
        }
        if !icd10(code) {
            return Some((
                "icd10-format",
                "not an ICD-10-CM code (a letter, a digit, then 1 to 5 letters or digits)",
            ));
        }
    } else if is_icd9_qualifier(qualifier) && !icd9(code) {
        return Some(("icd9-format", "not an ICD-9-CM code"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npis() {
        // 1234567893 is the CMS example of a valid NPI.
        assert_eq!(npi_problem(b"1234567893"), None);
        assert!(npi_problem(b"1234567890").unwrap().contains("check digit"));
        assert_eq!(npi_problem(b"123456789"), Some("an NPI must be 10 digits"));
        assert_eq!(
            npi_problem(b"12345678\xb23"),
            Some("an NPI must be 10 digits")
        );
    }

    #[test]
    fn dates() {
        assert_eq!(parse_day(b"20240229"), Some(2024_02_29));
        assert_eq!(parse_day(b"20230229"), None);
        assert_eq!(parse_day(b"00010101"), Some(1_01_01));
        assert_eq!(parse_day(b"00000101"), None);
        assert_eq!(parse_day(b"20241301"), None);
        assert_eq!(parse_day(b"20240101-20240105"), Some(2024_01_01));
        assert_eq!(parse_day(b"2024011"), None);
        assert_eq!(next_day(2024_02_28), 2024_02_29);
        assert_eq!(next_day(2023_02_28), 2023_03_01);
        assert_eq!(next_day(2024_12_31), 2025_01_01);
        assert_eq!(iso(2025_01_01), "2025-01-01");
    }

    #[test]
    fn diagnosis_formats() {
        assert_eq!(diagnosis_format_problem(b"ABK", b"Z590"), None);
        assert_eq!(
            diagnosis_format_problem(b"ABK", b"Z59.0").unwrap().0,
            "icd10-format"
        );
        assert_eq!(
            diagnosis_format_problem(b"ABF", b"Z5").unwrap().0,
            "icd10-format"
        );
        assert_eq!(
            diagnosis_format_problem(b"ABF", b"Z59012345").unwrap().0,
            "icd10-format"
        );
        assert_eq!(diagnosis_format_problem(b"BK", b"V7231"), None);
        assert_eq!(diagnosis_format_problem(b"BK", b"E8881"), None);
        assert_eq!(diagnosis_format_problem(b"BK", b"4019"), None);
        assert_eq!(
            diagnosis_format_problem(b"BK", b"40"),
            Some(("icd9-format", "not an ICD-9-CM code"))
        );
        assert_eq!(diagnosis_format_problem(b"XX", b"anything"), None);
        assert!(is_sdoh_z_code(b"Z590") && is_sdoh_z_code(b"Z659") && !is_sdoh_z_code(b"Z660"));
        assert!(!is_sdoh_z_code(b"Z5"));
    }

    #[test]
    fn diagnosis_dates() {
        let mut codes = CodeSet::default();
        codes.diagnoses.insert(
            b"Z5941".to_vec(),
            vec![Diagnosis {
                code: "Z59.41".into(),
                start: 2021_10_01,
                end: 2024_09_30,
            }],
        );
        assert_eq!(codes.diagnosis_problem(b"Z5941", 2022_01_01), None);
        assert_eq!(
            codes.diagnosis_problem(b"Z5941", 2024_10_01).unwrap(),
            "diagnosis Z59.41 is not billable for services on or after 2024-10-01"
        );
        assert_eq!(
            codes.diagnosis_problem(b"Z5941", 2021_09_30).unwrap(),
            "diagnosis Z59.41 is not billable before 2021-10-01"
        );
        assert!(codes
            .diagnosis_problem(b"Z599", 2022_01_01)
            .unwrap()
            .contains("not a billable"));
    }
}
