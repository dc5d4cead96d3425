//! The Notifications view against a real SMTP server (Debian's python3-aiosmtpd): a reminder
//! that failed five times against a wrong SMTP setting shows as failed, with its attempts and
//! last error, the channel's state at the top and the count in the navigation; once the
//! setting is fixed in Settings → Email, Retry sends it at once and it shows as sent. The
//! real OS keyring runs beside it (a new mail server forgets the old one's password there).

use std::ffi::OsStr;

use super::*;
use crate::desktop::Desktop;

/// A real SMTP server on loopback storing mail in a Maildir.
struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl SmtpServer {
    fn start(dir: &Path) -> SmtpServer {
        let port = free_port();
        let maildir = dir.join("maildir");
        let mut child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .spawn()
            .expect("python3-aiosmtpd");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return SmtpServer {
                    child,
                    port,
                    maildir,
                };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start");
    }

    fn recipients(&self) -> Vec<String> {
        let Ok(files) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        files
            .flat_map(|f| {
                let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
                text.lines()
                    .filter_map(|l| l.strip_prefix("X-RcptTo: "))
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn at(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One row of the Notifications table, by column header.
#[derive(Debug, serde::Deserialize)]
struct Row {
    id: String,
    status: String,
    recipient: String,
    contact: String,
    attempts: String,
    error: String,
}

async fn rows(app: &App) -> Vec<Row> {
    let ret = app
        .d()
        .execute(
            "const table = Array.from(document.querySelectorAll('table'))
               .find(t => t.caption && t.caption.textContent.trim() === 'Notifications');
             if (!table) return [];
             const heads = Array.from(table.tHead.rows[0].cells).map(c => c.textContent.trim());
             const text = (row, name) => row.cells[heads.indexOf(name)].innerText.replace(/\\s+/g, ' ').trim();
             return Array.from(table.tBodies[0].rows).map(r => ({
               id: r.dataset.notification, status: r.dataset.status,
               recipient: text(r, 'Recipient'), contact: text(r, 'Contact'),
               attempts: text(r, 'Attempts'), error: text(r, 'Last error'),
             }));",
            Vec::new(),
        )
        .await
        .unwrap();
    serde_json::from_value(ret.json().clone()).unwrap()
}

/// The email channel's state as the top of the view shows it.
async fn email_state(app: &App) -> String {
    app.find(
        "the email channel's state",
        By::Css("ul[aria-label='Channels'] li[data-channel='email']"),
    )
    .await
    .text()
    .await
    .unwrap()
}

#[tokio::test]
async fn a_failed_reminder_is_retried_once_the_smtp_setting_is_fixed_and_shows_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("window.db");
    let smtp = SmtpServer::start(dir.path());
    // Nothing listens on this port: every attempt is refused.
    let wrong = free_port();
    cli(
        &db,
        &[
            "settings",
            "set",
            "smtp",
            &format!("smtp://127.0.0.1:{wrong}"),
        ],
    );
    cli(
        &db,
        &[
            "settings",
            "set",
            "email-from",
            "reminders@cardfile.example",
        ],
    );
    cli(&db, &["settings", "set", "reminders", "email 24h"]);
    cli(
        &db,
        &[
            "activities",
            "add",
            "--kind",
            "meeting",
            "--first-name",
            "Ann",
            "--last-name",
            "Lee",
            "--email",
            "ann@example.com",
            "--status",
            "scheduled",
            "--starts-at",
            &at(300),
        ],
    );
    // Five attempts, each after the last one's backoff (1, 5, 30 and 120 minutes): failed.
    for minutes in [0, 2, 8, 40, 180] {
        cli(&db, &["notifications", "dispatch", "--as-of", &at(minutes)]);
    }
    let desktop = Desktop::start();
    let env = desktop.env();
    let env: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let app = App::launch(dir, &env).await;

    app.find(
        "the Notifications entry's count",
        By::XPath("//nav//*[@role='tab'][normalize-space()='Notifications'][@aria-label='Notifications, 1 failed']"),
    )
    .await;
    tab(&app, "Notifications").await;
    app.wait_for("the failed reminder", || async {
        rows(&app).await.iter().any(|r| r.status == "failed")
    })
    .await;
    let listed = rows(&app).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let failed = &listed[0];
    assert_eq!(failed.recipient, "ann@example.com");
    assert_eq!(failed.contact, "Ann Lee");
    assert_eq!(failed.attempts, "5");
    assert!(failed.error.contains("SMTP"), "{failed:?}");
    let id = failed.id.clone();
    // Filters: the failed one under Failed, nothing under Sent or SMS.
    let status = app.field("Status").await;
    for (option, want) in [("Sent", 0), ("Failed", 1), ("Any status", 1)] {
        status
            .find(By::XPath(format!(
                ".//option[normalize-space()='{option}']"
            )))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        app.wait_for(&format!("{want} under {option}"), || async {
            rows(&app).await.len() == want
        })
        .await;
    }
    app.screenshot("notifications-failed").await.unwrap();

    assert!(
        email_state(&app).await.contains("Ready"),
        "reachable or not, it is set up"
    );

    // The fix: Settings → Email, the port the mail server listens on.
    tab(&app, "Settings").await;
    app.type_into("SMTP port", &smtp.port.to_string()).await;
    app.find(
        "the Email settings' Save",
        By::XPath("//form[@aria-label='Email settings']//button[normalize-space()='Save']"),
    )
    .await
    .click()
    .await
    .unwrap();
    app.find(
        "the email settings saved",
        By::XPath("//*[normalize-space()='Email settings saved.']"),
    )
    .await;
    assert_eq!(
        app.session().settings().await.unwrap().smtp,
        Some(format!("smtp://127.0.0.1:{}", smtp.port))
    );
    tab(&app, "Notifications").await;
    app.button(&format!("Retry notification {id}"))
        .await
        .click()
        .await
        .unwrap();
    app.wait_up_to(Duration::from_secs(20), "the reminder sent", || async {
        rows(&app)
            .await
            .iter()
            .any(|r| r.id == id && r.status == "sent")
    })
    .await;
    assert_eq!(smtp.recipients(), ["ann@example.com"]);
    assert!(email_state(&app).await.contains("Ready"));
    app.wait_for("the count gone", || async {
        app.find_now(By::XPath(
            "//nav//*[@role='tab'][@aria-label='Notifications']",
        ))
        .await
        .is_some()
    })
    .await;
    let sent = app.session().notifications(None, true).await.unwrap();
    assert_eq!(sent[0].status, "sent");
    assert_eq!(sent[0].attempts, 1, "a fresh round of attempts");
    app.screenshot("notifications-sent").await.unwrap();
    app.close().await;
}
