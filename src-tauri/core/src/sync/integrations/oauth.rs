//! Signing in to an integration with OAuth 2.0 as an installed app (RFC 8252): the browser
//! goes to the provider's authorization page and comes back to a one-time listener on
//! 127.0.0.1, the code is exchanged with its PKCE verifier (RFC 7636, S256), and the tokens go
//! to the keyring. Also the refresh of an expired access token, and the Admin settings of
//! each provider's app registration (the organisation's own client id and secret).

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::SqliteConnection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::{admin, connected, spec, IntegrationStatus, Spec, Tokens};
use crate::error::{Error, Result};
use crate::secrets::SecretStore;
use crate::settings;
use crate::store::Store;
use crate::sync::client::{check_url, http, network, Failure};
use crate::users::User;

/// A provider's OAuth endpoints, the scope Cardfile asks for, and its extra parameters.
pub(crate) struct Endpoints {
    pub authorize: &'static str,
    pub token: &'static str,
    pub scope: &'static str,
    pub extra: &'static [(&'static str, &'static str)],
}

pub(crate) const HUBSPOT: Endpoints = Endpoints {
    authorize: "https://app.hubspot.com/oauth/authorize",
    token: "https://api.hubapi.com/oauth/v1/token",
    scope: "crm.objects.contacts.read crm.objects.contacts.write",
    extra: &[],
};
pub(crate) const SALESFORCE: Endpoints = Endpoints {
    authorize: "https://login.salesforce.com/services/oauth2/authorize",
    token: "https://login.salesforce.com/services/oauth2/token",
    scope: "api refresh_token",
    extra: &[],
};
pub(crate) const GOOGLE: Endpoints = Endpoints {
    authorize: "https://accounts.google.com/o/oauth2/v2/auth",
    token: "https://oauth2.googleapis.com/token",
    scope: "https://www.googleapis.com/auth/calendar.events",
    // A refresh token, every time (Google gives one only on consent).
    extra: &[("access_type", "offline"), ("prompt", "consent")],
};
pub(crate) const MICROSOFT: Endpoints = Endpoints {
    authorize: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    token: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    scope: "offline_access Calendars.ReadWrite",
    extra: &[("response_mode", "query")],
};

fn key(name: &str, what: &str) -> String {
    format!("oauth_{name}_{what}")
}

fn client_secret_name(name: &str) -> String {
    format!("oauth-client-secret:{name}")
}

fn endpoints(spec: &'static Spec) -> Result<&'static Endpoints> {
    spec.oauth.as_ref().ok_or_else(|| {
        Error::invalid(
            "name",
            format!(
                "{} is connected with its hook URL, not by signing in",
                spec.label
            ),
        )
    })
}

pub(super) async fn client_id(conn: &mut SqliteConnection, spec: &Spec) -> Result<Option<String>> {
    if spec.oauth.is_none() {
        return Ok(None);
    }
    settings::get(conn, &key(spec.name, "client_id")).await
}

/// A provider's app registration as Settings shows it (the secret only as "set").
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct OAuthAppView {
    pub name: String,
    pub label: String,
    pub client_id: Option<String>,
    pub has_secret: bool,
    pub authorize_url: String,
    pub token_url: String,
    /// The loopback port the browser comes back to; None: a free one at each sign-in.
    pub redirect_port: Option<u16>,
}

/// An app registration an Admin enters: the client id (and secret, where the provider gives
/// one to installed apps), and other endpoints for a sandbox or a test server.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct OAuthApp {
    pub client_id: String,
    /// Kept in the keyring; None keeps the one set before, "" removes it.
    pub client_secret: Option<String>,
    pub authorize_url: Option<String>,
    pub token_url: Option<String>,
    /// A fixed loopback port, for a provider that compares the callback URL exactly
    /// (Salesforce): register `http://127.0.0.1:<port>/callback`. None: a free port.
    #[serde(default)]
    pub redirect_port: Option<u16>,
}

