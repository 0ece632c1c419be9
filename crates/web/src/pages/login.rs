//! Signing in and out (platform.md §2): Argon2id passwords, sessions stored in our database, a CSRF
//! token bound to a cookie on the sign-in form itself, rate limiting by login and by address, demo
//! passwords refused off loopback, every attempt in the audit log.

use std::sync::OnceLock;

use askama::Template;
use atalaia_store::audit::AuditEvent;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use crate::guard::{Identity, SESSION_COOKIE, Via, client_ip, cookie, new_session_expiry};
use crate::proxy::Client;
use crate::security::{constant_time_eq, dummy_hash, random_token, token_hash, verify_password};
use crate::{AppError, AppState, now_utc};

/// The longest login accepted (an e-mail address's limit, RFC 5321): a longer one is refused before it
/// is counted, stored or audited.
pub const MAX_LOGIN_BYTES: usize = 254;

/// Failures of one login from every address (in units of the per-pair limit) after which its password is
/// checked at most once per [`throttle_gap`]: many addresses guessing one password share one guess per
/// gap, and nobody can lock the owner out, who waits at most one gap.
const THROTTLE_AFTER_PAIR_LIMITS: i64 = 4;

/// The gap between password checks of a throttled login: 0.5 s doubling with every failure past the
/// threshold, up to a minute (at most 1,440 guesses a day against one login, from any number of
/// addresses).
fn throttle_gap(over: i64) -> chrono::Duration {
    let ms = 500i64 << over.clamp(1, 7);
    chrono::Duration::milliseconds(ms.min(60_000))
}

/// The key an address is counted under: an IPv4 address as it is, an IPv6 address by its /64 (one
/// subscriber's network, inside which a host may take any address it likes).
fn address_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(a)) if a.to_ipv4_mapped().is_none() => {
            let s = a.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(a) => a.to_canonical().to_string(),
        Err(_) => ip.to_string(),
    }
}

/// Verifies a password on the blocking pool, a few at a time: Argon2 takes tens of milliseconds of one
/// core by design, and must not stall the runtime's workers.
async fn check_password(st: &AppState, password: String, hash: String) -> Result<bool, AppError> {
    let _slot = st
        .password_checks
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Cookie that binds the sign-in form's CSRF token (there is no session yet to bind it to).
const LOGIN_CSRF_COOKIE: &str = "atalaia_entrada";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next_q: String,
    next: String,
    login: String,
    error: Option<String>,
    notice: Option<String>,
    oidc: Option<String>,
    demo: Vec<crate::demo_users::DemoLogin>,
}

/// Query of the sign-in page.
#[derive(Debug, Deserialize, Default)]
pub struct LoginQuery {
    proximo: Option<String>,
    saiu: Option<String>,
}

/// Only a page of this application may be the target after signing in (no open redirect): a path
/// that starts with one `/`, with no control character (browsers drop TABs and newlines, so `/\t/x` is
/// `//x`), no backslash (read as `/`), no scheme, no dot segment, and that is one of our `GET` routes;
/// a query string is kept. Anything else goes to the home page.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    let Some(n) = next else {
        return "/".into();
    };
    let path = n.split(['?', '#']).next().unwrap_or_default();
    let ok = n.starts_with('/')
        && !n.starts_with("//")
        && !n.chars().any(|c| c.is_control() || c == '\\')
        && !path.contains(':')
        && !path.to_ascii_lowercase().contains("%2e")
        && !path.split('/').any(|seg| seg == "." || seg == "..")
        && crate::routes::is_get_route(path);
    if ok { n.to_string() } else { "/".into() }
}

/// Whether cookies set for `client` carry `Secure`: always with `--secure-cookies`, and whenever the
/// request came over HTTPS (directly or through a trusted proxy, `crate::proxy`).
pub(crate) fn secure_cookies(st: &AppState, client: Option<&Client>) -> bool {
    st.config.secure_cookies || client.is_some_and(|c| c.https)
}

pub(crate) fn cookie_header(secure: bool, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(feature = "oidc")]
fn oidc_label(st: &AppState) -> Option<String> {
    st.oidc.as_ref().map(|o| o.label().to_string())
}

#[cfg(not(feature = "oidc"))]
fn oidc_label(_: &AppState) -> Option<String> {
    None
}

