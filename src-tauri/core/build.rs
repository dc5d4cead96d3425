//! Rebuilds the crate when a migration is added, since `sqlx::migrate!` embeds the folder.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
