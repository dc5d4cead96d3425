//! A session: the open database and who Cardfile acts as. The window's commands, the
//! command line and the local API's handlers each make one call on it, so none of them holds
//! any logic of its own.

use std::io::Write;

use serde::Serialize;

use crate::error::Result;
use crate::funnel::Source;
use crate::record::{Contact, ContactFields};
use crate::search::{ContactPage, ListQuery};
use crate::secrets::SecretStore;
use crate::store::Store;
use crate::users::{Role, User};
use crate::{
    activity, contacts, dispatch, export, history, import, notify, preferences, review, sample,
    trial, user_removal, users,
};

#[derive(Clone, Debug)]
pub struct Session {
    store: Store,
    /// `--as EMAIL`; None acts as the signed-in user from settings.
    as_user: Option<String>,
    /// What the change feed records this session's contact changes as.
    source: Source,
}

/// What the window's status line shows.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppInfo {
    pub user_email: String,
    pub user_name: String,
    /// The signed-in user's role: the page shows Admin-only settings read-only to others
    /// (core refuses their changes all the same).
    pub role: Role,
    pub db_path: String,
    pub contact_count: u32,
}

impl Session {
    /// A session acting as `as_user` (an unknown user is refused here, before any work).
    pub async fn new(store: Store, as_user: Option<String>) -> Result<Session> {
        let session = Session {
            store,
            as_user,
            source: Source::Manual,
        };
        session.user().await?;
        Ok(session)
    }

