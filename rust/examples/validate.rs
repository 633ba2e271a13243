//! The core's validator alone, for profiling: a file fed in 64 KiB chunks, with no code lists
//! and an empty code set (every SV1 procedure code is then a finding). Prints JSON: events, findings, seconds (the read-and-validate loop only).

use std::io::Read;
use std::time::Instant;

use sdohedi_core::elements::CodeLists;
use sdohedi_core::validator::{Event, Validator};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: validate FILE");
        std::process::exit(2);
    };
    let mut v = Validator::new(CodeLists::new(Vec::new()), Default::default(), Vec::new())
        .unwrap_or_else(|e| {
            eprintln!("the guide tables do not load: {e}");
            std::process::exit(2);
        });
    let start = Instant::now();
    let mut file = std::fs::File::open(&path).unwrap_or_else(|e| {
        eprintln!("cannot open {path}: {e}");
        std::process::exit(2);
    });
    let (mut events, mut findings) = (0u64, 0u64);
    let mut count = |evs: Vec<Event>| {
        events += evs.len() as u64;
        findings += evs
            .iter()
            .filter(|e| matches!(e, Event::Finding(_)))
            .count() as u64;
    };
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => count(v.feed(&buf[..n])),
            Err(e) => {
                eprintln!("cannot read {path}: {e}");
                std::process::exit(2);
            }
        }
    }
    count(v.close());
    let seconds = start.elapsed().as_secs_f64();
    println!(r#"{{"events": {events}, "findings": {findings}, "seconds": {seconds}}}"#);
}
