//! How a notification leaves the machine: the SMTP server and the Twilio-style SMS gateway,
//! their settings checked (a password never travels in clear), each channel set up from the
//! settings and the keyring, and one message sent, named so a receiver can tell a repeat.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::record::normalize_email;
use crate::secrets::{SecretStore, SMS_TOKEN, SMTP_PASSWORD};
use crate::settings;

const NETWORK_TIMEOUT: Duration = Duration::from_secs(20);

/// A URL as an error message may show it: anything before an '@' (a user and perhaps a
/// password) is hidden, whether or not the text parses as a URL.
fn redacted(value: &str) -> String {
    let v = value.trim();
    match (v.find("://"), v.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => format!("{}***{}", &v[..s + 3], &v[at..]),
        (None, Some(at)) => format!("***{}", &v[at..]),
        _ => v.to_string(),
    }
}

/// Checks the `smtp` setting: a URL with no password (that goes in the keyring), and TLS
/// whenever it names a user, since the login would otherwise cross the network readable.
pub fn check_smtp_url(value: &str) -> Result<String> {
    let bad = |why: &str| Error::invalid("smtp", format!("\"{}\" {why}", redacted(value)));
    let url = url::Url::parse(value.trim()).map_err(|_| {
        bad("is not a URL like smtp://user@mail.example.com:587?tls=required or smtps://user@mail.example.com")
    })?;
    if !matches!(url.scheme(), "smtp" | "smtps") {
        return Err(bad("is not an smtp:// or smtps:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("names no server"));
    }
    if url.password().is_some() {
        return Err(Error::invalid(
            "smtp",
            "the URL holds a password: leave it out and store it in the keyring with `cardfile secrets set smtp-password`",
        ));
    }
    // lettre reads the first `tls` parameter; "opportunistic" falls back to plain text
    // when the server (or someone on the path) does not offer STARTTLS.
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    if !url.username().is_empty() && url.scheme() != "smtps" && tls.as_deref() != Some("required") {
        return Err(bad(
            "logs in without TLS, so the password would travel in clear: use smtps://user@host (TLS) or smtp://user@host:587?tls=required (STARTTLS)",
        ));
    }
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url.as_str())
        .map_err(|e| bad(&format!("is not usable: {e}")))?;
    Ok(url.to_string())
}

/// Checks the `sms_gateway` setting: an https URL (http only on this machine, for testing).
pub fn check_gateway_url(value: &str) -> Result<String> {
    let bad = |why: &str| Error::invalid("sms_gateway", format!("\"{}\" {why}", redacted(value)));
    let url = url::Url::parse(value.trim())
        .map_err(|_| bad("is not a URL like https://api.twilio.com"))?;
    let local = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        _ => {
            return Err(bad(
                "is not an https:// URL (the token would travel in clear)",
            ))
        }
    }
    if url.username() != "" || url.password().is_some() {
        return Err(bad("holds credentials: set sms-account, and the token with `cardfile secrets set sms-token`"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

pub fn check_account(value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::invalid(
            "sms_account",
            format!("\"{v}\" is not an account id like AC0123456789abcdef"),
        ));
    }
    Ok(v.to_string())
}

pub fn check_sender_email(value: &str) -> Result<String> {
    normalize_email(value)?
        .ok_or_else(|| Error::invalid("email_from", "an email address is needed"))
}

pub fn check_sender_phone(value: &str, region: &str) -> Result<String> {
    crate::phone::normalize(value, region)
        .map_err(|why| Error::invalid("sms_from", why))?
        .ok_or_else(|| Error::invalid("sms_from", "a phone number is needed"))
}

/// Whether two server URLs name the same server (host and port): a credential given for
/// one must not follow the setting to another.
pub(crate) fn same_server(a: &str, b: &str) -> bool {
    let server = |u: &str| {
        url::Url::parse(u).ok().map(|u| {
            (
                u.host_str().map(str::to_ascii_lowercase),
                u.port_or_known_default(),
            )
        })
    };
    matches!((server(a), server(b)), (Some(x), Some(y)) if x == y)
}

/// Why one attempt failed, and whether trying again could help.
pub(crate) struct Failure {
    pub message: String,
    pub permanent: bool,
    /// The channel itself was refused (a wrong password or token): nothing on it can go
    /// out until the user fixes it, so its notifications wait instead of failing.
    pub channel: bool,
}

pub(crate) type Sent = std::result::Result<(), Failure>;

/// A channel: ready to send, or why it is not (and how to fix that).
pub(crate) type Channel<T> = std::result::Result<T, String>;

/// One message as a channel sends it.
pub(crate) struct Outgoing {
    /// The notification's id in this database, and the database's own id: the same for
    /// every attempt at this notification, and no other notification's anywhere.
    pub notification: i64,
    pub instance: String,
    pub to: String,
    /// The host of the meeting, shown as the sender's name.
    pub from_name: String,
    pub subject: String,
    pub body: String,
}

pub(crate) struct Email {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
}

pub(crate) struct Sms {
    client: reqwest::Client,
    messages_url: String,
    account: String,
    token: String,
    from: String,
}

/// Reads a secret for a channel; a keyring that cannot be reached holds this channel
/// only, saying why (the store's error says how to reach it).
fn secret(secrets: &dyn SecretStore, name: &str, channel: &str) -> Channel<Option<String>> {
    secrets
        .get(name)
        .map_err(|e| format!("{channel} waits: {name} cannot be read from the keyring: {e}"))
}

/// The certificates of a PEM file, checked: what the `smtp-ca-file` setting may name.
pub fn check_ca_file(path: &str) -> Result<String> {
    let path = path.trim();
    let pem = std::fs::read(path)
        .map_err(|e| Error::invalid("smtp_ca_file", format!("{path} cannot be read: {e}")))?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(Error::invalid(
            "smtp_ca_file",
            format!("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
        ));
    }
    lettre::transport::smtp::client::Certificate::from_pem(&pem).map_err(|e| {
        Error::invalid(
            "smtp_ca_file",
            format!("{path} is not a usable certificate: {e}"),
        )
    })?;
    Ok(path.to_string())
}

/// The TLS of the `smtp` URL, trusting the certificates of `ca_file` besides the system's
/// (a company's own mail server). None when the URL uses no TLS.
fn trusting(
    url: &str,
    ca_file: &str,
) -> std::result::Result<Option<lettre::transport::smtp::client::Tls>, String> {
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
    let host = parsed.host_str().unwrap_or_default().to_string();
    let mode = parsed
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let pem =
        std::fs::read(ca_file).map_err(|e| format!("the CA file {ca_file} cannot be read: {e}"))?;
    let cert = Certificate::from_pem(&pem)
        .map_err(|e| format!("the CA file {ca_file} is not a usable certificate: {e}"))?;
    let params = TlsParameters::builder(host)
        .add_root_certificate(cert)
        .build()
        .map_err(|e| format!("TLS cannot be set up with {ca_file}: {e}"))?;
    Ok(match (parsed.scheme(), mode.as_deref()) {
        ("smtps", _) => Some(Tls::Wrapper(params)),
        (_, Some("required")) => Some(Tls::Required(params)),
        (_, Some("opportunistic")) => Some(Tls::Opportunistic(params)),
        _ => None,
    })
}

pub(crate) async fn email_channel(
    conn: &mut SqliteConnection,
    secrets: &dyn SecretStore,
) -> Result<Channel<Email>> {
    let (Some(url), Some(from)) = (
        settings::get(conn, settings::SMTP).await?,
        settings::get(conn, settings::EMAIL_FROM).await?,
    ) else {
        return Ok(Err(
            "email is not set up: `cardfile settings set smtp URL` and `settings set email-from ADDRESS`".into(),
        ));
    };
    // A setting stored before its rules were this strict is held to them all the same.
    if let Err(e) = check_smtp_url(&url) {
        return Ok(Err(format!(
            "email waits: {e} (an Admin fixes it with `cardfile settings set smtp URL`)"
        )));
    }
    let user = url::Url::parse(&url)
        .map(|u| u.username().to_string())
        .unwrap_or_default();
    let mut builder = match AsyncSmtpTransport::<Tokio1Executor>::from_url(&url) {
        Ok(b) => b.timeout(Some(NETWORK_TIMEOUT)),
        Err(e) => return Ok(Err(format!("the smtp setting is not usable: {e}"))),
    };
    if let Some(ca) = settings::get(conn, settings::SMTP_CA_FILE).await? {
        match trusting(&url, &ca) {
            Ok(Some(tls)) => builder = builder.tls(tls),
            Ok(None) => {}
            Err(problem) => return Ok(Err(format!("email waits: {problem}"))),
        }
    }
    if !user.is_empty() {
        let password =
            match secret(secrets, SMTP_PASSWORD, "email") {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(Err(
                    "the SMTP password is not in the keyring: `cardfile secrets set smtp-password`"
                        .into(),
                )),
                Err(problem) => return Ok(Err(problem)),
            };
        // The URL keeps the user name percent-encoded ("me%2Bcrm" for "me+crm").
        let user = percent_encoding::percent_decode_str(&user)
            .decode_utf8()
            .map(|u| u.into_owned())
            .unwrap_or(user);
        builder = builder.credentials(Credentials::new(user, password));
    }
    Ok(Ok(Email {
        transport: builder.build(),
        from,
    }))
}

pub(crate) async fn sms_channel(
    conn: &mut SqliteConnection,
    secrets: &dyn SecretStore,
) -> Result<Channel<Sms>> {
    let (Some(gateway), Some(account), Some(from)) = (
        settings::get(conn, settings::SMS_GATEWAY).await?,
        settings::get(conn, settings::SMS_ACCOUNT).await?,
        settings::get(conn, settings::SMS_FROM).await?,
    ) else {
        return Ok(Err(
            "SMS is not set up: `cardfile settings set sms-gateway URL`, `sms-account ID` and `sms-from NUMBER`".into(),
        ));
    };
    let token = match secret(secrets, SMS_TOKEN, "SMS") {
        Ok(Some(t)) => t,
        Ok(None) => {
            return Ok(Err(
                "the SMS gateway token is not in the keyring: `cardfile secrets set sms-token`"
                    .into(),
            ))
        }
        Err(problem) => return Ok(Err(problem)),
    };
    // rustls needs its crypto chosen once per process (ring); a second call changes nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = match reqwest::Client::builder().timeout(NETWORK_TIMEOUT).build() {
        Ok(c) => c,
        Err(e) => return Ok(Err(format!("cannot start an HTTP client: {e}"))),
    };
    Ok(Ok(Sms {
        client,
        messages_url: format!("{gateway}/2010-04-01/Accounts/{account}/Messages.json"),
        account,
        token,
        from,
    }))
}

pub(crate) async fn send_email(email: &Email, out: &Outgoing) -> Sent {
    let permanent = |message: String| Failure {
        message,
        permanent: true,
        channel: false,
    };
    let from = format!(
        "{} <{}>",
        out.from_name.replace(['<', '>', '"'], ""),
        email.from
    )
    .parse::<Mailbox>()
    .or_else(|_| email.from.parse::<Mailbox>())
    .map_err(|e| permanent(format!("the sender {} is not an address: {e}", email.from)))?;
    let to = out
        .to
        .parse::<Mailbox>()
        .map_err(|e| permanent(format!("{} is not an address: {e}", out.to)))?;
    // The same Message-ID on every attempt: a message that goes twice (sent, but the
    // record of it lost) is one message to the mail systems that drop repeats.
    let domain = email
        .from
        .rsplit_once('@')
        .map_or("cardfile.local", |(_, d)| d);
    let message_id = format!(
        "<notification-{}.{}@{domain}>",
        out.notification, out.instance
    );
    let message = lettre::Message::builder()
        .message_id(Some(message_id))
        .from(from)
        .to(to)
        .subject(out.subject.as_str())
        .header(ContentType::TEXT_PLAIN)
        .body(out.body.clone())
        .map_err(|e| permanent(format!("cannot build the message: {e}")))?;
    email
        .transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| {
            // 530, 534, 535, 538: the server refused the login, not this message.
            let auth = e.status().is_some_and(|code| {
                ["530", "534", "535", "538"].contains(&code.to_string().as_str())
            });
            Failure {
                message: format!("SMTP: {e}"),
                permanent: e.is_permanent(),
                channel: auth,
            }
        })
}

