//! Search and paging: word prefixes in names, email, phones and company; every plan
//! (few matches, many matches, clustered matches) gives the same rows in the same order.

use cardfile_core::words::{query_words, words};
use cardfile_core::{Contact, ListQuery, Role, Session, SortColumn};

use crate::{fields, Db};

async fn search(session: &Session, text: &str, limit: u32) -> Vec<Contact> {
    session
        .list(&ListQuery {
            search: text.into(),
            limit,
            ..Default::default()
        })
        .await
        .unwrap()
        .rows
}

fn names(rows: &[Contact]) -> Vec<String> {
    rows.iter().map(|c| c.display_name()).collect()
}

#[test]
fn words_are_folded_and_split_on_punctuation() {
    let w: Vec<String> = words("José O'Brien-Smith <JOSE.obrien@Example.COM>").collect();
    assert_eq!(
        w,
        ["jose", "o", "brien", "smith", "jose", "obrien", "example", "com"]
    );
}

#[test]
fn a_query_that_looks_like_a_phone_is_one_run_of_digits() {
    assert_eq!(query_words("+44 (7911) 123-456"), ["447911123456"]);
    assert_eq!(query_words("Ann  an lee"), ["ann", "lee"]);
}

#[tokio::test]
async fn a_prefix_finds_each_of_its_words_through_edits() {
    let db = Db::new().await;
    let s = &db.session;
    let a = s
        .add(
            &fields(&[("first_name", "Ann"), ("email", "a@example.com")]),
            None,
            false,
        )
        .await
        .unwrap();
    s.add(
        &fields(&[("first_name", "Ann"), ("email", "b@example.com")]),
        None,
        false,
    )
    .await
    .unwrap();
    s.edit(&a.id, &fields(&[("first_name", "Anna")]), false)
        .await
        .unwrap();
    let emails = |rows: Vec<Contact>| {
        let mut emails: Vec<String> = rows.into_iter().filter_map(|c| c.email).collect();
        emails.sort();
        emails
    };
    assert_eq!(
        emails(search(s, "ann", 10).await),
        ["a@example.com", "b@example.com"]
    );
    assert_eq!(emails(search(s, "anna", 10).await), ["a@example.com"]);
    // The edit took "ann" from the first contact: the word is the second one's alone.
    let words: Vec<(String, i64)> = sqlx::query_as(
        "SELECT term, count(*) FROM search_terms WHERE term LIKE 'ann%' GROUP BY term ORDER BY term",
    )
    .fetch_all(db.store().pool())
    .await
    .unwrap();
    assert_eq!(words, vec![("ann".to_string(), 1), ("anna".to_string(), 1)]);
}