async fn view(
    conn: &mut SqliteConnection,
    secrets: &dyn SecretStore,
    spec: &'static Spec,
) -> Result<OAuthAppView> {
    let ends = endpoints(spec)?;
    Ok(OAuthAppView {
        name: spec.name.to_string(),
        label: spec.label.to_string(),
        client_id: client_id(conn, spec).await?,
        has_secret: secrets.get(&client_secret_name(spec.name))?.is_some(),
        authorize_url: settings::get(conn, &key(spec.name, "authorize_url"))
            .await?
            .unwrap_or_else(|| ends.authorize.to_string()),
        token_url: settings::get(conn, &key(spec.name, "token_url"))
            .await?
            .unwrap_or_else(|| ends.token.to_string()),
        redirect_port: settings::get(conn, &key(spec.name, "redirect_port"))
            .await?
            .and_then(|p| p.parse().ok()),
    })
}

/// The app registrations of the integrations one signs in to.
pub async fn oauth_apps(store: &Store, secrets: &dyn SecretStore) -> Result<Vec<OAuthAppView>> {
    let mut conn = store.pool().acquire().await?;
    let mut all = Vec::new();
    for name in super::NAMES {
        let spec = spec(name)?;
        if spec.oauth.is_some() {
            all.push(view(&mut conn, secrets, spec).await?);
        }
    }
    Ok(all)
}

/// Sets a provider's app registration (Admins only: it decides where sign-ins go).
pub async fn set_oauth_app(
    store: &Store,
    secrets: &dyn SecretStore,
    user: &User,
    name: &str,
    app: &OAuthApp,
) -> Result<OAuthAppView> {
    admin(user, "set an integration's OAuth app")?;
    let spec = spec(name)?;
    endpoints(spec)?;
    let client_id = app.client_id.trim();
    if client_id.is_empty() {
        return Err(Error::invalid(
            "client_id",
            "the client id is empty: copy it from the app registration (README, Integrations)",
        ));
    }
    let urls = [
        ("authorize_url", &app.authorize_url),
        ("token_url", &app.token_url),
    ];
    let mut checked = Vec::new();
    for (what, url) in urls {
        match url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => checked.push((what, Some(check_url(u)?))),
            None => checked.push((what, None)),
        }
    }
    match app.client_secret.as_deref().map(str::trim) {
        Some("") => secrets.delete(&client_secret_name(spec.name))?,
        Some(s) => secrets.set(&client_secret_name(spec.name), s)?,
        None => {}
    }
    let mut tx = store.write().await?;
    settings::put(&mut tx, &key(spec.name, "client_id"), client_id).await?;
    match app.redirect_port {
        Some(port) => {
            settings::put(&mut tx, &key(spec.name, "redirect_port"), &port.to_string()).await?
        }
        None => {
            sqlx::query("DELETE FROM settings WHERE key = ?")
                .bind(key(spec.name, "redirect_port"))
                .execute(&mut *tx)
                .await?;
        }
    }
    for (what, url) in checked {
        match url {
            Some(u) => settings::put(&mut tx, &key(spec.name, what), &u).await?,
            None => {
                sqlx::query("DELETE FROM settings WHERE key = ?")
                    .bind(key(spec.name, what))
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    tx.commit().await?;
    let mut conn = store.pool().acquire().await?;
    view(&mut conn, secrets, spec).await
}

fn random(bytes: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| Error::Internal(format!("no random numbers: {e}")))?;
    Ok(buf)
}

/// PKCE's S256 challenge of a verifier: base64url(SHA-256(verifier)), unpadded.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// A sign-in under way: the browser has somewhere to come back to.
pub struct SignIn {
    spec: &'static Spec,
    url: String,
    listener: TcpListener,
    redirect_uri: String,
    verifier: String,
    state: String,
    app: OAuthAppView,
    client_secret: Option<String>,
    /// The API's base URL given for it (a sandbox); a Salesforce instance comes with the tokens.
    base: Option<String>,
}

/// Starts a sign-in: a listener on 127.0.0.1 (a free port), and the authorization URL to
/// open in the browser. Admins only.
pub async fn begin_sign_in(
    store: &Store,
    secrets: &dyn SecretStore,
    user: &User,
    name: &str,
    url: Option<&str>,
) -> Result<SignIn> {
    admin(user, "connect an integration")?;
    let spec = spec(name)?;
    let ends = endpoints(spec)?;
    let base = match url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => Some(check_url(u)?),
        None => spec.default_url.map(str::to_string),
    };
    let mut conn = store.pool().acquire().await?;
    let app = view(&mut conn, secrets, spec).await?;
    drop(conn);
    let Some(client_id) = app.client_id.clone() else {
        return Err(Error::invalid(
            "client_id",
            format!(
                "signing in to {} needs your organisation's app registration: an Admin sets its \
                 client id in Settings → Integrations (the README says how to register one)",
                spec.label
            ),
        ));
    };
    let port = app.redirect_port.unwrap_or(0);
    let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
        Error::Conflict(format!(
            "the sign-in cannot listen on 127.0.0.1:{port}: {e} (is another sign-in open?)"
        ))
    })?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::Internal(e.to_string()))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let verifier = URL_SAFE_NO_PAD.encode(random(32)?);
    let state = URL_SAFE_NO_PAD.encode(random(16)?);
    let mut authorize = url::Url::parse(&app.authorize_url)
        .map_err(|e| Error::invalid("authorize_url", e.to_string()))?;
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", ends.scope)
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge(&verifier))
        .append_pair("code_challenge_method", "S256")
        .extend_pairs(ends.extra.iter().copied());
    Ok(SignIn {
        spec,
        url: authorize.to_string(),
        listener,
        redirect_uri,
        verifier,
        state,
        app,
        client_secret: secrets.get(&client_secret_name(spec.name))?,
        base,
    })
}

