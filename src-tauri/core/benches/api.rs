//! `make bench` for the local REST API: a server on a temporary database of 20,000
//! generated contacts, called by a pool of concurrent HTTP clients for five seconds each way.
//! Targets (issue 13): at least 1,000 contact reads a second and 200 creates a second.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cardfile_core::secrets::MemorySecrets;
use cardfile_core::{api, contacts, ContactFields, Session, Store};
use support::{person, runtime, Rng};

const CONTACTS: usize = 20_000;
const CLIENTS: usize = 8;
const RUN: Duration = Duration::from_secs(5);
const READS_TARGET: f64 = 1_000.0;
const CREATES_TARGET: f64 = 200.0;

/// What one way of calling measured.
struct Measured {
    per_second: f64,
    p50: Duration,
    p95: Duration,
    failed: usize,
}

/// Calls `call(client, i)` from CLIENTS tasks for RUN; each call answers whether it succeeded.
async fn measure<F, Fut>(call: F) -> Measured
where
    F: Fn(reqwest::Client, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (call, client, stop, next, failed, samples) = (
                call.clone(),
                client.clone(),
                stop.clone(),
                next.clone(),
                failed.clone(),
                samples.clone(),
            );
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let t = Instant::now();
                    if !call(client.clone(), i).await {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    mine.push(t.elapsed());
                }
                samples.lock().unwrap().extend(mine);
            })
        })
        .collect();
    tokio::time::sleep(RUN).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed();
    let mut samples = std::mem::take(&mut *samples.lock().unwrap());
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    Measured {
        per_second: samples.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.5),
        p95: at(0.95),
        failed: failed.load(Ordering::Relaxed),
    }
}

/// Prints a line of figures; with a target, whether it was met.
fn report(what: &str, m: &Measured, target: Option<f64>) -> bool {
    let met = target.is_none_or(|t| m.per_second >= t) && m.failed == 0;
    let verdict = match target {
        Some(t) => format!("target >= {t} /s   {}", if met { "MET" } else { "MISSED" }),
        None => String::new(),
    };
    println!(
        "{what:<28} {:>8.0} /s   p50 {:>6.2} ms   p95 {:>6.2} ms   failed {}   {verdict}",
        m.per_second,
        m.p50.as_secs_f64() * 1e3,
        m.p95.as_secs_f64() * 1e3,
        m.failed,
    );
    met
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    // The server on a runtime of its own (two threads, as the app's), the clients on another.
    let server_rt = runtime(2);
    let (url, token) = server_rt.block_on(async {
        let store = Store::open(&dir.path().join("api.db")).await.unwrap();
        let user = Session::new(store.clone(), None)
            .await
            .unwrap()
            .user()
            .await
            .unwrap();
        let mut rng = Rng(0x05ee_da11);
        let people: Vec<ContactFields> = (0..CONTACTS).map(|i| person(&mut rng, i)).collect();
        let added = contacts::add_many(&store, &user, people, "benchmark data")
            .await
            .unwrap();
        assert_eq!(added.added as usize, CONTACTS);
        let secrets = Arc::new(MemorySecrets::default());
        let token = api::token(secrets.as_ref(), &user, false).unwrap();
        let server = api::bind(store, secrets, 0).await.unwrap();
        let url = server.url();
        tokio::spawn(server.run(std::future::pending()));
        (url, token)
    });
    let client_rt = runtime(2);
    let bearer = format!("Bearer {token}");

    let (u, b) = (url.clone(), bearer.clone());
    let reads = client_rt.block_on(measure(move |client, i| {
        let (u, b) = (u.clone(), b.clone());
        async move {
            // Spread over the contacts, so reads are not of one cached row.
            let id = (i * 7_919) % CONTACTS + 1;
            match client
                .get(format!("{u}/v1/contacts/{id}"))
                .header("authorization", b)
                .send()
                .await
            {
                Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                Err(_) => false,
            }
        }
    }));

    let (u, b) = (url.clone(), bearer.clone());
    let creates = client_rt.block_on(measure(move |client, i| {
        let (u, b) = (u.clone(), b.clone());
        async move {
            let body = format!(
                r#"{{"first_name":"Bench","last_name":"Person {i}","email":"bench.{i}@api.example","company":"Benchmarks Ltd"}}"#
            );
            match client
                .post(format!("{u}/v1/contacts"))
                .header("authorization", b)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
            {
                Ok(r) => r.status() == 201 && r.bytes().await.is_ok(),
                Err(_) => false,
            }
        }
    }));

    let (u, b) = (url.clone(), bearer.clone());
    let pages = client_rt.block_on(measure(move |client, i| {
        let (u, b) = (u.clone(), b.clone());
        async move {
            let after = (i * 7_919) % CONTACTS;
            match client
                .get(format!("{u}/v1/contacts?limit=100&after={after}"))
                .header("authorization", b)
                .send()
                .await
            {
                Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                Err(_) => false,
            }
        }
    }));

    println!(
        "local API on {CONTACTS} contacts, {CLIENTS} concurrent clients, {} s each, {} cores",
        RUN.as_secs(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let met = [
        report("contact reads (GET one)", &reads, Some(READS_TARGET)),
        report("creates (POST)", &creates, Some(CREATES_TARGET)),
    ];
    report("pages of 100 (GET list)", &pages, None);
    if met.contains(&false) {
        println!("targets missed");
    }
    drop(server_rt);
}
