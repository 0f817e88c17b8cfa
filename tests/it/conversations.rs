//! The conversation transcripts of `tests/conversations/`, run against the engine on a fresh
//! database each, SQLite and PostgreSQL: what people say or press, what the replies must contain, and what
//! must then be true in the database. The format is described in
//! `tests/conversations/README.md`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pao_bot::answer::Answerer;
use pao_bot::conversation::{ButtonAction, Content, Engine, Incoming, Period, Reply, Response};
use pao_bot::domain::{Channel, ChatIdentity, Program, SiteNumber};
use pao_bot::service::{AccountService, HelpDesk, Lockout, NominationStatus, TicketId};
use serde::Deserialize;

use crate::databases::{self, Backend, TestDb};
use crate::support::faq_dir;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Transcript {
    /// People by name: their chat identity, e.g. `telegram:100`.
    people: HashMap<String, String>,
    #[serde(default)]
    setup: Setup,
    steps: Vec<Step>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Setup {
    /// Sites to create; each site's passcode is `{passcode SITE}` in later steps.
    #[serde(default)]
    sites: Vec<String>,
    /// Names of people registered as help-desk agents.
    #[serde(default)]
    agents: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    /// Who acts; `customer` (or the only person) when left out.
    #[serde(default, rename = "as")]
    person: Option<String>,
    /// `group` for a group chat; a private chat with the bot otherwise.
    #[serde(default, rename = "in")]
    chat: Option<String>,
    /// A text message.
    #[serde(default)]
    say: Option<String>,
    /// Presses the button with this label among the replies this person last got.
    #[serde(default)]
    press: Option<String>,
    /// The platform's message id, to send the same message twice.
    #[serde(default)]
    id: Option<String>,
    /// Moves the clock on, e.g. `16m`, `31m`, `90s`.
    #[serde(default)]
    advance: Option<String>,
    /// Delivers the outbox; `expect` then applies to what this person was sent.
    #[serde(default)]
    deliver: Option<String>,
    /// Runs one round of the help desk's waiting limit first.
    #[serde(default)]
    remind: bool,
    /// Replaces the engine first by a new one on the same database, as a restarted bot.
    #[serde(default)]
    restart: bool,
    /// Every one of these is in the replies.
    #[serde(default)]
    expect: Vec<String>,
    /// None of these is in the replies.
    #[serde(default)]
    reject: Vec<String>,
    /// These button labels are offered.
    #[serde(default)]
    buttons: Vec<String>,
    /// Whether the incoming message must be deleted.
    #[serde(default)]
    deleted: Option<bool>,
    /// There is no reply at all.
    #[serde(default)]
    silent: bool,
    /// The slot the engine then waits for (`site_number`, `ibm_id`, `passcode`, `confirm`),
    /// or `none`.
    #[serde(default)]
    awaits: Option<String>,
    /// What must then be true in the database.
    #[serde(default)]
    then: Option<Then>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Then {
    /// How many nominations are pending.
    #[serde(default)]
    pending: Option<usize>,
    /// `SITE IBM-ID ROLE` lines that must be members.
    #[serde(default)]
    members: Vec<String>,
    /// Sites whose passcode checks are locked.
    #[serde(default)]
    locked: Vec<String>,
    /// Sites whose passcode checks are open, to everyone.
    #[serde(default)]
    open: Vec<String>,
    /// `SITE PERSON` lines: the person is locked out of the site's passcode checks.
    #[serde(default)]
    locked_out: Vec<String>,
    /// `ACTOR ACTION OUTCOME` lines that must be in the audit log.
    #[serde(default)]
    audit: Vec<String>,
    /// Entry id: [answered, helped, not helped].
    #[serde(default)]
    answers: HashMap<String, [i64; 3]>,
    /// The questions stored as unanswered, all of them (in any order).
    #[serde(default)]
    unanswered: Option<Vec<String>>,
    /// Whether the outbox still holds anything undelivered.
    #[serde(default)]
    outbox_empty: Option<bool>,
    /// `ID STATE [RATING]` lines: help-desk tickets as they must be.
    #[serde(default)]
    tickets: Vec<String>,
    /// Texts (with `{passcode SITE}` expanded) that no table may hold.
    #[serde(default)]
    nowhere: Vec<String>,
}

/// One transcript's run: the engine, its database and what each person was last shown.
struct Run {
    db: TestDb,
    engine: Engine,
    people: HashMap<String, ChatIdentity>,
    first: String,
    passcodes: HashMap<String, String>,
    last: HashMap<String, Response>,
    /// What the outbox delivered to people not yet asked for (`deliver:`).
    mailbox: HashMap<ChatIdentity, Vec<Reply>>,
    next_id: u64,
}

#[tokio::test]
async fn transcripts() {
    let files = transcript_files();
    assert!(
        files.len() >= 10,
        "the transcripts are in tests/conversations/"
    );
    let mut failures = String::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a readable transcript");
        let transcript: Transcript =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let outcome = Arc::new(Mutex::new(Ok(())));
            let result = outcome.clone();
            let transcript = &transcript;
            databases::run(backend, |db| async move {
                *result.lock().unwrap() = run(db, transcript).await;
            })
            .await;
            if let Err(problem) = Arc::try_unwrap(outcome).unwrap().into_inner().unwrap() {
                writeln!(failures, "{name} on {backend:?}: {problem}").unwrap();
            }
        }
    }
    assert!(failures.is_empty(), "transcripts failed:\n{failures}");
}

