//! SQLite statements stepped straight on sqlx's own connection (its raw handle, inside the
//! caller's transaction), for the funnel's bulk writes: binding a million rows through sqlx's
//! general query path costs several times what SQLite's work does.

use std::ffi::{c_int, CStr, CString};
use std::marker::PhantomData;
use std::ptr::NonNull;

use libsqlite3_sys as ffi;
use sqlx::sqlite::LockedSqliteHandle;

use crate::error::{Error, Result};

/// A value to bind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'a> {
    Int(i64),
    Text(Option<&'a str>),
    Bool(Option<bool>),
}

/// The connection a locked handle holds: statements borrow it, so they cannot outlive the lock.
pub(crate) struct Connection<'h> {
    db: NonNull<ffi::sqlite3>,
    _lock: PhantomData<&'h mut ()>,
}

impl<'h> Connection<'h> {
    pub(crate) fn new(handle: &'h mut LockedSqliteHandle<'_>) -> Connection<'h> {
        Connection {
            db: handle.as_raw_handle(),
            _lock: PhantomData,
        }
    }
}

/// A prepared statement on a locked connection.
pub(crate) struct Statement<'h> {
    db: NonNull<ffi::sqlite3>,
    stmt: NonNull<ffi::sqlite3_stmt>,
    _lock: PhantomData<&'h mut ()>,
}

fn failure(db: NonNull<ffi::sqlite3>, what: &str) -> Error {
    // SAFETY: `db` is an open connection; sqlite3_errmsg returns a NUL-terminated string it owns.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) }.to_string_lossy();
    Error::Internal(format!("{what}: {message}"))
}

impl<'h> Statement<'h> {
    /// Prepares `sql` on `conn`.
    pub(crate) fn prepare(conn: &'h Connection<'_>, sql: &str) -> Result<Statement<'h>> {
        let db = conn.db;
        let sql = CString::new(sql).map_err(|_| Error::Internal("SQL with a NUL".into()))?;
        let mut stmt = std::ptr::null_mut();
        // SAFETY: `db` is open; `sql` is NUL-terminated; `stmt` receives the new statement.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db.as_ptr(),
                sql.as_ptr(),
                -1,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        match NonNull::new(stmt) {
            Some(stmt) if rc == ffi::SQLITE_OK => Ok(Statement {
                db,
                stmt,
                _lock: PhantomData,
            }),
            _ => Err(failure(db, "cannot prepare the import's statement")),
        }
    }

    /// Binds `values` to the parameters in order and runs the statement once.
    pub(crate) fn run(&mut self, values: &[Value<'_>]) -> Result<()> {
        let s = self.stmt.as_ptr();
        for (i, v) in values.iter().enumerate() {
            let at = (i + 1) as c_int;
            // SAFETY: `s` is a prepared statement; a text is borrowed for this call only
            // (SQLITE_STATIC), its bindings cleared before `run` returns.
            let rc = unsafe {
                match v {
                    Value::Int(n) => ffi::sqlite3_bind_int64(s, at, *n),
                    // An empty text still needs a valid pointer.
                    Value::Text(Some("")) => ffi::sqlite3_bind_text64(
                        s,
                        at,
                        c"".as_ptr(),
                        0,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                    Value::Text(Some(t)) => ffi::sqlite3_bind_text64(
                        s,
                        at,
                        t.as_ptr().cast(),
                        t.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                    Value::Bool(Some(b)) => ffi::sqlite3_bind_int64(s, at, *b as i64),
                    Value::Text(None) | Value::Bool(None) => ffi::sqlite3_bind_null(s, at),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(failure(self.db, "cannot bind an import value"));
            }
        }
        // SAFETY: as above; reset makes the statement ready for the next row.
        let rc = unsafe { ffi::sqlite3_step(s) };
        let reset = unsafe { ffi::sqlite3_reset(s) };
        // SAFETY: as above. Texts were bound without a copy (they outlive this call): no
        // binding may point at them once it returns.
        unsafe { ffi::sqlite3_clear_bindings(s) };
        if rc != ffi::SQLITE_DONE || reset != ffi::SQLITE_OK {
            return Err(failure(self.db, "cannot write an imported row"));
        }
        Ok(())
    }
}

impl Drop for Statement<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared by us and is finalized exactly once.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}
