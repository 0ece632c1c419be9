//! The IBGE municipality codes and states against the real IBGE population estimates (2012–2021).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use atalaia_core::{IBGE_CHECK_DIGIT_EXCEPTIONS, IbgeCode, Uf};

/// One row's `uf`, `cod_uf` and `cod_ibge`.
struct Row {
    uf: String,
    cod_uf: String,
    cod_ibge: String,
}

/// The rows of the committed fixture (every municipality of IBGE's 2012–2021 estimates, see
/// `fixtures/ibge/README.md`).
fn rows() -> Vec<Row> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ibge/municipios.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .unwrap_or_else(|| panic!("column {name} missing"))
    };
    let (uf, cod_uf, cod_ibge) = (col("uf"), col("cod_uf"), col("cod_ibge"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            Row {
                uf: fields[uf].to_owned(),
                cod_uf: fields[cod_uf].to_owned(),
                cod_ibge: fields[cod_ibge].to_owned(),
            }
        })
        .collect()
}

/// The IBGE check-digit rule, written independently of the crate's: weights 1,2,1,2,1,2; products of
/// 10 or more count as the sum of their digits; check = (10 − total mod 10) mod 10.
fn satisfies_rule(code: &str) -> bool {
    let d: Vec<u32> = code.chars().map(|c| c.to_digit(10).unwrap()).collect();
    let total: u32 = (0..6)
        .map(|i| {
            let p = d[i] * if i % 2 == 0 { 1 } else { 2 };
            if p >= 10 { p - 9 } else { p }
        })
        .sum();
    (10 - total % 10) % 10 == d[6]
}

#[test]
fn every_real_municipality_code_parses() {
    let rows = rows();
    let mut codes: BTreeMap<&str, &str> = BTreeMap::new();
    for row in &rows {
        codes.insert(&row.cod_ibge, &row.uf);
    }
    assert_eq!(codes.len(), 5_570);
    for (code, uf) in &codes {
        let parsed = IbgeCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(parsed.as_str(), *code);
        assert_eq!(parsed.uf().as_str(), *uf, "{code}");
        assert_eq!(parsed.uf_code().to_string(), code[..2], "{code}");
    }
    assert_eq!(IbgeCode::parse("5208707").unwrap().uf(), Uf::GO);
}

#[test]
fn exceptions_are_exactly_the_real_codes_failing_the_rule() {
    let rows = rows();
    let failing: BTreeSet<&str> = rows
        .iter()
        .map(|r| r.cod_ibge.as_str())
        .filter(|code| !satisfies_rule(code))
        .collect();
    let exceptions: BTreeSet<&str> = IBGE_CHECK_DIGIT_EXCEPTIONS.into_iter().collect();
    assert_eq!(failing, exceptions);
    assert_eq!(exceptions.len(), 9);
}

#[test]
fn uf_covers_every_state_of_the_file() {
    let rows = rows();
    let pairs: BTreeSet<(&str, &str)> = rows
        .iter()
        .map(|r| (r.uf.as_str(), r.cod_uf.as_str()))
        .collect();
    assert_eq!(pairs.len(), 27);
    for (sigla, code) in &pairs {
        let uf = Uf::parse(sigla).unwrap_or_else(|e| panic!("{sigla}: {e}"));
        assert_eq!(uf.ibge_code().to_string(), *code, "{sigla}");
        assert_eq!(Uf::from_ibge_code(uf.ibge_code()), Some(uf));
    }
    let ours: BTreeSet<(String, String)> = Uf::ALL
        .iter()
        .map(|uf| (uf.as_str().to_owned(), uf.ibge_code().to_string()))
        .collect();
    let theirs: BTreeSet<(String, String)> = pairs
        .iter()
        .map(|(s, c)| ((*s).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(ours, theirs);
}
