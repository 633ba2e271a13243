//! Element, composite and syntax-note checks of one segment against its guide segment: every
//! problem with its element and component position, following pyx12's
//! `segment_if.is_valid_errors` (so findings land on the same elements as pyx12's).
//!
//! Values are bytes, one character per byte (latin-1), as the tokenizer gives them. No value
//! appears in a message except a code value in `invalid-code` (a code is not PHI; free text may
//! be), and then only when it is printable ASCII.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex_lite::Regex;

use crate::guide::{code_key, tables, Base, Composite, Element, ElementData, FxMap, Segment};
use crate::text::latin1;

/// One element-level problem. `element` is 1-based in the segment, `component` in its composite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElementProblem<'g> {
    pub rule: &'static str,
    pub element: Option<u32>,
    pub component: Option<u32>,
    pub message: String,
    /// Only for code values (never free text: it may hold PHI).
    pub value: Option<String>,
    pub data_ele: Option<&'g str>,
}

/// External code lists by name (`states`, `country`, `pos`...): pyx12's `codes.xml` and our own
/// place-of-service table, which the Python side holds and hands over once. A list the core
/// was not given accepts every value (pyx12 does the same for a list it lacks).
#[derive(Debug, Default, Clone)]
pub struct CodeLists {
    // Keyed by the tables' list names, looked up for every value of a listed element.
    lists: FxMap<String, Codes>,
}

/// One list's codes, sorted: as [`code_key`]s when every code is short enough, else as bytes.
#[derive(Debug, Clone)]
enum Codes {
    Keys(Vec<u64>),
    Bytes(Vec<Box<[u8]>>),
}

impl CodeLists {
    pub fn new(lists: impl IntoIterator<Item = (String, Vec<Vec<u8>>)>) -> Self {
        let lists = lists
            .into_iter()
            .map(|(name, codes)| {
                let keys: Option<Vec<u64>> = codes.iter().map(|c| code_key(c)).collect();
                let codes = match keys {
                    Some(mut keys) => {
                        keys.sort_unstable();
                        keys.dedup();
                        Codes::Keys(keys)
                    }
                    None => {
                        let mut codes: Vec<Box<[u8]>> =
                            codes.into_iter().map(Vec::into_boxed_slice).collect();
                        codes.sort();
                        codes.dedup();
                        Codes::Bytes(codes)
                    }
                };
                (name, codes)
            })
            .collect();
        CodeLists { lists }
    }

    pub fn accepts(&self, name: &str, value: &[u8]) -> bool {
        self.lists.get(name).is_none_or(|codes| match codes {
            Codes::Keys(keys) => code_key(value).is_some_and(|k| keys.binary_search(&k).is_ok()),
            Codes::Bytes(codes) => codes.binary_search_by(|c| (**c).cmp(value)).is_ok(),
        })
    }
}

// -- data types (the 5010 base standard, as pyx12's `validation` module reads it) -------------

pub const DATE_TYPES: [&str; 4] = ["RD8", "DT", "D8", "D6"];

/// The control characters pyx12 names (a separate error from other invalid characters).
fn control_name(b: u8) -> Option<&'static str> {
    Some(match b {
        0x01 => "SOH",
        0x02 => "STX",
        0x03 => "ETX",
        0x04 => "EOT",
        0x05 => "ENQ",
        0x06 => "ACK",
        0x07 => "BEL",
        0x09 => "HT",
        0x0a => "LF",
        0x0b => "VT",
        0x0c => "FF",
        0x0d => "CR",
        0x11 => "DC1",
        0x12 => "DC2",
        0x13 => "DC3",
        0x14 => "DC4",
        0x15 => "NAK",
        0x16 => "SYN",
        0x17 => "ETB",
        0x1c => "FS",
        0x1d => "GS",
        0x1e => "RS",
        0x1f => "US",
        _ => return None,
    })
}

pub fn control_character(value: &[u8]) -> Option<&'static str> {
    value.iter().find_map(|&b| control_name(b))
}

/// The 5010 extended character set is all of printable ASCII; anything else is invalid.
pub fn has_invalid_character(value: &[u8]) -> bool {
    value.iter().any(|&b| !(0x20..=0x7e).contains(&b))
}