/// The page the browser shows once it came back.
fn page(status: &str, text: &str) -> String {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>Cardfile</title>\
         <body style=\"font-family:sans-serif;margin:3em\"><p>{text}</p></body>"
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The query of the first line of an HTTP request to `/callback`, if it is one.
fn callback_query(request: &str) -> Option<String> {
    let target = request.lines().next()?.split_whitespace().nth(1)?;
    let url = url::Url::parse(&format!("http://127.0.0.1{target}")).ok()?;
    (url.path() == "/callback").then(|| url.query().unwrap_or("").to_string())
}

impl SignIn {
    /// The authorization URL to open in the browser.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits (up to `wait`) for the browser to come back, checks the state, exchanges the
    /// code with the verifier and keeps the tokens in the keyring.
    pub async fn finish(
        self,
        store: &Store,
        secrets: &dyn SecretStore,
        wait: Duration,
    ) -> Result<IntegrationStatus> {
        let code = tokio::time::timeout(wait, self.code())
            .await
            .map_err(|_| {
                Error::invalid(
                    "sign_in",
                    format!(
                        "the browser did not come back from {} in time: sign in again",
                        self.spec.label
                    ),
                )
            })??;
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code),
            ("redirect_uri", self.redirect_uri.clone()),
            ("client_id", self.app.client_id.clone().unwrap_or_default()),
            ("code_verifier", self.verifier.clone()),
        ];
        if let Some(s) = &self.client_secret {
            form.push(("client_secret", s.clone()));
        }
        let reply = match token_request(&self.app.token_url, &form).await? {
            Ok(reply) => reply,
            Err(f) => {
                return Err(Error::invalid(
                    "sign_in",
                    format!("{} did not give a token: {}", self.spec.label, f.describe()),
                ))
            }
        };
        let tokens = tokens_of(&reply, None)?;
        // Salesforce names the instance the org lives on.
        let base = match reply.get("instance_url").and_then(Value::as_str) {
            Some(instance) => Some(check_url(instance)?),
            None => self.base.clone(),
        };
        if base.is_none() {
            return Err(Error::invalid(
                "url",
                format!("{} did not say which instance to use", self.spec.label),
            ));
        }
        connected(store, secrets, self.spec, base.as_deref(), None, &tokens).await
    }

    /// Accepts connections on the loopback listener until one brings this sign-in's code.
    async fn code(&self) -> Result<String> {
        loop {
            let (mut socket, _) = self
                .listener
                .accept()
                .await
                .map_err(|e| Error::Internal(format!("the sign-in listener failed: {e}")))?;
            let mut buf = vec![0u8; 8192];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).to_string();
            let Some(query) = callback_query(&request) else {
                let _ = socket
                    .write_all(page("404 Not Found", "Not found.").as_bytes())
                    .await;
                continue;
            };
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            if get("state").as_deref() != Some(self.state.as_str()) {
                // Not this sign-in's answer (an old tab, another page): ignored.
                let _ = socket
                    .write_all(
                        page(
                            "400 Bad Request",
                            "This sign-in is not the one Cardfile is waiting for.",
                        )
                        .as_bytes(),
                    )
                    .await;
                continue;
            }
            if let Some(error) = get("error") {
                let why = get("error_description").unwrap_or_else(|| error.clone());
                let _ = socket
                    .write_all(
                        page(
                            "200 OK",
                            "The sign-in was not completed. You can close this tab.",
                        )
                        .as_bytes(),
                    )
                    .await;
                return Err(Error::invalid(
                    "sign_in",
                    format!("{} refused the sign-in: {why}", self.spec.label),
                ));
            }
            let Some(code) = get("code") else {
                let _ = socket
                    .write_all(page("400 Bad Request", "No code.").as_bytes())
                    .await;
                continue;
            };
            let _ = socket
                .write_all(
                    page(
                        "200 OK",
                        &format!(
                            "Cardfile is signed in to {}. You can close this tab.",
                            self.spec.label
                        ),
                    )
                    .as_bytes(),
                )
                .await;
            return Ok(code);
        }
    }
}

