//! Tokenize and walk, for benchmarks/bench_walker.py: a file read in 64 KiB chunks, every segment
//! placed in its loop by the core walker, counted, nothing kept. Prints JSON: segments, placed
//! (segments with a guide node), problems, seconds (the read-tokenize-walk loop only).

use std::io::Read;
use std::time::Instant;

use sdohedi_core::tokenizer::{Segment, Tokenizer};
use sdohedi_core::walker::Walk;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: walk FILE");
        std::process::exit(2);
    };
    let mut walk = Walk::new().unwrap_or_else(|e| {
        eprintln!("the guide tables do not load: {e}");
        std::process::exit(2);
    });
    let start = Instant::now();
    let mut file = std::fs::File::open(&path).unwrap_or_else(|e| {
        eprintln!("cannot open {path}: {e}");
        std::process::exit(2);
    });
    let mut tok = Tokenizer::new(false).lenient_isa(true);
    let (mut segments, mut placed, mut problems) = (0u64, 0u64, 0u64);
    let mut found = Vec::new();
    let mut sink = |s: Segment<'_>| {
        segments += 1;
        placed += u64::from(walk.segment(&s, &mut found).is_some());
        problems += found.len() as u64;
        found.clear();
    };
    let mut buf = vec![0u8; 1 << 16];
    let outcome = loop {
        match file.read(&mut buf) {
            Ok(0) => break tok.close(&mut sink),
            Ok(n) => {
                if let Err(problem) = tok.feed(&buf[..n], &mut sink) {
                    break Err(problem);
                }
            }
            Err(e) => {
                eprintln!("cannot read {path}: {e}");
                std::process::exit(2);
            }
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    if let Err(problem) = outcome {
        eprintln!(
            "not tokenized: {} at segment {:?}",
            problem.rule, problem.position
        );
        std::process::exit(1);
    }
    println!(
        r#"{{"segments": {segments}, "placed": {placed}, "problems": {problems}, "seconds": {seconds}}}"#
    );
}