fn all_digits(value: &[u8]) -> bool {
    !value.is_empty() && value.iter().all(u8::is_ascii_digit)
}

/// `-?[0-9]+`
pub fn is_number(value: &[u8]) -> bool {
    all_digits(value.strip_prefix(b"-").unwrap_or(value))
}

/// `-?[0-9]*(\.[0-9]+)?`
pub fn is_decimal(value: &[u8]) -> bool {
    let v = value.strip_prefix(b"-").unwrap_or(value);
    let whole = v.iter().take_while(|b| b.is_ascii_digit()).count();
    match &v[whole..] {
        [] => true,
        [b'.', rest @ ..] => all_digits(rest),
        _ => false,
    }
}

fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |n, &b| n * 10 + u32::from(b - b'0'))
}

/// CCYYMMDD (D8), YYMMDD (D6) or either, or CCYYMMDDHHMM (DT); the day must exist.
pub fn is_date(value: &[u8], data_type: &str) -> bool {
    if (data_type == "D8" && value.len() != 8) || (data_type == "D6" && value.len() != 6) {
        return false;
    }
    if !all_digits(value) || !matches!(value.len(), 6 | 8 | 12) {
        return false;
    }
    let mut full = [0u8; 12];
    let v: &[u8] = if value.len() == 6 {
        full[..2].copy_from_slice(if number(&value[..2]) < 50 {
            b"20"
        } else {
            b"19"
        });
        full[2..8].copy_from_slice(value);
        &full[..8]
    } else {
        value
    };
    let (year, month, day) = (number(&v[..4]), number(&v[4..6]), number(&v[6..8]));
    if year < 1800 || !(1..=12).contains(&month) {
        return false;
    }
    let last = match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    };
    (1..=last).contains(&day) && (v.len() != 12 || is_time(&v[8..12]))
}

/// HHMM, HHMMSS or HHMMSSd..d (at most 8 digits).
pub fn is_time(value: &[u8]) -> bool {
    if !all_digits(value) || value.len() < 4 || value.len() == 5 || value.len() > 8 {
        return false;
    }
    number(&value[..2]) <= 23
        && number(&value[2..4]) <= 59
        && (value.len() == 4 || number(&value[4..6]) <= 59)
}

pub fn is_date_range(value: &[u8]) -> bool {
    match value.iter().position(|&b| b == b'-') {
        Some(i) => is_date(&value[..i], "D8") && is_date(&value[i + 1..], "D8"),
        None => false,
    }
}

/// Is `value` valid as `data_type` (a 1250 format qualifier or a base type)?
pub fn valid_as(value: &[u8], data_type: &str) -> bool {
    match data_type {
        "RD8" => is_date_range(value),
        "DT" | "D8" | "D6" => is_date(value, data_type),
        "TM" => is_time(value),
        "R" => is_decimal(value),
        "AN" | "ID" => !has_invalid_character(value),
        t if t.starts_with('N') => is_number(value),
        _ => false, // an unknown format qualifier (pyx12 does the same)
    }
}

/// Length as the standard counts it for numbers: sign and decimal point excluded.
pub fn numeric_length(value: &[u8]) -> usize {
    value.iter().filter(|&&b| b != b'-' && b != b'.').count()
}

// -- elements -----------------------------------------------------------------------------------

/// Where a simple element sits: its 1-based element and component.
#[derive(Clone, Copy)]
struct Place {
    element: u32,
    component: Option<u32>,
}

fn label(refdes: &str, name: &str) -> String {
    if name.is_empty() {
        refdes.to_owned()
    } else {
        format!("{refdes} ({name})")
    }
}

fn code_hint(rule: &Element) -> String {
    if !rule.codes.is_empty() && rule.codes.len() <= 8 {
        let mut codes: Vec<&str> = rule.codes.iter().map(String::as_str).collect();
        codes.sort_unstable();
        return format!("; expected {}", codes.join(", "));
    }
    match external(rule) {
        Some(name) => format!("; expected a code from the {name} list"),
        None => String::new(),
    }
}

fn external(rule: &Element) -> Option<&str> {
    rule.external.as_deref().filter(|n| !n.is_empty())
}

