//! The integrations an email or mobile phone change reaches besides the cloud: HubSpot and
//! Salesforce (the matching record is updated), Google Calendar and Microsoft Exchange (the
//! guest lists of future meetings), and a Zapier Catch Hook (the change as an event).
//! Connecting, listing and disconnecting them, their options, and what each last did for a
//! contact; delivery is `deliver`, sign-in `oauth`. Tokens live in the keyring only.

mod calendar;
mod crm;
mod deliver;
mod oauth;
mod wire;

pub use crm::soql_quote;
pub(crate) use deliver::deliver;
pub use oauth::{
    begin_sign_in, challenge, oauth_apps, set_oauth_app, OAuthApp, OAuthAppView, SignIn,
};

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use super::client::check_url;
use crate::error::{Error, Result};
use crate::outbox::{self, CALENDARS};
use crate::secrets::{self, SecretStore};
use crate::settings;
use crate::store::{now, Store};
use crate::users::{Role, User};

/// Every integration, in the order they are listed.
pub const NAMES: [&str; 5] = ["hubspot", "salesforce", "google", "exchange", "zapier"];

/// What Cardfile knows of one integration's service.
pub(crate) struct Spec {
    pub name: &'static str,
    pub label: &'static str,
    /// The base URL of its API; None where it comes from the sign-in (a Salesforce
    /// instance) or is the secret itself (a Zapier hook).
    pub default_url: Option<&'static str>,
    /// Its OAuth endpoints and scope; None for Zapier.
    pub oauth: Option<oauth::Endpoints>,
    /// Requests per second it is sent at most (its documented limits, rounded down).
    pub per_second: u32,
}

const SPECS: [Spec; 5] = [
    Spec {
        name: "hubspot",
        label: "HubSpot",
        default_url: Some("https://api.hubapi.com"),
        oauth: Some(oauth::HUBSPOT),
        per_second: 9,
    },
    Spec {
        name: "salesforce",
        label: "Salesforce",
        default_url: None,
        oauth: Some(oauth::SALESFORCE),
        per_second: 5,
    },
    Spec {
        name: "google",
        label: "Google Calendar",
        default_url: Some("https://www.googleapis.com"),
        oauth: Some(oauth::GOOGLE),
        per_second: 5,
    },
    Spec {
        name: "exchange",
        label: "Microsoft Exchange",
        default_url: Some("https://graph.microsoft.com/v1.0"),
        oauth: Some(oauth::MICROSOFT),
        per_second: 4,
    },
    Spec {
        name: "zapier",
        label: "Zapier",
        default_url: None,
        oauth: None,
        per_second: 5,
    },
];

pub(crate) fn spec(name: &str) -> Result<&'static Spec> {
    let name = name.trim().to_lowercase();
    SPECS.iter().find(|s| s.name == name).ok_or_else(|| {
        Error::invalid(
            "name",
            format!(
                "there is no integration named {name}: use one of {}",
                NAMES.join(", ")
            ),
        )
    })
}

/// A value as one URL path segment: everything but RFC 3986's unreserved characters escaped.
pub(crate) fn segment(value: &str) -> String {
    const PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, PATH).to_string()
}

/// The keyring entry holding an integration's tokens (or Zapier's hook URL).
pub(crate) fn secret_name(name: &str) -> String {
    format!("integration:{name}")
}

/// Google's `sendUpdates` when guests change: none (the default), externalOnly or all.
pub const GOOGLE_SEND_UPDATES: &str = "google_send_updates";
const SEND_UPDATES: [&str; 3] = ["none", "externalOnly", "all"];

/// An access token and what renews it, as the keyring keeps them (one JSON entry).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// RFC 3339; None when the token does not say (a HubSpot private-app token).
    pub expires_at: Option<String>,
}

impl Tokens {
    pub(crate) fn read(secrets: &dyn SecretStore, name: &str) -> Result<Option<Tokens>> {
        Ok(secrets
            .get(&secret_name(name))?
            .map(|kept| serde_json::from_str(&kept).unwrap_or_default()))
    }

    pub(crate) fn keep(&self, secrets: &dyn SecretStore, name: &str) -> Result<()> {
        let json = crate::error::json(self)?;
        secrets.set(&secret_name(name), &json)
    }
}

