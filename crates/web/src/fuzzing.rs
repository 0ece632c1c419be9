//! Entry points for the fuzz target `web_forms` (`fuzz/`): the parsers of this crate that read what a
//! browser or a proxy sends — query strings, url-encoded forms, the first field of an upload, the
//! sign-in's return path, forwarded headers, and the forms of the pages (hot spots, Igesp meetings and
//! decisions, a unit head's seizure, an upload's file name, a new login, the program's configuration)
//! — callable without a router or a database. Not used by the application itself.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// Where a sign-in may send the browser back to (`pages::login::safe_next`).
pub fn sign_in_return(next: &str) -> String {
    crate::pages::login::safe_next(Some(next))
}

/// The first value of `name` in an url-encoded string, as the guard reads CSRF tokens.
pub fn form_field(text: &str, name: &str) -> Option<String> {
    crate::guard::url_form_field(text, name)
}

/// The boundary of a content type and the first field of a multipart body, as the guard reads an
/// upload's CSRF token.
pub fn multipart_first_field(content_type: &str, body: &[u8]) -> Option<(String, String)> {
    let boundary = crate::guard::multipart_boundary(content_type)?;
    crate::guard::first_part_value(body, &boundary)
}

/// The client a proxy at `peer` forwards with `forwarded_for` and `proto`, given `trusted` blocks
/// (each parsed; unparsable ones are skipped).
pub fn forwarded_client(
    peer: IpAddr,
    forwarded_for: &str,
    proto: &str,
    trusted: &[&str],
) -> crate::proxy::Client {
    let mut h = HeaderMap::new();
    if let Ok(v) = forwarded_for.parse() {
        h.insert("x-forwarded-for", v);
    }
    if let Ok(v) = proto.parse() {
        h.insert("x-forwarded-proto", v);
    }
    let blocks: Vec<crate::proxy::Cidr> = trusted.iter().filter_map(|c| c.parse().ok()).collect();
    crate::proxy::client_of(Some(peer), &h, &blocks)
}

/// The hot-spot form of a query string: `Ok` with the analysis' parameters when it would run.
pub fn hotspot_form(query: &str) -> Result<atalaia_spatial::hotspot::Params, String> {
    let fields: crate::pages::Fields =
        serde_urlencoded::from_str(query).map_err(|e| e.to_string())?;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap_or_default();
    crate::pages::igesp::hotspots::parse_form(&fields, today)
}

/// Fixed "today" of the page forms: the forms compare dates with it.
fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap_or_default()
}

fn fields(query: &str) -> Result<crate::pages::Fields, String> {
    serde_urlencoded::from_str(query).map_err(|e| e.to_string())
}

/// The form of a new Igesp meeting (`POST /reunioes`): `Ok` when it would be scheduled.
pub fn meeting_form(query: &str) -> Result<(), String> {
    crate::pages::igesp::meetings::new_meeting(&fields(query)?, false)
        .map(|_| ())
        .map_err(|e| e.why)
}

/// The form of a decision or action (`POST /reunioes/{id}/decisoes`, `POST /acoes`): `Ok` when it
/// would be recorded.
pub fn action_form(query: &str) -> Result<(), String> {
    crate::pages::igesp::meetings::new_action(&fields(query)?)
        .map(|_| ())
        .map_err(|e| e.why)
}

/// A unit head's seizure form (`POST /ipei/unidade/apreensoes`) for `unit`: the unit of the seizure
/// it would record.
pub fn seizure_form(query: &str, unit: &str) -> Result<String, String> {
    let f: std::collections::BTreeMap<String, String> = fields(query)?.into_iter().collect();
    crate::pages::ipei::unit::seizure_of_form(&f, unit, None, today())
        .map(|s| s.unit_code.to_string())
        .map_err(|e| e.why)
}

/// The name an upload is saved under (`pages::imports::safe_file_name`).
pub fn upload_name(name: &str) -> String {
    crate::pages::imports::safe_file_name(name)
}

/// Whether the administration accepts `login` for a new user.
pub fn new_login(login: &str) -> bool {
    crate::pages::admin::valid_login(login)
}

/// The program configuration the committee pastes (`POST /recap/configuracao`): `Ok` when it would be
/// saved.
pub fn program_document(json: &str) -> Result<(), String> {
    let doc = atalaia_core::program::ProgramDocument::from_json(json).map_err(|e| e.to_string())?;
    doc.validate().map(|_| ()).map_err(|e| e.to_string())
}
