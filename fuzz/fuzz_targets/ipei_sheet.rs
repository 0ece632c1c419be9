//! A unit head's IPEI seizure spreadsheet (`POST /ipei/unidade/planilha`): any CSV or XLSX bytes, read
//! and parsed as the `seizures` import of that upload reads them — header matched, each row parsed with
//! the head's units as the only ones allowed (crates/ingest load.rs `read_stage`, `units_allowed`).
#![no_main]
use std::cell::OnceCell;

use atalaia_fuzz::head_context;
use atalaia_ingest::Kind;
use atalaia_ingest::fields::Columns;
use atalaia_ingest::kinds;
use atalaia_ingest::read::read_table_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = head_context();
    let (required, optional) = kinds::columns(Kind::Seizures);
    let columns: OnceCell<Columns> = OnceCell::new();
    let _ = read_table_bytes(
        data,
        "apreensoes.csv",
        &mut |format, header| {
            let c = Columns::new(
                "apreensoes.csv",
                &header,
                required,
                optional,
                format.decimal_comma(),
            )?;
            let _ = columns.set(c);
            Ok(())
        },
        &mut |rec| {
            let Some(cols) = columns.get() else {
                return Err(atalaia_ingest::ImportError::NoHeader(
                    "apreensoes.csv".into(),
                ));
            };
            if let Ok(row) = cols.row(&rec) {
                if let Ok(kinds::Parsed::Seizure(s)) = kinds::parse(Kind::Seizures, &row, ctx) {
                    // What the parser promises the store (contracts.md §2): a unit of the head's scope.
                    assert!(
                        atalaia_fuzz::MY_UNITS.contains(&s.unit_code.as_str()),
                        "{s:?}"
                    );
                }
            }
            Ok(())
        },
    );
});
