//! A contact's record: its fields as OnceHub defines them, and the rules that turn what a user
//! typed into what is stored (trimmed, validated, email lowercased, phones in E.164).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::phone;

/// OnceHub's contact statuses, spelled as OnceHub shows them.
pub const STATUSES: [&str; 4] = [
    "Qualified",
    "Sales qualified",
    "Marketing qualified",
    "Disqualified",
];

const MAX_TEXT: usize = 1_000;
const MAX_NOTES: usize = 20_000;

/// A contact as the window, the command line, exports and the local API see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type, utoipa::ToSchema)]
pub struct Contact {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub salutation: Option<String>,
    pub email: Option<String>,
    pub mobile_phone: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub street_address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub post_code: Option<String>,
    pub country: Option<String>,
    pub timezone: Option<String>,
    pub status: Option<String>,
    pub has_consent: Option<bool>,
    pub notes: Option<String>,
    /// The owner's email.
    pub owner: String,
    pub created_at: String,
    pub updated_at: String,
    pub last_interacted_at: Option<String>,
}

impl Contact {
    /// What a person would call this contact: their name, else email, else mobile phone.
    pub fn display_name(&self) -> String {
        display_name(
            self.first_name.as_deref(),
            self.last_name.as_deref(),
            self.email.as_deref(),
            self.mobile_phone.as_deref(),
        )
    }
}

pub fn display_name(
    first: Option<&str>,
    last: Option<&str>,
    email: Option<&str>,
    mobile: Option<&str>,
) -> String {
    let name = [first, last]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !name.is_empty() {
        name
    } else {
        email.or(mobile).unwrap_or("(no name)").to_string()
    }
}

/// What an add or an edit supplies. `None` leaves a field as it is (blank on add);
/// on an edit, an empty string clears the field. A field it does not know is refused by name.
#[derive(
    Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ContactFields {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub salutation: Option<String>,
    pub email: Option<String>,
    pub mobile_phone: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub street_address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub post_code: Option<String>,
    pub country: Option<String>,
    pub timezone: Option<String>,
    pub status: Option<String>,
    pub has_consent: Option<bool>,
    pub notes: Option<String>,
}

impl ContactFields {
    /// Sets `field` (as FIELDS names it) from text as a file gives it: has_consent reads
    /// yes/no, true/false, y/n or 1/0 (anything else leaves it unset).
    pub fn set_text(&mut self, field: &str, value: String) {
        let slot = match field {
            "has_consent" => {
                self.has_consent = match value.trim().to_lowercase().as_str() {
                    "true" | "yes" | "y" | "1" => Some(true),
                    "false" | "no" | "n" | "0" => Some(false),
                    _ => None,
                };
                return;
            }
            "first_name" => &mut self.first_name,
            "last_name" => &mut self.last_name,
            "salutation" => &mut self.salutation,
            "email" => &mut self.email,
            "mobile_phone" => &mut self.mobile_phone,
            "phone" => &mut self.phone,
            "company" => &mut self.company,
            "job_title" => &mut self.job_title,
            "street_address" => &mut self.street_address,
            "city" => &mut self.city,
            "state" => &mut self.state,
            "post_code" => &mut self.post_code,
            "country" => &mut self.country,
            "timezone" => &mut self.timezone,
            "status" => &mut self.status,
            "notes" => &mut self.notes,
            _ => return,
        };
        *slot = Some(value);
    }
}

/// One field's value before and after a change: in a contact's history, and in an outbox
/// item (what the cloud holds, what will be sent).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The stored columns of a contact row, in `ContactRow`'s order.
pub(crate) const ROW_COLUMNS: &str =
    "id, first_name, last_name, salutation, email, mobile_phone, phone, \
    company, job_title, street_address, city, state, post_code, country, timezone, status, \
    has_consent, notes, owner_id, created_at, updated_at, last_interacted_at";

/// A contact row exactly as stored (less the derived search columns). The journal keeps
/// these as its before/after images, so undo can put a row back byte for byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ContactRow {
    pub id: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub salutation: Option<String>,
    pub email: Option<String>,
    pub mobile_phone: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub street_address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub post_code: Option<String>,
    pub country: Option<String>,
    pub timezone: Option<String>,
    pub status: Option<String>,
    pub has_consent: Option<bool>,
    pub notes: Option<String>,
    pub owner_id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub last_interacted_at: Option<String>,
}