/// Is `value` one of the element's codes (sorted in the tables: a test holds them to it)?
fn listed(rule: &Element, value: &[u8]) -> bool {
    match &rule.facts.code_keys {
        Some(keys) => code_key(value).is_some_and(|k| keys.binary_search(&k).is_ok()),
        None => rule
            .codes
            .binary_search_by(|c| c.as_bytes().cmp(value))
            .is_ok(),
    }
}

/// What Python's `str.rstrip()` strips from a latin-1 string.
fn is_py_space(b: u8) -> bool {
    matches!(b, 0x09..=0x0d | 0x1c..=0x20 | 0x85 | 0xa0)
}

/// The guides' `regex` patterns, compiled once (Python `re.S` semantics: `.` matches newlines).
fn pattern(source: &str) -> Option<&'static Regex> {
    static PATTERNS: OnceLock<HashMap<String, Regex>> = OnceLock::new();
    PATTERNS
        .get_or_init(|| {
            let mut out = HashMap::new();
            let Ok(t) = tables() else { return out };
            let simple = |e: &ElementData| -> Vec<String> {
                match e {
                    ElementData::Simple(e) => e.regex.iter().cloned().collect(),
                    ElementData::Composite(c) => c
                        .components
                        .iter()
                        .filter_map(|e| e.regex.clone())
                        .collect(),
                }
            };
            for g in &t.guides {
                for s in &g.segments {
                    for src in s.elements.iter().flat_map(simple) {
                        if let Ok(re) = Regex::new(&format!("(?s){src}")) {
                            out.insert(src, re);
                        }
                    }
                }
            }
            out
        })
        .get(source)
}

fn matches_pattern(source: &str, value: &[u8]) -> bool {
    let Some(re) = pattern(source) else {
        return true; // not one of the guides' patterns (or one that does not compile)
    };
    match std::str::from_utf8(value) {
        Ok(text) if value.is_ascii() => re.is_match(text),
        _ => re.is_match(&latin1(value)),
    }
}

/// Is `value` valid as the base data type, and the rule and message when it is not?
fn base_problem(base: Base, value: &[u8]) -> Option<(&'static str, &'static str)> {
    let (valid, rule, message) = match base {
        Base::Text => (
            !has_invalid_character(value),
            "invalid-character",
            "contains a character outside the X12 character set",
        ),
        Base::Decimal => (
            is_decimal(value),
            "invalid-decimal",
            "is not a decimal number (digits, optional '-' and '.')",
        ),
        Base::Number => (is_number(value), "invalid-number", "is not a whole number"),
        Base::Time => (
            is_time(value),
            "invalid-time",
            "is not a valid time (HHMM, HHMMSS)",
        ),
        Base::Date | Base::Date8 | Base::Date6 => {
            let dt = match base {
                Base::Date8 => "D8",
                Base::Date6 => "D6",
                _ => "DT",
            };
            (
                is_date(value, dt),
                "invalid-date",
                "is not a valid date (CCYYMMDD)",
            )
        }
    };
    (!valid).then_some((rule, message))
}

/// The positions (0-based, in `node.elements`) of `node`'s required simple elements: what
/// [`missing_required`] looks at, worked out once per guide segment by a reader.
pub fn required_elements(node: &Segment) -> Vec<usize> {
    node.elements
        .iter()
        .enumerate()
        .filter_map(|(i, spec)| match spec {
            ElementData::Simple(rule) if rule.facts.required => Some(i),
            _ => None,
        })
        .collect()
}

/// Of `node`'s required simple elements (`required`, from [`required_elements`]), those empty in
/// `els` (the id first): rule `element-missing`, as [`segment_problems`] reports them, without its
/// other checks (a reader that keeps the rest of the guide's rules for the validator).
pub fn missing_required<'g>(
    node: &'g Segment,
    required: &[usize],
    els: &[&[u8]],
    out: &mut Vec<ElementProblem<'g>>,
) {
    for &i in required {
        if els.get(i + 1).is_some_and(|v| !v.is_empty()) {
            continue;
        }
        let ElementData::Simple(rule) = &node.elements[i] else {
            continue;
        };
        out.push(ElementProblem {
            rule: "element-missing",
            element: Some(i as u32 + 1),
            component: None,
            message: format!(
                "{} is required but missing",
                label(&rule.refdes, &rule.name)
            ),
            value: None,
            data_ele: Some(rule.data_ele.as_str()),
        });
    }
}

