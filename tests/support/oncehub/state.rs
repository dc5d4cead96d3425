//! The fake account's data (contacts, users, teams, bookings, conversations) with its clock and id generator.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Map, Value};

use super::gate::XorShift;

/// One stored object, kept as the JSON the API returns, plus its sort and filter keys.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    /// Insertion order, to break ties between equal creation times.
    pub(crate) seq: u64,
    pub(crate) created: DateTime<Utc>,
    pub(crate) updated: DateTime<Utc>,
    pub(crate) body: Map<String, Value>,
}

impl Record {
    pub(crate) fn id(&self) -> &str {
        self.body.get("id").and_then(Value::as_str).unwrap_or("")
    }

    /// The key lists are ordered by, newest first.
    pub(crate) fn sort_key(&self) -> SortKey {
        (self.created, self.seq)
    }

    /// A string field, or None when absent or not a string.
    pub(crate) fn str_field(&self, name: &str) -> Option<&str> {
        self.body.get(name).and_then(Value::as_str)
    }
}

/// (creation time, insertion order): larger is newer.
pub(crate) type SortKey = (DateTime<Utc>, u64);

/// Which collection a record lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Contact,
    User,
    Team,
    Booking,
}

/// All data of the fake account.
pub(crate) struct Store {
    last_time: Option<DateTime<Utc>>,
    next_seq: u64,
    rng: XorShift,
    issued: HashSet<String>,
    pub(crate) contacts: Vec<Record>,
    pub(crate) users: Vec<Record>,
    pub(crate) teams: Vec<Record>,
    pub(crate) bookings: Vec<Record>,
    /// Conversation objects by `CVR-` id, shown by `expand=data.conversation`.
    pub(crate) conversations: HashMap<String, Value>,
    /// Sort key of every id ever issued, deleted ones included, so a cursor survives a delete.
    pub(crate) cursors: HashMap<String, SortKey>,
    /// Contacts created through `POST /contacts`, per lowercased email and per mobile phone.
    pub(crate) creates: HashMap<String, usize>,
}

/// RFC 3339 with milliseconds and `Z`, as OnceHub writes times.
pub(crate) fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 date-time into UTC.
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl Store {
    pub(crate) fn new(seed: u64) -> Store {
        Store {
            last_time: None,
            next_seq: 0,
            rng: XorShift::new(seed),
            issued: HashSet::new(),
            contacts: Vec::new(),
            users: Vec::new(),
            teams: Vec::new(),
            bookings: Vec::new(),
            conversations: HashMap::new(),
            cursors: HashMap::new(),
            creates: HashMap::new(),
        }
    }

    /// The time of a write: now at millisecond precision, but always at least 1 ms after the
    /// previous write, so no two writes share a timestamp.
    pub(crate) fn tick(&mut self) -> DateTime<Utc> {
        let now = Utc::now();
        let ms = now.timestamp_millis();
        let mut t = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(now);
        if let Some(last) = self.last_time.filter(|last| t <= *last) {
            t = last + TimeDelta::milliseconds(1);
        }
        self.last_time = Some(t);
        t
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// A fresh id: `prefix` then `len` uppercase letters and digits, never issued before.
    pub(crate) fn new_id(&mut self, prefix: &str, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        loop {
            let tail: String = (0..len)
                .map(|_| ALPHABET[self.rng.below(ALPHABET.len())] as char)
                .collect();
            let id = format!("{prefix}{tail}");
            if self.issued.insert(id.clone()) {
                return id;
            }
        }
    }

    /// Reserves an id given by a test; false if it was issued already.
    pub(crate) fn claim_id(&mut self, id: &str) -> bool {
        self.issued.insert(id.to_string())
    }

    pub(crate) fn records(&self, kind: Kind) -> &Vec<Record> {
        match kind {
            Kind::Contact => &self.contacts,
            Kind::User => &self.users,
            Kind::Team => &self.teams,
            Kind::Booking => &self.bookings,
        }
    }

    pub(crate) fn records_mut(&mut self, kind: Kind) -> &mut Vec<Record> {
        match kind {
            Kind::Contact => &mut self.contacts,
            Kind::User => &mut self.users,
            Kind::Team => &mut self.teams,
            Kind::Booking => &mut self.bookings,
        }
    }

    pub(crate) fn find(&self, kind: Kind, id: &str) -> Option<&Record> {
        self.records(kind).iter().find(|r| r.id() == id)
    }

    pub(crate) fn find_mut(&mut self, kind: Kind, id: &str) -> Option<&mut Record> {
        self.records_mut(kind).iter_mut().find(|r| r.id() == id)
    }

    /// Stores a new record whose body already holds its id and times.
    pub(crate) fn push(
        &mut self,
        kind: Kind,
        created: DateTime<Utc>,
        updated: DateTime<Utc>,
        body: Map<String, Value>,
    ) {
        let seq = self.next_seq();
        let record = Record {
            seq,
            created,
            updated,
            body,
        };
        self.cursors
            .insert(record.id().to_string(), record.sort_key());
        self.records_mut(kind).push(record);
    }

    /// Removes a record; false if there was none.
    pub(crate) fn remove(&mut self, kind: Kind, id: &str) -> bool {
        let records = self.records_mut(kind);
        let before = records.len();
        records.retain(|r| r.id() != id);
        records.len() != before
    }

    /// The live contact whose email matches, ignoring case.
    pub(crate) fn contact_by_email(&self, email: &str) -> Option<&Record> {
        self.contacts.iter().find(|r| {
            r.str_field("email")
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
    }

    /// The live contact with this mobile phone.
    pub(crate) fn contact_by_mobile(&self, phone: &str) -> Option<&Record> {
        self.contacts
            .iter()
            .find(|r| r.str_field("mobile_phone") == Some(phone))
    }

    /// The time fields of a test-supplied object: (creation, last update), each parsed if
    /// given and valid. They are taken as they are: the clock does not follow them.
    pub(crate) fn given_times(
        fields: &Map<String, Value>,
    ) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let get = |k: &str| fields.get(k).and_then(Value::as_str).and_then(parse_time);
        (get("creation_time"), get("last_updated_time"))
    }
}
