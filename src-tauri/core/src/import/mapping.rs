//! Which column holds which contact field, recognised from the header alone for every
//! export in csv-formats.md (Google's labelled groups included) and a generic set of
//! synonyms; the user may change any column's field.

use serde::{Deserialize, Serialize};

use crate::export::unguard_cell;
use crate::record::{ContactFields, FIELDS};

/// Each field's header names, best first, compared without case, spaces or punctuation.
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "first_name",
        &["firstname", "givenname", "first", "forename"],
    ),
    ("last_name", &["lastname", "familyname", "surname", "last"]),
    (
        "salutation",
        &["salutation", "nameprefix", "prefix", "title"],
    ),
    (
        "email",
        &[
            "email",
            "emailaddress",
            "primaryemail",
            "email1value",
            "email1",
            "mail",
            "workemail",
            "businessemail",
            "emailaddress1",
        ],
    ),
    (
        "mobile_phone",
        &[
            "mobilephone",
            "mobile",
            "mobilenumber",
            "mobilephonenumber",
            "cellphone",
            "cell",
            "cellnumber",
            "handy",
        ],
    ),
    (
        "phone",
        &[
            "phone",
            "phonenumber",
            "businessphone",
            "workphone",
            "primaryphone",
            "telephone",
            "officephone",
            "companymainphone",
            "homephone",
            "otherphone",
        ],
    ),
    (
        "company",
        &[
            "company",
            "companyname",
            "organization",
            "organizationname",
            "organisation",
            "accountname",
            "associatedcompany",
            "employer",
            "organization1name",
        ],
    ),
    (
        "job_title",
        &[
            "jobtitle",
            "position",
            "organizationtitle",
            "organization1title",
            "role",
            "occupation",
        ],
    ),
    (
        "street_address",
        &[
            "streetaddress",
            "street",
            "address",
            "mailingstreet",
            "businessstreet",
            "workaddress",
            "address1street",
            "homestreet",
            "homeaddress",
            "otherstreet",
        ],
    ),
    (
        "city",
        &[
            "city",
            "mailingcity",
            "businesscity",
            "workcity",
            "address1city",
            "homecity",
            "othercity",
        ],
    ),
    (
        "state",
        &[
            "state",
            "stateprovince",
            "province",
            "region",
            "mailingstateprovince",
            "businessstate",
            "workstate",
            "address1region",
            "homestate",
            "otherstate",
        ],
    ),
    (
        "post_code",
        &[
            "postcode",
            "postalcode",
            "zip",
            "zipcode",
            "mailingzippostalcode",
            "businesspostalcode",
            "workzipcode",
            "address1postalcode",
            "homepostalcode",
            "homezipcode",
            "otherpostalcode",
        ],
    ),
    (
        "country",
        &[
            "country",
            "countryregion",
            "mailingcountry",
            "businesscountryregion",
            "workcountry",
            "address1country",
            "homecountryregion",
            "homecountry",
            "othercountryregion",
        ],
    ),
    ("timezone", &["timezone", "tz"]),
    ("status", &["status", "contactstatus"]),
    (
        "has_consent",
        &["hasconsent", "consent", "marketingconsent"],
    ),
    ("notes", &["notes", "note", "description", "comments"]),
];

fn key(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A Google Contacts group column: "E-mail 2 - Value", "Phone 1 - Label" (and the legacy
/// "- Type"): the kind, the group number and whether it is the label.
fn google_group(header: &str) -> Option<(&'static str, u32, bool)> {
    let (left, part) = header.rsplit_once(" - ")?;
    let label = match part.trim().to_ascii_lowercase().as_str() {
        "value" => false,
        "label" | "type" => true,
        _ => return None,
    };
    let (kind, number) = left.trim().rsplit_once(' ')?;
    let kind = match key(kind).as_str() {
        "email" => "email",
        "phone" => "phone",
        _ => return None,
    };
    Some((kind, number.parse().ok()?, label))
}

/// Where a field's value comes from in a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Source {
    /// One column.
    Column { column: u32 },
    /// A whole name ("Name", "Full Name"): the last word is the last name, the rest the first.
    FullName { column: u32 },
    /// Google's labelled groups: the first value (mobile: labelled Mobile; phone: any other
    /// label) among (label column, value column) pairs in group order.
    Labelled { pairs: Vec<(Option<u32>, u32)> },
}

/// The fields a file's columns fill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Mapping {
    /// (field, source), at most one per field.
    pub fields: Vec<(String, Source)>,
    /// A file Cardfile exported: cells it guarded against spreadsheet formulas come back as
    /// they were. Other files' leading apostrophes are kept.
    #[serde(default)]
    pub unguard: bool,
}

/// How many header cells name a contact field (to find the header row and delimiter).
pub fn recognised(header: &[String]) -> usize {
    header
        .iter()
        .filter(|h| {
            let k = key(h);
            google_group(h).is_some()
                || k == "name"
                || k == "fullname"
                || SYNONYMS
                    .iter()
                    .any(|(_, names)| names.contains(&k.as_str()))
        })
        .count()
}

