//! The benchmarks' own HTTP/1.1 client, on loopback: one kept-alive connection as a browser
//! keeps one, from a chosen loopback address when the benchmark spreads its browsers over
//! several (any of 127.0.0.0/8 is this machine's on Linux). Bodies are read by their
//! `Content-Length`, which every page and answer of the web chat and the desk carries.

use std::io;
use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

/// One connection to the server.
pub struct Connection {
    stream: BufReader<TcpStream>,
    host: String,
}

/// A response: its status, the cookie it sets, and its body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The `name=value` part of its `Set-Cookie`.
    pub cookie: Option<String>,
    pub body: Vec<u8>,
}

impl Connection {
    /// A connection to `server`, from the loopback address `from` when given.
    pub async fn open(server: SocketAddr, from: Option<IpAddr>) -> io::Result<Connection> {
        let stream = match from {
            Some(address) => {
                let socket = TcpSocket::new_v4()?;
                socket.bind(SocketAddr::new(address, 0))?;
                socket.connect(server).await?
            }
            None => TcpStream::connect(server).await?,
        };
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream: BufReader::new(stream),
            host: server.to_string(),
        })
    }

    /// `GET path` with `headers` (each line ending in `\r\n`), and its whole answer.
    pub async fn get(&mut self, path: &str, headers: &str) -> io::Result<Answer> {
        self.send("GET", path, headers, "").await?;
        self.answer().await
    }

    /// `POST path` of the form `body` with `headers`, and its whole answer.
    pub async fn post(&mut self, path: &str, headers: &str, body: &str) -> io::Result<Answer> {
        let headers = format!(
            "{headers}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        );
        self.send("POST", path, &headers, body).await?;
        self.answer().await
    }

    /// `GET path` of a stream (server-sent events): its status once the head has come; the
    /// events are then read with [`Connection::line`].
    pub async fn open_stream(&mut self, path: &str, headers: &str) -> io::Result<u16> {
        self.send("GET", path, headers, "").await?;
        Ok(self.head().await?.0)
    }

    /// The stream's next line, `None` once the server has closed it.
    pub async fn line(&mut self) -> io::Result<Option<String>> {
        let mut line = String::new();
        match self.stream.read_line(&mut line).await? {
            0 => Ok(None),
            _ => Ok(Some(line)),
        }
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &str,
        body: &str,
    ) -> io::Result<()> {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{headers}\r\n{body}",
            self.host
        );
        self.stream.get_mut().write_all(request.as_bytes()).await
    }

    async fn answer(&mut self) -> io::Result<Answer> {
        let (status, length, cookie) = self.head().await?;
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok(Answer {
            status,
            cookie,
            body,
        })
    }

    /// The status, `Content-Length` (0 when absent) and cookie of the answer's head.
    async fn head(&mut self) -> io::Result<(u16, usize, Option<String>)> {
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no status line"))?;
        let (mut length, mut cookie) = (0, None);
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let Some((name, value)) = line.trim_end().split_once(':') else {
                break;
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().unwrap_or(0),
                "set-cookie" => cookie = value.split(';').next().map(str::to_owned),
                _ => {}
            }
        }
        Ok((status, length, cookie))
    }
}

/// `fields` as a form's body.
pub fn form(fields: &[(&str, &str)]) -> String {
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
