//! `/ajuda`: what the statistics and the program's terms on the pages mean, in plain Portuguese for a
//! commander rather than a statistician. Pages link to its sections (`/ajuda#wdd`).

use askama::Template;
use axum::response::Response;

use super::{Chrome, render};
use crate::AppError;
use crate::guard::Ctx;

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    chrome: Chrome,
}

/// `GET /ajuda`.
pub async fn page(Ctx { st, id }: Ctx) -> Result<Response, AppError> {
    render(&HelpPage {
        chrome: Chrome::new(&st, &id, "O que significam os termos", "/ajuda").await,
    })
}
