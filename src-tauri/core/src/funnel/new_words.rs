//! `cardfile_new_words(first, from_index)`: a table-valued function giving the search words
//! of the contacts from id `first` on (`contacts.search_text`: its words, each after a
//! space), as rows (term, sort_name, contact_id) already in `search_terms`' order, for an
//! import's new contacts' search terms. It reads the contacts itself, on the connection the
//! statement runs on, and sorts their words outside SQLite (`word_sort`): the insert then
//! only appends, and SQLite's sorter is not used (in alternated million-row imports the
//! step took 5.4-5.65 s this way against 6.9-7.0 s with SQLite's sort, 4.4-5.0 s once the
//! merge had a thread of its own). Running inside the one statement keeps the import's
//! progress handler, and so Cancel, working throughout.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::PathBuf;
use std::ptr;

use libsqlite3_sys as ffi;

use super::ffi::{Connection, Statement, Value};
use super::word_sort::{WordSorter, Words};
use crate::error::{Error, Result};
use crate::words::WORDS_INDEX;

/// The function's name, as SQLite is told it.
const NAME: &CStr = c"cardfile_new_words";

/// The function's name in SQL.
pub const NEW_WORDS_FUNCTION: &str = match NAME.to_str() {
    Ok(name) => name,
    Err(_) => panic!("the function's name is ASCII"),
};

/// What the words' sort may hold in memory before it spills a run to a file beside the
/// database.
const SORT_BUDGET: usize = 32 << 20;

/// The statement that gives the contacts from id `first` on their search terms, on a
/// connection the function is registered on (`register_on`). `from_index`: their words are
/// read from `WORDS_INDEX` (which holds them), else from the table's rows.
pub fn insert_new_words_sql(first: i64, from_index: bool) -> String {
    format!(
        "INSERT INTO search_terms (term, sort_name, contact_id) \
         SELECT term, sort_name, contact_id FROM {NEW_WORDS_FUNCTION}({first}, {})",
        i32::from(from_index)
    )
}

/// Makes `cardfile_new_words` known to the connection behind `conn` (again, if it was: the
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
            "cannot make {NEW_WORDS_FUNCTION} known to SQLite (code {rc})"
        ))),
    }
}

/// An eponymous-only virtual table (no CREATE VIRTUAL TABLE): read-only, its two arguments
/// the hidden columns `first` and `from_index`.
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

/// The columns: the word, its contact's sort name and id, then the arguments (hidden).
const TERM: c_int = 0;
const SORT_NAME: c_int = 1;
const CONTACT_ID: c_int = 2;
const FIRST: c_int = 3;
const FROM_INDEX: c_int = 4;

/// The table: SQLite's part first, then the connection it is on (its contacts are read there).
#[repr(C)]
struct Table {
    base: ffi::sqlite3_vtab,
    db: *mut ffi::sqlite3,
}

/// A cursor over the words, merged from the sort's runs.
#[repr(C)]
struct Cursor {
    base: ffi::sqlite3_vtab_cursor,
    words: Option<Words>,
    row: i64,
}

unsafe extern "C" fn connect(
    db: *mut ffi::sqlite3,
    _aux: *mut c_void,
    _argc: c_int,
    _argv: *const *const c_char,
    vtab: *mut *mut ffi::sqlite3_vtab,
    _error: *mut *mut c_char,
) -> c_int {
    let schema: &CStr = c"CREATE TABLE x(term TEXT, sort_name TEXT, contact_id INTEGER, \
        first HIDDEN, from_index HIDDEN)";
    // SAFETY: `db` is the connection SQLite is connecting the table on.
    let rc = unsafe { ffi::sqlite3_declare_vtab(db, schema.as_ptr()) };
    if rc != ffi::SQLITE_OK {
        return rc;
    }
    let table = Box::new(Table {
        // SAFETY: all zeroes is the empty vtab SQLite expects (it fills in what it uses).
        base: unsafe { std::mem::zeroed() },
        db,
    });
    // SAFETY: `vtab` is where SQLite takes the new table from; `base` is its first field.
    unsafe { *vtab = Box::into_raw(table).cast() };
    ffi::SQLITE_OK
}

