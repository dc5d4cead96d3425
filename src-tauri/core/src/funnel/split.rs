//! `cardfile_words(text)`: a table-valued function giving the words of a contact's search
//! text (`contacts.search_text`: its words, each after a space), one row each, for an
//! import's new contacts' search terms. SQLite has no split: built from JSON (`json_each`
//! over the text with its spaces replaced by `","`), the strings built and parsed for every
//! contact cost the thread that feeds the words' sort about 3 core-seconds at a million
//! contacts (the step took 6.1-7.8 s that way, 5.0-6.6 s with this); this walks the text
//! in place.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;

use libsqlite3_sys as ffi;

use super::ffi::Connection;
use crate::error::{Error, Result};

/// The function's name, as SQLite is told it.
const NAME: &CStr = c"cardfile_words";

/// The function's name in SQL.
pub const WORDS_FUNCTION: &str = match NAME.to_str() {
    Ok(name) => name,
    Err(_) => panic!("the function's name is ASCII"),
};

/// The words of each contact `c` in SQL, as rows `w.value` (each non-empty), on a
/// connection the function is registered on (`register_on`).
pub fn contact_words_sql() -> String {
    format!("{WORDS_FUNCTION}(c.search_text) w")
}

/// Makes `cardfile_words` known to the connection behind `conn` (again, if it was: the
/// newer replaces it, and a statement prepared with the older keeps its own reference).
pub async fn register_on(conn: &mut sqlx::SqliteConnection) -> Result<()> {
    let mut handle = conn.lock_handle().await?;
    let conn = Connection::new(&mut handle);
    // SAFETY: the connection is open and locked here; the module is a static that outlives
    // it, and holds no data of its own.
    let rc = unsafe {
        ffi::sqlite3_create_module_v2(conn.raw(), NAME.as_ptr(), &MODULE, ptr::null_mut(), None)
    };
    match rc {
        ffi::SQLITE_OK => Ok(()),
        rc => Err(Error::Internal(format!(
            "cannot make {WORDS_FUNCTION} known to SQLite (code {rc})"
        ))),
    }
}

/// An eponymous-only virtual table (no CREATE VIRTUAL TABLE): read-only, its one argument
/// the hidden column `text`.
static MODULE: ffi::sqlite3_module = ffi::sqlite3_module {
    iVersion: 1,
    xCreate: None,
    xConnect: Some(connect),
    xBestIndex: Some(best_index),
    xDisconnect: Some(disconnect),
    xDestroy: None,
    xOpen: Some(open),
    xClose: Some(close),
    xFilter: Some(filter),
    xNext: Some(next),
    xEof: Some(eof),
    xColumn: Some(column),
    xRowid: Some(rowid),
    // SAFETY: the rest are optional callbacks; all zeroes is None for each.
    ..unsafe { std::mem::zeroed() }
};

/// The columns: the word, then the text it is of (hidden: the function's argument).
const VALUE: c_int = 0;
const TEXT: c_int = 1;

/// A cursor over one text's words: the text (copied: SQLite's value may not outlive the
/// call that gives it) and where the current word starts and ends.
#[repr(C)]
struct Cursor {
    base: ffi::sqlite3_vtab_cursor,
    text: Vec<u8>,
    start: usize,
    end: usize,
    row: i64,
}

impl Cursor {
    /// Moves to the next word at or after `from`: runs of bytes other than a space.
    fn seek(&mut self, from: usize) {
        let text = &self.text;
        let start = (from..text.len())
            .find(|&i| text[i] != b' ')
            .unwrap_or(text.len());
        let end = (start..text.len())
            .find(|&i| text[i] == b' ')
            .unwrap_or(text.len());
        self.start = start;
        self.end = end;
    }
}

unsafe extern "C" fn connect(
    db: *mut ffi::sqlite3,
    _aux: *mut c_void,
    _argc: c_int,
    _argv: *const *const c_char,
    vtab: *mut *mut ffi::sqlite3_vtab,
    _error: *mut *mut c_char,
) -> c_int {
    let schema: &CStr = c"CREATE TABLE x(value TEXT, text HIDDEN)";
    // SAFETY: `db` is the connection SQLite is connecting the table on.
    let rc = unsafe { ffi::sqlite3_declare_vtab(db, schema.as_ptr()) };
    if rc != ffi::SQLITE_OK {
        return rc;
    }
    // SAFETY: all zeroes is the empty vtab SQLite expects (it fills in what it uses).
    let table: Box<ffi::sqlite3_vtab> = Box::new(unsafe { std::mem::zeroed() });
    // SAFETY: `vtab` is where SQLite takes the new table from.
    unsafe { *vtab = Box::into_raw(table) };
    ffi::SQLITE_OK
}

unsafe extern "C" fn disconnect(vtab: *mut ffi::sqlite3_vtab) -> c_int {
    // SAFETY: made by `connect` with Box::into_raw, and given back once.
    drop(unsafe { Box::from_raw(vtab) });
    ffi::SQLITE_OK
}

/// Usable only with its text given (`cardfile_words(x)`, an equality on `text`).
unsafe extern "C" fn best_index(
    _vtab: *mut ffi::sqlite3_vtab,
    info: *mut ffi::sqlite3_index_info,
) -> c_int {
    // SAFETY: SQLite gives a valid index info with nConstraint constraints and as many usages.
    let info = unsafe { &mut *info };
    let count = usize::try_from(info.nConstraint).unwrap_or(0);
    for i in 0..count {
        // SAFETY: i < nConstraint.
        let constraint = unsafe { &*info.aConstraint.add(i) };
        if constraint.iColumn == TEXT
            && c_int::from(constraint.op) == ffi::SQLITE_INDEX_CONSTRAINT_EQ
            && constraint.usable != 0
        {
            // SAFETY: i < nConstraint.
            let usage = unsafe { &mut *info.aConstraintUsage.add(i) };
            usage.argvIndex = 1;
            usage.omit = 1;
            info.estimatedCost = 10.0;
            info.estimatedRows = 10;
            return ffi::SQLITE_OK;
        }
    }
    // Without its text there is nothing to split.
    ffi::SQLITE_CONSTRAINT
}

