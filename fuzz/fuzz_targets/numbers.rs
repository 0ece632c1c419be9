//! Number and yes/no parsing of the import edge.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = atalaia_ingest::fields::parse_decimal(s, true);
    let _ = atalaia_ingest::fields::parse_decimal(s, false);
    let _ = atalaia_ingest::fields::parse_int(s, i64::MIN, i64::MAX);
    let _ = atalaia_ingest::fields::parse_bool(s);
    if let Some((a, b)) = s.split_once(',') {
        if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
            let _ = atalaia_core::Wgs84::new(x, y);
        }
    }
});
