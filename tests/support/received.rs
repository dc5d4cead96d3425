//! What the notification channels' far ends in tests receive, read as the tests assert on
//! it: the mail a test mail server (aiosmtpd) wrote to its maildir, and an SMS gateway's
//! HTTP form request. The core tests' servers and the window tests' channels share it.

use std::collections::HashMap;
use std::path::Path;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// One HTTP request with a form body, as a Twilio-style gateway is sent it.
pub struct FormRequest {
    pub path: String,
    /// By lowercase name.
    pub headers: HashMap<String, String>,
    pub form: HashMap<String, String>,
}

/// The next request on `conn`, or None when the client closed it first.
pub async fn form_request(conn: &mut (impl AsyncBufRead + Unpin)) -> Option<FormRequest> {
    let mut request_line = String::new();
    if conn.read_line(&mut request_line).await.unwrap_or(0) == 0 {
        return None;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if conn.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    conn.read_exact(&mut body).await.ok()?;
    let form = form_urlencoded::parse(&body).into_owned().collect();
    Some(FormRequest {
        path,
        headers,
        form,
    })
}

/// Every message in `maildir`: its headers by lowercase name, and its body.
pub fn messages(maildir: &Path) -> Vec<(HashMap<String, String>, String)> {
    let Ok(files) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    files
        .map(|f| {
            let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
            let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
            let headers = head
                .lines()
                .filter_map(|l| l.split_once(": "))
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect();
            (headers, body.to_string())
        })
        .collect()
}