/// One integration as `integrations list` and Settings → Integrations show it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct IntegrationStatus {
    pub name: String,
    pub label: String,
    /// Connected and delivering: its token (or hook) is in the keyring.
    pub connected: bool,
    pub account: Option<String>,
    /// The API's base URL (none for Zapier: the hook URL is kept secret).
    pub url: Option<String>,
    pub last_result: Option<String>,
    /// Why the user must connect again (a refused token that could not be refreshed, a
    /// deleted Zapier hook); queued work waits for it.
    pub needs_reconnect: Option<String>,
    pub keep_fields_in_sync: bool,
    /// Google Calendar only: who Google emails when a guest list changes.
    pub send_updates: Option<String>,
    /// It can be connected by signing in (OAuth): an Admin set its client id.
    pub sign_in: bool,
    pub pending: u32,
    pub failed: u32,
}

#[derive(sqlx::FromRow)]
struct Row {
    url: Option<String>,
    account: Option<String>,
    state: String,
    problem: Option<String>,
    keep_fields: bool,
    last_result: Option<String>,
}

async fn row(conn: &mut SqliteConnection, name: &str) -> Result<Option<Row>> {
    Ok(sqlx::query_as(
        "SELECT url, account, state, problem, keep_fields, last_result FROM integrations WHERE name = ?",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?)
}

async fn status_of(
    store: &Store,
    secrets: &dyn SecretStore,
    spec: &Spec,
) -> Result<IntegrationStatus> {
    let mut conn = store.pool().acquire().await?;
    let row = row(&mut conn, spec.name).await?;
    let (pending, failed): (i64, i64) = sqlx::query_as(
        "SELECT coalesce(sum(status = 'pending'), 0), coalesce(sum(status = 'failed'), 0) \
         FROM outbox WHERE target = ?",
    )
    .bind(spec.name)
    .fetch_one(&mut *conn)
    .await?;
    let send_updates = match spec.name {
        "google" => Some(
            settings::get(&mut conn, GOOGLE_SEND_UPDATES)
                .await?
                .unwrap_or_else(|| "none".into()),
        ),
        _ => None,
    };
    let sign_in = oauth::client_id(&mut conn, spec).await?.is_some();
    drop(conn);
    // The keyring is asked only about an integration that was connected.
    let connected = match &row {
        Some(r) if r.state == "connected" => secrets.get(&secret_name(spec.name))?.is_some(),
        _ => false,
    };
    let needs_reconnect = match &row {
        Some(r) if r.state != "connected" => r.problem.clone(),
        Some(_) if !connected => Some(format!(
            "the {} token is not in the keyring: connect again",
            spec.label
        )),
        _ => None,
    };
    Ok(IntegrationStatus {
        name: spec.name.to_string(),
        label: spec.label.to_string(),
        connected,
        account: row.as_ref().and_then(|r| r.account.clone()),
        url: row.as_ref().and_then(|r| r.url.clone()),
        last_result: row.as_ref().and_then(|r| r.last_result.clone()),
        needs_reconnect,
        keep_fields_in_sync: row.as_ref().is_some_and(|r| r.keep_fields),
        send_updates,
        sign_in,
        pending: pending as u32,
        failed: failed as u32,
    })
}

/// Every integration, connected or not.
pub async fn list(store: &Store, secrets: &dyn SecretStore) -> Result<Vec<IntegrationStatus>> {
    let mut all = Vec::with_capacity(SPECS.len());
    for spec in &SPECS {
        all.push(status_of(store, secrets, spec).await?);
    }
    Ok(all)
}

/// Connecting an integration decides where contacts' data goes: Admins only.
fn admin(user: &User, what: &str) -> Result<()> {
    if user.role != Role::Admin {
        return Err(Error::Forbidden(format!(
            "only an Admin can {what}: ask your administrator"
        )));
    }
    Ok(())
}

/// Records a connection: its row (connected, the problem forgotten) and its tokens.
pub(crate) async fn connected(
    store: &Store,
    secrets: &dyn SecretStore,
    spec: &Spec,
    url: Option<&str>,
    account: Option<&str>,
    tokens: &Tokens,
) -> Result<IntegrationStatus> {
    tokens.keep(secrets, spec.name)?;
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO integrations (name, url, account, connected_at, state) VALUES (?1, ?2, ?3, ?4, 'connected') \
         ON CONFLICT (name) DO UPDATE SET url = ?2, account = coalesce(?3, account), \
         connected_at = ?4, state = 'connected', problem = NULL",
    )
    .bind(spec.name)
    .bind(url)
    .bind(account)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    status_of(store, secrets, spec).await
}

