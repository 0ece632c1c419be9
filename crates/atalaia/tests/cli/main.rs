//! The command line as scripts use it (contracts.md §1): exit statuses, JSON summary on stdout,
//! messages on stderr, and `serve` answering `/health`.

mod audit;
mod backup;
mod calendar;
mod deploy;
mod evaluate;
mod hotspots;
mod import;
mod ipei;
mod recap;
mod serve;

use std::process::Command;

/// Runs `atalaia ARGS` in `dir`; the test fails with the command's stderr unless it exits 0.
fn succeeds(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let out = atalaia(dir).args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "atalaia {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `atalaia LINE` in `dir`; the test fails unless it exits with `code`.
fn exits(dir: &std::path::Path, line: &str, code: i32) -> std::process::Output {
    let out = atalaia(dir).args(words(line)).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "atalaia {line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A temporary folder holding `files` (name, text).
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// A territories file of one area without outline.
const AREA_X: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"X","name":"X","kind":"aisp"},"geometry":null}]}"#;

/// A command line's words, as typed (none of the tests' arguments holds a space).
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// A TCP port nobody listens on now, for a server the test starts.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn atalaia(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_atalaia"));
    c.current_dir(dir).env_remove("ATALAIA_DATABASE_URL");
    c
}

/// `--help` names the environment variables but never prints their values: the database URL and the
/// SMTP and OIDC secrets may carry passwords (issue 17).
#[test]
fn help_prints_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    for args in [vec!["--help"], vec!["serve", "--help"]] {
        let out = atalaia(dir.path())
            .args(&args)
            .env(
                "ATALAIA_DATABASE_URL",
                "postgres://atalaia:senha-secreta-1@db.interno/atalaia",
            )
            .env("ATALAIA_SMTP_URL", "smtp://u:senha-secreta-2@mail.interno")
            .env("ATALAIA_OIDC_CLIENT_SECRET", "senha-secreta-3")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("ATALAIA_DATABASE_URL"), "{args:?}: {text}");
        assert!(!text.contains("senha-secreta"), "{args:?}: {text}");
    }
}

/// Two CSV texts with the same rows and fields: numbers within 1e-12, other text equal.
fn same_csv(got: &str, expected: &str) {
    let (g, e): (Vec<&str>, Vec<&str>) = (got.lines().collect(), expected.lines().collect());
    assert_eq!(g.len(), e.len(), "{got}");
    for (gl, el) in g.iter().zip(&e) {
        let (gf, ef): (Vec<&str>, Vec<&str>) = (gl.split(',').collect(), el.split(',').collect());
        assert_eq!(gf.len(), ef.len(), "{gl} vs {el}");
        for (a, b) in gf.iter().zip(&ef) {
            match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(x), Ok(y)) => assert!((x - y).abs() < 1e-12, "{gl} vs {el}"),
                _ => assert_eq!(a, b, "{gl} vs {el}"),
            }
        }
    }
}
