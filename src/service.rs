//! The account service: every account action the channels (console, Telegram, Discord) and
//! the admin command line can trigger, behind one async trait, [`AccountService`].
//!
//! Like teloxide's `Storage`, the trait is what callers hold (`Arc<dyn AccountService>`);
//! [`SqlService`] implements it over SQLite or PostgreSQL. Every call names the acting
//! [`ChatIdentity`]; authorisation is decided here, and every action and every refusal is
//! written to the audit log. The service speaks no customer language: failures are a typed
//! [`ServiceError`], and what must be told to whom is stored as structured [`OutboxEvent`]s
//! that the channels word and deliver.

mod clock;
mod delivery;
mod desk_pulse;
mod desk_views;
mod handoff;
mod hashing;
mod outbox;
mod sql;
mod web_sign_in;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::domain::{
    Channel, ChatIdentity, DenyReason, GrantRole, IbmId, Passcode, Program, Role, SiteNumber,
    Timestamp,
};
use crate::policy::{LOCKOUT_WINDOW, MAX_SECONDARIES, minutes};

pub use clock::{Clock, ManualClock, SystemClock};
pub use delivery::deliver_once;
pub use desk_pulse::{DeskPulse, Pulse};
pub use desk_views::{
    AuditFilter, AuditId, DeskViews, MemberKey, MemberKeyError, Paged, Person, SitePage, SiteWindow,
};
pub use handoff::{
    Author, HelpDesk, NewTicket, Queued, RECENT_LINES, Rating, RatingError, Taken, Ticket,
    TicketId, TicketState, TranscriptLine, UnknownTicketState,
};
pub use hashing::HASH_COST;
pub use outbox::{MessageId, OutboxEvent, OutboxMessage, ReplyAction, ReplyButton};
pub use sql::SqlService;
pub use web_sign_in::{WebSecret, WebSignIn};

/// The account actions, as the audit log names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    SiteAdd,
    SiteShow,
    PasscodeCheck,
    PasscodeReissue,
    NominationRequest,
    NominationList,
    NominationApprove,
    NominationDeny,
    AgentAdd,
    AgentList,
    AgentRemove,
    Unlock,
    AuditRead,
    /// A right passcode handed the site to a new primary: the old one is now a user.
    PrimaryChange,
    HandoffOpen,
    HandoffTake,
    HandoffTransfer,
    HandoffClose,
    HandoffRate,
    HandoffRead,
    /// A sign-in link to the help desk's web page.
    WebLink,
}

impl Action {
    pub const ALL: [Action; 21] = [
        Action::SiteAdd,
        Action::SiteShow,
        Action::PasscodeCheck,
        Action::PasscodeReissue,
        Action::NominationRequest,
        Action::NominationList,
        Action::NominationApprove,
        Action::NominationDeny,
        Action::AgentAdd,
        Action::AgentList,
        Action::AgentRemove,
        Action::Unlock,
        Action::AuditRead,
        Action::PrimaryChange,
        Action::HandoffOpen,
        Action::HandoffTake,
        Action::HandoffTransfer,
        Action::HandoffClose,
        Action::HandoffRate,
        Action::HandoffRead,
        Action::WebLink,
    ];

    /// The action the audit log names `name`.
    pub fn named(name: &str) -> Option<Action> {
        Action::ALL
            .into_iter()
            .find(|action| action.as_str() == name)
    }

    /// The name stored in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SiteAdd => "site_add",
            Action::SiteShow => "site_show",
            Action::PasscodeCheck => "passcode_check",
            Action::PasscodeReissue => "passcode_reissue",
            Action::NominationRequest => "nomination_request",
            Action::NominationList => "nomination_list",
            Action::NominationApprove => "nomination_approve",
            Action::NominationDeny => "nomination_deny",
            Action::AgentAdd => "agent_add",
            Action::AgentList => "agent_list",
            Action::AgentRemove => "agent_remove",
            Action::Unlock => "unlock",
            Action::AuditRead => "audit_read",
            Action::PrimaryChange => "primary_change",
            Action::HandoffOpen => "handoff_open",
            Action::HandoffTake => "handoff_take",
            Action::HandoffTransfer => "handoff_transfer",
            Action::HandoffClose => "handoff_close",
            Action::HandoffRate => "handoff_rate",
            Action::HandoffRead => "handoff_read",
            Action::WebLink => "web_link",
        }
    }

    /// What the action does, to complete "not authorised to ...".
    fn describe(self) -> &'static str {
        match self {
            Action::SiteAdd => "add sites",
            Action::SiteShow => "look at this site's members",
            Action::PasscodeCheck => "check passcodes",
            Action::PasscodeReissue => "reissue this site's passcode",
            Action::NominationRequest => "request access",
            Action::NominationList => "list these nominations",
            Action::NominationApprove => "approve this nomination",
            Action::NominationDeny => "deny this nomination",
            Action::AgentAdd => "register help-desk agents",
            Action::AgentList => "list help-desk agents",
            Action::AgentRemove => "remove help-desk agents",
            Action::Unlock => "lift this site's lockout",
            Action::AuditRead => "read the audit log",
            Action::PrimaryChange => "hand this site to a new primary",
            Action::HandoffOpen => "ask for the help desk",
            Action::HandoffTake => "take help-desk tickets",
            Action::HandoffTransfer => "hand this ticket back to the queue",
            Action::HandoffClose => "close this ticket",
            Action::HandoffRate => "rate this ticket",
            Action::HandoffRead => "read help-desk tickets",
            Action::WebLink => "sign in to the help desk's web page",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// A nomination's number, as shown to the people who decide it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NominationId(pub i64);

impl fmt::Display for NominationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for NominationId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().trim_start_matches('#').parse().map(NominationId)
    }
}