fn page(
    st: &AppState,
    client: Option<Client>,
    status: StatusCode,
    next: String,
    login: String,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let secure = secure_cookies(st, client.as_ref());
    // Demo logins are public; listing them helps whoever tries the demo on its own machine — the
    // server on loopback and the client local too (not a stranger forwarded by a proxy).
    let local_client = client.is_none_or(|c| c.ip.is_none_or(|a| a.is_loopback()));
    let csrf = random_token();
    let body = LoginPage {
        csrf: csrf.clone(),
        next_q: crate::guard::percent_encode(&next),
        next,
        login,
        error,
        notice,
        oidc: oidc_label(st),
        demo: if st.config.demo && st.config.loopback && local_client {
            crate::demo_users::logins()
        } else {
            Vec::new()
        },
    }
    .render()?;
    let mut resp = (status, Html(body)).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(secure, LOGIN_CSRF_COOKIE, &csrf, 3600),
    );
    Ok(resp)
}

/// `GET /login`.
pub async fn form(
    State(st): State<AppState>,
    Query(q): Query<LoginQuery>,
    client: Option<Extension<Client>>,
    id: Option<Extension<Identity>>,
) -> Result<Response, AppError> {
    let client = client.map(|Extension(c)| c);
    if id.is_some() {
        return Ok(Redirect::to(&safe_next(q.proximo.as_deref())).into_response());
    }
    let notice = q.saiu.map(|_| "Você saiu do sistema.".to_string());
    page(
        &st,
        client,
        StatusCode::OK,
        safe_next(q.proximo.as_deref()),
        String::new(),
        None,
        notice,
    )
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    csrf_token: String,
    login: String,
    senha: String,
    #[serde(default)]
    proximo: Option<String>,
}

/// `POST /login`.
pub async fn submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, AppError> {
    let ip = client_ip(&req);
    let client = req.extensions().get::<Client>().copied();
    let secure = secure_cookies(&st, client.as_ref());
    let Form(f): Form<LoginForm> = match Form::from_request(req, &()).await {
        Ok(f) => f,
        Err(rejection) => {
            let too_large = rejection.status() == StatusCode::PAYLOAD_TOO_LARGE;
            return page(
                &st,
                client,
                if too_large {
                    StatusCode::PAYLOAD_TOO_LARGE
                } else {
                    StatusCode::BAD_REQUEST
                },
                "/".into(),
                String::new(),
                Some(if too_large {
                    "Formulário grande demais.".into()
                } else {
                    "Preencha usuário e senha.".into()
                }),
                None,
            );
        }
    };
    let next = safe_next(f.proximo.as_deref());
    if f.login.len() > MAX_LOGIN_BYTES {
        return page(
            &st,
            client,
            StatusCode::BAD_REQUEST,
            next,
            String::new(),
            Some(format!(
                "Usuário longo demais: até {MAX_LOGIN_BYTES} caracteres."
            )),
            None,
        );
    }
    let login = f.login.trim().to_lowercase();
    let form_ok =
        cookie(&headers, LOGIN_CSRF_COOKIE).is_some_and(|c| constant_time_eq(c, &f.csrf_token));
    if !form_ok {
        return page(
            &st,
            client,
            StatusCode::FORBIDDEN,
            next,
            login,
            Some("O formulário expirou. Tente entrar de novo.".into()),
            None,
        );
    }
    let now = now_utc();
    let cfg = &st.config;
    let since = now - cfg.failure_window;
    let key = address_key(&ip);
    let attempt = st.db.begin_login_attempt(&login, &key, now, since).await?;
    // Counts include this attempt: the limit-th failure is still checked, the next is refused.
    let blocked =
        attempt.pair > cfg.max_failures_per_login || attempt.by_ip > cfg.max_failures_per_ip;
    let over = attempt.by_login - THROTTLE_AFTER_PAIR_LIMITS * cfg.max_failures_per_login;
    let throttled = !blocked
        && over > 0
        && st
            .db
            .login_failures_of(&login, now - throttle_gap(over))
            .await?
            > 1;
    if blocked || throttled {
        st.db.forget_login_attempt(attempt.id).await?;
        // One entry per address and window, not one per try: a flood does not grow the log.
        st.db
            .audit_once_since(
                &AuditEvent::new(format!("anon:{ip}"), "auth.login_blocked")
                    .object(format!("user:{login}"))
                    .details(serde_json::json!({"failures_login_here": attempt.pair,
                        "failures_ip": attempt.by_ip, "failures_login": attempt.by_login}))
                    .ip(&key),
                since,
                now,
            )
            .await?;
        let message = if blocked {
            let minutes = cfg.failure_window.num_minutes();
            format!("Muitas tentativas sem sucesso. Aguarde {minutes} minutos e tente de novo.")
        } else {
            let seconds = throttle_gap(over).num_seconds().max(1);
            format!(
                "Muitas tentativas sem sucesso para este usuário. Aguarde {seconds} segundos e tente de novo."
            )
        };
        return page(
            &st,
            client,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            login,
            Some(message),
            None,
        );
    }
    let user = st.db.user_by_login(&login).await?;
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| {
            static DUMMY: OnceLock<String> = OnceLock::new();
            DUMMY.get_or_init(|| dummy_hash(cfg.password_cost)).clone()
        });
    let password_ok = check_password(&st, f.senha, hash).await?;
    let refusal = match &user {
        None => Some("usuário desconhecido"),
        Some(_) if !password_ok => Some("senha incorreta"),
        Some(u) if !u.active => Some("usuário desativado"),
        Some(u) if u.demo && !(cfg.loopback && is_loopback(&ip)) => {
            Some("usuário de demonstração fora do endereço local")
        }
        Some(_) => None,
    };
    if let Some(why) = refusal {
        st.db
            .audit(
                &AuditEvent::new(format!("anon:{ip}"), "auth.login_failed")
                    .object(format!("user:{login}"))
                    .details(serde_json::json!({"reason": why}))
                    .ip(&ip),
                now,
            )
            .await?;
        let message = if why == "usuário de demonstração fora do endereço local" {
            "Usuários de demonstração só entram a partir do próprio computador em que o Atalaia roda."
        } else {
            "Usuário ou senha incorretos, ou usuário desativado."
        };
        return page(
            &st,
            client,
            StatusCode::UNAUTHORIZED,
            next,
            login,
            Some(message.into()),
            None,
        );
    }
    let Some(user) = user else {
        return Err(AppError::BadRequest("usuário desconhecido".into()));
    };
    st.db.login_attempt_succeeded(attempt.id).await?;
    // Attempts older than a day count for nothing: keep the table small.
    st.db
        .prune_login_attempts(now - chrono::Duration::days(1))
        .await?;
    let token = random_token();
    let csrf = random_token();
    let expires = new_session_expiry(now, cfg.session_times);
    st.db
        .create_session(&token_hash(&token), user.id, &csrf, now, expires, &ip)
        .await?;
    st.db
        .audit(
            &AuditEvent::new(format!("user:{}", user.login), "auth.login").ip(&ip),
            now,
        )
        .await?;
    let mut resp = Redirect::to(&next).into_response();
    let h = resp.headers_mut();
    h.append(
        header::SET_COOKIE,
        cookie_header(
            secure,
            SESSION_COOKIE,
            &token,
            cfg.session_times.absolute.num_seconds(),
        ),
    );
    h.append(
        header::SET_COOKIE,
        cookie_header(secure, LOGIN_CSRF_COOKIE, "", 0),
    );
    Ok(resp)
}

