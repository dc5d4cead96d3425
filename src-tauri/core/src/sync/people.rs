//! The account's users and teams become Cardfile's users: roles from `role_name` (Account
//! Owner and Administrator are Admins), teams by name from `GET /teams`, each user's teams
//! from `user.teams`. The signed-in user is first the account the key names.

use serde_json::Value;

use super::client::{id_of, Failure};
use super::Cloud;
use crate::error::{Error, Result};
use crate::settings;
use crate::store::now;
use crate::users::Role;

fn role(name: Option<&str>) -> Role {
    match name.unwrap_or("").trim() {
        "Account Owner" | "Administrator" => Role::Admin,
        "Team Manager" => Role::TeamManager,
        _ => Role::Member,
    }
}

fn text<'v>(item: &'v Value, key: &str) -> Option<&'v str> {
    item.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Cloud<'_> {
    /// Pulls users and teams; `account` (on connect) becomes the signed-in user. An
    /// unreachable cloud leaves the users as they are, for the next run.
    pub(super) async fn pull_people(&self, account: Option<&str>) -> Result<()> {
        self.report("users", 0);
        let fetched = match self.client.all(self.store, "/teams").await? {
            Ok(teams) => match self.client.all(self.store, "/users").await? {
                Ok(users) => Ok((teams, users)),
                Err(f) => Err(f),
            },
            Err(f) => Err(f),
        };
        let (teams, users) = match fetched {
            Ok(both) => both,
            Err(Failure::Key(message)) => return Err(Error::Forbidden(message)),
            Err(_) => return Ok(()),
        };
        let mut tx = self.store.write().await?;
        let mut team_names = std::collections::HashMap::new();
        for team in &teams {
            if let (Some(id), Some(name)) = (id_of(team), text(team, "name")) {
                sqlx::query("INSERT INTO teams (name) VALUES (?) ON CONFLICT (name) DO NOTHING")
                    .bind(name)
                    .execute(&mut *tx)
                    .await?;
                team_names.insert(id, name.to_string());
            }
        }
        for user in &users {
            let (Some(remote_id), Some(email)) = (id_of(user), text(user, "email")) else {
                continue;
            };
            let email = email.to_lowercase();
            let name = [text(user, "first_name"), text(user, "last_name")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let name = if name.is_empty() { email.clone() } else { name };
            let role = role(text(user, "role_name"));
            // The same person: by cloud id, else by email (a local user the account names).
            let known: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM users WHERE remote_id = ? UNION ALL SELECT id FROM users WHERE email = ? LIMIT 1",
            )
            .bind(&remote_id)
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
            let id: i64 = match known {
                Some(id) => {
                    sqlx::query(
                        "UPDATE users SET remote_id = ?, email = ?, name = ?, role = ? WHERE id = ?",
                    )
                    .bind(&remote_id)
                    .bind(&email)
                    .bind(&name)
                    .bind(role.as_str())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    id
                }
                None => {
                    sqlx::query_scalar(
                        "INSERT INTO users (email, name, role, created_at, remote_id) VALUES (?, ?, ?, ?, ?) RETURNING id",
                    )
                    .bind(&email)
                    .bind(&name)
                    .bind(role.as_str())
                    .bind(now())
                    .bind(&remote_id)
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            sqlx::query("DELETE FROM team_members WHERE user_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let member_of = user
                .get("teams")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for team in member_of.iter().filter_map(Value::as_str) {
                if let Some(name) = team_names.get(team) {
                    sqlx::query(
                        "INSERT OR IGNORE INTO team_members (team_id, user_id) SELECT id, ? FROM teams WHERE name = ?",
                    )
                    .bind(id)
                    .bind(name)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            if account == Some(email.as_str()) {
                settings::put(&mut tx, settings::USER, &id.to_string()).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
