//! The command line's words, as CLI.md gives them: commands, their flags and values.

use std::path::PathBuf;

use cardfile_core::preferences;
use cardfile_core::ContactFields;
use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Load the sample contacts (about fifty made-up people, a few past meetings and one
    /// row for the Review list) as one import: one undoable step.
    Sample,
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
        /// With a cloud account connected: keep this import's new contacts on this
        /// computer only (not pushed until `outbox share`).
        #[arg(long)]
        keep_local: bool,
        #[arg(long)]
        json: bool,
    },
    /// The OnceHub cloud account.
    Cloud {
        #[command(subcommand)]
        command: CloudCommand,
    },
    /// Deliver the outbox, then pull what changed in the cloud.
    Sync {
        /// Stop when nothing is due (else keep running, as the window does).
        #[arg(long)]
        once: bool,
        /// The summary as one line of JSON, the last line of standard output.
        #[arg(long)]
        json: bool,
    },
    /// Remote work waiting, failed ("Needs attention"), sent or canceled.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// Run the local REST API on 127.0.0.1 only: prints its URL, then answers until SIGTERM
    /// or Ctrl-C. Each request acts as the user its bearer token names.
    Serve {
        #[arg(long, default_value_t = cardfile_core::api::DEFAULT_PORT)]
        port: u16,
    },
    /// The CRMs, calendars and Zapier hook an email or phone change is sent to.
    Integrations {
        #[command(subcommand)]
        command: IntegrationsCommand,
    },
    /// The local REST API's bearer tokens.
    Api {
        #[command(subcommand)]
        command: ApiCommand,
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
pub enum CloudCommand {
    /// Connect the account: its API key is read from standard input, never an argument.
    Connect {
        /// The API's base URL (default https://api.oncehub.com/v2).
        #[arg(long)]
        url: Option<String>,
    },
    /// Whether an account is connected, and what waits.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Forget the key; the outbox keeps its items, paused.
    Disconnect,
}

#[derive(Subcommand, Debug)]
pub enum IntegrationsCommand {
    /// Connect one: its access token (for zapier, its Catch Hook URL) is read from standard
    /// input, never an argument.
    Connect {
        #[arg(value_parser = cardfile_core::integrations::NAMES)]
        name: String,
        /// The API's base URL (sandboxes, tests; a Salesforce instance's URL).
        #[arg(long)]
        url: Option<String>,
    },
    /// Every integration: connected or not, its account and last result.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Forget its token and cancel what waits for it.
    Disconnect {
        #[arg(value_parser = cardfile_core::integrations::NAMES)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApiCommand {
    /// {"token": "..."}: your bearer token, made on first use and kept in the OS keyring.
    Token {
        /// Replace it: the old token stops working.
        #[arg(long)]
        rotate: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum OutboxCommand {
    /// Pending and failed items (--all: sent and canceled too).
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Send a failed item again.
    Retry { id: String },
    /// Do not send an item.
    Cancel { id: String },
    /// Queue the contacts of imports kept on this computer for the cloud.
    Share,
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
    /// List users: email, name, role, teams.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change a user's role or teams.
    #[command(group(
        clap::ArgGroup::new("change")
            .required(true)
            .multiple(true)
            .args(["role", "add_team", "remove_team"])
    ))]
    Set {
        email: String,
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        /// Put the user in this team (created when new); may be repeated.
        #[arg(long, value_name = "T")]
        add_team: Vec<String>,
        /// Take the user out of this team; may be repeated.
        #[arg(long, value_name = "T")]
        remove_team: Vec<String>,
    },
    /// Remove a user; their contacts go to another user first.
    Remove {
        email: String,
        /// Who takes over their contacts and upcoming meetings.
        #[arg(long, value_name = "EMAIL")]
        reassign_to: String,
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
        /// The calendar the event is in (default "primary").
        #[arg(long, value_name = "ID")]
        calendar_id: Option<String>,
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
    /// Send a failed notification again now.
    Retry { id: String },
    /// Cancel a pending notification: it is never sent.
    Cancel { id: String },
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
    pub(super) fn credential(self) -> cardfile_core::preferences::Credential {
        use cardfile_core::preferences::Credential;
        match self {
            SecretName::SmtpPassword => Credential::SmtpPassword,
            SecretName::SmsToken => Credential::SmsToken,
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
    /// The cloud: `cloud-per-second N`, `cloud-per-five-minutes N` (its rate limits, Admin
    /// only), `cloud-timeout-ms`, `cloud-backoff-ms`, `cloud-backoff-cap-ms`.
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
    SmtpCaFile,
    EmailFrom,
    SmsGateway,
    SmsAccount,
    SmsFrom,
    CloudPerSecond,
    CloudPerFiveMinutes,
    CloudTimeoutMs,
    CloudBackoffMs,
    CloudBackoffCapMs,
}

impl From<SettingKey> for preferences::Key {
    fn from(k: SettingKey) -> Self {
        match k {
            SettingKey::User => preferences::Key::User,
            SettingKey::DefaultRegion => preferences::Key::DefaultRegion,
            SettingKey::Reminders => preferences::Key::Reminders,
            SettingKey::FollowUp => preferences::Key::FollowUp,
            SettingKey::Smtp => preferences::Key::Smtp,
            SettingKey::SmtpCaFile => preferences::Key::SmtpCaFile,
            SettingKey::EmailFrom => preferences::Key::EmailFrom,
            SettingKey::SmsGateway => preferences::Key::SmsGateway,
            SettingKey::SmsAccount => preferences::Key::SmsAccount,
            SettingKey::SmsFrom => preferences::Key::SmsFrom,
            SettingKey::CloudPerSecond => preferences::Key::CloudPerSecond,
            SettingKey::CloudPerFiveMinutes => preferences::Key::CloudPerFiveMinutes,
            SettingKey::CloudTimeoutMs => preferences::Key::CloudTimeoutMs,
            SettingKey::CloudBackoffMs => preferences::Key::CloudBackoffMs,
            SettingKey::CloudBackoffCapMs => preferences::Key::CloudBackoffCapMs,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum RoleArg {
    Admin,
    TeamManager,
    Member,
}

impl From<RoleArg> for cardfile_core::Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Admin => cardfile_core::Role::Admin,
            RoleArg::TeamManager => cardfile_core::Role::TeamManager,
            RoleArg::Member => cardfile_core::Role::Member,
        }
    }
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
