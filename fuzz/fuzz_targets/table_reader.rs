//! The CSV/XLSX reader on arbitrary file bytes, read from memory as an upload is read from disk, then
//! every tabular kind's header matching and row parser on what it read.
#![no_main]
use std::cell::RefCell;

use atalaia_fuzz::{TABULAR, context, parse_rows};
use atalaia_ingest::read::{RawRecord, read_table_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The file is read once; each kind then parses the same records (reading it once per kind would
    // only repeat the reader's work ten times).
    let header: RefCell<Option<(Vec<String>, bool)>> = RefCell::new(None);
    let mut records: Vec<RawRecord> = Vec::new();
    let _ = read_table_bytes(
        data,
        "fuzz.csv",
        &mut |format, h| {
            *header.borrow_mut() = Some((h, format.decimal_comma()));
            Ok(())
        },
        &mut |rec| {
            records.push(rec);
            Ok(())
        },
    );
    let Some((header, decimal_comma)) = header.into_inner() else {
        return;
    };
    for kind in TABULAR {
        parse_rows(kind, &header, &records, decimal_comma, context());
    }
});