unsafe extern "C" fn disconnect(vtab: *mut ffi::sqlite3_vtab) -> c_int {
    // SAFETY: made by `connect` with Box::into_raw, and given back once.
    drop(unsafe { Box::from_raw(vtab.cast::<Table>()) });
    ffi::SQLITE_OK
}

/// Usable only with both arguments given (equalities on `first` and `from_index`).
unsafe extern "C" fn best_index(
    _vtab: *mut ffi::sqlite3_vtab,
    info: *mut ffi::sqlite3_index_info,
) -> c_int {
    // SAFETY: SQLite gives a valid index info with nConstraint constraints and as many usages.
    let info = unsafe { &mut *info };
    let count = usize::try_from(info.nConstraint).unwrap_or(0);
    let mut given = 0;
    for i in 0..count {
        // SAFETY: i < nConstraint.
        let constraint = unsafe { &*info.aConstraint.add(i) };
        let argument = match constraint.iColumn {
            FIRST => 1,
            FROM_INDEX => 2,
            _ => continue,
        };
        if c_int::from(constraint.op) == ffi::SQLITE_INDEX_CONSTRAINT_EQ && constraint.usable != 0 {
            // SAFETY: i < nConstraint.
            let usage = unsafe { &mut *info.aConstraintUsage.add(i) };
            usage.argvIndex = argument;
            usage.omit = 1;
            given |= argument;
        }
    }
    match given {
        3 => {
            info.estimatedCost = 1e6;
            ffi::SQLITE_OK
        }
        // Without its arguments there is nothing to read.
        _ => ffi::SQLITE_CONSTRAINT,
    }
}