/// The mapping read off the header.
pub fn guess(header: &[String]) -> Mapping {
    let keys: Vec<String> = header.iter().map(|h| key(h)).collect();
    let mut fields: Vec<(String, Source)> = Vec::new();
    // Google's groups first: they say which phone is the mobile.
    // (kind, group number) -> (label column, value column)
    type Groups<'a> = std::collections::BTreeMap<(&'a str, u32), (Option<u32>, Option<u32>)>;
    let mut groups: Groups = Default::default();
    for (i, h) in header.iter().enumerate() {
        if let Some((kind, n, label)) = google_group(h) {
            let g = groups.entry((kind, n)).or_default();
            if label {
                g.0 = Some(i as u32);
            } else {
                g.1 = Some(i as u32);
            }
        }
    }
    let pairs = |kind: &str| -> Vec<(Option<u32>, u32)> {
        groups
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .filter_map(|(_, (label, value))| value.map(|v| (*label, v)))
            .collect()
    };
    let (emails, phones) = (pairs("email"), pairs("phone"));
    if !emails.is_empty() {
        fields.push(("email".into(), Source::Labelled { pairs: emails }));
    }
    if !phones.is_empty() {
        fields.push((
            "mobile_phone".into(),
            Source::Labelled {
                pairs: phones.clone(),
            },
        ));
        fields.push(("phone".into(), Source::Labelled { pairs: phones }));
    }
    for (field, names) in SYNONYMS {
        if fields.iter().any(|(f, _)| f == field) {
            continue;
        }
        let found = names
            .iter()
            .find_map(|name| keys.iter().position(|k| k == name));
        if let Some(column) = found {
            fields.push((
                field.to_string(),
                Source::Column {
                    column: column as u32,
                },
            ));
        }
    }
    let has = |f: &str| fields.iter().any(|(x, _)| x == f);
    if !has("first_name") && !has("last_name") {
        let whole = ["name", "fullname", "displayname", "contactname", "contact"];
        if let Some(column) = whole.iter().find_map(|n| keys.iter().position(|k| k == n)) {
            let column = column as u32;
            fields.push(("first_name".into(), Source::FullName { column }));
            fields.push(("last_name".into(), Source::FullName { column }));
        }
    }
    fields.sort_by_key(|(f, _)| FIELDS.iter().position(|t| t == f));
    let ours = crate::export::csv_header();
    let unguard = header.len() == ours.len() && header.iter().zip(&ours).all(|(h, o)| h == o);
    Mapping { fields, unguard }
}

fn first_value(cell: &str) -> &str {
    // Google joins several values in one cell with " ::: " (a cell without a colon, as
    // most are, is not searched for it: an import asks this of every email and phone).
    let first = match cell.contains(':') {
        true => cell.split(" ::: ").next().unwrap_or(""),
        false => cell,
    };
    first.trim()
}

impl Mapping {
    /// The row's contact fields; blank cells give None (an import never clears a field).
    pub fn fields_of(&self, cells: &[String]) -> ContactFields {
        // Cells Cardfile's own export guarded against spreadsheet formulas come back as they were.
        let cell = |i: u32| {
            let raw = cells.get(i as usize).map(String::as_str).unwrap_or("");
            if self.unguard {
                unguard_cell(raw)
            } else {
                raw
            }
        };
        let mut out = ContactFields::default();
        for (field, source) in &self.fields {
            let value = match source {
                Source::Column { column } => {
                    let v = cell(*column);
                    if matches!(field.as_str(), "email" | "mobile_phone" | "phone") {
                        first_value(v)
                    } else {
                        v.trim()
                    }
                }
                Source::FullName { column } => {
                    let whole = cell(*column).trim();
                    match (field.as_str(), whole.rsplit_once(' ')) {
                        ("first_name", Some((first, _))) => first.trim(),
                        ("first_name", None) => whole,
                        (_, Some((_, last))) => last,
                        (_, None) => "",
                    }
                }
                Source::Labelled { pairs } => pairs
                    .iter()
                    .filter(|(label, _)| {
                        let mobile =
                            label.is_some_and(|l| cell(l).to_lowercase().contains("mobile"));
                        match field.as_str() {
                            "mobile_phone" => mobile,
                            "phone" => !mobile,
                            _ => true,
                        }
                    })
                    .map(|(_, value)| first_value(cell(*value)))
                    .find(|v| !v.is_empty())
                    .unwrap_or(""),
            };
            if value.is_empty() {
                continue;
            }
            out.set_text(field, value.to_string());
        }
        out
    }

    /// The fields column `column` fills.
    pub fn fields_at(&self, column: u32) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(_, source)| match source {
                Source::Column { column: c } | Source::FullName { column: c } => *c == column,
                Source::Labelled { pairs } => pairs.iter().any(|(_, v)| *v == column),
            })
            .map(|(f, _)| f.clone())
            .collect()
    }

    /// The mapping with `column` now filling `field` (None: the column is ignored).
    pub fn with_column(mut self, column: u32, field: Option<&str>) -> Mapping {
        self.fields.retain(|(f, s)| {
            let uses = match s {
                Source::Column { column: c } | Source::FullName { column: c } => *c == column,
                Source::Labelled { pairs } => pairs.iter().any(|(_, v)| *v == column),
            };
            Some(f.as_str()) != field && !uses
        });
        if let Some(field) = field.filter(|f| FIELDS.contains(f)) {
            self.fields
                .push((field.to_string(), Source::Column { column }));
            self.fields
                .sort_by_key(|(f, _)| FIELDS.iter().position(|t| t == f));
        }
        self
    }
}
