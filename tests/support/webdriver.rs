//! The real window through tauri-driver and WebKitWebDriver, as the window tests and the
//! type-ahead benchmark open it: tauri-driver on free ports, the app given as `tauri:options`,
//! and a few tries, since tauri-driver listens before its WebKitWebDriver does (a session
//! asked for in between has its connection dropped).

use std::ffi::OsStr;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use thirtyfour::prelude::*;

/// tauri-driver, stopped with SIGTERM so it also stops WebKitWebDriver and the app.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn tauri_driver_path() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let installed = home.join("bin/tauri-driver");
    if installed.exists() {
        installed
    } else {
        PathBuf::from("tauri-driver")
    }
}

/// Opens `application` through a new tauri-driver whose environment gets `env` (tauri-driver's
/// `tauri:options` take no environment: WebKitWebDriver starts the app with tauri-driver's),
/// three tries; the driver (which stops it all when dropped) and the session.
pub async fn open(
    application: &Path,
    env: &[(&str, &OsStr)],
) -> Result<(Driver, WebDriver), String> {
    // The WebDriver client's reqwest has rustls with ring as its crypto.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut last_error = String::new();
    for attempt in 1..=3 {
        let port = free_port();
        let child = Command::new(tauri_driver_path())
            .args(["--port", &port.to_string()])
            .args(["--native-port", &free_port().to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("tauri-driver (cargo install tauri-driver --locked): {e}"))?;
        let driver = Driver(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(20) {
                return Err("tauri-driver did not start".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut caps = Capabilities::new();
        caps.set("tauri:options", json!({ "application": application }))
            .unwrap();
        caps.set("browserName", "wry").unwrap();
        match WebDriver::new(format!("http://127.0.0.1:{port}"), caps).await {
            Ok(web) => return Ok((driver, web)),
            Err(e) => {
                eprintln!("no WebDriver session on attempt {attempt} ({e})");
                last_error = e.to_string();
            }
        }
    }
    Err(format!(
        "no WebDriver session after 3 attempts: {last_error}"
    ))
}