/// The fields a person edits, in the order the window and merge plans show them.
pub const FIELDS: [&str; 17] = [
    "first_name",
    "last_name",
    "salutation",
    "email",
    "mobile_phone",
    "phone",
    "company",
    "job_title",
    "street_address",
    "city",
    "state",
    "post_code",
    "country",
    "timezone",
    "status",
    "has_consent",
    "notes",
];

impl ContactRow {
    /// A field's value as text (has_consent as "true"/"false"), None when blank.
    pub fn get(&self, field: &str) -> Option<String> {
        match field {
            "has_consent" => self.has_consent.map(|b| b.to_string()),
            _ => self.slot(field).and_then(|v| v.clone()),
        }
    }

    /// Sets a field from `get`'s text form (values already normalised).
    pub fn set(&mut self, field: &str, value: Option<String>) {
        match field {
            "has_consent" => self.has_consent = value.map(|v| v == "true"),
            _ => {
                if let Some(slot) = self.slot_mut(field) {
                    *slot = value;
                }
            }
        }
    }

    fn slot(&self, field: &str) -> Option<&Option<String>> {
        Some(match field {
            "first_name" => &self.first_name,
            "last_name" => &self.last_name,
            "salutation" => &self.salutation,
            "email" => &self.email,
            "mobile_phone" => &self.mobile_phone,
            "phone" => &self.phone,
            "company" => &self.company,
            "job_title" => &self.job_title,
            "street_address" => &self.street_address,
            "city" => &self.city,
            "state" => &self.state,
            "post_code" => &self.post_code,
            "country" => &self.country,
            "timezone" => &self.timezone,
            "status" => &self.status,
            "notes" => &self.notes,
            _ => return None,
        })
    }

    fn slot_mut(&mut self, field: &str) -> Option<&mut Option<String>> {
        Some(match field {
            "first_name" => &mut self.first_name,
            "last_name" => &mut self.last_name,
            "salutation" => &mut self.salutation,
            "email" => &mut self.email,
            "mobile_phone" => &mut self.mobile_phone,
            "phone" => &mut self.phone,
            "company" => &mut self.company,
            "job_title" => &mut self.job_title,
            "street_address" => &mut self.street_address,
            "city" => &mut self.city,
            "state" => &mut self.state,
            "post_code" => &mut self.post_code,
            "country" => &mut self.country,
            "timezone" => &mut self.timezone,
            "status" => &mut self.status,
            "notes" => &mut self.notes,
            _ => return None,
        })
    }

    /// A new, empty row owned by `owner_id`, created and updated `at` (id 0: not stored yet).
    pub fn blank(owner_id: i64, at: String) -> ContactRow {
        ContactRow {
            id: 0,
            first_name: None,
            last_name: None,
            salutation: None,
            email: None,
            mobile_phone: None,
            phone: None,
            company: None,
            job_title: None,
            street_address: None,
            city: None,
            state: None,
            post_code: None,
            country: None,
            timezone: None,
            status: None,
            has_consent: None,
            notes: None,
            owner_id,
            created_at: at.clone(),
            updated_at: at,
            last_interacted_at: None,
        }
    }

    pub fn display_name(&self) -> String {
        display_name(
            self.first_name.as_deref(),
            self.last_name.as_deref(),
            self.email.as_deref(),
            self.mobile_phone.as_deref(),
        )
    }

    pub fn into_contact(self, owner_email: String) -> Contact {
        Contact {
            id: self.id.to_string(),
            first_name: self.first_name,
            last_name: self.last_name,
            salutation: self.salutation,
            email: self.email,
            mobile_phone: self.mobile_phone,
            phone: self.phone,
            company: self.company,
            job_title: self.job_title,
            street_address: self.street_address,
            city: self.city,
            state: self.state,
            post_code: self.post_code,
            country: self.country,
            timezone: self.timezone,
            status: self.status,
            has_consent: self.has_consent,
            notes: self.notes,
            owner: owner_email,
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_interacted_at: self.last_interacted_at,
        }
    }

