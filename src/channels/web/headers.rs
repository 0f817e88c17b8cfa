//! The security headers every web response carries: a Content-Security-Policy that runs only
//! the binary's own scripts and styles (no inline script, nothing from elsewhere), no content
//! sniffing, no referrer. Pages may be framed by any site, as the widget needs.

use axum::http::HeaderValue;
use axum::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
use axum::response::Response;

/// Scripts, styles, fetches and forms only from this server. `frame-ancestors *` lets the
/// widget open the chat on any site's page.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                      img-src 'self' data:; connect-src 'self'; form-action 'self'; \
                      base-uri 'none'; frame-ancestors *";

/// `response` with the security headers.
pub(super) async fn secured(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}
