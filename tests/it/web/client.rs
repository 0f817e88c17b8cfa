//! A browser as far as HTTP goes: requests over loopback with `Connection: close`, the chat's
//! cookie kept from one response to the next as a browser keeps it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::web::events::Events;

/// How long a request may take before it is taken for a hang.
const HANG: Duration = Duration::from_secs(20);

/// One browser: its cookie and the languages it asks for.
pub struct Client {
    address: SocketAddr,
    pub cookie: Option<String>,
    accept_language: &'static str,
}

/// A response: its status, headers (names lower-cased) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }

    /// The JSON body's `field`, as text (`html`) or as it is written (`passcode`).
    pub fn json(&self, field: &str) -> serde_json::Value {
        let body: serde_json::Value = serde_json::from_str(&self.body).expect("a JSON body");
        body[field].clone()
    }
}

impl Client {
    pub fn new(address: SocketAddr, accept_language: &'static str) -> Client {
        Client {
            address,
            cookie: None,
            accept_language,
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        self.request("GET", path, "", "text/html").await
    }

    /// Posts `fields` to `/chat` as the page's script does (JSON back) or as a plain form.
    pub async fn post(&mut self, fields: &[(&str, &str)], script: bool) -> Answer {
        let accept = if script {
            "application/json"
        } else {
            "text/html"
        };
        self.request("POST", "/chat", &form(fields), accept).await
    }

    /// Posts `fields` to `path` as a plain form.
    pub async fn post_to(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.request("POST", path, &form(fields), "text/html").await
    }

    /// Says `text` through the page's script, and returns the lines added, as HTML.
    pub async fn say(&mut self, text: &str) -> String {
        let answer = self.post(&[("text", text)], true).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.json("html").as_str().expect("lines").to_owned()
    }

    /// Opens the event stream at `path` with this browser's cookie, as its page's script does.
    pub async fn events(&self, path: &str) -> Events {
        let cookie = self.cookie.as_deref().expect("the browser's cookie");
        Events::open(self.address, path, cookie).await
    }

    async fn request(&mut self, method: &str, path: &str, body: &str, accept: &str) -> Answer {
        let mut stream = tokio::net::TcpStream::connect(self.address)
            .await
            .expect("the web chat accepts");
        let cookie = self
            .cookie
            .as_ref()
            .map(|c| format!("Cookie: {c}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept: {accept}\r\n\
             Accept-Language: {}\r\n{cookie}Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.address,
            self.accept_language,
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("request sent");
        let mut bytes = Vec::new();
        tokio::time::timeout(HANG, stream.read_to_end(&mut bytes))
            .await
            .expect("answered before the deadline")
            .expect("response read");
        let text = String::from_utf8(bytes).expect("a UTF-8 response");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .expect("a status line");
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let answer = Answer {
            status,
            headers,
            body: body.to_owned(),
        };
        assert_ne!(answer.header("transfer-encoding"), Some("chunked"));
        if let Some(set) = answer.header("set-cookie") {
            self.cookie = set.split(';').next().map(str::to_owned);
        }
        answer
    }
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encoded(name), encoded(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
