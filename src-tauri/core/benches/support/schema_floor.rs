//! The import benchmark's schema floor: SQLite (the build Cardfile links) writing exactly
//! the contacts an import wrote, with the same statements and settings as the import's bulk
//! path (rows, search words, journal, indexes dropped and built again, commit, the log's
//! copy into the file left to the background as the import leaves it), but with no
//! file to read, nothing to normalise and no decisions: what this schema costs alone, so a
//! speed target below it is known to be out of reach without changing the schema.

use std::path::Path;
use std::time::{Duration, Instant};

use cardfile_core::words::CONTACT_WORDS_SQL;
use cardfile_core::Store;
use sqlx::Connection;

/// Writes `imported`'s contacts (a database a Cardfile import made) into a new database
/// `db` as the import's bulk path does; how long the timed part took. The contacts are
/// first copied into a staging table of `db`, untimed.
pub async fn schema_floor(imported: &Path, db: &Path) -> Duration {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
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
    steps.push("PRAGMA cache_size = -16384".into());
    steps.push(format!(
        "INSERT INTO search_terms (term, sort_name, contact_id) \
         SELECT w.value, c.sort_name, c.id FROM contacts c, {CONTACT_WORDS_SQL} WHERE w.value <> '' \
         ORDER BY 1, 2, 3"
    ));
    steps.push(format!(
        "INSERT INTO journal (batch_id, entity, entity_id, op) \
         SELECT {batch}, 'contact', id, 'insert' FROM contacts ORDER BY id"
    ));
    steps.extend(indexes.iter().map(|(_, sql)| sql.clone()));
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
