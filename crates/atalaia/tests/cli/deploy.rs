//! `deploy/` as a state would use it, without systemd or a container daemon (neither runs here): the
//! systemd unit's and the Dockerfile's command lines run as they are written, the first administrator
//! is made with `admin create` and signs in, and SIGTERM (what systemd and `docker stop` send) ends the
//! server cleanly.

use super::*;

use std::io::{BufRead, Read, Write};
use std::process::Stdio;

fn deploy_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One HTTP/1.1 exchange with the server on `port`; the raw answer.
fn http(port: u16, request: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    reply
}

fn get(port: u16, path: &str) -> String {
    http(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
    )
}

/// The value of the cookie `name` the reply sets.
fn set_cookie<'a>(reply: &'a str, name: &str) -> &'a str {
    reply
        .lines()
        .filter_map(|l| l.strip_prefix("set-cookie: "))
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no cookie {name} in {reply}"))
}

/// Signs `login` in with `password` through the sign-in form; the reply to the form.
fn sign_in(port: u16, login: &str, password: &str) -> String {
    let form = get(port, "/login");
    let entry = set_cookie(&form, "atalaia_entrada");
    let key = "name=\"csrf_token\" value=\"";
    let at = form.find(key).unwrap() + key.len();
    let csrf = &form[at..at + form[at..].find('"').unwrap()];
    let body = format!("csrf_token={csrf}&login={login}&senha={password}");
    http(
        port,
        &format!(
            "POST /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: atalaia_entrada={entry}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// Runs `argv` (its program replaced by this build's `atalaia`, `/var/lib/atalaia` by `state`, port 8080
/// by a free one) until it logs that it listens; checks `/ready`, signs `admin` in, sends SIGTERM and
/// expects a clean exit.
fn serve_as_written(argv: &[String], state: &std::path::Path, database: &str) {
    let port = free_port();
    assert_eq!(argv[0], "/usr/local/bin/atalaia", "{argv:?}");
    let args: Vec<String> = argv[1..]
        .iter()
        .map(|a| {
            a.replace("/var/lib/atalaia", &state.display().to_string())
                .replace(":8080", &format!(":{port}"))
        })
        .collect();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_atalaia"))
        .args(&args)
        .current_dir(state)
        .env("ATALAIA_DATABASE_URL", database)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    assert!(
        lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.starts_with('{') && l.contains("listening")),
        "{args:?} did not start"
    );
    let ready = get(port, "/ready");
    let signed_in = sign_in(port, "chefe.ti", "uma-senha-bem-longa");
    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    assert!(signed_in.starts_with("HTTP/1.1 303"), "{signed_in}");
    assert!(signed_in.contains("atalaia_sessao="), "{signed_in}");
    assert!(term.success());
    assert!(status.success(), "{args:?} ended with {status} on SIGTERM");
}

#[test]
fn the_unit_and_the_image_run_as_written_and_the_first_admin_signs_in() {
    let state = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/atalaia.db", state.path().display());
    // The first administrator, the password on standard input.
    let admin = |input: &str| {
        let mut child = atalaia(state.path())
            .args([
                "--database",
                &database,
                "admin",
                "create",
                "--login",
                "chefe.ti",
                "--name",
                "Chefe de TI",
                "--institution",
                "SSP-GO",
                "--institution-name",
                "Secretaria de Segurança Pública de Goiás",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let short = admin("curta\n");
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("ao menos 12 caracteres"));
    let made = admin("uma-senha-bem-longa\n");
    assert_eq!(
        made.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(String::from_utf8_lossy(&made.stdout).contains("administrador `chefe.ti` criado"));
    let again = admin("uma-senha-bem-longa\n");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("o login `chefe.ti` já existe"));

    // The systemd unit: confined as the README says, its command line as written.
    let unit = deploy_file("atalaia.service");
    for line in [
        "DynamicUser=yes",
        "StateDirectory=atalaia",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "KillSignal=SIGTERM",
    ] {
        assert!(unit.lines().any(|l| l == line), "the unit lacks {line}");
    }
    let exec: Vec<String> = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    serve_as_written(&exec, state.path(), &database);

    // The image: a non-root user of its own on Debian, its entry point and command as written.
    let docker = deploy_file("Dockerfile");
    assert!(docker.lines().any(|l| l == "FROM debian:bookworm-slim"));
    assert!(docker.lines().any(|l| l == "USER atalaia"));
    let json_of = |key: &str| -> Vec<String> {
        let line = docker
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in the Dockerfile"));
        serde_json::from_str(line).unwrap()
    };
    let mut argv = json_of("ENTRYPOINT ");
    argv.extend(json_of("CMD "));
    let state2 = tempfile::tempdir().unwrap();
    serve_as_written(&argv, state2.path(), &database);
}
