//! Connecting the cloud account: the key checked and kept only in the keyring, the account's
//! users and teams, first links by email then mobile phone, disconnect pausing the outbox,
//! one sync at a time, and the outbox listed a page at a time.

use cardfile_core::secrets::{SecretStore, ONCEHUB_KEY};
use cardfile_core::sync::{self, check_url};
use cardfile_core::{outbox, ErrorCode, Role};
use serde_json::json;

use super::{Cloudy, KEY};

#[tokio::test]
async fn connect_refuses_a_wrong_key_and_keeps_nothing() {
    let c = Cloudy::new().await;
    let e = c.try_connect("sk-wrong").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    assert!(e.to_string().contains("refused the API key"), "{e}");
    assert!(!e.to_string().contains("sk-wrong"));
    assert_eq!(c.secrets.get(ONCEHUB_KEY).unwrap(), None);
    let status = sync::status(c.db.store(), &c.secrets).await.unwrap();
    assert!(!status.configured);
    assert_eq!(status.url, None);
}

#[tokio::test]
async fn connect_keeps_the_key_in_the_keyring_and_names_the_account() {
    let c = Cloudy::new().await;
    let status = c.connect().await;
    assert!(status.configured);
    assert_eq!(status.account.as_deref(), Some("admin@example.com"));
    assert_eq!(c.secrets.get(ONCEHUB_KEY).unwrap().as_deref(), Some(KEY));
    let test = c
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/v2/test"));
    assert!(test.is_some(), "the key is checked with GET /test");
}

#[test]
fn plain_http_is_refused_unless_the_host_is_this_computer() {
    assert!(check_url("http://api.oncehub.com/v2").is_err());
    assert!(check_url("ftp://api.oncehub.com/v2").is_err());
    assert_eq!(
        check_url("https://api.oncehub.com/v2/").unwrap(),
        "https://api.oncehub.com/v2"
    );
    assert!(check_url("http://127.0.0.1:9/v2").is_ok());
    assert!(check_url("http://localhost:9/v2").is_ok());
}