fn is_loopback(ip: &str) -> bool {
    // No address (an in-process test request) counts as local.
    ip.is_empty()
        || ip
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

/// `POST /logout`.
pub async fn logout(
    State(st): State<AppState>,
    client: Option<Extension<Client>>,
    Extension(id): Extension<Identity>,
) -> Result<Response, AppError> {
    if let Via::Session { token_hash, .. } = &id.via {
        st.db.delete_session(token_hash).await?;
        st.db
            .audit(
                &AuditEvent::new(id.actor(), "auth.logout").ip(&id.ip),
                now_utc(),
            )
            .await?;
    }
    let mut resp = Redirect::to("/login?saiu=1").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(
            secure_cookies(&st, client.as_deref()),
            SESSION_COOKIE,
            "",
            0,
        ),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The usual open-redirect vectors (OWASP's cheat sheet and PortSwigger's list), each sent back
    /// home; our own pages kept with their query.
    #[test]
    fn next_stays_on_this_site() {
        for ours in [
            "/",
            "/auditoria?ator=x",
            "/reunioes/12",
            "/zonas-quentes?area=5208707&celula=500",
            "/static/app.css",
        ] {
            assert_eq!(safe_next(Some(ours)), ours);
        }
        for vector in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/%09/evil.example",
            "///evil.example",
            "/\\/evil.example",
            "javascript:alert(1)",
            "/javascript:alert(1)",
            "evil.example",
            "@evil.example",
            "/.evil.example",
            "/nao-existe",
            "/reunioes/",
            "/login/../..//evil.example",
            "/static/../..//evil.example",
            "/static/%2e%2e/%2e%2e//evil.example",
            " /auditoria",
            "",
        ] {
            assert_eq!(safe_next(Some(vector)), "/", "{vector:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
