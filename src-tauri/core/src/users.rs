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

pub async fn find_by_email(conn: &mut SqliteConnection, email: &str) -> Result<Option<User>> {
    let row: Option<UserRow> =
        sqlx::query_as("SELECT id, email, name, role, created_at FROM users WHERE email = ?")
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
            find_by_id(&mut conn, id).await
        }
    }
}

/// Adds a user (Admins only), putting them in `team` (created when new).
pub async fn add(
    store: &Store,
    actor: &User,
    email: &str,
    name: &str,
    role: Role,
    team: Option<&str>,
) -> Result<User> {
    if actor.role != Role::Admin {
        return Err(Error::Forbidden("only an Admin can add users".into()));
    }
    let email = record::normalize_email(email)?
        .ok_or_else(|| Error::invalid("email", "a user needs an email"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "a user needs a name"));
    }
    let mut tx = store.write().await?;
    if find_by_email(&mut tx, &email).await?.is_some() {
        return Err(Error::invalid(
            "email",
            format!("a user with email {email} already exists"),
        ));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, name, role, created_at) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(&email)
    .bind(name)
    .bind(role.as_str())
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    if let Some(team) = team.map(str::trim).filter(|t| !t.is_empty()) {
        sqlx::query("INSERT INTO teams (name) VALUES (?) ON CONFLICT (name) DO NOTHING")
            .bind(team)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO team_members (team_id, user_id) SELECT id, ? FROM teams WHERE name = ?",
        )
        .bind(id)
        .bind(team)
        .execute(&mut *tx)
        .await?;
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