    /// A session of the local API, acting as the user whose token a request gave (`email`,
    /// just read from the users table): its contact changes are the API's in the change feed.
    pub fn api(store: Store, email: String) -> Session {
        Session {
            store,
            as_user: Some(email),
            source: Source::Api,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The acting user, read afresh so a change of signed-in user applies at once.
    pub async fn user(&self) -> Result<User> {
        users::acting_user(&self.store, self.as_user.as_deref()).await
    }

    pub async fn app_info(&self) -> Result<AppInfo> {
        let user = self.user().await?;
        Ok(AppInfo {
            user_email: user.email,
            user_name: user.name,
            role: user.role,
            db_path: self.store.path().display().to_string(),
            contact_count: contacts::count(&self.store).await? as u32,
        })
    }

    pub async fn list(&self, query: &ListQuery) -> Result<ContactPage> {
        contacts::list(&self.store, &self.user().await?, query).await
    }

    /// A page of the window's contacts table: `list`'s rows with their phones formatted.
    pub async fn table(&self, query: &ListQuery) -> Result<crate::table::TablePage> {
        Ok(self.list(query).await?.into())
    }

    /// A page of `list_after`: matching `search`, in id order after contact `after`.
    pub async fn list_after(
        &self,
        search: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<ContactPage> {
        contacts::list_after(&self.store, &self.user().await?, search, after, limit).await
    }

    pub async fn get(&self, id: &str) -> Result<Contact> {
        contacts::get(&self.store, &self.user().await?, id).await
    }

    /// Adds a contact; `merge` confirms merging into a contact holding its email or phone.
    pub async fn add(
        &self,
        fields: &ContactFields,
        owner: Option<&str>,
        merge: bool,
    ) -> Result<Contact> {
        let user = self.user().await?;
        contacts::add(&self.store, &user, fields, owner, merge, self.source).await
    }

    /// Edits a contact; `merge` confirms merging when it takes another's email or phone.
    pub async fn edit(&self, id: &str, fields: &ContactFields, merge: bool) -> Result<Contact> {
        let user = self.user().await?;
        contacts::edit(&self.store, &user, id, fields, merge, self.source).await
    }

    pub async fn history(&self, id: &str) -> Result<Vec<history::HistoryEntry>> {
        history::history(&self.store, &self.user().await?, id).await
    }

    pub async fn undo(&self) -> Result<history::Undone> {
        history::undo(&self.store, &self.user().await?).await
    }

    pub async fn delete(&self, id: &str) -> Result<()> {
        contacts::delete(&self.store, &self.user().await?, id, self.source).await
    }

    pub async fn export(&self, format: export::Format, out: &mut dyn Write) -> Result<u64> {
        export::export(&self.store, &self.user().await?, format, out).await
    }

    pub async fn export_to_file(
        &self,
        format: export::Format,
        path: &std::path::Path,
    ) -> Result<u64> {
        export::export_to_file(&self.store, &self.user().await?, format, path).await
    }

    pub async fn record_activity(&self, new: &activity::NewActivity) -> Result<activity::Recorded> {
        activity::record(&self.store, &self.user().await?, new).await
    }

    pub async fn activities(&self, contact: Option<&str>) -> Result<Vec<activity::Activity>> {
        activity::list(&self.store, &self.user().await?, contact).await
    }

    pub async fn notifications(
        &self,
        contact: Option<&str>,
        all: bool,
    ) -> Result<Vec<notify::Notification>> {
        notify::list(&self.store, &self.user().await?, contact, all).await
    }

    pub async fn conflicts(&self) -> Result<Vec<review::ReviewItem>> {
        review::conflicts(&self.store, &self.user().await?).await
    }

    /// Imports a contact file (see `import::import_file`).
    pub async fn import_file(
        &self,
        path: &std::path::Path,
        options: &import::ImportOptions,
        progress: &(dyn Fn(import::Progress) + Sync),
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<import::Report> {
        import::import_file(
            &self.store,
            &self.user().await?,
            path,
            options,
            progress,
            cancel,
        )
        .await
    }

    /// Loads the sample contacts (`sample::load`): one step for Undo.
    pub async fn load_sample(&self) -> Result<sample::Loaded> {
        sample::load(&self.store, &self.user().await?).await
    }

    pub async fn dismiss_conflict(&self, id: &str) -> Result<()> {
        review::dismiss_conflict(&self.store, &self.user().await?, id).await
    }

    pub async fn add_user(
        &self,
        email: &str,
        name: &str,
        role: Role,
        team: Option<&str>,
    ) -> Result<User> {
        users::add(&self.store, &self.user().await?, email, name, role, team).await
    }

    /// Every user (not removed), by email: any user may read the list.
    pub async fn users(&self) -> Result<Vec<User>> {
        self.user().await?;
        users::list(&self.store).await
    }

    /// Changes a user's role and teams (Admins only).
    pub async fn update_user(&self, email: &str, change: &users::UserChange) -> Result<User> {
        users::set(&self.store, &self.user().await?, email, change).await
    }

    /// Removes a user, their contacts going to `reassign_to` first (Admins only).
    pub async fn remove_user(
        &self,
        email: &str,
        reassign_to: &str,
    ) -> Result<user_removal::Removed> {
        user_removal::remove(&self.store, &self.user().await?, email, reassign_to).await
    }

    /// How many of the notifications the user may see have failed.
    pub async fn failed_notifications(&self) -> Result<u32> {
        notify::failed_count(&self.store, &self.user().await?).await
    }

    /// Sends a failed notification again now.
    pub async fn retry_notification(&self, id: &str) -> Result<notify::Notification> {
        notify::retry(&self.store, &self.user().await?, id).await
    }

    /// Cancels a pending notification: it is never sent.
    pub async fn cancel_notification(&self, id: &str) -> Result<notify::Notification> {
        notify::cancel(&self.store, &self.user().await?, id).await
    }

    pub async fn settings(&self) -> Result<preferences::Settings> {
        preferences::show(&self.store).await
    }

    /// Changes a setting; `secrets` is where a credential is forgotten when its server changes.
    pub async fn set(
        &self,
        secrets: &dyn SecretStore,
        key: preferences::Key,
        value: &str,
    ) -> Result<preferences::Settings> {
        preferences::set(&self.store, &self.user().await?, secrets, key, value).await
    }

    /// Sends a test email to `to` the way reminders go (`trial::send_test_email`).
    pub async fn send_test_email(&self, secrets: &dyn SecretStore, to: &str) -> Result<()> {
        trial::send_test_email(&self.store, secrets, &self.user().await?, to).await
    }

    /// Sends a test SMS to `to` the way reminders go (`trial::send_test_sms`).
    pub async fn send_test_sms(&self, secrets: &dyn SecretStore, to: &str) -> Result<()> {
        trial::send_test_sms(&self.store, secrets, &self.user().await?, to).await
    }

    pub async fn rebook(
        &self,
        id: &str,
        change: &crate::booking::Booking,
    ) -> Result<activity::Recorded> {
        activity::rebook(&self.store, &self.user().await?, id, change).await
    }

    /// Sends what is due at `as_of` (default now). Any user may: it acts for the hosts.
    pub async fn dispatch(
        &self,
        secrets: &dyn SecretStore,
        as_of: Option<&str>,
    ) -> Result<dispatch::Dispatched> {
        dispatch::dispatch(&self.store, secrets, as_of).await
    }

    /// Signs `email` in (Admins only).
    pub async fn set_user(&self, email: &str) -> Result<preferences::Settings> {
        preferences::set_user(&self.store, &self.user().await?, email).await
    }

    pub async fn set_default_region(&self, code: &str) -> Result<preferences::Settings> {
        preferences::set_default_region(&self.store, code).await
    }
}
