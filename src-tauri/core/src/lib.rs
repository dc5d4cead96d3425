//! cardfile-core: everything Cardfile does except the window. Never depends on tauri, so
//! the command line, the tests and the benchmarks use exactly what the window uses.

pub mod activity;
pub mod api;
pub mod booking;
pub mod channels;
pub mod contacts;
pub mod dispatch;
pub mod error;
pub mod export;
pub mod feed;
pub mod funnel;
pub mod history;
pub mod identity;
pub mod import;
pub mod journal;
pub mod links;
pub mod merge;
pub mod notify;
pub mod outbox;
pub mod phone;
pub mod plan;
pub mod preferences;
pub mod record;
pub mod review;
pub mod rows;
pub mod sample;
pub mod search;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod store;
pub mod sync;
pub mod table;
pub mod trial;
pub mod user_removal;
pub mod users;
pub mod vcard;
pub mod words;

pub use error::{Error, ErrorBody, ErrorCode, Result};
pub use record::{Contact, ContactFields};
pub use search::{ContactPage, ListQuery, SortColumn};
pub use session::{AppInfo, Session};
pub use store::Store;
pub use sync::integrations;
pub use users::{Role, User};
