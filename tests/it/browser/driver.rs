//! Headless Chromium for the browser tests, through WebDriver: Debian's `chromedriver`,
//! started once per test run on a free loopback port (a helper shell stops it when the test
//! process ends, however it ends), and one Chromium session per test with a fresh profile.
//! When Chromium or chromedriver is missing, every browser test fails saying how to install
//! them.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use tempfile::TempDir;
use tokio::sync::Semaphore;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

const INSTALL: &str = "the browser tests need Debian's Chromium and chromedriver: \
                       apt-get install -y chromium chromium-driver";

/// Runs chromedriver until the test process's end closes the shell's standard input.
const LIFE: &str = r#"
"$1" --port="$2" --allowed-ips=127.0.0.1 >/dev/null 2>&1 &
driver=$!
cat >/dev/null || true
kill "$driver" 2>/dev/null || true
"#;

/// Chromium's arguments: headless, and quiet on a machine without a network (without the
/// background-networking flags it keeps trying to reach its services).
const ARGS: [&str; 11] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=420,780",
    "--lang=ja",
];

/// Browsers open at once: CI has two cores.
static OPEN: Semaphore = Semaphore::const_new(2);

/// One Chromium session, closed by [`Browser::close`].
pub struct Browser {
    pub client: Client,
    _profile: TempDir,
    _turn: tokio::sync::SemaphorePermit<'static>,
}

impl Browser {
    /// A new Chromium, in Japanese, with a fresh profile.
    pub async fn open() -> Browser {
        let driver = driver_url();
        let turn = OPEN
            .acquire()
            .await
            .expect("the browsers' semaphore is open");
        let profile = TempDir::new().expect("a profile folder");
        let mut args: Vec<String> = ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": args,
                "prefs": {"intl.accept_languages": "ja,en"},
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(driver)
            .await
            .expect("chromedriver opens a Chromium session");
        Browser {
            client,
            _profile: profile,
            _turn: turn,
        }
    }

    /// Saves what the page shows as `target/screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&folder).expect("the screenshots' folder");
        std::fs::write(folder.join(format!("{name}.png")), png).expect("the screenshot saved");
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// chromedriver's address, started on first use.
fn driver_url() -> &'static str {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    match URL.get_or_init(start) {
        Ok(url) => url,
        Err(reason) => panic!("{reason}"),
    }
}

fn start() -> Result<String, String> {
    for program in [CHROMIUM, CHROMEDRIVER] {
        if !Path::new(program).exists() {
            return Err(format!("{program} is missing; {INSTALL}"));
        }
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|e| format!("no free loopback port: {e}"))?
        .port();
    let mut life = Command::new("sh")
        .args(["-c", LIFE, "chromedriver", CHROMEDRIVER, &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("chromedriver could not be started ({e}); {INSTALL}"))?;
    let url = format!("http://127.0.0.1:{port}");
    if !listening(port) {
        let mut said = String::new();
        if let Some(stderr) = life.stderr.take() {
            for line in BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
                .take(20)
            {
                said.push_str(&line);
            }
        }
        return Err(format!(
            "chromedriver did not listen on {url}: {said}; {INSTALL}"
        ));
    }
    keep(life);
    Ok(url)
}

/// Whether something listens on `port` within a few seconds.
fn listening(port: u16) -> bool {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}

/// Holds the helper shell's standard input until the process ends.
fn keep(mut life: Child) {
    static STDIN: Mutex<Option<ChildStdin>> = Mutex::new(None);
    static CHILD: Mutex<Option<Child>> = Mutex::new(None);
    *STDIN.lock().unwrap_or_else(|e| e.into_inner()) = life.stdin.take();
    *CHILD.lock().unwrap_or_else(|e| e.into_inner()) = Some(life);
}

/// The PNG saved by [`Browser::screenshot`] for `name`.
pub fn screenshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/screenshots/{name}.png"))
}
