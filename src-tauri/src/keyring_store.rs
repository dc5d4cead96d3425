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
    Error::Internal(format!("the OS keyring is not available: {e}"))
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