#[tokio::test]
async fn an_edit_that_keeps_the_name_moves_only_the_words_that_changed() {
    let db = Db::new().await;
    let s = &db.session;
    let a = s
        .add(
            &fields(&[
                ("first_name", "Ann"),
                ("email", "ann@acme.com"),
                ("company", "Acme Widgets"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    let terms = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT term FROM search_terms WHERE contact_id = ? ORDER BY term",
        )
        .bind(a.id.parse::<i64>().unwrap())
        .fetch_all(db.store().pool())
        .await
        .unwrap()
    };
    // "acme" is the email's too: it stays when the company drops it.
    s.edit(&a.id, &fields(&[("company", "Globex Widgets")]), false)
        .await
        .unwrap();
    assert_eq!(terms().await, ["acme", "ann", "com", "globex", "widgets"]);
    // A field that is not searched leaves the words as they are.
    s.edit(&a.id, &fields(&[("job_title", "Buyer")]), false)
        .await
        .unwrap();
    assert_eq!(terms().await, ["acme", "ann", "com", "globex", "widgets"]);
    let found = |q: &'static str| async move { search(s, q, 10).await.len() };
    assert_eq!(found("acme").await, 1);
    assert_eq!(found("glob").await, 1);
}

#[tokio::test]
async fn search_matches_word_prefixes_in_names_email_phones_and_company() {
    let db = Db::new().await;
    let s = &db.session;
    s.add(
        &fields(&[
            ("first_name", "Ann"),
            ("last_name", "Lee"),
            ("email", "ann.lee@acme.com"),
            ("company", "Acme Widgets"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    s.add(
        &fields(&[
            ("first_name", "José"),
            ("last_name", "Núñez"),
            ("email", "jn@globex.com"),
            ("mobile_phone", "+44 7911 123456"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    s.add(
        &fields(&[
            ("first_name", "Bob"),
            ("email", "bob@initech.com"),
            ("company", "Initech"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    assert_eq!(names(&search(s, "ann", 10).await), ["Ann Lee"]);
    assert_eq!(names(&search(s, "WIDG", 10).await), ["Ann Lee"]);
    assert_eq!(names(&search(s, "jose nun", 10).await), ["José Núñez"]);
    assert_eq!(names(&search(s, "globex", 10).await), ["José Núñez"]);
    assert_eq!(
        names(&search(s, "07911 123", 10).await),
        ["José Núñez"],
        "national form"
    );
    assert_eq!(
        names(&search(s, "+44 7911", 10).await),
        ["José Núñez"],
        "international form"
    );
    assert_eq!(
        names(&search(s, "ann bob", 10).await),
        Vec::<String>::new(),
        "every word must match"
    );
    assert_eq!(
        names(&search(s, "ee", 10).await),
        Vec::<String>::new(),
        "prefixes, not infixes"
    );
    assert_eq!(search(s, "", 10).await.len(), 3);
}

#[tokio::test]
async fn sorting_by_each_column_in_both_directions() {
    let db = Db::new().await;
    let s = &db.session;
    s.add(
        &fields(&[
            ("first_name", "Ann"),
            ("last_name", "Young"),
            ("email", "c@example.com"),
            ("company", "beta"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    s.add(
        &fields(&[
            ("first_name", "Zed"),
            ("last_name", "Adams"),
            ("email", "b@example.com"),
            ("company", "Alpha"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    s.add(
        &fields(&[
            ("first_name", "Cy"),
            ("last_name", "Moss"),
            ("email", "a@example.com"),
            ("company", "Gamma"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    let by = |sort, descending| ListQuery {
        sort,
        descending,
        limit: 10,
        ..Default::default()
    };
    let page = s.list(&by(SortColumn::Name, false)).await.unwrap();
    assert_eq!(names(&page.rows), ["Zed Adams", "Cy Moss", "Ann Young"]);
    let page = s.list(&by(SortColumn::Name, true)).await.unwrap();
    assert_eq!(names(&page.rows), ["Ann Young", "Cy Moss", "Zed Adams"]);
    let page = s.list(&by(SortColumn::Email, false)).await.unwrap();
    assert_eq!(names(&page.rows), ["Cy Moss", "Zed Adams", "Ann Young"]);
    let page = s.list(&by(SortColumn::Company, false)).await.unwrap();
    assert_eq!(
        names(&page.rows),
        ["Zed Adams", "Ann Young", "Cy Moss"],
        "case-insensitive"
    );
    let page = s.list(&by(SortColumn::UpdatedAt, true)).await.unwrap();
    assert_eq!(names(&page.rows), ["Cy Moss", "Zed Adams", "Ann Young"]);
}

#[tokio::test]
async fn pages_follow_one_another_and_report_the_total() {
    let db = Db::new().await;
    for i in 0..25 {
        db.session
            .add(
                &fields(&[
                    ("last_name", &format!("Name{i:02}")),
                    ("email", &format!("p{i}@example.com")),
                ]),
                None,
                false,
            )
            .await
            .unwrap();
    }
    let page = |offset| ListQuery {
        offset,
        limit: 10,
        ..Default::default()
    };
    let p1 = db.session.list(&page(0)).await.unwrap();
    let p3 = db.session.list(&page(20)).await.unwrap();
    assert_eq!((p1.total, p1.has_more, p1.rows.len()), (Some(25), true, 10));
    assert_eq!((p3.total, p3.has_more, p3.rows.len()), (Some(25), false, 5));
    assert_eq!(p1.rows[0].last_name.as_deref(), Some("Name00"));
    assert_eq!(p3.rows[4].last_name.as_deref(), Some("Name24"));
}

/// What a search must return, worked out the slow way over every contact.
fn expected(all: &[Contact], query: &str) -> Vec<String> {
    let wanted = query_words(query);
    all.iter()
        .filter(|c| {
            let mut have: Vec<String> = [&c.first_name, &c.last_name, &c.company, &c.email]
                .into_iter()
                .flatten()
                .flat_map(|t| words(t).collect::<Vec<_>>())
                .collect();
            have.extend(
                c.mobile_phone
                    .iter()
                    .map(|p| p.trim_start_matches('+').to_string()),
            );
            wanted
                .iter()
                .all(|w| have.iter().any(|h| h.starts_with(w.as_str())))
        })
        .map(|c| c.id.clone())
        .collect()
}

#[tokio::test]
async fn dense_sparse_and_clustered_searches_agree_with_a_full_scan() {
    let db = Db::new().await;
    let s = &db.session;
    let firsts = ["Sam", "Sara", "John", "Joan", "Ann", "Eve", "Ed", "Mia"];
    let lasts = ["Adams", "Brown", "Evans", "Jones", "Moss", "Young"];
    // 6,000 contacts: "smith" is a clustered surname (2,600 of them, sorted together),
    // "s" and "e" are dense, "zoe" is sparse.
    for i in 0..6_000 {
        let first = if i % 997 == 0 {
            "Zoe"
        } else {
            firsts[i % firsts.len()]
        };
        let last = if i % 7 < 3 {
            "Smith"
        } else {
            lasts[i % lasts.len()]
        };
        s.add(
            &fields(&[
                ("first_name", first),
                ("last_name", last),
                (
                    "email",
                    &format!(
                        "{}.{}{i}@example.com",
                        first.to_lowercase(),
                        last.to_lowercase()
                    ),
                ),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    }
    let mut all = Vec::new();
    loop {
        let page = s
            .list(&ListQuery {
                offset: all.len() as u32,
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap();
        all.extend(page.rows);
        if !page.has_more {
            break;
        }
    }
    assert_eq!(all.len(), 6_000);
    // Descending: by email (walked and gathered plans), and by name (the driven plans read
    // their words backwards).
    let mut by_email = all.clone();
    by_email.sort_by_key(|c| std::cmp::Reverse((c.email.clone(), c.id.parse::<i64>().unwrap())));
    let by_name: Vec<Contact> = all.iter().rev().cloned().collect();
    let descending = [
        (
            SortColumn::Email,
            &by_email,
            &["s", "smith", "zoe", "sam smi"][..],
        ),
        (
            SortColumn::Name,
            &by_name,
            &["smith", "zoe", "sam smi", "jo", "john.sm"][..],
        ),
    ];
    for (sort, order, queries) in descending {
        for query in queries {
            let want = expected(order, query);
            let page = s
                .list(&ListQuery {
                    search: query.to_string(),
                    sort,
                    descending: true,
                    limit: 100,
                    ..Default::default()
                })
                .await
                .unwrap();
            let got: Vec<String> = page.rows.iter().map(|c| c.id.clone()).collect();
            let slice: Vec<String> = want.iter().take(100).cloned().collect();
            assert_eq!(got, slice, "query {query:?} by {sort:?}, descending");
            if let Some(total) = page.total {
                assert_eq!(total as usize, want.len(), "query {query:?} by {sort:?}");
            }
        }
    }
    for query in [
        "s", "e", "smith", "sm", "zoe", "sam smi", "jo", "example", "john.sm", "x",
    ] {
        let want = expected(&all, query);
        for (offset, limit) in [(0u32, 100u32), (100, 100), (2_500, 50)] {
            let page = s
                .list(&ListQuery {
                    search: query.into(),
                    offset,
                    limit,
                    ..Default::default()
                })
                .await
                .unwrap();
            let got: Vec<String> = page.rows.iter().map(|c| c.id.clone()).collect();
            let slice: Vec<String> = want
                .iter()
                .skip(offset as usize)
                .take(limit as usize)
                .cloned()
                .collect();
            assert_eq!(got, slice, "query {query:?} offset {offset}");
            assert_eq!(
                page.has_more,
                want.len() > (offset + limit) as usize,
                "query {query:?} offset {offset}"
            );
            if let Some(total) = page.total {
                assert_eq!(total as usize, want.len(), "query {query:?}");
            }
        }
    }
}

/// Every contact the session sees, in name order.
async fn everything(s: &Session) -> Vec<Contact> {
    let mut all = Vec::new();
    loop {
        let page = s
            .list(&ListQuery {
                offset: all.len() as u32,
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap();
        all.extend(page.rows);
        if !page.has_more {
            return all;
        }
    }
}

#[tokio::test]
async fn status_and_owner_filters_narrow_every_plan_as_a_full_scan_would() {
    let db = Db::new().await;
    let s = &db.session;
    s.add_user("mia@example.com", "Mia", Role::Member, None)
        .await
        .unwrap();
    let firsts = ["Sam", "Sara", "John", "Ann", "Eve", "Ed"];
    let lasts = ["Adams", "Brown", "Evans", "Moss"];
    // 2,400 contacts: a third Mia's; a quarter Qualified, a quarter Disqualified, a few
    // Sales qualified; "smith" clustered, "s" and "e" dense, "zoe" sparse.
    for i in 0..2_400 {
        let first = if i % 301 == 0 {
            "Zoe"
        } else {
            firsts[i % firsts.len()]
        };
        let last = if i % 7 < 3 {
            "Smith"
        } else {
            lasts[i % lasts.len()]
        };
        let status = match i % 4 {
            _ if i % 500 == 7 => "Sales qualified",
            0 => "Qualified",
            1 => "Disqualified",
            _ => "",
        };
        let email = format!(
            "{}.{}{i}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let owner = (i % 3 == 0).then_some("mia@example.com");
        s.add(
            &fields(&[
                ("first_name", first),
                ("last_name", last),
                ("email", &email),
                ("status", status),
            ]),
            owner,
            false,
        )
        .await
        .unwrap();
    }
    let all = everything(s).await;
    assert_eq!(all.len(), 2_400);
    let mut by_email = all.clone();
    by_email.sort_by_key(|c| std::cmp::Reverse((c.email.clone(), c.id.parse::<i64>().unwrap())));
    let filters: [(Option<&str>, Option<&str>); 5] = [
        (Some("Qualified"), None),
        (None, Some("mia@example.com")),
        (Some("sales-qualified"), Some("mia@example.com")),
        (Some("disqualified"), Some("owner@cardfile.local")),
        (Some("Sales qualified"), None),
    ];
    for (status, owner) in filters {
        let keep = |c: &Contact| {
            status.is_none_or(|st| {
                c.status.as_deref().map(str::to_lowercase)
                    == Some(st.replace('-', " ").to_lowercase())
            }) && owner.is_none_or(|o| c.owner == o)
        };
        for (sort, descending, order) in [
            (SortColumn::Name, false, &all),
            (SortColumn::Email, true, &by_email),
        ] {
            let narrowed: Vec<Contact> = order.iter().filter(|c| keep(c)).cloned().collect();
            for query in ["", "s", "e", "smith", "sm", "zoe", "sam smi", "example"] {
                let want = expected(&narrowed, query);
                for (offset, limit) in [(0u32, 100u32), (100, 50)] {
                    let page = s
                        .list(&ListQuery {
                            search: query.into(),
                            sort,
                            descending,
                            offset,
                            limit,
                            status: status.map(str::to_string),
                            owner: owner.map(str::to_string),
                        })
                        .await
                        .unwrap();
                    let got: Vec<String> = page.rows.iter().map(|c| c.id.clone()).collect();
                    let slice: Vec<String> = want
                        .iter()
                        .skip(offset as usize)
                        .take(limit as usize)
                        .cloned()
                        .collect();
                    let what = format!("{query:?} {status:?} {owner:?} {sort:?} at {offset}");
                    assert_eq!(got, slice, "{what}");
                    assert_eq!(
                        page.has_more,
                        want.len() > (offset + limit) as usize,
                        "{what}"
                    );
                    if let Some(total) = page.total {
                        assert_eq!(total as usize, want.len(), "{what}");
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn an_owner_filter_shows_nothing_the_user_may_not_see_and_refuses_unknown_users() {
    let db = Db::new().await;
    db.session
        .add_user("mia@example.com", "Mia", Role::Member, None)
        .await
        .unwrap();
    db.session
        .add(&fields(&[("email", "a@example.com")]), None, false)
        .await
        .unwrap();
    let mia = Session::new(db.store().clone(), Some("mia@example.com".into()))
        .await
        .unwrap();
    mia.add(&fields(&[("email", "m@example.com")]), None, false)
        .await
        .unwrap();
    let owned_by = |owner: &str| ListQuery {
        limit: 10,
        owner: Some(owner.into()),
        ..Default::default()
    };
    let page = mia.list(&owned_by("owner@cardfile.local")).await.unwrap();
    assert!(page.rows.is_empty());
    assert_eq!(page.total, Some(0));
    let page = mia.list(&owned_by("mia@example.com")).await.unwrap();
    assert_eq!(page.rows.len(), 1);
    let e = mia.list(&owned_by("nobody@example.com")).await.unwrap_err();
    assert_eq!(e.field(), Some("owner"), "{e}");
    let e = mia
        .list(&ListQuery {
            limit: 10,
            status: Some("Hot".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("status"), "{e}");
}

#[tokio::test]
async fn a_prefix_whose_words_interleave_in_name_order_finds_each_match_in_its_place() {
    // "john" covers "john" (5,100 John Adams, sorted as "adams john") and "johnson" (Karl
    // Johnson, after them). Only the last ten Adams have a word starting with "s", so a small
    // page read through both words must wait for the Adams read to reach them: the
    // Johnsons' entries, read at once, must not take their places. Enough Adams that the
    // search reads a word's contacts a page at a time rather than all at once.
    let db = Db::new().await;
    let s = &db.session;
    let s_words = [
        "Sales", "Summit", "Spark", "Stone", "Sky", "Sol", "Sun", "Star", "Sea", "Silk",
    ];
    let adams = (0..5_100).map(|i| {
        let company = if i >= 5_090 { s_words[i % 10] } else { "Acme" };
        (
            "John",
            "Adams",
            company,
            format!("john.adams{i}@example.org"),
        )
    });
    let johnsons = (s_words.iter().enumerate())
        .map(|(i, company)| ("Karl", "Johnson", *company, format!("karl{i}@example.org")));
    for (first, last, company, email) in adams.chain(johnsons) {
        s.add(
            &fields(&[
                ("first_name", first),
                ("last_name", last),
                ("company", company),
                ("email", &email),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    }
    for limit in [1u32, 5, 10, 15, 25] {
        let got = search(s, "john s", limit).await;
        let want: Vec<String> = (0..20)
            .map(|i| if i < 10 { "John Adams" } else { "Karl Johnson" }.to_string())
            .take(limit as usize)
            .collect();
        assert_eq!(names(&got), want, "limit {limit}");
        if limit <= 10 {
            assert!(
                got.iter().all(|c| c.company.as_deref() != Some("Acme")),
                "limit {limit}"
            );
        }
    }
}