/// Where a nomination stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NominationStatus {
    Pending,
    Approved,
    Denied,
}

impl NominationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NominationStatus::Pending => "pending",
            NominationStatus::Approved => "approved",
            NominationStatus::Denied => "denied",
        }
    }
}

impl fmt::Display for NominationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A site member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub ibm_id: IbmId,
    pub role: Role,
    pub since: Timestamp,
}

/// A request for access to a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nomination {
    pub id: NominationId,
    pub site: SiteNumber,
    pub ibm_id: IbmId,
    pub requested_by: ChatIdentity,
    pub requested_at: Timestamp,
    pub status: NominationStatus,
}

/// An approved nomination, as its decider is told: the request, and the member it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub nomination: Nomination,
    pub member: Member,
}

/// Whether a site's passcode can be checked now, by everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lockout {
    /// Checks are accepted; `recent_failures` failed within the lockout window.
    Open { recent_failures: u32 },
    /// Every check is refused until then.
    Locked { until: Timestamp },
}

/// Someone locked out of one site's passcode checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonLockout {
    /// The chat identity, as stored.
    pub person: String,
    pub until: Timestamp,
}

/// What `show_site` tells an agent or a site's manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteView {
    pub site: SiteNumber,
    pub program: Program,
    /// Whether a temporary passcode is outstanding (issued and not yet used).
    pub passcode_outstanding: bool,
    pub lockout: Lockout,
    /// The people locked out of this site's checks now, soonest end first.
    pub locked_out: Vec<PersonLockout>,
    /// Primary first, then secondary members, then users; by IBM ID within a role.
    pub members: Vec<Member>,
    pub pending: Vec<Nomination>,
}

/// What a site contact answers to get first access to a site, checked by
/// [`AccountService::check_passcode`].
#[derive(Debug, Clone, Copy)]
pub struct FirstAccess<'a> {
    pub site: &'a SiteNumber,
    pub ibm_id: &'a IbmId,
    pub passcode: &'a Passcode,
}

/// The result of a right passcode: `ibm_id` is now the site's primary member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasscodeAccepted {
    pub site: SiteNumber,
    pub ibm_id: IbmId,
}

/// A registered help-desk agent: who, since when, registered by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredAgent {
    pub identity: ChatIdentity,
    pub added_at: Timestamp,
    pub added_by: String,
}

/// One row of the audit log. Stored text is returned as stored, so that rows written by
/// older versions still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub site: Option<String>,
    pub ibm_id: Option<String>,
    /// `ok`, or the refusal's [`ServiceError::code`].
    pub outcome: String,
    pub detail: Option<String>,
}