    /// Applies `fields` to this row: the one place where typed values become stored values.
    /// Phones without a country code take the row's country, else `default_region`.
    /// `fields` is taken, not borrowed: a value already trimmed is kept as given, not
    /// copied (an import applies a million rows' fields).
    pub fn apply(&mut self, fields: ContactFields, default_region: &str) -> Result<()> {
        fn text(
            slot: &mut Option<String>,
            given: Option<String>,
            field: &'static str,
            max: usize,
        ) -> Result<()> {
            if let Some(given) = given {
                let v = given.trim();
                if v.chars().count() > max {
                    return Err(Error::invalid(
                        field,
                        format!("is longer than {max} characters"),
                    ));
                }
                if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                    return Err(Error::invalid(field, "contains control characters"));
                }
                *slot = match v.len() {
                    0 => None,
                    n if n == given.len() => Some(given),
                    _ => Some(v.to_string()),
                };
            }
            Ok(())
        }
        text(
            &mut self.first_name,
            fields.first_name,
            "first_name",
            MAX_TEXT,
        )?;
        text(&mut self.last_name, fields.last_name, "last_name", MAX_TEXT)?;
        text(
            &mut self.salutation,
            fields.salutation,
            "salutation",
            MAX_TEXT,
        )?;
        text(&mut self.company, fields.company, "company", MAX_TEXT)?;
        text(&mut self.job_title, fields.job_title, "job_title", MAX_TEXT)?;
        text(
            &mut self.street_address,
            fields.street_address,
            "street_address",
            MAX_TEXT,
        )?;
        text(&mut self.city, fields.city, "city", MAX_TEXT)?;
        text(&mut self.state, fields.state, "state", MAX_TEXT)?;
        text(&mut self.post_code, fields.post_code, "post_code", MAX_TEXT)?;
        text(&mut self.country, fields.country, "country", MAX_TEXT)?;
        text(&mut self.timezone, fields.timezone, "timezone", MAX_TEXT)?;
        text(&mut self.notes, fields.notes, "notes", MAX_NOTES)?;

        if let Some(v) = &fields.email {
            self.email = normalize_email(v)?;
        }
        let region = self
            .country
            .as_deref()
            .and_then(phone::region_of_country)
            .unwrap_or_else(|| default_region.to_string());
        if let Some(v) = &fields.mobile_phone {
            self.mobile_phone =
                phone::normalize(v, &region).map_err(|r| Error::invalid("mobile_phone", r))?;
        }
        if let Some(v) = &fields.phone {
            self.phone = phone::normalize(v, &region).map_err(|r| Error::invalid("phone", r))?;
        }
        if let Some(v) = &fields.status {
            self.status = normalize_status(v)?;
        }
        if let Some(v) = fields.has_consent {
            self.has_consent = Some(v);
        }
        if self.email.is_none() && self.mobile_phone.is_none() {
            return Err(Error::invalid(
                "email",
                "a contact needs an email or a mobile phone",
            ));
        }
        Ok(())
    }
}

/// Trims, validates and lowercases an email. Empty means "no email".
pub fn normalize_email(raw: &str) -> Result<Option<String>> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let v = v.to_lowercase();
    match email_problem(&v) {
        None => Ok(Some(v)),
        Some(why) => Err(Error::invalid(
            "email",
            format!("\"{}\" is not a valid email address: {why}", raw.trim()),
        )),
    }
}

/// Why `email` (already lowercased) is not a usable address, if it is not.
fn email_problem(email: &str) -> Option<&'static str> {
    if email.len() > 254 {
        return Some("it is longer than 254 characters");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Some("it has no @");
    };
    if local.is_empty() {
        return Some("nothing before the @");
    }
    if local.len() > 64 {
        return Some("the part before the @ is longer than 64 characters");
    }
    const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-.";
    if !local
        .chars()
        .all(|c| c.is_alphanumeric() || LOCAL_SPECIALS.contains(c))
    {
        return Some("the part before the @ has a character that is not allowed");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Some("dots in the wrong place before the @");
    }
    if domain.is_empty() {
        return Some("nothing after the @");
    }
    if !domain.contains('.') {
        return Some("the domain has no dot");
    }
    let mut tld = "";
    for label in domain.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Some("the domain has an empty or overlong part");
        }
        if !label.chars().all(|c| c.is_alphanumeric() || c == '-')
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Some("the domain has a character that is not allowed");
        }
        tld = label;
    }
    if tld.len() < 2 || tld.chars().all(|c| c.is_ascii_digit()) {
        return Some("the domain does not end in a valid top-level domain");
    }
    None
}

/// Accepts a status in any case (and with - or _ for spaces); empty clears it.
pub fn normalize_status(raw: &str) -> Result<Option<String>> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let wanted = v.replace(['-', '_'], " ").to_lowercase();
    STATUSES
        .iter()
        .find(|s| s.to_lowercase() == wanted)
        .map(|s| Some(s.to_string()))
        .ok_or_else(|| {
            Error::invalid(
                "status",
                format!(
                    "\"{v}\" is not a status; use one of {}",
                    STATUSES.join(", ")
                ),
            )
        })
}
