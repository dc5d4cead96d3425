//! How the command line shows lists: readable tables (history, contacts, any columns) and
//! the outbox's tab-separated lines.

use cardfile_core::Contact;

pub(super) fn print_history(entries: &[cardfile_core::history::HistoryEntry]) {
    println!("{:<24}  {:<24}  {:<6}  WHAT", "WHEN", "WHO", "KIND");
    for e in entries {
        let changes: Vec<String> = e
            .changes
            .iter()
            .map(|c| {
                format!(
                    "{}: {} -> {}",
                    c.field,
                    c.before.as_deref().unwrap_or("(blank)"),
                    c.after.as_deref().unwrap_or("(blank)")
                )
            })
            .collect();
        println!("{:<24}  {:<24}  {:<6}  {}", e.at, e.user, e.kind, e.summary);
        for c in changes {
            println!("{:<60}{c}", "");
        }
    }
}

pub(super) fn print_table(rows: &[Contact]) {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|c| {
            let name = [c.first_name.as_deref(), c.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            vec![
                c.id.clone(),
                name,
                c.email.clone().unwrap_or_default(),
                c.mobile_phone.clone().unwrap_or_default(),
                c.company.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print_columns(&["ID", "NAME", "EMAIL", "MOBILE PHONE", "COMPANY"], &cells);
}

/// A readable table: a header and left-aligned columns as wide as their widest cell.
pub(super) fn print_columns(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: &[&str]| {
        let mut s = String::new();
        for (i, (c, w)) in cols.iter().zip(&widths).enumerate() {
            if i + 1 == cols.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = *w));
            }
        }
        println!("{}", s.trim_end());
    };
    line(header);
    for row in rows {
        line(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

/// One outbox item as `outbox list` prints it: a tab-separated line.
pub(super) fn outbox_line(item: &cardfile_core::outbox::OutboxItem) -> String {
    let fields: Vec<String> = item
        .fields
        .iter()
        .map(|f| {
            format!(
                "{}: {} -> {}",
                f.field,
                f.before.as_deref().unwrap_or("(none)"),
                f.after.as_deref().unwrap_or("(cleared)")
            )
        })
        .collect();
    format!(
        "{}\t{}\tcontact {}\t{}\t{}\tattempts {}\t{}\t{}\t{}",
        item.id,
        item.target,
        item.contact,
        item.operation,
        fields.join("; "),
        item.attempts,
        item.last_error.as_deref().unwrap_or("-"),
        item.next_at.as_deref().unwrap_or("-"),
        item.status
    )
}
