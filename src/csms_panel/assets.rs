//! The page and its scripts, compiled into the binary: `cargo run` serves them, with no
//! front-end toolchain and nothing to install.

use axum::http::header;
use axum::response::{Html, IntoResponse};

const INDEX: &str = include_str!("assets/index.html");
const CSS: &str = include_str!("assets/panel.css");
const JS: &str = include_str!("assets/panel.js");
const FORM_JS: &str = include_str!("assets/schema_form.js");

pub async fn index() -> Html<&'static str> {
    Html(INDEX)
}

pub async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS)
}

pub async fn js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        JS,
    )
}

pub async fn form_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        FORM_JS,
    )
}
