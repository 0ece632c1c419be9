//! Front-end files embedded in the binary (`assets/`: our CSS and scripts, and the vendored Leaflet and
//! Chart.js with their licences — see `assets/vendor/README.md`). Nothing is fetched from the internet.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/assets"]
struct Assets;

/// `GET /static/{*path}`.
pub async fn serve(Path(path): Path<String>) -> Response {
    let Some(file) = Assets::get(&path) else {
        return crate::pages::error_page(
            StatusCode::NOT_FOUND,
            "Arquivo não encontrado",
            "O arquivo pedido não faz parte do Atalaia.",
        );
    };
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    let mut resp = file.data.into_owned().into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    resp
}

/// `GET /favicon.ico`: browsers ask for it at the root, before any page names it.
pub async fn favicon() -> Response {
    serve(Path("favicon.ico".to_string())).await
}
