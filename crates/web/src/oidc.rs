//! Sign-in with OpenID Connect (gov.br Login Único is OIDC authorization code + PKCE + nonce), behind the
//! `oidc` cargo feature. Only users an administrator linked to a provider subject (for gov.br, the CPF)
//! get in: roles are granted here, never by the provider. The state, PKCE verifier and nonce of a
//! sign-in in progress are kept in the database for 10 minutes and can be used once.

use atalaia_store::accounts::OidcPending;
use atalaia_store::audit::AuditEvent;
use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, reqwest,
};
use serde::Deserialize;

use crate::guard::{SESSION_COOKIE, client_ip, new_session_expiry};
use crate::pages::error_page;
use crate::security::{random_token, token_hash};
use crate::{AppError, AppState, now_utc};

/// How to reach the provider.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// Issuer URL (discovery at `/.well-known/openid-configuration`).
    pub issuer: String,
    /// Client id registered with the provider.
    pub client_id: String,
    /// Client secret, for confidential clients (never logged).
    pub client_secret: Option<String>,
    /// This application's callback: `https://…/login/govbr/retorno`.
    pub redirect_url: String,
    /// Button text (`Entrar com gov.br`).
    pub label: String,
}

/// A discovered provider.
pub struct Oidc {
    config: OidcConfig,
    metadata: CoreProviderMetadata,
    http: reqwest::Client,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.config.issuer)
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

/// Minutes a sign-in may take at the provider.
const PENDING_MINUTES: i64 = 10;

impl Oidc {
    /// Discovers the provider's endpoints and keys.
    pub async fn discover(config: OidcConfig) -> Result<Oidc, String> {
        let http = reqwest::ClientBuilder::new()
            // Following redirects would open the client to SSRF.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cliente HTTP: {e}"))?;
        let issuer = IssuerUrl::new(config.issuer.clone())
            .map_err(|e| format!("emissor `{}` inválido: {e}", config.issuer))?;
        RedirectUrl::new(config.redirect_url.clone())
            .map_err(|e| format!("URL de retorno `{}` inválida: {e}", config.redirect_url))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| format!("descoberta do provedor {} falhou: {e}", config.issuer))?;
        Ok(Oidc {
            config,
            metadata,
            http,
        })
    }

    /// The button text.
    pub fn label(&self) -> &str {
        &self.config.label
    }

    fn client(
        &self,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        String,
    > {
        let redirect =
            RedirectUrl::new(self.config.redirect_url.clone()).map_err(|e| e.to_string())?;
        Ok(CoreClient::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            self.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }
}

/// Query of `/login/govbr`.
#[derive(Debug, Deserialize, Default)]
pub struct StartQuery {
    proximo: Option<String>,
}

/// Cookie holding the `state` of the sign-in this browser started: the callback is accepted only from
/// the browser that started it (otherwise an attacker could sign a victim into the attacker's account
/// by sending a callback link — login CSRF).
const STATE_COOKIE: &str = "atalaia_govbr";

/// `GET /login/govbr`: sends the browser to the provider.
pub async fn start(
    State(st): State<AppState>,
    requester: Option<axum::Extension<crate::proxy::Client>>,
    Query(q): Query<StartQuery>,
) -> Result<Response, AppError> {
    let Some(oidc) = st.oidc.clone() else {
        return Ok(not_configured());
    };
    let client = oidc.client().map_err(AppError::BadRequest)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let next = crate::pages::login::safe_next(q.proximo.as_deref());
    st.db
        .put_oidc_pending(
            state.secret(),
            &OidcPending {
                verifier: verifier.secret().clone(),
                nonce: nonce.secret().clone(),
                next,
            },
            now_utc(),
        )
        .await?;
    let mut resp = Redirect::to(url.as_str()).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        crate::pages::login::cookie_header(
            crate::pages::login::secure_cookies(&st, requester.as_deref()),
            STATE_COOKIE,
            state.secret(),
            PENDING_MINUTES * 60,
        ),
    );
    Ok(resp)
}

/// Query of the callback.
#[derive(Debug, Deserialize, Default)]
pub struct ReturnQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn refused(status: StatusCode, message: &str) -> Response {
    error_page(status, "Não foi possível entrar com gov.br", message)
}

fn not_configured() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Login gov.br não configurado",
        "Este Atalaia não está ligado a um provedor de identidade. Entre com usuário e senha.",
    )
}

