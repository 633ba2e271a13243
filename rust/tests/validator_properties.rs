//! The validator on any bytes, cut anywhere: it never panics, and the same stream gives the
//! same events however it is cut.

use proptest::prelude::*;
use sdohedi_core::elements::CodeLists;
use std::sync::Arc;

use sdohedi_core::codes::{CodeSet, Procedure};
use sdohedi_core::validator::{Event, Validator};

const ISA: &[u8] = b"ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*P*:~";
const PIECES: &[&[u8]] = &[
    b"GS*HC*A*B*20240101*1200*1*X*005010X222A1~",
    b"GS*HP*A*B*20240101*1200*2*X*005010X221A1~",
    b"ST*837*0001*005010X222A1~",
    b"ST*835*0001~",
    b"BHT*0019*00*1*20240101*1200*CH~",
    b"HL*1**20*1~",
    b"HL*2*1*22*0~",
    b"NM1*85*2*X*****XX*1234567893~",
    b"CLM*A1*100***12:B:1*Y*A*Y*Y~",
    b"LX*1~",
    b"SV1*HC:S5170*100*UN*1***1~",
    b"BPR*I*100*C*ACH~",
    b"CLP*A1*1*100*100**MC*X~",
    b"HI*ABK:Z5941*ABF:Z59.0*BK:40~",
    b"DTP*472*RD8*20240101-20240105~",
    b"DTP*472*D8*2024013~",
    b"SV1*HC:S5170:U1:ZZ*-0.5*UN*1~",
    b"REF*F8*X~",
    b"PRV*PE*PXC*332U00000X~",
    b"CAS*CR*45*12.5**1.2.3~",
    b"SVC*HC:S5170*100*90~",
    b"PLB*1*20241231*WO:X*5*L6*x~",
    b"N1*PE*X*XX*123~",
    b"SE*5*0001~",
    b"GE*1*1~",
    b"IEA*1*000000001~",
    b"~",
    b"*",
    b"\n",
    b"\xff",
];

/// What may come before the ISA: nothing, a byte-order mark (cut anywhere by `run`), or part of one.
const HEADS: &[&[u8]] = &[b"", b"\xef\xbb\xbf", b"\n\xef\xbb\xbf", b"\xef\xbb"];

fn stream() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => prop::sample::select(PIECES).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 0..20),
    ];
    (
        prop::sample::select(HEADS),
        any::<bool>(),
        prop::collection::vec(piece, 0..40),
    )
        .prop_map(|(head, isa, pieces)| {
            let mut out = head.to_vec();
            if isa {
                out.extend(ISA);
            }
            for p in pieces {
                out.extend(p);
            }
            out
        })
}

fn run(data: &[u8], cuts: &[usize]) -> Vec<Event> {
    // One procedure, so the 837P's content checks find codes both in and out of the set.
    let mut codes = CodeSet::default();
    let procedure = Procedure {
        start: 20200101,
        end: 20301231,
        modifiers: vec![b"U1".to_vec()],
    };
    codes.procedures.insert(b"S5170".to_vec(), procedure);
    let mut v =
        Validator::new(CodeLists::default(), Arc::new(codes), vec![b"HC".to_vec()]).unwrap();
    let mut out = Vec::new();
    let mut start = 0;
    let mut cuts = cuts.to_vec();
    cuts.sort_unstable();
    for c in cuts {
        let c = c.min(data.len()).max(start);
        out.extend(v.feed(&data[start..c]));
        start = c;
    }
    out.extend(v.feed(&data[start..]));
    out.extend(v.close());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn any_bytes_give_events_never_a_panic(data in stream(), cuts in prop::collection::vec(0usize..4000, 0..5)) {
        let whole = run(&data, &[]);
        prop_assert_eq!(run(&data, &cuts), whole);
    }
}