/// The base URL an integration is connected at: the given one (checked: https, or http to
/// this computer), else its service's.
fn base_url(spec: &Spec, url: Option<&str>) -> Result<Option<String>> {
    match (
        url.map(str::trim).filter(|u| !u.is_empty()),
        spec.default_url,
    ) {
        (Some(u), _) => Ok(Some(check_url(u)?)),
        (None, Some(d)) => Ok(Some(d.to_string())),
        (None, None) if spec.name == "zapier" => Ok(None),
        (None, None) => Err(Error::invalid(
            "url",
            format!(
                "{} needs the instance's URL (https://yourcompany.my.salesforce.com): give --url, \
                 or sign in from Settings, which finds it",
                spec.label
            ),
        )),
    }
}

/// Connects with a token the user pasted (a HubSpot private-app token; an access token), or
/// for Zapier the Catch Hook URL. It is kept in the keyring only.
pub async fn connect(
    store: &Store,
    secrets: &dyn SecretStore,
    user: &User,
    name: &str,
    url: Option<&str>,
    token: &str,
) -> Result<IntegrationStatus> {
    admin(user, "connect an integration")?;
    let spec = spec(name)?;
    let token = token.trim();
    secrets::check_value(
        if spec.name == "zapier" {
            "the hook URL"
        } else {
            "the access token"
        },
        token,
    )?;
    let base = base_url(spec, url)?;
    let token = if spec.name == "zapier" {
        zapier_hook(token)?
    } else {
        token.to_string()
    };
    let tokens = Tokens {
        access_token: token,
        ..Tokens::default()
    };
    connected(store, secrets, spec, base.as_deref(), None, &tokens).await
}

/// A Catch Hook URL: https (or http to this computer, for tests), with a path.
fn zapier_hook(url: &str) -> Result<String> {
    let checked = check_url(url)?;
    if !checked.contains("/hooks/") {
        return Err(Error::invalid(
            "url",
            format!(
                "{checked} is not a Zapier Catch Hook URL (https://hooks.zapier.com/hooks/catch/…/…/): \
                 copy it from the Zap's \"Webhooks by Zapier\" trigger"
            ),
        ));
    }
    // Zapier's hooks take the trailing slash as part of the path.
    Ok(format!("{checked}/"))
}

/// Forgets the token (or hook) and cancels what was waiting for this integration.
pub async fn disconnect(
    store: &Store,
    secrets: &dyn SecretStore,
    user: &User,
    name: &str,
) -> Result<IntegrationStatus> {
    admin(user, "disconnect an integration")?;
    let spec = spec(name)?;
    secrets.delete(&secret_name(spec.name))?;
    let mut tx = store.write().await?;
    sqlx::query("DELETE FROM integrations WHERE name = ?")
        .bind(spec.name)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE outbox SET status = 'canceled', before = NULL, updated_at = ?, \
         last_error = 'the integration was disconnected' WHERE target = ? AND status IN ('pending', 'failed')",
    )
    .bind(now())
    .bind(spec.name)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    status_of(store, secrets, spec).await
}

/// What a user may change of a connected integration.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct IntegrationOptions {
    /// Send every field a person edits (mapped to the CRM's), not only email and phones.
    pub keep_fields_in_sync: Option<bool>,
    /// Google Calendar: none, externalOnly or all.
    pub send_updates: Option<String>,
}

pub async fn set_options(
    store: &Store,
    secrets: &dyn SecretStore,
    user: &User,
    name: &str,
    options: &IntegrationOptions,
) -> Result<IntegrationStatus> {
    admin(user, "change an integration")?;
    let spec = spec(name)?;
    let mut tx = store.write().await?;
    if let Some(keep) = options.keep_fields_in_sync {
        if CALENDARS.contains(&spec.name) {
            return Err(Error::invalid(
                "keep_fields_in_sync",
                "a calendar only holds guests' email addresses: there are no other fields to keep in sync",
            ));
        }
        let done = sqlx::query("UPDATE integrations SET keep_fields = ? WHERE name = ?")
            .bind(keep)
            .bind(spec.name)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::invalid(
                "name",
                format!("{} is not connected", spec.label),
            ));
        }
    }
    if let Some(send) = &options.send_updates {
        if spec.name != "google" || !SEND_UPDATES.contains(&send.as_str()) {
            return Err(Error::invalid(
                "send_updates",
                format!(
                    "send_updates is Google Calendar's, one of {}",
                    SEND_UPDATES.join(", ")
                ),
            ));
        }
        settings::put(&mut tx, GOOGLE_SEND_UPDATES, send).await?;
    }
    tx.commit().await?;
    status_of(store, secrets, spec).await
}

/// One meeting of a contact, as a calendar's last delivery left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct MeetingResult {
    pub activity_id: String,
    pub starts_at: Option<String>,
    pub calendar: String,
    pub updated: bool,
    pub why: String,
}

