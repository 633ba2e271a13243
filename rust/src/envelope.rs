//! The envelope's trailer rules, one implementation for the validator and the readers: SE01
//! counts the transaction set's segments and SE02 repeats ST02, GE01 counts the group's
//! transaction sets and GE02 repeats GS06, IEA01 counts the functional groups and IEA02 repeats
//! ISA13. Messages state the count expected, never a value of the file.

/// A trailer element that does not say what it must.
#[derive(Debug, PartialEq, Eq)]
pub struct TrailerProblem {
    pub rule: &'static str,
    pub message: String,
    /// The trailer's element (1 the count, 2 the control number).
    pub element: u8,
}

fn problems(
    count: (&[u8], u64, &'static str, String),
    control: (&[u8], &[u8], &'static str, &str),
) -> Vec<TrailerProblem> {
    let mut out = Vec::new();
    let (declared, actual, rule, message) = count;
    if py_int(declared) != Some(i128::from(actual)) {
        out.push(TrailerProblem {
            rule,
            message,
            element: 1,
        });
    }
    let (given, opening, rule, message) = control;
    if given != opening {
        out.push(TrailerProblem {
            rule,
            message: message.to_owned(),
            element: 2,
        });
    }
    out
}

/// SE01 and SE02, for a transaction set of `count` segments (ST to SE inclusive) opened by `st02`.
pub fn se(se01: &[u8], se02: &[u8], count: u64, st02: &[u8]) -> Vec<TrailerProblem> {
    problems(
        (
            se01,
            count,
            "se01-count",
            format!("SE01 should be {count}, the number of segments from ST to SE inclusive"),
        ),
        (se02, st02, "se02-mismatch", "SE02 must repeat ST02"),
    )
}

/// GE01 and GE02, for a group of `transactions` transaction sets opened by `gs06`.
pub fn ge(ge01: &[u8], ge02: &[u8], transactions: u64, gs06: &[u8]) -> Vec<TrailerProblem> {
    problems(
        (
            ge01,
            transactions,
            "ge01-count",
            format!("GE01 should be {transactions}, the number of transaction sets in the group"),
        ),
        (ge02, gs06, "ge02-mismatch", "GE02 must repeat GS06"),
    )
}

/// IEA01 and IEA02, for an interchange of `groups` functional groups opened by `isa13`.
pub fn iea(iea01: &[u8], iea02: &[u8], groups: u64, isa13: &[u8]) -> Vec<TrailerProblem> {
    problems(
        (
            iea01,
            groups,
            "iea01-count",
            format!("IEA01 should be {groups}, the number of functional groups"),
        ),
        (iea02, isa13, "iea02-mismatch", "IEA02 must repeat ISA13"),
    )
}

/// Python's `int(text)` for the texts a count or control number holds (surrounding blanks, a
/// sign, digits with single underscores between them); None when it is not a number.
pub fn py_int(text: &[u8]) -> Option<i128> {
    let space = |b: &u8| matches!(b, 0x09..=0x0d | 0x1c..=0x20 | 0x85 | 0xa0);
    let start = text.iter().position(|b| !space(b))?;
    let end = text.len() - text.iter().rev().position(|b| !space(b))?;
    let t = &text[start..end];
    let (negative, digits) = match t {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, t),
    };
    if digits.is_empty() || digits[0] == b'_' || digits[digits.len() - 1] == b'_' {
        return None;
    }
    let mut n: i128 = 0;
    let mut underscore = false;
    for &b in digits {
        if b == b'_' {
            if underscore {
                return None;
            }
            underscore = true;
            continue;
        }
        underscore = false;
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.saturating_mul(10).saturating_add(i128::from(b - b'0'));
    }
    Some(if negative { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_control_numbers() {
        assert_eq!(se(b"4", b"0001", 4, b"0001"), []);
        assert_eq!(se(b" 4", b"0001", 4, b"0001"), [], "int() takes blanks");
        let rules: Vec<_> = se(b"5", b"0002", 4, b"0001")
            .iter()
            .map(|p| (p.rule, p.element))
            .collect();
        assert_eq!(rules, [("se01-count", 1), ("se02-mismatch", 2)]);
        assert_eq!(
            ge(b"x", b"7", 1, b"7")[0].message,
            "GE01 should be 1, the number of transaction sets in the group"
        );
        assert_eq!(
            iea(b"1", b"000000002", 1, b"000000001")[0].rule,
            "iea02-mismatch"
        );
    }
}
