//! `pao-bot chat`: the whole engine in the terminal, as a customer or as the local agent,
//! with the demo site of `--demo`.

use std::io::{BufRead, Write};
use std::sync::Arc;

use crate::admin::AdminError;
use crate::answer::Answerer;
use crate::channels::console;
use crate::cli::{CliError, database, runtime};
use crate::conversation::Engine;
use crate::domain::{ChatIdentity, Program, SiteNumber};
use crate::service::{AccountService, ServiceError};

/// The demo site of `chat --demo`.
const DEMO_SITE: &str = "1234567";

/// What `chat --demo` does with the demo site.
#[derive(Debug, Clone, Copy)]
pub(super) struct Demo {
    /// Give an existing demo site a new passcode, rather than use it as it is.
    pub(super) reset: bool,
}

/// `pao-bot chat`: the whole engine in the terminal, as the local agent with `agent`, who is
/// then registered as an agent, so that new tickets are announced here.
pub(super) fn chat<R, W>(
    bot: Arc<Answerer>,
    url: &str,
    agent: bool,
    demo: Option<Demo>,
    input: R,
    output: &mut W,
    terminal: bool,
) -> Result<(), CliError>
where
    R: BufRead,
    W: Write + Send,
{
    let runtime = runtime()?;
    let identity = if agent {
        ChatIdentity::local_operator()
    } else {
        ChatIdentity::parse("console:guest").expect("a valid console identity")
    };
    let engine = runtime.block_on(async {
        let engine = Engine::on_database(bot, database(url, true).await?);
        if let Some(demo) = demo {
            demo_site(engine.service(), demo, output).await?;
        }
        if agent {
            match engine.service().add_agent(&identity, &identity).await {
                Ok(()) | Err(ServiceError::AlreadyAgent { .. }) => {}
                Err(error) => return Err(AdminError::Service(error).into()),
            }
        }
        Ok::<_, CliError>(engine)
    })?;
    console::run(
        runtime.handle(),
        &engine,
        &identity,
        input,
        output,
        terminal,
    )?;
    Ok(())
}

/// Creates the demo site and prints its passcode. An existing demo site is used as it is (its
/// passcode, stored only as a hash, is not shown again), unless `demo.reset` asks for a new
/// passcode.
async fn demo_site<W>(
    service: &dyn AccountService,
    demo: Demo,
    output: &mut W,
) -> Result<(), CliError>
where
    W: Write,
{
    let operator = ChatIdentity::local_operator();
    let site = SiteNumber::parse(DEMO_SITE).expect("a valid site number");
    let passcode = match service.add_site(&operator, &site, Program::Pa).await {
        Err(ServiceError::SiteExists { .. }) if demo.reset => {
            service.reissue_passcode(&operator, &site).await
        }
        Err(ServiceError::SiteExists { .. }) => {
            writeln!(
                output,
                "demo site {site} (PA) exists and is used as it is: its passcode was shown when \
                 it was made (chat --demo --reset gives it a new one)\n"
            )?;
            return Ok(());
        }
        other => other,
    }
    .map_err(AdminError::Service)?;
    writeln!(
        output,
        "demo site {site} (PA), temporary passcode: {}\n",
        passcode.expose_secret()
    )?;
    Ok(())
}
