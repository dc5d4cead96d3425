//! A deleted person's data, purged from every copy Cardfile made of it.

use sqlx::SqliteConnection;

use crate::error::Result;

/// A deleted person's data goes from everywhere Cardfile copied it: earlier journal images
/// (theirs and those of contacts merged into them), the summaries of batches that changed
/// them, Review items about them, the feed's values and what the integrations kept. Activities keep their snapshot (the
/// seed keeps them for reporting) and notifications their recipient (reminders are still
/// sent). The database runs with `secure_delete`, so the bytes go from the file too.
pub(super) async fn purge(conn: &mut SqliteConnection, id: i64) -> Result<()> {
    for sql in [
        "CREATE TEMP TABLE IF NOT EXISTS purged_ids (id INTEGER PRIMARY KEY)",
        "DELETE FROM temp.purged_ids",
        // The contact and, through the feed, every contact folded into it.
        "WITH RECURSIVE lineage(id) AS (SELECT ?1 UNION \
         SELECT c.contact_id FROM changes c JOIN lineage l ON c.merged_into = l.id WHERE c.kind = 'merge') \
         INSERT OR IGNORE INTO temp.purged_ids SELECT id FROM lineage",
        "UPDATE batches SET summary = CASE WHEN undoes IS NOT NULL \
             THEN 'Undid a change to a contact since deleted' ELSE CASE kind \
             WHEN 'add' THEN 'Added a contact since deleted' \
             WHEN 'edit' THEN 'Edited a contact since deleted' \
             WHEN 'merge' THEN 'Merged contacts, one since deleted' \
             ELSE summary END END \
         WHERE id IN (SELECT batch_id FROM journal WHERE entity = 'contact' \
             AND entity_id IN (SELECT id FROM temp.purged_ids))",
        "UPDATE journal SET before = NULL, after = NULL, purged = 1 \
         WHERE entity = 'contact' AND entity_id IN (SELECT id FROM temp.purged_ids)",
        "DELETE FROM review_items WHERE email_contact_id IN (SELECT id FROM temp.purged_ids) \
         OR phone_contact_id IN (SELECT id FROM temp.purged_ids)",
        "DELETE FROM change_values WHERE seq IN (SELECT seq FROM changes \
         WHERE contact_id IN (SELECT id FROM temp.purged_ids))",
        // What the integrations held of them: their last results, the values their
        // (now canceled) items were found by.
        "DELETE FROM integration_results WHERE contact_id IN (SELECT id FROM temp.purged_ids)",
        "UPDATE outbox SET before = NULL WHERE contact_id IN (SELECT id FROM temp.purged_ids)",
        "DELETE FROM temp.purged_ids",
    ] {
        let query = sqlx::query(sql);
        let query = if sql.contains("?1") {
            query.bind(id)
        } else {
            query
        };
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
