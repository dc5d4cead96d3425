//! The window's contacts table: a page of contacts as its rows show them, phones in the
//! international format people read ("+1 646-912-3478") while they stay stored, edited and
//! exported as E.164. Formatted here, for the page's rows only, so the window needs no phone
//! metadata of its own; the command line and the local API keep E.164.

use serde::Serialize;

use crate::phone;
use crate::record::Contact;
use crate::search::ContactPage;

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct TableRow {
    pub contact: Contact,
    /// The mobile phone as people read it.
    pub mobile_phone_display: Option<String>,
    /// The other phone as people read it.
    pub phone_display: Option<String>,
}

/// A page of the table: its rows, and the list's total as `ContactPage` gives it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct TablePage {
    pub rows: Vec<TableRow>,
    /// How many contacts match in all; None when a search matches too many to count cheaply.
    pub total: Option<u32>,
    /// Whether rows follow this page.
    pub has_more: bool,
}

impl From<ContactPage> for TablePage {
    fn from(page: ContactPage) -> Self {
        TablePage {
            rows: page
                .rows
                .into_iter()
                .map(|contact| TableRow {
                    mobile_phone_display: contact.mobile_phone.as_deref().map(phone::international),
                    phone_display: contact.phone.as_deref().map(phone::international),
                    contact,
                })
                .collect(),
            total: page.total,
            has_more: page.has_more,
        }
    }
}
