//! SQLite statements stepped straight on sqlx's own connection (its raw handle, inside the
//! caller's transaction), for an import's writes and reads: binding a million rows through
//! sqlx's general query path costs several times what SQLite's work does, and sqlx hands
//! every row it reads from its connection's thread to the caller's (two thread wake-ups).

use std::ffi::{c_int, CStr, CString};
use std::marker::PhantomData;
use std::ops::Not;
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

    /// The connection SQLite hands a virtual table's callbacks (`new_words`), or None for null.
    ///
    /// # Safety
    /// `db` is an open connection that outlives the returned value, used by no other thread
    /// meanwhile (SQLite runs the callback on the connection's own thread, inside its call).
    pub(crate) unsafe fn from_raw(db: *mut ffi::sqlite3) -> Option<Connection<'h>> {
        NonNull::new(db).map(|db| Connection {
            db,
            _lock: PhantomData,
        })
    }

    /// The raw connection, for what SQLite is told about it (`new_words::register_on`).
    pub(crate) fn raw(&self) -> *mut ffi::sqlite3 {
        self.db.as_ptr()
    }

    /// SQLite's code for the connection's last failure (SQLITE_INTERRUPT for a Cancel).
    pub(crate) fn error_code(&self) -> c_int {
        // SAFETY: `db` is open.
        unsafe { ffi::sqlite3_errcode(self.db.as_ptr()) }
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

    /// Binds `values` to the parameters in order.
    fn bind(&mut self, values: &[Value<'_>]) -> Result<()> {
        let s = self.stmt.as_ptr();
        for (i, v) in values.iter().enumerate() {
            let at = (i + 1) as c_int;
            // SAFETY: `s` is a prepared statement; a text is borrowed until `finish` clears
            // the bindings, before `run` or `query` returns (SQLITE_STATIC).
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
                self.finish();
                return Err(failure(self.db, "cannot bind an import value"));
            }
        }
        Ok(())
    }

    /// Makes the statement ready for its next use, with no binding left pointing at the
    /// caller's texts. SQLite's answer is the step's error, already seen.
    fn finish(&mut self) -> c_int {
        // SAFETY: `stmt` is a prepared statement.
        unsafe {
            let reset = ffi::sqlite3_reset(self.stmt.as_ptr());
            ffi::sqlite3_clear_bindings(self.stmt.as_ptr());
            reset
        }
    }

    /// Binds `values` to the parameters in order and runs the statement once.
    pub(crate) fn run(&mut self, values: &[Value<'_>]) -> Result<()> {
        self.bind(values)?;
        // SAFETY: a prepared statement with its values bound.
        let rc = unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) };
        let reset = self.finish();
        if rc != ffi::SQLITE_DONE || reset != ffi::SQLITE_OK {
            return Err(failure(self.db, "cannot write an imported row"));
        }
        Ok(())
    }

    /// Binds `values`, then hands each row the statement returns to `each`.
    pub(crate) fn query(
        &mut self,
        values: &[Value<'_>],
        mut each: impl FnMut(&Columns<'_>) -> Result<()>,
    ) -> Result<()> {
        self.bind(values)?;
        loop {
            // SAFETY: a prepared statement with its values bound.
            match unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) } {
                ffi::SQLITE_ROW => {
                    let row = Columns {
                        stmt: self.stmt,
                        _row: PhantomData,
                    };
                    if let Err(e) = each(&row) {
                        self.finish();
                        return Err(e);
                    }
                }
                ffi::SQLITE_DONE => break,
                _ => {
                    let error = failure(self.db, "cannot read during the import");
                    self.finish();
                    return Err(error);
                }
            }
        }
        match self.finish() {
            ffi::SQLITE_OK => Ok(()),
            _ => Err(failure(self.db, "cannot read during the import")),
        }
    }
}

/// The row a query stands on, its columns read by position.
pub(crate) struct Columns<'s> {
    stmt: NonNull<ffi::sqlite3_stmt>,
    _row: PhantomData<&'s ()>,
}

impl Columns<'_> {
    pub(crate) fn int(&self, at: usize) -> i64 {
        // SAFETY: the statement stands on a row; an out-of-range column reads as 0.
        unsafe { ffi::sqlite3_column_int64(self.stmt.as_ptr(), at as c_int) }
    }

    pub(crate) fn flag(&self, at: usize) -> Option<bool> {
        self.is_null(at).not().then(|| self.int(at) != 0)
    }

    /// A column's text as bytes, empty for NULL; valid until the statement steps again.
    pub(crate) fn bytes(&self, at: usize) -> &[u8] {
        let s = self.stmt.as_ptr();
        // SAFETY: the statement stands on a row, and cannot step while `self` is borrowed.
        // The text pointer is read before its length, as SQLite asks.
        unsafe {
            let text = ffi::sqlite3_column_text(s, at as c_int);
            let len = usize::try_from(ffi::sqlite3_column_bytes(s, at as c_int)).unwrap_or(0);
            match text.is_null() {
                true => &[],
                false => std::slice::from_raw_parts(text, len),
            }
        }
    }

    pub(crate) fn text(&self, at: usize) -> Result<Option<String>> {
        if self.is_null(at) {
            return Ok(None);
        }
        String::from_utf8(self.bytes(at).to_vec())
            .map(Some)
            .map_err(|_| Error::Internal(format!("column {at} holds text that is not UTF-8")))
    }

    /// A text SQLite's schema never leaves NULL.
    pub(crate) fn required_text(&self, at: usize) -> Result<String> {
        self.text(at)?
            .ok_or_else(|| Error::Internal(format!("column {at} is NULL")))
    }

    fn is_null(&self, at: usize) -> bool {
        // SAFETY: the statement stands on a row.
        unsafe { ffi::sqlite3_column_type(self.stmt.as_ptr(), at as c_int) == ffi::SQLITE_NULL }
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
