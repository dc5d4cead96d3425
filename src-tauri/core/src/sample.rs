//! The sample contacts a first run offers ("Try it with sample contacts", `cardfile sample`,
//! `make demo`): about fifty made-up people from a dozen countries, one row that names two
//! of them (a pending duplicate for the Review list) and a few past meetings. The contacts
//! arrive through the ordinary import of a generated CSV, so they are one step for Undo;
//! the meetings are journaled in that same batch, so Undo takes them away too.

use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::activity;
use crate::booking::Booking;
use crate::error::{Error, Result};
use crate::import::{self, ImportOptions, Summary};
use crate::store::Store;
use crate::users::User;

/// What loading the sample did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Loaded {
    /// The import's summary: the contacts created and the row held for review.
    pub summary: Summary,
    /// Meetings recorded with sample contacts.
    pub meetings: u32,
}

/// The file the import reads; its name is what Undo and the history call the batch.
pub const FILE_NAME: &str = "sample contacts.csv";

const HEADER: [&str; 11] = [
    "First Name",
    "Last Name",
    "Email",
    "Mobile Phone",
    "Phone",
    "Company",
    "Job Title",
    "City",
    "Country",
    "Status",
    "Notes",
];

/// first, last, email, mobile, phone, company, title, city, country, status, notes
type Person = [&'static str; 11];

/// Made-up people: names, companies and numbers (in each country's own way of writing
/// them) are invented; addresses use the reserved `.example` domain so nothing is ever
/// delivered to anyone.
#[rustfmt::skip]
const PEOPLE: [Person; 50] = [
    ["Ann", "Lee", "ann.lee@brightwater.example", "(201) 555-0123", "", "Brightwater Analytics", "Head of Sales", "Jersey City", "United States", "Qualified", "Met at SaaStr; wants a pilot in Q3."],
    ["Marcus", "Okafor", "marcus@brightwater.example", "201-555-0147", "+1 201 555 0100", "Brightwater Analytics", "Account Executive", "Jersey City", "United States", "Sales qualified", ""],
    ["Priya", "Raman", "priya.raman@northwind.example", "+1 415 555 0132", "", "Northwind Traders", "VP Operations", "San Francisco", "USA", "Marketing qualified", ""],
    ["Diego", "Hernández", "diego.h@northwind.example", "415.555.0178", "", "Northwind Traders", "Procurement Lead", "Oakland", "USA", "", "Prefers calls after 3 pm."],
    ["Hannah", "Schmidt", "h.schmidt@kuehnwerk.example", "+49 1512 3456789", "+49 30 901820", "Kühnwerk GmbH", "Einkaufsleiterin", "Berlin", "Germany", "Qualified", ""],
    ["Jonas", "Becker", "jonas.becker@kuehnwerk.example", "01512 3456790", "", "Kühnwerk GmbH", "IT-Leiter", "München", "Germany", "", ""],
    ["Lukas", "Wagner", "lukas@alpenlogistik.example", "0151 23456791", "", "Alpen Logistik", "Geschäftsführer", "Hamburg", "Deutschland", "Sales qualified", ""],
    ["Camille", "Dubois", "camille.dubois@lumiere-conseil.example", "06 12 34 56 78", "", "Lumière Conseil", "Directrice commerciale", "Paris", "France", "Qualified", ""],
    ["Théo", "Martin", "theo.martin@lumiere-conseil.example", "+33 6 12 34 56 79", "", "Lumière Conseil", "Consultant", "Lyon", "France", "", ""],
    ["Élodie", "Moreau", "elodie@vigneron-export.example", "06.12.34.56.80", "", "Vigneron Export", "Fondatrice", "Bordeaux", "FR", "Marketing qualified", "Asked for the French brochure."],
    ["Oliver", "Bennett", "oliver.bennett@harbourline.example", "07400 123456", "020 7946 0018", "Harbourline Ltd", "Managing Director", "London", "United Kingdom", "Qualified", ""],
    ["Amelia", "Clarke", "amelia.clarke@harbourline.example", "+44 7400 123457", "", "Harbourline Ltd", "Office Manager", "London", "UK", "", ""],
    ["Siobhan", "Murphy", "siobhan@greenlane.example", "085 012 3456", "", "Greenlane Foods", "Buyer", "Dublin", "Ireland", "Sales qualified", ""],
    ["Callum", "Fraser", "callum.fraser@thistle-tech.example", "07400 123458", "", "Thistle Technologies", "CTO", "Edinburgh", "Scotland", "", "Technical evaluation in progress."],
    ["Rhys", "Evans", "rhys@cambrian-solar.example", "07400 123459", "", "Cambrian Solar", "Project Manager", "Cardiff", "Wales", "Disqualified", "No budget this year."],
    ["Lucía", "García", "lucia.garcia@solymar.example", "612 34 56 78", "", "Sol y Mar Hoteles", "Directora de compras", "Madrid", "Spain", "Qualified", ""],
    ["Javier", "López", "javier@solymar.example", "+34 612 345 679", "", "Sol y Mar Hoteles", "Jefe de IT", "Barcelona", "España", "", ""],
    ["Giulia", "Rossi", "giulia.rossi@vesuvio-design.example", "312 345 6789", "", "Vesuvio Design", "Art Director", "Milano", "Italy", "Marketing qualified", ""],
    ["Marco", "Bianchi", "marco.bianchi@vesuvio-design.example", "+39 312 345 6790", "", "Vesuvio Design", "CEO", "Napoli", "Italia", "Qualified", ""],
    ["Sanne", "de Vries", "sanne@tulpdata.example", "06 12345678", "", "TulpData B.V.", "Data Lead", "Amsterdam", "Netherlands", "", ""],
    ["Pieter", "Janssen", "pieter.janssen@tulpdata.example", "+31 6 12345679", "", "TulpData B.V.", "Sales Engineer", "Utrecht", "NL", "Sales qualified", ""],
    ["Astrid", "Lindqvist", "astrid@fjordline.example", "070-123 45 67", "", "Fjordline AB", "Inköpschef", "Stockholm", "Sweden", "", ""],
    ["Mateusz", "Kowalski", "mateusz.kowalski@wislasoft.example", "512 345 678", "", "WisłaSoft", "Team Lead", "Kraków", "Poland", "Qualified", ""],
    ["Nina", "Keller", "nina.keller@bergbahn.example", "078 123 45 67", "", "Bergbahn AG", "Marketing Manager", "Zürich", "Switzerland", "Marketing qualified", ""],
    ["Emily", "Tremblay", "emily.tremblay@mapleleaf.example", "(506) 234-5678", "", "Maple Leaf Outfitters", "Owner", "Moncton", "Canada", "Qualified", ""],
    ["Noah", "Roy", "noah.roy@mapleleaf.example", "506-234-5679", "", "Maple Leaf Outfitters", "Store Manager", "Fredericton", "Canada", "", ""],
    ["Sofía", "Ramírez", "sofia.ramirez@aztecaverde.example", "+52 222 123 4567", "", "Azteca Verde", "Gerente General", "Puebla", "Mexico", "Sales qualified", ""],
    ["Rafael", "Souza", "rafael.souza@cafeserrano.example", "(11) 96123-4567", "", "Café Serrano", "Diretor Comercial", "São Paulo", "Brazil", "Qualified", "Interested in the Portuguese locale."],
    ["Valentina", "Fernández", "valentina@pampasoft.example", "", "", "PampaSoft", "Product Owner", "Buenos Aires", "Argentina", "", "Email only: no phone on file."],
    ["Aarav", "Sharma", "aarav.sharma@indigo-systems.example", "+91 81234 56789", "", "Indigo Systems", "Regional Head", "Bengaluru", "India", "Qualified", ""],
    ["Ananya", "Iyer", "ananya.iyer@indigo-systems.example", "081234 56790", "", "Indigo Systems", "HR Business Partner", "Chennai", "India", "", ""],
    ["Rohan", "Mehta", "rohan@saffronpay.example", "8123456791", "", "SaffronPay", "Founder", "Mumbai", "IN", "Marketing qualified", ""],
    ["Yuki", "Tanaka", "yuki.tanaka@sakura-robotics.example", "090-1234-5678", "", "Sakura Robotics", "Engineering Manager", "Tokyo", "Japan", "Sales qualified", ""],
    ["Haruto", "Sato", "haruto.sato@sakura-robotics.example", "+81 90 1234 5679", "", "Sakura Robotics", "Buyer", "Osaka", "Japan", "", ""],
    ["Wei", "Chen", "wei.chen@lotusbridge.example", "8123 4567", "", "Lotus Bridge Pte Ltd", "Partner", "Singapore", "Singapore", "Qualified", ""],
    ["Mei", "Lim", "mei.lim@lotusbridge.example", "+65 8123 4568", "", "Lotus Bridge Pte Ltd", "Associate", "Singapore", "SG", "", ""],
    ["Jack", "Wilson", "jack.wilson@coralreef.example", "0412 345 678", "(02) 9876 5432", "Coral Reef Travel", "Sales Director", "Sydney", "Australia", "Qualified", ""],
    ["Chloe", "Nguyen", "chloe.nguyen@coralreef.example", "+61 412 345 679", "", "Coral Reef Travel", "Marketing Coordinator", "Melbourne", "Australia", "Marketing qualified", ""],
    ["Aroha", "Walker", "aroha@kiwiharvest.example", "021 123 4567", "", "Kiwi Harvest Co", "Operations Manager", "Auckland", "New Zealand", "", ""],
    ["Thabo", "Nkosi", "thabo.nkosi@ubuntu-energy.example", "071 123 4567", "", "Ubuntu Energy", "Procurement Officer", "Johannesburg", "South Africa", "Sales qualified", ""],
    ["Naledi", "Dlamini", "naledi@ubuntu-energy.example", "+27 71 123 4568", "", "Ubuntu Energy", "CFO", "Cape Town", "South Africa", "Qualified", ""],
    ["Sarah", "Goldberg", "sarah.goldberg@cedarhealth.example", "(646) 555-0155", "", "Cedar Health", "Practice Manager", "New York", "United States", "", ""],
    ["James", "O'Brien", "james.obrien@cedarhealth.example", "646 555 0166", "", "Cedar Health", "IT Director", "Boston", "United States", "Disqualified", "Went with a competitor."],
    ["Maria", "Kowalczyk", "maria.k@lakeshore.example", "312-555-0190", "", "Lakeshore Realty", "Broker", "Chicago", "US", "Qualified", ""],
    ["Kevin", "Park", "kevin.park@lakeshore.example", "", "312-555-0111", "Lakeshore Realty", "Agent", "Evanston", "US", "", "Desk phone only."],
    ["Fatima", "Al-Sayed", "fatima@oasisventures.example", "", "", "Oasis Ventures", "Investment Analyst", "Dubai", "United Arab Emirates", "Marketing qualified", ""],
    ["Tomás", "Silva", "tomas.silva@atlantico.example", "", "", "Atlântico Shipping", "Fleet Manager", "Lisbon", "Portugal", "", ""],
    ["Grace", "Kim", "", "(415) 555-0199", "", "Freelance", "Designer", "San Francisco", "United States", "", "Mobile only: no email on file."],
    ["Liam", "Murphy", "liam.murphy@greenlane.example", "085 012 3457", "", "Greenlane Foods", "Logistics Coordinator", "Cork", "Ireland", "", ""],
    ["Ingrid", "Hansen", "ingrid.hansen@fjordline.example", "070-123 45 68", "", "Fjordline AB", "Account Manager", "Göteborg", "Sweden", "Sales qualified", ""],
];

/// The row the Review list holds: Marcus's email with Amelia's mobile phone (one of them
/// typed the other's number into a form, or they are one person with two addresses).
const DUPLICATE: Person = [
    "Marcus",
    "Okafor",
    "MARCUS@brightwater.example",
    "+44 7400 123457",
    "",
    "Brightwater Analytics",
    "",
    "London",
    "United Kingdom",
    "",
    "",
];

/// Past meetings: (the contact's email, days ago, status, calendar).
const MEETINGS: [(&str, i64, &str, &str); 5] = [
    ("ann.lee@brightwater.example", 9, "completed", "google"),
    ("h.schmidt@kuehnwerk.example", 6, "completed", "exchange"),
    (
        "camille.dubois@lumiere-conseil.example",
        4,
        "no-show",
        "google",
    ),
    (
        "oliver.bennett@harbourline.example",
        3,
        "completed",
        "exchange",
    ),
    (
        "yuki.tanaka@sakura-robotics.example",
        2,
        "canceled",
        "google",
    ),
];

/// The sample as a CSV file's text: a header, the people, and the pending duplicate last.
pub fn csv() -> Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let rows = std::iter::once(&HEADER)
        .chain(PEOPLE.iter())
        .chain(std::iter::once(&DUPLICATE));
    for row in rows {
        out.write_record(row)
            .map_err(|e| Error::Internal(e.to_string()))?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| Error::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(e.to_string()))
}

