//! What a browser or a proxy sends the web layer: the sign-in's return path, url-encoded forms, the
//! first field of an upload, forwarded headers, the hot-spot form. No panic on any input, and the
//! invariants that keep each one safe.
#![no_main]
use atalaia_web::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\u{1}');
    let a = parts.next().unwrap_or_default();
    let b = parts.next().unwrap_or_default();
    let c = parts.next().unwrap_or_default();

    // The return path stays on this site: one leading slash, no control character, no backslash.
    let next = fuzzing::sign_in_return(a);
    assert!(next.starts_with('/') && !next.starts_with("//"), "{next:?}");
    assert!(!next.chars().any(|c| c.is_control() || c == '\\'), "{next:?}");

    let _ = fuzzing::form_field(a, "csrf_token");
    let _ = fuzzing::form_field(&text, b);

    // The first field of an upload, under any content type.
    if let Some((name, value)) = fuzzing::multipart_first_field(b, data) {
        assert!(!name.is_empty() || value.len() <= data.len());
    }

    // Forwarded headers from a trusted loopback peer: the client is an address of the header or the
    // peer; HTTPS only when the header says so.
    let peer = std::net::IpAddr::from([127, 0, 0, 1]);
    let client = fuzzing::forwarded_client(peer, a, b, &["127.0.0.1/32", c]);
    assert!(client.ip.is_some());
    if client.https {
        assert!(b.to_ascii_lowercase().contains("https"));
    }

    // The hot-spot form: whatever is accepted is within the analysis bounds.
    if let Ok(p) = fuzzing::hotspot_form(a) {
        if let Some(cell) = p.cell {
            assert!((25.0..=50_000.0).contains(&cell), "{cell}");
        }
    }
});
