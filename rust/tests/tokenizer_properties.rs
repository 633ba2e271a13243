//! Properties of the tokenizer on any input, with each cut of the segment text (the tokenizer's,
//! the validator's `keep_trailing_blanks`, the readers' `join_lines`): it never panics, and
//! however the bytes are cut it hands out the same segments and stops at the same error.

use proptest::prelude::*;
use sdohedi_core::tokenizer::{Segment, Tokenizer};

const ISA: &[u8] = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261102*0930*^*00501*000000001*0*T*:~";

type Run = (
    Vec<(u64, u64, u64, Vec<u8>)>,
    Option<(&'static str, Option<u64>)>,
    usize,
);

/// `text`: 0 the tokenizer's cut, 1 `keep_trailing_blanks`, 2 `join_lines`, 3 both.
fn run(data: &[u8], cuts: &[usize], strict: bool, text: u8) -> Run {
    // strict also reads a shifted ISA by its separators: both paths under one property
    let mut tok = Tokenizer::new(strict)
        .lenient_isa(strict)
        .keep_trailing_blanks(text & 1 == 1)
        .join_lines(text & 2 == 2);
    let mut out = Vec::new();
    let mut sink = |s: Segment<'_>| out.push((s.position, s.index, s.offset, s.bytes.to_vec()));
    let mut bounds: Vec<usize> = cuts.iter().map(|&c| c % (data.len() + 1)).collect();
    bounds.sort_unstable();
    bounds.push(data.len());
    let mut prev = 0;
    let mut error = None;
    for c in bounds {
        if let Err(p) = tok.feed(&data[prev..c], &mut sink) {
            error = Some((p.rule, p.position));
            break;
        }
        prev = c;
    }
    if error.is_none() {
        error = tok.close(&mut sink).err().map(|p| (p.rule, p.position));
    }
    let findings = tok.findings().len();
    (out, error, findings)
}

/// Streams that look like X12: an ISA, then segment-ish bytes rich in delimiters and blanks.
fn x12ish() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(b"*:^~\r\n \tISAGEN0123|!>\x00\xef\xbb\xbf".to_vec()),
        1 => any::<u8>(),
    ];
    (0..ISA.len(), prop::collection::vec(byte, 0..400)).prop_map(|(keep, tail)| {
        let mut data = ISA[..keep.max(3)].to_vec();
        if keep >= 3 {
            data.extend_from_slice(&ISA[keep..]);
        }
        data.extend(tail);
        data
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_cut_anywhere_never_panic(data in prop::collection::vec(any::<u8>(), 0..600),
                                          cuts in prop::collection::vec(any::<usize>(), 0..8),
                                          strict in any::<bool>(), text in 0u8..4) {
        run(&data, &cuts, strict, text);
    }

    #[test]
    fn the_cuts_do_not_change_the_segments(data in x12ish(),
                                           cuts in prop::collection::vec(any::<usize>(), 0..8),
                                           strict in any::<bool>(), text in 0u8..4) {
        prop_assert_eq!(run(&data, &cuts, strict, text), run(&data, &[], strict, text));
    }

    #[test]
    fn offsets_point_at_the_segments(data in x12ish(), keep in any::<bool>()) {
        for (_, _, offset, bytes) in run(&data, &[], false, u8::from(keep)).0 {
            let at = offset as usize;
            prop_assert_eq!(&data[at..at + bytes.len()], &bytes[..]);
        }
    }

    #[test]
    fn joined_segments_are_the_bytes_there_less_line_breaks(data in x12ish()) {
        // x12ish streams use '*' '^' ':' '~': neither CR nor LF is a delimiter
        for (_, _, offset, bytes) in run(&data, &[], false, 2).0 {
            let there: Vec<u8> = data[offset as usize..]
                .iter()
                .copied()
                .filter(|&c| c != b'\r' && c != b'\n')
                .take(bytes.len())
                .collect();
            prop_assert!(!bytes.contains(&b'\r') && !bytes.contains(&b'\n'));
            prop_assert_eq!(there, bytes);
        }
    }
}
