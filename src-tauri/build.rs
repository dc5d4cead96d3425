//! Lets tauri-build read tauri.conf.json and the capabilities when the app is compiled.
fn main() {
    tauri_build::build()
}
