//! A week offline: 10,000 changes to 2,000 contacts (adds, edits, merges, deletes, an
//! import, undos), then a drain with 30% injected faults. Every change arrives, none twice,
//! one call per contact per coalesced change, and the limits are never exceeded.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use cardfile_core::import::ImportOptions;
use cardfile_core::outbox::synced_fields;
use cardfile_core::preferences::Key;
use cardfile_core::ListQuery;

use super::{field, Cloudy};
use crate::oncehub::Fault;

/// A tiny deterministic generator: the same week every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

async fn all_contacts(c: &Cloudy) -> Vec<cardfile_core::Contact> {
    let mut rows = Vec::new();
    loop {
        let page =
            c.db.session
                .list(&ListQuery {
                    offset: rows.len() as u32,
                    limit: 500,
                    ..Default::default()
                })
                .await
                .unwrap();
        let more = page.has_more;
        rows.extend(page.rows);
        if !more {
            return rows;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_offline_drains_with_faults_every_change_once_within_the_limits() {
    let c = Cloudy::new().await;
    // Raised limits, the same on both sides: the fake answers 429 to any request over them.
    c.fake.set_limits(150, 20_000);
    for (key, value) in [
        (Key::CloudPerSecond, "150"),
        (Key::CloudPerFiveMinutes, "20000"),
        (Key::CloudTimeoutMs, "250"),
    ] {
        c.db.session.set(&c.secrets, key, value).await.unwrap();
    }
    c.connect().await;
    let mut ids: Vec<String> = Vec::new();
    for i in 0..2_000 {
        let a = c
            .add(&[
                ("first_name", "Week"),
                ("last_name", &format!("P{i}")),
                ("email", &format!("p{i}@example.com")),
            ])
            .await;
        ids.push(a.id);
    }
    c.drain().await;
    assert_eq!(c.fake.contacts().len(), 2_000);

    // The week: nothing reaches the cloud.
    c.fake.go_offline().await;
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let mut live: Vec<String> = ids.clone();
    let mut changes = 0;
    let words = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", ""];
    let mut added = 0;
    while changes < 10_000 {
        let roll = dice.roll(100);
        let pick = dice.roll(live.len());
        if roll < 70 {
            let (f, v) = match dice.roll(3) {
                0 => ("company", words[dice.roll(words.len())]),
                1 => ("city", words[dice.roll(words.len())]),
                _ => ("job_title", words[dice.roll(words.len())]),
            };
            c.db.session
                .edit(&live[pick], &crate::fields(&[(f, v)]), false)
                .await
                .unwrap();
        } else if roll < 82 {
            added += 1;
            let a = c
                .add(&[
                    ("first_name", "Added"),
                    ("last_name", &format!("A{added}")),
                    ("email", &format!("a{added}@example.com")),
                ])
                .await;
            live.push(a.id);
        } else if roll < 88 && live.len() > 2 {
            // A merge: this contact takes another's email and folds into it.
            let other = (pick + 1 + dice.roll(live.len() - 1)) % live.len();
            let email = c.db.session.get(&live[other]).await.unwrap().email.unwrap();
            c.db.session
                .edit(
                    &live[pick],
                    &crate::fields(&[("email", &email), ("salutation", "Dr")]),
                    true,
                )
                .await
                .unwrap();
            live.remove(pick);
        } else if roll < 94 {
            c.db.session.delete(&live[pick]).await.unwrap();
            live.remove(pick);
        } else {
            // A new contact whose email changes before it ever reached the cloud.
            added += 1;
            let a = c
                .add(&[
                    ("first_name", "Renamed"),
                    ("last_name", &format!("R{added}")),
                    ("email", &format!("tmp{added}@example.com")),
                ])
                .await;
            c.db.session
                .edit(
                    &a.id,
                    &crate::fields(&[("email", &format!("r{added}@example.com"))]),
                    false,
                )
                .await
                .unwrap();
            live.push(a.id);
            changes += 1;
        }
        changes += 1;
    }
    // And an import: 300 new people, 200 known ones with a new company.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("week.csv");
    let mut text = String::from("First Name,Last Name,Email,Company\n");
    for i in 0..300 {
        text.push_str(&format!("Imp,I{i},imp{i}@example.com,Imported\n"));
    }
    let known = all_contacts(&c).await;
    for contact in known.iter().take(200) {
        text.push_str(&format!(
            "{},{},{},Reimported\n",
            contact.first_name.clone().unwrap_or_default(),
            contact.last_name.clone().unwrap_or_default(),
            contact.email.clone().unwrap()
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let never = std::sync::atomic::AtomicBool::new(false);
    let report =
        c.db.session
            .import_file(&csv, &ImportOptions::default(), &|_| {}, &never)
            .await
            .unwrap();
    assert_eq!(report.summary.created, 300);

    // Back online, with 30% of requests failing one way or another.
    c.fake.come_back().await;
    c.fake.clear_requests();
    c.fake.set_timeout_delay(Duration::from_millis(400));
    c.fake.set_faults(
        0.3,
        &[
            Fault::ServerError,
            Fault::TooMany,
            Fault::TooManyWithRetryAfter,
            Fault::Timeout,
            Fault::CutBefore,
            Fault::CutAfter,
        ],
        7,
    );
    let started = Instant::now();
    c.drain().await;
    c.fake.set_faults(0.0, &[], 0);
    c.sync().await;
    let took = started.elapsed();

    // Every change arrived: the cloud equals this computer.
    let here = all_contacts(&c).await;
    let cloud = c.fake.contacts();
    assert_eq!(
        cloud.len(),
        here.len(),
        "as many contacts in the cloud as here"
    );
    let by_email: HashMap<String, &serde_json::Value> = cloud
        .iter()
        .map(|x| (field(x, "email").unwrap(), x))
        .collect();
    for contact in &here {
        let twin = by_email[contact.email.as_ref().unwrap()];
        let row = serde_json::to_value(contact).unwrap();
        for f in synced_fields() {
            assert_eq!(field(twin, f), field(&row, f), "{f} of {:?}", contact.email);
        }
    }
    // None twice, one call per contact per coalesced change.
    let requests = c.fake.requests();
    let mut acknowledged: HashMap<(String, String), usize> = HashMap::new();
    for r in &requests {
        if r.method != "GET"
            && r.method != "POST"
            && r.fault.is_none()
            && (200..300).contains(&r.status)
        {
            *acknowledged
                .entry((r.method.clone(), r.path.clone()))
                .or_default() += 1;
        }
    }
    assert!(
        acknowledged.values().all(|n| *n == 1),
        "a contact's change went twice"
    );
    for contact in &here {
        assert!(c.fake.creates_for(contact.email.as_ref().unwrap()) <= 1);
    }
    // The limits, never exceeded.
    assert_eq!(
        c.fake.rate_limited(),
        0,
        "a request over the limits reached the cloud"
    );
    let faults = requests.iter().filter(|r| r.fault.is_some()).count();
    let writes = requests.iter().filter(|r| r.method != "GET").count();
    eprintln!(
        "week offline: {changes} changes, {} contacts here; drain: {} requests ({writes} writes, {faults} faulted), {:.1} s",
        here.len(),
        requests.len(),
        took.as_secs_f64()
    );
}
