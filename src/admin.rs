//! `pao-bot admin`: every account action from the command line, for operators and scripts.
//! It acts as the local operator, `console:local`, which counts as a help-desk agent and is
//! audited as such.
//!
//! Exit codes ([`exit`](crate::exit)): 0 done (for `passcode check`: accepted), 1 refused
//! (wrong passcode, not allowed, no such site...), 2 bad input (from clap, before anything
//! runs), 3 the database cannot be used, 4 the passcode checks are locked.

mod handoff;

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use secrecy::{ExposeSecret, SecretString};

use crate::database::{Database, DatabaseError, shown_url};
use crate::domain::{
    ChatIdentity, DenyReason, GrantRole, IbmId, Passcode, PasscodeError, Program, SiteNumber,
};
use crate::exit::{self, LOCKED, REFUSED};
use crate::live::requests;
use crate::live::triggers::POLL_EVERY;
use crate::policy::{LOCKOUT_WINDOW, WEB_LINK_VALIDITY, minutes};
use crate::service::{
    AccountService, FirstAccess, Lockout, NominationId, ServiceError, SqlService, SystemClock,
};

pub use handoff::HandoffCommand;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add a site or show its members, nominations and lockout
    Site {
        #[command(subcommand)]
        command: SiteCommand,
    },
    /// Check a site contact's temporary passcode, or issue a new one
    Passcode {
        #[command(subcommand)]
        command: PasscodeCommand,
    },
    /// Request, list and decide requests for access to a site
    Nomination {
        #[command(subcommand)]
        command: NominationCommand,
    },
    /// Register, list and remove help-desk agents
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// List the help desk's tickets, or show one with its transcript
    Handoff {
        #[command(subcommand)]
        command: HandoffCommand,
    },
    /// Lift a site's passcode lockout
    Unlock {
        /// The site number (7 digits)
        site: SiteNumber,
    },
    /// Show the most recent audit log rows
    Audit {
        /// Only rows about this site
        #[arg(long)]
        site: Option<SiteNumber>,
    },
    /// Ask every running `pao-bot serve` on this database to reload its knowledge base folder
    Reload,
    /// Print a one-time link for a registered agent to sign in to the help desk's web page
    WebLogin {
        /// The agent, as CHANNEL:ID (telegram:123456, discord:987654321)
        agent: ChatIdentity,
        /// The address the web page is reached at (its public URL)
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Register a site and print its temporary passcode (shown this once)
    Add {
        /// The site number (7 digits)
        site: SiteNumber,
        /// pa (Passport Advantage) or pae (Passport Advantage Express)
        #[arg(long, default_value = "pa")]
        program: Program,
    },
    /// Show a site's members and roles, pending nominations and lockout state
    Show {
        /// The site number (7 digits)
        site: SiteNumber,
    },
}

#[derive(Debug, Subcommand)]
pub enum PasscodeCommand {
    /// Check a passcode: exit 0 accepted (IBM_ID becomes primary), 1 wrong, 4 locked
    Check {
        /// The site number (7 digits)
        site: SiteNumber,
        /// The site contact's IBM ID (e-mail address)
        ibm_id: IbmId,
        /// The temporary passcode. Better left out: shell history and process lists keep a
        /// command line; it is then asked for without echo at a terminal, else read from the
        /// first line of standard input
        #[arg(conflicts_with = "passcode_stdin")]
        code: Option<Passcode>,
        /// Read the passcode from the first line of standard input
        #[arg(long)]
        passcode_stdin: bool,
    },
    /// Replace a site's passcode, lift its lockout, and print the new one (shown this once)
    Reissue {
        /// The site number (7 digits)
        site: SiteNumber,
    },
}

