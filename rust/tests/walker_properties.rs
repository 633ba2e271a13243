//! The walker on any segment stream: it never panics, every problem it reports is at the
//! segment being placed, and a placement always names a segment of a guide the core has.

use proptest::prelude::*;
use sdohedi_core::walker::{StructureProblem, Walk};

/// Ids and values the guides care about (envelopes, loop openers, qualifiers), and some they don't.
const IDS: &[&[u8]] = &[
    b"ISA", b"GS", b"ST", b"SE", b"GE", b"IEA", b"BHT", b"HL", b"NM1", b"N3", b"N4", b"REF",
    b"PER", b"SBR", b"PAT", b"CLM", b"HI", b"LX", b"SV1", b"DTP", b"BPR", b"TRN", b"CLP", b"CAS",
    b"SVC", b"PLB", b"AK1", b"AK2", b"IK3", b"IK4", b"CTX", b"IK5", b"AK9", b"STC", b"QTY", b"AMT",
    b"PWK", b"LQ", b"ZZZ", b"nm1", b"", b"N",
];
const VALUES: &[&[u8]] = &[
    b"",
    b"1",
    b"2",
    b"20",
    b"22",
    b"23",
    b"85",
    b"87",
    b"IL",
    b"PR",
    b"QC",
    b"41",
    b"40",
    b"HC",
    b"HP",
    b"FA",
    b"HN",
    b"005010X222A1",
    b"005010X221A1",
    b"005010X231A1",
    b"005010X214",
    b"CT",
    b"AD",
    b"472",
    b"HC:99213",
    b"ABK:Z590",
    b"CO",
    b"0019",
    b"837",
    b"835",
    b"999",
    b"277",
    b":",
    b"\xff",
];

fn segment() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let value = prop_oneof![
        6 => prop::sample::select(VALUES).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 0..6),
    ];
    (
        prop::sample::select(IDS),
        prop::collection::vec(value, 0..20),
    )
        .prop_map(|(id, rest)| {
            let mut els = vec![id.to_vec()];
            els.extend(rest);
            els
        })
}

const GROUPS: &[(&[u8], &[u8])] = &[
    (b"HC", b"005010X222A1"),
    (b"HP", b"005010X221A1"),
    (b"FA", b"005010X231A1"),
    (b"HN", b"005010X214"),
    (b"HC", b"004010"),
];

/// A group header a guide exists for, so that streams get past the envelope often.
fn group() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::sample::select(GROUPS).prop_map(|(f, v)| {
        let mut els: Vec<Vec<u8>> = vec![b"GS".to_vec(), f.to_vec()];
        let middle: [&[u8]; 6] = [b"S", b"R", b"20261102", b"0930", b"1", b"X"];
        els.extend(middle.map(<[u8]>::to_vec));
        els.push(v.to_vec());
        els
    })
}

fn stream() -> impl Strategy<Value = Vec<Vec<Vec<u8>>>> {
    let isa: Vec<Vec<u8>> = b"ISA*00*          *00*          *ZZ*S              *ZZ*R              *261102*0930*^*00501*000000001*0*T*:"
        .split(|&b| b == b'*')
        .map(<[u8]>::to_vec)
        .collect();
    let item = prop_oneof![
        8 => segment(),
        1 => group(),
        1 => Just(isa.clone()),
    ];
    prop::collection::vec(item, 0..300).prop_map(move |mut segs| {
        segs.insert(0, isa.clone());
        segs
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_segment_stream_is_walked_without_panic(segs in stream()) {
        let mut walk = Walk::new().unwrap();
        let tables = walk.tables();
        let mut problems: Vec<StructureProblem> = Vec::new();
        for (i, seg) in segs.iter().enumerate() {
            let position = i as u64 + 1;
            let els: Vec<&[u8]> = seg.iter().map(Vec::as_slice).collect();
            let before = problems.len();
            if let Some(p) = walk.elements(&els, position, &mut problems) {
                let node = &tables.guides[p.guide].segments[p.segment];
                prop_assert_eq!(node.id.as_bytes(), els[0]);
            }
            prop_assert!(problems[before..].iter().all(|p| p.position == position && !p.rule.is_empty()));
        }
        prop_assert_eq!(walk.elements(&[], 0, &mut problems), None);
    }
}