/// An element-level fault, worded by [`report`] (out of the checks' way: most values have none).
#[derive(Clone, Copy)]
enum Fault<'a> {
    Composite,
    Missing,
    NotUsed,
    TooShort(usize),
    TooLong(usize),
    Control(&'static str),
    TrailingSpaces,
    Code,
    Base(&'static str, &'static str),
    Qualified(&'a [&'a str]),
    Pattern,
}

#[cold]
#[inline(never)]
fn report<'g>(
    out: &mut Vec<ElementProblem<'g>>,
    rule: &'g Element,
    at: Place,
    value: &[u8],
    fault: Fault<'_>,
) {
    let name = label(&rule.refdes, &rule.name);
    let mut shown = None;
    let (r, message) = match fault {
        Fault::Composite => (
            "invalid-composite",
            format!("{name} is a simple element but holds component separators"),
        ),
        Fault::Missing => ("element-missing", format!("{name} is required but missing")),
        Fault::NotUsed => (
            "element-not-used",
            format!("{name} is marked 'not used' in this implementation guide; remove it"),
        ),
        Fault::TooShort(length) => (
            "element-too-short",
            format!(
                "{name} is {length} characters; the minimum is {}",
                rule.min_len
            ),
        ),
        Fault::TooLong(length) => (
            "element-too-long",
            format!(
                "{name} is {length} characters; the maximum is {}",
                rule.max_len
            ),
        ),
        Fault::Control(ctrl) => (
            "control-character",
            format!("{name} contains a control character ({ctrl})"),
        ),
        Fault::TrailingSpaces => (
            "trailing-spaces",
            format!("{name} has trailing spaces; remove them"),
        ),
        Fault::Code => {
            shown = (!has_invalid_character(value)).then(|| latin1(value));
            let message = format!(
                "{name}: '{}' is not a valid code{}",
                shown.as_deref().unwrap_or("None"),
                code_hint(rule)
            );
            ("invalid-code", message)
        }
        Fault::Base(r, message) => (r, format!("{name} {message}")),
        Fault::Qualified(type_list) => {
            if type_list.contains(&"TM") {
                (
                    "invalid-time",
                    format!("{name} is not a valid time for its format qualifier"),
                )
            } else {
                let types: Vec<&str> = type_list
                    .iter()
                    .copied()
                    .filter(|t| !t.is_empty())
                    .collect();
                (
                    "invalid-date",
                    format!(
                        "{name} is not a valid date for its format qualifier ({})",
                        types.join(" or ")
                    ),
                )
            }
        }
        Fault::Pattern => (
            "pattern-mismatch",
            format!("{name} does not have the required format"),
        ),
    };
    out.push(ElementProblem {
        rule: r,
        element: Some(at.element),
        component: at.component,
        message,
        value: shown,
        data_ele: Some(rule.data_ele.as_str()),
    });
}

