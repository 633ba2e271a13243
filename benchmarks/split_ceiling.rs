//! The compiled ceiling of the benchmarks: a std-only program that reads a file in 64 KiB chunks,
//! cuts it on the segment terminator, cuts each segment on the element separator, counts and
//! keeps nothing. Built with rustc -O by benchmarks/bench_tokenizer.py and benchmarks/compare.py.
//! Prints JSON: segments, elements, seconds (the read-and-cut loop only, not the process start).

use std::io::Read;
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: split FILE");
    let term = b'~';
    let sep = b'*';
    let start = Instant::now();
    let mut file = std::fs::File::open(path).expect("open");
    let mut buf = vec![0u8; 1 << 16];
    let mut rest: Vec<u8> = Vec::new();
    let (mut segments, mut elements) = (0u64, 0u64);
    loop {
        let n = file.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        rest.extend_from_slice(&buf[..n]);
        let Some(end) = rest.iter().rposition(|&b| b == term) else { continue };
        for segment in rest[..end].split(|&b| b == term) {
            segments += 1;
            elements += segment.split(|&b| b == sep).count() as u64;
        }
        rest.drain(..=end);
    }
    let seconds = start.elapsed().as_secs_f64();
    println!("{{\"segments\": {segments}, \"elements\": {elements}, \"seconds\": {seconds}}}");
}
