//! The four X12 delimiters, read off the ISA segment that opens each interchange.
//!
//! ISA is fixed width (106 bytes with its terminator), so the delimiters sit at fixed offsets.
//! An ISA whose elements are not at those offsets (fields padded short or long) is refused, or,
//! when the reader asks for it, read by its separators (the tokenizer reports that as a finding).

use crate::problem::Problem;

pub const ISA_LENGTH: usize = 106;
/// How far an ISA read by its separators may run before it is refused.
pub const MAX_ISA_LENGTH: usize = 1024;
pub const BOM: &[u8] = b"\xef\xbb\xbf";
/// Tolerated between segments.
pub const WHITESPACE: &[u8] = b" \t\r\n\x0b\x0c";
/// Tolerated at a stream's end: whitespace, NUL and ^Z padding.
pub const PADDING: &[u8] = b" \t\r\n\x0b\x0c\x00\x1a";

/// Offsets of the separators between ISA01..ISA16 in a fixed-width ISA (besides offset 3).
const ISA_BOUNDARIES: [usize; 15] = [6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delimiters {
    pub element: u8,
    pub component: u8,
    pub repetition: u8,
    pub segment: u8,
}

impl Default for Delimiters {
    fn default() -> Self {
        Delimiters {
            element: b'*',
            component: b':',
            repetition: b'^',
            segment: b'~',
        }
    }
}

/// What the head of an interchange gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Isa {
    /// More bytes are needed to tell.
    NeedMore,
    /// The delimiters; `fixed_width` false when the ISA was read by its separators.
    Read {
        delimiters: Delimiters,
        fixed_width: bool,
    },
}

impl Delimiters {
    /// Four distinct delimiters, none a letter, digit or space (the rules of `x12.Delimiters`).
    pub fn new(
        element: u8,
        component: u8,
        repetition: u8,
        segment: u8,
        position: u64,
    ) -> Result<Self, Problem> {
        let all = [element, component, repetition, segment];
        for (i, a) in all.iter().enumerate() {
            if all[i + 1..].contains(a) {
                return Err(Problem::in_isa(
                    "delimiter-distinct",
                    "delimiters must be four distinct characters",
                    position,
                ));
            }
        }
        if all
            .iter()
            .any(|c| c.is_ascii_alphanumeric() || *c == b' ' || is_latin1_alnum(*c))
        {
            return Err(Problem::in_isa(
                "delimiter-class",
                "a delimiter may not be a letter, digit or space",
                position,
            ));
        }
        Ok(Delimiters {
            element,
            component,
            repetition,
            segment,
        })
    }

    pub fn contains(&self, byte: u8) -> bool {
        [self.element, self.component, self.repetition, self.segment].contains(&byte)
    }
}

/// Latin-1 letters and digits beyond ASCII, which Python's `str.isalnum` also refuses as delimiters:
/// ª ² ³ µ ¹ º ¼ ½ ¾ and the letters À-ÿ but × and ÷.
fn is_latin1_alnum(c: u8) -> bool {
    matches!(c, 0xaa | 0xb2 | 0xb3 | 0xb5 | 0xb9 | 0xba | 0xbc..=0xbe | 0xc0..=0xff)
        && c != 0xd7
        && c != 0xf7
}

/// ISA11 is the repetition separator; 4010 and older put 'U' there, which separates nothing.
fn repetition(isa11: u8, element: u8, component: u8, segment: u8) -> u8 {
    if isa11 != b'U' {
        isa11
    } else if ![element, component, segment].contains(&b'^') {
        b'^'
    } else {
        0x1d
    }
}

/// Read the delimiters of the ISA that `head` starts with (`head` begins "ISA"). `fin`: no more
/// bytes come. `position` is the ordinal the ISA will have. `by_separators`: an ISA off its fixed
/// offsets is read by its separators rather than refused.
pub fn read_isa(
    head: &[u8],
    fin: bool,
    position: u64,
    by_separators: bool,
) -> Result<Isa, Problem> {
    if head.len() < ISA_LENGTH && !fin {
        return Ok(Isa::NeedMore);
    }
    if head.len() >= ISA_LENGTH {
        let el = head[3];
        if ISA_BOUNDARIES.iter().all(|&o| head[o] == el) {
            let (component, segment) = (head[104], head[105]);
            let rep = repetition(head[82], el, component, segment);
            let delimiters = Delimiters::new(el, component, rep, segment, position)?;
            return Ok(Isa::Read {
                delimiters,
                fixed_width: true,
            });
        }
    }
    if !by_separators {
        let message = if head.len() < ISA_LENGTH {
            "ISA segment is truncated"
        } else {
            "ISA elements are not at their fixed positions"
        };
        return Err(Problem::in_isa("isa-fixed-length", message, position));
    }
    read_isa_by_separators(head, fin, position)
}

