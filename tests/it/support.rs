//! Helpers shared by the integration tests: running the binary, and copies of the shipped
//! knowledge base to break on purpose.

pub mod relay;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

use pao_bot::answer::Answerer;
use pao_bot::conversation::{ButtonAction, Response};
use pao_bot::knowledge::EntryId;
use pao_bot::lang::Lang;
use pao_bot::markup::plain_links;
use tempfile::TempDir;

/// The knowledge base shipped in `faq/`.
pub fn faq_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("faq")
}

/// The shipped knowledge base, loaded once for the whole test binary.
pub fn bot() -> &'static Answerer {
    static BOT: OnceLock<Answerer> = OnceLock::new();
    BOT.get_or_init(|| Answerer::load(&faq_dir()).expect("the shipped faq/ loads"))
}

/// The first line of an entry's answer as the console shows it (links spelled out).
pub fn first_line_of_answer(id: &str, lang: Lang) -> String {
    let entry = bot()
        .knowledge()
        .entry(&EntryId::parse(id).expect("a valid id"))
        .expect("a shipped entry");
    let shown = plain_links(entry.answer.get(lang));
    shown.lines().next().unwrap_or_default().trim().to_owned()
}

/// What a run of the binary printed and how it ended.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code(),
        }
    }

    /// The last line of standard output.
    pub fn last_line(&self) -> &str {
        self.stdout.trim_end().lines().last().unwrap_or_default()
    }
}

/// `pao-bot ARGS` with `stdin` piped in, run from a temporary folder so nothing depends on
/// where the tests are started from.
pub fn pao_bot_with_input(args: &[&str], stdin: &str) -> Run {
    pao_bot_with_env(args, stdin, &[])
}

/// [`pao_bot_with_input`] with bytes that need not be UTF-8.
pub fn pao_bot_with_input_bytes(args: &[&str], stdin: &[u8]) -> Run {
    pao_bot_with_env_bytes(args, stdin, &[])
}

/// [`pao_bot_with_input`] with the environment variables `env` set.
pub fn pao_bot_with_env(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    pao_bot_with_env_bytes(args, stdin.as_bytes(), env)
}

fn pao_bot_with_env_bytes(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Run {
    let cwd = TempDir::new().expect("a temporary folder");
    let child = spawn_with_input(
        Command::new(env!("CARGO_BIN_EXE_pao-bot"))
            .args(args)
            .current_dir(cwd.path())
            .env_remove("PAO_FAQ_DIR")
            .envs(env.iter().copied()),
        stdin,
    );
    Run::from(child.wait_with_output().expect("the binary ends"))
}

/// Starts `command` with its three streams piped, writes `stdin` to it and closes it.
pub fn spawn_with_input(command: &mut Command, stdin: &[u8]) -> Child {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin)
        .expect("stdin written");
    child
}

/// `pao-bot ARGS` with nothing on standard input.
pub fn pao_bot(args: &[&str]) -> Run {
    pao_bot_with_input(args, "")
}

/// A writable copy of the shipped knowledge base.
pub fn faq_copy() -> TempDir {
    let copy = TempDir::new().expect("a temporary folder");
    copy_dir(&faq_dir(), copy.path());
    copy
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("folder created");
    for item in fs::read_dir(from).expect("folder listed") {
        let item = item.expect("folder entry");
        let target = to.join(item.file_name());
        if item.path().is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            fs::copy(item.path(), target).expect("file copied");
        }
    }
}

/// Replaces the first `from` in the file at `path` by `to`; the text must be there.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).expect("file read");
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    fs::write(path, text.replacen(from, to, 1)).expect("file written");
}

/// The payload of the button of `response` whose payload ends with `end` (a feedback
/// button's `:y` or `:n`).
pub fn payload_ending(response: &Response, end: &str) -> String {
    response
        .replies
        .iter()
        .flat_map(|reply| &reply.buttons)
        .find_map(|button| match &button.action {
            ButtonAction::Payload(payload) if payload.ends_with(end) => Some(payload.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no button ending {end:?} in {response:?}"))
}
