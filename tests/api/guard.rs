//! What stands before the handlers: bearer tokens (and their keyring lifecycle), browsers
//! refused, the 127.0.0.1-only listener, the body limit, unknown fields, and stopping.

use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{assert_error, reply_json, Served};

#[tokio::test]
async fn requests_without_a_token_or_with_a_wrong_one_are_unauthorized() {
    let s = Served::start();
    let wrong_secret = format!("cf_1_{}", "0".repeat(64));
    let other_user = format!("cf_2_{}", &s.token[5..]);
    for token in [
        None,
        Some("nope"),
        Some(wrong_secret.as_str()),
        Some(other_user.as_str()),
    ] {
        for (method, path) in [
            (Method::GET, "/v1/contacts"),
            (Method::POST, "/v1/contacts"),
            (Method::DELETE, "/v1/contacts/1"),
        ] {
            let body = (method == Method::POST).then(|| json!({"email": "x@example.com"}));
            let reply = s.call_as(token, method, path, body).await;
            assert_error(&reply, 401, "unauthorized");
        }
    }
    // Another scheme is no bearer token.
    let reply = s
        .send(Method::GET, "/v1/contacts", None, |r| {
            r.header("authorization", format!("Basic {}", s.token))
        })
        .await;
    assert_error(&reply_json(reply).await, 401, "unauthorized");
    let (_, list) = s.call(Method::GET, "/v1/contacts", None).await;
    assert_eq!(list["data"], json!([]), "nothing was created");
}

