//! The command line: `ask`, `eval`, `check`, `chat`, `serve`, `report`, `learn` and `admin`,
//! each writing to a given output so that tests and the binary run the same code.

mod ask;
mod chat;
mod options;

use std::io::{self, BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::admin::{self, AdminCommand, AdminError};
use crate::answer::Answerer;
use crate::config::{ConfigError, Settings};
use crate::conversation::{Engine, Period, Store};
use crate::database::serving::{self, ServingError};
use crate::database::{Backend, Database, DatabaseError, shown_url};
use crate::domain::Day;
use crate::eval::{self, EvalError};
use crate::exit;
use crate::knowledge::Diagnostics;
use crate::learn::{self, LearnError};
use crate::live::{LiveKnowledge, triggers};
use crate::report::Report;
use crate::serve::ServeError;
use crate::telemetry::http;
use crate::telemetry::readiness::Readiness;

pub use options::{ConfigOption, DatabaseOption, FaqFolder, KnowledgeOption};

/// A support chat-bot for Passport Advantage Online (PAO) customers, in Japanese and English.
///
/// Without a subcommand: `serve` when a chat platform's token is set, else `chat`.
#[derive(Debug, Parser)]
#[command(name = "pao-bot", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub knowledge: KnowledgeOption,

    #[command(flatten)]
    pub database: DatabaseOption,

    #[command(flatten)]
    pub config: ConfigOption,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer one question and exit
    Ask {
        #[command(flatten)]
        knowledge: KnowledgeOption,
        /// Print one JSON object instead of the reply's text
        #[arg(long)]
        json: bool,
        /// The question (several words are joined with spaces)
        #[arg(required = true, num_args = 1..)]
        question: Vec<String>,
    },
    /// Measure the matcher's accuracy on a file of questions with their expected entries
    Eval {
        #[command(flatten)]
        knowledge: KnowledgeOption,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
        /// A YAML list of {q: QUESTION, expect: ENTRY-ID or none}
        file: PathBuf,
    },
    /// Check the knowledge base: every file problem, and every example another entry wins
    Check {
        #[command(flatten)]
        knowledge: KnowledgeOption,
    },
    /// Run on Telegram, Discord and/or the web chat, as configured (the default when a token is set)
    Serve {
        #[command(flatten)]
        knowledge: KnowledgeOption,
        #[command(flatten)]
        database: DatabaseOption,
        #[command(flatten)]
        config: ConfigOption,
        /// Serve the web chat (/chat) on this address, such as 127.0.0.1:8080
        #[arg(long, value_name = "ADDRESS")]
        web: Option<SocketAddr>,
    },
    /// Talk to the bot in the terminal (the default otherwise), with account actions
    Chat {
        #[command(flatten)]
        knowledge: KnowledgeOption,
        #[command(flatten)]
        database: DatabaseOption,
        /// Speak as the local help-desk agent (console:local)
        #[arg(long)]
        agent: bool,
        /// Create the demo site 1234567 and print its passcode; an existing one is used as it is
        #[arg(long)]
        demo: bool,
        /// With --demo: give the existing demo site a new passcode (its next right passcode
        /// makes a new primary)
        #[arg(long, requires = "demo")]
        reset: bool,
    },
    /// What the bot could not answer, and how often each FAQ entry answered and helped
    Report {
        #[command(flatten)]
        knowledge: KnowledgeOption,
        #[command(flatten)]
        database: DatabaseOption,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
        /// Only what was asked from this day on (YYYY-MM-DD, in UTC)
        #[arg(long, value_name = "DATE")]
        since: Option<Day>,
        /// Only what was asked up to this day, this day included (YYYY-MM-DD, in UTC)
        #[arg(long, value_name = "DATE")]
        until: Option<Day>,
        /// Instead of a report: delete the answers, their feedback and the unanswered
        /// questions from before this day (YYYY-MM-DD, in UTC), and say how many
        #[arg(long, value_name = "DATE", conflicts_with_all = ["json", "since", "until"])]
        clear_before: Option<Day>,
    },
    /// Walk the report's groups of unanswered questions: add them to an entry as examples,
    /// or to the out-of-scope examples, in the faq/ files; then check the folder
    Learn {
        #[command(flatten)]
        knowledge: KnowledgeOption,
        #[command(flatten)]
        database: DatabaseOption,
    },
    /// Account actions for operators: sites, passcodes, nominations, agents, audit log
    // `--database-url` also after the action's words (`admin site add --database-url ...`).
    #[command(mut_arg("database_url", |arg| arg.global(true)))]
    Admin {
        #[command(flatten)]
        database: DatabaseOption,
        #[command(subcommand)]
        command: AdminCommand,
    },
}

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("the knowledge base in {dir} cannot be used:\n{problems}")]
    Knowledge { dir: PathBuf, problems: Diagnostics },
    #[error(
        "no knowledge base: {0}. Name the folder of FAQ files with --faq DIR (or PAO_FAQ_DIR), \
         such as the faq/ folder of pao-bot's source tree"
    )]
    NoKnowledgeBase(FaqFolder),
    #[error("the report's period is empty: --since {since} is after --until {until}")]
    EmptyPeriod { since: Day, until: Day },
    #[error(transparent)]
    Eval(#[from] EvalError),
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error("database {database}")]
    Database {
        /// Its URL, the password masked.
        database: String,
        #[source]
        source: DatabaseError,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error(transparent)]
    Serving(#[from] ServingError),
    #[error(
        "cannot listen for health and metrics on {address} (PAO_METRICS_LISTEN or metrics.listen)"
    )]
    MetricsListen {
        address: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("cannot read the report from the database")]
    Report(#[source] sqlx::Error),
    #[error("cannot clear the report's old rows in the database")]
    Clear(#[source] sqlx::Error),
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
            CliError::Database { source, .. } => exit::of_database(source),
            CliError::Report(_) | CliError::Clear(_) => exit::DATABASE,
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
    // Sent to the console's session thread, which prints what arrives while a line is read.
    W: Write + Send,
{
    let Cli {
        knowledge: outer_knowledge,
        database: outer_database,
        config: outer_config,
        command,
    } = cli;
    let command = match command {
        Some(command) => command,
        None => {
            let settings = Settings::load(outer_config.config.as_deref(), env_var)?;
            let (knowledge, database) = (KnowledgeOption::default(), DatabaseOption::default());
            match settings.any_channel() {
                true => Command::Serve {
                    knowledge,
                    database,
                    config: ConfigOption::default(),
                    web: None,
                },
                false => Command::Chat {
                    knowledge,
                    database,
                    agent: false,
                    demo: false,
                    reset: false,
                },
            }
        }
    };
    let load =
        |knowledge: KnowledgeOption| answerer_in(&knowledge_dir(&knowledge.or(&outer_knowledge))?);
    match command {
        Command::Check { knowledge } => {
            let dir = knowledge_dir(&knowledge.or(&outer_knowledge))?;
            return check(&dir, &mut output);
        }
        Command::Admin { database, command } => {
            let url = database.url_or(&outer_database);
            let run = admin::run(command, &url, input, &mut output);
            return Ok(runtime()?.block_on(run)?);
        }
        Command::Ask {
            knowledge,
            json,
            question,
        } => ask::run(&load(knowledge)?, &question.join(" "), json, &mut output)?,
        Command::Eval {
            knowledge,
            json,
            file,
        } => {
            let bot = load(knowledge)?;
            let questions = eval::load(&file, &bot)?;
            let report = eval::run(&bot, &questions);
            if json {
                let object = serde_json::to_string(&report).map_err(io::Error::other)?;
                writeln!(output, "{object}")?;
            } else {
                writeln!(output, "{report}")?;
            }
        }
        Command::Chat {
            knowledge,
            database,
            agent,
            demo,
            reset,
        } => {
            let bot = Arc::new(load(knowledge)?);
            let url = database.url_or(&outer_database);
            let terminal = input.is_terminal();
            let demo = demo.then_some(chat::Demo { reset });
            chat::chat(bot, &url, agent, demo, input, &mut output, terminal)?;
        }
        Command::Serve {
            knowledge,
            database,
            config,
            web,
        } => {
            let config = config.or(&outer_config);
            let settings = Settings::load(config.config.as_deref(), env_var)?.web_on(web);
            let dir = knowledge_dir(&knowledge.or(&outer_knowledge))?;
            let bot = answerer_in(&dir)?;
            let url = database.url_or(&outer_database);
            runtime()?.block_on(serve(Arc::new(bot), dir, &url, settings))?;
        }
        Command::Report {
            knowledge,
            database,
            json,
            since,
            until,
            clear_before,
        } => {
            let url = database.url_or(&outer_database);
            if let Some(day) = clear_before {
                runtime()?.block_on(clear(&url, day, &mut output))?;
                return Ok(ExitCode::SUCCESS);
            }
            let period = period(since, until)?;
            let bot = load(knowledge)?;
            runtime()?.block_on(report(&bot, &url, period, json, &mut output))?;
        }
        Command::Learn {
            knowledge,
            database,
        } => {
            let dir = knowledge_dir(&knowledge.or(&outer_knowledge))?;
            let bot = answerer_in(&dir)?;
            let url = database.url_or(&outer_database);
            let report = runtime()?.block_on(read_report(&bot, &url))?;
            // The unanswered questions first, then those whose answer did not help.
            let groups = [report.groups, report.did_not_help].concat();
            let learned = learn::walk(&bot, &dir, &groups, input, &mut output)?;
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

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The knowledge base folder `knowledge` names, else the default one, when it holds one.
/// The knowledge base of `dir`, loaded and indexed.
fn answerer_in(dir: &Path) -> Result<Answerer, CliError> {
    Answerer::load(dir).map_err(|problems| CliError::Knowledge {
        dir: dir.to_owned(),
        problems,
    })
}

fn knowledge_dir(knowledge: &KnowledgeOption) -> Result<PathBuf, CliError> {
    let (dir, how) = knowledge.folder();
    if !options::holds_knowledge(&dir) {
        return Err(CliError::NoKnowledgeBase(how));
    }
    Ok(dir)
}

/// `--since` and `--until` as the period they bound, each day included.
fn period(since: Option<Day>, until: Option<Day>) -> Result<Period, CliError> {
    if let (Some(since), Some(until)) = (since, until)
        && since > until
    {
        return Err(CliError::EmptyPeriod { since, until });
    }
    Ok(Period {
        from: since.map_or(Period::ALL.from, Day::start),
        to: until.map_or(Period::ALL.to, Day::end),
    })
}

/// The database at `url`, an error naming it (its password masked) when it cannot be used.
async fn database(url: &str, open: bool) -> Result<Database, CliError> {
    let opened = match open {
        true => Database::open(url).await,
        false => Database::connect(url).await,
    };
    opened.map_err(|source| CliError::Database {
        database: shown_url(url),
        source,
    })
}

fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// `pao-bot serve`: the configured channels until Ctrl-C or SIGTERM, the knowledge base of
/// `dir` reloaded whenever it changes.
async fn serve(
    bot: Arc<Answerer>,
    dir: PathBuf,
    url: &str,
    settings: Settings,
) -> Result<(), CliError> {
    if !settings.any_channel() {
        return Err(ServeError::NoChannel.into());
    }
    let db = database(url, true)
        .await?
        .with_outbox_lease(settings.outbox_lease);
    // Held until serving ends.
    let _alone = match db.backend() {
        Backend::Sqlite => serving::serve_alone(url)?,
        Backend::Postgres => None,
    };
    let address = settings.metrics.listen;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| CliError::MetricsListen { address, source })?;
    let knowledge = Arc::new(LiveKnowledge::new(bot));
    let engine = Engine::on_database_live(knowledge.clone(), db.clone())
        .with_help_desk(settings.help_desk.clone())
        .with_web_url(settings.web.as_ref().map(|web| web.url()));
    let engine = Arc::new(engine);
    let shutdown = CancellationToken::new();
    tokio::spawn(crate::serve::cancel_on_signal(shutdown.clone()));
    let readiness = Readiness {
        db: db.clone(),
        knowledge: knowledge.clone(),
        connections: engine.connections().clone(),
    };
    let stop_http = shutdown.clone().cancelled_owned();
    tokio::spawn(async move {
        if let Err(error) = http::serve(listener, readiness, stop_http).await {
            tracing::error!(%error, "the health and metrics server stopped");
        }
    });
    tokio::spawn(triggers::keep_current(
        knowledge,
        dir,
        db.clone(),
        shutdown.clone(),
    ));
    let result = crate::serve::serve(engine, settings, shutdown).await;
    db.close().await;
    Ok(result?)
}

async fn report<W: Write>(
    bot: &Answerer,
    url: &str,
    period: Period,
    json: bool,
    output: &mut W,
) -> Result<(), CliError> {
    let store = Store::new(database(url, false).await?);
    let report = Report::read(&store, bot, period)
        .await
        .map_err(CliError::Report)?;
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

/// `report --clear-before DAY`.
async fn clear<W: Write>(url: &str, day: Day, output: &mut W) -> Result<(), CliError> {
    let store = Store::new(database(url, false).await?);
    let cleared = store
        .clear_before(day.start())
        .await
        .map_err(CliError::Clear)?;
    writeln!(
        output,
        "cleared from before {day}: {} answers (with their feedback), {} unanswered questions",
        cleared.answers, cleared.unanswered
    )?;
    Ok(())
}

/// The report over all time, whose groups `pao-bot learn` walks.
async fn read_report(bot: &Answerer, url: &str) -> Result<Report, CliError> {
    let store = Store::new(database(url, false).await?);
    Report::read(&store, bot, Period::ALL)
        .await
        .map_err(CliError::Report)
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
