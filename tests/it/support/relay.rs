//! A TCP relay in front of the tests' PostgreSQL server that can be stopped and started
//! again: stopped, its connections break and new ones are closed at once, as when the server
//! goes down or the network fails.

use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct Relay {
    down: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    /// A relay in front of the server of `url` (`postgres://postgres@HOST:PORT/NAME`), and the
    /// URL of the same database through it.
    pub fn in_front_of(url: &str) -> (Relay, String) {
        let (server, name) = url
            .strip_prefix("postgres://postgres@")
            .and_then(|rest| rest.split_once('/'))
            .expect("a test database URL of postgres://postgres@HOST:PORT/NAME");
        let target: std::net::SocketAddr = server.parse().expect("HOST:PORT");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("the relay's address").port();
        let down = Arc::new(AtomicBool::new(false));
        let streams = Arc::new(Mutex::new(Vec::new()));
        let (stopped, open) = (down.clone(), streams.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if stopped.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let server = TcpStream::connect(target).expect("the server accepts");
                let mut open = open.lock().unwrap();
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server.try_clone().unwrap(), client.try_clone().unwrap()),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
                open.extend([client, server]);
            }
        });
        let relay = Relay { down, streams };
        (
            relay,
            format!("postgres://postgres@127.0.0.1:{port}/{name}"),
        )
    }

    /// Breaks every open connection and closes new ones until [`Relay::start`].
    pub fn stop(&self) {
        self.down.store(true, Ordering::SeqCst);
        for stream in self.streams.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    pub fn start(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop();
    }
}