#[tokio::test]
async fn a_token_made_after_the_server_started_works_and_a_rotated_one_stops() {
    let s = Served::start();
    s.add_user("tom@example.com", "team-manager");
    let tom = s.token_of(Some("tom@example.com"));
    assert!(tom.starts_with("cf_") && tom.len() > 64, "{tom}");
    assert_eq!(
        s.token_of(Some("tom@example.com")),
        tom,
        "the same each time"
    );
    let (status, c) = s
        .call_as(
            Some(&tom),
            Method::POST,
            "/v1/contacts",
            Some(json!({"email": "lead@example.com"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["owner"], "tom@example.com");
    let rotated = s.token_with(Some("tom@example.com"), &["--rotate"]);
    assert_ne!(rotated, tom);
    let (status, _) = s
        .call_as(Some(&rotated), Method::GET, "/v1/contacts", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    // The server trusts what it read from the keyring for a second.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_error(
        &s.call_as(Some(&tom), Method::GET, "/v1/contacts", None)
            .await,
        401,
        "unauthorized",
    );
}

#[tokio::test]
async fn browsers_are_refused_by_their_origin_and_by_a_foreign_host() {
    let s = Served::start();
    let port = s.port;
    for (header, value) in [
        ("origin", "https://attacker.example".to_string()),
        ("origin", "null".to_string()),
        ("host", format!("attacker.example:{port}")),
        ("host", format!("127.0.0.1.attacker.example:{port}")),
        ("host", "127.0.0.1:80".to_string()),
    ] {
        for method in [Method::GET, Method::OPTIONS, Method::POST] {
            let reply = s
                .send(method.clone(), "/v1/contacts", Some(&s.token), |r| {
                    r.header(header, value.as_str())
                        .header("content-type", "application/json")
                        .body(r#"{"email":"csrf@example.com"}"#)
                })
                .await;
            let reply = reply_json(reply).await;
            assert_error(&reply, 403, "forbidden");
        }
    }
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let reply = s
            .send(Method::GET, "/v1/contacts", Some(&s.token), |r| {
                r.header("host", host.as_str())
            })
            .await;
        assert_eq!(reply.status(), StatusCode::OK, "{host}");
    }
    let (_, list) = s.call(Method::GET, "/v1/contacts", None).await;
    assert_eq!(list["data"], json!([]), "nothing was created");
}

/// The local end of this machine's route outward (no packet is sent): an address of another
/// interface than loopback, if the machine has one.
fn other_interface() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn the_server_listens_on_127_0_0_1_only() {
    let s = Served::start();
    let port = format!("{:04X}", s.port);
    // /proc/net/tcp{,6}: "sl local_address rem_address st ...", 0A = LISTEN, addresses in hex.
    let mut listening = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() > 3 && cols[3] == "0A" && cols[1].ends_with(&format!(":{port}")) {
                listening.push(cols[1].to_string());
            }
        }
    }
    assert_eq!(listening, [format!("0100007F:{port}")], "127.0.0.1 only");
    if let Some(ip) = other_interface() {
        let there = SocketAddr::new(ip, s.port);
        assert!(
            TcpStream::connect_timeout(&there, Duration::from_secs(2)).is_err(),
            "{there} answered"
        );
    }
    let (status, _) = s.call(Method::GET, "/v1/contacts", None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_body_over_one_megabyte_is_refused_with_413() {
    let s = Served::start();
    let big = json!({"email": "big@example.com", "notes": "x".repeat(1_100_000)});
    let reply = s.call(Method::POST, "/v1/contacts", Some(big)).await;
    assert_error(&reply, 413, "invalid");
    let c = s.add(json!({"email": "small@example.com"})).await;
    let path = format!("/v1/contacts/{}", c["id"].as_str().unwrap());
    let big = json!({"notes": "y".repeat(1_100_000)});
    assert_error(
        &s.call(Method::PATCH, &path, Some(big)).await,
        413,
        "invalid",
    );
    // Under the cap, the body is read and core's rules apply (notes hold 20,000 characters).
    let reply = s
        .call(
            Method::PATCH,
            &path,
            Some(json!({"notes": "z".repeat(900_000)})),
        )
        .await;
    assert_error(&reply, 422, "invalid");
    assert_eq!(reply.1["field"], "notes");
    // Not JSON: refused before it is parsed.
    let reply = s
        .send(Method::POST, "/v1/contacts", Some(&s.token), |r| {
            r.header("content-type", "text/plain")
                .body(r#"{"email":"plain@example.com"}"#)
        })
        .await;
    assert_error(&reply_json(reply).await, 415, "invalid");
    let reply = s
        .send(Method::POST, "/v1/contacts", Some(&s.token), |r| {
            r.header("content-type", "application/json")
                .body("{\"email\":")
        })
        .await;
    assert_error(&reply_json(reply).await, 400, "invalid");
    let (_, list) = s.call(Method::GET, "/v1/contacts", None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn unknown_fields_are_refused_by_name() {
    let s = Served::start();
    let c = s.add(json!({"email": "known@example.com"})).await;
    let path = format!("/v1/contacts/{}", c["id"].as_str().unwrap());
    let cases: [(Method, String, Value, &str); 5] = [
        (
            Method::POST,
            "/v1/contacts".into(),
            json!({"email": "new@example.com", "nickname": "Al"}),
            "nickname",
        ),
        (Method::PATCH, path.clone(), json!({"owner": null}), "owner"),
        (
            Method::PATCH,
            path.clone(),
            json!({"city": "Leeds", "favourite_colour": "red"}),
            "favourite_colour",
        ),
        (
            Method::POST,
            "/v1/activities".into(),
            json!({"kind": "chat", "fields": {"email": "a@example.com", "shoe_size": 9}}),
            "fields.shoe_size",
        ),
        (
            Method::POST,
            "/v1/activities".into(),
            json!({"kind": "chat", "fields": {"email": "a@example.com"}, "mood": "ok"}),
            "mood",
        ),
    ];
    for (method, path, body, field) in cases {
        let reply = s.call(method, &path, Some(body)).await;
        assert_error(&reply, 400, "invalid");
        assert_eq!(reply.1["field"], field, "{}", reply.1);
        assert!(reply.1["message"]
            .as_str()
            .unwrap()
            .contains(field.rsplit('.').next().unwrap()));
    }
    let reply = s.call(Method::GET, "/v1/contacts?colour=red", None).await;
    assert_error(&reply, 400, "invalid");
    assert_eq!(reply.1["field"], "colour");
    let reply = s
        .call(
            Method::POST,
            "/v1/contacts?merge=yes",
            Some(json!({"email": "m@example.com"})),
        )
        .await;
    assert_error(&reply, 400, "invalid");
    assert_eq!(reply.1["field"], "merge");
    let (_, list) = s.call(Method::GET, "/v1/contacts", None).await;
    assert_eq!(list["data"], json!([c]), "nothing changed");
}

#[test]
fn serve_stops_on_sigterm() {
    let mut s = Served::start();
    let pid = s.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-s", "TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still serving");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_refuses_to_start_without_a_keyring_to_check_tokens_in() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["home", "run"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cardfile"))
        .arg("--db")
        .arg(dir.path().join("cardfile.db"))
        .args(["serve", "--port", "0"])
        .env_remove("CARDFILE_DB")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("HOME", dir.path().join("home"))
        .env("XDG_RUNTIME_DIR", dir.path().join("run"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no URL: it never listened");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("keyring"), "{stderr}");
}

#[tokio::test]
async fn a_removed_users_token_is_no_longer_a_users() {
    let s = Served::start();
    s.add_user("gone@example.com", "member");
    let token = s.token_of(Some("gone@example.com"));
    let (status, _) = s
        .call_as(Some(&token), Method::GET, "/v1/contacts", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    s.ok(&[
        "users",
        "remove",
        "gone@example.com",
        "--reassign-to",
        "owner@cardfile.local",
    ]);
    // The server trusts what it read from the keyring for a second.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_error(
        &s.call_as(Some(&token), Method::GET, "/v1/contacts", None)
            .await,
        401,
        "unauthorized",
    );
}
