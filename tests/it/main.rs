//! The integration tests: one binary, a module per area.

mod ask;
mod breaker;
mod chat;
mod check;
mod conversations;
mod database_faults;
mod databases;
mod discord;
mod engine_databases;
mod eval;
mod first_run;
mod health;
mod hostile_input;
mod json_logs;
mod learn;
mod reload;
mod report_period;
mod robustness;
mod secrets;
mod service;
mod single_serve;
mod source;
mod subjects;
mod support;
mod telegram;