/// Loads the sample as `user`: one import (the contacts and the row for review), then the
/// meetings, journaled in the import's batch so one Undo takes everything back. The meetings
/// are in the past and plan no reminders or follow-ups: the people are made up.
pub async fn load(store: &Store, user: &User) -> Result<Loaded> {
    // A folder of its own, removed when the load is done: the file's name is the batch's.
    let dir = tempfile::tempdir()
        .map_err(|e| Error::Internal(format!("cannot make a folder for the sample: {e}")))?;
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, csv()?)
        .map_err(|e| Error::Internal(format!("cannot write the sample file: {e}")))?;
    let report = import::import_file(
        store,
        user,
        &path,
        &ImportOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .await?;
    let meetings = match report.batch {
        Some(batch) => record_meetings(store, user, batch).await?,
        None => 0,
    };
    Ok(Loaded {
        summary: report.summary,
        meetings,
    })
}

/// The sample's meetings, journaled in the import's `batch`.
async fn record_meetings(store: &Store, user: &User, batch: i64) -> Result<u32> {
    let mut tx = store.write().await?;
    let now = chrono::Utc::now();
    let mut recorded = 0;
    for (email, days_ago, status, calendar) in MEETINGS {
        #[derive(sqlx::FromRow)]
        struct Who {
            id: i64,
            first_name: Option<String>,
            last_name: Option<String>,
            mobile_phone: Option<String>,
        }
        let who: Option<Who> = sqlx::query_as(
            "SELECT id, first_name, last_name, mobile_phone FROM contacts WHERE email = ?",
        )
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(who) = who else { continue };
        let starts = (now - chrono::Duration::days(days_ago))
            .date_naive()
            .and_hms_opt(9 + (days_ago as u32 % 6), 30, 0)
            .map(|t| t.and_utc())
            .ok_or_else(|| Error::Internal("a sample meeting's time".into()))?;
        let ends = starts + chrono::Duration::minutes(30);
        let name = [who.first_name.as_deref(), who.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let given = serde_json::json!({ "email": email }).to_string();
        let booking = Booking {
            status: Some(status.to_string()),
            starts_at: Some(starts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            ends_at: Some(ends.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        };
        activity::insert(
            &mut tx,
            batch,
            &activity::Row {
                kind: activity::Kind::Meeting,
                contact_id: who.id,
                host_id: user.id,
                booking: &booking,
                calendar: Some(calendar),
                event_id: None,
                remote_id: None,
                calendar_id: None,
                given: &given,
                with_name: name,
                with_email: Some(email.to_string()),
                with_phone: who.mobile_phone,
                at: &crate::store::now(),
            },
        )
        .await?;
        recorded += 1;
    }
    tx.commit().await?;
    Ok(recorded)
}