/// Why an account action was refused or failed. `Display` is a sentence for operators and
/// logs; channels match on the variant to word it for customers.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{actor} is not authorised to {action}")]
    NotAuthorised { actor: ChatIdentity, action: Action },
    #[error("passcode checks for site {site} are locked until {until}")]
    Locked { site: SiteNumber, until: Timestamp },
    #[error(
        "wrong passcode for site {site}: {tries_left} more failures lock it for {} minutes",
        minutes(LOCKOUT_WINDOW)
    )]
    WrongPasscode { site: SiteNumber, tries_left: u32 },
    #[error("this passcode of site {site} has already been used, or was replaced")]
    NoPasscode { site: SiteNumber },
    #[error("there is no site {site}")]
    NoSuchSite { site: SiteNumber },
    #[error("too many site numbers that do not exist were tried: refused until {until}")]
    TooManyUnknownSites { until: Timestamp },
    #[error("site {site} already exists")]
    SiteExists { site: SiteNumber },
    #[error("there is no nomination {id}")]
    NoSuchNomination { id: NominationId },
    #[error("{ibm_id} already has access to site {site}, as {role}")]
    AlreadyMember {
        site: SiteNumber,
        ibm_id: IbmId,
        role: Role,
    },
    #[error("{ibm_id} already has a pending request for site {site}")]
    AlreadyPending { site: SiteNumber, ibm_id: IbmId },
    #[error("site {site} already has the most secondary members allowed ({MAX_SECONDARIES})")]
    SecondaryLimitReached { site: SiteNumber },
    #[error("nomination {id} was already {status}")]
    AlreadyDecided {
        id: NominationId,
        status: NominationStatus,
    },
    #[error("{identity} is already a help-desk agent")]
    AlreadyAgent { identity: ChatIdentity },
    #[error("{identity} is not a registered help-desk agent")]
    NotAnAgent { identity: ChatIdentity },
    #[error("there is no open ticket {ticket}")]
    NoSuchTicket { ticket: TicketId },
    #[error("ticket {ticket} is already taken by {agent}")]
    TicketTaken {
        ticket: TicketId,
        agent: ChatIdentity,
    },
    #[error("ticket {ticket} is closed")]
    TicketClosed { ticket: TicketId },
    #[error("ticket {ticket} is not held by {actor}")]
    NotYourTicket {
        ticket: TicketId,
        actor: ChatIdentity,
    },
    #[error("ticket {ticket} was already rated")]
    AlreadyRated { ticket: TicketId },
    #[error("the account database is unavailable")]
    Unavailable(#[from] sqlx::Error),
    #[error("the account database holds a value this version cannot read: {0}")]
    Corrupt(String),
    #[error("passcode hashing failed")]
    Hashing,
}

impl ServiceError {
    /// A stable name for the audit log's outcome column.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::NotAuthorised { .. } => "not_authorised",
            ServiceError::Locked { .. } => "locked",
            ServiceError::WrongPasscode { .. } => "wrong_passcode",
            ServiceError::NoPasscode { .. } => "no_passcode",
            ServiceError::NoSuchSite { .. } => "no_such_site",
            ServiceError::TooManyUnknownSites { .. } => "too_many_unknown_sites",
            ServiceError::SiteExists { .. } => "site_exists",
            ServiceError::NoSuchNomination { .. } => "no_such_nomination",
            ServiceError::AlreadyMember { .. } => "already_member",
            ServiceError::AlreadyPending { .. } => "already_pending",
            ServiceError::SecondaryLimitReached { .. } => "secondary_limit_reached",
            ServiceError::AlreadyDecided { .. } => "already_decided",
            ServiceError::AlreadyAgent { .. } => "already_agent",
            ServiceError::NotAnAgent { .. } => "not_an_agent",
            ServiceError::NoSuchTicket { .. } => "no_such_ticket",
            ServiceError::TicketTaken { .. } => "ticket_taken",
            ServiceError::TicketClosed { .. } => "ticket_closed",
            ServiceError::NotYourTicket { .. } => "not_your_ticket",
            ServiceError::AlreadyRated { .. } => "already_rated",
            ServiceError::Unavailable(_) => "database_unavailable",
            ServiceError::Corrupt(_) => "database_corrupt",
            ServiceError::Hashing => "hashing_failed",
        }
    }
}

/// The account actions. Each takes the acting chat identity first. The help desk's tickets
/// ([`HelpDesk`]) share the database and the outbox, so every account service is one too.
#[async_trait]
pub trait AccountService: HelpDesk + WebSignIn + DeskViews + DeskPulse + Send + Sync {
    /// Registers a site (agents only) and returns its temporary passcode: the only time the
    /// passcode can be seen.
    async fn add_site(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        program: Program,
    ) -> Result<Passcode, ServiceError>;

