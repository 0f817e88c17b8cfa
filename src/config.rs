//! The chat platforms' settings, layered: a YAML file (`--config FILE`, else `pao-bot.yaml`
//! in the working folder when there is one), then the environment, which wins. The variable
//! names are the ones each library's users know: teloxide's `TELOXIDE_TOKEN` and
//! `TELOXIDE_API_URL`, and `DISCORD_TOKEN` / `DISCORD_API_URL`.
//!
//! ```yaml
//! telegram:
//!   token: "123456:ABC..."          # or TELOXIDE_TOKEN
//!   api_url: http://127.0.0.1:8081  # or TELOXIDE_API_URL; the Bot API server to use
//!   webhook:                        # long polling when left out
//!     listen: 0.0.0.0:8443
//!     url: https://bot.example.com/telegram
//! discord:
//!   token: "..."                    # or DISCORD_TOKEN
//!   api_url: http://127.0.0.1:9000  # or DISCORD_API_URL; replaces https://discord.com
//!   guild: 123456789012345678       # register slash commands there (instant) instead of globally
//!   message_content: false          # ask for the privileged Message Content intent
//!   shards: {total: 2, ids: [0]}    # or DISCORD_SHARDS=0/2; see shards.rs
//! help_desk:                        # see help_desk.rs
//!   hours: "09:00-17:30"
//!   utc_offset: "+09:00"
//! metrics:
//!   listen: 127.0.0.1:9464          # or PAO_METRICS_LISTEN; /healthz, /readyz, /metrics
//! web:                              # see web.rs; or PAO_WEB_LISTEN alone
//!   listen: 127.0.0.1:8080
//! outbox:
//!   lease_secs: 120                 # or PAO_OUTBOX_LEASE_SECS; how long a claim holds
//! ```
//!
//! Tokens are [`SecretString`]s: they are never printed, not even by `Debug`.

mod help_desk;
mod shards;
mod web;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use crate::config::help_desk::HelpDeskFile;
use crate::config::shards::ShardsFile;
use crate::policy::OUTBOX_LEASE;

pub use help_desk::{HelpDeskSettings, OpeningHours};
pub use shards::Shards;
pub use web::{DEFAULT_WEB_LISTEN, WebSettings};

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_FILE: &str = "pao-bot.yaml";

/// Where the health and metrics HTTP server listens unless told otherwise: Prometheus' own
/// loopback port for exporters of this kind.
pub const DEFAULT_METRICS_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9464);

/// Every channel that is configured, and the health and metrics server's address.
#[derive(Debug)]
pub struct Settings {
    pub telegram: Option<TelegramSettings>,
    pub discord: Option<DiscordSettings>,
    pub help_desk: HelpDeskSettings,
    pub metrics: MetricsSettings,
    /// The web chat, when it is served.
    pub web: Option<WebSettings>,
    /// How long a replica's claim on outbox messages lasts: how long the messages of a
    /// replica that died wait before another sends them.
    pub outbox_lease: Duration,
}

/// The outbox's settings in the file.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboxFile {
    lease_secs: u64,
}

/// The health and metrics HTTP server's settings.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// The address it binds.
    pub listen: SocketAddr,
}

impl Default for MetricsSettings {
    fn default() -> MetricsSettings {
        MetricsSettings {
            listen: DEFAULT_METRICS_LISTEN,
        }
    }
}

/// The Telegram channel's settings.
#[derive(Debug, Clone)]
pub struct TelegramSettings {
    pub token: SecretString,
    /// The Bot API server, when not Telegram's own.
    pub api_url: Option<String>,
    /// Webhook mode; long polling when `None`.
    pub webhook: Option<Webhook>,
}

/// Where Telegram delivers updates in webhook mode.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// The address the HTTP listener binds.
    pub listen: SocketAddr,
    /// The public HTTPS address Telegram is given, which reaches `listen`.
    pub url: String,
}

