//! OpenID Connect sign-in against a fake provider served in process (discovery, JWKS, authorize, token
//! with PKCE S256 checked, RS256 ID tokens with the nonce), the way gov.br Login Único works.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use atalaia_store::testing::TestDb;
use atalaia_web::AppState;
use atalaia_web::oidc::{Oidc, OidcConfig};
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{
    AccessToken, Audience, EmptyAdditionalClaims, EndUserName, IssuerUrl, JsonWebKeyId, Nonce,
    PrivateSigningKey, StandardClaims, SubjectIdentifier,
};
use sha2::{Digest, Sha256};

use super::*;

const KEY_PEM: &str = include_str!("fixtures/oidc-test-key.pem");
const CLIENT_ID: &str = "atalaia-teste";
const CPF: &str = "52998224725";

#[derive(Clone)]
struct Provider {
    issuer: String,
    /// code → (PKCE challenge, nonce)
    codes: Arc<Mutex<HashMap<String, (String, String)>>>,
    /// The subject the next sign-in authenticates.
    subject: Arc<Mutex<String>>,
}

fn key() -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(KEY_PEM, Some(JsonWebKeyId::new("k1".into()))).unwrap()
}

async fn discovery(State(p): State<Provider>) -> impl IntoResponse {
    axum::Json(serde_json::json!({
        "issuer": p.issuer,
        "authorization_endpoint": format!("{}/authorize", p.issuer),
        "token_endpoint": format!("{}/token", p.issuer),
        "jwks_uri": format!("{}/jwks", p.issuer),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"]
    }))
}

async fn jwks() -> impl IntoResponse {
    axum::Json(CoreJsonWebKeySet::new(vec![key().as_verification_key()]))
}

async fn authorize(
    State(p): State<Provider>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["code_challenge_method"], "S256");
    let code = format!("code-{}", q["state"]);
    p.codes.lock().unwrap().insert(
        code.clone(),
        (q["code_challenge"].clone(), q["nonce"].clone()),
    );
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        q["redirect_uri"], q["state"]
    ))
}

async fn token(
    State(p): State<Provider>,
    Form(f): Form<HashMap<String, String>>,
) -> axum::response::Response {
    let Some((challenge, nonce)) = p.codes.lock().unwrap().remove(&f["code"]) else {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    // PKCE S256: BASE64URL(SHA256(verifier)) must be the challenge sent to /authorize.
    let digest = Sha256::digest(f["code_verifier"].as_bytes());
    let computed = base64url(&digest);
    if computed != challenge {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": "invalid_grant", "error_description": "pkce"})),
        )
            .into_response();
    }
    let now = chrono::Utc::now();
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(p.issuer.clone()).unwrap(),
        vec![Audience::new(CLIENT_ID.into())],
        now + chrono::Duration::minutes(5),
        now,
        StandardClaims::new(SubjectIdentifier::new(p.subject.lock().unwrap().clone()))
            .set_name(Some(EndUserName::new("Bruno Analista".into()).into())),
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(nonce)));
    let access = AccessToken::new("at-123".into());
    let id_token = CoreIdToken::new(
        claims,
        &key(),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        Some(&access),
        None,
    )
    .unwrap();
    axum::Json(serde_json::json!({
        "access_token": access.secret(),
        "token_type": "bearer",
        "expires_in": 300,
        "id_token": id_token.to_string(),
    }))
    .into_response()
}

fn base64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

