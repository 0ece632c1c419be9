//! The one permission check. Every route of the router is declared in [`crate::routes::routes`] with an
//! [`Access`]; [`guard`] runs before its handler, resolves who is asking (session cookie, or API key on
//! `/api/`), decides with [`atalaia_core::access::any_allows`], checks the CSRF token of state-changing
//! requests made with a session, and hands the handler an [`Identity`]. Nothing else decides access.

use std::net::SocketAddr;

use atalaia_core::access::{KeyAccess, Permission, Role, any_allows};
use atalaia_store::accounts::{Grant, Scope, UserRecord};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDateTime};

use crate::security::{constant_time_eq, token_hash};
use crate::{AppState, now_utc};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "atalaia_sessao";

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (login page, health, static files, the OpenAPI document).
    Public,
    /// Any signed-in user or API key.
    SignedIn,
    /// A role that grants this permission.
    Perm(Permission),
    /// A client on this machine (loopback, after `proxy` resolved who is behind a trusted proxy), or a
    /// role that grants this permission: what a Prometheus beside the server scrapes without a key.
    LocalOr(Permission),
}

/// How the requester proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser session; carries the session's token hash and CSRF token.
    Session {
        /// SHA-256 of the cookie's token.
        token_hash: String,
        /// The session's CSRF token.
        csrf: String,
    },
    /// An institution's API key.
    ApiKey {
        /// The key's public prefix.
        prefix: String,
        /// What it opens.
        access: KeyAccess,
    },
    /// A user's calendar subscription key: only [`CALENDAR_FEED`], only GET.
    CalendarKey,
}

/// The one path a calendar subscription key opens (calendar applications cannot hold a session).
pub const CALENDAR_FEED: &str = "/reunioes/agenda.ics";

/// Who is asking, handed to handlers by the guard.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The user, for sessions.
    pub user: Option<UserRecord>,
    /// Display name.
    pub name: String,
    /// Roles in force.
    pub roles: Vec<Role>,
    /// Roles with scopes (sessions only; an API key's role is unscoped).
    pub grants: Vec<Grant>,
    /// Institution code.
    pub institution: String,
    /// How they proved it.
    pub via: Via,
    /// Client address.
    pub ip: String,
    /// The primary's WAL position after this session's last write: its pages read a replica only once
    /// it has replayed that far (`AppState::replica`).
    pub wrote_lsn: Option<String>,
}

/// A request as nearly every handler sees it: the application and who asks. One extractor, so a
/// handler's signature names only what is its own (`Ctx { st, id }: Ctx, Path(run): Path<i64>`).
pub struct Ctx {
    /// The application's state.
    pub st: AppState,
    /// The requester, as the guard resolved them.
    pub id: Identity,
}

impl axum::extract::FromRequestParts<AppState> for Ctx {
    type Rejection = crate::AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &AppState,
    ) -> Result<Ctx, crate::AppError> {
        // The guard inserts the identity before any handler behind it runs; a route without it is
        // a route table mistake, not the requester's.
        let id = parts.extensions.get::<Identity>().cloned().ok_or_else(|| {
            crate::AppError::Internal(format!("rota sem identidade: {}", parts.uri.path()))
        })?;
        let mut st = st.clone();
        if matches!(parts.method, Method::GET | Method::HEAD)
            && let Some(replica) = st.replica_for(id.wrote_lsn.as_deref()).await
        {
            st.db = replica;
        }
        Ok(Ctx { st, id })
    }
}

impl Identity {
    /// The actor recorded in the audit log: `user:<login>` or `apikey:<prefix>`.
    pub fn actor(&self) -> String {
        match (&self.via, &self.user) {
            (Via::ApiKey { prefix, .. }, _) => format!("apikey:{prefix}"),
            (Via::Session { .. }, Some(u)) => format!("user:{}", u.login),
            (Via::Session { .. }, None) => "desconhecido".into(),
            (Via::CalendarKey, Some(u)) => format!("calendar:{}", u.login),
            (Via::CalendarKey, None) => "desconhecido".into(),
        }
    }

    /// Whether any of the roles grants `p` (a metrics key has no role: it grants the metrics only).
    pub fn may(&self, p: Permission) -> bool {
        match &self.via {
            Via::ApiKey { access, .. } => access.allows(p),
            _ => any_allows(&self.roles, p),
        }
    }

    /// The requester's roles with their scopes; an API key's role is unscoped.
    fn scoped_roles(&self) -> Vec<(Role, &Scope)> {
        static ALL: Scope = Scope::All;
        match &self.via {
            Via::ApiKey { .. } => self.roles.iter().map(|r| (*r, &ALL)).collect(),
            _ => self.grants.iter().map(|g| (g.role, &g.scope)).collect(),
        }
    }

