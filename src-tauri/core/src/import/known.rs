//! Who holds which email or mobile phone while an import runs. The keys the import meets
//! are held in compact memory (one text arena, a hash table of offsets) up to a budget, so
//! the identity of a million rows is resolved without asking the database row by row; past
//! the budget they move to a table of the import's connection (`temp.import_holders`, on
//! disk) and memory starts again, so a file of any size is imported in bounded memory. A
//! fixed-size filter of the moved keys' hashes says which keys are worth asking it for.

use hashbrown::{DefaultHashBuilder, HashTable};
use sqlx::SqliteConnection;
use std::hash::BuildHasher;

use crate::error::{json, Result};
use crate::funnel::{ffi, BulkConnection};

/// What one kind of key may take in memory (arena and table) before it is moved to disk:
/// about 490,000 emails. A million-row file moves twice, ten million rows about twenty
/// times. With 40 MB a ten-million-row import peaked at 322 MB (16 KB pages, measured
/// every 2 s: the rows' stage is the peak, the moves to disk its spikes).
pub(super) const MEMORY_BUDGET: usize = 28 << 20;

/// The table the keys move to, created with the import's transaction and dropped at its end.
pub(super) const SPILL_TABLE: &str = "CREATE TEMP TABLE import_holders \
     (kind TEXT NOT NULL, key TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID";
pub(super) const DROP_SPILL_TABLE: &str = "DROP TABLE IF EXISTS temp.import_holders";

/// The contact id that says "nobody": a key let go of, whatever the table on disk says.
const NOBODY: i64 = 0;

/// One key (an email, or a mobile phone) and the contact holding it.
struct Slot {
    start: u32,
    len: u32,
    id: i64,
}

/// Keys of one kind mapped to the contact that holds each. A released key stays, as
/// `NOBODY`, so that it overrides what the table on disk may still say.
pub(super) struct Holders {
    kind: &'static str,
    budget: usize,
    arena: String,
    table: HashTable<Slot>,
    hasher: DefaultHashBuilder,
    /// The hashes of the keys moved to disk (none moved: no filter).
    moved: Option<Filter>,
}

impl Holders {
    /// Keys of `kind` ("email" or "phone"), within `budget` bytes (None: `MEMORY_BUDGET`).
    pub(super) fn new(kind: &'static str, budget: Option<usize>) -> Holders {
        Holders {
            kind,
            budget: budget.unwrap_or(MEMORY_BUDGET),
            arena: String::new(),
            table: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            moved: None,
        }
    }