async fn fake_provider() -> Provider {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let p = Provider {
        issuer,
        codes: Default::default(),
        subject: Arc::new(Mutex::new(CPF.into())),
    };
    let app = axum::Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(p.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    p
}

/// Follows our redirect to the provider's /authorize (as the browser would) and returns the
/// provider's redirect back to us (path and query).
async fn through_provider(location: &str) -> String {
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http.get(location).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "the provider redirects back");
    let back = r.headers()["location"].to_str().unwrap().to_string();
    let at = back.find("/login/govbr/retorno").unwrap();
    back[at..].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_an_openid_connect_provider() {
    let provider = fake_provider().await;
    let t = TestDb::sqlite().await.unwrap();
    atalaia_web::demo_users::ensure(&t.db, PasswordCost::TEST)
        .await
        .unwrap();
    // The administrator linked the analyst to their gov.br identity (the CPF).
    let uid = t.db.user_by_login("analista").await.unwrap().unwrap().id;
    let mut tx = t.db.begin().await.unwrap();
    tx.set_oidc_subject(uid, Some(CPF)).await.unwrap();
    tx.commit().await.unwrap();
    let oidc = Oidc::discover(OidcConfig {
        issuer: provider.issuer.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: Some("segredo-de-teste".into()),
        redirect_url: "http://atalaia.test/login/govbr/retorno".into(),
        label: "Entrar com gov.br".into(),
    })
    .await
    .unwrap();
    let app = App::of_state(AppState::new(t.db.clone(), test_config()).with_oidc(oidc));
    // The sign-in page offers the provider.
    let login = app.get("/login", None).await;
    assert!(login.body.contains("Entrar com gov.br"));

    // Start → provider → back: signed in as the analyst, sent to the page asked for.
    let r = app.get("/login/govbr?proximo=/territorios", None).await;
    assert_eq!(r.status, 303);
    let to_provider = r.location.unwrap();
    assert!(to_provider.starts_with(&format!("{}/authorize?", provider.issuer)));
    assert!(to_provider.contains("code_challenge_method=S256"));
    let started = cookie_pair(&r.set_cookies, "atalaia_govbr");
    let back = through_provider(&to_provider).await;
    // The provider's answer opened in another browser (a link sent to a victim: login CSRF) is
    // refused: the state is bound to the browser that started the sign-in.
    let elsewhere = app.get(&back, None).await;
    assert_eq!(elsewhere.status, 400, "{}", elsewhere.body);
    assert!(
        elsewhere
            .body
            .contains("não corresponde a uma entrada começada neste navegador")
    );
    let r = app.get(&back, Some(&started)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/territorios"));
    let session = cookie_pair(&r.set_cookies, "atalaia_sessao");
    let me = app.get("/api/v1/me", Some(&session)).await;
    let me: serde_json::Value = serde_json::from_str(&me.body).unwrap();
    assert_eq!(me["login"], "analista");

    // The same answer replayed is refused: a state is used once.
    let again = app.get(&back, Some(&started)).await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("expirou ou já foi usado"));

    // A tampered state is refused.
    let r = app
        .get("/login/govbr/retorno?code=x&state=forjado", None)
        .await;
    assert_eq!(r.status, 400);

    // An identity nobody linked gets no session, and the refusal is audited.
    *provider.subject.lock().unwrap() = "11144477735".into();
    let r = app.get("/login/govbr", None).await;
    let started = cookie_pair(&r.set_cookies, "atalaia_govbr");
    let back = through_provider(&r.location.unwrap()).await;
    let r = app.get(&back, Some(&started)).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("não está vinculada"));
    assert!(
        r.set_cookies
            .iter()
            .all(|c| !c.starts_with("atalaia_sessao="))
    );
    let acts: Vec<String> = app
        .db
        .audit_entries(&atalaia_store::audit::AuditFilter {
            action_prefix: Some("auth.".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| format!("{} {} {}", e.actor, e.action, e.details))
        .collect();
    assert_eq!(acts.len(), 2);
    assert!(
        acts[0].starts_with("user:analista auth.login {\"issuer\""),
        "{acts:?}"
    );
    assert!(acts[0].contains("\"via\":\"oidc\""));
    assert!(acts[1].contains("auth.login_failed"), "{acts:?}");
    t.cleanup().await.unwrap();
}

#[test]
fn base64url_matches_rfc_4648() {
    assert_eq!(base64url(b"f"), "Zg");
    assert_eq!(base64url(b"fo"), "Zm8");
    assert_eq!(base64url(b"foo"), "Zm9v");
    assert_eq!(base64url(b"foob"), "Zm9vYg");
    assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
}
