//! `pao-bot chat` (and `pao-bot` alone) with piped standard input.

use pao_bot::lang::Lang;
use pao_bot::matcher::Decision;

use crate::support::{bot, first_line_of_answer, pao_bot_with_input};

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
    assert!(!run.stdout.contains("> "), "no prompt when input is piped");
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
