//! A throwaway PostgreSQL server for tests and benchmarks: the one `PAO_TEST_POSTGRES_URL`
//! names, else a cluster started on first use (the distribution's server installed first
//! when missing and the tests run as root with apt-get) on a free port of 127.0.0.1 in a
//! temporary folder, and stopped and deleted when the process ends (a helper shell waits for
//! the process's end of its standard input, which the operating system closes however the
//! process ends).

#[path = "cluster/programs.rs"]
mod programs;

use std::env;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use programs::Search;

/// Names a server to use instead of starting one: `postgres://USER@127.0.0.1:PORT/DB`.
pub const URL_VARIABLE: &str = "PAO_TEST_POSTGRES_URL";

/// Runs the cluster's life: start, tell the parent, wait for its end, stop, delete.
const LIFE: &str = r#"
set -eu
dir=$1 bin=$2 port=$3 user=$4 settings=$5 runuser=$6
as_owner() { if [ -n "$user" ]; then "$runuser" -u "$user" -- "$@"; else "$@"; fi; }
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
/// When no server can be had, the first caller panics with the reason and every later one
/// with a line pointing to it.
pub fn server_url(settings: &str) -> &'static str {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    static TOLD: AtomicBool = AtomicBool::new(false);
    let url = URL.get_or_init(|| match env::var(URL_VARIABLE) {
        Ok(url) if !url.is_empty() => Ok(url),
        _ => start(&Search::here(), settings),
    });
    url_or_panic(url, &TOLD)
}

fn url_or_panic<'a>(url: &'a Result<String, String>, told: &AtomicBool) -> &'a str {
    match url {
        Ok(url) => url,
        Err(why) if !told.swap(true, Ordering::SeqCst) => panic!("{why}"),
        Err(_) => {
            panic!("no PostgreSQL server for the tests: the first PostgreSQL test to fail says why")
        }
    }
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

fn start(search: &Search, settings: &str) -> Result<String, String> {
    let bin = server_binaries(search, installer(search))?;
    // initdb refuses to run as root; the cluster then belongs to the `postgres` user.
    let (user, runuser) = if running_as_root() {
        let runuser = search.program("runuser").ok_or(
            "the tests run as root, so the cluster runs as the postgres user, but `runuser` \
             was found neither on PATH nor in /usr/sbin, /sbin (Debian: package util-linux)",
        )?;
        ("postgres", runuser)
    } else {
        ("", PathBuf::new())
    };
    let port = free_port();
    let dir = tempfile::Builder::new()
        .prefix("pao-bot-pg-")
        .tempdir()
        .map_err(|error| format!("no temporary folder for the cluster: {error}"))?
        .keep();
    let mut child = Command::new("bash")
        .args(["-c", LIFE, "pao-bot-postgres"])
        .arg(&dir)
        .arg(&bin)
        .arg(port.to_string())
        .arg(user)
        .arg(settings)
        .arg(&runuser)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("bash, which runs the cluster, did not start: {error}"))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    // An error reading is the helper's end too: its standard error says why.
    let _ = BufReader::new(stdout).read_line(&mut line);
    if line.trim() != "ready" {
        let mut cause = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = stderr.read_to_string(&mut cause);
        }
        let _ = child.wait();
        return Err(format!(
            "the throwaway PostgreSQL cluster ({}/initdb, pg_ctl) did not start:\n{}",
            bin.display(),
            cause.trim_end()
        ));
    }
    // The helper's standard input stays open until the process ends: its closing stops the
    // cluster, and the helper then ends by itself.
    static HELPER: OnceLock<Mutex<Child>> = OnceLock::new();
    HELPER.get_or_init(|| Mutex::new(child));
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

/// apt-get, when the tests may install the server with it (as root), else why not.
fn installer(search: &Search) -> Result<PathBuf, &'static str> {
    if !running_as_root() {
        return Err("they do so only when run as root");
    }
    search
        .program("apt-get")
        .ok_or("they do so only with apt-get, which is not here")
}

