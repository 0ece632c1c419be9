//! Writes the sample RECAP document (the spec's worked example and a few odd areas) as PDF and XLSX,
//! so anyone can look at them:
//!
//! ```sh
//! cargo run -p atalaia-reports --example sample -- /tmp/recap   # writes /tmp/recap.pdf, /tmp/recap.xlsx
//! pdftoppm -r 60 -png /tmp/recap.pdf /tmp/recap-page
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

#[path = "../tests/it/fixture.rs"]
mod fixture;

fn main() -> ExitCode {
    let Some(base) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("uso: sample CAMINHO (grava CAMINHO.pdf e CAMINHO.xlsx)");
        return ExitCode::from(2);
    };
    let report = fixture::sample_report();
    let doc = fixture::sample_document(&report);
    let outputs = [
        ("pdf", atalaia_reports::recap_pdf(&doc)),
        ("xlsx", atalaia_reports::recap_xlsx(&doc)),
    ];
    for (ext, bytes) in outputs {
        let path = base.with_extension(ext);
        let written = bytes
            .map_err(|e| e.to_string())
            .and_then(|b| std::fs::write(&path, b).map_err(|e| e.to_string()));
        match written {
            Ok(()) => println!("{}", path.display()),
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
