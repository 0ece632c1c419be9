//! Every parser of the domain core, on arbitrary text: none may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = atalaia_core::Month::parse(s);
    let _ = atalaia_core::Quarter::parse(s);
    let _ = atalaia_core::IbgeCode::parse(s);
    let _ = atalaia_core::Cpf::parse(s).map(|c| c.masked());
    let _ = atalaia_core::Registration::parse(s);
    let _ = atalaia_core::BoNumber::parse(s);
    let _ = atalaia_core::TerritoryCode::parse(s);
    let _ = atalaia_core::UnitCode::parse(s);
    let _ = atalaia_core::TerritoryKind::parse(s);
    let _ = atalaia_core::Institution::parse(s);
    let _ = atalaia_core::CrimeCode::parse(s);
    let _ = atalaia_core::dates::parse_date(s);
    let _ = atalaia_core::dates::parse_datetime(s);
});
