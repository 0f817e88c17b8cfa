//! A site: `GET /desk/sites?number=N` (the box in the title bar, which opens the site's
//! page), `GET /desk/sites/{number}` (members and roles, the outstanding passcode, the
//! lockout and who is locked out, the pending nominations) and its two actions, unlock and
//! reissue the passcode, through the service's `show_site`, `unlock` and `reissue_passcode`
//! as `/site`, `/unlock` and `/reissue` in chat. A reissued passcode is shown on the page
//! that answers the form and nowhere else: never stored, never logged, never cached.
//!
//! The members and the pending nominations are shown [`PER_PAGE`] at a time, each list with a
//! link to its next page (`?members=role:IBM ID`, `?pending=N`: where the page before ended),
//! read by the service's `site_page`: a site of a thousand members costs what one of a
//! hundred does.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::channels::web::desk::csrf::{Posted, Tokened};
use crate::channels::web::desk::frame::Outcome;
use crate::channels::web::desk::session::Agent;
use crate::channels::web::desk::{Desk, DeskRoute, audit, frame, nominations, page};
use crate::conversation::wording;
use crate::domain::SiteNumber;
use crate::policy::{LOCKOUT_WINDOW, minutes};
use crate::service::{Lockout, MemberKey, NominationId, Paged, SiteWindow};

/// How many members, and how many pending nominations, a page shows.
const PER_PAGE: u32 = 100;

/// Where the site's lists start: after the member and the nomination given.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Window {
    members: Option<String>,
    pending: Option<String>,
}

/// The box's query.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Find {
    #[serde(default)]
    number: String,
}

/// A site's action: its token alone.
#[derive(Debug, Deserialize)]
pub(super) struct Act {
    #[serde(default)]
    csrf: String,
}

