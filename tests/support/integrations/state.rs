//! What the fake remembers between requests: tokens, pending authorization codes, and each service's records.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

/// The APIs behind a bearer token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Api {
    HubSpot,
    Salesforce,
    Google,
    Graph,
}

impl Api {
    /// The integration names of the spec; `"any"` (a token every API takes) is `None`.
    pub(crate) fn parse(name: &str) -> Option<Api> {
        match name {
            "hubspot" => Some(Api::HubSpot),
            "salesforce" => Some(Api::Salesforce),
            "google" => Some(Api::Google),
            "exchange" | "graph" => Some(Api::Graph),
            "any" => None,
            other => panic!(
                "FakeIntegrations: unknown API {other:?} (hubspot, salesforce, google, exchange, any)"
            ),
        }
    }
}

/// An access token the fake issued.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    /// The one API it opens; `None`: every API.
    pub(crate) realm: Option<Api>,
    pub(crate) expired: bool,
}

/// What an authorization code was issued for.
#[derive(Clone, Debug)]
pub(crate) struct Grant {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: String,
}

/// The Zapier catch hook.
#[derive(Debug, Default)]
pub(crate) struct Hook {
    /// `/hooks/catch/{account}/{hook}/`
    pub(crate) path: String,
    pub(crate) deleted: bool,
    /// The bodies of the posts it accepted, in order.
    pub(crate) posts: Vec<Value>,
}

/// Everything, behind one lock.
pub(crate) struct State {
    pub(crate) tokens: HashMap<String, Token>,
    /// Refresh token → the realm of the access tokens it gives.
    pub(crate) refresh: HashMap<String, Option<Api>>,
    pub(crate) codes: HashMap<String, Grant>,
    /// OAuth clients registered with a realm; other client ids get tokens for every API.
    pub(crate) clients: HashMap<String, Api>,
    pub(crate) refresh_fails: bool,
    pub(crate) deny_consent: bool,
    /// HubSpot contacts: id → properties.
    pub(crate) hubspot: BTreeMap<u64, Map<String, Value>>,
    pub(crate) next_hubspot: u64,
    /// Salesforce records: (`Contact`|`Lead`, id) → fields (`Email`, `Phone`, …).
    pub(crate) salesforce: BTreeMap<(String, String), Map<String, Value>>,
    /// Google events: (calendar id, event id) → event.
    pub(crate) google: BTreeMap<(String, String), Value>,
    /// Graph events of `/me`: id → event.
    pub(crate) graph: BTreeMap<String, Value>,
    pub(crate) hook: Hook,
    counter: u64,
    seed: u64,
}

impl State {
    pub(crate) fn new(seed: u64) -> State {
        State {
            tokens: HashMap::new(),
            refresh: HashMap::new(),
            codes: HashMap::new(),
            clients: HashMap::new(),
            refresh_fails: false,
            deny_consent: false,
            hubspot: BTreeMap::new(),
            next_hubspot: 101,
            salesforce: BTreeMap::new(),
            google: BTreeMap::new(),
            graph: BTreeMap::new(),
            hook: Hook {
                path: "/hooks/catch/1234567/abcdefg/".to_string(),
                ..Hook::default()
            },
            counter: 0,
            seed: seed | 1,
        }
    }

    /// A fresh opaque value, unique in this fake: `<prefix>-<n>-<16 hex digits>`.
    pub(crate) fn fresh(&mut self, prefix: &str) -> String {
        self.counter += 1;
        // xorshift64*: enough to make values unguessable by accident.
        let mut x = self.seed;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.seed = x;
        let noise = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        format!("{prefix}-{}-{noise:016x}", self.counter)
    }

    /// A new valid access token.
    pub(crate) fn issue(&mut self, realm: Option<Api>) -> String {
        let token = self.fresh("at");
        self.tokens.insert(
            token.clone(),
            Token {
                realm,
                expired: false,
            },
        );
        token
    }

    /// A new refresh token.
    pub(crate) fn issue_refresh(&mut self, realm: Option<Api>) -> String {
        let token = self.fresh("rt");
        self.refresh.insert(token.clone(), realm);
        token
    }

    /// Whether this token opens this API now.
    pub(crate) fn admits(&self, token: &str, api: Api) -> bool {
        self.tokens
            .get(token)
            .is_some_and(|t| !t.expired && t.realm.is_none_or(|r| r == api))
    }
}