    fn text<'a>(arena: &'a str, slot: &Slot) -> &'a str {
        &arena[slot.start as usize..(slot.start + slot.len) as usize]
    }

    /// Memory's entry for `key`: its holder, `NOBODY` once let go of, None when memory has
    /// none (then the database, or the table on disk, may).
    fn entry(&self, key: &str) -> Option<i64> {
        let hash = self.hasher.hash_one(key);
        self.table
            .find(hash, |s| Holders::text(&self.arena, s) == key)
            .map(|s| s.id)
    }

    /// The contact holding `key`, as far as memory knows (`fetch` first brings it from disk).
    pub(super) fn get(&self, key: &str) -> Option<i64> {
        self.entry(key).filter(|&id| id != NOBODY)
    }

    /// Whether memory has nothing on `key`.
    pub(super) fn unknown(&self, key: &str) -> bool {
        self.entry(key).is_none()
    }

    /// Records that contact `id` holds `key` (whoever held it before).
    pub(super) fn set(&mut self, key: &str, id: i64) {
        let hash = self.hasher.hash_one(key);
        let (arena, hasher) = (&self.arena, &self.hasher);
        match self.table.entry(
            hash,
            |s| Holders::text(arena, s) == key,
            |s| hasher.hash_one(Holders::text(arena, s)),
        ) {
            hashbrown::hash_table::Entry::Occupied(mut e) => e.get_mut().id = id,
            hashbrown::hash_table::Entry::Vacant(e) => {
                let start = self.arena.len() as u32;
                e.insert(Slot {
                    start,
                    len: key.len() as u32,
                    id,
                });
                self.arena.push_str(key);
            }
        }
    }

    /// Forgets `key` if contact `id` holds it. With keys on disk, a key memory does not
    /// know is marked let go of too, over what the disk says: a contact's own key is held
    /// by nobody else.
    pub(super) fn release(&mut self, key: &str, id: i64) {
        match self.entry(key) {
            Some(holder) if holder == id => self.set(key, NOBODY),
            None if self.moved.is_some() => self.set(key, NOBODY),
            _ => {}
        }
    }

    /// The bytes memory holds for the keys.
    fn bytes(&self) -> usize {
        self.arena.capacity() + self.table.capacity() * std::mem::size_of::<Slot>()
    }

    /// Whether memory is past its budget.
    pub(super) fn full(&self) -> bool {
        self.bytes() > self.budget
    }

    /// Lets memory start again when the database itself answers for every key (its
    /// indexes are live and hold what the import wrote).
    pub(super) fn forget(&mut self) {
        self.arena = String::new();
        self.table = HashTable::new();
    }

    /// Asks the table on disk for those of `keys` memory does not know, and remembers the
    /// answers (a key not there is free).
    pub(super) fn fetch(&mut self, db: &BulkConnection<'_>, keys: &[&String]) -> Result<()> {
        let Some(moved) = &self.moved else {
            return Ok(());
        };
        let asked: Vec<&String> = keys
            .iter()
            .copied()
            .filter(|k| self.unknown(k) && moved.may_hold(self.hasher.hash_one(k)))
            .collect();
        if asked.is_empty() {
            return Ok(());
        }
        let mut found: Vec<(String, i64)> = Vec::new();
        ffi::Statement::prepare(
            db,
            "SELECT key, id FROM temp.import_holders WHERE kind = ?1 AND key IN (SELECT value FROM json_each(?2))",
        )?
        .query(
            &[
                ffi::Value::Text(Some(self.kind)),
                ffi::Value::Text(Some(&json(&asked)?)),
            ],
            |c| {
                found.push((c.required_text(0)?, c.int(1)));
                Ok(())
            },
        )?;
        for k in asked {
            self.set(k, NOBODY);
        }
        for (k, id) in found {
            self.set(&k, id);
        }
        Ok(())
    }

    /// Moves every key in memory to the table on disk (in key order, which SQLite's b-tree
    /// takes fastest), notes their hashes in the filter, and lets memory start again.
    pub(super) async fn spill(&mut self, conn: &mut SqliteConnection) -> Result<()> {
        let mut slots: Vec<(u32, u32, i64)> =
            self.table.iter().map(|s| (s.start, s.len, s.id)).collect();
        let arena = std::mem::take(&mut self.arena);
        self.table = HashTable::new();
        let text =
            |&(start, len, _): &(u32, u32, i64)| &arena[start as usize..(start + len) as usize];
        slots.sort_unstable_by(|a, b| text(a).cmp(text(b)));
        let filter = self.moved.get_or_insert_with(Filter::new);
        for batch in slots.chunks(20_000) {
            let pairs: Vec<(&str, i64)> = batch.iter().map(|s| (text(s), s.2)).collect();
            for (k, _) in &pairs {
                filter.insert(self.hasher.hash_one(k));
            }
            sqlx::query(
                "INSERT OR REPLACE INTO temp.import_holders (kind, key, id) \
                 SELECT ?1, value ->> 0, value ->> 1 FROM json_each(?2)",
            )
            .bind(self.kind)
            .bind(json(&pairs)?)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Moves the database's own holders of this kind to the table on disk (an import into
    /// a database with contacts whose indexes it dropped), without holding them in memory.
    pub(super) async fn spill_database(&mut self, conn: &mut SqliteConnection) -> Result<()> {
        let column = match self.kind {
            "email" => "email",
            _ => "mobile_phone",
        };
        sqlx::query(&format!(
            "INSERT OR REPLACE INTO temp.import_holders (kind, key, id) \
             SELECT ?1, {column}, id FROM contacts WHERE {column} IS NOT NULL ORDER BY {column}"
        ))
        .bind(self.kind)
        .execute(&mut *conn)
        .await?;
        let filter = self.moved.get_or_insert_with(Filter::new);
        let mut keys =
            sqlx::query_scalar::<_, String>("SELECT key FROM temp.import_holders WHERE kind = ?1")
                .bind(self.kind)
                .fetch(&mut *conn);
        while let Some(k) = futures_util::TryStreamExt::try_next(&mut keys).await? {
            filter.insert(self.hasher.hash_one(&k));
        }
        Ok(())
    }
}

/// A Bloom filter of fixed size (16 MB, six probes): at ten million keys about one in five
/// hundred keys it never saw is "maybe", and each costs one lookup on disk.
struct Filter {
    bits: Vec<u64>,
}

impl Filter {
    const WORDS: usize = 1 << 21;
    const PROBES: u64 = 6;

    fn new() -> Filter {
        Filter {
            bits: vec![0; Filter::WORDS],
        }
    }

    fn positions(hash: u64) -> impl Iterator<Item = usize> {
        let bits = (Filter::WORDS * 64) as u64;
        let step = hash.rotate_left(32) | 1;
        (0..Filter::PROBES).map(move |i| (hash.wrapping_add(i.wrapping_mul(step)) % bits) as usize)
    }

    fn insert(&mut self, hash: u64) {
        for p in Filter::positions(hash) {
            self.bits[p / 64] |= 1 << (p % 64);
        }
    }

    fn may_hold(&self, hash: u64) -> bool {
        Filter::positions(hash).all(|p| self.bits[p / 64] & (1 << (p % 64)) != 0)
    }
}