fn check_element<'g>(
    rule: &'g Element,
    value: &[u8],
    at: Place,
    comp: Option<u8>,
    lists: &CodeLists,
    type_list: &[&str],
    out: &mut Vec<ElementProblem<'g>>,
) {
    let facts = &rule.facts;
    let mut fault = |f: Fault<'_>| report(out, rule, at, value, f);
    // One pass tells most values apart: printable ASCII without the component separator has no
    // control character, no invalid character and is no composite.
    let sep = comp.unwrap_or(0); // 0 is never printable
    let clean = value
        .iter()
        .all(|&b| (0x20..=0x7e).contains(&b) && b != sep);
    if !clean && at.component.is_none() && comp.is_some_and(|c| value.contains(&c)) {
        return fault(Fault::Composite);
    }
    if value.is_empty() {
        if facts.required {
            fault(Fault::Missing);
        }
        return;
    }
    if facts.not_used {
        return fault(Fault::NotUsed);
    }
    let length = if facts.numeric {
        numeric_length(value)
    } else {
        value.len()
    };
    if length < rule.min_len as usize {
        fault(Fault::TooShort(length));
    }
    if length > rule.max_len as usize {
        fault(Fault::TooLong(length));
    }
    if !clean {
        if let Some(ctrl) = control_character(value) {
            return fault(Fault::Control(ctrl));
        }
    }
    if facts.text && value.last() == Some(&b' ') {
        let kept = value.len() - value.iter().rev().take_while(|&&b| is_py_space(b)).count();
        if kept >= rule.min_len as usize {
            fault(Fault::TrailingSpaces);
        }
    }
    let ext = external(rule);
    if (!rule.codes.is_empty() || ext.is_some())
        && !listed(rule, value)
        && !ext.is_some_and(|n| lists.accepts(n, value))
    {
        fault(Fault::Code);
    }
    // A clean value is printable: valid as text.
    let problem = match facts.base {
        Some(Base::Text) if clean => None,
        Some(base) => base_problem(base, value),
        None => None,
    };
    if let Some((r, message)) = problem {
        fault(Fault::Base(r, message));
    }
    if !type_list.is_empty()
        && !type_list
            .iter()
            .any(|t| !t.is_empty() && valid_as(value, t))
        && (type_list.contains(&"TM") || type_list.iter().any(|t| DATE_TYPES.contains(t)))
    {
        fault(Fault::Qualified(type_list));
    }
    if let Some(src) = &rule.regex {
        if !matches_pattern(src, value) {
            fault(Fault::Pattern);
        }
    }
}

fn check_composite<'g, 'a>(
    rule: &'g Composite,
    value: &'a [u8],
    element: u32,
    comp: Option<u8>,
    lists: &CodeLists,
    out: &mut Vec<ElementProblem<'g>>,
) {
    // Components cut into a stack array: a composite has a handful, and most segments are clean.
    let mut stack: [&[u8]; 16] = [b""; 16];
    let mut n_parts = 0;
    let mut more: Vec<&[u8]> = Vec::new();
    if !value.is_empty() {
        let mut add = |p: &'a [u8]| {
            if n_parts < stack.len() {
                stack[n_parts] = p;
            } else {
                if more.is_empty() {
                    more.extend_from_slice(&stack);
                }
                more.push(p);
            }
            n_parts += 1;
        };
        match comp {
            Some(c) => value.split(|&b| b == c).for_each(&mut add),
            None => add(value),
        }
    }
    let parts: &[&[u8]] = if more.is_empty() {
        &stack[..n_parts]
    } else {
        &more
    };
    let empty = parts.iter().all(|p| p.is_empty());
    let name = || label(&rule.refdes, &rule.name);
    let problem = |r: &'static str, component: Option<u32>, message: String| ElementProblem {
        rule: r,
        element: Some(element),
        component,
        message,
        value: None,
        data_ele: Some(rule.data_ele.as_str()),
    };
    if empty && (rule.usage == "N" || rule.usage == "S") {
        return;
    }
    if rule.usage == "R" && empty {
        out.push(problem(
            "composite-missing",
            None,
            format!("{} is required but missing", name()),
        ));
        return;
    }
    if rule.usage == "N" {
        out.push(problem(
            "composite-not-used",
            None,
            format!(
                "{} is marked 'not used' in this implementation guide; remove it",
                name()
            ),
        ));
        return;
    }
    let defined = rule.components.len();
    if parts.len() > defined {
        out.push(problem(
            "too-many-components",
            Some(defined as u32 + 1),
            format!(
                "{} has {} components; at most {defined} are defined",
                name(),
                parts.len()
            ),
        ));
    }
    for (j, c) in rule.components.iter().enumerate() {
        let at = Place {
            element,
            component: Some(j as u32 + 1),
        };
        let part = parts.get(j).copied().unwrap_or(b"");
        if part.is_empty() && !c.facts.required {
            continue; // an absent component the guide does not require: nothing to check
        }
        check_element(c, part, at, comp, lists, &[], out);
    }
}

fn present(els: &[&[u8]], i: u32) -> bool {
    els.get(i as usize).is_some_and(|e| !e.is_empty())
}