/// One integration's last result for one contact (the contact pane).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct ContactResult {
    pub integration: String,
    pub label: String,
    /// updated, not found, failed, nothing to send, or pending (a change waits to go).
    pub result: String,
    pub detail: String,
    pub remote_url: Option<String>,
    pub at: Option<String>,
    /// The failed outbox item a Retry sends again.
    pub outbox_id: Option<String>,
    pub meetings: Vec<MeetingResult>,
}

#[derive(sqlx::FromRow)]
struct Kept {
    target: String,
    result: String,
    detail: String,
    remote_url: Option<String>,
    meetings: String,
    at: String,
}

/// What each integration last did for this contact, and what waits for it.
pub async fn results(store: &Store, contact_id: &str) -> Result<Vec<ContactResult>> {
    let id = crate::rows::parse_id(contact_id)?;
    let mut conn = store.pool().acquire().await?;
    let kept: Vec<Kept> = sqlx::query_as(
        "SELECT target, result, detail, remote_url, meetings, at FROM integration_results WHERE contact_id = ?",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let open: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, target, status, last_error FROM outbox WHERE contact_id = ? AND target != ? \
         AND status IN ('pending', 'failed') ORDER BY id",
    )
    .bind(id)
    .bind(outbox::CLOUD)
    .fetch_all(&mut *conn)
    .await?;
    let mut all = Vec::new();
    for spec in &SPECS {
        let last = kept.iter().find(|k| k.target == spec.name);
        let item = open.iter().rfind(|o| o.1 == spec.name);
        let (result, detail, outbox_id) = match (item, last) {
            (Some((id, _, status, error)), _) if status == "failed" => (
                "failed".to_string(),
                error.clone().unwrap_or_default(),
                Some(id.to_string()),
            ),
            (Some((_, _, _, error)), _) => (
                "pending".to_string(),
                match error {
                    Some(e) => format!("waiting to be sent again: {e}"),
                    None => "waiting to be sent".to_string(),
                },
                None,
            ),
            (None, Some(k)) => (k.result.clone(), k.detail.clone(), None),
            (None, None) => continue,
        };
        all.push(ContactResult {
            integration: spec.name.to_string(),
            label: spec.label.to_string(),
            result,
            detail,
            remote_url: last.and_then(|k| k.remote_url.clone()),
            at: last.map(|k| k.at.clone()),
            outbox_id,
            meetings: last
                .and_then(|k| serde_json::from_str(&k.meetings).ok())
                .unwrap_or_default(),
        });
    }
    Ok(all)
}

/// The remote record of this contact at integration `name` (a Salesforce record's page),
/// when one is known: what the pane's link opens.
pub async fn record_url(store: &Store, name: &str, contact_id: &str) -> Result<String> {
    results(store, contact_id)
        .await?
        .into_iter()
        .find(|r| r.integration == name)
        .and_then(|r| r.remote_url)
        .ok_or_else(|| Error::NotFound(format!("no {name} record is known for this contact")))
}

/// Sends this contact's last change to this integration again: a failed item is retried;
/// else the change its last result was for is queued again (a record created in the CRM
/// since, say).
pub async fn retry(store: &Store, name: &str, contact_id: &str) -> Result<()> {
    let spec = spec(name)?;
    let id = crate::rows::parse_id(contact_id)?;
    let failed: Option<i64> = sqlx::query_scalar(
        "SELECT max(id) FROM outbox WHERE target = ? AND contact_id = ? AND status = 'failed'",
    )
    .bind(spec.name)
    .bind(id)
    .fetch_one(store.pool())
    .await?;
    if let Some(item) = failed {
        return outbox::retry(store, &item.to_string()).await;
    }
    let mut tx = store.write().await?;
    let before: Option<Option<String>> = sqlx::query_scalar(
        "SELECT before FROM integration_results WHERE target = ? AND contact_id = ?",
    )
    .bind(spec.name)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(before) = before else {
        return Err(Error::invalid(
            "name",
            format!("{} has nothing of contact {id} to send again", spec.label),
        ));
    };
    let at = now();
    sqlx::query(
        "INSERT INTO outbox (target, contact_id, op, fields, before, status, next_at, created_at, updated_at) \
         VALUES (?1, ?2, 'update', ?3, ?4, 'pending', ?5, ?5, ?5) \
         ON CONFLICT (target, contact_id) WHERE status = 'pending' DO UPDATE SET next_at = ?5",
    )
    .bind(spec.name)
    .bind(id)
    .bind(serde_json::Value::from(outbox::IDENTITY.to_vec()).to_string())
    .bind(before)
    .bind(&at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
