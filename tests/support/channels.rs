//! The notification channels' far ends for the window tests, on loopback: a mail server that
//! insists on STARTTLS with a self-signed certificate (made here with openssl) and on one
//! user's login (aiosmtpd, run by smtp_starttls.py beside this file), and a Twilio-style SMS
//! gateway that records what it is sent.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncWriteExt, BufReader};

#[path = "received.rs"]
mod received;

/// aiosmtpd requiring STARTTLS and a login, its certificate for 127.0.0.1 self-signed.
pub struct TlsSmtp {
    child: Child,
    pub port: u16,
    /// The certificate, PEM: what the CA-file setting must name for the app to trust it.
    pub cert: PathBuf,
    maildir: PathBuf,
    logins: PathBuf,
}

/// One login attempt as the server logged it.
#[derive(Debug, serde::Deserialize)]
pub struct Login {
    pub mechanism: String,
    pub login: Option<String>,
    pub accepted: bool,
}

impl TlsSmtp {
    /// Starts it in `dir`, accepting only `user` with `password`.
    pub fn start(dir: &Path, user: &str, password: &str) -> TlsSmtp {
        let (cert, key) = (dir.join("smtp-cert.pem"), dir.join("smtp-key.pem"));
        // CA:FALSE: the certificate is the server's own; rustls (webpki) refuses a CA
        // certificate in the server's place even when it is the one trusted.
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=127.0.0.1"])
            .args(["-addext", "subjectAltName=IP:127.0.0.1"])
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl (apt: openssl)");
        assert!(made.success(), "openssl could not make the certificate");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (maildir, logins) = (dir.join("maildir"), dir.join("smtp-logins.jsonl"));
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/smtp_starttls.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--user", user])
            .arg("--cert")
            .arg(&cert)
            .arg("--key")
            .arg(&key)
            .arg("--maildir")
            .arg(&maildir)
            .arg("--logins")
            .arg(&logins)
            // The password by the environment: not on a command line `ps` shows.
            .env("SMTP_TEST_PASSWORD", password)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3-aiosmtpd (make test installs it)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "aiosmtpd did not start");
        TlsSmtp {
            child,
            port,
            cert,
            maildir,
            logins,
        }
    }

    /// Every message received: its headers by lowercase name, and its body.
    pub fn messages(&self) -> Vec<(HashMap<String, String>, String)> {
        received::messages(&self.maildir)
    }

    /// Every login attempt, in order.
    pub fn logins(&self) -> Vec<Login> {
        std::fs::read_to_string(&self.logins)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for TlsSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the gateway was sent: the path, the Authorization header and the form.
#[derive(Debug, Clone)]
pub struct SmsRequest {
    pub path: String,
    pub authorization: String,
    pub form: HashMap<String, String>,
}

/// A Twilio-style SMS gateway: `POST /2010-04-01/Accounts/{sid}/Messages.json` answered
/// 201 with a queued message, each request recorded.
pub struct SmsGateway {
    pub url: String,
    received: Arc<Mutex<Vec<SmsRequest>>>,
}

impl SmsGateway {
    pub async fn start() -> SmsGateway {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received: Arc<Mutex<Vec<SmsRequest>>> = Arc::default();
        let r = received.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, r.clone()));
            }
        });
        SmsGateway { url, received }
    }

    pub fn received(&self) -> Vec<SmsRequest> {
        self.received.lock().unwrap().clone()
    }
}

/// One request per connection (the client is told to close it).
async fn serve(socket: tokio::net::TcpStream, requests: Arc<Mutex<Vec<SmsRequest>>>) {
    let mut conn = BufReader::new(socket);
    let Some(request) = received::form_request(&mut conn).await else {
        return;
    };
    requests.lock().unwrap().push(SmsRequest {
        authorization: request
            .headers
            .get("authorization")
            .cloned()
            .unwrap_or_default(),
        path: request.path,
        form: request.form,
    });
    let reply = r#"{"sid":"SM0001","status":"queued"}"#;
    let _ = conn
        .get_mut()
        .write_all(
            format!(
                "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            )
            .as_bytes(),
        )
        .await;
}
