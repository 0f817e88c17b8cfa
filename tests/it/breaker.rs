//! A PostgreSQL server out of reach is given up at the first failure and tried again in the
//! background: later messages wait for no connection (the FAQ answers them, account actions
//! say "unavailable" at once), and once the server answers the bot uses it again.
//!
//! The first two tests run on tokio's paused clock: it moves only when every task waits on a
//! timer, so a message that waited for a connection, a timeout or a retry's pause would show as
//! time gone by, and no time going by shows that nothing waited.

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use pao_bot::answer::Answerer;
use pao_bot::conversation::{Content, Engine, Incoming, Response};
use pao_bot::database::Database;
use pao_bot::domain::{ChatIdentity, Program, Timestamp};
use pao_bot::lang::Lang;
use pao_bot::service::{ManualClock, ServiceError, SqlService};
use tokio::time::Instant;

use crate::databases::{START, TestDb};
use crate::service::{operator, site};
use crate::support::{faq_dir, first_line_of_answer};

/// Instantiates each named `async fn(TestDb)` as a `postgres` test only: what only a server
/// does.
macro_rules! on_postgres {
    ($($test:ident),+ $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::databases::run($crate::databases::Backend::Postgres, super::$test).await;
            }
        }
    )+};
}

on_postgres!(a_server_back_in_reach_is_used_again_with_its_schema_brought_up_to_date);

/// How long a test may wait for what it waits for before it is taken for a hang.
const HANG: Duration = Duration::from_secs(20);

fn bot() -> Arc<Answerer> {
    static BOT: OnceLock<Arc<Answerer>> = OnceLock::new();
    BOT.get_or_init(|| Arc::new(Answerer::load(&faq_dir()).expect("the shipped faq/ loads")))
        .clone()
}

fn engine(database: Database) -> Engine {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(START)));
    let service = Arc::new(SqlService::new(database.clone(), clock.clone()));
    Engine::new(bot(), service, database, clock)
}

fn says(sender: &ChatIdentity, text: &str) -> Incoming {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    Incoming {
        channel: sender.channel(),
        chat: sender.id().to_owned(),
        private: true,
        sender: sender.clone(),
        lang_hint: Some(Lang::En),
        content: Content::Text(text.to_owned()),
        message_id: Some(format!("b{}", NEXT.fetch_add(1, Ordering::SeqCst))),
        replied_to: None,
    }
}

fn text(response: &Response) -> String {
    let texts: Vec<&str> = response.replies.iter().map(|r| r.text.as_str()).collect();
    texts.join("\n---\n")
}

fn unavailable() -> String {
    bot()
        .knowledge()
        .messages()
        .unavailable
        .en
        .trim()
        .to_owned()
}

/// Ten rounds of a question, an agent command and the start of a procedure: the question is
/// answered, the others are told account actions are unavailable.
async fn answered_and_refused(engine: &Engine) {
    let customer = ChatIdentity::parse("telegram:3101").expect("a chat identity");
    let answer = first_line_of_answer("forgot-password", Lang::En);
    for _ in 0..10 {
        let answered = text(&engine.handle(says(&customer, "I forgot my password")).await);
        let pending = text(&engine.handle(says(&operator(), "/pending")).await);
        let nominate = text(&engine.handle(says(&customer, "/nominate")).await);
        assert!(answered.contains(&answer), "{answered}");
        assert_eq!(pending, unavailable());
        assert!(nominate.contains(&unavailable()), "{nominate}");
    }
}

/// A server that accepts connections and never answers, as a hung database server or a
/// firewall that swallows packets would. It notes the address of every connection it accepts,
/// in the order the connections were made.
struct Silent {
    port: u16,
    accepted: Arc<(Mutex<Vec<SocketAddr>>, Condvar)>,
}

