//! Read and write lossless documents, for benchmarks/bench_document.py: a file read in 64 KiB
//! chunks into one document per transaction set (`split`), or read whole into one document
//! (`whole`), each written back into a buffer. Prints JSON: segments, bytes written, seconds
//! (the read-and-write loop only), peak RSS in MiB (VmHWM, before the check), and whether the
//! bytes written equal the file's (checked after the timing, in a second pass).

use std::io::Read;
use std::time::Instant;

use sdohedi_core::document::{Document, Reader};

fn fail(message: String) -> ! {
    eprintln!("{message}");
    std::process::exit(2);
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Read `path` as the mode says; `sink` gets each document as it is handed out.
fn run(path: &str, split: bool, mut sink: impl FnMut(&Document)) {
    let reader = Reader::new(split).unwrap_or_else(|e| fail(format!("no guide tables: {e}")));
    let mut file =
        std::fs::File::open(path).unwrap_or_else(|e| fail(format!("cannot open {path}: {e}")));
    if !split {
        let mut data = Vec::new();
        file.read_to_end(&mut data)
            .unwrap_or_else(|e| fail(format!("cannot read {path}: {e}")));
        sink(&reader.read(&data));
        return;
    }
    let mut reader = reader;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buf)
            .unwrap_or_else(|e| fail(format!("cannot read {path}: {e}")));
        if n == 0 {
            break;
        }
        let docs = reader
            .feed(&buf[..n])
            .unwrap_or_else(|p| fail(p.rule.into()));
        docs.iter().for_each(&mut sink);
    }
    reader.close().iter().for_each(&mut sink);
}

fn main() {
    let (Some(mode), Some(path)) = (std::env::args().nth(1), std::env::args().nth(2)) else {
        fail("usage: document split|whole FILE".into());
    };
    let split = match mode.as_str() {
        "split" => true,
        "whole" => false,
        _ => fail("mode is split or whole".into()),
    };
    let start = Instant::now();
    let (mut segments, mut written) = (0usize, 0usize);
    let mut out = Vec::new();
    run(&path, split, |doc| {
        out.clear();
        doc.write_into(&mut out);
        segments += doc.segments.len();
        written += out.len();
    });
    let seconds = start.elapsed().as_secs_f64();
    let peak = peak_rss_mb();
    let mut all = Vec::new();
    run(&path, split, |doc| doc.write_into(&mut all));
    let same = std::fs::read(&path).is_ok_and(|data| data == all);
    println!(
        r#"{{"segments": {segments}, "bytes": {written}, "seconds": {seconds}, "peak_rss_mb": {peak:.1}, "same": {same}}}"#
    );
}