    /// Where the requester's grants reach for `p` (`atalaia_core::scope`).
    pub fn reach(&self, p: Permission) -> atalaia_core::scope::Reach {
        atalaia_core::scope::Reach::of(self.scoped_roles(), p)
    }

    /// Whether a unit-head grant covers `unit` (an unscoped one covers every unit): the scope of the
    /// unit pages. Scopes narrow a permission, they never grant one.
    pub fn heads_unit(&self, unit: &str) -> bool {
        self.reach(Permission::UnitActs).covers_unit(unit)
    }

    /// Whether the requester may read a whole saved run of RECAP or IPEI (`atalaia_core::scope`).
    pub fn reads_whole_runs(&self) -> bool {
        atalaia_core::scope::reads_whole_runs(self.scoped_roles())
    }

    /// The CSRF token forms must carry (sessions only).
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::ApiKey { .. } | Via::CalendarKey => "",
        }
    }
}

/// Session lifetimes: idle (moved on use) and absolute (from sign-in).
#[derive(Debug, Clone, Copy)]
pub struct SessionTimes {
    /// Expire after this long without a request.
    pub idle: Duration,
    /// Expire this long after sign-in, whatever happens.
    pub absolute: Duration,
}

impl Default for SessionTimes {
    fn default() -> Self {
        SessionTimes {
            idle: Duration::minutes(30),
            absolute: Duration::hours(10),
        }
    }
}

/// The client's address, as `crate::proxy` worked it out (the peer, or the address a trusted proxy
/// forwarded); empty for a request made in process.
pub fn client_ip(req: &Request) -> String {
    match req.extensions().get::<crate::proxy::Client>() {
        Some(c) => c.ip_text(),
        None => req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default(),
    }
}

/// Reads one cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Machine clients' paths: the JSON API and the OGC API (GIS), reached with an API key.
fn is_api(path: &str) -> bool {
    ["/api", "/ogc"]
        .iter()
        .any(|p| path == *p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/')))
}

/// Paths outside `/api/` that machine clients reach with an API key.
const KEYED: [&str; 1] = ["/metrics"];

/// Whether the client is on this machine: it connected from a loopback address and nothing forwarded
/// the request — a proxy on the same machine forwards everyone's requests from loopback, whether or
/// not `--trusted-proxy` names it.
fn is_local(req: &Request) -> bool {
    let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|h| req.headers().contains_key(*h));
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    !forwarded && peer.is_some_and(|ip| ip.is_loopback())
}

/// Resolves the requester from the session cookie (pages and API) or a bearer API key (API only).
pub async fn identify(
    st: &AppState,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    ip: String,
) -> Result<Option<Identity>, crate::AppError> {
    let now = now_utc();
    if (is_api(path) || KEYED.contains(&path))
        && let Some(key) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Ok(st
            .db
            .api_key_by_hash(&token_hash(key.trim()), now)
            .await?
            // A metrics key is nobody anywhere else.
            .filter(|k| k.access != KeyAccess::Metrics || KEYED.contains(&path))
            .map(|k| Identity {
                user: None,
                name: k.name.clone(),
                roles: match k.access {
                    KeyAccess::Role(r) => vec![r],
                    KeyAccess::Metrics => Vec::new(),
                },
                grants: Vec::new(),
                institution: k.institution_code.clone(),
                via: Via::ApiKey {
                    prefix: k.prefix,
                    access: k.access,
                },
                ip,
                wrote_lsn: None,
            }));
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        // A calendar application: its key opens the user's calendar, and nothing else.
        if path == CALENDAR_FEED
            && let Some(key) = query.and_then(|q| url_form_field(q, "chave"))
        {
            return Ok(st
                .db
                .user_by_calendar_key(&token_hash(key.trim()))
                .await?
                .map(|u| Identity {
                    name: u.name.clone(),
                    roles: u.roles(),
                    grants: u.grants.clone(),
                    institution: u.institution_code.clone(),
                    user: Some(u),
                    via: Via::CalendarKey,
                    ip,
                    wrote_lsn: None,
                }));
        }
        return Ok(None);
    };
    let hash = token_hash(token);
    let Some(s) = st.db.session(&hash, now).await? else {
        return Ok(None);
    };
    let times = st.config.session_times;
    if now - s.created_at >= times.absolute {
        st.db.delete_session(&hash).await?;
        return Ok(None);
    }
    // Move the idle expiry at most once a minute, not on every request.
    let new_expiry = (now + times.idle).min(s.created_at + times.absolute);
    if new_expiry - s.expires_at > Duration::minutes(1) {
        st.db.touch_session(&hash, now, new_expiry).await?;
    }
    Ok(Some(Identity {
        name: s.user.name.clone(),
        roles: s.user.roles(),
        grants: s.user.grants.clone(),
        institution: s.user.institution_code.clone(),
        user: Some(s.user),
        via: Via::Session {
            token_hash: hash,
            csrf: s.csrf_token,
        },
        ip,
        wrote_lsn: s.wrote_lsn,
    }))
}

