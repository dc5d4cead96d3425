// Dev only: made-up contacts behind the IPC commands so `npm run dev` works in a plain browser (?n=1000000 for a big list, ?n=0 for an empty one).
import { mockIPC } from "@tauri-apps/api/mocks";
import type { Activity, AppInfo, Contact, ContactFields, ContactPage, HistoryEntry, IpcError, ListQuery, MergePlan, NewActivity, Recorded, ReviewItem, SortColumn, Undone } from "./api";

const FIRST = ["Ann", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Liam", "Maya", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zoë"];
const LAST = ["Lee", "Okafor", "García", "Novak", "Schmidt", "Tanaka", "Dubois", "Rossi", "Kowalski", "Haddad", "Larsen", "Murphy", "Silva", "Nguyen", "Petrov", "Costa", "Fischer", "Moreau", "Ivanova", "Brown", "Khan", "Sato", "Jensen", "Walsh", "Ortiz", "Meyer", "Park", "Bauer", "Ali", "Young"];
const COMPANY = ["Acme Ltd", "Northwind", "Globex", "Initech", "Umbrella Retail", "Stark Logistics", "Wayne Foods", "Hooli", "Vandelay Import", "Soylent Corp", "", "Blue Sky Dental"];
const TITLE = ["Sales Manager", "CTO", "Buyer", "Office Manager", "Founder", "Account Executive", "", "Head of Operations", "Marketing Lead"];
const STATUS = ["Qualified", "Sales qualified", "Marketing qualified", "Disqualified", null] as const;

const params = new URLSearchParams(window.location.search);
const N = Math.max(0, Math.min(2_000_000, Number(params.get("n") ?? 5000) || 0));
const COUNT_LIMIT = 20_000; // above this many matches the mock, like Rust, does not count

const BASE_TIME = Date.parse("2025-11-20T09:00:00Z");

function generate(i: number): Contact {
  const first = FIRST[i % FIRST.length];
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length];
  const n = Math.floor(i / (FIRST.length * LAST.length));
  const handle = `${first}.${last}${n ? n : ""}`.toLowerCase().normalize("NFD").replace(/[^a-z0-9.]/g, "");
  const noEmail = i % 17 === 5;
  const time = new Date(BASE_TIME - ((i * 7919) % 5_000_000) * 60_000).toISOString();
  return {
    id: `c${i}`,
    first_name: i % 23 === 7 ? null : first,
    last_name: i % 23 === 7 ? null : last,
    salutation: null,
    email: noEmail ? null : `${handle}@example.com`,
    mobile_phone: i % 3 === 0 || noEmail ? `+4479${String(10000000 + ((i * 7919) % 89999999)).padStart(8, "0")}` : null,
    phone: null,
    company: COMPANY[i % COMPANY.length] || null,
    job_title: TITLE[i % TITLE.length] || null,
    street_address: null,
    city: null,
    state: null,
    post_code: null,
    country: i % 2 ? "GB" : null,
    timezone: null,
    status: STATUS[i % STATUS.length],
    has_consent: i % 4 === 0 ? true : null,
    notes: null,
    owner: "me@example.com",
    created_at: time,
    updated_at: time,
    last_interacted_at: null,
  };
}


// Base contacts are generated on demand; only changes are stored. Indices never move: a deleted
// contact (base or added) stays in `deleted`, so undo can bring it back in place.
const edited = new Map<number, Contact>();
const deleted = new Set<number>();
const added: Contact[] = [];
let nextId = 1;

const ME = "me@example.com";
const FIELDS = [
  "first_name", "last_name", "salutation", "email", "mobile_phone", "phone", "company", "job_title", "street_address",
  "city", "state", "post_code", "country", "timezone", "status", "has_consent", "notes",
] as const satisfies readonly (keyof ContactFields)[];
type Field = (typeof FIELDS)[number];

const contactAt = (i: number): Contact => (i < N ? (edited.get(i) ?? generate(i)) : added[i - N]);
const size = () => N + added.length;
const alive = (i: number) => i >= 0 && i < size() && !deleted.has(i);
const indexOf = (id: string): number => {
  if (id.startsWith("c")) return Number(id.slice(1));
  const j = added.findIndex((c) => c.id === id);
  return j < 0 ? -1 : N + j;
};
function put(i: number, c: Contact) {
  if (i < N) edited.set(i, c);
  else added[i - N] = c;
}