impl Tokened for Act {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn find(
    State(desk): State<Arc<Desk>>,
    agent: Agent,
    Query(find): Query<Find>,
) -> Response {
    match SiteNumber::parse(&find.number) {
        Ok(site) => Redirect::to(&path_of(&site)).into_response(),
        Err(_) => {
            let bot = desk.engine.bot();
            let messages = bot.knowledge().messages();
            let said = messages.say(&messages.bad_site_number, agent.lang, &[]);
            let outcome = Outcome::refused(StatusCode::BAD_REQUEST, said);
            page(
                outcome.status,
                frame::signed_in(messages, &agent, DeskRoute::Site, outcome.markup()),
            )
        }
    }
}

pub(super) async fn show(
    State(desk): State<Arc<Desk>>,
    agent: Agent,
    Path(number): Path<String>,
    Query(window): Query<Window>,
) -> Response {
    let members_after = window.members.as_deref().map(str::parse::<MemberKey>);
    let pending_after = window.pending.as_deref().map(str::parse::<NominationId>);
    let (Ok(members_after), Ok(pending_after)) =
        (members_after.transpose(), pending_after.transpose())
    else {
        let bot = desk.engine.bot();
        let messages = bot.knowledge().messages();
        let said = messages.say(&messages.desk_bad_filter, agent.lang, &[]);
        let outcome = Outcome::refused(StatusCode::BAD_REQUEST, said);
        return page(
            outcome.status,
            frame::signed_in(messages, &agent, DeskRoute::Site, outcome.markup()),
        );
    };
    let window = SiteWindow {
        members_after,
        pending_after,
        limit: PER_PAGE,
    };
    view_at(&desk, &agent, &number, &window, None).await
}

pub(super) async fn unlock(
    State(desk): State<Arc<Desk>>,
    Path(number): Path<String>,
    posted: Posted<Act>,
) -> Response {
    let agent = posted.agent;
    let Ok(site) = SiteNumber::parse(&number) else {
        return view(&desk, &agent, &number, None).await;
    };
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = agent.lang;
    let outcome = match desk.engine.service().unlock(&agent.identity, &site).await {
        Ok(()) => Outcome::done(messages.say(&messages.unlocked, lang, &[("site", site.as_str())])),
        Err(error) => Outcome::of_error(messages, lang, &error),
    };
    view(&desk, &agent, &number, Some(outcome)).await
}

pub(super) async fn reissue(
    State(desk): State<Arc<Desk>>,
    Path(number): Path<String>,
    posted: Posted<Act>,
) -> Response {
    let agent = posted.agent;
    let Ok(site) = SiteNumber::parse(&number) else {
        return view(&desk, &agent, &number, None).await;
    };
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = agent.lang;
    let service = desk.engine.service();
    let outcome = match service.reissue_passcode(&agent.identity, &site).await {
        Ok(passcode) => Outcome::done(messages.say(
            &messages.reissued,
            lang,
            &[
                ("site", site.as_str()),
                ("passcode", passcode.expose_secret()),
            ],
        )),
        Err(error) => Outcome::of_error(messages, lang, &error),
    };
    view(&desk, &agent, &number, Some(outcome)).await
}

/// Where the page of `site` is.
pub(super) fn path_of(site: &SiteNumber) -> String {
    DeskRoute::Site.path().replace("{number}", site.as_str())
}

/// The first page of the site numbered `number`, below what was just done, if anything.
async fn view(desk: &Desk, agent: &Agent, number: &str, outcome: Option<Outcome>) -> Response {
    let window = SiteWindow {
        members_after: None,
        pending_after: None,
        limit: PER_PAGE,
    };
    view_at(desk, agent, number, &window, outcome).await
}

/// The page of the site numbered `number` that `window` asks for, below what was just done,
/// if anything.
async fn view_at(
    desk: &Desk,
    agent: &Agent,
    number: &str,
    window: &SiteWindow,
    outcome: Option<Outcome>,
) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = agent.lang;
    let say = |sentence| messages.say(sentence, lang, &[]);
    let Ok(site) = SiteNumber::parse(number) else {
        let outcome = Outcome::refused(StatusCode::NOT_FOUND, say(&messages.bad_site_number));
        return page(
            outcome.status,
            frame::signed_in(messages, agent, DeskRoute::Site, outcome.markup()),
        );
    };
    let shown = match desk
        .engine
        .service()
        .site_page(&agent.identity, &site, window)
        .await
    {
        Ok(shown) => shown,
        Err(error) => {
            let refused = Outcome::of_error(messages, lang, &error);
            let body = html! {
                @if let Some(outcome) = &outcome { (outcome.markup()) }
                (refused.markup())
            };
            let status = outcome.map_or(refused.status, |o| o.status);
            return page(
                status,
                frame::signed_in(messages, agent, DeskRoute::Site, body),
            );
        }
    };
    let view = &shown.view;
    let here = path_of(&site);
    let program = view.program.to_string().to_uppercase();
    let heading = messages.say(
        &messages.site_heading,
        lang,
        &[("site", site.as_str()), ("program", &program)],
    );
    let lockout = match view.lockout {
        Lockout::Open { recent_failures } => messages.say(
            &messages.site_lock_open,
            lang,
            &[
                ("failures", &recent_failures.to_string()),
                ("minutes", &minutes(LOCKOUT_WINDOW).to_string()),
            ],
        ),
        Lockout::Locked { until } => messages.say(
            &messages.site_lock_locked,
            lang,
            &[("until", &wording::time(until))],
        ),
    };
    let unlock_path = DeskRoute::Unlock.path().replace("{number}", site.as_str());
    let reissue_path = DeskRoute::Reissue.path().replace("{number}", site.as_str());
    // The nominations' own links lead to the nominations' page: the site's are below.
    let pending = Paged {
        items: view.pending.clone(),
        next: None,
    };
    let paged = window.members_after.is_some() || window.pending_after.is_some();
    let body = html! {
        @if let Some(outcome) = &outcome {
            div.outcome { (outcome.markup()) }
        }
        h2 { (heading) }
        div.table {
            table {
                thead {
                    tr {
                        th { "IBM ID" }
                        th { (say(&messages.desk_column_role)) }
                        th { (say(&messages.desk_column_since)) }
                    }
                }
                tbody {
                    @if view.members.is_empty() {
                        tr { td colspan="3" { (say(&messages.site_no_members)) } }
                    }
                    @for member in &view.members {
                        tr {
                            td { (member.ibm_id.as_str()) }
                            td { (wording::role(messages, member.role, lang)) }
                            td { (wording::time(member.since)) }
                        }
                    }
                }
            }
        }
        @if let Some(next) = &shown.next_member {
            nav.pages.members {
                a href={ (here) "?members=" (audit::encoded(&next.to_string())) } { (say(&messages.desk_next_page)) }
            }
        }
        h2 { (say(&messages.desk_site_access)) }
        @if view.passcode_outstanding {
            p { (say(&messages.site_passcode_outstanding)) }
        }
        p.lockout { (lockout) }
        @for person in &view.locked_out {
            p.lockout {
                (messages.say(
                    &messages.site_locked_out,
                    lang,
                    &[("person", &person.person), ("until", &wording::time(person.until))],
                ))
            }
        }
        form.inline method="post" action=(unlock_path) {
            (frame::token(agent))
            button.unlock type="submit" { (say(&messages.desk_unlock)) }
        }
        form.inline method="post" action=(reissue_path) {
            (frame::token(agent))
            button.danger.reissue type="submit" { (say(&messages.desk_reissue)) }
        }
        (nominations::table(messages, agent, &pending, false))
        nav.pages.pending {
            @if paged {
                a href=(here) { (say(&messages.desk_first_page)) }
            }
            @if let Some(next) = shown.next_pending {
                a href={ (here) "?pending=" (next) } { (say(&messages.desk_next_page)) }
            }
        }
    };
    let status = outcome.map_or(StatusCode::OK, |o| o.status);
    page(
        status,
        frame::signed_in(messages, agent, DeskRoute::Site, body),
    )
}
