//! GeoJSON territory features (properties, dates, geometries of any shape).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = atalaia_ingest::territories::parse_feature(&v);
    }
});
