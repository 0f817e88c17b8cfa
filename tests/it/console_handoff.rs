//! The handoff between two console processes on one SQLite file: `pao-bot chat` as the
//! customer (`console:guest`), `pao-bot chat --agent` as the help desk (`console:local`), each
//! typing in turn and seeing what the other wrote.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// One `pao-bot chat` process, its input and what it printed so far.
struct Console {
    child: Child,
    stdin: ChildStdin,
    printed: Arc<Mutex<String>>,
}

impl Console {
    fn start(db: &str, agent: bool) -> Console {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pao-bot"));
        command
            .args(["--database-url", db, "chat"])
            .args(agent.then_some("--agent"))
            .env_remove("DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command.spawn().expect("pao-bot starts");
        let stdin = child.stdin.take().expect("its input");
        let stdout = child.stdout.take().expect("its output");
        let printed = Arc::new(Mutex::new(String::new()));
        let sink = printed.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut printed = sink.lock().unwrap();
                printed.push_str(&line);
                printed.push('\n');
            }
        });
        Console {
            child,
            stdin,
            printed,
        }
    }

    /// Types `line`, then waits until `expected` is printed after it.
    fn say(&mut self, line: &str, expected: &str) {
        let from = self.printed.lock().unwrap().len();
        writeln!(self.stdin, "{line}").expect("the line is typed");
        self.stdin.flush().expect("the line is sent");
        // Only a bound against a hang.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let printed = self.printed.lock().unwrap().clone();
            if printed[from..].contains(expected) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{expected:?} not printed after {line:?}:\n{}",
                &printed[from..]
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn quit(mut self) {
        writeln!(self.stdin, "/quit").expect("quit is typed");
        drop(self.stdin);
        self.child.wait().expect("the process ends");
    }
}

#[test]
fn a_customer_and_an_agent_in_two_console_processes_see_each_others_messages() {
    let dir = TempDir::new().expect("a temporary folder");
    let db = format!("sqlite://{}", dir.path().join("pao-bot.db").display());
    let mut customer = Console::start(&db, false);
    customer.say("/human", "受付番号 #1");
    customer.say("請求書の宛名を変更したい", "> 請求書の宛名を変更したい");
    let mut agent = Console::start(&db, true);
    agent.say("/inbox", "#1 [queued] console:guest(ja)");
    agent.say("/take 1", "請求書の宛名を変更したい");
    customer.say("/lang ja", "担当者が参加しました");
    customer.say("宛名の変更をお願いします", "> 宛名の変更をお願いします");
    agent.say("/inbox", "#1 お客様: 宛名の変更をお願いします");
    agent.say("承知しました", "> 承知しました");
    customer.say("/help", "ヘルプデスク: 承知しました");
    agent.say("/close", "#1 を終了しました");
    customer.say("/help", "1(不満)から5(満足)");
    customer.quit();
    agent.quit();
}
