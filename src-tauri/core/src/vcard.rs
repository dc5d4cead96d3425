//! vCard (3.0 and 4.0, RFC 2426 and RFC 6350): reading a .vcf file into import rows, one
//! per card, and writing contacts as vCard 4.0 for export. A card inside another, a card
//! with more properties than the limits allow, or a line that unfolds past them, is refused
//! with its line.

use crate::error::{Error, Result};
use crate::import::limits::{size, Limits};
use crate::record::{ContactRow, FIELDS};

/// True when `text` is a vCard file rather than CSV.
pub fn is_vcard(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .get(..11)
        .is_some_and(|start| start.eq_ignore_ascii_case("BEGIN:VCARD"))
}

/// A card's line: the property name, its parameters (upper-cased names, lower-cased
/// values split at commas) and its value as written.
struct Property {
    name: String,
    params: Vec<(String, Vec<String>)>,
    value: String,
}

impl Property {
    fn has_type(&self, wanted: &str) -> bool {
        self.params.iter().any(|(k, vs)| {
            (k == "TYPE" && vs.iter().any(|v| v == wanted))
                || (vs.is_empty() && k.eq_ignore_ascii_case(wanted))
        })
    }

    fn pref(&self) -> bool {
        self.has_type("pref") || self.params.iter().any(|(k, _)| k == "PREF")
    }
}

/// Splits an unquoted, unescaped `sep` (vCard's `\,` and `\;` escape it).
fn split_unescaped(value: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n' | 'N') => out.last_mut().unwrap().push('\n'),
                Some(other) => out.last_mut().unwrap().push(other),
                None => {}
            },
            c if c == sep => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

fn unescape(value: &str) -> String {
    split_unescaped(value, '\u{0}').concat()
}

fn parse_line(line: &str) -> Option<Property> {
    // The first ':' outside a quoted parameter value ends the name and parameters.
    let mut quoted = false;
    let colon = line.char_indices().find_map(|(i, c)| match c {
        '"' => {
            quoted = !quoted;
            None
        }
        ':' if !quoted => Some(i),
        _ => None,
    })?;
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let mut parts = head.split(';');
    let name = parts
        .next()?
        .rsplit('.')
        .next()?
        .trim()
        .to_ascii_uppercase();
    let params = parts
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (
                k.trim().to_ascii_uppercase(),
                v.trim_matches('"')
                    .split(',')
                    .map(|s| s.trim().trim_matches('"').to_ascii_lowercase())
                    .collect(),
            ),
            // vCard 2.1 style: TEL;CELL:...
            None => (p.trim().to_ascii_lowercase(), Vec::new()),
        })
        .collect();
    Some(Property {
        name,
        params,
        value: value.to_string(),
    })
}

/// One card as import cells in `FIELDS` order, with the line its BEGIN:VCARD is on.
pub struct Card {
    pub line: u64,
    pub cells: Vec<String>,
}

fn card_cells(props: &[Property]) -> Vec<String> {
    let mut cells = vec![String::new(); FIELDS.len()];
    let mut set = |field: &str, value: String| {
        if let Some(i) = FIELDS.iter().position(|f| *f == field) {
            if cells[i].is_empty() {
                cells[i] = value.trim().to_string();
            }
        }
    };
    let ordered = |name: &str| {
        // Preferred values first, then in the order written.
        let mut found: Vec<&Property> = props.iter().filter(|p| p.name == name).collect();
        found.sort_by_key(|p| !p.pref());
        found
    };
    for p in ordered("N") {
        let parts = split_unescaped(&p.value, ';');
        set("last_name", parts.first().cloned().unwrap_or_default());
        set("first_name", parts.get(1).cloned().unwrap_or_default());
        set("salutation", parts.get(3).cloned().unwrap_or_default());
    }
    // An N with no first or last name (N:;;;;) says nothing: FN is then the name.
    let has_n = props.iter().any(|p| {
        p.name == "N"
            && split_unescaped(&p.value, ';')
                .iter()
                .take(2)
                .any(|v| !v.trim().is_empty())
    });
    // Nor is an FN that only repeats the email or a phone number (a card for a contact
    // known by those alone, as Cardfile writes one).
    let digits = |v: &str| v.chars().filter(char::is_ascii_digit).collect::<String>();
    let identifier = |name: &str| {
        props.iter().any(|p| match p.name.as_str() {
            "EMAIL" => unescape(&p.value).trim().eq_ignore_ascii_case(name.trim()),
            "TEL" => !digits(name).is_empty() && digits(&p.value) == digits(name),
            _ => false,
        })
    };
    if let Some(fn_) = ordered("FN")
        .first()
        .filter(|p| !has_n && !identifier(&unescape(&p.value)))
    {
        // No N: the formatted name, split like a whole-name column.
        let whole = unescape(&fn_.value);
        if let Some((first, last)) = whole.trim().rsplit_once(' ') {
            set("first_name", first.to_string());
            set("last_name", last.to_string());
        } else {
            set("first_name", whole);
        }
    }
    if let Some(email) = ordered("EMAIL").first() {
        set("email", unescape(&email.value));
    }
    for tel in ordered("TEL") {
        let number = unescape(tel.value.trim_start_matches("tel:"));
        if tel.has_type("cell") || tel.has_type("mobile") {
            set("mobile_phone", number);
        } else if !tel.has_type("fax") && !tel.has_type("pager") {
            set("phone", number);
        }
    }
    if let Some(org) = ordered("ORG").first() {
        set("company", split_unescaped(&org.value, ';').swap_remove(0));
    }
    if let Some(title) = ordered("TITLE").first() {
        set("job_title", unescape(&title.value));
    }
    if let Some(adr) = ordered("ADR").first() {
        let parts = split_unescaped(&adr.value, ';');
        let part = |i: usize| parts.get(i).cloned().unwrap_or_default();
        set("street_address", part(2));
        set("city", part(3));
        set("state", part(4));
        set("post_code", part(5));
        set("country", part(6));
    }
    if let Some(tz) = ordered("TZ").first() {
        set("timezone", unescape(&tz.value));
    }
    if let Some(note) = ordered("NOTE").first() {
        set("notes", unescape(&note.value));
    }
    // Cardfile's own properties, so its export imports back whole.
    if let Some(status) = ordered("X-CARDFILE-STATUS").first() {
        set("status", unescape(&status.value));
    }
    if let Some(consent) = ordered("X-CARDFILE-CONSENT").first() {
        set("has_consent", unescape(&consent.value));
    }
    cells
}