function sortKey(c: Contact, sort: SortColumn): string {
  switch (sort) {
    case "name":
      return `${c.first_name ?? ""} ${c.last_name ?? ""}`.trim().toLowerCase() || "\uffff";
    case "updated_at":
      return c.updated_at;
    default:
      return (c[sort] ?? "\uffff").toLowerCase();
  }
}

let cache: { key: string; order: Uint32Array } | null = null;
function ordered(search: string, sort: SortColumn): Uint32Array {
  const key = `${search}\u0000${sort}`;
  if (cache?.key === key) return cache.order;
  const needle = search.toLowerCase();
  const hits: number[] = [];
  const keys: string[] = [];
  for (let i = 0; i < size(); i++) {
    if (deleted.has(i)) continue;
    const c = contactAt(i);
    if (needle) {
      const hay = `${c.first_name ?? ""} ${c.last_name ?? ""} ${c.email ?? ""} ${c.mobile_phone ?? ""} ${c.company ?? ""}`.toLowerCase();
      if (!hay.includes(needle)) continue;
    }
    hits.push(i);
    keys.push(sortKey(c, sort));
  }
  const idx = Uint32Array.from(hits.keys());
  idx.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : hits[a] - hits[b]));
  const order = idx.map((k) => hits[k]);
  cache = { key, order };
  return order;
}

function fail(code: IpcError["code"], message: string, field: string | null = null, plan: MergePlan | null = null): never {
  throw { code, message, field, plan } satisfies IpcError;
}

/** A field as plans and history carry it: text, has_consent "true"/"false", null when blank. */
function text(c: Contact, f: Field): string | null {
  const v = c[f];
  if (v === null || v === undefined || v === "") return null;
  return typeof v === "boolean" ? String(v) : v;
}
function setText(c: Contact, f: Field, v: string | null) {
  if (f === "has_consent") c.has_consent = v === null ? null : v === "true";
  else c[f] = v;
}

/** `base` (or a blank contact) with `fields` applied and checked; identity clashes are the caller's business. */
function apply(base: Contact | null, fields: ContactFields): Contact {
  const now = new Date().toISOString();
  const c: Contact = base ? { ...base } : { ...generate(0), id: "", created_at: now, owner: ME };
  if (!base) for (const f of FIELDS) setText(c, f, null);
  for (const [k, v] of Object.entries(fields) as [keyof ContactFields, unknown][]) {
    if (v === null || v === undefined) continue;
    (c as Record<string, unknown>)[k] = v === "" ? null : typeof v === "string" ? v.trim() : v;
  }
  if (c.email) {
    c.email = c.email.toLowerCase();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(c.email)) fail("invalid", "Enter an email address like name@example.com.", "email");
  }
  if (c.mobile_phone) {
    if (!/^\+?[\d\s()-]{6,}$/.test(c.mobile_phone)) {
      fail("invalid", "Enter a mobile number with its country code, like +44 7700 900123.", "mobile_phone");
    }
    c.mobile_phone = c.mobile_phone.replace(/[\s()-]/g, "");
  }
  if (!c.email && !c.mobile_phone) fail("invalid", "A contact needs an email or a mobile phone.");
  c.updated_at = now;
  return c;
}

/** Who else holds this email, then this mobile phone (index or -1). A linear scan: fine for a mock. */
function holders(c: Contact, except: number): [number, number] {
  let byEmail = -1;
  let byPhone = -1;
  for (let i = 0; i < size() && (byEmail < 0 || byPhone < 0); i++) {
    if (i === except || deleted.has(i)) continue;
    const o = contactAt(i);
    if (byEmail < 0 && c.email && o.email === c.email) byEmail = i;
    if (byPhone < 0 && c.mobile_phone && o.mobile_phone === c.mobile_phone) byPhone = i;
  }
  return [byEmail, byPhone];
}

function plan(survivor: Contact, entry: Contact, mergeWith: string[]): MergePlan {
  const fields: MergePlan["fields"] = [];
  for (const f of FIELDS) {
    const current = text(survivor, f);
    const next = text(entry, f);
    if (current === null && next === null) continue;
    const action = next === null || next === current ? "keep" : current === null ? "fill" : "replace";
    fields.push({ field: f, current, new: next, result: action === "keep" ? current : next, action });
  }
  return { merge_with: mergeWith, fields };
}

