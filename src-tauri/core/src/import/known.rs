//! Who holds which email or mobile phone while an import runs, kept in compact memory (the
//! keys in one text arena, a hash table of offsets), so the identity of a million rows is
//! resolved without asking the database row by row.

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

/// One key (an email, or a mobile phone) and the contact holding it.
struct Slot {
    start: u32,
    len: u32,
    id: i64,
}

/// Keys of one kind mapped to the contact that holds each. A removed key's text stays in
/// the arena: an import removes few keys, and the arena is dropped with the import.
#[derive(Default)]
pub(super) struct Holders {
    arena: String,
    table: HashTable<Slot>,
    hasher: DefaultHashBuilder,
}

impl Holders {
    fn text(&self, slot: &Slot) -> &str {
        &self.arena[slot.start as usize..(slot.start + slot.len) as usize]
    }

    /// The contact holding `key`.
    pub(super) fn get(&self, key: &str) -> Option<i64> {
        let hash = self.hasher.hash_one(key);
        self.table.find(hash, |s| self.text(s) == key).map(|s| s.id)
    }

    /// Records that contact `id` holds `key` (whoever held it before).
    pub(super) fn set(&mut self, key: &str, id: i64) {
        let hash = self.hasher.hash_one(key);
        let (arena, hasher) = (&self.arena, &self.hasher);
        let text = |s: &Slot| &arena[s.start as usize..(s.start + s.len) as usize];
        match self
            .table
            .entry(hash, |s| text(s) == key, |s| hasher.hash_one(text(s)))
        {
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

    /// Forgets `key` if contact `id` holds it.
    pub(super) fn release(&mut self, key: &str, id: i64) {
        let hash = self.hasher.hash_one(key);
        let arena = &self.arena;
        if let Ok(e) = self.table.find_entry(hash, |s| {
            s.id == id && &arena[s.start as usize..(s.start + s.len) as usize] == key
        }) {
            e.remove();
        }
    }
}
