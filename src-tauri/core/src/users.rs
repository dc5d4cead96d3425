//! Users, roles and teams, the signed-in user, and what each role may see (DESIGN.md,
//! Permissions).

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::search::Scope;
use crate::store::{now, Store};
use crate::{record, settings};

/// The local owner a new database starts with: migration 0011 creates this user, an Admin,
/// signed in.
pub const LOCAL_OWNER_EMAIL: &str = "owner@cardfile.local";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    TeamManager,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::TeamManager => "team_manager",
            Role::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Result<Role> {
        match s.trim().to_lowercase().replace('_', "-").as_str() {
            "admin" => Ok(Role::Admin),
            "team-manager" => Ok(Role::TeamManager),
            "member" => Ok(Role::Member),
            other => Err(Error::invalid(
                "role",
                format!("\"{other}\" is not a role; use admin, team-manager or member"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct User {
    #[serde(skip)]
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub teams: Vec<String>,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    created_at: String,
}

async fn load(conn: &mut SqliteConnection, row: UserRow) -> Result<User> {
    let teams: Vec<String> = sqlx::query_scalar(
        "SELECT t.name FROM teams t JOIN team_members m ON m.team_id = t.id WHERE m.user_id = ? ORDER BY t.name",
    )
    .bind(row.id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(User {
        id: row.id,
        email: row.email,
        name: row.name,
        role: Role::parse(&row.role)?,
        teams,
        created_at: row.created_at,
    })
}

/// The user with `email`, unless removed (a removed user cannot sign in, be acted as, own
/// contacts or host activities).
pub async fn find_by_email(conn: &mut SqliteConnection, email: &str) -> Result<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT id, email, name, role, created_at FROM users WHERE email = ? AND removed_at IS NULL",
    )
    .bind(email.trim().to_lowercase())
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        Some(r) => Ok(Some(load(conn, r).await?)),
        None => Ok(None),
    }
}

pub async fn find_by_id(conn: &mut SqliteConnection, id: i64) -> Result<User> {
    let row: UserRow =
        sqlx::query_as("SELECT id, email, name, role, created_at FROM users WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    load(conn, row).await
}

/// The user Cardfile acts as: `as_email` when given (it must exist), else the signed-in user.
pub async fn acting_user(store: &Store, as_email: Option<&str>) -> Result<User> {
    let mut conn = store.pool().acquire().await?;
    match as_email {
        Some(email) => find_by_email(&mut conn, email)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no user with email {}", email.trim()))),
        None => {
            let id: i64 = settings::get(&mut conn, settings::USER)
                .await?
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| Error::Internal("no signed-in user in settings".into()))?;
            if removed(&mut conn, id).await? {
                return Err(Error::Forbidden(
                    "the signed-in user has been removed: sign in as another user (settings set user EMAIL, as an Admin with --as)".into(),
                ));
            }
            find_by_id(&mut conn, id).await
        }
    }
}

/// Whether user `id` has been removed (`users remove`).
pub(crate) async fn removed(conn: &mut SqliteConnection, id: i64) -> Result<bool> {
    let at: Option<Option<String>> =
        sqlx::query_scalar("SELECT removed_at FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(matches!(at, Some(Some(_))))
}

/// Refuses changes to users made here while a cloud account is connected: its users and
/// roles are the account's (DESIGN.md, Permissions), and each pull would undo the change.
pub(crate) async fn require_local(conn: &mut SqliteConnection) -> Result<()> {
    match settings::get(conn, settings::CLOUD_URL).await? {
        Some(url) => Err(Error::Forbidden(format!(
            "users come from the cloud account ({url}) and are read-only here: change them in \
             OnceHub, and the next sync brings the change"
        ))),
        None => Ok(()),
    }
}

/// Refuses a user change to anyone but an Admin.
pub(crate) fn require_admin(actor: &User, what: &str) -> Result<()> {
    if actor.role != Role::Admin {
        return Err(Error::Forbidden(format!("only an Admin can {what}")));
    }
    Ok(())
}

/// Every user not removed, by email.
pub async fn list(store: &Store) -> Result<Vec<User>> {
    let mut conn = store.pool().acquire().await?;
    let rows: Vec<UserRow> = sqlx::query_as(
        "SELECT id, email, name, role, created_at FROM users WHERE removed_at IS NULL ORDER BY email",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(load(&mut conn, row).await?);
    }
    Ok(out)
}

/// Admins other than `except` (not removed): the last Admin is never demoted or removed.
pub(crate) async fn other_admins(conn: &mut SqliteConnection, except: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE role = 'admin' AND removed_at IS NULL AND id != ?",
    )
    .bind(except)
    .fetch_one(&mut *conn)
    .await?)
}

/// What `users set` changes: a role, teams to join (created when new) and teams to leave.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, specta::Type)]
pub struct UserChange {
    pub role: Option<Role>,
    pub add_teams: Vec<String>,
    pub remove_teams: Vec<String>,
}

/// Changes user `email`'s role and teams (Admins only; never while a cloud account is
/// connected). The last Admin keeps that role; leaving a team the user is not in is refused.
pub async fn set(store: &Store, actor: &User, email: &str, change: &UserChange) -> Result<User> {
    require_admin(actor, "change users")?;
    let mut tx = store.write().await?;
    require_local(&mut tx).await?;
    let user = find_by_email(&mut tx, email)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no user with email {}", email.trim())))?;
    if let Some(role) = change.role {
        if user.role == Role::Admin
            && role != Role::Admin
            && other_admins(&mut tx, user.id).await? == 0
        {
            return Err(Error::Forbidden(format!(
                "{} is the last Admin: make another user an Admin first",
                user.email
            )));
        }
        sqlx::query("UPDATE users SET role = ? WHERE id = ?")
            .bind(role.as_str())
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
    }
    for team in &change.remove_teams {
        let team = team.trim();
        let left = sqlx::query(
            "DELETE FROM team_members WHERE user_id = ? AND team_id = (SELECT id FROM teams WHERE name = ?)",
        )
        .bind(user.id)
        .bind(team)
        .execute(&mut *tx)
        .await?;
        if left.rows_affected() == 0 {
            return Err(Error::invalid(
                "team",
                format!("{} is not in team \"{team}\"", user.email),
            ));
        }
    }
    for team in &change.add_teams {
        let team = team.trim();
        if team.is_empty() {
            return Err(Error::invalid("team", "a team needs a name"));
        }
        join(&mut tx, user.id, team).await?;
    }
    let user = find_by_id(&mut tx, user.id).await?;
    tx.commit().await?;
    Ok(user)
}

/// Puts user `id` in `team`, creating the team when new.
async fn join(conn: &mut SqliteConnection, id: i64, team: &str) -> Result<()> {
    sqlx::query("INSERT INTO teams (name) VALUES (?) ON CONFLICT (name) DO NOTHING")
        .bind(team)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT OR IGNORE INTO team_members (team_id, user_id) SELECT id, ? FROM teams WHERE name = ?",
    )
    .bind(id)
    .bind(team)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds a user (Admins only; never while a cloud account is connected), putting them in
/// `team` (created when new).
pub async fn add(
    store: &Store,
    actor: &User,
    email: &str,
    name: &str,
    role: Role,
    team: Option<&str>,
) -> Result<User> {
    require_admin(actor, "add users")?;
    let email = record::normalize_email(email)?
        .ok_or_else(|| Error::invalid("email", "a user needs an email"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "a user needs a name"));
    }
    let mut tx = store.write().await?;
    require_local(&mut tx).await?;
    if find_by_email(&mut tx, &email).await?.is_some() {
        return Err(Error::invalid(
            "email",
            format!("a user with email {email} already exists"),
        ));
    }
    // A removed user added again comes back, as given now: their past work stays theirs.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, name, role, created_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (email) DO UPDATE SET name = ?2, role = ?3, removed_at = NULL RETURNING id",
    )
    .bind(&email)
    .bind(name)
    .bind(role.as_str())
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    if let Some(team) = team.map(str::trim).filter(|t| !t.is_empty()) {
        join(&mut tx, id, team).await?;
    }
    let user = find_by_id(&mut tx, id).await?;
    tx.commit().await?;
    Ok(user)
}