fn transcript_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conversations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/conversations/ exists")
        .map(|e| e.expect("a readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

async fn run(db: TestDb, transcript: &Transcript) -> Result<(), String> {
    let bot = Arc::new(Answerer::load(&faq_dir()).expect("the shipped faq/ loads"));
    let engine = Engine::new(
        bot,
        db.service.clone(),
        db.service.database().clone(),
        db.clock.clone(),
    );
    let mut people = HashMap::new();
    for (name, identity) in &transcript.people {
        let identity = ChatIdentity::parse(identity).map_err(|e| format!("{name}: {e}"))?;
        people.insert(name.clone(), identity);
    }
    let first = first_person(transcript)?;
    let mut run = Run {
        db,
        engine,
        people,
        first,
        passcodes: HashMap::new(),
        last: HashMap::new(),
        mailbox: HashMap::new(),
        next_id: 1,
    };
    run.setup(&transcript.setup).await?;
    for (n, step) in transcript.steps.iter().enumerate() {
        run.step(step)
            .await
            .map_err(|problem| format!("step {}: {problem}", n + 1))?;
    }
    Ok(())
}

/// Who acts when a step does not say: `customer`, or the only person.
fn first_person(transcript: &Transcript) -> Result<String, String> {
    if transcript.people.contains_key("customer") || transcript.people.len() != 1 {
        return Ok("customer".to_owned());
    }
    Ok(transcript.people.keys().next().cloned().unwrap_or_default())
}

impl Run {
    async fn setup(&mut self, setup: &Setup) -> Result<(), String> {
        let operator = ChatIdentity::local_operator();
        for site in &setup.sites {
            let number = SiteNumber::parse(site).map_err(|e| e.to_string())?;
            let passcode = self
                .db
                .service
                .add_site(&operator, &number, Program::Pa)
                .await
                .map_err(|e| e.to_string())?;
            self.passcodes
                .insert(site.clone(), passcode.expose_secret().to_owned());
        }
        for agent in &setup.agents {
            let identity = self.identity(Some(agent))?;
            self.db
                .service
                .add_agent(&operator, &identity)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn identity(&self, name: Option<&String>) -> Result<ChatIdentity, String> {
        let name = name.unwrap_or(&self.first);
        self.people
            .get(name)
            .cloned()
            .ok_or_else(|| format!("unknown person {name:?}"))
    }

    /// `{passcode SITE}` replaced by the site's passcode.
    fn expand(&self, text: &str) -> String {
        self.passcodes
            .iter()
            .fold(text.to_owned(), |text, (site, code)| {
                text.replace(&format!("{{passcode {site}}}"), code)
            })
    }

    async fn step(&mut self, step: &Step) -> Result<(), String> {
        if let Some(advance) = &step.advance {
            self.db.clock.advance(parse_duration(advance)?);
        }
        if step.restart {
            let service = self.db.second_service().await;
            let bot = Arc::new(Answerer::load(&faq_dir()).expect("the shipped faq/ loads"));
            let db = service.database().clone();
            self.engine = Engine::new(bot, service, db, self.db.clock.clone());
        }
        if step.remind {
            self.engine
                .remind_waiting_once()
                .await
                .map_err(|e| e.to_string())?;
        }
        let name = step.person.clone().unwrap_or_else(|| self.first.clone());
        let sender = self.identity(Some(&name))?;
        let response = if let Some(recipient) = &step.deliver {
            let delivered = self.deliver(recipient).await?;
            if !delivered.replies.is_empty() {
                self.last.insert(recipient.clone(), delivered.clone());
            }
            Some(delivered)
        } else {
            let content = match (&step.say, &step.press) {
                (Some(text), None) => Some(Content::Text(self.expand(text))),
                (None, Some(label)) => Some(Content::Button(self.payload(&name, label)?)),
                (None, None) => None,
                _ => return Err("say and press in one step".to_owned()),
            };
            match content {
                Some(content) => {
                    let group = step.chat.as_deref() == Some("group");
                    let id = step.id.clone().unwrap_or_else(|| {
                        self.next_id += 1;
                        format!("auto-{}", self.next_id)
                    });
                    let incoming = Incoming {
                        channel: sender.channel(),
                        chat: if group {
                            "-1001".to_owned()
                        } else {
                            sender.id().to_owned()
                        },
                        private: !group,
                        sender: sender.clone(),
                        lang_hint: None,
                        content,
                        message_id: Some(id),
                        replied_to: None,
                    };
                    let response = self.engine.handle(incoming).await;
                    if !response.replies.is_empty() {
                        self.last.insert(name.clone(), response.clone());
                    }
                    Some(response)
                }
                None => None,
            }
        };
        if let Some(response) = &response {
            check_response(step, response)?;
        }
        if let Some(then) = &step.then {
            self.then(then).await?;
        }
        Ok(())
    }

    /// The payload of the button labelled `label` in what `name` was last shown.
    fn payload(&self, name: &str, label: &str) -> Result<String, String> {
        let last = self
            .last
            .get(name)
            .ok_or("no replies to press a button in")?;
        last.replies
            .iter()
            .flat_map(|r| &r.buttons)
            .find_map(|b| match &b.action {
                ButtonAction::Payload(payload) if b.label == label => Some(payload.clone()),
                _ => None,
            })
            .ok_or_else(|| format!("no button {label:?} in the last replies: {last:#?}"))
    }

    /// Delivers the outbox on every channel; what `recipient` got since they were last
    /// delivered to, as one response.
    async fn deliver(&mut self, recipient: &str) -> Result<Response, String> {
        let identity = self.identity(Some(&recipient.to_owned()))?;
        let got = Mutex::new(Vec::new());
        for channel in [Channel::Telegram, Channel::Discord, Channel::Console] {
            self.engine
                .deliver_once(channel, |to, reply| {
                    got.lock().unwrap().push((to, reply));
                    async { Ok::<(), String>(()) }
                })
                .await
                .map_err(|e| e.to_string())?;
        }
        for (to, reply) in got.into_inner().unwrap() {
            self.mailbox.entry(to).or_default().push(reply);
        }
        Ok(Response {
            replies: self.mailbox.remove(&identity).unwrap_or_default(),
            ..Response::default()
        })
    }

    async fn then(&self, then: &Then) -> Result<(), String> {
        let service = &self.db.service;
        let operator = ChatIdentity::local_operator();
        if let Some(expected) = then.pending {
            let pending = service
                .list_nominations(&operator, None)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .filter(|n| n.status == NominationStatus::Pending)
                .count();
            if pending != expected {
                return Err(format!(
                    "{pending} nominations pending, expected {expected}"
                ));
            }
        }
        for line in &then.members {
            let [site, ibm_id, role] = words(line)?;
            let view = self.site(site).await?;
            if !view
                .members
                .iter()
                .any(|m| m.ibm_id.as_str() == ibm_id && m.role.as_str() == role)
            {
                return Err(format!(
                    "{ibm_id} is not {role} of {site}: {:?}",
                    view.members
                ));
            }
        }
        for site in &then.locked {
            if !matches!(self.site(site).await?.lockout, Lockout::Locked { .. }) {
                return Err(format!("site {site} is not locked"));
            }
        }
        for site in &then.open {
            let view = self.site(site).await?;
            if !matches!(view.lockout, Lockout::Open { .. }) || !view.locked_out.is_empty() {
                return Err(format!("site {site} is locked: {view:?}"));
            }
        }
        for line in &then.locked_out {
            let Some((site, person)) = line.split_once(' ') else {
                return Err(format!("not SITE PERSON: {line:?}"));
            };
            let identity = self.identity(Some(&person.to_owned()))?.to_string();
            let view = self.site(site).await?;
            if !view.locked_out.iter().any(|l| l.person == identity) {
                return Err(format!("{person} is not locked out of {site}: {view:?}"));
            }
        }
        if !then.audit.is_empty() {
            let log = service
                .audit_log(&operator, None)
                .await
                .map_err(|e| e.to_string())?;
            for line in &then.audit {
                let [actor, action, outcome] = words(line)?;
                let actor = self.identity(Some(&actor.to_owned()))?.to_string();
                if !log
                    .iter()
                    .any(|r| r.actor == actor && r.action == action && r.outcome == outcome)
                {
                    return Err(format!("no audit row {line:?}"));
                }
            }
        }
        if !then.answers.is_empty() {
            let stats = self
                .engine
                .store()
                .entry_stats(Period::ALL)
                .await
                .map_err(|e| e.to_string())?;
            for (entry, expected) in &then.answers {
                let found = stats
                    .iter()
                    .find(|s| &s.entry_id == entry)
                    .map_or([0, 0, 0], |s| [s.answered, s.helped, s.not_helped]);
                if &found != expected {
                    return Err(format!(
                        "answers of {entry}: {found:?}, expected {expected:?}"
                    ));
                }
            }
        }
        if let Some(expected) = &then.unanswered {
            let stats = self
                .engine
                .store()
                .unanswered_stats(100, Period::ALL)
                .await
                .map_err(|e| e.to_string())?;
            let mut stored: Vec<&str> = stats.iter().map(|s| s.question.as_str()).collect();
            let mut expected: Vec<&str> = expected.iter().map(String::as_str).collect();
            stored.sort_unstable();
            expected.sort_unstable();
            if stored != expected {
                return Err(format!(
                    "unanswered questions {stored:?}, expected {expected:?}"
                ));
            }
        }
        self.tickets(then).await?;
        if let Some(empty) = then.outbox_empty {
            let left = service
                .pending_messages(Channel::Telegram, 100)
                .await
                .map_err(|e| e.to_string())?;
            if left.is_empty() != empty {
                return Err(format!("outbox holds {left:?}"));
            }
        }
        Ok(())
    }

    /// The `tickets` and `nowhere` checks of `then`.
    async fn tickets(&self, then: &Then) -> Result<(), String> {
        let operator = ChatIdentity::local_operator();
        for line in &then.tickets {
            let words: Vec<&str> = line.split_whitespace().collect();
            let (id, state, rating) = match words.as_slice() {
                [id, state] => (*id, *state, None),
                [id, state, rating] => (*id, *state, Some(*rating)),
                _ => return Err(format!("not ID STATE [RATING]: {line:?}")),
            };
            let id: TicketId = id.parse().map_err(|_| format!("bad ticket {id:?}"))?;
            let (ticket, _) = self
                .db
                .service
                .transcript(&operator, id)
                .await
                .map_err(|e| e.to_string())?;
            let found_rating = ticket.rating.map(|r| r.to_string());
            if ticket.state.as_str() != state || found_rating.as_deref() != rating {
                return Err(format!("ticket {id} is {ticket:?}, expected {line:?}"));
            }
        }
        if !then.nowhere.is_empty() {
            let dump = self.db.dump().await;
            for text in &then.nowhere {
                let text = self.expand(text);
                if dump.contains(&text) {
                    return Err(format!("{text:?} is stored"));
                }
            }
        }
        Ok(())
    }

    async fn site(&self, site: &str) -> Result<pao_bot::service::SiteView, String> {
        let number = SiteNumber::parse(site).map_err(|e| e.to_string())?;
        self.db
            .service
            .show_site(&ChatIdentity::local_operator(), &number)
            .await
            .map_err(|e| e.to_string())
    }
}

fn check_response(step: &Step, response: &Response) -> Result<(), String> {
    let text: String = response
        .replies
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n---\n");
    if step.silent && !response.replies.is_empty() {
        return Err(format!("expected no reply, got:\n{text}"));
    }
    for expected in &step.expect {
        if !text.contains(expected.as_str()) {
            return Err(format!("reply lacks {expected:?}:\n{text}"));
        }
    }
    for rejected in &step.reject {
        if text.contains(rejected.as_str()) {
            return Err(format!("reply holds {rejected:?}:\n{text}"));
        }
    }
    for label in &step.buttons {
        if !response
            .replies
            .iter()
            .flat_map(|r| &r.buttons)
            .any(|b| &b.label == label)
        {
            return Err(format!("no button {label:?}: {response:#?}"));
        }
    }
    if let Some(expected) = &step.awaits {
        let awaiting = response
            .awaiting
            .map_or_else(|| "none".to_owned(), |slot| slot.to_string());
        if &awaiting != expected {
            return Err(format!("awaiting {awaiting}, expected {expected}"));
        }
    }
    if let Some(deleted) = step.deleted
        && response.delete_incoming != deleted
    {
        return Err(format!(
            "delete_incoming is {}, expected {deleted}",
            response.delete_incoming
        ));
    }
    Ok(())
}

fn words(line: &str) -> Result<[&str; 3], String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .try_into()
        .map_err(|_| format!("{line:?}: expected three words"))
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = text.split_at(text.len() - 1);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("bad duration {text:?}"))?;
    match unit {
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("bad duration {text:?}: use s, m or h")),
    }
}