/// The server's binaries, installed from the distribution's packages first when missing and
/// `installer` allows.
fn server_binaries(
    search: &Search,
    installer: Result<PathBuf, &'static str>,
) -> Result<PathBuf, String> {
    if let Some(bin) = search.server_binaries() {
        return Ok(bin);
    }
    let apt_get = installer.map_err(|why| {
        format!(
            "the PostgreSQL tests need a PostgreSQL server, and none was found ({}). The \
             tests install the distribution's package themselves, but {why}. Install it \
             (Debian, Ubuntu: `sudo apt-get install postgresql`) and run the tests again, or \
             name a server of your own: {URL_VARIABLE}=postgres://USER@127.0.0.1:PORT/postgres \
             cargo test",
            search.described()
        )
    })?;
    install(&apt_get)?;
    search.server_binaries().ok_or_else(|| {
        format!(
            "the postgresql package was installed, yet no server was found ({})",
            search.described()
        )
    })
}

/// Installs the distribution's `postgresql` package. Called once per process (the URL's
/// `OnceLock`); apt-get's own lock, waited for, keeps two processes from doing it at once.
fn install(apt_get: &Path) -> Result<(), String> {
    eprintln!("no PostgreSQL server found: installing the distribution's postgresql package");
    let steps: [&[&str]; 2] = [
        &["update", "-qq"],
        &[
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "postgresql",
        ],
    ];
    for step in steps {
        let out = Command::new(apt_get)
            .args(["-o", "DPkg::Lock::Timeout=600"])
            .args(step)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("{} did not start: {error}", apt_get.display()))?;
        if !out.status.success() {
            return Err(format!(
                "`apt-get {}` failed ({}) while installing PostgreSQL for the tests:\n{}",
                step.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end()
            ));
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::panic;

    use tempfile::TempDir;

    use super::*;

    #[test]
    fn without_a_server_or_a_way_to_install_one_the_message_says_what_to_do() {
        let root = TempDir::new().expect("a temporary folder");
        let search = Search {
            path: vec![root.path().join("bin")],
            postgresql_versions: root.path().join("lib/postgresql"),
            system: vec![root.path().join("sbin")],
        };
        let why = server_binaries(&search, Err("they do so only when run as root"))
            .expect_err("no server");
        assert!(why.contains("none was found"), "{why}");
        assert!(why.contains("only when run as root"), "{why}");
        assert!(why.contains("apt-get install postgresql"), "{why}");
        assert!(
            why.contains(&format!("{URL_VARIABLE}=postgres://")),
            "{why}"
        );
    }

    #[test]
    fn a_cluster_that_does_not_start_shows_the_cause() {
        let root = TempDir::new().expect("a temporary folder");
        let bin = root.path().join("bin");
        fs::create_dir(&bin).expect("a folder");
        for name in ["initdb", "pg_ctl"] {
            let program = bin.join(name);
            fs::write(
                &program,
                "#!/bin/sh\necho \"$0: no space left on device\" >&2\nexit 1\n",
            )
            .expect("a script");
            fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        // As root the cluster's programs run as the postgres user, who must reach them.
        for folder in [root.path(), &bin] {
            fs::set_permissions(folder, fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let search = Search {
            path: vec![bin.clone()],
            postgresql_versions: root.path().join("none"),
            system: Search::here().system,
        };
        let why = start(&search, "").expect_err("no cluster");
        assert!(why.contains("did not start"), "{why}");
        assert!(
            why.contains(&format!(
                "{}: no space left on device",
                bin.join("initdb").display()
            )),
            "{why}"
        );
    }

    #[test]
    fn a_missing_server_is_told_once_then_pointed_to() {
        let missing = Err("the whole reason\nover lines".to_owned());
        let told = AtomicBool::new(false);
        let message = |told: &AtomicBool| {
            let payload = panic::catch_unwind(|| url_or_panic(&missing, told).to_owned())
                .expect_err("no URL");
            match payload.downcast::<String>() {
                Ok(text) => *text,
                Err(payload) => payload
                    .downcast_ref::<&str>()
                    .expect("a panic message")
                    .to_string(),
            }
        };
        assert_eq!(message(&told), "the whole reason\nover lines");
        let later = message(&told);
        assert!(!later.contains("whole reason"), "{later}");
        assert!(
            later.contains("the first PostgreSQL test to fail says why"),
            "{later}"
        );
        assert_eq!(later.lines().count(), 1);
    }
}
