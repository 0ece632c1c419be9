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

/// `atalaia serve` running in a folder on a free port, killed when dropped.
struct Server {
    child: std::process::Child,
    port: u16,
}

impl Server {
    /// Starts `serve` in `dir` and returns once it says where it listens (no sleeping).
    fn start(dir: &std::path::Path) -> Server {
        let port = free_port();
        let mut child = atalaia(dir)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
        let ready = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("Atalaia em http://"));
        assert!(ready, "the server did not announce its address");
        Server { child, port }
    }

    /// The whole reply (status line, headers, body) to `GET path`, or `None` when nobody answers.
    fn get(&self, path: &str) -> Option<String> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut reply = String::new();
        s.read_to_string(&mut reply).ok()?;
        Some(reply)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