unsafe extern "C" fn open(
    _vtab: *mut ffi::sqlite3_vtab,
    cursor: *mut *mut ffi::sqlite3_vtab_cursor,
) -> c_int {
    let new = Box::new(Cursor {
        // SAFETY: all zeroes is the base SQLite expects (it fills in what it uses).
        base: unsafe { std::mem::zeroed() },
        words: None,
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

/// Tells SQLite why the table failed, for the statement's error.
fn fail(vtab: *mut ffi::sqlite3_vtab, rc: c_int, why: &str) -> c_int {
    let why = CString::new(why.replace('\0', " ")).unwrap_or_default();
    // SAFETY: `vtab` is the table's; SQLite frees the message it is given with sqlite3_free,
    // so it is made with sqlite3_mprintf; an older message is freed first.
    unsafe {
        ffi::sqlite3_free((*vtab).zErrMsg.cast());
        (*vtab).zErrMsg = ffi::sqlite3_mprintf(c"%s".as_ptr(), why.as_ptr());
    }
    rc
}

/// Where the sort's runs are spilled: the database's own directory (a temporary directory
/// may be memory), else the system's temporary directory for a database without a file.
fn spill_dir(db: *mut ffi::sqlite3) -> PathBuf {
    // SAFETY: `db` is open; the name SQLite gives stays valid while the database is attached.
    let name = unsafe { ffi::sqlite3_db_filename(db, c"main".as_ptr()) };
    let path = match name.is_null() {
        true => None,
        // SAFETY: a NUL-terminated string SQLite owns, copied here.
        false => Some(PathBuf::from(
            unsafe { CStr::from_ptr(name) }
                .to_string_lossy()
                .into_owned(),
        )),
    };
    path.as_deref()
        .and_then(|p| p.parent())
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.to_path_buf())
        .unwrap_or_else(std::env::temp_dir)
}

/// Reads the contacts from id `first` on and sorts their words: SQLite's error code, and why.
fn sort_words(
    db: *mut ffi::sqlite3,
    first: i64,
    from_index: bool,
) -> std::result::Result<Words, (c_int, String)> {
    // In the order of the contacts' names and ids, which the sort keeps for equal words:
    // the name index gives it as it is; from the table's rows (the new ids' range, however
    // many contacts were there before) SQLite sorts them.
    let source = match from_index {
        true => format!("contacts INDEXED BY {WORDS_INDEX}"),
        false => "contacts NOT INDEXED".to_string(),
    };
    let sql = format!(
        "SELECT id, sort_name, search_text FROM {source} WHERE id >= ?1 ORDER BY sort_name, id"
    );
    // SAFETY: SQLite calls `filter`, and so this, on the connection's thread, with `db` open.
    let conn = unsafe { Connection::from_raw(db) }
        .ok_or_else(|| (ffi::SQLITE_MISUSE, "no connection".to_string()))?;
    // The statement's own message already says what failed (preparing or reading).
    let sqlite_failed = |e: Error| (conn.error_code(), e.to_string());
    let mut stmt = Statement::prepare(&conn, &sql).map_err(sqlite_failed)?;
    let mut sorter = WordSorter::new(SORT_BUDGET, spill_dir(db));
    let sort_failed = |e: std::io::Error| {
        (
            ffi::SQLITE_IOERR,
            format!("cannot sort the new contacts' words: {e}"),
        )
    };
    // A sorter failure stops the read; it is kept here, and reported before SQLite's.
    let mut sort_failure = None;
    let read = stmt.query(&[Value::Int(first)], |row| {
        sorter
            .push(row.int(0), row.bytes(1), row.bytes(2))
            .map_err(|e| {
                sort_failure = Some(sort_failed(e));
                Error::Internal("the sort failed".into())
            })
    });
    if let Some(failure) = sort_failure {
        return Err(failure);
    }
    read.map_err(sqlite_failed)?;
    sorter.finish().map_err(sort_failed)
}

unsafe extern "C" fn filter(
    cursor: *mut ffi::sqlite3_vtab_cursor,
    _index: c_int,
    _index_name: *const c_char,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) -> c_int {
    // SAFETY: made by `open`; its table is the one `connect` made.
    let cursor = unsafe { &mut *cursor.cast::<Cursor>() };
    let vtab = cursor.base.pVtab;
    // SAFETY: as above.
    let db = unsafe { (*vtab.cast::<Table>()).db };
    cursor.words = None;
    cursor.row = 0;
    if argc < 2 {
        return fail(vtab, ffi::SQLITE_CONSTRAINT, "both arguments are needed");
    }
    // SAFETY: argv holds argc values.
    let (first, from_index) = unsafe {
        (
            ffi::sqlite3_value_int64(*argv),
            ffi::sqlite3_value_int64(*argv.add(1)) != 0,
        )
    };
    match sort_words(db, first, from_index) {
        Ok(words) => {
            cursor.words = Some(words);
            ffi::SQLITE_OK
        }
        Err((rc, why)) => fail(vtab, rc, &why),
    }
}

unsafe extern "C" fn next(cursor: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    // SAFETY: made by `open`.
    let cursor = unsafe { &mut *cursor.cast::<Cursor>() };
    cursor.row += 1;
    match cursor.words.as_mut().map(|w| w.advance()) {
        Some(Err(e)) => fail(
            cursor.base.pVtab,
            ffi::SQLITE_IOERR,
            &format!("cannot merge the new contacts' words: {e}"),
        ),
        _ => ffi::SQLITE_OK,
    }
}

unsafe extern "C" fn eof(cursor: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    // SAFETY: made by `open`.
    let cursor = unsafe { &*cursor.cast::<Cursor>() };
    c_int::from(cursor.words.as_ref().and_then(|w| w.current()).is_none())
}

unsafe extern "C" fn column(
    cursor: *mut ffi::sqlite3_vtab_cursor,
    context: *mut ffi::sqlite3_context,
    at: c_int,
) -> c_int {
    // SAFETY: made by `open`.
    let cursor = unsafe { &*cursor.cast::<Cursor>() };
    let Some((term, name, id)) = cursor.words.as_ref().and_then(|w| w.current()) else {
        // SAFETY: `context` is the column's.
        unsafe { ffi::sqlite3_result_null(context) };
        return ffi::SQLITE_OK;
    };
    let text = match at {
        TERM => term,
        SORT_NAME => name,
        CONTACT_ID => {
            // SAFETY: `context` is the column's.
            unsafe { ffi::sqlite3_result_int64(context, id) };
            return ffi::SQLITE_OK;
        }
        _ => {
            // SAFETY: `context` is the column's (an argument, not asked for).
            unsafe { ffi::sqlite3_result_null(context) };
            return ffi::SQLITE_OK;
        }
    };
    // SAFETY: `context` is the column's; SQLite copies the bytes (SQLITE_TRANSIENT). The
    // texts are SQLite's own UTF-8, cut at spaces, so UTF-8 still.
    unsafe {
        ffi::sqlite3_result_text(
            context,
            text.as_ptr().cast(),
            c_int::try_from(text.len()).unwrap_or(0),
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

    /// A connection with the function and a few contacts (the name index as the schema's).
    async fn registered() -> SqliteConnection {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        register_on(&mut conn).await.unwrap();
        for sql in [
            "CREATE TABLE contacts (id INTEGER PRIMARY KEY, sort_name TEXT NOT NULL, search_text TEXT)".to_string(),
            format!("CREATE INDEX {WORDS_INDEX} ON contacts (sort_name, id, search_text)"),
            "CREATE TABLE search_terms (term TEXT NOT NULL, sort_name TEXT NOT NULL, \
             contact_id INTEGER NOT NULL, PRIMARY KEY (term, sort_name, contact_id)) WITHOUT ROWID"
                .to_string(),
            "INSERT INTO contacts VALUES (1, 'smith anna', ' anna smith 42 +447700900123'), \
             (2, 'garcía josé', '  josé   garcía'), (3, 'anna', ' anna'), (4, 'none', NULL), \
             (5, 'blank', '   '), (6, 'brown bob', ' bob brown anna')"
                .to_string(),
        ] {
            sqlx::query(&sql).execute(&mut conn).await.unwrap();
        }
        conn
    }

    async fn words(
        conn: &mut SqliteConnection,
        first: i64,
        from_index: bool,
    ) -> Vec<(String, String, i64)> {
        sqlx::query_as(&format!(
            "SELECT term, sort_name, contact_id FROM {NEW_WORDS_FUNCTION}(?, ?)"
        ))
        .bind(first)
        .bind(from_index)
        .fetch_all(conn)
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn the_new_contacts_words_come_in_the_search_indexs_order_without_empty_ones() {
        let mut conn = registered().await;
        let row = |t: &str, n: &str, id| (t.to_string(), n.to_string(), id);
        let all = vec![
            row("+447700900123", "smith anna", 1),
            row("42", "smith anna", 1),
            row("anna", "anna", 3),
            row("anna", "brown bob", 6),
            row("anna", "smith anna", 1),
            row("bob", "brown bob", 6),
            row("brown", "brown bob", 6),
            row("garcía", "garcía josé", 2),
            row("josé", "garcía josé", 2),
            row("smith", "smith anna", 1),
        ];
        // From the table's rows and from the name index alike.
        assert_eq!(words(&mut conn, 1, false).await, all);
        assert_eq!(words(&mut conn, 1, true).await, all);
        // Only the contacts from `first` on.
        let from_three: Vec<_> = all.iter().filter(|w| w.2 >= 3).cloned().collect();
        assert_eq!(words(&mut conn, 3, true).await, from_three);
        assert_eq!(words(&mut conn, 7, false).await, vec![]);
        // The statement the import runs fills the search terms with them.
        sqlx::query(&insert_new_words_sql(1, true))
            .execute(&mut conn)
            .await
            .unwrap();
        let stored: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT term, sort_name, contact_id FROM search_terms")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        assert_eq!(stored, all);
    }

    #[tokio::test]
    async fn the_words_function_without_its_arguments_is_refused_not_run() {
        let mut conn = registered().await;
        for sql in [
            format!("SELECT term FROM {NEW_WORDS_FUNCTION}"),
            format!("SELECT term FROM {NEW_WORDS_FUNCTION}(1)"),
        ] {
            let refused = sqlx::query(&sql).fetch_all(&mut conn).await;
            assert!(refused.is_err(), "{sql}");
        }
    }
}
