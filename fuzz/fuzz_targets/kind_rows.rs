//! Each tabular kind's row parser on arbitrary rows, without the file reader in between: the first byte
//! picks the kind (its low four bits, modulo 10, index `TABULAR`) and whether numbers may use a decimal
//! comma (bit 4); the rest is rows separated by `\n`, fields by `\t`, in the order of the kind's required
//! then optional columns (rows are padded or cut to the header's width, so every row reaches the parser).
#![no_main]
use atalaia_fuzz::{TABULAR, context, parse_rows};
use atalaia_ingest::kinds;
use atalaia_ingest::read::RawRecord;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let kind = TABULAR[usize::from(first & 0x0f) % TABULAR.len()];
    let decimal_comma = first & 0x10 != 0;
    let (required, optional) = kinds::columns(kind);
    let header: Vec<String> = required
        .iter()
        .chain(optional)
        .map(|c| c.to_string())
        .collect();
    let records: Vec<RawRecord> = rest
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| {
            let mut fields: Vec<String> = line
                .split(|&b| b == b'\t')
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            fields.resize(header.len(), String::new());
            RawRecord {
                line: i as u64 + 2,
                fields,
                offset: 0,
            }
        })
        .collect();
    parse_rows(kind, &header, &records, decimal_comma, context());
});
