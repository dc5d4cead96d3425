//! Phone numbers to E.164 with libphonenumber's metadata (rlibphonenumber: it agrees with
//! Google's reference where the `phonenumber` crate rejects valid numbers).

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::{LazyLock, RwLock};

use rlibphonenumber::{enums::Region, PhoneNumberFormat, PHONE_NUMBER_UTIL};

/// Parses `raw` as a phone number, reading a number without a country code as one of
/// `region` (ISO 3166 alpha-2). Empty means "no number". The error is the reason.
pub fn normalize(raw: &str, region: &str) -> Result<Option<String>, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let region = parse_region(region);
    let number = PHONE_NUMBER_UTIL
        .parse(v, region)
        .map_err(|_| format!("\"{v}\" is not a phone number"))?;
    if !number.is_valid() {
        return Err(format!(
            "\"{v}\" is not a valid phone number{}",
            if v.starts_with('+') {
                String::new()
            } else {
                format!(
                    " in region {}",
                    region
                        .map(|r| r.as_region_str().to_string())
                        .unwrap_or_else(|| "(none)".into())
                )
            }
        ));
    }
    Ok(Some(number.format_as(PhoneNumberFormat::E164).to_string()))
}

/// The number's digits as written nationally ("+447700900123" gives "07700900123"), so a
/// search for the number as people dial it finds it.
///
/// A national form is a prefix (a trunk prefix such as "0", or nothing) before the national
/// number, and numbers of one range (calling code and first digits) share a format. So the
/// prefix is learned from libphonenumber's national format of the first number of each
/// range and reused for the rest, which need no parse or format of their own (formatting
/// is most of an import's phone work).
pub fn national_digits(e164: &str) -> Option<String> {
    let mut out = String::new();
    push_national_digits(e164, &mut out).then_some(out)
}

/// `national_digits`, appended to `out`; false (nothing appended) when there are none. An
/// import derives a million contacts' words into one buffer each, not a String per number.
pub fn push_national_digits(e164: &str, out: &mut String) -> bool {
    let Some(digits) = e164.strip_prefix('+') else {
        return false;
    };
    let Some(code_len) = (1..=3.min(digits.len())).find(|&len| {
        digits[..len]
            .parse::<i32>()
            .is_ok_and(|code| CALLING_CODES.contains(&code))
    }) else {
        return false;
    };
    let range = &digits[..(code_len + RANGE_DIGITS).min(digits.len())];
    let national = &digits[code_len..];
    // The range's prefix, learned from an earlier number (read under the lock, not copied).
    let learned = match NATIONAL_PREFIXES.read() {
        Ok(prefixes) => match prefixes.get(range) {
            Some(Some(prefix)) => {
                out.push_str(prefix);
                out.push_str(national);
                return true;
            }
            Some(None) => true,
            None => false,
        },
        Err(_) => false,
    };
    let Some(formatted) = formatted_national_digits(e164) else {
        return false;
    };
    if !learned {
        let prefix = formatted.strip_suffix(national).map(str::to_string);
        if let Ok(mut prefixes) = NATIONAL_PREFIXES.write() {
            prefixes.insert(range.to_string(), prefix);
        }
    }
    // Not a prefix and the national number (or the first of its range): as formatted.
    out.push_str(&formatted);
    true
}

/// A stored E.164 number as people read it internationally ("+16469123478" gives
/// "+1 646-912-3478"); anything that does not parse is given back as it is. The contacts
/// table shows each row's phones this way: about 10 µs a number, a millisecond a page.
pub fn international(e164: &str) -> String {
    match PHONE_NUMBER_UTIL.parse(e164, None) {
        Ok(number) => number
            .format_as(PhoneNumberFormat::International)
            .to_string(),
        Err(_) => e164.to_string(),
    }
}

/// How many digits after the calling code name a range of numbers that share a format.
const RANGE_DIGITS: usize = 4;

/// Every calling code libphonenumber knows (they are prefix-free).
static CALLING_CODES: LazyLock<HashSet<i32>> =
    LazyLock::new(|| PHONE_NUMBER_UTIL.get_supported_calling_codes().collect());

/// Per range ("44" and four digits), the digits before the national number in its national
/// format, or None where the format is not a prefix and the national number.
static NATIONAL_PREFIXES: LazyLock<RwLock<HashMap<String, Option<String>>>> =
    LazyLock::new(RwLock::default);

/// libphonenumber's national format of `e164`, digits only.
fn formatted_national_digits(e164: &str) -> Option<String> {
    let number = PHONE_NUMBER_UTIL.parse(e164, None).ok()?;
    let national = number.format_as(PhoneNumberFormat::National).to_string();
    let digits: String = national.chars().filter(|c| c.is_ascii_digit()).collect();
    (!digits.is_empty()).then_some(digits)
}

fn parse_region(code: &str) -> Option<Region> {
    // Uppercased on the stack: every phone of an import names its region.
    let code = code.trim();
    let mut upper = [0u8; 8];
    let buf = upper.get_mut(..code.len())?;
    buf.copy_from_slice(code.as_bytes());
    buf.make_ascii_uppercase();
    Region::from_str(std::str::from_utf8(buf).ok()?).ok()
}

/// True when `code` is a region libphonenumber knows (for the default-region setting).
pub fn is_region(code: &str) -> bool {
    let code = code.trim();
    code.len() == 2
        && parse_region(code)
            .and_then(|r| PHONE_NUMBER_UTIL.get_country_code_for_region(r))
            .is_some()
}

/// The region code for a contact's country field: an ISO code as is, or a common English
/// country name. Unknown countries give None (the default region applies).
pub fn region_of_country(country: &str) -> Option<String> {
    const NAMES: &[(&str, &str)] = &[
        ("united states", "US"),
        ("united states of america", "US"),
        ("usa", "US"),
        ("united kingdom", "GB"),
        ("uk", "GB"),
        ("great britain", "GB"),
        ("england", "GB"),
        ("scotland", "GB"),
        ("wales", "GB"),
        ("germany", "DE"),
        ("deutschland", "DE"),
        ("france", "FR"),
        ("spain", "ES"),
        ("españa", "ES"),
        ("italy", "IT"),
        ("italia", "IT"),
        ("netherlands", "NL"),
        ("the netherlands", "NL"),
        ("belgium", "BE"),
        ("switzerland", "CH"),
        ("austria", "AT"),
        ("ireland", "IE"),
        ("portugal", "PT"),
        ("sweden", "SE"),
        ("norway", "NO"),
        ("denmark", "DK"),
        ("finland", "FI"),
        ("poland", "PL"),
        ("canada", "CA"),
        ("mexico", "MX"),
        ("brazil", "BR"),
        ("argentina", "AR"),
        ("australia", "AU"),
        ("new zealand", "NZ"),
        ("india", "IN"),
        ("china", "CN"),
        ("japan", "JP"),
        ("south korea", "KR"),
        ("singapore", "SG"),
        ("israel", "IL"),
        ("south africa", "ZA"),
        ("united arab emirates", "AE"),
    ];
    let c = country.trim();
    if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) {
        return is_region(c).then(|| c.to_ascii_uppercase());
    }
    let lower = c.to_lowercase();
    NAMES
        .iter()
        .find(|(name, _)| *name == lower)
        .map(|(_, code)| code.to_string())
}
