//! `make bench` for the foundation: a million generated contacts, then the four numbers the
//! window depends on: first page, type-ahead search, one saved edit, open to first page.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cardfile_core::{contacts, ContactFields, ListQuery, Session, SortColumn, Store};

const CONTACTS: usize = 1_000_000;

/// A small, seeded generator (xorshift): the same million people on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Skewed towards the front of a list, as real names are (a few very common).
    fn skewed(&mut self, n: usize) -> usize {
        let a = self.below(n);
        let b = self.below(n);
        a.min(b)
    }
}

#[rustfmt::skip]
const FIRST: &[&str] = &[
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty", "Anthony",
    "Margaret", "Mark", "Sandra", "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily",
    "Andrew", "Donna", "Joshua", "Michelle", "Kenneth", "Dorothy", "Kevin", "Carol", "Brian",
    "Amanda", "George", "Melissa", "Edward", "Deborah", "Ronald", "Stephanie", "Timothy", "Rebecca",
    "Jason", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia", "Jacob", "Kathleen", "Gary", "Amy",
    "Nicholas", "Shirley", "Eric", "Angela", "Jonathan", "Helen", "Stephen", "Anna", "Larry",
    "Brenda", "Justin", "Pamela", "Scott", "Nicole", "Brandon", "Emma", "Benjamin", "Samantha",
    "Samuel", "Katherine", "Gregory", "Christine", "Frank", "Debra", "Alexander", "Rachel",
    "Raymond", "Catherine", "Patrick", "Carolyn", "Jack", "Janet", "Dennis", "Ruth", "Jerry",
    "Maria", "José", "Zoë", "Björn", "Chloé", "Søren", "Ana", "Luca", "Mei", "Yuki", "Olu", "Priya",
    "Wei", "Ingrid", "Fatima", "Omar", "Hugo", "Lena", "Mateo", "Noah", "Elena", "Sofia", "Lucas",
    "Emil", "Aoife", "Niamh",
];
#[rustfmt::skip]
const LAST: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
    "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
    "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell",
    "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker",
    "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook",
    "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly",
    "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Müller", "Schmidt", "Schneider",
    "Fischer", "Weber", "Dubois", "Lefèvre", "Moreau", "Laurent", "Rossi", "Russo", "Ferrari",
    "O'Brien", "Ó Súilleabháin", "Kowalski", "Nowak", "Jensen", "Nielsen", "Hansen", "Tanaka",
    "Suzuki", "Sato", "Wang", "Li", "Zhang", "Chen", "Patel", "Singh", "Kumar", "Okafor", "Mensah",
    "Silva", "Santos", "Oliveira", "Costa", "Novak", "Horvat", "Popescu", "Ivanova", "Petrov",
    "Yilmaz", "Kaya",
];
#[rustfmt::skip]
const COMPANY_A: &[&str] = &[
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Cyberdyne",
    "Soylent", "Tyrell", "Vandelay", "Pied", "Aperture", "Massive", "Dunder", "Bluth", "Gringotts",
    "Oscorp", "Nakatomi", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adventure",
    "Proseware", "Lucerne", "Woodgrove", "Alpine",
];
#[rustfmt::skip]
const COMPANY_B: &[&str] = &[
    "Industries", "Systems", "Labs", "Holdings", "Logistics", "Analytics", "Software", "Partners",
    "Group", "Dynamics", "Solutions", "Ventures", "Foods", "Energy", "Health", "Capital", "Media",
    "Robotics",
];
#[rustfmt::skip]
const TITLES: &[&str] = &[
    "Account Executive", "Sales Manager", "VP Sales", "CEO", "CTO", "Office Manager", "Buyer",
    "Procurement Lead", "Marketing Director", "Founder", "Operations Manager", "Engineer",
];
#[rustfmt::skip]
const DOMAINS: &[&str] = &[
    "gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me",
];

