//! The CSV/XLSX reader and every tabular kind's row parser on arbitrary file bytes.
#![no_main]
use atalaia_ingest::Kind;
use atalaia_ingest::fields::Columns;
use atalaia_ingest::kinds::{self, Context};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("atalaia-fuzz-{}.csv", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let ctx = Context::default();
    for kind in Kind::ALL {
        if kind == Kind::Territories {
            continue;
        }
        let (required, optional) = kinds::columns(kind);
        let cols: std::cell::OnceCell<Columns> = std::cell::OnceCell::new();
        let _ = atalaia_ingest::read::read_table(
            &path,
            &mut |format, header| {
                let _ = cols.set(Columns::new("fuzz", &header, required, optional, format.decimal_comma())?);
                Ok(())
            },
            &mut |rec| {
                if let Some(c) = cols.get() {
                    if let Ok(row) = c.row(&rec) {
                        let _ = kinds::parse(kind, &row, &ctx);
                    }
                }
                Ok(())
            },
        );
    }
    let _ = std::fs::remove_file(&path);
});
