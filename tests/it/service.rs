//! The account service and `pao-bot admin`, each test run on SQLite and on PostgreSQL.

mod access;
mod admin_cli;
mod agents;
mod handoffs;
mod lockout;
mod nominations;
mod passcodes;
mod secrecy;

use pao_bot::domain::{ChatIdentity, IbmId, Passcode, Program, SiteNumber};
use pao_bot::service::{AccountService, FirstAccess, NominationId, PasscodeAccepted, ServiceError};

use crate::databases::TestDb;

pub fn identity(text: &str) -> ChatIdentity {
    ChatIdentity::parse(text).expect("a chat identity")
}

pub fn operator() -> ChatIdentity {
    ChatIdentity::local_operator()
}

pub fn site(text: &str) -> SiteNumber {
    SiteNumber::parse(text).expect("a site number")
}

pub fn ibm(text: &str) -> IbmId {
    IbmId::parse(text).expect("an IBM ID")
}

/// A new site, as the operator adds it; returns its passcode.
pub async fn new_site(db: &TestDb, number: &str) -> Passcode {
    db.service
        .add_site(&operator(), &site(number), Program::Pa)
        .await
        .expect("the operator adds a site")
}

/// A self-nomination from chat `chat` for `id` on site `number`, recorded as pending.
pub async fn requested(db: &TestDb, chat: &str, number: &str, id: &str) -> NominationId {
    db.service
        .request_nomination(&identity(chat), &site(number), &ibm(id))
        .await
        .expect("the request is recorded")
}

/// A check of `passcode` by chat `chat` for `id` on site `number`.
pub async fn first_access<S>(
    service: &S,
    chat: &str,
    number: &str,
    id: &str,
    passcode: &Passcode,
) -> Result<PasscodeAccepted, ServiceError>
where
    S: AccountService + ?Sized,
{
    let access = FirstAccess {
        site: &site(number),
        ibm_id: &ibm(id),
        passcode,
    };
    service.check_passcode(&identity(chat), access).await
}

/// A new site whose contact `primary` has used the passcode from chat `chat`.
pub async fn site_with_primary(db: &TestDb, number: &str, primary: &str, chat: &str) {
    let passcode = new_site(db, number).await;
    first_access(db.service.as_ref(), chat, number, primary, &passcode)
        .await
        .expect("the right passcode is accepted");
}
