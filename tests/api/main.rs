//! The local REST API tested from outside: the real `cardfile serve` on a temporary database,
//! in a desktop session whose keyring holds the tokens (`cardfile api token`), called with a
//! real HTTP client as other programs would call it.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use reqwest::{Method, StatusCode};
use serde_json::Value;

mod contacts;
#[path = "../support/desktop.rs"]
mod desktop;
mod guard;
#[path = "../support/shell.rs"]
mod shell;

use desktop::Desktop;

/// `cardfile serve` on a fresh database, with the owner's token.
struct Served {
    desktop: Desktop,
    _dir: tempfile::TempDir,
    db: PathBuf,
    child: Child,
    url: String,
    port: u16,
    /// The owner's (an Admin's) token.
    token: String,
    http: reqwest::Client,
}

impl Served {
    fn start() -> Served {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let desktop = Desktop::start();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cardfile.db");
        let mut child = Command::new(env!("CARGO_BIN_EXE_cardfile"))
            .arg("--db")
            .arg(&db)
            .args(["serve", "--port", "0"])
            .envs(desktop.env())
            .env_remove("CARDFILE_DB")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "printed {line:?}");
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        let mut served = Served {
            desktop,
            _dir: dir,
            db,
            child,
            url,
            port,
            token: String::new(),
            http: reqwest::Client::new(),
        };
        served.token = served.token_of(None);
        served
    }

    /// `cardfile ARGS` on this database, in this desktop session.
    fn cli(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_cardfile"))
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .envs(self.desktop.env())
            .env_remove("CARDFILE_DB")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `api token` as `user` (None: the signed-in owner), with `more` flags.
    fn token_with(&self, user: Option<&str>, more: &[&str]) -> String {
        let mut args = Vec::new();
        if let Some(email) = user {
            args.extend(["--as", email]);
        }
        args.extend(["api", "token"]);
        args.extend(more);
        let printed: Value = serde_json::from_str(&self.ok(&args)).unwrap();
        assert_eq!(printed.as_object().unwrap().len(), 1, "{printed}");
        printed["token"].as_str().unwrap().to_string()
    }

    fn token_of(&self, user: Option<&str>) -> String {
        self.token_with(user, &[])
    }

    fn add_user(&self, email: &str, role: &str) {
        self.ok(&[
            "users", "add", "--email", email, "--name", email, "--role", role,
        ]);
    }

    /// A request with `token` (None: no Authorization header), as built by `build`.
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> reqwest::Response {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        build(req).send().await.unwrap()
    }

    /// `method path` with `token` and a JSON `body`: the status and the JSON reply (Null when
    /// empty).
    async fn call_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let reply = self
            .send(method, path, token, |req| match body {
                Some(b) => req
                    .header("content-type", "application/json")
                    .body(b.to_string()),
                None => req,
            })
            .await;
        reply_json(reply).await
    }

    /// `call_as` with the owner's token.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call_as(Some(&self.token), method, path, body).await
    }

    /// Adds a contact as the owner; returns it.
    async fn add(&self, body: Value) -> Value {
        let (status, contact) = self.call(Method::POST, "/v1/contacts", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{contact}");
        contact
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A reply's status and JSON body (Null when it has none), checking that a body is JSON and
/// that no reply ever carries a CORS header.
async fn reply_json(reply: reqwest::Response) -> (StatusCode, Value) {
    let status = reply.status();
    for name in reply.headers().keys() {
        assert!(
            !name.as_str().starts_with("access-control-"),
            "a CORS header: {name}"
        );
    }
    let json = reply
        .headers()
        .get("content-type")
        .is_some_and(|v| v == "application/json");
    let text = reply.text().await.unwrap();
    if text.is_empty() {
        return (status, Value::Null);
    }
    assert!(json, "{status} without a JSON content type: {text}");
    (status, serde_json::from_str(&text).unwrap())
}

/// Checks an error reply: its status and code (and that it says something).
fn assert_error(reply: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(reply.0.as_u16(), status, "{}", reply.1);
    assert_eq!(reply.1["code"], code, "{}", reply.1);
    assert!(!reply.1["message"].as_str().unwrap().is_empty());
}

/// One value of the database, read with the sqlite3 shell.
fn sql(db: &std::path::Path, query: &str) -> String {
    shell::sqlite(db, query).trim().to_string()
}
