//! The servers the dispatcher talks to in tests, all on loopback: Debian's aiosmtpd as a
//! real SMTP server, a plain-text SMTP server that offers a login (to see what crosses the
//! wire), and a fake Twilio-style SMS gateway that can hold a request while a test acts.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardfile_core::activity::{Kind, NewActivity};
use cardfile_core::preferences::Key;
use cardfile_core::secrets::{MemorySecrets, SecretStore, SMS_TOKEN};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::oneshot;

use crate::{fields, Db};

#[path = "../../../../tests/support/received.rs"]
mod received;

pub const ACCOUNT: &str = "AC0123456789";
pub const TOKEN: &str = "gateway-secret";
/// "Basic " and base64 of "AC0123456789:gateway-secret": what the gateway must be sent.
pub const AUTHORIZATION: &str = "Basic QUMwMTIzNDU2Nzg5OmdhdGV3YXktc2VjcmV0";

pub fn at(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn hours(h: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::hours(h)
}

pub fn meeting(pairs: &[(&str, &str)], starts: chrono::DateTime<chrono::Utc>) -> NewActivity {
    NewActivity {
        kind: Some(Kind::Meeting),
        fields: fields(pairs),
        status: Some("scheduled".into()),
        starts_at: Some(at(starts)),
        ends_at: Some(at(starts + chrono::Duration::hours(1))),
        ..Default::default()
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A real SMTP server (python3-aiosmtpd) writing what it receives to a Maildir.
pub struct SmtpServer {
    child: std::process::Child,
    pub port: u16,
    maildir: PathBuf,
}

impl SmtpServer {
    pub async fn start(dir: &Path) -> SmtpServer {
        let port = free_port();
        let maildir = dir.join("maildir");
        let mut child = std::process::Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .spawn()
            .expect("python3-aiosmtpd is installed (make test installs it)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return SmtpServer {
                    child,
                    port,
                    maildir,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start on port {port}");
    }

    /// Every message received: its headers by lowercase name, and its body.
    pub fn messages(&self) -> Vec<(HashMap<String, String>, String)> {
        received::messages(&self.maildir)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An SMTP server without TLS that offers AUTH PLAIN and LOGIN, as a server on the path
/// (or one a password was never meant for) would: it keeps every line it is sent.
pub struct ClearSmtp {
    pub port: u16,
    heard: Arc<Mutex<Vec<String>>>,
}

impl ClearSmtp {
    pub async fn start() -> ClearSmtp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let heard: Arc<Mutex<Vec<String>>> = Arc::default();
        let h = heard.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(Self::serve(socket, h.clone()));
            }
        });
        ClearSmtp { port, heard }
    }

    /// Every line the server was sent, in order.
    pub fn heard(&self) -> Vec<String> {
        self.heard.lock().unwrap().clone()
    }

    async fn serve(socket: tokio::net::TcpStream, heard: Arc<Mutex<Vec<String>>>) {
        let mut conn = BufReader::new(socket);
        let _ = conn.get_mut().write_all(b"220 clear ESMTP\r\n").await;
        let mut in_data = false;
        loop {
            let mut line = String::new();
            if conn.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end().to_string();
            heard.lock().unwrap().push(line.clone());
            let verb = line.to_ascii_uppercase();
            let reply: &[u8] = if in_data {
                if line != "." {
                    continue;
                }
                in_data = false;
                b"250 queued\r\n"
            } else if verb.starts_with("EHLO") {
                b"250-clear\r\n250 AUTH PLAIN LOGIN\r\n"
            } else if verb.starts_with("AUTH") {
                b"235 accepted\r\n"
            } else if verb.starts_with("DATA") {
                in_data = true;
                b"354 go on\r\n"
            } else if verb.starts_with("QUIT") {
                let _ = conn.get_mut().write_all(b"221 bye\r\n").await;
                return;
            } else {
                b"250 ok\r\n"
            };
            if conn.get_mut().write_all(reply).await.is_err() {
                return;
            }
        }
    }
}

/// What the gateway received: the path, the Authorization and Idempotency-Key headers and
/// the form.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub authorization: String,
    pub idempotency_key: Option<String>,
    pub form: HashMap<String, String>,
}

/// A request the gateway holds unanswered: `arrived` fires when it is in, and dropping or
/// sending on `release` lets the gateway answer it.
pub struct Held {
    pub arrived: oneshot::Receiver<()>,
    pub release: oneshot::Sender<()>,
}

/// The gateway's side of a hold: whom to tell that the request is in, and what to wait for.
type Hold = (oneshot::Sender<()>, oneshot::Receiver<()>);

/// A fake Twilio-style SMS gateway: `POST /2010-04-01/Accounts/{sid}/Messages.json` with
/// basic auth and form fields To, From, Body; 201 and a message resource, unless told to
/// answer something else next.
#[derive(Clone)]
pub struct Gateway {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<(u16, String)>>>,
    hold: Arc<Mutex<Option<Hold>>>,
}

impl Gateway {
    pub async fn start() -> Gateway {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway = Gateway {
            addr: listener.local_addr().unwrap(),
            received: Arc::default(),
            answers: Arc::default(),
            hold: Arc::default(),
        };
        let g = gateway.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(g.clone().serve(socket));
            }
        });
        gateway
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn answer_next(&self, status: u16, body: &str) {
        self.answers
            .lock()
            .unwrap()
            .push_back((status, body.to_string()));
    }

    /// Holds the next request (after recording it) until the test releases it: the
    /// message has reached the gateway, and the dispatcher waits for its answer.
    pub fn hold_next(&self) -> Held {
        let (tell, arrived) = oneshot::channel();
        let (release, wait) = oneshot::channel();
        *self.hold.lock().unwrap() = Some((tell, wait));
        Held { arrived, release }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    async fn serve(self, socket: tokio::net::TcpStream) {
        let mut reader = BufReader::new(socket);
        loop {
            let Some(received::FormRequest {
                path,
                headers,
                form,
            }) = received::form_request(&mut reader).await
            else {
                return;
            };
            let authorization = headers.get("authorization").cloned().unwrap_or_default();
            let known = path == format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
                && authorization == AUTHORIZATION;
            self.received.lock().unwrap().push(Received {
                path,
                authorization,
                idempotency_key: headers.get("idempotency-key").cloned(),
                form,
            });
            let hold = self.hold.lock().unwrap().take();
            if let Some((tell, wait)) = hold {
                let _ = tell.send(());
                let _ = wait.await;
            }
            let next = self.answers.lock().unwrap().pop_front();
            let (status, reply) = match next {
                _ if !known => (
                    401,
                    r#"{"code": 20003, "message": "Authenticate"}"#.to_string(),
                ),
                Some(answer) => answer,
                None => (201, r#"{"sid": "SM0001", "status": "queued"}"#.to_string()),
            };
            let response = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{reply}",
                reply.len()
            );
            reader
                .get_mut()
                .write_all(response.as_bytes())
                .await
                .unwrap();
        }
    }
}

pub async fn set_up_sms(db: &Db, gateway: &Gateway, secrets: &MemorySecrets) {
    let s = &db.session;
    s.set(secrets, Key::SmsGateway, &gateway.url())
        .await
        .unwrap();
    s.set(secrets, Key::SmsAccount, ACCOUNT).await.unwrap();
    s.set(secrets, Key::SmsFrom, "+1 201 555 0100")
        .await
        .unwrap();
    secrets.set(SMS_TOKEN, TOKEN).unwrap();
}

pub async fn set_up_email(db: &Db, port: u16) {
    let s = &db.session;
    let none = MemorySecrets::default();
    s.set(&none, Key::Smtp, &format!("smtp://127.0.0.1:{port}"))
        .await
        .unwrap();
    s.set(&none, Key::EmailFrom, "Bookings@Example.com")
        .await
        .unwrap();
}