#[tokio::test]
async fn the_accounts_users_and_teams_become_cardfiles_with_their_roles() {
    let c = Cloudy::new().await;
    let sales = c.fake.insert_team("Sales");
    c.fake.insert_user(
        json!({"email": "admin@example.com", "first_name": "Ada", "last_name": "Admin",
        "role_name": "Account Owner", "status": "active", "teams": []}),
    );
    c.fake.insert_user(
        json!({"email": "tm@example.com", "first_name": "Tom", "last_name": "Lead",
        "role_name": "Team Manager", "status": "active", "teams": [sales]}),
    );
    c.fake.insert_user(
        json!({"email": "m@example.com", "first_name": "Mia", "last_name": "Rep",
        "role_name": "Member", "status": "active", "teams": [sales]}),
    );
    c.connect().await;
    let me = c.db.session.user().await.unwrap();
    assert_eq!(
        me.email, "admin@example.com",
        "the account the key names signs in"
    );
    assert_eq!(me.role, Role::Admin);
    let mut conn = c.db.store().pool().acquire().await.unwrap();
    let tm = cardfile_core::users::find_by_email(&mut conn, "tm@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tm.role, Role::TeamManager);
    assert_eq!(tm.teams, vec!["Sales".to_string()]);
    let m = cardfile_core::users::find_by_email(&mut conn, "m@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.role, Role::Member);
    drop(conn);
    // An Admin may sign in as any of the account's users.
    c.db.session.set_user("m@example.com").await.unwrap();
    assert_eq!(c.db.session.user().await.unwrap().email, "m@example.com");
}

#[tokio::test]
async fn first_connect_links_by_email_then_phone_and_queues_the_rest() {
    let c = Cloudy::new().await;
    let by_email = c
        .fake
        .insert_contact(json!({"first_name": "Ann", "last_name": "Cloud",
        "email": "ann@example.com", "city": "Oslo"}));
    let by_phone = c
        .fake
        .insert_contact(json!({"first_name": "Bo", "last_name": "Cloud",
        "mobile_phone": "+12025550111"}));
    let ann = c
        .add(&[
            ("first_name", "Ann"),
            ("last_name", "Local"),
            ("email", "ann@example.com"),
            ("company", "Acme"),
        ])
        .await;
    let bo = c
        .add(&[
            ("first_name", "Bo"),
            ("last_name", "Local"),
            ("mobile_phone", "+12025550111"),
        ])
        .await;
    let cy = c
        .add(&[
            ("first_name", "Cy"),
            ("last_name", "New"),
            ("email", "cy@example.com"),
        ])
        .await;
    c.connect().await;
    // Ann: linked; the cloud's values replace hers; what only she has here goes up.
    let ann_now = c.db.session.get(&ann.id).await.unwrap();
    assert_eq!(ann_now.last_name.as_deref(), Some("Cloud"));
    assert_eq!(ann_now.city.as_deref(), Some("Oslo"));
    c.drain().await;
    let ann_cloud = c.fake.contact(&by_email).unwrap();
    assert_eq!(super::field(&ann_cloud, "company").as_deref(), Some("Acme"));
    assert!(c.fake.contact(&by_phone).is_some());
    assert_eq!(c.fake.creates_for("ann@example.com"), 0);
    assert_eq!(
        c.fake.creates_for("+12025550111"),
        0,
        "Bo was linked by mobile phone"
    );
    assert_eq!(
        c.fake.creates_for("cy@example.com"),
        1,
        "Cy was queued as a create"
    );
    assert_eq!(c.fake.contacts().len(), 3);
    let _ = (bo, cy);
}

#[tokio::test]
async fn disconnect_forgets_the_key_and_pauses_the_outbox() {
    let c = Cloudy::new().await;
    c.connect().await;
    let user = c.db.session.user().await.unwrap();
    let status = sync::disconnect(c.db.store(), &c.secrets, &user)
        .await
        .unwrap();
    assert!(!status.configured);
    assert_eq!(c.secrets.get(ONCEHUB_KEY).unwrap(), None);
    c.add(&[
        ("first_name", "Dee"),
        ("last_name", "Later"),
        ("email", "dee@example.com"),
    ])
    .await;
    let s = c.sync().await;
    assert_eq!((s.pushed, s.pending), (0, 1), "the change waits, paused");
    assert_eq!(c.fake.creates_for("dee@example.com"), 0);
    c.connect().await;
    c.drain().await;
    assert_eq!(c.fake.creates_for("dee@example.com"), 1);
}

#[tokio::test]
async fn a_member_cannot_connect_the_account() {
    let c = Cloudy::new().await;
    c.db.session
        .add_user("rep@example.com", "Rep", Role::Member, None)
        .await
        .unwrap();
    c.db.session.set_user("rep@example.com").await.unwrap();
    let e = c.try_connect(KEY).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
}

#[tokio::test]
async fn a_second_sync_while_one_runs_is_refused_and_sends_nothing() {
    let c = Cloudy::new().await;
    c.connect().await;
    let _held = sync::SyncLock::try_take(c.db.store()).unwrap().unwrap();
    c.add(&[
        ("first_name", "Eve"),
        ("last_name", "Two"),
        ("email", "eve@example.com"),
    ])
    .await;
    let user = c.db.session.user().await.unwrap();
    let e = sync::run_quietly(c.db.store(), &c.secrets, &user)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict);
    assert!(e.to_string().contains("another sync is running"));
    assert_eq!(c.fake.creates_for("eve@example.com"), 0);
    drop(_held);
    c.drain().await;
    assert_eq!(c.fake.creates_for("eve@example.com"), 1);
}

#[tokio::test]
async fn a_connected_account_whose_key_is_gone_says_how_to_fix_it() {
    let c = Cloudy::new().await;
    c.connect().await;
    c.secrets.delete(ONCEHUB_KEY).unwrap();
    let user = c.db.session.user().await.unwrap();
    let e = sync::run_quietly(c.db.store(), &c.secrets, &user)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cloud connect"), "{e}");
}

#[tokio::test]
async fn the_key_never_reaches_the_database_file() {
    let c = Cloudy::new().await;
    c.connect().await;
    c.add(&[
        ("first_name", "Fay"),
        ("last_name", "Key"),
        ("email", "fay@example.com"),
    ])
    .await;
    c.fake.queue_fault(crate::oncehub::Fault::ServerError, 2);
    c.drain().await;
    let items = c.outbox().await;
    let status = sync::status(c.db.store(), &c.secrets).await.unwrap();
    let shown = format!("{items:?}{status:?}");
    assert!(!shown.contains(KEY));
    c.db.store().close().await;
    for entry in std::fs::read_dir(c.db.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "the key is in a database file"
        );
    }
}

#[tokio::test]
async fn the_outbox_is_listed_a_page_at_a_time_oldest_first_with_its_total() {
    let c = Cloudy::new().await;
    c.connect().await;
    for i in 0..5 {
        c.add(&[
            ("first_name", &format!("P{i}")),
            ("last_name", "Page"),
            ("email", &format!("p{i}@example.com")),
        ])
        .await;
    }
    let store = c.db.store();
    let names = |page: &outbox::OutboxPage| -> Vec<String> {
        page.items.iter().map(|i| i.contact_name.clone()).collect()
    };
    let first = outbox::list(store, false, None, 2).await.unwrap();
    assert_eq!(
        (names(&first), first.total),
        (vec!["P0 Page".into(), "P1 Page".into()], 5)
    );
    let second = outbox::list(store, false, Some(&first.items[1].id), 2)
        .await
        .unwrap();
    assert_eq!(
        (names(&second), second.total),
        (vec!["P2 Page".into(), "P3 Page".into()], 5)
    );
    let last = outbox::list(store, false, Some(&second.items[1].id), 2)
        .await
        .unwrap();
    assert_eq!(names(&last), ["P4 Page"]);
    // Sent items leave the waiting list; all of them are still there to list.
    c.drain().await;
    let waiting = outbox::list(store, false, None, 10).await.unwrap();
    assert_eq!((waiting.items.len(), waiting.total), (0, 0));
    let all = outbox::list(store, true, None, 10).await.unwrap();
    assert_eq!((all.items.len(), all.total), (5, 5));
    // An item id that is not one is refused as such.
    let bad = outbox::list(store, false, Some("x"), 2).await.unwrap_err();
    assert_eq!(bad.code(), ErrorCode::NotFound);
}
