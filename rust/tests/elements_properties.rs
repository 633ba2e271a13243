//! The element checks on any elements against any guide segment: they never panic, every
//! problem names an element of the segment (or the one past its last), and no message holds a
//! value other than a printable code in `invalid-code`.

use proptest::prelude::*;
use sdohedi_core::elements::{segment_problems, CodeLists};
use sdohedi_core::guide::tables;

const VALUES: &[&[u8]] = &[
    b"",
    b"1",
    b"-",
    b".",
    b"-.5",
    b"1.",
    b"D8",
    b"RD8",
    b"TM",
    b"20240229",
    b"240229",
    b"2359",
    b"20240101-20240131",
    b"123456789",
    b"A:B",
    b"A:B:C:D:E:F:G:H",
    b"AB ",
    b"\xa0 ",
    b"\x1d",
    b"\xff",
    b"HC",
    b"FL",
    b"US",
];

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::sample::select(VALUES).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 0..12),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    #[test]
    fn any_elements_give_problems_never_a_panic(
        guide in any::<prop::sample::Index>(),
        segment in any::<prop::sample::Index>(),
        rest in prop::collection::vec(value(), 0..40),
        comp in prop::sample::select(&b":^>\xff"[..]),
    ) {
        let t = tables().unwrap();
        let g = guide.get(&t.guides);
        let node = segment.get(&g.segments);
        let mut els: Vec<&[u8]> = vec![node.id.as_bytes()];
        els.extend(rest.iter().map(Vec::as_slice));
        let mut out = Vec::new();
        segment_problems(node, &els, Some(comp), &CodeLists::default(), &mut out);
        for p in &out {
            let e = p.element.unwrap() as usize;
            prop_assert!(e >= 1 && e <= node.elements.len().max(els.len()) + 1, "{p:?}");
            for v in &rest {
                if v.len() > 3 && p.rule != "invalid-code" {
                    let text: String = v.iter().map(|&b| char::from(b)).collect();
                    prop_assert!(!p.message.contains(&text), "{p:?}");
                }
            }
        }
    }
}
