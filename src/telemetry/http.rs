//! The health and metrics HTTP server: `/healthz` (the process answers), `/readyz` (200 when
//! [ready](super::readiness), else 503 with the reasons) and `/metrics` (Prometheus' text
//! format). It takes its listener and its shutdown signal from the caller, so that tests
//! start it on `127.0.0.1:0`.

use std::future::Future;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::telemetry::{self, readiness::Readiness};

/// The content type of Prometheus' text format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serves the three addresses on `listener` until `shutdown` completes.
pub async fn serve<S>(
    listener: TcpListener,
    readiness: Readiness,
    shutdown: S,
) -> std::io::Result<()>
where
    S: Future<Output = ()> + Send + 'static,
{
    telemetry::recorder();
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(readiness);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn readyz(State(readiness): State<Readiness>) -> impl IntoResponse {
    match readiness.check().await {
        Ok(ready) => (StatusCode::OK, format!("{ready}\n")),
        Err(reasons) => (StatusCode::SERVICE_UNAVAILABLE, format!("{reasons}\n")),
    }
}

async fn metrics(State(readiness): State<Readiness>) -> impl IntoResponse {
    readiness.sample().await;
    (
        [(header::CONTENT_TYPE, PROMETHEUS_TEXT)],
        telemetry::recorder().render(),
    )
}
