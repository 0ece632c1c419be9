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

/// Only a path on this site may be the target after signing in (no open redirect).
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
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
    secure: bool,
    status: StatusCode,
    next: String,
    login: String,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let csrf = random_token();
    let body = LoginPage {
        csrf: csrf.clone(),
        next_q: crate::guard::percent_encode(&next),
        next,
        login,
        error,
        notice,
        oidc: oidc_label(st),
        // Demo logins are public; listing them helps whoever tries the demo (loopback only).
        demo: if st.config.demo && st.config.loopback {
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
    let secure = secure_cookies(&st, client.as_deref());
    if id.is_some() {
        return Ok(Redirect::to(&safe_next(q.proximo.as_deref())).into_response());
    }
    let notice = q.saiu.map(|_| "Você saiu do sistema.".to_string());
    page(
        &st,
        secure,
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
    let secure = secure_cookies(&st, req.extensions().get::<Client>());
    let Form(f): Form<LoginForm> = match Form::from_request(req, &()).await {
        Ok(f) => f,
        Err(_) => {
            return page(
                &st,
                secure,
                StatusCode::BAD_REQUEST,
                "/".into(),
                String::new(),
                Some("Preencha usuário e senha.".into()),
                None,
            );
        }
    };
    let next = safe_next(f.proximo.as_deref());
    let login = f.login.trim().to_lowercase();
    let form_ok =
        cookie(&headers, LOGIN_CSRF_COOKIE).is_some_and(|c| constant_time_eq(c, &f.csrf_token));
    if !form_ok {
        return page(
            &st,
            secure,
            StatusCode::FORBIDDEN,
            next,
            login,
            Some("O formulário expirou. Tente entrar de novo.".into()),
            None,
        );
    }
    let now = now_utc();
    let cfg = &st.config;
    let (by_login, by_ip) = st
        .db
        .login_failures_since(&login, &ip, now - cfg.failure_window)
        .await?;
    if by_login >= cfg.max_failures_per_login || by_ip >= cfg.max_failures_per_ip {
        st.db
            .audit(
                &AuditEvent::new(format!("anon:{ip}"), "auth.login_blocked")
                    .object(format!("user:{login}"))
                    .details(serde_json::json!({"failures_login": by_login, "failures_ip": by_ip}))
                    .ip(&ip),
                now,
            )
            .await?;
        let minutes = cfg.failure_window.num_minutes();
        return page(
            &st,
            secure,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            login,
            Some(format!(
                "Muitas tentativas sem sucesso. Aguarde {minutes} minutos e tente de novo."
            )),
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
    let password_ok = verify_password(&f.senha, &hash);
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
        st.db.record_login_attempt(&login, &ip, now, false).await?;
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
            "Usuários de demonstração só entram quando o Atalaia roda no endereço local (127.0.0.1)."
        } else {
            "Usuário ou senha incorretos, ou usuário desativado."
        };
        return page(
            &st,
            secure,
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
    st.db.record_login_attempt(&login, &ip, now, true).await?;
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

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/auditoria?ator=x")), "/auditoria?ator=x");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
