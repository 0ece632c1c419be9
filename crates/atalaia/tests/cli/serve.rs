//! `serve` as the people who run it see it: `/ready`, `/metrics` read by Prometheus' own text parser
//! (the `prometheus_client` package from PyPI), and logs as one JSON object per line.

use super::*;

use std::io::{BufRead, Read, Write};
use std::process::Stdio;

/// Reads `text` with the Python client's parser and prints each family as `name type samples`.
const PARSE: &str = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(sys.stdin.read()):
    print(f.name, f.type, len(f.samples))
"#;

/// The families Prometheus' parser read from `text`, or `None` when the parser is not installed here
/// (CI installs it and sets `ATALAIA_TEST_REQUIRE_PYTHON_CLIENTS`, which makes its absence a failure).
fn parsed_by_prometheus(text: &str) -> Option<Vec<(String, String, usize)>> {
    let spawned = std::process::Command::new("python3")
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let required = std::env::var_os("ATALAIA_TEST_REQUIRE_PYTHON_CLIENTS").is_some();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) if !required => {
            println!("prometheus parser: not run (python3: {e})");
            return None;
        }
        Err(e) => panic!("python3: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && stderr.contains("No module named 'prometheus_client'") && !required
    {
        println!("prometheus parser: not run (pip install prometheus_client)");
        return None;
    }
    assert!(
        out.status.success(),
        "the parser refused the text: {stderr}\n{text}"
    );
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let w: Vec<&str> = l.split(' ').collect();
                (w[0].to_string(), w[1].to_string(), w[2].parse().unwrap())
            })
            .collect(),
    )
}

#[test]
fn serve_is_ready_exposes_metrics_prometheus_reads_and_logs_json() {
    let dir = dir_with(&[("t.geojson", AREA_X)]);
    succeeds(dir.path(), &["import", "territories", "t.geojson"]);
    let port = free_port();
    let mut child = atalaia(dir.path())
        .args(["--log-format", "json", "serve", "--addr"])
        .arg(format!("127.0.0.1:{port}"))
        .env("ATALAIA_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    // The log line that says it listens is JSON, with the address as a field.
    let listening = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.starts_with('{') && l.contains("listening"))
        .expect("no JSON log line saying the server listens");
    let log: serde_json::Value = serde_json::from_str(&listening).unwrap();
    assert_eq!(log["level"], "INFO", "{log}");
    assert_eq!(log["fields"]["message"], "listening", "{log}");
    assert_eq!(log["fields"]["addr"], format!("127.0.0.1:{port}"), "{log}");

    let get = |path: &str| -> String {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        reply
    };
    let ready = get("/ready");
    get("/login");
    get("/login");
    let metrics = get("/metrics");
    let _ = child.kill();
    let _ = child.wait();

    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    assert!(ready.contains(r#""migrations":"ok""#), "{ready}");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    let body = &metrics[metrics.find("\r\n\r\n").unwrap() + 4..];
    assert!(
        body.contains(r#"atalaia_http_requests_total{method="GET",route="/login",status="200"} 2"#),
        "{body}"
    );
    // The binary's log layer counts the pool's waits: every request above took a connection.
    let waits: f64 = body
        .lines()
        .find_map(|l| l.strip_prefix("atalaia_db_pool_acquire_seconds_count "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(waits >= 3.0, "{body}");
    // The import the command line made before the server started, counted from the database.
    assert!(
        body.contains(r#"atalaia_import_rows_total{kind="territories",fate="inserted"} 1"#),
        "{body}"
    );
    let Some(families) = parsed_by_prometheus(body) else {
        return;
    };
    let kind = |name: &str| {
        families
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, t, _)| t.as_str())
            .unwrap_or_else(|| panic!("{name} not read: {families:?}"))
    };
    assert_eq!(kind("atalaia_http_requests"), "counter");
    assert_eq!(kind("atalaia_http_request_duration_seconds"), "histogram");
    assert_eq!(kind("atalaia_db_pool_connections"), "gauge");
    assert_eq!(kind("atalaia_db_pool_acquire_seconds"), "histogram");
    assert_eq!(kind("atalaia_imports"), "counter");
    assert_eq!(kind("atalaia_import_jobs"), "gauge");
    assert_eq!(kind("atalaia_cycle_steps_overdue"), "gauge");
    println!("prometheus parser: {} families read", families.len());
}