/// The syntax notes of `node` (paired, required, exclusion, conditional, list conditional).
pub fn syntax_problems<'g>(node: &'g Segment, els: &[&[u8]], out: &mut Vec<ElementProblem<'g>>) {
    let sid = node.id.as_str();
    let refs = |idx: &[u32], sep: &str| {
        idx.iter()
            .map(|i| format!("{sid}{i:02}"))
            .collect::<Vec<_>>()
            .join(sep)
    };
    for (code, idx) in &node.syntax {
        let Some(&first) = idx.first() else { continue };
        // Counted first: most segments break no note, and then nothing is allocated.
        let n = idx.iter().filter(|&&i| present(els, i)).count();
        let broken = match code {
            'P' => n > 0 && n < idx.len(),
            'R' => n == 0,
            'E' => n > 1,
            'C' => present(els, first) && n != idx.len(),
            'L' => present(els, first) && n == 1,
            _ => false,
        };
        if !broken {
            continue;
        }
        let absent = |from: &[u32]| from.iter().copied().find(|&i| !present(els, i));
        let (rule, at, message) = match code {
            'P' => (
                "syntax-paired",
                absent(idx),
                format!("{}: if any is present, all are required", refs(idx, ", ")),
            ),
            'R' => (
                "syntax-required",
                Some(first),
                format!("at least one of {} is required", refs(idx, ", ")),
            ),
            'E' => (
                "syntax-exclusive",
                idx.iter().copied().filter(|&i| present(els, i)).nth(1),
                format!("only one of {} may be present", refs(idx, ", ")),
            ),
            'C' => (
                "syntax-conditional",
                absent(&idx[1..]),
                format!(
                    "when {sid}{first:02} is present, {} must be present too",
                    refs(&idx[1..], ", ")
                ),
            ),
            _ => (
                "syntax-list-conditional",
                idx.get(1).copied(),
                format!(
                    "when {sid}{first:02} is present, at least one of {} is required",
                    refs(&idx[1..], " or ")
                ),
            ),
        };
        let Some(at) = at else { continue };
        out.push(ElementProblem {
            rule,
            element: Some(at),
            component: None,
            message,
            value: None,
            data_ele: None,
        });
    }
}