/// Form bodies larger than this are not read for a CSRF token (uploads carry it in a header or the
/// query string): the forms' own limit.
const MAX_FORM_FOR_CSRF: usize = crate::routes::FORM_LIMIT;

/// The guard: runs before every handler with the route's [`Access`].
pub async fn guard(access: Access, st: AppState, req: Request, next: Next) -> Response {
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    match check(access, &st, req).await {
        Ok(req) => {
            let session = match req.extensions().get::<Identity>().map(|i| &i.via) {
                Some(Via::Session { token_hash, .. }) if writes => Some(token_hash.clone()),
                _ => None,
            };
            let resp = next.run(req).await;
            // With a replica, the session's next pages wait for what it just wrote.
            if let (Some(hash), Some(_)) = (session, &st.replica)
                && let Err(e) = st.db.mark_session_wrote(&hash).await
            {
                tracing::error!(error = %e, "recording a session's write position");
            }
            resp
        }
        Err(resp) => resp,
    }
}

async fn check(access: Access, st: &AppState, mut req: Request) -> Result<Request, Response> {
    let path = req.uri().path().to_string();
    // Machine clients' paths answer 401/403 in JSON, never a redirect to the sign-in page.
    let api = is_api(&path) || KEYED.contains(&path.as_str());
    let headers = req.headers().clone();
    let query = req.uri().query().map(str::to_string);
    let identity = identify(st, &path, query.as_deref(), &headers, client_ip(&req))
        .await
        .map_err(|e| e.into_response())?;
    if access == Access::Public || (matches!(access, Access::LocalOr(_)) && is_local(&req)) {
        if let Some(id) = identity {
            req.extensions_mut().insert(id);
        }
        return Ok(req);
    }
    let Some(identity) = identity else {
        return Err(unauthenticated(api, &req));
    };
    if identity.via == Via::CalendarKey && *req.method() != Method::GET {
        return Err(forbidden(api));
    }
    if let Access::Perm(p) | Access::LocalOr(p) = access
        && !identity.may(p)
    {
        return Err(forbidden(api));
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && let Via::Session { csrf, .. } = &identity.via
    {
        let (ok, rebuilt) = csrf_ok(req, csrf).await;
        req = rebuilt;
        if !ok {
            return Err(csrf_refused(api));
        }
    }
    req.extensions_mut().insert(identity);
    Ok(req)
}

/// Checks the CSRF token of a state-changing request: the `X-CSRF-Token` header, the `csrf_token` field
/// of a url-encoded form, or the `csrf_token` field that comes *first* in a multipart upload (read from
/// the start of the stream; the rest of the upload is not buffered). Never from the query string, which
/// ends up in logs and `Referer`s. Cross-site requests (by `Sec-Fetch-Site`) are refused outright.
/// Returns the request with its body restored.
async fn csrf_ok(req: Request, expected: &str) -> (bool, Request) {
    let cross_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site");
    if cross_site {
        return (false, req);
    }
    let from_header = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(t) = from_header {
        return (constant_time_eq(&t, expected), req);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if let Some(boundary) = multipart_boundary(&content_type) {
        return multipart_csrf_ok(req, &boundary, expected).await;
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return (false, req);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_FOR_CSRF).await else {
        return (false, Request::from_parts(parts, Body::empty()));
    };
    let ok = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|s| url_form_field(s, "csrf_token"))
        .is_some_and(|t| constant_time_eq(&t, expected));
    (ok, Request::from_parts(parts, Body::from(bytes)))
}

/// The boundary of a `multipart/form-data` content type.
pub(crate) fn multipart_boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// How much of an upload is read to find its first field.
const MULTIPART_PREFIX: usize = 8 * 1024;

/// Reads the start of a multipart body, up to [`MULTIPART_PREFIX`], checks that its first part is the
/// `csrf_token` field with the expected value, and puts the bytes read back in front of the rest.
async fn multipart_csrf_ok(req: Request, boundary: &str, expected: &str) -> (bool, Request) {
    use futures_util::StreamExt;
    let (parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    let mut prefix: Vec<u8> = Vec::new();
    let mut failed = false;
    while prefix.len() < MULTIPART_PREFIX && first_part_value(&prefix, boundary).is_none() {
        match stream.next().await {
            Some(Ok(chunk)) => prefix.extend_from_slice(&chunk),
            Some(Err(_)) => {
                failed = true;
                break;
            }
            None => break,
        }
    }
    let ok = !failed
        && first_part_value(&prefix, boundary).is_some_and(|(name, value)| {
            name == "csrf_token" && constant_time_eq(&value, expected)
        });
    let head =
        futures_util::stream::once(
            async move { Ok::<_, axum::Error>(axum::body::Bytes::from(prefix)) },
        );
    let body = Body::from_stream(head.chain(stream));
    (ok, Request::from_parts(parts, body))
}

/// The name and value of the first part of a multipart body, once the bytes hold all of it.
pub(crate) fn first_part_value(bytes: &[u8], boundary: &str) -> Option<(String, String)> {
    // The first part is ASCII; a chunk may end inside a character of a later one.
    let text = String::from_utf8_lossy(bytes);
    let open = format!("--{boundary}\r\n");
    let rest = text.strip_prefix(open.as_str())?;
    let (headers, body) = rest.split_once("\r\n\r\n")?;
    let (value, _) = body.split_once(&format!("\r\n--{boundary}"))?;
    let name = headers.lines().find_map(|h| {
        let (k, v) = h.split_once(':')?;
        if !k.trim().eq_ignore_ascii_case("content-disposition") {
            return None;
        }
        v.split(';').find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            (k == "name").then(|| v.trim_matches('"').to_string())
        })
    })?;
    Some((name, value.to_string()))
}