unsafe extern "C" fn open(
    _vtab: *mut ffi::sqlite3_vtab,
    cursor: *mut *mut ffi::sqlite3_vtab_cursor,
) -> c_int {
    let new = Box::new(Cursor {
        // SAFETY: all zeroes is the base SQLite expects (it fills in what it uses).
        base: unsafe { std::mem::zeroed() },
        text: Vec::new(),
        start: 0,
        end: 0,
        row: 0,
    });
    // SAFETY: `cursor` is where SQLite takes the new cursor from; `base` is its first field.
    unsafe { *cursor = Box::into_raw(new).cast() };
    ffi::SQLITE_OK
}

unsafe extern "C" fn close(cursor: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    // SAFETY: made by `open` with Box::into_raw, and given back once.
    drop(unsafe { Box::from_raw(cursor.cast::<Cursor>()) });
    ffi::SQLITE_OK
}

unsafe extern "C" fn filter(
    cursor: *mut ffi::sqlite3_vtab_cursor,
    _index: c_int,
    _index_name: *const c_char,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) -> c_int {
    // SAFETY: made by `open`.
    let cursor = unsafe { &mut *cursor.cast::<Cursor>() };
    cursor.text.clear();
    cursor.row = 0;
    if argc >= 1 {
        // SAFETY: argv holds argc values; the text SQLite gives is `bytes` long and valid
        // until the value changes, and is copied here before this call returns.
        unsafe {
            let value = *argv;
            let text = ffi::sqlite3_value_text(value);
            let bytes = usize::try_from(ffi::sqlite3_value_bytes(value)).unwrap_or(0);
            if !text.is_null() {
                cursor
                    .text
                    .extend_from_slice(std::slice::from_raw_parts(text, bytes));
            }
        }
    }
    cursor.seek(0);
    ffi::SQLITE_OK
}

unsafe extern "C" fn next(cursor: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    // SAFETY: made by `open`.
    let cursor = unsafe { &mut *cursor.cast::<Cursor>() };
    cursor.row += 1;
    let from = cursor.end;
    cursor.seek(from);
    ffi::SQLITE_OK
}

unsafe extern "C" fn eof(cursor: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    // SAFETY: made by `open`.
    let cursor = unsafe { &*cursor.cast::<Cursor>() };
    c_int::from(cursor.start >= cursor.text.len())
}

unsafe extern "C" fn column(
    cursor: *mut ffi::sqlite3_vtab_cursor,
    context: *mut ffi::sqlite3_context,
    at: c_int,
) -> c_int {
    // SAFETY: made by `open`.
    let cursor = unsafe { &*cursor.cast::<Cursor>() };
    let bytes = match at {
        VALUE => cursor
            .text
            .get(cursor.start..cursor.end)
            .unwrap_or_default(),
        _ => &cursor.text[..],
    };
    // SAFETY: `context` is the column's; SQLite copies the bytes (SQLITE_TRANSIENT). The
    // text is a slice of UTF-8 cut at spaces, so UTF-8 still.
    unsafe {
        ffi::sqlite3_result_text(
            context,
            bytes.as_ptr().cast(),
            c_int::try_from(bytes.len()).unwrap_or(0),
            ffi::SQLITE_TRANSIENT(),
        )
    };
    ffi::SQLITE_OK
}

unsafe extern "C" fn rowid(cursor: *mut ffi::sqlite3_vtab_cursor, row: *mut i64) -> c_int {
    // SAFETY: made by `open`; `row` is where SQLite takes the rowid from.
    unsafe { *row = (*cursor.cast::<Cursor>()).row };
    ffi::SQLITE_OK
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection as _, SqliteConnection};

    use super::*;

    async fn registered() -> SqliteConnection {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        register_on(&mut conn).await.unwrap();
        conn
    }

    #[tokio::test]
    async fn a_search_texts_words_come_one_row_each_in_order_without_empty_ones() {
        let mut conn = registered().await;
        let texts = [
            (
                " anna smith 42 +447700900123",
                vec!["anna", "smith", "42", "+447700900123"],
            ),
            ("  josé   ", vec!["josé"]),
            ("one", vec!["one"]),
            ("", vec![]),
            ("   ", vec![]),
        ];
        for (text, want) in texts {
            let got: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT value FROM {WORDS_FUNCTION}(?) ORDER BY rowid"
            ))
            .bind(text)
            .fetch_all(&mut conn)
            .await
            .unwrap();
            assert_eq!(got, want, "{text:?}");
        }
        // As a join: each row's words beside it; a NULL text has none.
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (1, ' b a'), (2, NULL), (3, ' c')")
            .execute(&mut conn)
            .await
            .unwrap();
        let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT t.id, w.value FROM t, {WORDS_FUNCTION}(t.s) w ORDER BY 1, 2"
        ))
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert_eq!(
            rows,
            vec![(1, "a".into()), (1, "b".into()), (3, "c".into())]
        );
    }

    #[tokio::test]
    async fn the_words_function_without_its_text_is_refused_not_run() {
        let mut conn = registered().await;
        let refused = sqlx::query(&format!("SELECT value FROM {WORDS_FUNCTION}"))
            .fetch_all(&mut conn)
            .await;
        assert!(refused.is_err());
    }
}