/// Every element-level problem of `els` (the id first) against `node`, in element order, then
/// the syntax notes'. `comp` is the component separator; None for the ISA, which holds it as a value.
pub fn segment_problems<'g>(
    node: &'g Segment,
    els: &[&[u8]],
    comp: Option<u8>,
    lists: &CodeLists,
    out: &mut Vec<ElementProblem<'g>>,
) {
    let count = node.elements.len();
    let n = els.len().saturating_sub(1);
    if n > count {
        out.push(ElementProblem {
            rule: "too-many-elements",
            element: Some(count as u32 + 1),
            component: None,
            message: format!("{} has {n} elements; at most {count} are defined", node.id),
            value: None,
            data_ele: None,
        });
    }
    let is_dtp = node.id == "DTP";
    let mut dtp_type: Option<&str> = None;
    let mut type_list: Vec<&str> = Vec::new();
    let checked = n.min(count).max(node.required_until);
    for (i, spec) in node.elements[..checked].iter().enumerate() {
        let ele = i + 1;
        let value: &[u8] = if ele <= n { els[ele] } else { b"" };
        let e = ele as u32;
        let rule = match spec {
            ElementData::Composite(c) => {
                check_composite(c, value, e, comp, lists, out);
                continue;
            }
            ElementData::Simple(rule) => rule,
        };
        if rule.facts.qualifier {
            // The tables keep codes sorted (`listed` relies on it too).
            type_list.extend(rule.codes.iter().map(String::as_str));
        }
        if value.is_empty() && !rule.facts.required {
            continue; // an absent element the guide does not require: nothing to check
        }
        if ele == 2 && is_dtp {
            if let Some(t) = ["RD8", "D8", "D6", "DT", "TM"]
                .into_iter()
                .find(|t| t.as_bytes() == value)
            {
                dtp_type = Some(t);
            }
        }
        let at = Place {
            element: e,
            component: None,
        };
        let types: &[&str] = if ele == 3 && is_dtp {
            dtp_type.as_slice()
        } else if rule.facts.qualified {
            &type_list
        } else {
            &[]
        };
        check_element(rule, value, at, comp, lists, types, out);
    }
    syntax_problems(node, els, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(map: &str, path: &str) -> &'static Segment {
        let t = tables().unwrap();
        let g = t.guides.iter().find(|g| g.map == map).unwrap();
        &g.segments[g.segment_at(path).unwrap()]
    }

    fn rules(
        node: &'static Segment,
        segment: &[u8],
    ) -> Vec<(&'static str, Option<u32>, Option<u32>)> {
        let els: Vec<&[u8]> = segment.split(|&b| b == b'*').collect();
        let mut out = Vec::new();
        segment_problems(node, &els, Some(b':'), &CodeLists::default(), &mut out);
        out.into_iter()
            .map(|p| (p.rule, p.element, p.component))
            .collect()
    }

    #[test]
    fn data_types_follow_the_standard() {
        assert!(is_date(b"20240229", "D8") && !is_date(b"20230229", "D8"));
        assert!(is_date(b"240229", "DT") && !is_date(b"240229", "D8"));
        assert!(is_date(b"202402291359", "DT") && !is_date(b"202402292460", "DT"));
        assert!(
            is_time(b"2359") && is_time(b"23595999") && !is_time(b"23590") && !is_time(b"2400")
        );
        assert!(
            is_decimal(b"-.5") && is_decimal(b"12") && !is_decimal(b"1.") && !is_decimal(b"1.2.3")
        );
        assert!(is_number(b"-12") && !is_number(b"-") && !is_number(b"1.0"));
        assert!(is_date_range(b"20240101-20240131") && !is_date_range(b"20240101"));
        assert_eq!(numeric_length(b"-12.50"), 4);
        assert_eq!(control_character(b"a\x1db\x07"), Some("GS"));
    }

    #[test]
    fn an_element_is_faulted_at_its_element_and_component() {
        let clm = node(
            "837.5010.X222.A1.xml",
            "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000A/2000B/2300/CLM",
        );
        assert_eq!(rules(clm, b"CLM*A1*100***12:B:1*Y*A*Y*Y"), vec![]);
        assert_eq!(
            rules(clm, b"CLM*A1*1x0***99:B:1*Y*A*Y*Y"),
            vec![("invalid-decimal", Some(2), None)]
        );
        let mut out = Vec::new();
        let els: Vec<&[u8]> = b"CLM*A1*100***12:Q:1:4*Y*A*Y*Y"
            .split(|&b| b == b'*')
            .collect();
        segment_problems(clm, &els, Some(b':'), &CodeLists::default(), &mut out);
        let found: Vec<_> = out
            .iter()
            .map(|p| (p.rule, p.element, p.component))
            .collect();
        assert_eq!(
            found,
            vec![
                ("too-many-components", Some(5), Some(4)),
                ("invalid-code", Some(5), Some(2))
            ]
        );
        assert_eq!(out[1].value.as_deref(), Some("Q"));
    }

    #[test]
    fn a_code_list_holds_exactly_its_codes() {
        let lists = CodeLists::new([
            ("short".to_owned(), vec![b"NY".to_vec(), b"A".to_vec()]),
            (
                "long".to_owned(),
                vec![b"ABCDEFGHIJ".to_vec(), b"Q".to_vec()],
            ),
        ]);
        assert!(lists.accepts("short", b"NY") && lists.accepts("short", b"A"));
        for not in [&b""[..], b"N", b"NY\0", b"\0NY", b"ABCDEFGH"] {
            assert!(!lists.accepts("short", not), "{not:?}");
        }
        assert!(lists.accepts("long", b"ABCDEFGHIJ") && lists.accepts("long", b"Q"));
        assert!(!lists.accepts("long", b"ABCDEFGHI"));
        assert!(lists.accepts("not given", b"anything"));
    }

    #[test]
    fn codes_in_the_tables_are_sorted_for_the_hint() {
        for g in &tables().unwrap().guides {
            for s in &g.segments {
                for e in &s.elements {
                    if let ElementData::Simple(e) = e {
                        assert!(e.codes.windows(2).all(|w| w[0] <= w[1]), "{}", e.refdes);
                    }
                }
            }
        }
    }
}
