//! A browser stand-in for OAuth sign-in tests: plain HTTP/1.1 GETs on 127.0.0.1 that do not follow redirects, so a test can walk authorize → loopback callback itself.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What a GET got back.
#[derive(Clone, Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// GETs an `http://127.0.0.1:PORT/...` (or `localhost`) URL once, without following a
/// redirect. Errors are sentences.
pub async fn get(url: &str) -> Result<Page, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not a plain http URL: {url}"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let connect = TcpStream::connect(authority);
    let mut stream = tokio::time::timeout(Duration::from_secs(10), connect)
        .await
        .map_err(|_| format!("connecting to {authority} timed out"))?
        .map_err(|e| format!("connecting to {authority}: {e}"))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: fake-browser\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("writing to {authority}: {e}"))?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .map_err(|_| format!("{url} did not answer within 10 s"))?
        .map_err(|e| format!("reading from {authority}: {e}"))?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no HTTP status line from {url}: {head:?}"))?;
    let location = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("location")
            .then(|| value.trim().to_string())
    });
    Ok(Page {
        status,
        location,
        body: body.to_string(),
    })
}

/// Plays the user who approves a sign-in: GETs the authorization URL (the fake's
/// `/oauth/authorize`), then follows its redirect to the app's loopback callback. Returns
/// the callback's page.
pub async fn consent(authorize_url: &str) -> Result<Page, String> {
    let page = get(authorize_url).await?;
    if page.status != 302 {
        return Err(format!(
            "the authorization server answered {} instead of a redirect: {}",
            page.status, page.body
        ));
    }
    let next = page
        .location
        .ok_or_else(|| "a redirect without a Location".to_string())?;
    get(&next).await
}