    /// Members, pending nominations and lockout state (agents, and the site's managers).
    async fn show_site(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<SiteView, ServiceError>;

    /// A site contact's first access: when the passcode is right, the IBM ID becomes the
    /// primary member (bound to `actor`) and the passcode is used up. Wrong answers count
    /// towards the lockout.
    async fn check_passcode(
        &self,
        actor: &ChatIdentity,
        access: FirstAccess<'_>,
    ) -> Result<PasscodeAccepted, ServiceError>;

    /// Self-nomination: anyone may ask for `ibm_id` to get access to `site`; the decision
    /// is sent to `actor`.
    async fn request_nomination(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        ibm_id: &IbmId,
    ) -> Result<NominationId, ServiceError>;

    /// Checks, as soon as it is typed, the site `actor` is about to request access to: a site
    /// that does not exist counts against them as a request for it does (so that typing
    /// numbers lists no sites either), and refuses them while they are locked out of every
    /// site ([`ServiceError::TooManyUnknownSites`]).
    async fn check_nomination_site(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<(), ServiceError>;

    /// Pending nominations: of one site (agents and its managers), or all that `actor` may
    /// decide (all for agents, their own sites' for a site's primary and secondary members).
    async fn list_nominations(
        &self,
        actor: &ChatIdentity,
        site: Option<&SiteNumber>,
    ) -> Result<Vec<Nomination>, ServiceError>;

    /// Grants the requested access as `role`, within the secondary limit.
    async fn approve_nomination(
        &self,
        actor: &ChatIdentity,
        id: NominationId,
        role: GrantRole,
    ) -> Result<Approval, ServiceError>;

    /// Refuses the requested access; returns the request as it was, to name it.
    async fn deny_nomination(
        &self,
        actor: &ChatIdentity,
        id: NominationId,
        reason: &DenyReason,
    ) -> Result<Nomination, ServiceError>;

    /// Registers a help-desk agent (agents only).
    async fn add_agent(
        &self,
        actor: &ChatIdentity,
        agent: &ChatIdentity,
    ) -> Result<(), ServiceError>;

    /// The registered help-desk agents, in the order they were added (agents only). The local
    /// operator is an agent without being registered, and is listed only once registered (as
    /// `pao-bot chat --agent` does, to be announced new tickets).
    async fn list_agents(&self, actor: &ChatIdentity)
    -> Result<Vec<RegisteredAgent>, ServiceError>;

    /// Removes a registered help-desk agent (agents only).
    async fn remove_agent(
        &self,
        actor: &ChatIdentity,
        agent: &ChatIdentity,
    ) -> Result<(), ServiceError>;

    /// Lifts a site's passcode lockout and forgets its failed checks.
    async fn unlock(&self, actor: &ChatIdentity, site: &SiteNumber) -> Result<(), ServiceError>;

    /// Replaces the site's passcode (agents, and the site's primary), lifting any lockout;
    /// the new one is returned once, to `actor` only.
    async fn reissue_passcode(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<Passcode, ServiceError>;

    /// The most recent audit rows, oldest first (agents only).
    async fn audit_log(
        &self,
        actor: &ChatIdentity,
        site: Option<&SiteNumber>,
    ) -> Result<Vec<AuditEntry>, ServiceError>;

    /// Undelivered messages for people on `channel`, oldest first. Called by a channel's
    /// delivery loop, on behalf of no one.
    async fn pending_messages(
        &self,
        channel: Channel,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, ServiceError>;

    /// Undelivered messages for `recipient`, oldest first: what a page that shows them
    /// (the web chat's) has waiting, however many wait for others. On behalf of no one.
    async fn pending_messages_to(
        &self,
        recipient: &ChatIdentity,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, ServiceError>;

    /// The people on `channel` with undelivered messages: one read for every page of a
    /// channel whose pages look only for their own (the web chat's).
    async fn waiting_recipients(&self, channel: Channel)
    -> Result<Vec<ChatIdentity>, ServiceError>;

    /// Claims up to `limit` of `channel`'s messages that are due, a message of each recipient
    /// before a second of any, returned oldest first, for this service's delivery for the
    /// database's outbox lease
    /// ([`OUTBOX_LEASE`](crate::policy::OUTBOX_LEASE) unless set): no other service on the
    /// database (another replica) is handed them meanwhile, and once the lease has run out
    /// unmarked (the claimer died), they are due again. None is handed out while an earlier
    /// message to its recipient is claimed or not due. Each is then marked delivered or
    /// failed.
    async fn claim_messages(
        &self,
        channel: Channel,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, ServiceError>;

    async fn mark_delivered(&self, id: MessageId) -> Result<(), ServiceError>;

    /// Marks a round's sent messages delivered, in one write.
    async fn mark_all_delivered(&self, ids: &[MessageId]) -> Result<(), ServiceError>;

    /// Records a failed delivery: the message is tried again later, less and less often, and
    /// given up after [`OUTBOX_ATTEMPTS`](crate::policy::OUTBOX_ATTEMPTS) tries. Returns whether it was given up.
    async fn mark_failed(&self, id: MessageId) -> Result<bool, ServiceError>;

    /// Woken (every waiter) after each write that may have queued outbox messages, so that
    /// delivery loops in this process need not wait for their next round.
    fn outbox_written(&self) -> &Notify;

    /// Gives claimed messages back unsent: due again at once, for whichever replica claims
    /// them next.
    async fn release_messages(&self, ids: &[MessageId]) -> Result<(), ServiceError>;

    /// How long this service's claims last.
    fn claim_lease(&self) -> Duration;

    /// Whether a delivery round marks each message delivered as soon as it is sent, rather
    /// than the round's together at its end: where replicas share the outbox (PostgreSQL),
    /// so that one dying mid-round leaves the others only what it had not sent.
    fn marks_each_delivery(&self) -> bool {
        false
    }
}
