//! The command line of CLI.md: parses, makes one call on core's Session, prints the result,
//! and maps the outcome to the documented exit codes.

use std::io::Write;
use std::path::PathBuf;

use cardfile_core::activity::{Kind, NewActivity};
use cardfile_core::booking::Booking;
use cardfile_core::export::Format;
use cardfile_core::import::{save_error_report, ImportOptions, OnDuplicate};
use cardfile_core::preferences;
use cardfile_core::secrets::SecretStore;
use cardfile_core::{
    store, Contact, ContactFields, Error, ErrorCode, ListQuery, Role, Session, SortColumn, Store,
};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::keyring_store::Keyring;

#[derive(Parser, Debug)]
#[command(
    name = "cardfile",
    version,
    about = "Cardfile: contacts for sales people. With no command, opens the window."
)]
pub struct Cli {
    /// The database file (else CARDFILE_DB, else $XDG_DATA_HOME/cardfile/cardfile.db).
    #[arg(long, global = true, env = "CARDFILE_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Act as this user (else the signed-in user from settings).
    #[arg(long = "as", global = true, value_name = "EMAIL")]
    pub as_user: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Manage users (Admins only).
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Show or change settings.
    Settings {
        #[command(subcommand)]
        command: SettingsCommand,
    },
    /// Add a contact.
    Add {
        #[command(flatten)]
        fields: FieldArgs,
        /// The owner's email (default: the acting user).
        #[arg(long, value_name = "EMAIL")]
        owner: Option<String>,
        /// Confirm merging into the contact that holds this email or mobile phone.
        #[arg(long)]
        merge: bool,
    },
    /// Show one contact as JSON.
    Show { id: String },
    /// Edit a contact; a flag with an empty value clears that field.
    Edit {
        id: String,
        #[command(flatten)]
        fields: FieldArgs,
        /// Confirm merging into the contact that holds this email or mobile phone.
        #[arg(long)]
        merge: bool,
    },
    /// Show who changed a contact, what and when.
    History {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Take back your most recent add, edit, merge or import (again: one further back).
    Undo,
    /// Record or list meetings, chats and routing-form submissions.
    Activities {
        #[command(subcommand)]
        command: ActivitiesCommand,
    },
    /// Meeting reminders and workflow steps.
    Notifications {
        #[command(subcommand)]
        command: NotificationsCommand,
    },
    /// Passwords and tokens for sending notifications, kept in the OS keyring.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// The Review list: identities held for review.
    Conflicts {
        #[command(subcommand)]
        command: ConflictsCommand,
    },
    /// Delete a contact permanently (not undoable).
    Delete {
        id: String,
        /// Confirm the permanent delete.
        #[arg(long)]
        yes: bool,
    },
    /// List contacts, sorted by last name, first name.
    List {
        /// Word prefixes to match in names, email, phones and company.
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Import contacts from a CSV file (Google, Outlook, HubSpot, Salesforce, LinkedIn,
    /// Thunderbird, Excel...) or a vCard file: one undoable step.
    Import {
        file: PathBuf,
        /// Count what would happen; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// merge: fill and update the contact a row matches; skip: leave it as it is.
        #[arg(long, value_enum, default_value_t = OnDuplicateArg::Merge)]
        on_duplicate: OnDuplicateArg,
        /// Read national phone numbers in this region (default: the setting).
        #[arg(long, value_name = "CC")]
        default_region: Option<String>,
        /// Write the rejected and conflicting rows, with their reasons, to this CSV file.
        #[arg(long, value_name = "FILE")]
        errors: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Export every contact you may see.
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Add a user.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        #[arg(long)]
        team: Option<String>,
    },
}

// Parsed once per run: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum ActivitiesCommand {
    /// Record an activity; its contact is found by email, then mobile phone, or created.
    /// Here --status is the meeting's: scheduled, rescheduled, canceled, completed, no-show.
    Add {
        #[arg(long, value_enum)]
        kind: KindArg,
        #[command(flatten)]
        fields: FieldArgs,
        /// The host's email (default: you).
        #[arg(long)]
        host: Option<String>,
        #[arg(long, value_name = "T")]
        starts_at: Option<String>,
        #[arg(long, value_name = "T")]
        ends_at: Option<String>,
        #[arg(long, value_parser = ["google", "exchange", "other"])]
        calendar: Option<String>,
        /// The calendar's event id: a known event updates that meeting's booking.
        #[arg(long, value_name = "ID")]
        event_id: Option<String>,
    },
    /// Change a meeting's booking (cancel, reschedule, complete); its reminders follow.
    Update {
        id: String,
        #[arg(long, value_parser = ["scheduled", "rescheduled", "canceled", "completed", "no-show"])]
        status: Option<String>,
        #[arg(long, value_name = "T")]
        starts_at: Option<String>,
        #[arg(long, value_name = "T")]
        ends_at: Option<String>,
    },
    /// List activities (all, deleted contacts' included), or one contact's.
    List {
        #[arg(long)]
        contact: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum NotificationsCommand {
    /// List pending notifications, soonest first.
    List {
        #[arg(long)]
        contact: Option<String>,
        /// Also sent, failed and canceled ones.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Send what is due: email over SMTP, SMS through the gateway; failures are retried later.
    Dispatch {
        /// Send what is due at this time (default now).
        #[arg(long, value_name = "T")]
        as_of: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SecretsCommand {
    /// Store a secret in the OS keyring, read from standard input (never from the command line).
    Set { name: SecretName },
    /// Remove a secret from the OS keyring.
    Delete { name: SecretName },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum SecretName {
    SmtpPassword,
    SmsToken,
}

impl SecretName {
    fn key(self) -> &'static str {
        match self {
            SecretName::SmtpPassword => cardfile_core::secrets::SMTP_PASSWORD,
            SecretName::SmsToken => cardfile_core::secrets::SMS_TOKEN,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ConflictsCommand {
    /// List what is held for review.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Take an item off the Review list: the two contacts are different people.
    Dismiss { id: String },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum KindArg {
    Meeting,
    Chat,
    Form,
}

#[derive(Subcommand, Debug)]
pub enum SettingsCommand {
    /// Set `user EMAIL` (sign in as), `default-region CC` (for national phone numbers),
    /// `reminders "email 24h, email 1h, sms 1h"`, `follow-up "email 2d"` (or none), or where
    /// notifications go out: `smtp URL`, `email-from ADDRESS`, `sms-gateway URL`,
    /// `sms-account ID`, `sms-from NUMBER`. Only an Admin sets user, smtp, sms-gateway and
    /// sms-account; a new smtp or sms-gateway host forgets the old one's password or token.
    Set { key: SettingKey, value: String },
    /// Show the settings as JSON.
    Show,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum SettingKey {
    User,
    DefaultRegion,
    Reminders,
    FollowUp,
    Smtp,
    EmailFrom,
    SmsGateway,
    SmsAccount,
    SmsFrom,
}

impl From<SettingKey> for preferences::Key {
    fn from(k: SettingKey) -> Self {
        match k {
            SettingKey::User => preferences::Key::User,
            SettingKey::DefaultRegion => preferences::Key::DefaultRegion,
            SettingKey::Reminders => preferences::Key::Reminders,
            SettingKey::FollowUp => preferences::Key::FollowUp,
            SettingKey::Smtp => preferences::Key::Smtp,
            SettingKey::EmailFrom => preferences::Key::EmailFrom,
            SettingKey::SmsGateway => preferences::Key::SmsGateway,
            SettingKey::SmsAccount => preferences::Key::SmsAccount,
            SettingKey::SmsFrom => preferences::Key::SmsFrom,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum RoleArg {
    Admin,
    TeamManager,
    Member,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum OnDuplicateArg {
    Merge,
    Skip,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ExportFormat {
    Csv,
    Json,
    Vcard,
}

#[derive(Args, Debug, Default)]
pub struct FieldArgs {
    #[arg(long, allow_hyphen_values = true)]
    first_name: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    last_name: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    salutation: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    email: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    mobile_phone: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    phone: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    company: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    job_title: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    street_address: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    city: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    state: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    post_code: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    country: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    timezone: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    status: Option<String>,
    #[arg(long, value_name = "true|false")]
    has_consent: Option<bool>,
    #[arg(long, allow_hyphen_values = true)]
    notes: Option<String>,
}

impl From<FieldArgs> for ContactFields {
    fn from(a: FieldArgs) -> Self {
        ContactFields {
            first_name: a.first_name,
            last_name: a.last_name,
            salutation: a.salutation,
            email: a.email,
            mobile_phone: a.mobile_phone,
            phone: a.phone,
            company: a.company,
            job_title: a.job_title,
            street_address: a.street_address,
            city: a.city,
            state: a.state,
            post_code: a.post_code,
            country: a.country,
            timezone: a.timezone,
            status: a.status,
            has_consent: a.has_consent,
            notes: a.notes,
        }
    }
}

/// How a command ended, as an exit code (CLI.md, Exit status).
enum Failure {
    Refused(Error),
    Usage(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Refused(e)
    }
}

pub fn run(db: Option<PathBuf>, as_user: Option<String>, command: Command) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cardfile: cannot start: {e}");
            return 1;
        }
    };
    let outcome = runtime.block_on(async {
        let path = db.unwrap_or_else(store::default_db_path);
        let store = Store::open(&path).await?;
        let session = Session::new(store.clone(), as_user).await;
        let result = match session {
            Ok(session) => execute(&session, command).await,
            Err(e) => Err(e.into()),
        };
        store.close().await;
        result
    });
    match outcome {
        Ok(()) => 0,
        Err(Failure::Usage(message)) => {
            eprintln!("cardfile: {message}");
            2
        }
        Err(Failure::Refused(e)) => {
            eprintln!("cardfile: {e}");
            match e {
                Error::MergeNeeded(plan) => {
                    // The plan is the answer a script acts on: stdout, as JSON (CLI.md).
                    println!("{}", serde_json::to_string(&plan).unwrap_or_default());
                    3
                }
                e if e.code() == ErrorCode::CannotSave => 4,
                _ => 1,
            }
        }
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))?;
    println!("{text}");
    Ok(())
}

async fn execute(session: &Session, command: Command) -> Result<(), Failure> {
    match command {
        Command::Users {
            command:
                UsersCommand::Add {
                    email,
                    name,
                    role,
                    team,
                },
        } => {
            let role = match role {
                RoleArg::Admin => Role::Admin,
                RoleArg::TeamManager => Role::TeamManager,
                RoleArg::Member => Role::Member,
            };
            print_json(
                &session
                    .add_user(&email, &name, role, team.as_deref())
                    .await?,
            )
        }
        Command::Settings { command } => match command {
            SettingsCommand::Show => print_json(&session.settings().await?),
            SettingsCommand::Set { key, value } => {
                print_json(&session.set(&Keyring, key.into(), &value).await?)
            }
        },
        Command::Add {
            fields,
            owner,
            merge,
        } => print_json(&session.add(&fields.into(), owner.as_deref(), merge).await?),
        Command::Show { id } => print_json(&session.get(&id).await?),
        Command::Edit { id, fields, merge } => {
            print_json(&session.edit(&id, &fields.into(), merge).await?)
        }
        Command::History { id, json } => {
            let entries = session.history(&id).await?;
            if json {
                print_json(&entries)
            } else {
                print_history(&entries);
                Ok(())
            }
        }
        Command::Undo => print_json(&session.undo().await?),
        Command::Activities {
            command:
                ActivitiesCommand::Add {
                    kind,
                    fields,
                    host,
                    starts_at,
                    ends_at,
                    calendar,
                    event_id,
                },
        } => {
            let mut fields: ContactFields = fields.into();
            let status = fields.status.take();
            let new = NewActivity {
                kind: Some(match kind {
                    KindArg::Meeting => Kind::Meeting,
                    KindArg::Chat => Kind::Chat,
                    KindArg::Form => Kind::Form,
                }),
                fields,
                host,
                status,
                starts_at,
                ends_at,
                calendar,
                event_id,
            };
            print_json(&session.record_activity(&new).await?)
        }
        Command::Activities {
            command:
                ActivitiesCommand::Update {
                    id,
                    status,
                    starts_at,
                    ends_at,
                },
        } => {
            let change = Booking {
                status,
                starts_at,
                ends_at,
            };
            print_json(&session.rebook(&id, &change).await?)
        }
        Command::Notifications {
            command: NotificationsCommand::Dispatch { as_of },
        } => print_json(&session.dispatch(&Keyring, as_of.as_deref()).await?),
        Command::Import {
            file,
            dry_run,
            on_duplicate,
            default_region,
            errors,
            json,
        } => {
            let options = ImportOptions {
                on_duplicate: match on_duplicate {
                    OnDuplicateArg::Merge => OnDuplicate::Merge,
                    OnDuplicateArg::Skip => OnDuplicate::Skip,
                },
                default_region,
                dry_run,
                overrides: Vec::new(),
            };
            let never = std::sync::atomic::AtomicBool::new(false);
            let report = session
                .import_file(&file, &options, &|_| {}, &never)
                .await?;
            if let Some(path) = errors {
                save_error_report(&report, &path)?;
            }
            if json {
                print_json(&report.summary)
            } else {
                let s = &report.summary;
                println!(
                    "{}{} rows: {} created, {} updated, {} unchanged, {} skipped, {} rejected, {} conflicts",
                    if report.dry_run { "dry run: " } else { "" },
                    s.rows, s.created, s.updated, s.unchanged, s.skipped, s.rejected, s.conflicts
                );
                let shown = report.examples();
                for p in shown {
                    println!("  line {}: {}", p.line, p.reason);
                }
                if report.problem_count as usize > shown.len() {
                    println!(
                        "  ... and {} more (--errors FILE lists them all)",
                        report.problem_count as usize - shown.len()
                    );
                }
                Ok(())
            }
        }
        Command::Secrets { command } => {
            let done = match command {
                SecretsCommand::Set { name } => {
                    let mut value = String::new();
                    std::io::stdin().read_line(&mut value).map_err(|e| {
                        Failure::Usage(format!("cannot read the secret from standard input: {e}"))
                    })?;
                    Keyring.set(name.key(), value.trim_end_matches(['\r', '\n']))?;
                    "stored"
                }
                SecretsCommand::Delete { name } => {
                    Keyring.delete(name.key())?;
                    "deleted"
                }
            };
            println!("{done}");
            Ok(())
        }
        Command::Activities {
            command: ActivitiesCommand::List { contact, json },
        } => {
            let list = session.activities(contact.as_deref()).await?;
            if json {
                return print_json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|a| {
                    vec![
                        a.id.clone(),
                        a.kind.clone(),
                        a.status.clone().unwrap_or_default(),
                        a.starts_at.clone().unwrap_or_default(),
                        match &a.contact_id {
                            Some(id) => id.clone(),
                            None if a.contact_deleted => "(deleted)".into(),
                            None => String::new(),
                        },
                        a.with_name.clone().unwrap_or_default(),
                        a.with_email
                            .clone()
                            .or(a.with_phone.clone())
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            print_columns(
                &[
                    "ID",
                    "KIND",
                    "STATUS",
                    "STARTS AT",
                    "CONTACT",
                    "WITH",
                    "EMAIL/PHONE",
                ],
                &rows,
            );
            Ok(())
        }
        Command::Notifications {
            command: NotificationsCommand::List { contact, all, json },
        } => {
            let list = session.notifications(contact.as_deref(), all).await?;
            if json {
                return print_json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|n| {
                    vec![
                        n.id.clone(),
                        n.send_at.clone(),
                        n.channel.clone(),
                        n.recipient.clone(),
                        n.status.clone(),
                        n.purpose.clone(),
                    ]
                })
                .collect();
            print_columns(&["ID", "SEND AT", "CHANNEL", "TO", "STATUS", "WHAT"], &rows);
            Ok(())
        }
        Command::Conflicts {
            command: ConflictsCommand::Dismiss { id },
        } => {
            session.dismiss_conflict(&id).await?;
            println!("dismissed");
            Ok(())
        }
        Command::Conflicts {
            command: ConflictsCommand::List { json },
        } => {
            let items = session.conflicts().await?;
            if json {
                return print_json(&items);
            }
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|r| {
                    vec![
                        r.id.clone(),
                        r.source.clone(),
                        r.reason.clone(),
                        r.created_at.clone(),
                    ]
                })
                .collect();
            print_columns(&["ID", "FROM", "WHY", "WHEN"], &rows);
            Ok(())
        }
        Command::Delete { id, yes } => {
            if !yes {
                return Err(Failure::Usage(format!(
                    "delete is permanent and cannot be undone: run `cardfile delete {id} --yes` to confirm"
                )));
            }
            session.delete(&id).await?;
            Ok(())
        }
        Command::List {
            search,
            limit,
            json,
        } => {
            let page = session
                .list(&ListQuery {
                    search: search.unwrap_or_default(),
                    sort: SortColumn::Name,
                    descending: false,
                    offset: 0,
                    limit,
                })
                .await?;
            if json {
                print_json(&page.rows)
            } else {
                print_table(&page.rows);
                Ok(())
            }
        }
        Command::Export { format, output } => {
            let format = match format {
                ExportFormat::Csv => Format::Csv,
                ExportFormat::Json => Format::Json,
                ExportFormat::Vcard => Format::VCard,
            };
            match output {
                Some(path) => {
                    let n = session.export_to_file(format, &path).await?;
                    eprintln!("Exported {n} contacts to {}", path.display());
                    Ok(())
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut w = std::io::BufWriter::new(stdout.lock());
                    session.export(format, &mut w).await?;
                    w.flush().map_err(Error::from)?;
                    Ok(())
                }
            }
        }
    }
}

fn print_history(entries: &[cardfile_core::history::HistoryEntry]) {
    println!("{:<24}  {:<24}  {:<6}  WHAT", "WHEN", "WHO", "KIND");
    for e in entries {
        let changes: Vec<String> = e
            .changes
            .iter()
            .map(|c| {
                format!(
                    "{}: {} -> {}",
                    c.field,
                    c.before.as_deref().unwrap_or("(blank)"),
                    c.after.as_deref().unwrap_or("(blank)")
                )
            })
            .collect();
        println!("{:<24}  {:<24}  {:<6}  {}", e.at, e.user, e.kind, e.summary);
        for c in changes {
            println!("{:<60}{c}", "");
        }
    }
}

fn print_table(rows: &[Contact]) {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|c| {
            let name = [c.first_name.as_deref(), c.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            vec![
                c.id.clone(),
                name,
                c.email.clone().unwrap_or_default(),
                c.mobile_phone.clone().unwrap_or_default(),
                c.company.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print_columns(&["ID", "NAME", "EMAIL", "MOBILE PHONE", "COMPANY"], &cells);
}

/// A readable table: a header and left-aligned columns as wide as their widest cell.
fn print_columns(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: &[&str]| {
        let mut s = String::new();
        for (i, (c, w)) in cols.iter().zip(&widths).enumerate() {
            if i + 1 == cols.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = *w));
            }
        }
        println!("{}", s.trim_end());
    };
    line(header);
    for row in rows {
        line(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
