//! pao-bot: a support chat-bot for Passport Advantage Online (PAO) customers, in Japanese
//! and English.
//!
//! A tour, in the order data flows:
//!
//! - [`channels`]: where messages come from and replies go; [`channels::console`] is the
//!   terminal.
//! - [`commands`]: the one table of slash commands, from which the engine parses, Telegram
//!   and Discord build their menus and `/help` lists them.
//! - [`conversation`]: the engine every channel feeds: FAQ answers with feedback, guided
//!   procedures with account actions, help-desk commands, each person's state.
//! - [`answer`]: turns a customer's question into the bot's reply ([`answer::Answerer`]).
//! - [`matcher`]: finds the FAQ entry that answers a question, with a score.
//! - [`knowledge`]: the FAQ, procedures, vocabulary and sentences, loaded from `faq/`;
//!   [`live`]: the one in use while serving, reloaded when its folder changes.
//! - [`text`], [`markup`] and [`lang`]: text folding, links, and the two languages, shared by
//!   all of the above; [`masking`]: the passcodes and e-mail addresses taken out of whatever
//!   a person typed before it is kept or logged, and [`logging`] the log that masks them too.
//! - [`check`] and [`eval`]: the knowledge base's self-test and the accuracy measurement;
//!   [`report`]: what customers asked that the bot could not answer, grouped, and what
//!   helped; [`learn`]: those groups walked in the terminal and written into `faq/`.
//! - [`service`]: account actions (sites, passcodes, nominations, roles) on [`domain`]
//!   values, its SQL split by concern under `service/sql/`; [`admin`] is its command line
//!   for operators.
//! - [`policy`]: the numbers the service and the engine keep to (lockout, timeout, retries),
//!   which the sentences state through placeholders.
//! - [`database`]: the SQLite or PostgreSQL database the service and the conversations share.
//! - [`telemetry`]: the metrics, and the health and metrics HTTP server `serve` runs.
//! - [`cli`]: the command line; [`exit`]: its exit codes; [`causes`]: an error with its
//!   causes as the one line it is told in.

pub mod admin;
pub mod answer;
pub mod causes;
pub mod channels;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod conversation;
pub mod database;
pub mod domain;
pub mod eval;
pub mod exit;
pub mod knowledge;
pub mod lang;
pub mod learn;
pub mod live;
pub mod logging;
pub mod markup;
pub mod masking;
pub mod matcher;
pub mod policy;
pub mod replicas;
pub mod report;
pub mod serve;
pub mod service;
pub mod telemetry;
pub mod text;
