//! `pao-bot admin`: the binary's output and exit codes (0 done or accepted, 1 refused or
//! wrong, 2 bad input, 4 locked).

use std::process::{Command, Stdio};

use crate::databases::{TestDb, on_both_databases};
use crate::support::spawn_with_input;

/// A passcode check of site 1234567 with a wrong passcode.
const WRONG_CHECK: &[&str] = &[
    "passcode",
    "check",
    "1234567",
    "taro@example.jp",
    "WRONG22222",
];

on_both_databases!(
    eight_admins_checking_the_right_passcode_at_once_accept_one,
    passcode_check_exit_codes,
    the_passcode_is_read_from_standard_input,
    nominations_agents_and_the_audit_from_the_command_line,
    agents_are_listed_and_removed_from_the_command_line,
    handoffs_are_listed_and_shown_from_the_command_line,
);

struct Admin {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

fn admin(db: &TestDb, args: &[&str]) -> Admin {
    admin_with_input(db, args, "")
}

/// `pao-bot admin ARGS` with `stdin` piped in.
fn admin_with_input(db: &TestDb, args: &[&str], stdin: &str) -> Admin {
    let child = spawn_with_input(
        Command::new(env!("CARGO_BIN_EXE_pao-bot"))
            .arg("--database-url")
            .arg(&db.url)
            .arg("admin")
            .args(args)
            .env_remove("DATABASE_URL"),
        stdin.as_bytes(),
    );
    let output = child.wait_with_output().expect("the binary ends");
    Admin {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

/// Runs `args`, expecting `code`; returns standard output.
fn expect(db: &TestDb, args: &[&str], code: i32) -> String {
    let run = admin(db, args);
    assert_eq!(
        run.code,
        Some(code),
        "pao-bot admin {args:?}\nstdout: {}\nstderr: {}",
        run.stdout,
        run.stderr
    );
    run.stdout
}

fn passcode_of(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("passcode: "))
        .unwrap_or_else(|| panic!("no passcode line in {stdout:?}"))
        .to_owned()
}

async fn the_passcode_is_read_from_standard_input(db: TestDb) {
    let code = passcode_of(&expect(&db, &["site", "add", "1234567"], 0));
    let check = ["passcode", "check", "1234567", "taro@example.jp"];
    let wrong = admin_with_input(&db, &check, "WRANG22222\n");
    assert_eq!(wrong.code, Some(1), "{}{}", wrong.stdout, wrong.stderr);
    let empty = admin_with_input(&db, &[&check[..], &["--passcode-stdin"]].concat(), "");
    assert_eq!(empty.code, Some(2), "{}{}", empty.stdout, empty.stderr);
    assert!(empty.stderr.contains("no passcode"), "{}", empty.stderr);
    let both = admin_with_input(
        &db,
        &[&check[..], &[&code, "--passcode-stdin"]].concat(),
        "",
    );
    assert_eq!(
        both.code,
        Some(2),
        "CODE and --passcode-stdin together are refused"
    );
    let run = admin_with_input(
        &db,
        &[&check[..], &["--passcode-stdin"]].concat(),
        &format!("{code}\n"),
    );
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("accepted"), "{}", run.stdout);
}

async fn passcode_check_exit_codes(db: TestDb) {
    let code = passcode_of(&expect(
        &db,
        &["site", "add", "01234567", "--program", "pae"],
        0,
    ));
    let wrong = expect(&db, WRONG_CHECK, 1);
    assert!(wrong.contains("wrong passcode"), "{wrong}");

    let bad = admin(
        &db,
        &["passcode", "check", "123456", "taro@example.jp", &code],
    );
    assert_eq!(bad.code, Some(2));
    assert!(bad.stderr.contains("7 digits"), "{}", bad.stderr);
    let bad = admin(
        &db,
        &["passcode", "check", "1234567", "not-an-address", &code],
    );
    assert_eq!(bad.code, Some(2));

    for _ in 0..3 {
        expect(&db, WRONG_CHECK, 1);
    }
    let locked = expect(&db, WRONG_CHECK, 4);
    assert!(locked.contains("locked until"), "{locked}");
    let locked = expect(
        &db,
        &["passcode", "check", "1234567", "taro@example.jp", &code],
        4,
    );
    assert!(locked.contains("locked until"), "{locked}");
    let shown = expect(&db, &["site", "show", "1234567"], 0);
    assert!(shown.contains("locked out: console:local until"), "{shown}");

    expect(&db, &["unlock", "1234567"], 0);
    let accepted = expect(
        &db,
        &["passcode", "check", "1234567", "Taro@Example.jp", &code],
        0,
    );
    assert!(
        accepted.contains("taro@example.jp is now the primary member"),
        "{accepted}"
    );
    let shown = expect(&db, &["site", "show", "01234567"], 0);
    assert!(shown.contains("site 1234567 (pae)"), "{shown}");
    assert!(shown.contains("primary    taro@example.jp"), "{shown}");
    assert!(shown.contains("passcode: used"), "{shown}");

    let reissued = passcode_of(&expect(&db, &["passcode", "reissue", "1234567"], 0));
    assert_ne!(reissued, code);
    expect(
        &db,
        &[
            "passcode",
            "check",
            "1234567",
            "hanako@example.jp",
            &reissued,
        ],
        0,
    );
}

async fn nominations_agents_and_the_audit_from_the_command_line(db: TestDb) {
    expect(&db, &["site", "add", "1234567"], 0);
    let requested = expect(
        &db,
        &["nomination", "request", "1234567", "hanako@example.jp"],
        0,
    );
    let id = requested
        .trim()
        .strip_prefix("nomination: ")
        .unwrap_or_else(|| panic!("{requested:?}"))
        .to_owned();
    let again = expect(
        &db,
        &["nomination", "request", "1234567", "hanako@example.jp"],
        1,
    );
    assert!(again.starts_with("refused: "), "{again}");
    assert!(again.contains("already has a pending request"), "{again}");

    let listed = expect(&db, &["nomination", "list", "--site", "1234567"], 0);
    assert!(listed.contains("hanako@example.jp"), "{listed}");
    expect(
        &db,
        &["nomination", "approve", &id, "--role", "secondary"],
        0,
    );
    let decided = expect(&db, &["nomination", "approve", &id], 1);
    assert!(decided.contains("already approved"), "{decided}");
    let member = expect(
        &db,
        &["nomination", "request", "1234567", "hanako@example.jp"],
        1,
    );
    assert!(member.contains("already has access"), "{member}");
    let bad_role = admin(&db, &["nomination", "approve", &id, "--role", "primary"]);
    assert_eq!(bad_role.code, Some(2));

    let requested = expect(
        &db,
        &["nomination", "request", "1234567", "jiro@example.jp"],
        0,
    );
    let id = requested
        .trim()
        .trim_start_matches("nomination: ")
        .to_owned();
    expect(
        &db,
        &["nomination", "deny", &id, "--reason", "unknown person"],
        0,
    );
    let listed = expect(&db, &["nomination", "list"], 0);
    assert!(listed.contains("no pending nominations"), "{listed}");

    expect(&db, &["agent", "add", "telegram:123456"], 0);
    let again = expect(&db, &["agent", "add", "telegram:123456"], 1);
    assert!(again.contains("already a help-desk agent"), "{again}");
    assert_eq!(admin(&db, &["agent", "add", "telegram:abc"]).code, Some(2));
    let missing = expect(&db, &["unlock", "7654321"], 1);
    assert!(missing.contains("no site 7654321"), "{missing}");

    let audit = expect(&db, &["audit", "--site", "1234567"], 0);
    assert!(
        audit.contains("console:local  site_add  site=1234567"),
        "{audit}"
    );
    assert!(audit.contains("nomination_deny"), "{audit}");
    assert!(audit.contains("already_pending"), "{audit}");
    assert!(!audit.contains("agent_add"), "{audit}");
    let audit = expect(&db, &["audit"], 0);
    assert!(audit.contains("agent_add"), "{audit}");
}

async fn agents_are_listed_and_removed_from_the_command_line(db: TestDb) {
    assert_eq!(expect(&db, &["agent", "list"], 0), "no registered agents\n");
    expect(&db, &["agent", "add", "telegram:123456"], 0);
    expect(&db, &["agent", "add", "discord:987654321"], 0);
    let listed = expect(&db, &["agent", "list"], 0);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines.iter().all(|l| l.contains("by console:local")),
        "{listed}"
    );
    assert!(listed.contains("telegram:123456  added 20"), "{listed}");
    assert!(listed.contains("discord:987654321  added 20"), "{listed}");