impl Silent {
    fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("the server's address").port();
        let accepted = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let noted = accepted.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (list, changed) = &*noted;
                list.lock()
                    .unwrap()
                    .push(stream.peer_addr().expect("a peer"));
                changed.notify_all();
                held.push(stream);
            }
        });
        Silent { port, accepted }
    }

    fn url(&self) -> String {
        format!("postgres://pao@127.0.0.1:{}/pao", self.port)
    }

    /// How many connections were made to the server so far. A connection of the test's own is
    /// made last and waited for: the server accepts in the order connections were made, so
    /// every earlier one is counted.
    fn connections_so_far(&self) -> usize {
        let mark = TcpStream::connect(("127.0.0.1", self.port)).expect("the server accepts");
        let mark_addr = mark.local_addr().expect("the mark's address");
        let (list, changed) = &*self.accepted;
        let (list, waited) = changed
            .wait_timeout_while(list.lock().unwrap(), HANG, |list| {
                !list.contains(&mark_addr)
            })
            .unwrap();
        assert!(!waited.timed_out(), "the server never accepted the mark");
        let _ = mark.shutdown(Shutdown::Both);
        list.iter().take_while(|addr| **addr != mark_addr).count()
    }
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_is_not_waited_for_again() {
    let server = Silent::start();
    let database = Database::open(&server.url())
        .await
        .expect("an unreachable database still opens");
    let engine = engine(database);
    let tried = server.connections_so_far();

    let before = Instant::now();
    answered_and_refused(&engine).await;

    assert_eq!(before.elapsed(), Duration::ZERO, "a message waited");
    // One for the mark of the first count.
    assert_eq!(
        server.connections_so_far(),
        tried + 1,
        "a message tried to connect"
    );
    // The background retry comes all the same.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        server.connections_so_far() > tried + 2,
        "no retry in the background"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_is_not_tried_again_by_each_message() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let database = Database::open(&format!("postgres://pao@127.0.0.1:{port}/pao"))
        .await
        .expect("an unreachable database still opens");
    let engine = engine(database);

    let before = Instant::now();
    answered_and_refused(&engine).await;

    // sqlx retries a refused connection after a pause, growing until its acquire timeout.
    assert_eq!(before.elapsed(), Duration::ZERO, "a message waited");
}

/// A relay to the test's PostgreSQL server that is shut at first (it accepts connections and
/// closes them at once, as a server going down does) and forwards once opened.
struct Gate {
    port: u16,
    open: Arc<AtomicBool>,
}

impl Gate {
    fn to(target: SocketAddr) -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("the gate's address").port();
        let open = Arc::new(AtomicBool::new(false));
        let forwarding = open.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !forwarding.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let server = TcpStream::connect(target).expect("the server accepts");
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Gate { port, open }
    }

    fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

/// The bot starts while its server is down, on a database that has no schema yet; the server
/// comes back, a retry in the background finds it and migrates it, and account actions work.
async fn a_server_back_in_reach_is_used_again_with_its_schema_brought_up_to_date(db: TestDb) {
    let empty = db.empty_database().await;
    let (server, name) = empty
        .strip_prefix("postgres://postgres@")
        .and_then(|rest| rest.split_once('/'))
        .expect("a test database URL of postgres://postgres@HOST:PORT/NAME");
    let gate = Gate::to(server.parse().expect("HOST:PORT"));
    let database = Database::open(&format!(
        "postgres://postgres@127.0.0.1:{}/{name}",
        gate.port
    ))
    .await
    .expect("an unreachable database still opens");
    let engine = engine(database.clone());
    let pending = text(&engine.handle(says(&operator(), "/pending")).await);
    assert_eq!(pending, unavailable());

    gate.open();
    tokio::time::timeout(HANG, database.reachable())
        .await
        .expect("a retry in the background reaches the server");

    let pending = text(&engine.handle(says(&operator(), "/pending")).await);
    let none = bot()
        .knowledge()
        .messages()
        .pending_none
        .en
        .trim()
        .to_owned();
    assert_eq!(pending, none);
    engine
        .service()
        .add_site(&operator(), &site("1234567"), Program::Pa)
        .await
        .expect("the schema is there: a site is added");
    let again = engine
        .service()
        .add_site(&operator(), &site("1234567"), Program::Pa)
        .await;
    assert!(
        matches!(again, Err(ServiceError::SiteExists { .. })),
        "{again:?}"
    );
}
