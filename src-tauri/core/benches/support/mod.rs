//! What the benchmarks share: the app's allocator, generated people (a seeded generator,
//! so every run sees the same ones), and a database of them kept between runs. The window's
//! type-ahead benchmark (src-tauri/benches/typeahead.rs) includes this file too.

use std::path::Path;
use std::time::Instant;

use cardfile_core::{contacts, ContactFields, Session, Store};

/// The app's allocator (src-tauri/src/main.rs), so the benchmarks measure what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The benchmarks' tokio runtime, with `threads` workers (the app's has two).
pub fn runtime(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap()
}

/// A small, seeded generator (xorshift): the same million people on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Skewed towards the front of a list, as real names are (a few very common).
    pub fn skewed(&mut self, n: usize) -> usize {
        let a = self.below(n);
        let b = self.below(n);
        a.min(b)
    }
}

#[rustfmt::skip]
pub const FIRST: &[&str] = &[
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
pub const LAST: &[&str] = &[
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
pub const COMPANY_A: &[&str] = &[
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Cyberdyne",
    "Soylent", "Tyrell", "Vandelay", "Pied", "Aperture", "Massive", "Dunder", "Bluth", "Gringotts",
    "Oscorp", "Nakatomi", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adventure",
    "Proseware", "Lucerne", "Woodgrove", "Alpine",
];
#[rustfmt::skip]
pub const COMPANY_B: &[&str] = &[
    "Industries", "Systems", "Labs", "Holdings", "Logistics", "Analytics", "Software", "Partners",
    "Group", "Dynamics", "Solutions", "Ventures", "Foods", "Energy", "Health", "Capital", "Media",
    "Robotics",
];
#[rustfmt::skip]
pub const TITLES: &[&str] = &[
    "Account Executive", "Sales Manager", "VP Sales", "CEO", "CTO", "Office Manager", "Buyer",
    "Procurement Lead", "Marketing Director", "Founder", "Operations Manager", "Engineer",
];
#[rustfmt::skip]
pub const DOMAINS: &[&str] = &[
    "gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me",
];

pub fn ascii(word: &str) -> String {
    cardfile_core::words::fold(word)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// Person `i` of the generated million: unique email and mobile phone, mixed formats.
pub fn person(rng: &mut Rng, i: usize) -> ContactFields {
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

/// Removes the database file `db` with its log, its log's index and its daily backup, if
/// there (a benchmark's databases are gigabytes; a log left behind filled the disk once).
pub fn remove_database(db: &Path) {
    for suffix in ["", "-wal", "-shm", ".backup"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

/// The database at `path` holding `count` generated people, made (8 minutes for a
/// million here) unless the file there already holds that many; opened and returned.
#[allow(dead_code)] // the import and API benchmarks make databases of their own
pub async fn generated_database(path: &Path, count: usize) -> Store {
    if path.exists() {
        let store = Store::open(path).await.unwrap();
        if contacts::count(&store).await.unwrap() as usize == count {
            return store;
        }
        store.close().await;
        // The closed pool's last connection may still be closing on its own thread (and
        // deleting its log by name): removing the files at once raced it, and the new
        // database lost its log ("disk I/O error").
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        remove_database(path);
    }
    let store = Store::open(path).await.unwrap();
    let session = Session::new(store.clone(), None).await.unwrap();
    let user = session.user().await.unwrap();
    let started = Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let people: Vec<ContactFields> = (0..count).map(|i| person(&mut rng, i)).collect();
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
}
