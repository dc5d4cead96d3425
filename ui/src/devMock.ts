// Dev only: made-up contacts behind the IPC commands so `npm run dev` works in a plain browser (?n=1000000 for a big list, ?n=0 for an empty one).
import { mockIPC } from "@tauri-apps/api/mocks";
import type { AppInfo, Contact, ContactFields, ContactPage, IpcError, ListQuery, SortColumn } from "./api";

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

// Base contacts are generated on demand; only changes are stored.
const edited = new Map<number, Contact>();
const deleted = new Set<number>();
const added: Contact[] = [];
let nextId = 1;

const contactAt = (i: number): Contact => (i < N ? (edited.get(i) ?? generate(i)) : added[i - N]);
const size = () => N + added.length;
const indexOf = (id: string): number => {
  if (id.startsWith("c")) return Number(id.slice(1));
  const j = added.findIndex((c) => c.id === id);
  return j < 0 ? -1 : N + j;
};

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
    if (i < N && deleted.has(i)) continue;
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

function fail(code: IpcError["code"], message: string, field: string | null = null): never {
  throw { code, message, field } satisfies IpcError;
}

function emailTaken(email: string, except: number): boolean {
  const wanted = email.toLowerCase();
  for (let i = 0; i < size(); i++) {
    if (i === except || (i < N && deleted.has(i))) continue;
    if (contactAt(i).email === wanted) return true;
  }
  return false;
}

function apply(base: Contact | null, fields: ContactFields, except: number): Contact {
  const now = new Date().toISOString();
  const c: Contact = base
    ? { ...base }
    : { ...generate(0), id: `n${nextId++}`, created_at: now, owner: "me@example.com" };
  if (!base) for (const k of Object.keys(fields) as (keyof ContactFields)[]) (c as Record<string, unknown>)[k] = null;
  for (const [k, v] of Object.entries(fields) as [keyof ContactFields, unknown][]) {
    if (v === null) continue;
    (c as Record<string, unknown>)[k] = v === "" ? null : typeof v === "string" ? v.trim() : v;
  }
  if (c.email) {
    c.email = c.email.toLowerCase();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(c.email)) fail("invalid", "Enter an email address like name@example.com.", "email");
    if (emailTaken(c.email, except)) fail("duplicate", `Another contact already uses ${c.email}.`, "email");
  }
  if (c.mobile_phone && !/^\+?[\d\s()-]{6,}$/.test(c.mobile_phone)) {
    fail("invalid", "Enter a mobile number with its country code, like +44 7700 900123.", "mobile_phone");
  }
  if (!c.email && !c.mobile_phone) fail("invalid", "A contact needs an email or a mobile phone.");
  c.updated_at = now;
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function installDevMock() {
  console.info(`[cardfile] dev mock IPC with ${N} contacts`);
  mockIPC(async (cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    await sleep(15 + Math.random() * 30);
    switch (cmd) {
      case "app_info":
        return {
          user_email: "me@example.com",
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
      case "get_contact": {
        const i = indexOf(a.id as string);
        if (i < 0 || (i < N && deleted.has(i))) fail("not_found", "This contact no longer exists.");
        return contactAt(i);
      }
      case "add_contact": {
        const c = apply(null, a.fields as ContactFields, -1);
        added.push(c);
        cache = null;
        return c;
      }
      case "edit_contact": {
        const i = indexOf(a.id as string);
        if (i < 0 || (i < N && deleted.has(i))) fail("not_found", "This contact no longer exists.");
        const c = apply(contactAt(i), a.fields as ContactFields, i);
        if (i < N) edited.set(i, c);
        else added[i - N] = c;
        cache = null;
        return c;
      }
      case "delete_contact": {
        const i = indexOf(a.id as string);
        if (i < 0) fail("not_found", "This contact no longer exists.");
        if (i < N) deleted.add(i);
        else added.splice(i - N, 1);
        cache = null;
        return null;
      }
      default:
        fail("internal", `Unknown command ${cmd}`);
    }
  });
}
