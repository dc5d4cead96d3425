//! A meeting's booking as given: its status and times, checked and read the way they are
//! stored (statuses in lowercase, times in UTC). Activities record bookings; notifications
//! are planned from them.

use serde::Deserialize;

use crate::error::{Error, Result};

pub(crate) fn one_of(
    field: &'static str,
    value: &Option<String>,
    allowed: &[&str],
) -> Result<Option<String>> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => {
            let v = v.to_lowercase();
            if allowed.contains(&v.as_str()) {
                Ok(Some(v))
            } else {
                Err(Error::invalid(
                    field,
                    format!("\"{v}\" is not one of {}", allowed.join(", ")),
                ))
            }
        }
    }
}

/// A time as given (RFC 3339, any offset), as stored: UTC, whole seconds.
pub(crate) fn timestamp(field: &'static str, value: &Option<String>) -> Result<Option<String>> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => chrono::DateTime::parse_from_rfc3339(v)
            .map(|t| {
                Some(
                    t.with_timezone(&chrono::Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )
            })
            .map_err(|_| {
                Error::invalid(
                    field,
                    format!("\"{v}\" is not a time like 2026-12-01T09:30:00Z"),
                )
            }),
    }
}

/// A meeting's booking: its status and times, checked.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct Booking {
    pub status: Option<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
}

impl Booking {
    pub(crate) fn read(
        status: &Option<String>,
        starts_at: &Option<String>,
        ends_at: &Option<String>,
    ) -> Result<Booking> {
        let status = one_of(
            "status",
            status,
            &[
                "scheduled",
                "rescheduled",
                "canceled",
                "completed",
                "no-show",
            ],
        )?;
        let booking = Booking {
            status,
            starts_at: timestamp("starts_at", starts_at)?,
            ends_at: timestamp("ends_at", ends_at)?,
        };
        booking.in_order()?;
        Ok(booking)
    }

    /// A meeting cannot end before it starts.
    pub(crate) fn in_order(&self) -> Result<()> {
        match (&self.starts_at, &self.ends_at) {
            (Some(s), Some(e)) if e < s => Err(Error::invalid(
                "ends_at",
                "the meeting ends before it starts",
            )),
            _ => Ok(()),
        }
    }
}
