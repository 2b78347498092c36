//! Arbitrary bytes into every row/file parser of xinli-ingest: the first byte picks the parser
//! (canonical kinds as CSV/TSV/JSONL, the presets, the mappings, strict mode), the rest is the file.
//! Errors are fine; panics (including a summary that does not balance) are findings.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&selector, rest)) = data.split_first() {
        let _ = xinli_ingest::parse_bytes_for_fuzzing(selector as usize, rest);
    }
});