    let removed = expect(&db, &["agent", "remove", "telegram:123456"], 0);
    assert_eq!(removed, "agent removed: telegram:123456\n");
    let again = expect(&db, &["agent", "remove", "telegram:123456"], 1);
    assert!(
        again.contains("telegram:123456 is not a registered help-desk agent"),
        "{again}"
    );
    assert_eq!(admin(&db, &["agent", "remove", "nobody"]).code, Some(2));
    let listed = expect(&db, &["agent", "list"], 0);
    assert!(!listed.contains("telegram:123456"), "{listed}");
    assert!(listed.contains("discord:987654321"), "{listed}");

    let audit = expect(&db, &["audit"], 0);
    assert!(
        audit
            .contains("console:local  agent_remove  site=-  ibm_id=-  ok  (agent telegram:123456)"),
        "{audit}"
    );
    assert!(
        audit.contains("agent_remove  site=-  ibm_id=-  not_an_agent"),
        "{audit}"
    );
}

/// Eight `admin passcode check` processes at once with the right passcode: one is accepted, the
/// others are told it was used, none that the site is locked.
async fn eight_admins_checking_the_right_passcode_at_once_accept_one(db: TestDb) {
    let code = passcode_of(&expect(&db, &["site", "add", "1234567"], 0));
    let checks: Vec<_> = (0..8)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_pao-bot"))
                .arg("--database-url")
                .arg(&db.url)
                .args([
                    "admin",
                    "passcode",
                    "check",
                    "1234567",
                    "taro@example.jp",
                    &code,
                ])
                .env_remove("DATABASE_URL")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the binary starts")
        })
        .collect();
    let runs: Vec<_> = checks
        .into_iter()
        .map(|child| child.wait_with_output().expect("the binary ends"))
        .collect();

    let accepted = runs
        .iter()
        .filter(|run| run.status.code() == Some(0))
        .count();
    assert_eq!(accepted, 1, "{runs:?}");
    for run in runs.iter().filter(|run| run.status.code() != Some(0)) {
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert_eq!(run.status.code(), Some(1), "{run:?}");
        assert!(stdout.contains("already been used"), "{stdout}");
    }
    let shown = expect(&db, &["site", "show", "1234567"], 0);
    assert!(shown.contains("lockout: open"), "{shown}");
    assert!(!shown.contains("locked out"), "{shown}");
}

