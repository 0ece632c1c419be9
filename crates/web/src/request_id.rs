//! A short code for each request, logged with any failure and shown on the error page, so that a
//! user's report ("código 3f9a1c2e") finds the log line without the page showing internals.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The code of the request being answered, when called while answering one.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(String::clone).ok()
}

/// Gives the request its code for everything that runs while answering it, and sends it back as
/// `X-Request-Id`.
pub async fn layer(req: Request, next: Next) -> Response {
    let mut b = [0u8; 4];
    rand::rng().fill_bytes(&mut b);
    let id = hex::encode(b);
    let mut resp = REQUEST_ID.scope(id.clone(), next.run(req)).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}