/// The Discord channel's settings.
#[derive(Debug, Clone)]
pub struct DiscordSettings {
    pub token: SecretString,
    /// Replaces `https://discord.com` as the base of every HTTP call.
    pub api_url: Option<String>,
    /// The guild to register slash commands in; globally when `None`.
    pub guild: Option<u64>,
    /// Whether to ask for the privileged Message Content intent.
    pub message_content: bool,
    /// The shards this process connects; shard 0 of 1 when `None`.
    pub shards: Option<Shards>,
}

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the settings file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the settings file {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("DISCORD_SHARDS is not shards such as 0,1/4 (ids/total) or 4 (all): {0}")]
    Shards(String),
    #[error("PAO_OUTBOX_LEASE_SECS is not a number of seconds above 0: {0:?}")]
    OutboxLease(String),
    #[error("{variable} is not an address to listen on (such as 127.0.0.1:9464): {value:?}")]
    Address {
        variable: &'static str,
        value: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    telegram: Option<TelegramFile>,
    discord: Option<DiscordFile>,
    help_desk: Option<HelpDeskFile>,
    metrics: Option<MetricsSettings>,
    web: Option<WebSettings>,
    outbox: Option<OutboxFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TelegramFile {
    token: Option<String>,
    api_url: Option<String>,
    webhook: Option<Webhook>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiscordFile {
    token: Option<String>,
    api_url: Option<String>,
    guild: Option<u64>,
    #[serde(default)]
    message_content: bool,
    shards: Option<ShardsFile>,
}

impl Settings {
    /// Reads `file` (or [`DEFAULT_FILE`] when it exists), then `env`, which wins.
    pub fn load<F>(file: Option<&Path>, env: F) -> Result<Settings, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let path = file.map_or_else(|| PathBuf::from(DEFAULT_FILE), Path::to_owned);
        let file = match file {
            Some(path) => read(path)?,
            None if Path::new(DEFAULT_FILE).is_file() => read(Path::new(DEFAULT_FILE))?,
            None => File::default(),
        };
        let help_desk = match file.help_desk {
            Some(section) => section.settings().map_err(|message| ConfigError::Invalid {
                path: path.clone(),
                message,
            })?,
            None => HelpDeskSettings::default(),
        };
        let env = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        let telegram = file.telegram.unwrap_or_default();
        let mut discord = file.discord.unwrap_or_default();
        let shards = match (env("DISCORD_SHARDS"), discord.shards.take()) {
            (Some(value), _) => Some(Shards::parse(&value).map_err(ConfigError::Shards)?),
            (None, Some(section)) => {
                Some(section.shards().map_err(|message| ConfigError::Invalid {
                    path: path.clone(),
                    message,
                })?)
            }
            (None, None) => None,
        };
        let metrics = match env("PAO_METRICS_LISTEN") {
            Some(value) => MetricsSettings {
                listen: value.trim().parse().map_err(|_| ConfigError::Address {
                    variable: "PAO_METRICS_LISTEN",
                    value,
                })?,
            },
            None => file.metrics.unwrap_or_default(),
        };
        let web = match env("PAO_WEB_LISTEN") {
            Some(value) => Some(WebSettings {
                listen: value.trim().parse().map_err(|_| ConfigError::Address {
                    variable: "PAO_WEB_LISTEN",
                    value,
                })?,
                public_url: file.web.and_then(|web| web.public_url),
            }),
            None => file.web,
        };
        let outbox_lease = match env("PAO_OUTBOX_LEASE_SECS") {
            Some(value) => match value.trim().parse::<u64>() {
                Ok(secs) if secs > 0 => Duration::from_secs(secs),
                _ => return Err(ConfigError::OutboxLease(value)),
            },
            None => match file.outbox {
                Some(OutboxFile { lease_secs: 0 }) => {
                    let message = "outbox.lease_secs must be above 0".to_owned();
                    return Err(ConfigError::Invalid { path, message });
                }
                Some(OutboxFile { lease_secs }) => Duration::from_secs(lease_secs),
                None => OUTBOX_LEASE,
            },
        };
        Ok(Settings {
            metrics,
            web,
            outbox_lease,
            telegram: env("TELOXIDE_TOKEN")
                .or(telegram.token)
                .map(|token| TelegramSettings {
                    token: SecretString::from(token),
                    api_url: env("TELOXIDE_API_URL").or(telegram.api_url),
                    webhook: telegram.webhook,
                }),
            discord: env("DISCORD_TOKEN")
                .or(discord.token)
                .map(|token| DiscordSettings {
                    token: SecretString::from(token),
                    api_url: env("DISCORD_API_URL").or(discord.api_url),
                    guild: discord.guild,
                    message_content: discord.message_content,
                    shards,
                }),
            help_desk,
        })
    }

    /// These settings with the web chat on `listen` when given (`serve --web`), which wins
    /// over the file and the environment.
    pub fn web_on(mut self, listen: Option<SocketAddr>) -> Settings {
        if let Some(listen) = listen {
            let public_url = self.web.and_then(|web| web.public_url);
            self.web = Some(WebSettings { listen, public_url });
        }
        self
    }

    /// Whether any channel to serve is configured: a chat platform or the web chat.
    pub fn any_channel(&self) -> bool {
        self.telegram.is_some() || self.discord.is_some() || self.web.is_some()
    }
}

fn read(path: &Path) -> Result<File, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_yaml::from_str(&text).map_err(|e| ConfigError::Invalid {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn the_environment_wins_over_the_file() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            file,
            "telegram:\n  token: from-file\n  api_url: http://file\ndiscord:\n  token: d\n  guild: 42"
        )
        .unwrap();
        let env = |name: &str| (name == "TELOXIDE_TOKEN").then(|| "from-env".to_owned());
        let settings = Settings::load(Some(file.path()), env).unwrap();
        let telegram = settings.telegram.unwrap();
        assert_eq!(telegram.token.expose_secret(), "from-env");
        assert_eq!(telegram.api_url.as_deref(), Some("http://file"));
        assert_eq!(settings.discord.unwrap().guild, Some(42));
    }

    #[test]
    fn the_metrics_address_is_the_default_the_file_s_or_the_environment_s() {
        assert_eq!(
            Settings::load(None, |_| None).unwrap().metrics.listen,
            DEFAULT_METRICS_LISTEN
        );
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "metrics:\n  listen: 0.0.0.0:9100").unwrap();
        let from_file = Settings::load(Some(file.path()), |_| None).unwrap();
        assert_eq!(from_file.metrics.listen.to_string(), "0.0.0.0:9100");
        let env = |name: &str| (name == "PAO_METRICS_LISTEN").then(|| "127.0.0.1:0".to_owned());
        let from_env = Settings::load(Some(file.path()), env).unwrap();
        assert_eq!(from_env.metrics.listen.to_string(), "127.0.0.1:0");
        let bad = |name: &str| (name == "PAO_METRICS_LISTEN").then(|| "localhost".to_owned());
        let error = Settings::load(None, bad).unwrap_err();
        assert!(error.to_string().contains("PAO_METRICS_LISTEN"), "{error}");
    }

    #[test]
    fn the_outbox_lease_comes_from_the_file_or_the_environment_else_the_default() {
        let none = Settings::load(None, |_| None).unwrap();
        assert_eq!(none.outbox_lease, OUTBOX_LEASE);
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "outbox:\n  lease_secs: 30").unwrap();
        let from_file = Settings::load(Some(file.path()), |_| None).unwrap();
        assert_eq!(from_file.outbox_lease, Duration::from_secs(30));
        let env = |name: &str| (name == "PAO_OUTBOX_LEASE_SECS").then(|| "5".to_owned());
        let from_env = Settings::load(Some(file.path()), env).unwrap();
        assert_eq!(from_env.outbox_lease, Duration::from_secs(5));
        for bad in ["0", "soon"] {
            let env = |name: &str| (name == "PAO_OUTBOX_LEASE_SECS").then(|| bad.to_owned());
            let error = Settings::load(None, env).unwrap_err();
            assert!(
                error.to_string().contains("PAO_OUTBOX_LEASE_SECS"),
                "{error}"
            );
        }
        let mut zero = tempfile::NamedTempFile::new().unwrap();
        writeln!(zero, "outbox:\n  lease_secs: 0").unwrap();
        let error = Settings::load(Some(zero.path()), |_| None).unwrap_err();
        assert!(error.to_string().contains("lease_secs"), "{error}");
    }

    #[test]
    fn the_web_chat_is_served_when_the_file_or_the_environment_says_where() {
        let none = Settings::load(None, |_| None).unwrap();
        assert_eq!(none.web, None);
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "web:\n  public_url: https://help.example.com").unwrap();
        let from_file = Settings::load(Some(file.path()), |_| None).unwrap();
        let web = from_file.web.clone().unwrap();
        assert_eq!(web.listen, DEFAULT_WEB_LISTEN);
        assert!(web.secure());
        assert!(from_file.any_channel());
        let env = |name: &str| (name == "PAO_WEB_LISTEN").then(|| "127.0.0.1:0".to_owned());
        let from_env = Settings::load(Some(file.path()), env).unwrap().web.unwrap();
        assert_eq!(from_env.listen.to_string(), "127.0.0.1:0");
        assert_eq!(
            from_env.public_url.as_deref(),
            Some("https://help.example.com")
        );
        let alone = Settings::load(None, env).unwrap();
        assert!(alone.any_channel() && alone.telegram.is_none() && alone.discord.is_none());
        let bad = |name: &str| (name == "PAO_WEB_LISTEN").then(|| "localhost".to_owned());
        let error = Settings::load(None, bad).unwrap_err();
        assert!(error.to_string().contains("PAO_WEB_LISTEN"), "{error}");
    }

    #[test]
    fn discord_shards_come_from_the_file_or_the_environment_and_bad_ones_are_refused() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            file,
            "discord:\n  token: d\n  shards: {{total: 4, ids: [3, 1]}}"
        )
        .unwrap();
        let shards = |settings: Settings| settings.discord.unwrap().shards.map(|s| s.to_string());
        let from_file = Settings::load(Some(file.path()), |_| None).unwrap();
        assert_eq!(shards(from_file).as_deref(), Some("1,3/4"));
        let env = |name: &str| (name == "DISCORD_SHARDS").then(|| "0/2".to_owned());
        let from_env = Settings::load(Some(file.path()), env).unwrap();
        assert_eq!(shards(from_env).as_deref(), Some("0/2"));
        let bad = |name: &str| (name == "DISCORD_SHARDS").then(|| "0,0/2".to_owned());
        let error = Settings::load(Some(file.path()), bad).unwrap_err();
        assert!(error.to_string().contains("0 twice"), "{error}");
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            file,
            "discord:\n  token: d\n  shards: {{total: 2, ids: [2]}}"
        )
        .unwrap();
        let error = Settings::load(Some(file.path()), |_| None).unwrap_err();
        assert!(
            error.to_string().contains("discord.shards.ids has 2"),
            "{error}"
        );
    }

    #[test]
    fn nothing_configured_is_no_channel_and_a_typo_is_an_error() {
        let none = Settings::load(None, |_| None).unwrap();
        assert!(!none.any_channel());
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "telegram:\n  tokn: x").unwrap();
        let error = Settings::load(Some(file.path()), |_| None).unwrap_err();
        assert!(error.to_string().contains("tokn"), "{error}");
    }
}
