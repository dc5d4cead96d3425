//! The files the user chose to import, in the open dialog or by dropping them on the window:
//! Rust keeps their paths and the webview gets an opaque handle for each, so a page can only
//! ever have Rust read a file the user picked, and only a regular file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use cardfile_core::import::read::regular_file;
use cardfile_core::Error;
use serde::Serialize;

/// A file the user chose, as the webview knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct ImportFile {
    /// Stands for the file in `preview_import` and `run_import`; means nothing else.
    pub handle: String,
    /// The file's name without its folder, for the import dialog to show.
    pub name: String,
}

/// The paths behind the handles handed out while the app runs.
#[derive(Default)]
pub struct ImportFiles {
    paths: Mutex<HashMap<String, PathBuf>>,
}

impl ImportFiles {
    /// Keeps `path`, which the user chose or dropped, and returns the handle that stands for it.
    pub fn keep(&self, path: PathBuf) -> ImportFile {
        let mut paths = self.paths.lock().unwrap_or_else(|e| e.into_inner());
        let handle = format!("file-{}", paths.len() + 1);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        paths.insert(handle.clone(), path);
        ImportFile { handle, name }
    }

    /// The path behind `handle`, once it is known to be a regular file. Any other handle is
    /// refused: the webview cannot name a path itself.
    pub fn path(&self, handle: &str) -> Result<PathBuf, Error> {
        let path = self
            .paths
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(handle)
            .cloned()
            .ok_or_else(|| {
                Error::NotFound(
                    "that file was not chosen in Cardfile: choose it with Import CSV or drop it on the window".into(),
                )
            })?;
        regular_file(&path)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cardfile_core::ErrorCode;

    #[test]
    fn a_kept_regular_file_is_found_by_its_handle_and_named_without_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("contacts.csv");
        std::fs::write(&csv, "Email\nann@acme.com\n").unwrap();
        let files = ImportFiles::default();
        let file = files.keep(csv.clone());
        assert_eq!(file.name, "contacts.csv");
        assert!(!file.handle.contains('/'), "a handle, not a path");
        assert_eq!(files.path(&file.handle).unwrap(), csv);
    }

    #[test]
    fn an_unknown_handle_or_a_path_in_its_place_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("contacts.csv");
        std::fs::write(&csv, "Email\nann@acme.com\n").unwrap();
        let files = ImportFiles::default();
        files.keep(csv.clone());
        for handle in ["file-2", "", csv.to_str().unwrap(), "/dev/zero"] {
            let e = files.path(handle).unwrap_err();
            assert_eq!(e.code(), ErrorCode::NotFound, "{handle}: {e}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_a_device_or_a_fifo_is_refused_with_what_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.csv");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let files = ImportFiles::default();
        for (path, said) in [
            (PathBuf::from("/dev/zero"), "not a regular file"),
            (fifo, "not a regular file"),
            (dir.path().to_path_buf(), "a folder"),
        ] {
            let handle = files.keep(path.clone()).handle;
            let e = files.path(&handle).unwrap_err();
            assert_eq!(e.code(), ErrorCode::Invalid, "{}", path.display());
            assert!(e.to_string().contains(said), "{}: {e}", path.display());
        }
    }
}
