//! What the tokenizer reports: a broken rule, where it was broken, in words that hold no value
//! from the data (element values may be protected health information).

/// A rule of the X12 syntax broken at a segment. `rule` is the slug the Python layer uses
/// (`X12SyntaxError.rule`); `position` the 1-based ordinal of the segment in the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub rule: &'static str,
    pub message: &'static str,
    pub position: Option<u64>,
    pub segment: Option<&'static str>,
}

impl Problem {
    pub fn at(rule: &'static str, message: &'static str, position: u64) -> Self {
        Problem {
            rule,
            message,
            position: Some(position),
            segment: None,
        }
    }

    pub fn in_isa(rule: &'static str, message: &'static str, position: u64) -> Self {
        Problem {
            segment: Some("ISA"),
            ..Problem::at(rule, message, position)
        }
    }
}