#[derive(Debug, Subcommand)]
pub enum NominationCommand {
    /// Ask for IBM_ID to get access to SITE; prints `nomination: ID`
    Request {
        /// The site number (7 digits)
        site: SiteNumber,
        /// The IBM ID (e-mail address) asking for access
        ibm_id: IbmId,
    },
    /// List pending nominations
    List {
        /// Only this site's
        #[arg(long)]
        site: Option<SiteNumber>,
    },
    /// Approve a nomination
    Approve {
        /// The nomination's number
        id: NominationId,
        /// The role to grant: user or secondary (at most 4 per site)
        #[arg(long, default_value = "user")]
        role: GrantRole,
    },
    /// Deny a nomination; the requester is told the reason
    Deny {
        /// The nomination's number
        id: NominationId,
        /// Why, in words the requester will see
        #[arg(long)]
        reason: DenyReason,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Register CHANNEL:ID (telegram:123456, discord:987654321) as a help-desk agent
    Add {
        /// The agent's chat identity
        identity: ChatIdentity,
    },
    /// List the registered help-desk agents (the local operator, console:local, always is one)
    List,
    /// Remove CHANNEL:ID from the help-desk agents
    Remove {
        /// The agent's chat identity
        identity: ChatIdentity,
    },
}

/// Why an admin command could not run at all (a refusal is not one of these).
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("database {database}")]
    Open {
        /// Its URL, the password masked.
        database: String,
        #[source]
        source: DatabaseError,
    },
    #[error(transparent)]
    Service(ServiceError),
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Passcode(#[from] PasscodeError),
}

impl AdminError {
    /// The process's exit code after this error: the database's faults are
    /// [`exit::DATABASE`], never taken for bad input.
    pub fn exit_code(&self) -> u8 {
        match self {
            AdminError::Open { source, .. } => exit::of_database(source),
            AdminError::Service(ServiceError::Unavailable(_) | ServiceError::Corrupt(_)) => {
                exit::DATABASE
            }
            AdminError::Service(_) | AdminError::Io(_) | AdminError::Passcode(_) => exit::BAD_INPUT,
        }
    }
}

/// Opens the database at `database_url` and runs `command` as `console:local`; a passcode
/// the command needs and was not given is read from `input`.
pub async fn run<R, W>(
    command: AdminCommand,
    database_url: &str,
    input: R,
    out: &mut W,
) -> Result<ExitCode, AdminError>
where
    R: BufRead + IsTerminal,
    W: Write,
{
    let command = with_passcode(command, input)?;
    let service = SqlService::connect(database_url, Arc::new(SystemClock))
        .await
        .map_err(|source| AdminError::Open {
            database: shown_url(database_url),
            source,
        })?;
    let actor = ChatIdentity::local_operator();
    let code = execute(&service, service.database(), &actor, command, out).await;
    service.close().await;
    code
}

/// `command` with the passcode `passcode check` was not given on its command line: typed at
/// a prompt without echo on a terminal, else the first line of `input`.
fn with_passcode<R>(command: AdminCommand, mut input: R) -> Result<AdminCommand, AdminError>
where
    R: BufRead + IsTerminal,
{
    let (site, ibm_id, passcode_stdin) = match command {
        AdminCommand::Passcode {
            command:
                PasscodeCommand::Check {
                    site,
                    ibm_id,
                    code: None,
                    passcode_stdin,
                },
        } => (site, ibm_id, passcode_stdin),
        other => return Ok(other),
    };
    let typed = if input.is_terminal() {
        SecretString::from(rpassword::prompt_password("passcode: ")?)
    } else {
        let mut line = String::new();
        input.read_line(&mut line)?;
        SecretString::from(line)
    };
    if typed.expose_secret().trim().is_empty() {
        return Err(AdminError::Io(no_passcode()));
    }
    let code = Passcode::parse(typed.expose_secret())?;
    Ok(AdminCommand::Passcode {
        command: PasscodeCommand::Check {
            site,
            ibm_id,
            code: Some(code),
            passcode_stdin,
        },
    })
}

fn no_passcode() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "no passcode: give CODE, or type it on standard input",
    )
}

/// Runs `command` against `service` (on `database`) as `actor`, writing results and refusals
/// to `out`.
pub async fn execute<S, W>(
    service: &S,
    database: &Database,
    actor: &ChatIdentity,
    command: AdminCommand,
    out: &mut W,
) -> Result<ExitCode, AdminError>
where
    S: AccountService + ?Sized,
    W: Write,
{
    let mut session = Session {
        service,
        database,
        actor,
        out,
    };
    match session.perform(command).await {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(Failure::Io(error)) => Err(error.into()),
        Err(Failure::Service(error)) => refused(error, out),
    }
}

