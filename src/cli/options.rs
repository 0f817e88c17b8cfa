//! The options several commands share, each taken only by the commands that use it: the
//! knowledge base folder, the database, the chat platforms' settings file. The bare
//! `pao-bot`, which runs `chat` or `serve`, takes all three, and a subcommand falls back on
//! what was given before it (`pao-bot --faq DIR ask ...`).

use std::path::{Path, PathBuf};

use clap::Args;

/// The database when none is named.
const DEFAULT_DATABASE: &str = "sqlite://pao-bot.db";

#[derive(Debug, Clone, Default, Args)]
pub struct KnowledgeOption {
    /// The knowledge base folder [default: ./faq, else the one in the source tree the program
    /// was built from]
    #[arg(long, env = "PAO_FAQ_DIR", value_name = "DIR")]
    pub faq: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct DatabaseOption {
    /// The account database: sqlite://FILE (created when missing) or postgres://...
    /// [default: sqlite://pao-bot.db]
    // The URL may hold the database's password: `--help` must not print it from the
    // environment.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct ConfigOption {
    /// The chat platforms' settings file [default: ./pao-bot.yaml when it exists]
    #[arg(long, env = "PAO_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Where the knowledge base was looked for: the folder named, else `./faq`, else the source
/// tree's, for the message when there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaqFolder {
    Named(PathBuf),
    Default { tried: Vec<PathBuf> },
}

impl KnowledgeOption {
    /// This, else what `outer` (the options before the subcommand) gave.
    pub fn or(self, outer: &KnowledgeOption) -> KnowledgeOption {
        KnowledgeOption {
            faq: self.faq.or_else(|| outer.faq.clone()),
        }
    }

    /// The folder to read, and how it was chosen.
    pub fn folder(&self) -> (PathBuf, FaqFolder) {
        if let Some(named) = &self.faq {
            return (named.clone(), FaqFolder::Named(named.clone()));
        }
        let here = PathBuf::from("faq");
        let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        let chosen = if holds_knowledge(&here) {
            &here
        } else {
            &built
        };
        let tried = vec![here.clone(), built.clone()];
        (chosen.clone(), FaqFolder::Default { tried })
    }
}

/// Whether `dir` holds a knowledge base, even a broken one (which `check` then describes):
/// its entries or its sentences.
pub fn holds_knowledge(dir: &Path) -> bool {
    dir.join("entries").is_dir() || dir.join("messages.yaml").is_file()
}

impl DatabaseOption {
    /// This, else what `outer` gave, else the default SQLite file.
    pub fn url_or(self, outer: &DatabaseOption) -> String {
        self.database_url
            .or_else(|| outer.database_url.clone())
            .unwrap_or_else(|| DEFAULT_DATABASE.to_owned())
    }
}

impl ConfigOption {
    /// This, else what `outer` gave.
    pub fn or(self, outer: &ConfigOption) -> ConfigOption {
        ConfigOption {
            config: self.config.or_else(|| outer.config.clone()),
        }
    }
}

impl std::fmt::Display for FaqFolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FaqFolder::Named(dir) => write!(
                f,
                "{} holds none (no entries/ folder, no messages.yaml)",
                dir.display()
            ),
            FaqFolder::Default { tried } => {
                let tried: Vec<String> =
                    tried.iter().map(|dir| dir.display().to_string()).collect();
                write!(
                    f,
                    "tried {} (in the current folder, then in the source tree the program was \
                     built from), and none holds one",
                    tried.join(", ")
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_folders_tried_are_named_in_order() {
        let tried = FaqFolder::Default {
            tried: vec![PathBuf::from("faq"), PathBuf::from("/build/pao-bot/faq")],
        };
        assert_eq!(
            tried.to_string(),
            "tried faq, /build/pao-bot/faq (in the current folder, then in the source tree the \
             program was built from), and none holds one"
        );
    }
}
