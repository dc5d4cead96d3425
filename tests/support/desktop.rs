//! A desktop session for tests that need the real OS keyring: a session bus with an
//! unlocked gnome-keyring (the Secret Service) in a throwaway HOME and XDG_RUNTIME_DIR,
//! alive as long as the value. Included by the CLI and window test binaries with `#[path]`.

use std::ffi::OsString;
use std::process::{Child, Command, Stdio};

/// A session bus with an unlocked gnome-keyring (Secret Service), alive as long as the test,
/// in a throwaway HOME and XDG_RUNTIME_DIR: what a desktop session gives the app.
pub struct Desktop {
    child: Child,
    pub address: String,
    dir: tempfile::TempDir,
}

impl Desktop {
    pub fn start() -> Desktop {
        use std::io::BufRead;
        use std::os::unix::fs::PermissionsExt;
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().unwrap();
        let (home, run) = (dir.path().join("home"), dir.path().join("run"));
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&run).unwrap();
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        let mut child = Command::new("dbus-run-session")
            .args([
                "--",
                "sh",
                "-c",
                "printf %s unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null \
                 && echo \"$DBUS_SESSION_BUS_ADDRESS\" && exec sleep 3600",
            ])
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", &run)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdout(Stdio::piped())
            // The bus's chatter (fd limits, the accessibility bus it starts for GTK).
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("dbus-run-session (apt: dbus gnome-keyring)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains("unix:"), "no session bus: {line:?}");
        Desktop {
            child,
            address: line.trim().to_string(),
            dir,
        }
    }

    /// The environment that puts a process in this session.
    pub fn env(&self) -> Vec<(&'static str, OsString)> {
        vec![
            ("DBUS_SESSION_BUS_ADDRESS", OsString::from(&self.address)),
            ("HOME", self.dir.path().join("home").into_os_string()),
            (
                "XDG_RUNTIME_DIR",
                self.dir.path().join("run").into_os_string(),
            ),
        ]
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // The whole group: dbus-run-session, its bus and the keyring daemon. Debian 12's
        // procps kill reads `kill -9 -PGID` as kill(-1, SIGKILL), every process there is:
        // the group goes after `--`.
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}
