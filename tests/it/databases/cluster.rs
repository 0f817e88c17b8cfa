//! A throwaway PostgreSQL server for tests and benchmarks: the one `PAO_TEST_POSTGRES_URL`
//! names, else a cluster started on first use on a free port of 127.0.0.1 in a temporary
//! folder, and stopped and deleted when the process ends (a helper shell waits for the
//! process's end of its standard input, which the operating system closes however the
//! process ends).

use std::env;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// Names a server to use instead of starting one: `postgres://USER@127.0.0.1:PORT/DB`.
pub const URL_VARIABLE: &str = "PAO_TEST_POSTGRES_URL";

/// Runs the cluster's life: start, tell the parent, wait for its end, stop, delete.
const LIFE: &str = r#"
set -eu
dir=$1 bin=$2 port=$3 user=$4 settings=$5
as_owner() { if [ -n "$user" ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
trap '' INT
cd "$dir"
if [ -n "$user" ]; then chown "$user" "$dir"; fi
if ! as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale \
    >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1
fi
if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $settings" start >/dev/null; then
  cat "$dir/server.log" >&2; rm -rf "$dir"; exit 1
fi
echo ready
cat >/dev/null || true
as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
rm -rf "$dir"
"#;

/// A URL of a server this process may create databases on, connected to its `postgres`
/// database. `settings` (`-c name=value ...`) apply only to a cluster started here.
pub fn server_url(settings: &str) -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match env::var(URL_VARIABLE) {
        Ok(url) if !url.is_empty() => url,
        _ => start(settings),
    })
}

/// `url` with its database replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority = base.find("://").map_or(0, |at| at + 3);
    let server = match base[authority..].find('/') {
        Some(slash) => &base[..authority + slash],
        None => base,
    };
    format!("{server}/{database}{query}")
}

fn start(settings: &str) -> String {
    let bin = server_binaries().unwrap_or_else(|| {
        panic!(
            "the PostgreSQL tests need a PostgreSQL server: none was found (initdb and pg_ctl \
             on PATH or under /usr/lib/postgresql/*/bin). Install it (Debian: `apt-get install \
             postgresql`) or name a server in {URL_VARIABLE}=postgres://USER@127.0.0.1:PORT/postgres"
        )
    });
    let port = free_port();
    let dir = tempfile::Builder::new()
        .prefix("pao-bot-pg-")
        .tempdir()
        .expect("a temporary folder for the cluster")
        .keep();
    // initdb refuses to run as root; the cluster then belongs to the `postgres` user.
    let user = if running_as_root() { "postgres" } else { "" };
    let mut child = Command::new("bash")
        .args(["-c", LIFE, "pao-bot-postgres"])
        .arg(&dir)
        .arg(&bin)
        .arg(port.to_string())
        .arg(user)
        .arg(settings)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("bash starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the cluster's helper answers");
    assert_eq!(
        line.trim(),
        "ready",
        "the throwaway PostgreSQL cluster did not start (its log is above)"
    );
    // The helper's standard input stays open until the process ends: its closing stops the
    // cluster, and the helper then ends by itself.
    static HELPER: OnceLock<Mutex<Child>> = OnceLock::new();
    HELPER.get_or_init(|| Mutex::new(child));
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

/// The folder holding `initdb` and `pg_ctl`: on PATH, else the newest Debian install.
fn server_binaries() -> Option<PathBuf> {
    let on_path = env::var_os("PATH")
        .map(|path| env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    if let Some(dir) = on_path.into_iter().find(|dir| has_server(dir)) {
        return Some(dir);
    }
    let mut installed: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|dir| has_server(dir))
        .collect();
    installed.sort_by_key(|dir| {
        dir.parent()
            .and_then(|version| version.file_name())
            .and_then(|name| name.to_str())
            .and_then(|name| name.parse::<u32>().ok())
            .unwrap_or(0)
    });
    installed.pop()
}

fn has_server(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("pg_ctl").is_file()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}
