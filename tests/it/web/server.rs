//! The web chat served on `127.0.0.1:0` by an engine on a test database, until dropped.

use std::net::SocketAddr;
use std::sync::Arc;

use pao_bot::answer::Answerer;
use pao_bot::channels::web;
use pao_bot::config::WebSettings;
use pao_bot::conversation::{Content, Engine, Incoming, Response};
use pao_bot::domain::ChatIdentity;
use tokio_util::sync::CancellationToken;

use crate::databases::TestDb;
use crate::support::faq_dir;

/// The web chat running, and the engine behind it.
pub struct WebChat {
    pub address: SocketAddr,
    pub engine: Arc<Engine>,
    shutdown: CancellationToken,
}

impl Drop for WebChat {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl WebChat {
    pub async fn start(db: &TestDb) -> WebChat {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("the bound address");
        let bot = Arc::new(Answerer::load(&faq_dir()).expect("the shipped faq/ loads"));
        let database = db.service.database().clone();
        let engine = Engine::new(bot, db.service.clone(), database, db.clock.clone())
            .with_web_url(Some(format!("http://{address}")));
        let engine = Arc::new(engine);
        let shutdown = CancellationToken::new();
        let settings = WebSettings::on(address);
        let (serving, stop) = (engine.clone(), shutdown.clone());
        tokio::spawn(async move { web::serve(serving, &settings, listener, stop).await });
        WebChat {
            address,
            engine,
            shutdown,
        }
    }

    /// `text` from `sender`, on their platform, in their private chat with the bot or in a
    /// group, as the engine behind the web chat answers it.
    pub async fn message(&self, sender: &ChatIdentity, text: &str, private: bool) -> Response {
        self.engine
            .handle(Incoming {
                channel: sender.channel(),
                chat: sender.id().to_owned(),
                private,
                sender: sender.clone(),
                lang_hint: None,
                content: Content::Text(text.to_owned()),
                message_id: None,
                replied_to: None,
            })
            .await
    }

    /// The address of `path` on the web chat.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}
