//! Where passwords and tokens live: behind `SecretStore`, the OS keyring in the app and a
//! memory store in tests. They never reach the database, the logs or the webview.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{Error, Result};

/// The SMTP server's password (for the user named in the `smtp` setting).
pub const SMTP_PASSWORD: &str = "smtp-password";
/// The SMS gateway's auth token (for the `sms_account` setting's account).
pub const SMS_TOKEN: &str = "sms-token";

/// The OnceHub account's API key (for the `cloud_url` setting's account).
pub const ONCEHUB_KEY: &str = "oncehub-api-key";

pub trait SecretStore: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<String>>;
    fn set(&self, name: &str, value: &str) -> Result<()>;
    fn delete(&self, name: &str) -> Result<()>;
}

/// Refuses an empty secret: storing one would only hide a mistake until the next dispatch.
pub fn check_value(name: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid("secret", format!("{name} is empty")));
    }
    Ok(())
}

/// Secrets held in memory for one process: for tests only (the app uses the OS keyring).
#[derive(Default)]
pub struct MemorySecrets {
    values: Mutex<HashMap<String, String>>,
}

impl MemorySecrets {
    fn values(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // A panic elsewhere cannot leave a map half-written: keep using it.
        self.values.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SecretStore for MemorySecrets {
    fn get(&self, name: &str) -> Result<Option<String>> {
        Ok(self.values().get(name).cloned())
    }

    fn set(&self, name: &str, value: &str) -> Result<()> {
        check_value(name, value)?;
        self.values().insert(name.to_string(), value.to_string());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<()> {
        self.values().remove(name);
        Ok(())
    }
}
