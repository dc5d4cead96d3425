//! The command line of CLI.md: parses, makes one call on core's Session, prints the result,
//! and maps the outcome to the documented exit codes.

mod api;
mod args;
mod cloud;
mod print;

use std::io::Write;
use std::path::PathBuf;

use cardfile_core::activity::{Kind, NewActivity};
use cardfile_core::booking::Booking;
use cardfile_core::export::Format;
use cardfile_core::import::{save_error_report, ImportOptions, OnDuplicate};
use cardfile_core::users::UserChange;
use cardfile_core::{
    preferences, store, ContactFields, Error, ErrorCode, ListQuery, Session, SortColumn, Store,
};

use crate::keyring_store::Keyring;

pub use args::*;
use print::{print_columns, print_history, print_table};

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
        if let Some(problem) = store.backup_problem() {
            eprintln!("cardfile: {problem}");
        }
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

/// `users add|list|set|remove` (CLI.md): one JSON object each, or the list.
async fn users(session: &Session, command: UsersCommand) -> Result<(), Failure> {
    match command {
        UsersCommand::Add {
            email,
            name,
            role,
            team,
        } => print_json(
            &session
                .add_user(&email, &name, role.into(), team.as_deref())
                .await?,
        ),
        UsersCommand::List { json } => {
            let list = session.users().await?;
            if json {
                // CLI.md: [{"email", "name", "role", "teams"}], role spelled as the flag.
                let shown: Vec<serde_json::Value> = list
                    .iter()
                    .map(|u| {
                        serde_json::json!({
                            "email": u.email, "name": u.name, "role": u.role, "teams": u.teams,
                        })
                    })
                    .collect();
                return print_json(&shown);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|u| {
                    let role = serde_json::to_value(u.role).unwrap_or_default();
                    vec![
                        u.email.clone(),
                        u.name.clone(),
                        role.as_str().unwrap_or_default().to_string(),
                        u.teams.join(", "),
                    ]
                })
                .collect();
            print_columns(&["EMAIL", "NAME", "ROLE", "TEAMS"], &rows);
            Ok(())
        }
        UsersCommand::Set {
            email,
            role,
            add_team,
            remove_team,
        } => {
            let change = UserChange {
                role: role.map(Into::into),
                add_teams: add_team,
                remove_teams: remove_team,
            };
            print_json(&session.update_user(&email, &change).await?)
        }
        UsersCommand::Remove { email, reassign_to } => {
            print_json(&session.remove_user(&email, &reassign_to).await?)
        }
    }
}

async fn execute(session: &Session, command: Command) -> Result<(), Failure> {
    match command {
        Command::Users { command } => users(session, command).await,
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
        Command::Sample => print_json(&session.load_sample().await?),
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
                    calendar_id,
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
                calendar_id,
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
        Command::Notifications {
            command: NotificationsCommand::Retry { id },
        } => print_json(&session.retry_notification(&id).await?),
        Command::Notifications {
            command: NotificationsCommand::Cancel { id },
        } => print_json(&session.cancel_notification(&id).await?),
        Command::Import {
            file,
            dry_run,
            on_duplicate,
            default_region,
            errors,
            keep_local,
            json,
        } => {
            let options = ImportOptions {
                keep_local,
                on_duplicate: match on_duplicate {
                    OnDuplicateArg::Merge => OnDuplicate::Merge,
                    OnDuplicateArg::Skip => OnDuplicate::Skip,
                },
                default_region,
                dry_run,
                overrides: Vec::new(),
                ..ImportOptions::default()
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
        Command::Cloud { command } => cloud::cloud(session, command).await,
        Command::Sync { once, json } => cloud::sync(session, once, json).await,
        Command::Outbox { command } => cloud::outbox(session, command).await,
        Command::Integrations { command } => cloud::integrations(session, command).await,
        Command::Serve { port } => api::serve(session, port).await,
        Command::Api {
            command: ApiCommand::Token { rotate },
        } => api::token(session, rotate).await,
        Command::Secrets { command } => {
            let done = match command {
                SecretsCommand::Set { name } => {
                    let user = session.user().await?;
                    let mut value = String::new();
                    std::io::stdin().read_line(&mut value).map_err(|e| {
                        Failure::Usage(format!("cannot read the secret from standard input: {e}"))
                    })?;
                    let value = value.trim_end_matches(['\r', '\n']);
                    preferences::set_credential(&user, &Keyring, name.credential(), value)?;
                    "stored"
                }
                SecretsCommand::Delete { name } => {
                    let user = session.user().await?;
                    preferences::forget_credential(&user, &Keyring, name.credential())?;
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
                    ..Default::default()
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