/// The first value of `name` in an `a=1&b=2` string, percent-decoded.
pub(crate) fn url_form_field(s: &str, name: &str) -> Option<String> {
    s.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    fn hex(c: u8) -> Option<u8> {
        (c as char).to_digit(16).map(|d| d as u8)
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let escaped = match (b[i], b.get(i + 1), b.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (escaped, b[i]) {
            (Some(v), _) => {
                out.push(v);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, c) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn unauthenticated(api: bool, req: &Request) -> Response {
    if api {
        let mut r = crate::api::jobs::problem(
            StatusCode::UNAUTHORIZED,
            "Não autenticado",
            "não autenticado: entre com uma sessão ou envie Authorization: Bearer <chave de API>",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
        return r;
    }
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let next = if req.method() == Method::GET {
        target
    } else {
        "/"
    };
    Redirect::to(&format!("/login?proximo={}", percent_encode(next))).into_response()
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn forbidden(api: bool) -> Response {
    if api {
        return crate::api::jobs::problem(
            StatusCode::FORBIDDEN,
            "Acesso negado",
            "acesso negado: seu papel não permite esta operação",
        );
    }
    crate::pages::error_page(
        StatusCode::FORBIDDEN,
        "Acesso negado",
        "Seu papel não dá acesso a esta página. Se precisar dele, fale com a administração do sistema.",
    )
}

fn csrf_refused(api: bool) -> Response {
    if api {
        return crate::api::jobs::problem(
            StatusCode::FORBIDDEN,
            "Formulário recusado",
            "token CSRF ausente ou inválido",
        );
    }
    crate::pages::error_page(
        StatusCode::FORBIDDEN,
        "Formulário recusado",
        "O formulário expirou ou não veio desta página. Volte, recarregue a página e envie de novo.",
    )
}

/// When a session started and when it would expire, for a new sign-in at `now`.
pub fn new_session_expiry(now: NaiveDateTime, times: SessionTimes) -> NaiveDateTime {
    now + times.idle.min(times.absolute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_and_cookies() {
        assert_eq!(
            url_form_field("a=1&csrf_token=ab%2Fc+d&b=2", "csrf_token").as_deref(),
            Some("ab/c d")
        );
        assert_eq!(url_form_field("a=1", "csrf_token"), None);
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "x=1; atalaia_sessao=tok; y=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("tok"));
        assert_eq!(percent_encode("/a b?c=d"), "/a%20b%3Fc%3Dd");
    }

    #[test]
    fn the_first_field_of_a_multipart_body() {
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=\"abc\"").as_deref(),
            Some("abc")
        );
        assert_eq!(multipart_boundary("application/json"), None);
        let body = b"--abc\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ntok\r\n--abc\r\nContent-Disposition: form-data; name=\"arquivo\"; filename=\"a.csv\"\r\n\r\n\xff\xfe\r\n--abc--\r\n";
        assert_eq!(
            first_part_value(body, "abc"),
            Some(("csrf_token".into(), "tok".into()))
        );
        // Not yet all of the first part: keep reading.
        assert_eq!(first_part_value(&body[..40], "abc"), None);
        // Another field first: no token.
        let other = b"--abc\r\nContent-Disposition: form-data; name=\"tipo\"\r\n\r\nx\r\n--abc--";
        assert_eq!(
            first_part_value(other, "abc"),
            Some(("tipo".into(), "x".into()))
        );
    }
}
