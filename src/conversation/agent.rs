//! The help-desk agents' commands: pending nominations with approve/deny buttons, a site's
//! members and lockout, lifting a lockout, reissuing a passcode, and `/web`'s sign-in link to
//! the help desk's web page. The service decides who may do what (and audits every refusal);
//! this only reads the commands and words the outcomes.

use secrecy::ExposeSecret;

use crate::conversation::payload::Payload;
use crate::conversation::state::Flow;
use crate::conversation::wording;
use crate::conversation::{Button, Ctx, Reply};
use crate::domain::{DenyReason, GrantRole, SiteNumber};
use crate::knowledge::Messages;
use crate::lang::Localized;
use crate::policy::{LOCKOUT_WINDOW, WEB_LINK_VALIDITY, minutes};
use crate::service::{Approval, Lockout, NominationId};

/// How many pending nominations `/pending` shows, oldest first.
const PENDING_SHOWN: usize = 20;

impl Ctx<'_> {
    pub(super) async fn pending(&mut self) {
        let nominations = match self
            .engine
            .service
            .list_nominations(self.sender(), None)
            .await
        {
            Ok(nominations) => nominations,
            Err(error) => return self.refused(&error),
        };
        if nominations.is_empty() {
            return self.say(|m| &m.pending_none, &[]);
        }
        for nomination in nominations.iter().take(PENDING_SHOWN) {
            let id = nomination.id;
            let text = self.text(
                |m| &m.pending_item,
                &[
                    ("id", &id.to_string()),
                    ("site", nomination.site.as_str()),
                    ("ibm_id", nomination.ibm_id.as_str()),
                    ("at", &wording::time(nomination.requested_at)),
                ],
            );
            // Each label names its request: a button's place in the list says nothing.
            let number = id.to_string();
            let label = |pick: fn(&Messages) -> &Localized| self.text(pick, &[("id", &number)]);
            let buttons = vec![
                Button::payload(
                    label(|m| &m.approve_button),
                    Payload::Approve(id, GrantRole::User).encode(),
                ),
                Button::payload(
                    label(|m| &m.approve_secondary_button),
                    Payload::Approve(id, GrantRole::Secondary).encode(),
                ),
                Button::payload(label(|m| &m.deny_button), Payload::Deny(id).encode()),
            ];
            self.reply(Reply::text(text).with_buttons(buttons));
        }
    }

    /// `/approve ID [secondary]`.
    pub(super) async fn approve_command(&mut self, args: &str) {
        let mut words = args.split_whitespace();
        let id = words.next().and_then(|w| w.parse::<NominationId>().ok());
        let role = match words.next() {
            None => Some(GrantRole::User),
            Some(word) => GrantRole::parse(word).ok(),
        };
        match (id, role, words.next()) {
            (Some(id), Some(role), None) => self.approve(id, role).await,
            _ => self.usage("/approve NUMBER [secondary]"),
        }
    }

    pub(super) async fn approve(&mut self, id: NominationId, role: GrantRole) {
        match self
            .engine
            .service
            .approve_nomination(self.sender(), id, role)
            .await
        {
            Ok(Approval { nomination, member }) => {
                let role = wording::role(self.messages(), member.role, self.lang);
                self.say(
                    |m| &m.approved,
                    &[
                        ("id", &id.to_string()),
                        ("site", nomination.site.as_str()),
                        ("ibm_id", member.ibm_id.as_str()),
                        ("role", &role),
                    ],
                );
            }
            Err(error) => self.refused(&error),
        }
    }

    /// `/deny ID REASON`; without a reason, the reason is asked for.
    pub(super) async fn deny_command(&mut self, args: &str) {
        let (id, reason) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        let Ok(id) = id.parse::<NominationId>() else {
            return self.usage("/deny NUMBER REASON");
        };
        if reason.trim().is_empty() {
            return self.ask_deny_reason(id);
        }
        self.deny_reason(id, reason).await;
    }

    pub(super) fn ask_deny_reason(&mut self, id: NominationId) {
        self.state.flow = Some(Flow::DenyReason { nomination: id });
        let text = self.text(|m| &m.deny_reason_prompt, &[("id", &id.to_string())]);
        let hint = self.text(|m| &m.cancel_hint, &[]);
        let cancel = self.button(|m| &m.cancel_button, Payload::Cancel);
        self.reply(Reply::text(format!("{text}\n{hint}")).with_buttons(vec![cancel]));
    }

    pub(super) async fn deny_reason(&mut self, id: NominationId, reason: &str) {
        let Ok(reason) = DenyReason::parse(reason) else {
            return self.ask_deny_reason(id);
        };
        self.state.flow = None;
        match self
            .engine
            .service
            .deny_nomination(self.sender(), id, &reason)
            .await
        {
            Ok(nomination) => self.say(
                |m| &m.denied,
                &[
                    ("id", &id.to_string()),
                    ("site", nomination.site.as_str()),
                    ("ibm_id", nomination.ibm_id.as_str()),
                ],
            ),
            Err(error) => self.refused(&error),
        }
    }

    /// `/site SITE`: members, roles, pending requests and lockout.
    pub(super) async fn site(&mut self, args: &str) {
        let Some(site) = self.site_arg(args, "/site SITE") else {
            return;
        };
        let view = match self.engine.service.show_site(self.sender(), &site).await {
            Ok(view) => view,
            Err(error) => return self.refused(&error),
        };
        let messages = self.messages();
        let mut lines = vec![self.text(
            |m| &m.site_heading,
            &[
                ("site", view.site.as_str()),
                ("program", &view.program.to_string().to_uppercase()),
            ],
        )];
        if view.members.is_empty() {
            lines.push(self.text(|m| &m.site_no_members, &[]));
        }
        for member in &view.members {
            let role = wording::role(messages, member.role, self.lang);
            lines.push(self.text(
                |m| &m.site_member,
                &[("ibm_id", member.ibm_id.as_str()), ("role", &role)],
            ));
        }
        if view.passcode_outstanding {
            lines.push(self.text(|m| &m.site_passcode_outstanding, &[]));
        }
        lines.push(match view.lockout {
            Lockout::Open { recent_failures } => self.text(
                |m| &m.site_lock_open,
                &[
                    ("failures", &recent_failures.to_string()),
                    ("minutes", &minutes(LOCKOUT_WINDOW).to_string()),
                ],
            ),
            Lockout::Locked { until } => {
                self.text(|m| &m.site_lock_locked, &[("until", &wording::time(until))])
            }
        });
        for lockout in &view.locked_out {
            lines.push(self.text(
                |m| &m.site_locked_out,
                &[
                    ("person", &lockout.person),
                    ("until", &wording::time(lockout.until)),
                ],
            ));
        }
        lines.push(self.text(
            |m| &m.site_pending,
            &[("count", &view.pending.len().to_string())],
        ));
        self.reply(Reply::text(lines.join("\n")));
    }

    /// `/unlock SITE`.
    pub(super) async fn unlock(&mut self, args: &str) {
        let Some(site) = self.site_arg(args, "/unlock SITE") else {
            return;
        };
        match self.engine.service.unlock(self.sender(), &site).await {
            Ok(()) => self.say(|m| &m.unlocked, &[("site", site.as_str())]),
            Err(error) => self.refused(&error),
        }
    }

    /// `/reissue SITE`: the new passcode is shown only in a private chat, so in a group nothing
    /// is reissued.
    pub(super) async fn reissue(&mut self, args: &str) {
        let Some(site) = self.site_arg(args, "/reissue SITE") else {
            return;
        };
        if !self.incoming.private {
            return self.say(|m| &m.reissue_private_only, &[]);
        }
        match self
            .engine
            .service
            .reissue_passcode(self.sender(), &site)
            .await
        {
            Ok(passcode) => {
                let text = self.text(
                    |m| &m.reissued,
                    &[
                        ("site", site.as_str()),
                        ("passcode", passcode.expose_secret()),
                    ],
                );
                let mut reply = Reply::text(text);
                reply.private = true;
                self.reply(reply);
            }
            Err(error) => self.refused(&error),
        }
    }

    /// `/web`: a one-time link to the help desk's web page, in the agent's private chat only.
    pub(super) async fn web_link(&mut self) {
        if !self.incoming.private {
            return self.say(|m| &m.web_link_private_only, &[]);
        }
        let Some(base) = self.engine.web_url.clone() else {
            return self.say(|m| &m.web_link_not_served, &[]);
        };
        match self
            .engine
            .service
            .web_link(self.sender(), self.sender())
            .await
        {
            Ok(link) => {
                let url = format!("{base}/desk/login/{}", link.secret.expose_secret());
                let minutes = minutes(WEB_LINK_VALIDITY).to_string();
                let text = self.text(
                    |m| &m.web_link_sent,
                    &[("url", &url), ("minutes", &minutes)],
                );
                let mut reply = Reply::text(text);
                reply.private = true;
                self.reply(reply);
            }
            Err(error) => self.refused(&error),
        }
    }

    fn site_arg(&mut self, args: &str, usage: &str) -> Option<SiteNumber> {
        if args.is_empty() {
            self.usage(usage);
            return None;
        }
        let site = SiteNumber::parse(args).ok();
        if site.is_none() {
            self.say(|m| &m.bad_site_number, &[]);
        }
        site
    }

    pub(super) fn usage(&mut self, usage: &str) {
        self.say(|m| &m.usage, &[("usage", usage)]);
    }
}