fn refused(reason: String) -> Error {
    Error::invalid("file", reason)
}

/// The cards of a vCard file, as rows of import cells (the header is `FIELDS`). Text
/// outside BEGIN:VCARD / END:VCARD is ignored; a card cut off by the end of the file is
/// still read.
pub fn cards(text: &str, limits: &Limits) -> Result<Vec<Card>> {
    let mut out = Vec::new();
    let mut current: Option<(u64, Vec<Property>)> = None;
    let mut logical: Option<(u64, String)> = None;
    let finish = |logical: Option<(u64, String)>,
                  current: &mut Option<(u64, Vec<Property>)>,
                  out: &mut Vec<Card>|
     -> Result<()> {
        let Some((at, line)) = logical else {
            return Ok(());
        };
        let upper = line.trim().to_ascii_uppercase();
        if upper == "BEGIN:VCARD" {
            if let Some((begun, _)) = current {
                return Err(refused(format!(
                    "line {at}: a card begins inside the card that begins on line {begun} (is an END:VCARD missing?): cards cannot be nested"
                )));
            }
            *current = Some((at, Vec::new()));
        } else if upper == "END:VCARD" {
            if let Some((line, props)) = current.take() {
                out.push(Card {
                    line,
                    cells: card_cells(&props),
                });
            }
        } else if let (Some((begun, props)), Some(p)) = (current.as_mut(), parse_line(&line)) {
            if props.len() == limits.fields {
                return Err(refused(format!(
                    "line {at}: the card that begins on line {begun} has more than {} properties, more than any contact has",
                    limits.fields
                )));
            }
            props.push(p);
        }
        Ok(())
    };
    for (i, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            // A folded line continues the one before.
            if let Some((at, line)) = logical.as_mut() {
                if line.len() + rest.len() > limits.record_bytes {
                    return Err(refused(format!(
                        "line {at}: its folded lines continue past {}, longer than any contact's property",
                        size(limits.record_bytes as u64)
                    )));
                }
                line.push_str(rest);
            }
            continue;
        }
        finish(logical.take(), &mut current, &mut out)?;
        if raw.len() > limits.record_bytes {
            return Err(refused(format!(
                "line {} is longer than {}, longer than any contact's property",
                i + 1,
                size(limits.record_bytes as u64)
            )));
        }
        logical = Some((i as u64 + 1, raw.to_string()));
    }
    finish(logical.take(), &mut current, &mut out)?;
    if let Some((line, props)) = current.take() {
        out.push(Card {
            line,
            cells: card_cells(&props),
        });
    }
    Ok(out)
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets (RFC 6350 3.2), never inside a character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// One contact as a vCard 4.0.
pub fn write_card(row: &ContactRow) -> String {
    let mut lines: Vec<String> = vec!["BEGIN:VCARD".into(), "VERSION:4.0".into()];
    let v = |o: &Option<String>| escape(o.as_deref().unwrap_or(""));
    lines.push(format!("FN:{}", escape(&row.display_name())));
    lines.push(format!(
        "N:{};{};;{};",
        v(&row.last_name),
        v(&row.first_name),
        v(&row.salutation)
    ));
    if let Some(e) = &row.email {
        lines.push(format!("EMAIL:{}", escape(e)));
    }
    if let Some(m) = &row.mobile_phone {
        lines.push(format!("TEL;TYPE=cell;VALUE=uri:tel:{m}"));
    }
    if let Some(p) = &row.phone {
        lines.push(format!("TEL;TYPE=work;VALUE=uri:tel:{p}"));
    }
    if let Some(c) = &row.company {
        lines.push(format!("ORG:{}", escape(c)));
    }
    if let Some(t) = &row.job_title {
        lines.push(format!("TITLE:{}", escape(t)));
    }
    if [
        &row.street_address,
        &row.city,
        &row.state,
        &row.post_code,
        &row.country,
    ]
    .iter()
    .any(|f| f.is_some())
    {
        lines.push(format!(
            "ADR:;;{};{};{};{};{}",
            v(&row.street_address),
            v(&row.city),
            v(&row.state),
            v(&row.post_code),
            v(&row.country)
        ));
    }
    if let Some(tz) = &row.timezone {
        lines.push(format!("TZ:{}", escape(tz)));
    }
    if let Some(n) = &row.notes {
        lines.push(format!("NOTE:{}", escape(n)));
    }
    if let Some(s) = &row.status {
        lines.push(format!("X-CARDFILE-STATUS:{}", escape(s)));
    }
    if let Some(c) = row.has_consent {
        lines.push(format!("X-CARDFILE-CONSENT:{c}"));
    }
    lines.push(format!("UID:urn:cardfile:contact:{}", row.id));
    lines.push(format!("REV:{}", row.updated_at));
    lines.push("END:VCARD".into());
    let mut out = String::new();
    for l in lines {
        fold(&l, &mut out);
    }
    out
}
