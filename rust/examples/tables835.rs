//! The 835 tables alone, for benchmarks/bench_tables_835.py: a file read in 1 MiB chunks into
//! Arrow batches (rust/src/tables835.rs), every batch dropped. Prints JSON: claims, seconds
//! (the read-and-build loop only, not the process start or the guide tables' load).

use std::io::Read;
use std::time::Instant;

use sdohedi_core::tables835::{Reader, BATCH_CLAIMS};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: tables835 FILE");
        std::process::exit(2);
    };
    let mut reader = Reader::new(BATCH_CLAIMS).unwrap_or_else(|e| {
        eprintln!("the guide tables do not load: {e}");
        std::process::exit(2);
    });
    let start = Instant::now();
    let mut file = std::fs::File::open(&path).unwrap_or_else(|e| {
        eprintln!("cannot open {path}: {e}");
        std::process::exit(2);
    });
    let mut buf = vec![0u8; 1 << 20];
    let mut claims = 0usize;
    loop {
        let n = file.read(&mut buf).unwrap_or_else(|e| {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2);
        });
        if n == 0 {
            break;
        }
        reader.feed(&buf[..n]);
        claims += reader
            .take()
            .iter()
            .map(|b| b.tables[1].num_rows())
            .sum::<usize>();
    }
    claims += reader
        .close()
        .iter()
        .map(|b| b.tables[1].num_rows())
        .sum::<usize>();
    println!(
        "{{\"claims\": {claims}, \"seconds\": {:.6}}}",
        start.elapsed().as_secs_f64()
    );
}