/// An ISA not at its fixed offsets: the element separator is its fourth byte, ISA16 follows the
/// sixteenth separator and the segment terminator follows ISA16.
fn read_isa_by_separators(head: &[u8], fin: bool, position: u64) -> Result<Isa, Problem> {
    let refuse = |message| Err(Problem::in_isa("isa-fixed-length", message, position));
    let limit = head.len().min(MAX_ISA_LENGTH);
    let complete = Some(limit).filter(|_| limit > 3).and_then(|limit| {
        let el = head[3];
        let mut seps = memchr::memchr_iter(el, &head[3..limit]).map(|i| i + 3);
        let bounds: Vec<usize> = seps.by_ref().take(16).collect();
        (bounds.len() == 16 && bounds[15] + 2 < limit).then_some((el, bounds))
    });
    let Some((el, bounds)) = complete else {
        if fin || head.len() >= MAX_ISA_LENGTH {
            return refuse(if head.len() < ISA_LENGTH {
                "ISA segment is truncated"
            } else {
                "ISA elements are not at their fixed positions"
            });
        }
        return Ok(Isa::NeedMore);
    };
    let (component, segment) = (head[bounds[15] + 1], head[bounds[15] + 2]);
    let isa11 = &head[bounds[10] + 1..bounds[11]];
    let rep = repetition(
        if isa11.len() == 1 { isa11[0] } else { b'U' },
        el,
        component,
        segment,
    );
    match Delimiters::new(el, component, rep, segment, position) {
        Ok(delimiters) => Ok(Isa::Read {
            delimiters,
            fixed_width: false,
        }),
        // A rescue that fails reports what was wrong in the first place.
        Err(_) => refuse("ISA elements are not at their fixed positions"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &[u8] = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261102*0930*^*00501*000000001*0*T*:~";

    fn read(head: &[u8], fin: bool) -> Result<Isa, Problem> {
        read_isa(head, fin, 1, true)
    }

    #[test]
    fn fixed_width() {
        let Ok(Isa::Read {
            delimiters,
            fixed_width,
        }) = read(ISA, false)
        else {
            panic!()
        };
        assert!(fixed_width);
        assert_eq!(delimiters, Delimiters::default());
    }

    #[test]
    fn short_fields_are_read_by_their_separators() {
        let short = b"ISA*00**00**ZZ*S*ZZ*R*261102*0930*^*00501*1*0*T*>!GS";
        let Ok(Isa::Read {
            delimiters,
            fixed_width,
        }) = read(short, true)
        else {
            panic!()
        };
        assert!(!fixed_width);
        assert_eq!((delimiters.component, delimiters.segment), (b'>', b'!'));
        assert_eq!(read(&short[..20], false), Ok(Isa::NeedMore));
        assert_eq!(
            read_isa(short, true, 1, false).unwrap_err().rule,
            "isa-fixed-length"
        );
    }

    #[test]
    fn truncated_and_broken() {
        assert_eq!(read(&ISA[..50], true).unwrap_err().rule, "isa-fixed-length");
        let mut same = ISA.to_vec();
        same[104] = b'~';
        assert_eq!(read(&same, false).unwrap_err().rule, "delimiter-distinct");
        let mut letter = ISA.to_vec();
        letter[104] = b'A';
        assert_eq!(read(&letter, false).unwrap_err().rule, "delimiter-class");
    }

    #[test]
    fn u_is_no_repetition_separator() {
        let mut old = ISA.to_vec();
        old[82] = b'U';
        let Ok(Isa::Read { delimiters, .. }) = read(&old, false) else {
            panic!()
        };
        assert_eq!(delimiters.repetition, b'^');
    }
}
