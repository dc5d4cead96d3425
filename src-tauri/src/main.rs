//! Cardfile's one binary: with a command it is the command line (and never opens a
//! window); with none it opens the window on the database.

#![cfg_attr(
    all(not(debug_assertions), target_os = "windows"),
    windows_subsystem = "windows"
)]

mod cli;
mod cloud;
mod import_files;
mod integrations;
mod ipc;
mod keyring_store;
mod local_api;
mod notifications;
mod people;
mod refused;
mod settings;
mod window;
mod workers;

use clap::Parser;

/// mimalloc, for Rust's allocations and SQLite's (it overrides malloc): with glibc's, a
/// million-row import spent about 15% of its time allocating and freeing.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // WebKitWebDriver starts the app with --automation; it is not a Cardfile option.
    let args = std::env::args_os().filter(|a| a != "--automation");
    let cli = cli::Cli::parse_from(args);
    let code = match cli.command {
        None => window::run(cli.db, cli.as_user),
        Some(command) => cli::run(cli.db, cli.as_user, command),
    };
    std::process::exit(code);
}
