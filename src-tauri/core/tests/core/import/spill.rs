//! An import whose record of who holds each email and mobile phone outgrows its memory
//! moves it to disk (or, with the database's indexes live, lets the database answer): every
//! row is decided exactly as with all of it in memory, whatever the file's duplicates,
//! merges, moving identifiers and conflicts.

use cardfile_core::import::{ImportOptions, Report};

use crate::{fields, Db};

use super::engine::{counts, import, HEADER};

/// A file of `rows` rows where people come back far apart, by email or by mobile phone
/// alone, with a new email or phone (which moves it), or with an email and a phone that
/// belong to two different contacts (held for review).
fn churning_file(rows: u32, seed: u64) -> String {
    let mut state = seed;
    let mut next = |n: u32| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % n as u64) as u32
    };
    let mut csv = HEADER.to_string();
    for i in 0..rows {
        let person = next(rows / 2);
        let email = match next(10) {
            0 => String::new(),
            1 => format!("moved{}@example.com", next(rows)),
            _ => format!("p{person}@example.com"),
        };
        let phone = match next(10) {
            0..=3 => String::new(),
            4 => format!("+1201555{:04}", next(10_000)),
            _ => format!("+1646{:07}", 2_000_000 + person),
        };
        csv.push_str(&format!(
            "Row{i},P{person},{email},{phone},Co {}\n",
            next(50)
        ));
    }
    csv
}

/// Every contact (with its id) and every review item, as text: what the import decided.
async fn decided(db: &Db) -> (Vec<String>, Vec<String>) {
    let pool = db.store().pool();
    let contacts = sqlx::query_scalar(
        "SELECT id || ' ' || coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(mobile_phone, '') || ' ' || coalesce(company, '') FROM contacts ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let review = sqlx::query_scalar(
        "SELECT given || ' ' || email_contact_id || ' ' || phone_contact_id || ' ' || reason FROM review_items ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    (contacts, review)
}

/// Imports `csv` into a database holding `existing` contacts, with the holders' memory
/// limited to `budget` bytes (None: the default).
async fn run(
    existing: u32,
    csv: &str,
    budget: Option<usize>,
) -> (Report, (Vec<String>, Vec<String>)) {
    let db = Db::new().await;
    for i in 0..existing {
        db.session
            .add(
                &fields(&[
                    ("first_name", &format!("Old{i}")),
                    ("email", &format!("p{}@example.com", i * 7)),
                    ("mobile_phone", &format!("+1646{:07}", 2_000_000 + i * 5)),
                ]),
                None,
                false,
            )
            .await
            .unwrap();
    }
    let options = ImportOptions {
        identity_memory: budget,
        ..Default::default()
    };
    let report = import(&db.session, db.dir.path(), csv, options).await;
    let decided = decided(&db).await;
    (report, decided)
}

#[tokio::test]
async fn a_big_import_past_its_identity_memory_moves_it_to_disk_and_decides_every_row_the_same() {
    // 60,000 rows: past 50,000, the indexes are dropped and the keys can only go to disk.
    let csv = churning_file(60_000, 7);
    for existing in [0, 300] {
        let (in_memory, want) = run(existing, &csv, None).await;
        // 4 KB a kind: the keys move to disk after nearly every chunk.
        let (spilled, got) = run(existing, &csv, Some(4096)).await;
        assert_eq!(
            counts(&spilled),
            counts(&in_memory),
            "with {existing} contacts before"
        );
        let c = counts(&in_memory);
        assert!(
            c[1] > 10_000 && c[2] > 10_000 && c[6] > 100,
            "a file that churns: {c:?}"
        );
        assert_eq!(got.0.len(), want.0.len());
        assert!(
            got == want,
            "with {existing} contacts before, the same contacts and review items"
        );
    }
}

#[tokio::test]
async fn a_small_import_past_its_identity_memory_asks_the_database_and_decides_every_row_the_same()
{
    // Fewer rows than contacts: the indexes stay, and the database answers once memory is let go.
    let csv = churning_file(2_000, 11);
    let (in_memory, want) = run(2_500, &csv, None).await;
    let (forgot, got) = run(2_500, &csv, Some(4096)).await;
    assert_eq!(counts(&forgot), counts(&in_memory));
    let c = counts(&in_memory);
    assert!(c[2] > 100 && c[6] > 10, "a file that churns: {c:?}");
    assert!(got == want, "the same contacts and review items");
}
