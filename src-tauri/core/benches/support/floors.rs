//! The import benchmark's baseline and floors. The baseline: the sqlite3 shell's `.import`
//! into a table indexed on email and mobile phone. The sqlite3 floor: the shell writing the
//! rows into Cardfile's contacts table and building its indexes. The schema floor: SQLite
//! (the build Cardfile links) writing exactly the contacts an import wrote, with the same
//! statements and settings as the import's bulk path (rows, search words, journal, indexes
//! dropped and built again, commit, the log's copy into the file left to the background as
//! the import leaves it), but with no file to read, nothing to normalise and no decisions:
//! what this schema costs alone, so a speed target below it is known to be out of reach
//! without changing the schema.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use cardfile_core::funnel::new_words;
use cardfile_core::words::WORDS_INDEX;
use cardfile_core::Store;
use sqlx::Connection;

/// Writes `imported`'s contacts (a database a Cardfile import made) into a new database
/// `db` as the import's bulk path does; how long the timed part took. The contacts are
/// first copied into a staging table of `db`, untimed.
async fn schema_floor(imported: &Path, db: &Path) -> Duration {
    crate::support::remove_database(db);
    let store = Store::open(db).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    for sql in [
        format!("ATTACH '{}' AS src", imported.display()),
        "CREATE TABLE staging AS SELECT * FROM src.contacts ORDER BY id".into(),
        "DETACH src".into(),
        "PRAGMA wal_checkpoint(TRUNCATE)".into(),
        // The import connection's settings (import/mod.rs).
        "PRAGMA mmap_size = 0".into(),
        "PRAGMA cache_size = -4096".into(),
        "PRAGMA threads = 2".into(),
        "PRAGMA foreign_keys = OFF".into(),
        "PRAGMA ignore_check_constraints = ON".into(),
        "PRAGMA secure_delete = FAST".into(),
        // As the import, it leaves the log's copy into the file to the background.
        "PRAGMA wal_autocheckpoint = 0".into(),
    ] {
        sqlx::query(&sql).execute(&mut *conn).await.unwrap();
    }
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'contacts' AND sql IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    new_words::register_on(&mut conn).await.unwrap();
    settle();
    let started = Instant::now();
    let mut tx = conn.begin().await.unwrap();
    let batch: i64 = sqlx::query_scalar(
        "INSERT INTO batches (user_id, kind, at, summary) VALUES (1, 'import', '2026-01-01T00:00:00Z', 'floor') RETURNING id",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let mut steps = vec!["DROP TRIGGER contacts_count_insert".to_string()];
    steps.extend(
        indexes
            .iter()
            .map(|(name, _)| format!("DROP INDEX \"{name}\"")),
    );
    steps.push("INSERT INTO contacts SELECT * FROM staging ORDER BY id".into());
    // As the import: the index the words are read from is built first, the others last.
    let (first, rest): (Vec<_>, Vec<_>) = indexes.iter().partition(|(name, _)| name == WORDS_INDEX);
    steps.extend(first.iter().map(|(_, sql)| sql.clone()));
    steps.push(new_words::insert_new_words_sql(1, true));
    steps.push(format!(
        "INSERT INTO journal (batch_id, entity, entity_id, op) \
         SELECT {batch}, 'contact', id, 'insert' FROM contacts ORDER BY id"
    ));
    steps.extend(rest.iter().map(|(_, sql)| sql.clone()));
    // Each step's time, for where the schema's cost lies.
    for sql in &steps {
        let at = Instant::now();
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
        let short: String = sql.chars().take(60).collect();
        eprintln!("  {:>6.2} s  {short}", at.elapsed().as_secs_f64());
    }
    let at = Instant::now();
    tx.commit().await.unwrap();
    eprintln!("  {:>6.2} s  COMMIT", at.elapsed().as_secs_f64());
    let took = started.elapsed();
    drop(conn);
    store.close().await;
    took
}

pub fn sqlite3_import(file: &Path, db: &Path) -> Duration {
    let script = format!(
        "PRAGMA journal_mode=WAL;\n\
         CREATE TABLE contacts (first_name TEXT, last_name TEXT, email TEXT, mobile_phone TEXT, phone TEXT, \
         company TEXT, job_title TEXT, city TEXT, country TEXT, notes TEXT);\n\
         CREATE INDEX contacts_email ON contacts (email);\n\
         CREATE INDEX contacts_mobile ON contacts (mobile_phone);\n\
         .mode csv\n\
         .import --skip 1 '{}' contacts\n",
        file.display()
    );
    sqlite3_script(db, &script)
}

/// Waits until what earlier runs wrote has reached the disk (`sync`), so that a timed run
/// is not slowed by the kernel writing back another's gigabytes: the ten-million-row
/// import, run after the million-row runs and floors without it, took 166 s; after `sync`,
/// 133 s (2026-11-30).
pub fn settle() {
    let synced = Command::new("sync").status();
    assert!(synced.is_ok_and(|s| s.success()), "sync failed");
}

/// The sqlite3 shell running a script on `db`; how long it took.
fn sqlite3_script(db: &Path, script: &str) -> Duration {
    settle();
    let started = Instant::now();
    let mut child = Command::new("sqlite3")
        .arg(db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the sqlite3 shell (make installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let status = child.wait().unwrap();
    let took = started.elapsed();
    assert!(status.success(), "sqlite3 failed on {}", db.display());
    took
}

/// What SQLite alone needs to hold `created` contacts the way Cardfile does: the sqlite3
/// shell writes the file's rows (loaded beforehand, untimed) into Cardfile's contacts table
/// with the import's settings, builds the table's indexes, commits. No normalisation,
/// identity, search words or journal: a floor under any import into this schema.
pub fn sqlite3_floor(file: &Path, cardfile_db: &Path, db: &Path, created: u64) -> Duration {
    let schema = Command::new("sqlite3")
        .arg(cardfile_db)
        .arg(
            "SELECT sql || ';' FROM sqlite_schema WHERE sql IS NOT NULL \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY rowid",
        )
        .output()
        .expect("the sqlite3 shell");
    let schema = String::from_utf8_lossy(&schema.stdout);
    let indexes = Command::new("sqlite3")
        .arg(cardfile_db)
        .arg(
            "SELECT name || char(9) || sql FROM sqlite_schema \
             WHERE type = 'index' AND tbl_name = 'contacts' AND sql IS NOT NULL",
        )
        .output()
        .expect("the sqlite3 shell");
    let indexes: Vec<(String, String)> = String::from_utf8_lossy(&indexes.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(n, sql)| (n.to_string(), sql.to_string()))
        .collect();
    assert!(
        indexes.len() >= 2,
        "the contacts indexes of {}",
        cardfile_db.display()
    );
    sqlite3_script(
        db,
        &format!(
            "PRAGMA journal_mode=WAL;\n{schema}\n\
             INSERT INTO users (id, email, name, role, created_at) VALUES (1, 'floor@cardfile.local', 'Floor', 'admin', '2026-01-01T00:00:00Z');\n\
             CREATE TABLE staging (first_name TEXT, last_name TEXT, email TEXT, mobile_phone TEXT, phone TEXT, \
             company TEXT, job_title TEXT, city TEXT, country TEXT, notes TEXT);\n\
             .mode csv\n\
             .import --skip 1 '{}' staging\n",
            file.display()
        ),
    );
    let drops: String = indexes
        .iter()
        .map(|(name, _)| format!("DROP INDEX \"{name}\";\n"))
        .collect();
    let builds: String = indexes.iter().map(|(_, sql)| format!("{sql};\n")).collect();
    sqlite3_script(
        db,
        &format!(
            "PRAGMA cache_size = -4096;\nPRAGMA threads = 2;\nPRAGMA foreign_keys = OFF;\n\
             PRAGMA ignore_check_constraints = ON;\nBEGIN;\n{drops}\
             DROP TRIGGER contacts_count_insert;\n\
             INSERT INTO contacts (id, first_name, last_name, email, mobile_phone, phone, company, job_title, \
             city, country, notes, owner_id, created_at, updated_at, sort_name, search_text) \
             SELECT rowid, first_name, last_name, nullif(lower(email), '') || '.' || rowid, \
             nullif(mobile_phone, '') || '.' || rowid, nullif(phone, ''), nullif(company, ''), \
             nullif(job_title, ''), city, country, nullif(notes, ''), 1, '2026-01-01T00:00:00Z', \
             '2026-01-01T00:00:00Z', lower(last_name || ' ' || first_name), \
             ' ' || lower(first_name || ' ' || last_name || ' ' || email || ' ' || mobile_phone || ' ' \
             || phone || ' ' || company) FROM staging WHERE rowid <= {created};\n\
             {builds}COMMIT;\n"
        ),
    )
}

/// The schema floor (`schema_floor`) of the contacts `imported` holds, written into
/// a new database `db` (removed afterwards): how long it took.
pub fn floor_run(imported: &Path, db: &Path) -> Duration {
    let rt = crate::support::runtime(2);
    let took = rt.block_on(schema_floor(imported, db));
    crate::support::remove_database(db);
    took
}
