//! A server-sent event stream as a browser's `EventSource` holds it open: one request with
//! the client's cookie, its response read as it arrives.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long an event may take before it is taken for a hang.
const HANG: Duration = Duration::from_secs(20);

/// An open stream, and what has arrived on it.
pub struct Events {
    stream: TcpStream,
    seen: Vec<u8>,
}

impl Events {
    /// Opens `path` on `address` with `cookie`, and reads the stream's head: what the server
    /// sent at once.
    pub async fn open(address: SocketAddr, path: &str, cookie: &str) -> Events {
        let mut stream = TcpStream::connect(address)
            .await
            .expect("the web chat accepts");
        let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("request sent");
        let mut events = Events {
            stream,
            seen: Vec::new(),
        };
        events.read().await;
        events
    }

    /// All that has arrived so far.
    pub fn seen(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Reads until what has arrived holds `text`.
    pub async fn wait_for(&mut self, text: &str) {
        let arrived = async {
            while !self.seen().contains(text) {
                self.read().await;
            }
        };
        // A bound for a hang only: the event comes with the commit that causes it.
        tokio::time::timeout(HANG, arrived)
            .await
            .unwrap_or_else(|_| panic!("{text:?} never came on the stream"));
    }

    async fn read(&mut self) {
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk).await.expect("the stream read");
        assert!(n > 0, "the stream ended");
        self.seen.extend_from_slice(&chunk[..n]);
    }
}