// The journal: one batch per add, edit or merge, enough for history and undo.
type Change = { i: number; before: Contact | null; after: Contact | null };
type Batch = { at: string; kind: string; summary: string; changes: Change[] };
const journal: Batch[] = [];

function record(kind: string, summary: string, changes: Change[]) {
  journal.push({ at: new Date().toISOString(), kind, summary, changes });
  cache = null;
}

function history(i: number): HistoryEntry[] {
  return journal.flatMap((b) =>
    b.changes
      .filter((ch) => ch.i === i)
      .map((ch) => ({
        at: b.at,
        user: ME,
        kind: b.kind,
        summary: b.summary,
        changes: FIELDS.flatMap((f) => {
          const before = ch.before ? text(ch.before, f) : null;
          const after = ch.after ? text(ch.after, f) : null;
          return before === after ? [] : [{ field: f, before, after }];
        }),
      })),
  );
}

function undo(): Undone {
  const batch = journal[journal.length - 1];
  if (!batch) fail("not_found", "nothing to undo");
  for (const ch of batch.changes) {
    const now = alive(ch.i) ? contactAt(ch.i) : null;
    if (now !== ch.after) fail("conflict", `cannot undo "${batch.summary}": contact ${ch.before?.id ?? ch.after?.id} has changed since`);
  }
  for (const ch of batch.changes) {
    if (ch.before) {
      put(ch.i, ch.before);
      deleted.delete(ch.i);
    } else {
      deleted.add(ch.i);
    }
  }
  journal.pop();
  cache = null;
  return { kind: batch.kind, summary: batch.summary };
}

/** Add (at = -1) or edit of the contact at `at`; a clash with other contacts asks for a merge first. */
function save(at: number, fields: ContactFields, merge: boolean): Contact {
  const base = at < 0 ? null : contactAt(at);
  const entry = apply(base, fields);
  // Addresses at hidden.example stand for contacts the signed-in user may not see.
  if (entry.email?.endsWith("@hidden.example")) {
    fail("cannot_save", "Cannot Save Contact: this email or mobile phone belongs to a contact you may not access");
  }
  const [byEmail, byPhone] = holders(entry, at);
  const survivorAt = byEmail >= 0 ? byEmail : byPhone;
  if (survivorAt < 0) {
    const name = `${entry.first_name ?? ""} ${entry.last_name ?? ""}`.trim() || entry.email || entry.mobile_phone || "";
    if (at < 0) {
      entry.id = `n${nextId++}`;
      added.push(entry);
      record("add", `Add ${name}`, [{ i: N + added.length - 1, before: null, after: entry }]);
    } else {
      put(at, entry);
      record("edit", `Edit ${name}`, [{ i: at, before: base, after: entry }]);
    }
    return entry;
  }
  const folded = [byPhone >= 0 && byPhone !== survivorAt ? byPhone : -1, at].filter((i) => i >= 0);
  const survivor = contactAt(survivorAt);
  const p = plan(survivor, entry, [survivor.id, ...folded.map((i) => contactAt(i).id)]);
  if (!merge) fail("merge_needed", "this email or mobile phone belongs to another contact: saving merges them", null, p);
  const merged: Contact = { ...survivor, updated_at: new Date().toISOString() };
  for (const row of p.fields) setText(merged, row.field as Field, row.result);
  put(survivorAt, merged);
  for (const i of folded) deleted.add(i);
  const name = `${merged.first_name ?? ""} ${merged.last_name ?? ""}`.trim() || merged.email || "";
  record("merge", `Merge into ${name}`, [
    { i: survivorAt, before: survivor, after: merged },
    ...folded.map((i) => ({ i, before: contactAt(i), after: null })),
  ]);
  return merged;
}

// Activities: found by email, then mobile phone; a new customer becomes a contact; an identity split between two contacts is held for review.
type StoredActivity = Omit<Activity, "contact_deleted">;
const activities: StoredActivity[] = [];
const reviews: ReviewItem[] = [];