async fn handoffs_are_listed_and_shown_from_the_command_line(db: TestDb) {
    use pao_bot::lang::Lang;
    use pao_bot::service::{HelpDesk, NewTicket};

    let agent = crate::databases::registered_agent(&db, "discord:900").await;
    let customer = super::identity("telegram:100");
    let queued = db
        .service
        .open_ticket(NewTicket {
            customer: &customer,
            chat: "100",
            lang: Lang::Ja,
            question: Some("請求書の宛名を変更したい"),
            tried: &["forgot-ibm-id".to_owned()],
            recent: &[],
        })
        .await
        .unwrap();
    db.service
        .customer_message(&customer, queued.ticket, "急ぎです")
        .await
        .unwrap();
    assert_eq!(
        expect(&db, &["handoff", "list", "--state", "closed"], 0),
        "no tickets\n"
    );
    db.service.take(&agent, queued.ticket).await.unwrap();
    let listed = expect(&db, &["handoff", "list", "--state", "taken"], 0);
    assert!(
        listed.starts_with("#1  taken  telegram:100 (ja)  agent=discord:900"),
        "{listed}"
    );
    let shown = expect(&db, &["handoff", "show", "1"], 0);
    for part in [
        "question: 請求書の宛名を変更したい",
        "tried: forgot-ibm-id",
        "telegram:100 (customer)  急ぎです",
    ] {
        assert!(shown.contains(part), "{part:?} in {shown}");
    }
    let missing = admin(&db, &["handoff", "show", "9"]);
    assert_eq!(missing.code, Some(1), "{}", missing.stdout);
    let bad_state = admin(&db, &["handoff", "list", "--state", "lost"]);
    assert_eq!(bad_state.code, Some(2), "{}", bad_state.stderr);
}