enum Failure {
    Service(ServiceError),
    Io(io::Error),
}

impl From<ServiceError> for Failure {
    fn from(error: ServiceError) -> Failure {
        Failure::Service(error)
    }
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Failure {
        Failure::Io(error)
    }
}

/// Says why the service refused, with the exit code that tells scripts which refusal it was.
fn refused<W>(error: ServiceError, out: &mut W) -> Result<ExitCode, AdminError>
where
    W: Write,
{
    let code = match error {
        ServiceError::Unavailable(_) | ServiceError::Corrupt(_) | ServiceError::Hashing => {
            return Err(AdminError::Service(error));
        }
        ServiceError::Locked { .. } | ServiceError::TooManyUnknownSites { .. } => LOCKED,
        _ => REFUSED,
    };
    writeln!(out, "refused: {error}")?;
    Ok(ExitCode::from(code))
}

/// One admin command's run: the service, who acts, and where the results go.
struct Session<'a, S, W>
where
    S: AccountService + ?Sized,
    W: Write,
{
    service: &'a S,
    /// For what is no account action: `reload`.
    database: &'a Database,
    actor: &'a ChatIdentity,
    out: &'a mut W,
}

impl<S, W> Session<'_, S, W>
where
    S: AccountService + ?Sized,
    W: Write,
{
    async fn perform(&mut self, command: AdminCommand) -> Result<(), Failure> {
        let (service, actor) = (self.service, self.actor);
        match command {
            AdminCommand::Site {
                command: SiteCommand::Add { site, program },
            } => {
                let passcode = service.add_site(actor, &site, program).await?;
                writeln!(self.out, "site {site} added ({program})")?;
                writeln!(self.out, "passcode: {}", passcode.expose_secret())?;
            }
            AdminCommand::Site {
                command: SiteCommand::Show { site },
            } => self.show_site(&site).await?,
            AdminCommand::Passcode { command } => self.passcode(command).await?,
            AdminCommand::Nomination { command } => self.nomination(command).await?,
            AdminCommand::Agent { command } => self.agent(command).await?,
            AdminCommand::Handoff { command } => self.handoff(command).await?,
            AdminCommand::Reload => self.reload().await?,
            AdminCommand::WebLogin { agent, url } => {
                let link = service.web_link(actor, &agent).await?;
                writeln!(
                    self.out,
                    "sign-in link for {agent}, to be used once within {} minutes:\n{}/desk/login/{}",
                    minutes(WEB_LINK_VALIDITY),
                    url.trim_end_matches('/'),
                    link.secret.expose_secret()
                )?;
            }
            AdminCommand::Unlock { site } => {
                service.unlock(actor, &site).await?;
                writeln!(self.out, "unlocked: site {site}")?;
            }
            AdminCommand::Audit { site } => {
                for entry in service.audit_log(actor, site.as_ref()).await? {
                    writeln!(
                        self.out,
                        "{}  {}  {}  site={}  ibm_id={}  {}{}",
                        entry.at,
                        entry.actor,
                        entry.action,
                        entry.site.as_deref().unwrap_or("-"),
                        entry.ibm_id.as_deref().unwrap_or("-"),
                        entry.outcome,
                        entry.detail.map(|d| format!("  ({d})")).unwrap_or_default(),
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Moves the database's reload counter, which every running `serve` polls.
    async fn reload(&mut self) -> Result<(), Failure> {
        let generation = requests::request(self.database)
            .await
            .map_err(ServiceError::Unavailable)?;
        writeln!(
            self.out,
            "reload asked (request {generation}): every running pao-bot serve on this database \
             reloads its knowledge base within {} s",
            POLL_EVERY.as_secs()
        )?;
        Ok(())
    }

    async fn show_site(&mut self, site: &SiteNumber) -> Result<(), Failure> {
        let view = self.service.show_site(self.actor, site).await?;
        let out = &mut *self.out;
        writeln!(out, "site {} ({})", view.site, view.program)?;
        let passcode = if view.passcode_outstanding {
            "outstanding"
        } else {
            "used"
        };
        writeln!(out, "passcode: {passcode}")?;
        match view.lockout {
            Lockout::Open { recent_failures } => writeln!(
                out,
                "lockout: open ({recent_failures} failed checks in the last {} minutes)",
                minutes(LOCKOUT_WINDOW)
            )?,
            Lockout::Locked { until } => writeln!(out, "lockout: locked until {until}")?,
        }
        for lockout in &view.locked_out {
            writeln!(
                out,
                "locked out: {} until {}",
                lockout.person, lockout.until
            )?;
        }
        writeln!(out, "members:")?;
        if view.members.is_empty() {
            writeln!(out, "  (none)")?;
        }
        for member in &view.members {
            writeln!(out, "  {:<9}  {}", member.role, member.ibm_id)?;
        }
        writeln!(out, "pending nominations:")?;
        if view.pending.is_empty() {
            writeln!(out, "  (none)")?;
        }
        for nomination in &view.pending {
            writeln!(
                out,
                "  {}  {}  requested {} by {}",
                nomination.id, nomination.ibm_id, nomination.requested_at, nomination.requested_by
            )?;
        }
        Ok(())
    }

    async fn passcode(&mut self, command: PasscodeCommand) -> Result<(), Failure> {
        let (service, actor) = (self.service, self.actor);
        match command {
            PasscodeCommand::Check {
                site, ibm_id, code, ..
            } => {
                let code = code.ok_or_else(|| Failure::Io(no_passcode()))?;
                let access = FirstAccess {
                    site: &site,
                    ibm_id: &ibm_id,
                    passcode: &code,
                };
                let accepted = service.check_passcode(actor, access).await?;
                writeln!(
                    self.out,
                    "accepted: {} is now the primary member of site {}",
                    accepted.ibm_id, accepted.site
                )?;
            }
            PasscodeCommand::Reissue { site } => {
                let passcode = service.reissue_passcode(actor, &site).await?;
                writeln!(self.out, "passcode: {}", passcode.expose_secret())?;
            }
        }
        Ok(())
    }

    async fn nomination(&mut self, command: NominationCommand) -> Result<(), Failure> {
        let (service, actor) = (self.service, self.actor);
        match command {
            NominationCommand::Request { site, ibm_id } => {
                let id = service.request_nomination(actor, &site, &ibm_id).await?;
                writeln!(self.out, "nomination: {id}")?;
            }
            NominationCommand::List { site } => {
                let pending = service.list_nominations(actor, site.as_ref()).await?;
                if pending.is_empty() {
                    writeln!(self.out, "no pending nominations")?;
                }
                for nomination in pending {
                    writeln!(
                        self.out,
                        "{}  site {}  {}  requested {} by {}",
                        nomination.id,
                        nomination.site,
                        nomination.ibm_id,
                        nomination.requested_at,
                        nomination.requested_by
                    )?;
                }
            }
            NominationCommand::Approve { id, role } => {
                let member = service.approve_nomination(actor, id, role).await?.member;
                writeln!(
                    self.out,
                    "approved: {} is now a {} member (nomination {id})",
                    member.ibm_id, member.role
                )?;
            }
            NominationCommand::Deny { id, reason } => {
                service.deny_nomination(actor, id, &reason).await?;
                writeln!(self.out, "denied: nomination {id}")?;
            }
        }
        Ok(())
    }

    async fn agent(&mut self, command: AgentCommand) -> Result<(), Failure> {
        let (service, actor) = (self.service, self.actor);
        match command {
            AgentCommand::Add { identity } => {
                service.add_agent(actor, &identity).await?;
                writeln!(self.out, "agent added: {identity}")?;
            }
            AgentCommand::List => {
                let agents = service.list_agents(actor).await?;
                if agents.is_empty() {
                    writeln!(self.out, "no registered agents")?;
                }
                for agent in agents {
                    writeln!(
                        self.out,
                        "{}  added {} by {}",
                        agent.identity, agent.added_at, agent.added_by
                    )?;
                }
            }
            AgentCommand::Remove { identity } => {
                service.remove_agent(actor, &identity).await?;
                writeln!(self.out, "agent removed: {identity}")?;
            }
        }
        Ok(())
    }
}
