//! The app's secret store: the OS keyring (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows), under the service name "cardfile".

use cardfile_core::secrets::{check_value, SecretStore};
use cardfile_core::{Error, Result};

const SERVICE: &str = "cardfile";

pub struct Keyring;

fn entry(name: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, name).map_err(unavailable)
}

// The keyring's errors name the entry and the platform's reason, never the secret.
fn unavailable(e: keyring::Error) -> Error {
    Error::Internal(format!("the OS keyring is not available: {e}{}", remedy()))
}

/// How to reach the keyring again. On Linux it is the Secret Service on the session bus,
/// which cron and ssh do not give a process: the usual reason it cannot be reached.
fn remedy() -> &'static str {
    if cfg!(target_os = "linux") && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        " (there is no session bus here, as under cron or ssh: run it in your desktop session, \
         or give it that session's bus with DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$(id -u)/bus)"
    } else {
        " (start or unlock the keyring, then try again)"
    }
}

impl SecretStore for Keyring {
    fn get(&self, name: &str) -> Result<Option<String>> {
        match entry(name)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<()> {
        check_value(name, value)?;
        entry(name)?.set_password(value).map_err(unavailable)
    }

    fn delete(&self, name: &str) -> Result<()> {
        match entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}
