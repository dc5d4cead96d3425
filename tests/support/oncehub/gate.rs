//! What happens to a request before the API sees it: the request log, OnceHub's two rate limits and the injected faults.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A failure the fake can inject into a request that passed auth and the rate limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// 500 `{"type":"api_error",…}`; nothing is applied.
    ServerError,
    /// 429 `rate_limit_error` without `Retry-After`; nothing is applied.
    TooMany,
    /// 429 `rate_limit_error` with `Retry-After: 1`; nothing is applied.
    TooManyWithRetryAfter,
    /// Holds the reply for the timeout delay, then applies the request and answers normally.
    /// The request is applied even if the client gave up meanwhile.
    Timeout,
    /// Drops the connection without applying the request or writing a byte.
    CutBefore,
    /// Applies the request, then sends the status, the headers and half the body, and resets
    /// the connection.
    CutAfter,
}

/// One request that reached the server.
#[derive(Clone, Debug)]
pub struct Logged {
    /// The HTTP method, e.g. `"POST"`.
    pub method: String,
    /// The path and query as sent, e.g. `"/v2/contacts?limit=100"`.
    pub path: String,
    /// The status the server answered with; 0 for a [`Fault::CutBefore`] (nothing was written)
    /// and for a [`Fault::Timeout`] still being held.
    pub status: u16,
    /// When the request arrived.
    pub at: Instant,
    /// The request body, lossily decoded as UTF-8.
    pub body: String,
    /// The fault injected into it, if any.
    pub fault: Option<Fault>,
    /// The `Request-Id` header of the reply, `req_<n>`.
    pub request_id: String,
}

/// Small deterministic PRNG (xorshift64*), so a seed reproduces a run.
#[derive(Clone, Debug)]
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> XorShift {
        // A zero state would stay zero forever.
        XorShift(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// What the gate decided for an arriving request.
pub(crate) enum Admission {
    /// Over a rate limit: answer 429 and stop.
    RateLimited,
    /// Go on to the auth check.
    Admitted,
}

const SECOND: Duration = Duration::from_secs(1);
const FIVE_MINUTES: Duration = Duration::from_secs(300);

/// Request log, rate limits and fault injection, under one lock.
pub(crate) struct Gate {
    per_second: usize,
    per_five_minutes: usize,
    /// Arrivals of the last five minutes, oldest first (kept apart from the log, which tests may clear).
    arrivals: VecDeque<Instant>,
    log: Vec<Logged>,
    /// How many entries were cleared from the front of the log (indexes stay valid across a clear).
    log_base: usize,
    rate_limited: usize,
    next_request_id: u64,
    fault_rate: f64,
    fault_kinds: Vec<Fault>,
    rng: XorShift,
    queued: VecDeque<Fault>,
    pub(crate) timeout_delay: Duration,
}

impl Gate {
    pub(crate) fn new() -> Gate {
        Gate {
            per_second: 5,
            per_five_minutes: 200,
            arrivals: VecDeque::new(),
            log: Vec::new(),
            log_base: 0,
            rate_limited: 0,
            next_request_id: 1,
            fault_rate: 0.0,
            fault_kinds: Vec::new(),
            rng: XorShift::new(1),
            queued: VecDeque::new(),
            timeout_delay: Duration::from_secs(3),
        }
    }

    pub(crate) fn set_limits(&mut self, per_second: usize, per_five_minutes: usize) {
        self.per_second = per_second;
        self.per_five_minutes = per_five_minutes;
    }

    pub(crate) fn set_faults(&mut self, rate: f64, kinds: &[Fault], seed: u64) {
        self.fault_rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        self.fault_kinds = kinds.to_vec();
        self.rng = XorShift::new(seed);
    }

    pub(crate) fn queue_fault(&mut self, fault: Fault, n: usize) {
        self.queued.extend(std::iter::repeat_n(fault, n));
    }

    /// Logs an arriving request and checks both sliding windows, this request included.
    /// Returns the log index, the request id and the admission.
    pub(crate) fn arrive(
        &mut self,
        method: &str,
        path: &str,
        body: String,
    ) -> (usize, String, Admission) {
        let now = Instant::now();
        while let Some(first) = self.arrivals.front() {
            if now.duration_since(*first) >= FIVE_MINUTES {
                self.arrivals.pop_front();
            } else {
                break;
            }
        }
        self.arrivals.push_back(now);
        let in_five = self.arrivals.len();
        let in_second = self
            .arrivals
            .iter()
            .rev()
            .take_while(|t| now.duration_since(**t) < SECOND)
            .count();
        let limited = in_second > self.per_second || in_five > self.per_five_minutes;
        let request_id = format!("req_{}", self.next_request_id);
        self.next_request_id += 1;
        self.log.push(Logged {
            method: method.to_string(),
            path: path.to_string(),
            status: 0,
            at: now,
            body,
            fault: None,
            request_id: request_id.clone(),
        });
        let index = self.log_base + self.log.len() - 1;
        if limited {
            self.rate_limited += 1;
            self.finish(index, 429);
            return (index, request_id, Admission::RateLimited);
        }
        (index, request_id, Admission::Admitted)
    }

    /// The fault for the next admitted request: queued ones first, then a random draw.
    pub(crate) fn draw_fault(&mut self, index: usize) -> Option<Fault> {
        let fault = match self.queued.pop_front() {
            Some(f) => Some(f),
            None if !self.fault_kinds.is_empty() && self.fault_rate > 0.0 => {
                if self.rng.next_f64() < self.fault_rate {
                    let i = self.rng.below(self.fault_kinds.len());
                    Some(self.fault_kinds[i])
                } else {
                    None
                }
            }
            None => None,
        };
        if let Some(entry) = self.entry(index) {
            entry.fault = fault;
        }
        fault
    }

    /// Records the status a request was answered with.
    pub(crate) fn finish(&mut self, index: usize, status: u16) {
        if let Some(entry) = self.entry(index) {
            entry.status = status;
        }
    }

    fn entry(&mut self, index: usize) -> Option<&mut Logged> {
        let at = index.checked_sub(self.log_base)?;
        self.log.get_mut(at)
    }

    pub(crate) fn requests(&self) -> Vec<Logged> {
        self.log.clone()
    }

    pub(crate) fn clear_log(&mut self) {
        self.log_base += self.log.len();
        self.log.clear();
    }

    pub(crate) fn rate_limited(&self) -> usize {
        self.rate_limited
    }

    /// The most logged requests whose arrivals all fit in a window of this length
    /// (each pair less than `window` apart).
    pub(crate) fn max_in_window(&self, window: Duration) -> usize {
        let times: Vec<Instant> = self.log.iter().map(|l| l.at).collect();
        let mut best = 0;
        let mut start = 0;
        for end in 0..times.len() {
            while times[end].duration_since(times[start]) >= window {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }
}