pub(crate) async fn send_sms(sms: &Sms, out: &Outgoing) -> Sent {
    let form = [
        ("To", out.to.as_str()),
        ("From", sms.from.as_str()),
        ("Body", out.body.as_str()),
    ];
    // Twilio's Messages API has no idempotency of its own; gateways that speak its wire
    // shape and have one (the IETF draft's Idempotency-Key) send a repeat only once.
    // Letters, digits, '-' and ':' only, as those gateways accept.
    let key = format!(
        "cardfile-{}-notification-{}",
        out.instance, out.notification
    );
    let response = sms
        .client
        .post(&sms.messages_url)
        .basic_auth(&sms.account, Some(&sms.token))
        .header("Idempotency-Key", key)
        .form(&form)
        .send()
        .await
        .map_err(|e| Failure {
            message: format!("SMS gateway unreachable: {}", e.without_url()),
            permanent: false,
            channel: false,
        })?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if status.is_success() {
        return match json["status"].as_str() {
            Some("failed" | "undelivered") => Err(Failure {
                message: format!("the SMS gateway reports the message {}", json["status"]),
                permanent: true,
                channel: false,
            }),
            _ => Ok(()),
        };
    }
    let said = json["message"].as_str().unwrap_or("").to_string();
    Err(Failure {
        message: format!("the SMS gateway answered {status}: {said}")
            .trim_end_matches([':', ' '])
            .to_string(),
        // A refusal of this request stays a refusal; overload and server trouble pass.
        permanent: status.is_client_error()
            && status != reqwest::StatusCode::TOO_MANY_REQUESTS
            && status != reqwest::StatusCode::REQUEST_TIMEOUT,
        channel: status == reqwest::StatusCode::UNAUTHORIZED
            || status == reqwest::StatusCode::FORBIDDEN,
    })
}