fn ascii(word: &str) -> String {
    cardfile_core::search::fold(word)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// Person `i` of the generated million: unique email and mobile phone, mixed formats.
fn person(rng: &mut Rng, i: usize) -> ContactFields {
    let first = FIRST[rng.skewed(FIRST.len())];
    let last = LAST[rng.skewed(LAST.len())];
    let company = format!(
        "{} {}",
        COMPANY_A[rng.below(COMPANY_A.len())],
        COMPANY_B[rng.below(COMPANY_B.len())]
    );
    let domain = if rng.below(3) == 0 {
        format!("{}.com", ascii(&company))
    } else {
        DOMAINS[rng.below(DOMAINS.len())].to_string()
    };
    let email = match rng.below(3) {
        0 => format!("{}.{}{}@{domain}", ascii(first), ascii(last), i),
        1 => format!("{}{}{}@{domain}", &ascii(first)[..1], ascii(last), i),
        _ => format!("{}_{}@{domain}", ascii(first), i),
    };
    // Unique mobiles in four countries and several written forms.
    let n = i as u64;
    let (mobile, country) = match i % 4 {
        0 => (
            format!(
                "({}) {}-{:04}",
                201 + n / 8_000_000 % 7,
                200 + n / 10_000 % 800,
                n % 10_000
            ),
            "US",
        ),
        1 => (format!("07911 {:06}", n / 4 % 1_000_000), "GB"),
        2 => (format!("+49 151 {:08}", n / 4), "DE"),
        _ => (
            format!(
                "06.{:02}.{:02}.{:02}.{:02}",
                n / 4 / 1_000_000 % 100,
                n / 4 / 10_000 % 100,
                n / 4 / 100 % 100,
                n / 4 % 100
            ),
            "FR",
        ),
    };
    ContactFields {
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        email: (rng.below(20) != 0).then_some(email),
        mobile_phone: Some(mobile),
        company: (rng.below(5) != 0).then_some(company),
        job_title: (rng.below(3) != 0).then(|| TITLES[rng.below(TITLES.len())].to_string()),
        country: Some(country.into()),
        ..Default::default()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Verdict {
    lines: Vec<String>,
    missed: usize,
}

impl Verdict {
    fn check(&mut self, what: &str, p50: Duration, p95: Duration, target_ms: f64, on_p95: bool) {
        let measured = if on_p95 { ms(p95) } else { ms(p50) };
        let ok = measured <= target_ms;
        if !ok {
            self.missed += 1;
        }
        self.lines.push(format!(
            "{what:<34} p50 {:>8.2} ms   p95 {:>8.2} ms   target {} {target_ms} ms   {}",
            ms(p50),
            ms(p95),
            if on_p95 { "p95 <=" } else { "p50 <=" },
            if ok { "MET" } else { "MISSED" }
        ));
    }
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let dir = PathBuf::from(
        std::env::var("CARDFILE_BENCH_DIR").unwrap_or_else(|_| "../../target/bench-data".into()),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("foundation-1m.db");
    let rt = runtime();

    let store = rt.block_on(async {
        let store = Store::open(&path).await.unwrap();
        let have = contacts::count(&store).await.unwrap() as usize;
        if have != CONTACTS {
            store.close().await;
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            let store = Store::open(&path).await.unwrap();
            let session = Session::new(store.clone(), None).await.unwrap();
            let user = session.user().await.unwrap();
            let started = Instant::now();
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
            let people: Vec<ContactFields> = (0..CONTACTS).map(|i| person(&mut rng, i)).collect();
            let report = contacts::add_many(&store, &user, people, "benchmark data")
                .await
                .unwrap();
            assert!(
                report.rejected.is_empty(),
                "generator made bad rows: {:?}",
                &report.rejected[..3.min(report.rejected.len())]
            );
            println!(
                "generated {} contacts in {:.1} s",
                report.added,
                started.elapsed().as_secs_f64()
            );
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(store.pool())
                .await
                .unwrap();
            store
        } else {
            store
        }
    });
    let session = rt.block_on(Session::new(store.clone(), None)).unwrap();
    let mut verdict = Verdict {
        lines: Vec::new(),
        missed: 0,
    };

    // First page of the table, as the window asks for it.
    let first_page = ListQuery {
        limit: 100,
        ..Default::default()
    };
    let mut samples: Vec<Duration> = (0..50)
        .map(|_| {
            let t = Instant::now();
            let page = rt.block_on(session.list(&first_page)).unwrap();
            assert_eq!(page.rows.len(), 100);
            t.elapsed()
        })
        .collect();
    let (p50, p95) = (
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.95),
    );
    verdict.check("first page (100 rows, by name)", p50, p95, 20.0, true);
    for sort in [
        SortColumn::Email,
        SortColumn::Company,
        SortColumn::UpdatedAt,
    ] {
        let q = ListQuery {
            sort,
            descending: true,
            limit: 100,
            ..Default::default()
        };
        rt.block_on(session.list(&q)).unwrap(); // warm the index's pages, as a first click would
        let mut samples: Vec<Duration> = (0..20)
            .map(|_| {
                let t = Instant::now();
                rt.block_on(session.list(&q)).unwrap();
                t.elapsed()
            })
            .collect();
        let (p50, p95) = (
            percentile(&mut samples, 0.5),
            percentile(&mut samples, 0.95),
        );
        verdict.check(
            &format!("first page sorted by {sort:?} desc"),
            p50,
            p95,
            20.0,
            true,
        );
    }

    // Type-ahead: every prefix a person types on the way to these queries.
    let typed = [
        "john smith",
        "maria garcia",
        "lee",
        "anderson",
        "acme",
        "globex labs",
        "gmail",
        "outlook",
        "zoe",
        "bjorn",
        "o'brien",
        "kowalski",
        "patel",
        "nguyen",
        "williams",
        "jo",
        "sa",
        "emily",
        "christopher",
        "tanaka",
        "ceo",
        "+44 7911",
        "0151",
        "(201) 2",
        "06.1",
        "qx",
        "zz",
        "e",
        "a",
        "s",
        "m",
        "k",
        "x",
        "wang li",
        "sarah jones",
        "wonka",
        "initech",
        "hernandez",
        "yilmaz",
    ];
    let mut queries: Vec<String> = Vec::new();
    for t in typed {
        for end in 1..=t.chars().count() {
            let q: String = t.chars().take(end).collect();
            if !q.trim().is_empty() && !queries.contains(&q) {
                queries.push(q);
            }
        }
    }
    let mut samples = Vec::new();
    let mut timed: Vec<(Duration, String)> = Vec::new();
    for round in 0..2 {
        for q in &queries {
            let query = ListQuery {
                search: q.clone(),
                limit: 100,
                ..Default::default()
            };
            let t = Instant::now();
            rt.block_on(session.list(&query)).unwrap();
            let e = t.elapsed();
            if round == 1 {
                timed.push((e, q.clone()));
            }
            samples.push(e);
        }
    }
    let (p50, p95) = (
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.95),
    );
    verdict.check(
        &format!("type-ahead search ({} queries)", samples.len()),
        p50,
        p95,
        10.0,
        true,
    );
    timed.sort();
    let slowest: Vec<String> = timed
        .iter()
        .rev()
        .take(8)
        .map(|(d, q)| format!("{q:?} {:.1}", ms(*d)))
        .collect();
    verdict
        .lines
        .push(format!("  slowest (ms): {}", slowest.join(", ")));

    // One edit saved with its journal entry.
    let ids: Vec<String> = rt
        .block_on(session.list(&ListQuery {
            search: "smith".into(),
            limit: 200,
            ..Default::default()
        }))
        .unwrap()
        .rows
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut samples: Vec<Duration> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let fields = ContactFields {
                job_title: Some(format!("Buyer {i} {}", std::process::id())),
                ..Default::default()
            };
            let t = Instant::now();
            rt.block_on(session.edit(id, &fields, false)).unwrap();
            t.elapsed()
        })
        .collect();
    let (p50, p95) = (
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.95),
    );
    verdict.check(
        &format!("save one edit + journal ({} edits)", samples.len()),
        p50,
        p95,
        5.0,
        true,
    );
    rt.block_on(store.close());

    // Open the file to the first page, as the app does at start.
    let mut samples: Vec<Duration> = (0..10)
        .map(|_| {
            let t = Instant::now();
            rt.block_on(async {
                let store = Store::open(&path).await.unwrap();
                let session = Session::new(store.clone(), None).await.unwrap();
                session.list(&first_page).await.unwrap();
                let e = t.elapsed();
                store.close().await;
                e
            })
        })
        .collect();
    let (p50, p95) = (
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.95),
    );
    verdict.check("open database to first page", p50, p95, 1000.0, true);

    println!(
        "\nCardfile foundation benchmark: {CONTACTS} contacts in {}",
        path.display()
    );
    for line in &verdict.lines {
        println!("{line}");
    }
    if verdict.missed > 0 {
        println!("{} target(s) missed", verdict.missed);
        std::process::exit(1);
    }
    println!("all targets met");
}