/// `GET /login/govbr/retorno`: finishes the sign-in.
pub async fn finish(State(st): State<AppState>, req: Request) -> Result<Response, AppError> {
    let Some(oidc) = st.oidc.clone() else {
        return Ok(not_configured());
    };
    let ip = client_ip(&req);
    let secure =
        crate::pages::login::secure_cookies(&st, req.extensions().get::<crate::proxy::Client>());
    let Query(q): Query<ReturnQuery> =
        Query::try_from_uri(req.uri()).unwrap_or(Query(ReturnQuery::default()));
    if let Some(e) = q.error {
        return Ok(refused(
            StatusCode::UNAUTHORIZED,
            &format!("O provedor recusou a autenticação ({e})."),
        ));
    }
    let (Some(code), Some(state)) = (q.code, q.state) else {
        return Ok(refused(
            StatusCode::BAD_REQUEST,
            "O retorno do provedor veio sem código ou sem estado.",
        ));
    };
    let started_here = crate::guard::cookie(req.headers(), STATE_COOKIE)
        .is_some_and(|c| crate::security::constant_time_eq(c, &state));
    if !started_here {
        return Ok(refused(
            StatusCode::BAD_REQUEST,
            "Este retorno não corresponde a uma entrada começada neste navegador. Comece de novo.",
        ));
    }
    let now = now_utc();
    let Some(pending) = st
        .db
        .take_oidc_pending(&state, now - chrono::Duration::minutes(PENDING_MINUTES))
        .await?
    else {
        return Ok(refused(
            StatusCode::BAD_REQUEST,
            "Este pedido de entrada expirou ou já foi usado. Comece de novo.",
        ));
    };
    let client = oidc.client().map_err(AppError::BadRequest)?;
    let request = match client.exchange_code(AuthorizationCode::new(code)) {
        Ok(r) => r,
        Err(e) => {
            return Ok(refused(
                StatusCode::BAD_GATEWAY,
                &format!("provedor sem endpoint de token: {e}"),
            ));
        }
    };
    let token = match request
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
        .request_async(&oidc.http)
        .await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "oidc token exchange failed");
            return Ok(refused(
                StatusCode::BAD_GATEWAY,
                "O provedor não confirmou a autenticação.",
            ));
        }
    };
    let Some(id_token) = token.id_token() else {
        return Ok(refused(
            StatusCode::BAD_GATEWAY,
            "O provedor não enviou o token de identidade.",
        ));
    };
    let verifier = client.id_token_verifier();
    let claims = match id_token.claims(&verifier, &Nonce::new(pending.nonce)) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "oidc id token rejected");
            return Ok(refused(
                StatusCode::UNAUTHORIZED,
                "O token de identidade não é válido.",
            ));
        }
    };
    let subject = claims.subject().as_str().to_string();
    let user = st.db.user_by_oidc_subject(&subject).await?;
    let Some(user) = user.filter(|u| u.active) else {
        st.db
            .audit(
                &AuditEvent::new(format!("anon:{ip}"), "auth.login_failed")
                    .details(serde_json::json!({"via": "oidc", "reason": "identidade não vinculada ou usuário desativado"}))
                    .ip(&ip),
                now,
            )
            .await?;
        return Ok(refused(
            StatusCode::FORBIDDEN,
            "Sua identidade gov.br não está vinculada a um usuário ativo do Atalaia. Peça à administração do sistema.",
        ));
    };
    let token = random_token();
    let csrf = random_token();
    let cfg = &st.config;
    st.db
        .create_session(
            &token_hash(&token),
            user.id,
            &csrf,
            now,
            new_session_expiry(now, cfg.session_times),
            &ip,
        )
        .await?;
    st.db
        .audit(
            &AuditEvent::new(format!("user:{}", user.login), "auth.login")
                .details(serde_json::json!({"via": "oidc", "issuer": oidc.config.issuer}))
                .ip(&ip),
            now,
        )
        .await?;
    let mut resp = Redirect::to(&pending.next).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        crate::pages::login::cookie_header(
            secure,
            SESSION_COOKIE,
            &token,
            cfg.session_times.absolute.num_seconds(),
        ),
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        crate::pages::login::cookie_header(secure, STATE_COOKIE, "", 0),
    );
    Ok(resp)
}