/// A token endpoint's answer as tokens: the refresh token kept when a refresh gives none.
fn tokens_of(reply: &Value, old_refresh: Option<&str>) -> Result<Tokens> {
    let access = reply
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid("sign_in", "the token endpoint gave no access_token"))?;
    let expires_at = reply.get("expires_in").and_then(Value::as_i64).map(|s| {
        (chrono::Utc::now() + chrono::Duration::seconds(s))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    });
    Ok(Tokens {
        access_token: access.to_string(),
        refresh_token: reply
            .get("refresh_token")
            .and_then(Value::as_str)
            .or(old_refresh)
            .map(str::to_string),
        expires_at,
    })
}

/// One POST to a token endpoint (form-encoded): its JSON answer, or what went wrong.
async fn token_request(
    url: &str,
    form: &[(&str, String)],
) -> Result<std::result::Result<Value, Failure>> {
    let reply = match http(Duration::from_secs(30))?
        .post(url)
        .header("Accept", "application/json")
        .form(form)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => return Ok(Err(network(&e, "the sign-in server"))),
    };
    let status = reply.status().as_u16();
    let json: Value = match reply.text().await {
        Ok(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
        Err(e) => return Ok(Err(network(&e, "the sign-in server"))),
    };
    if (200..300).contains(&status) {
        return Ok(Ok(json));
    }
    let message = json
        .get("error_description")
        .or_else(|| json.get("error"))
        .and_then(Value::as_str)
        .unwrap_or("no reason given")
        .to_string();
    Ok(Err(match status {
        // The refresh token was refused (revoked, expired): only a new sign-in helps.
        400 | 401 | 403 => Failure::Key(format!(
            "the sign-in server refused the grant ({status}: {message})"
        )),
        s => super::super::client::sort(s, None, message, None, "the sign-in server"),
    }))
}

/// Renews an expired access token with the refresh token. A refusal is `Failure::Key`: the
/// user must sign in again (queued work waits).
pub(super) async fn refresh(
    store: &Store,
    secrets: &dyn SecretStore,
    spec: &'static Spec,
    tokens: &Tokens,
) -> Result<std::result::Result<Tokens, Failure>> {
    let Some(refresh_token) = tokens.refresh_token.as_deref() else {
        return Ok(Err(Failure::Key(format!(
            "the {} token expired and there is no refresh token",
            spec.label
        ))));
    };
    let mut conn = store.pool().acquire().await?;
    let app = view(&mut conn, secrets, spec).await?;
    drop(conn);
    let mut form = vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", refresh_token.to_string()),
        ("client_id", app.client_id.unwrap_or_default()),
    ];
    if let Some(s) = secrets.get(&client_secret_name(spec.name))? {
        form.push(("client_secret", s));
    }
    Ok(match token_request(&app.token_url, &form).await? {
        Ok(reply) => {
            let renewed = tokens_of(&reply, Some(refresh_token))?;
            renewed.keep(secrets, spec.name)?;
            Ok(renewed)
        }
        Err(f) => Err(f),
    })
}
