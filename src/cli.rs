//! The command line: `ask`, `eval`, `check`, `chat`, `report` and `admin`, each writing to a given output so
//! that tests and the binary run the same code.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::admin::{self, AdminCommand, AdminError};
use crate::answer::{Answerer, lang_of_start, too_long};
use crate::channels::console;
use crate::config::{ConfigError, Settings};
use crate::conversation::{Engine, Store};
use crate::database::{Database, DatabaseError};
use crate::domain::{ChatIdentity, Program, SiteNumber};
use crate::eval::{self, EvalError};
use crate::exit;
use crate::knowledge::Diagnostics;
use crate::lang::Lang;
use crate::learn::{self, LearnError};
use crate::matcher::Decision;
use crate::report::Report;
use crate::serve::ServeError;
use crate::service::{AccountService, ServiceError};

/// A support chat-bot for Passport Advantage Online (PAO) customers, in Japanese and English.
#[derive(Debug, Parser)]
#[command(name = "pao-bot", version, about)]
pub struct Cli {
    /// The knowledge base folder [default: ./faq, else the one the program was built with]
    #[arg(long, global = true, env = "PAO_FAQ_DIR", value_name = "DIR")]
    pub faq: Option<PathBuf>,

    /// The account database: sqlite://FILE (created when missing) or postgres://...
    // The URL may hold the database's password: `--help` must not print it from the
    // environment.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://pao-bot.db",
        value_name = "URL"
    )]
    pub database_url: String,

    /// The chat platforms' settings file [default: ./pao-bot.yaml when it exists]
    #[arg(long, global = true, env = "PAO_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer one question and exit
    Ask {
        /// Print one JSON object instead of the reply's text
        #[arg(long)]
        json: bool,
        /// The question (several words are joined with spaces)
        #[arg(required = true, num_args = 1..)]
        question: Vec<String>,
    },
    /// Measure the matcher's accuracy on a file of questions with their expected entries
    Eval {
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
        /// A YAML list of {q: QUESTION, expect: ENTRY-ID or none}
        file: PathBuf,
    },
    /// Check the knowledge base: every file problem, and every example another entry wins
    Check,
    /// Run the bot on Telegram and/or Discord, as configured (the default when a token is set)
    Serve,
    /// Talk to the bot in the terminal (the default otherwise), with account actions
    Chat {
        /// Speak as the local help-desk agent (console:local)
        #[arg(long)]
        agent: bool,
        /// Create the demo site 1234567 (or give it a new passcode) and print its passcode
        #[arg(long)]
        demo: bool,
    },
    /// What the bot could not answer, and how often each FAQ entry answered and helped
    Report {
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
    },
    /// Walk the report's groups of unanswered questions: add them to an entry as examples,
    /// or to the out-of-scope examples, in the faq/ files; then check the folder
    Learn,
    /// Account actions for operators: sites, passcodes, nominations, agents, audit log
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("the knowledge base in {dir} cannot be used:\n{problems}")]
    Knowledge { dir: PathBuf, problems: Diagnostics },
    #[error(transparent)]
    Eval(#[from] EvalError),
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error("cannot read the report from the database")]
    Report(#[source] sqlx::Error),
    #[error(transparent)]
    Learn(#[from] LearnError),
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl CliError {
    /// The process's exit code after this error ([`exit`](crate::exit)).
    pub fn exit_code(&self) -> u8 {
        if self.output_closed() {
            return exit::OUTPUT_CLOSED;
        }
        match self {
            CliError::Admin(error) => error.exit_code(),
            CliError::Database(error) => exit::of_database(error),
            CliError::Report(_) => exit::DATABASE,
            _ => exit::BAD_INPUT,
        }
    }

    /// Standard output was closed by its reader: nothing is wrong that could be said there.
    pub fn output_closed(&self) -> bool {
        let io = match self {
            CliError::Io(error) | CliError::Admin(AdminError::Io(error)) => error,
            _ => return false,
        };
        io.kind() == io::ErrorKind::BrokenPipe
    }
}

/// Runs `cli`, reading the conversation from `input` and writing to `output`.
pub fn execute<R, W>(cli: Cli, input: R, mut output: W) -> Result<ExitCode, CliError>
where
    R: BufRead + IsTerminal,
    W: Write,
{
    let dir = faq_dir(cli.faq);
    let load = || {
        Answerer::load(&dir).map_err(|problems| CliError::Knowledge {
            dir: dir.clone(),
            problems,
        })
    };
    let settings = Settings::load(cli.config.as_deref(), |name| std::env::var(name).ok())?;
    let command = match cli.command {
        Some(command) => command,
        None if settings.any_channel() => Command::Serve,
        None => Command::Chat {
            agent: false,
            demo: false,
        },
    };
    match command {
        Command::Check => return check(&dir, &mut output),
        Command::Admin { command } => {
            let run = admin::run(command, &cli.database_url, input, &mut output);
            return Ok(runtime()?.block_on(run)?);
        }
        Command::Ask { json, question } => ask(&load()?, &question.join(" "), json, &mut output)?,
        Command::Eval { json, file } => {
            let bot = load()?;
            let questions = eval::load(&file, &bot)?;
            let report = eval::run(&bot, &questions);
            if json {
                let object = serde_json::to_string(&report).map_err(io::Error::other)?;
                writeln!(output, "{object}")?;
            } else {
                writeln!(output, "{report}")?;
            }
        }
        Command::Chat { agent, demo } => {
            let bot = Arc::new(load()?);
            let prompt = input.is_terminal();
            runtime()?.block_on(chat(
                bot,
                &cli.database_url,
                agent,
                demo,
                input,
                &mut output,
                prompt,
            ))?;
        }
        Command::Serve => {
            let bot = Arc::new(load()?);
            runtime()?.block_on(serve(bot, &cli.database_url, settings))?;
        }
        Command::Report { json } => {
            let bot = load()?;
            runtime()?.block_on(report(&bot, &cli.database_url, json, &mut output))?;
        }
        Command::Learn => {
            let bot = load()?;
            let report = runtime()?.block_on(read_report(&bot, &cli.database_url))?;
            let learned = learn::walk(&bot, &dir, &report.groups, input, &mut output)?;
            writeln!(
                output,
                "\n{} example(s) added to entries, {} to out-of-scope",
                learned.examples, learned.out_of_scope
            )?;
            if learned == learn::Learned::default() {
                return Ok(ExitCode::SUCCESS);
            }
            return check(&dir, &mut output);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// The demo site of `chat --demo`.
const DEMO_SITE: &str = "1234567";

/// `pao-bot chat`: the whole engine in the terminal, as the local agent with `agent`.
async fn chat<R, W>(
    bot: Arc<Answerer>,
    url: &str,
    agent: bool,
    demo: bool,
    input: R,
    output: &mut W,
    prompt: bool,
) -> Result<(), CliError>
where
    R: BufRead,
    W: Write,
{
    let engine = Engine::on_database(bot, Database::open(url).await?);
    if demo {
        demo_site(engine.service(), output).await?;
    }
    let identity = if agent {
        ChatIdentity::local_operator()
    } else {
        ChatIdentity::parse("console:guest").expect("a valid console identity")
    };
    console::run(&engine, &identity, input, output, prompt).await?;
    Ok(())
}

/// `pao-bot serve`: the configured channels until Ctrl-C or SIGTERM.
async fn serve(bot: Arc<Answerer>, url: &str, settings: Settings) -> Result<(), CliError> {
    let db = Database::open(url).await?;
    let engine = Arc::new(Engine::on_database(bot, db.clone()));
    let shutdown = CancellationToken::new();
    tokio::spawn(crate::serve::cancel_on_signal(shutdown.clone()));
    let result = crate::serve::serve(engine, settings, shutdown).await;
    db.close().await;
    Ok(result?)
}

/// Creates the demo site, or gives it a new passcode, and prints the passcode.
async fn demo_site<W: Write>(service: &dyn AccountService, output: &mut W) -> Result<(), CliError> {
    let operator = ChatIdentity::local_operator();
    let site = SiteNumber::parse(DEMO_SITE).expect("a valid site number");
    let passcode = match service.add_site(&operator, &site, Program::Pa).await {
        Err(ServiceError::SiteExists { .. }) => service.reissue_passcode(&operator, &site).await,
        other => other,
    }
    .map_err(AdminError::Service)?;
    writeln!(
        output,
        "demo site {site} (PA), temporary passcode: {}\n",
        passcode.expose_secret()
    )?;
    Ok(())
}

async fn report<W: Write>(
    bot: &Answerer,
    url: &str,
    json: bool,
    output: &mut W,
) -> Result<(), CliError> {
    let db = Database::connect(url).await?;
    let store = Store::new(db);
    let report = Report::read(&store, bot).await.map_err(CliError::Report)?;
    if json {
        writeln!(
            output,
            "{}",
            serde_json::to_string(&report).map_err(io::Error::other)?
        )?;
    } else {
        write!(output, "{report}")?;
    }
    Ok(())
}

async fn read_report(bot: &Answerer, url: &str) -> Result<Report, CliError> {
    let db = Database::connect(url).await?;
    let store = Store::new(db);
    Report::read(&store, bot).await.map_err(CliError::Report)
}

/// `--faq`, else `./faq`, else the folder of the source tree the program was built from.
fn faq_dir(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        let here = PathBuf::from("faq");
        if here.is_dir() {
            here
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("faq")
        }
    })
}

fn check(dir: &Path, output: &mut impl Write) -> Result<ExitCode, CliError> {
    match crate::check::run(dir) {
        Ok(summary) => {
            writeln!(
                output,
                "ok: {} entries, {} questions and examples, each answered by its own entry",
                summary.entries, summary.texts
            )?;
            writeln!(
                output,
                "generalisation: {}/{} ({:.1}%) still answered as they should be with themselves left out",
                summary.left_out_answered,
                summary.texts,
                100.0 * summary.left_out_answered as f64 / summary.texts.max(1) as f64
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            writeln!(output, "{problems}")?;
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `ask --json`'s object.
#[derive(Serialize)]
struct AskJson<'a> {
    lang: Lang,
    faq_id: Option<&'a str>,
    score: f64,
    answer: Option<&'a str>,
    suggestions: Vec<SuggestionJson<'a>>,
    /// Why the question was not read: `too_long`.
    #[serde(skip_serializing_if = "Option::is_none")]
    refused: Option<&'a str>,
}

#[derive(Serialize)]
struct SuggestionJson<'a> {
    id: &'a str,
    score: f64,
}

fn ask(bot: &Answerer, question: &str, json: bool, output: &mut impl Write) -> io::Result<()> {
    if too_long(question) {
        let lang = lang_of_start(question).unwrap_or(Lang::Ja);
        let messages = bot.knowledge().messages();
        let sentence = messages.say(&messages.too_long, lang, &[]);
        if !json {
            return writeln!(output, "{sentence}");
        }
        let object = AskJson {
            lang,
            faq_id: None,
            score: 0.0,
            answer: Some(&sentence),
            suggestions: Vec::new(),
            refused: Some("too_long"),
        };
        let object = serde_json::to_string(&object).map_err(io::Error::other)?;
        return writeln!(output, "{object}");
    }
    let answer = bot.ask(question, Lang::Ja);
    if !json {
        return writeln!(output, "{}", bot.render(&answer));
    }
    let entries = bot.knowledge().entries();
    let entry = answer.entry().map(|e| &entries[e]);
    let suggestions = match &answer.decision {
        Decision::DidYouMean(offered) => answer
            .ranking
            .entries
            .iter()
            .filter(|s| offered.contains(&s.entry))
            .map(|s| SuggestionJson {
                id: entries[s.entry].id.as_str(),
                score: rounded(s.score),
            })
            .collect(),
        _ => Vec::new(),
    };
    let object = AskJson {
        lang: answer.lang,
        faq_id: entry.map(|e| e.id.as_str()),
        score: rounded(answer.ranking.top_score()),
        answer: entry.map(|e| e.answer.get(answer.lang).as_str()),
        suggestions,
        refused: None,
    };
    writeln!(
        output,
        "{}",
        serde_json::to_string(&object).map_err(io::Error::other)?
    )
}

/// Four decimals: the precision scores mean anything at.
fn rounded(score: f32) -> f64 {
    (f64::from(score) * 1e4).round() / 1e4
}
