//! The web chat's settings: where it listens and the address customers reach it by.
//!
//! ```yaml
//! web:
//!   listen: 127.0.0.1:8080             # or PAO_WEB_LISTEN (or serve --web ADDRESS)
//!   public_url: https://help.example.com  # its cookies are Secure when this is https
//! ```

use std::net::SocketAddr;

use serde::Deserialize;

/// Where the web chat listens unless told otherwise.
pub const DEFAULT_WEB_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8080);

/// The web chat's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    /// The address it binds.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The address customers' browsers reach it by, when a proxy stands in front.
    #[serde(default)]
    pub public_url: Option<String>,
}

fn default_listen() -> SocketAddr {
    DEFAULT_WEB_LISTEN
}

impl WebSettings {
    /// The web chat on `listen`, reached there directly.
    pub fn on(listen: SocketAddr) -> WebSettings {
        WebSettings {
            listen,
            public_url: None,
        }
    }

    /// The address browsers reach it by: the public URL, else the listening address.
    pub fn url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Whether browsers reach it over HTTPS: then its cookies are marked Secure.
    pub fn secure(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.to_ascii_lowercase().starts_with("https://"))
    }
}