function recordActivity(a: NewActivity): Recorded {
  const kind = a.kind ?? "meeting";
  if (!a.fields.email?.trim() && !a.fields.mobile_phone?.trim()) fail("invalid", "an activity needs the customer's email or mobile phone", "email");
  if (a.starts_at && a.ends_at && a.ends_at < a.starts_at) fail("invalid", "a meeting cannot end before it starts", "ends_at");
  const entry = apply(null, a.fields);
  const [byEmail, byPhone] = holders(entry, -1);
  const at = byEmail >= 0 ? byEmail : byPhone;
  const created = at < 0;
  const contact = created ? save(-1, a.fields, false) : contactAt(at);
  const id = `a${activities.length + 1}`;
  const now = new Date().toISOString();
  if (byEmail >= 0 && byPhone >= 0 && byEmail !== byPhone) {
    reviews.unshift({
      id: `r${reviews.length + 1}`,
      source: kind,
      activity_id: id,
      email_contact_id: contactAt(byEmail).id,
      phone_contact_id: contactAt(byPhone).id,
      reason: "the email and the mobile phone belong to different contacts",
      created_at: now,
    });
  }
  const name = `${a.fields.first_name ?? ""} ${a.fields.last_name ?? ""}`.trim();
  activities.unshift({
    id,
    kind,
    contact_id: contact.id,
    host: a.host ?? ME,
    status: kind === "meeting" ? (a.status ?? "scheduled") : null,
    starts_at: a.starts_at ?? null,
    ends_at: a.ends_at ?? null,
    calendar: a.calendar ?? null,
    event_id: a.event_id ?? null,
    with_name: name || `${contact.first_name ?? ""} ${contact.last_name ?? ""}`.trim() || null,
    with_email: a.fields.email ?? null,
    with_phone: a.fields.mobile_phone ?? null,
    created_at: now,
  });
  return { id, kind, contact_id: contact.id, created_contact: created };
}

function listActivities(contact: string | null): Activity[] {
  return activities
    .filter((a) => contact === null || a.contact_id === contact)
    .map((a) => {
      const gone = a.contact_id !== null && !alive(indexOf(a.contact_id));
      return { ...a, contact_id: gone ? null : a.contact_id, contact_deleted: gone };
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function installDevMock() {
  console.info(`[cardfile] dev mock IPC with ${N} contacts`);
  mockIPC(async (cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    await sleep(15 + Math.random() * 30);
    const found = () => {
      const i = indexOf(a.id as string);
      if (!alive(i)) fail("not_found", "This contact no longer exists.");
      return i;
    };
    switch (cmd) {
      case "app_info":
        return {
          user_email: ME,
          user_name: "Morgan Example",
          db_path: "/home/me/.local/share/cardfile/cardfile.db",
          contact_count: size() - deleted.size,
        } satisfies AppInfo;
      case "list_contacts": {
        const q = a.query as ListQuery;
        const order = ordered(q.search, q.sort);
        const len = order.length;
        const at = (k: number) => contactAt(order[q.descending ? len - 1 - k : k]);
        const rows: Contact[] = [];
        for (let k = q.offset; k < Math.min(len, q.offset + q.limit); k++) rows.push(at(k));
        const counted = q.search === "" || len <= COUNT_LIMIT;
        return { rows, total: counted ? len : null, has_more: q.offset + rows.length < len } satisfies ContactPage;
      }
      case "get_contact":
        return contactAt(found());
      case "add_contact":
        return save(-1, a.fields as ContactFields, a.merge === true);
      case "edit_contact":
        return save(found(), a.fields as ContactFields, a.merge === true);
      case "delete_contact": {
        deleted.add(found());
        cache = null;
        return null;
      }
      case "contact_history":
        return history(found());
      case "undo":
        return undo();
      case "record_activity":
        return recordActivity(a.activity as NewActivity);
      case "list_activities":
        return listActivities((a.contact as string | null | undefined) ?? null);
      case "list_notifications":
        return []; // the mock schedules no reminders
      case "list_conflicts":
        return reviews;
      case "dismiss_conflict": {
        const at = reviews.findIndex((r) => r.id === a.id);
        if (at < 0) fail("not_found", `no review item with id ${String(a.id)}`);
        reviews.splice(at, 1);
        return null;
      }
      case "rebook_meeting": {
        const found = activities.find((x) => x.id === a.id);
        if (!found) fail("not_found", `no activity with id ${String(a.id)}`);
        const change = a.change as { status: string | null };
        found.status = change.status ?? found.status;
        return { id: found.id, kind: found.kind, contact_id: found.contact_id ?? "", created_contact: false };
      }
      default:
        fail("internal", `Unknown command ${cmd}`);
    }
  });
}
