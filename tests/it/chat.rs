//! `pao-bot chat` (and `pao-bot` alone) with piped standard input.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use pao_bot::lang::Lang;
use pao_bot::matcher::Decision;
use tempfile::TempDir;

use crate::support::{Run, bot, edit, faq_copy, first_line_of_answer, pao_bot_with_input};

#[test]
fn answers_each_line_until_end_of_input() {
    let run = pao_bot_with_input(&["chat"], "ログアウトしたい\nwhich browser should I use\n");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .contains(&first_line_of_answer("logout", Lang::Ja)),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&first_line_of_answer("browsers", Lang::En)),
        "{}",
        run.stdout
    );
    // No prompt when input is piped, but each line echoed before its reply, as a transcript.
    let echo = run
        .stdout
        .find("> ログアウトしたい\n")
        .expect("the first line echoed");
    let answer = run
        .stdout
        .find(&first_line_of_answer("logout", Lang::Ja))
        .expect("its answer");
    assert!(echo < answer, "{}", run.stdout);
    assert!(
        run.stdout.contains("> which browser should I use\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_piped_passcode_is_echoed_masked() {
    let dir = TempDir::new().expect("a temporary folder");
    let db = dir.path().join("pao-bot.db");
    let run = on_database(
        &db,
        &["chat"],
        "/passcode\n1234567\ntaro@example.co.jp\nRD22E43MAZ\n",
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("> taro@example.co.jp\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("RD22E43MAZ"), "{}", run.stdout);
}

#[test]
fn related_questions_are_numbered_buttons() {
    let bot = bot();
    let entry = bot
        .knowledge()
        .entries()
        .iter()
        .find(|e| e.id.as_str() == "forgot-password")
        .expect("the forgot-password entry");
    let related = bot.related(entry);
    let second = related.get(1).expect("two related questions");
    // The answer's feedback buttons are [1] and [2]; the related questions follow.
    let run = pao_bot_with_input(&["chat"], "/lang en\nforgot password\n4\n");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let label = format!("  [4] {}", second.question.get(Lang::En).trim());
    assert!(run.stdout.contains(&label), "{label:?} in {}", run.stdout);
    let expected = first_line_of_answer(second.id.as_str(), Lang::En);
    assert!(run.stdout.contains(&expected), "{}", run.stdout);
}

#[test]
fn no_subcommand_starts_the_chat() {
    let run = pao_bot_with_input(&[], "forgot password\n");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let expected = first_line_of_answer("forgot-password", Lang::En);
    assert!(run.stdout.contains(&expected), "{}", run.stdout);
}

#[test]
fn a_did_you_mean_choice_is_taken_by_its_number() {
    let bot = bot();
    let (vague, offered, lang) = ["英語", "ID", "サイト", "ユーザー", "画面"]
        .into_iter()
        .find_map(|q| {
            let answer = bot.ask(q, Lang::Ja);
            match answer.decision {
                Decision::DidYouMean(offered) if offered.len() > 1 => {
                    Some((q, offered, answer.lang))
                }
                _ => None,
            }
        })
        .expect("one of these lone words makes the bot hesitate");
    let chosen = &bot.knowledge().entries()[offered[1]];
    let run = pao_bot_with_input(&["chat"], &format!("{vague}\n2\n"));
    let expected = first_line_of_answer(chosen.id.as_str(), lang);
    assert!(run.stdout.contains(&expected), "{}", run.stdout);
}

#[test]
fn quit_ends_the_chat_before_the_input_does() {
    let run = pao_bot_with_input(&["chat"], "/quit\nforgot password\n");
    assert_eq!(run.code, Some(0));
    let expected = first_line_of_answer("forgot-password", Lang::En);
    assert!(!run.stdout.contains(&expected), "{}", run.stdout);
}

#[test]
fn pending_buttons_name_their_request_and_numbers_press_only_the_latest() {
    let dir = TempDir::new().expect("a temporary folder");
    let db = dir.path().join("pao-bot.db");
    for ibm_id in ["jiro@example.co.jp", "saburo@example.co.jp"] {
        let input = format!("/nominate\n1234567\n{ibm_id}\nはい\n");
        let customer = on_database(&db, &["chat", "--demo"], &input);
        assert_eq!(customer.code, Some(0), "{}", customer.stderr);
    }

    // Numbers shown before a reply without buttons press nothing.
    let stale = on_database(&db, &["chat", "--agent"], "/lang en\n/pending\n/help\n1\n");
    assert!(
        stale.stdout.contains("  [1] Approve request 1\n"),
        "{}",
        stale.stdout
    );
    assert!(
        stale.stdout.contains("  [6] Deny request 2\n"),
        "{}",
        stale.stdout
    );
    assert!(
        !stale.stdout.contains("Request 1 (site"),
        "{}",
        stale.stdout
    );

    // The reason typed after a Deny button is the reason, and the reply names the request.
    let agent = on_database(
        &db,
        &["chat", "--agent"],
        "/lang en\n/pending\n6\nHow do I log out?\n",
    );
    assert!(
        agent
            .stdout
            .contains("Request 2 (site 1234567, saburo@example.co.jp) denied."),
        "{}",
        agent.stdout
    );
    assert!(
        !agent
            .stdout
            .contains(&first_line_of_answer("logout", Lang::En)),
        "{}",
        agent.stdout
    );
}

#[test]
fn a_second_demo_reuses_the_site_unless_reset() {
    let dir = TempDir::new().expect("a temporary folder");
    let db = dir.path().join("pao-bot.db");
    let first = on_database(&db, &["chat", "--demo"], "");
    assert!(
        first.stdout.contains("temporary passcode: "),
        "{}",
        first.stdout
    );
    let second = on_database(&db, &["chat", "--demo"], "");
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert!(
        second
            .stdout
            .contains("demo site 1234567 (PA) exists and is used as it is"),
        "{}",
        second.stdout
    );
    assert!(
        !second.stdout.contains("temporary passcode: "),
        "{}",
        second.stdout
    );
    let reset = on_database(&db, &["chat", "--demo", "--reset"], "");
    assert!(
        reset.stdout.contains("temporary passcode: "),
        "{}",
        reset.stdout
    );
    let audit = on_database(&db, &["admin", "audit"], "");
    assert_eq!(
        audit.stdout.matches("passcode_reissue").count(),
        1,
        "{}",
        audit.stdout
    );
}

/// `pao-bot ARGS` on the database `db`, with `stdin` piped in.
fn on_database(db: &Path, args: &[&str], stdin: &str) -> Run {
    let url = format!("sqlite://{}", db.display());
    let mut all = vec!["--database-url", url.as_str()];
    all.extend_from_slice(args);
    pao_bot_with_input(&all, stdin)
}

#[test]
fn a_command_starts_its_procedure_by_what_faq_says_not_by_its_id() {
    let faq = faq_copy();
    edit(
        &faq.path().join("procedures.yaml"),
        "- id: first-access\n",
        "- id: initial-access\n",
    );
    edit(
        &faq.path().join("entries/first-access.yaml"),
        "procedure: first-access\n",
        "procedure: initial-access\n",
    );
    let dir = TempDir::new().expect("a temporary folder");
    let faq_arg = faq.path().to_str().expect("a UTF-8 path");
    let run = on_database(
        &dir.path().join("pao-bot.db"),
        &["chat", "--faq", faq_arg],
        "/lang en\n/passcode\n",
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .contains("The site contact's first access (temporary passcode)"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_nomination_made_in_one_chat_is_approved_in_another_and_shown_in_the_next() {
    let dir = TempDir::new().expect("a temporary folder");
    let db = dir.path().join("pao-bot.db");

    let customer = on_database(
        &db,
        &["chat", "--demo"],
        "/nominate\n1234567\ntaro@example.co.jp\nはい\n",
    );
    assert_eq!(customer.code, Some(0), "{}", customer.stderr);
    assert!(
        customer
            .stdout
            .contains("demo site 1234567 (PA), temporary passcode: ")
    );
    assert!(
        customer.stdout.contains("リクエスト(番号 1)を送信しました"),
        "{}",
        customer.stdout
    );

    // The agent presses the first button of /pending: approve.
    let agent = on_database(&db, &["chat", "--agent"], "/lang en\n/pending\n1\n");
    assert!(
        agent
            .stdout
            .contains("Request 1 (site 1234567, taro@example.co.jp) approved as user"),
        "{}",
        agent.stdout
    );

    let later = on_database(&db, &["chat"], "");
    assert!(
        later
            .stdout
            .contains("サイト 1234567 へのアクセスのリクエスト(番号 1)が承認されました"),
        "{}",
        later.stdout
    );
}

#[test]
fn the_demo_passcode_completes_a_first_access_in_the_terminal() {
    let dir = TempDir::new().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("pao-bot.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_pao-bot"))
        .args(["--database-url", &url, "chat", "--demo"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("the demo line");
    let passcode = first
        .trim()
        .rsplit(' ')
        .next()
        .expect("the passcode ends the line")
        .to_owned();
    let mut stdin = child.stdin.take().expect("piped stdin");
    writeln!(stdin, "/passcode\n01234567\ntaro@example.co.jp\n{passcode}").expect("written");
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("the chat's output");
    assert!(child.wait().expect("the binary ends").success());
    assert!(
        rest.contains("taro@example.co.jp がサイト 1234567 のプライマリー・メンバーになりました"),
        "{rest}"
    );
}

#[test]
fn the_report_lists_unanswered_questions_and_feedback_from_the_chats() {
    let dir = TempDir::new().expect("a temporary folder");
    let db = dir.path().join("pao-bot.db");
    on_database(
        &db,
        &["chat"],
        "how do I bake bread\nHow do I bake bread?\nHow do I log out?\n2\nhow do I paint a fence\n",
    );

    let report = on_database(&db, &["report"], "");
    assert_eq!(report.code, Some(0), "{}", report.stderr);
    let lines: Vec<&str> = report.stdout.lines().collect();
    let bread = lines
        .iter()
        .position(|l| l.contains("bake bread"))
        .expect("bread listed");
    let fence = lines
        .iter()
        .position(|l| l.contains("paint a fence"))
        .expect("fence listed");
    assert!(bread < fence, "most frequent first:\n{}", report.stdout);
    assert!(
        lines[bread].trim_start().starts_with('2'),
        "{}",
        report.stdout
    );
    let logout = lines
        .iter()
        .find(|l| l.trim_start().starts_with("logout "))
        .expect("logout listed");
    let figures: Vec<&str> = logout.split_whitespace().skip(1).collect();
    assert_eq!(figures, ["1", "0", "1"], "answered once, did not help");

    let json = on_database(&db, &["report", "--json"], "");
    let object: serde_json::Value = serde_json::from_str(&json.stdout).expect("one JSON object");
    assert_eq!(object["unanswered"][0]["asked"], 2);
}

#[test]
fn help_lists_every_command_of_the_table_as_messages_describe_it() {
    use pao_bot::commands::{Audience, SlashCommand};

    let bot = bot();
    let messages = bot.knowledge().messages();
    for lang in [Lang::En, Lang::Ja] {
        let input = format!("/lang {lang}\n/help\n");
        let run = pao_bot_with_input(&["chat"], &input);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        for command in SlashCommand::ALL {
            let expected = match command.audience() {
                Audience::Everyone => {
                    let does = messages.commands.of(command).get(lang).trim();
                    format!("{command} {does}")
                }
                Audience::Agents => command.usage(lang),
            };
            assert!(
                run.stdout.contains(&expected),
                "{expected:?} in {}",
                run.stdout
            );
        }
        let quit = format!("/quit {}", messages.quit_command.get(lang).trim());
        assert!(run.stdout.contains(&quit), "{quit:?} in {}", run.stdout);
    }
}