/// The contacts `user` may see: an Admin all, a Team Manager their teams' members', a
/// Member their own.
pub async fn scope(conn: &mut SqliteConnection, user: &User) -> Result<Scope> {
    Ok(match user.role {
        Role::Admin => Scope::All,
        Role::Member => Scope::Owners(vec![user.id]),
        Role::TeamManager => {
            let mut ids: Vec<i64> = sqlx::query_scalar(
                "SELECT DISTINCT m2.user_id FROM team_members m1 \
                 JOIN team_members m2 ON m2.team_id = m1.team_id WHERE m1.user_id = ?",
            )
            .bind(user.id)
            .fetch_all(&mut *conn)
            .await?;
            if !ids.contains(&user.id) {
                ids.push(user.id);
            }
            Scope::Owners(ids)
        }
    })
}

impl Scope {
    pub fn allows(&self, owner_id: i64) -> bool {
        match self {
            Scope::All => true,
            Scope::Owners(ids) => ids.contains(&owner_id),
        }
    }

    /// An activity (and its notifications) is visible with its contact, or to whoever may
    /// see its host's work; a deleted contact's activity has no owner left.
    pub fn allows_activity(&self, contact_owner: Option<i64>, host_id: i64) -> bool {
        contact_owner.is_some_and(|o| self.allows(o)) || self.allows(host_id)
    }
}
