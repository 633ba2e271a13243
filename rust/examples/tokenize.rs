//! The core tokenizer alone, for benchmarks/bench_tokenizer.py: a file read in 64 KiB chunks,
//! every segment cut into its elements and counted, nothing kept. Prints JSON: segments,
//! elements, seconds (the read-and-tokenize loop only, not the process start).

use std::io::Read;
use std::time::Instant;

use sdohedi_core::tokenizer::Tokenizer;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: tokenize FILE");
        std::process::exit(2);
    };
    let start = Instant::now();
    let mut file = std::fs::File::open(&path).unwrap_or_else(|e| {
        eprintln!("cannot open {path}: {e}");
        std::process::exit(2);
    });
    let mut tok = Tokenizer::new(true);
    let (mut segments, mut elements) = (0u64, 0u64);
    let mut count = |s: sdohedi_core::tokenizer::Segment<'_>| {
        segments += 1;
        elements += s.elements().count() as u64;
    };
    let mut buf = vec![0u8; 1 << 16];
    let outcome = loop {
        match file.read(&mut buf) {
            Ok(0) => break tok.close(&mut count),
            Ok(n) => {
                if let Err(problem) = tok.feed(&buf[..n], &mut count) {
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
    println!(r#"{{"segments": {segments}, "elements": {elements}, "seconds": {seconds}}}"#);
}
