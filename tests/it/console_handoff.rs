//! The handoff between two console processes on one SQLite file: `pao-bot chat` as the
//! customer (`console:guest`), `pao-bot chat --agent` as the help desk (`console:local`), each
//! seeing what the other wrote, as it arrives or after typing.

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
        self.sees_from(from, expected, line);
    }

    /// Waits, typing nothing, until `expected` is printed, and returns where the output was
    /// then, to wait from.
    fn sees(&self, expected: &str) -> usize {
        self.sees_from(0, expected, "nothing typed")
    }

    fn sees_from(&self, from: usize, expected: &str, after: &str) -> usize {
        // Only a bound against a hang: generous, since two debug-built processes start and
        // the other process's writes are seen on the 2-second round, on a busy machine.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let printed = self.printed.lock().unwrap().clone();
            if let Some(at) = printed[from..].find(expected) {
                return from + at + expected.len();
            }
            assert!(
                Instant::now() < deadline,
                "{expected:?} not printed after {after:?}:\n{}",
                &printed[from..]
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits, typing nothing, until `expected` is printed after what was printed by `from`.
    fn sees_after(&self, from: usize, expected: &str) -> usize {
        self.sees_from(from, expected, "nothing typed")
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

#[test]
fn the_console_agent_is_told_of_new_tickets_and_both_sides_see_messages_as_they_arrive() {
    let dir = TempDir::new().expect("a temporary folder");
    let db = format!("sqlite://{}", dir.path().join("pao-bot.db").display());
    let mut agent = Console::start(&db, true);
    // Registered as an agent before the greeting.
    agent.sees("(PAO)");
    let mut customer = Console::start(&db, false);
    customer.say("請求書の宛名を変更したい", "> 請求書の宛名を変更したい");
    customer.say("/human", "受付番号 #1");
    let announced = agent.sees("新しいチケット #1: console:guest(ja)");
    agent.sees_after(announced, "質問: 請求書の宛名を変更したい");
    agent.say("/take 1", "請求書の宛名を変更したい");
    let taken = customer.sees("担当者が参加しました");
    customer.say("宛名の変更をお願いします", "> 宛名の変更をお願いします");
    agent.sees("#1 お客様: 宛名の変更をお願いします");
    agent.say("承知しました", "> 承知しました");
    customer.sees_after(taken, "ヘルプデスク: 承知しました");
    agent.say("/close", "#1 を終了しました");
    customer.sees_after(taken, "1(不満)から5(満足)");
    customer.quit();
    agent.quit();
}
