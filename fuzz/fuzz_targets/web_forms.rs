//! What a browser or a proxy sends the web layer: the sign-in's return path, url-encoded forms, the
//! first field of an upload, forwarded headers, and the forms of the pages. No panic on any input, and
//! the invariants that keep each one safe.
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

    // The page forms: Igesp meetings and decisions, a unit head's seizure (only ever of his unit),
    // the program configuration.
    let _ = fuzzing::meeting_form(a);
    let _ = fuzzing::action_form(a);
    if let Ok(unit) = fuzzing::seizure_form(a, "PM-1BPM") {
        assert_eq!(unit, "PM-1BPM");
    }
    let _ = fuzzing::program_document(&text);

    // An upload's name: never a path, never hidden, never long.
    let name = fuzzing::upload_name(b);
    assert!(!name.is_empty() && !name.starts_with('.'), "{name:?}");
    assert!(!name.contains(['/', '\\']) && name.chars().count() <= 120, "{name:?}");

    // A new login: short, lowercase ASCII, nothing that could be markup or a path.
    if fuzzing::new_login(c) {
        assert!((3..=64).contains(&c.len()));
        assert!(!c.contains(['<', '>', '/', '"', '\'', ' ']), "{c:?}");
    }
});
