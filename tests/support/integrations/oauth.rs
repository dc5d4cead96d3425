//! The OAuth 2.0 authorization server every provider shares in tests (authorization code with PKCE S256, refresh), and the Zapier catch hook.

use base64::Engine;
use serde_json::{json, Value};

use super::server::{Call, Reply};
use super::state::{Api, Grant, State};

fn oauth_error(error: &str, description: &str) -> Reply {
    Reply::json(
        400,
        json!({"error": error, "error_description": description}),
    )
}

/// base64url without padding of SHA-256(verifier): the S256 challenge.
pub(crate) fn challenge_of(verifier: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// `/oauth/authorize` and `/oauth/token`.
pub(crate) fn handle(data: &mut State, base_url: &str, call: &Call) -> Reply {
    match (call.method, call.path) {
        ("GET", "/oauth/authorize") => authorize(data, call),
        ("POST", "/oauth/token") => token(data, base_url, call),
        _ => Reply::json(404, json!({"error": "not_found"})),
    }
}

/// Appends `pairs` to a redirect URI's query.
fn redirect(uri: &str, pairs: &[(&str, &str)]) -> Reply {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    let location = format!("{uri}{sep}{}", query.finish());
    Reply::empty(302).with("location", location)
}

fn authorize(data: &mut State, call: &Call) -> Reply {
    let p = |name: &str| call.param(name).filter(|v| !v.is_empty());
    let Some(redirect_uri) = p("redirect_uri") else {
        return oauth_error("invalid_request", "redirect_uri is required");
    };
    let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
        .iter()
        .any(|l| redirect_uri.starts_with(l));
    if !loopback {
        return oauth_error(
            "invalid_request",
            "redirect_uri must be a loopback address (http://127.0.0.1:PORT/...)",
        );
    }
    let Some(client_id) = p("client_id") else {
        return oauth_error("invalid_request", "client_id is required");
    };
    let state = p("state");
    let fail = |error: &str, why: &str| {
        let mut pairs = vec![("error", error), ("error_description", why)];
        if let Some(s) = &state {
            pairs.push(("state", s.as_str()));
        }
        redirect(&redirect_uri, &pairs)
    };
    if p("response_type").as_deref() != Some("code") {
        return fail("unsupported_response_type", "response_type must be code");
    }
    if state.is_none() {
        return fail("invalid_request", "state is required");
    }
    let Some(challenge) = p("code_challenge") else {
        return fail("invalid_request", "code_challenge is required (PKCE)");
    };
    if p("code_challenge_method").as_deref() != Some("S256") {
        return fail("invalid_request", "code_challenge_method must be S256");
    }
    if data.deny_consent {
        return fail("access_denied", "The user denied the request");
    }
    let code = data.fresh("code");
    data.codes.insert(
        code.clone(),
        Grant {
            client_id,
            redirect_uri: redirect_uri.clone(),
            challenge,
        },
    );
    let state = state.unwrap_or_default();
    redirect(&redirect_uri, &[("code", &code), ("state", &state)])
}

fn token(data: &mut State, base_url: &str, call: &Call) -> Reply {
    if !call.is_form() {
        return oauth_error(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    }
    let f = |name: &str| {
        call.body
            .get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let Some(client_id) = f("client_id") else {
        return oauth_error("invalid_request", "client_id is required");
    };
    let realm = data.clients.get(&client_id).copied();
    match f("grant_type").as_deref() {
        Some("authorization_code") => {
            let (Some(code), Some(verifier), Some(redirect_uri)) =
                (f("code"), f("code_verifier"), f("redirect_uri"))
            else {
                return oauth_error(
                    "invalid_request",
                    "code, code_verifier and redirect_uri are required",
                );
            };
            // A code is good for one try, right or wrong.
            let Some(grant) = data.codes.remove(&code) else {
                return oauth_error("invalid_grant", "unknown or used authorization code");
            };
            if grant.client_id != client_id {
                return oauth_error("invalid_grant", "the code was issued to another client");
            }
            if grant.redirect_uri != redirect_uri {
                return oauth_error("invalid_grant", "redirect_uri does not match");
            }
            if challenge_of(&verifier) != grant.challenge {
                return oauth_error("invalid_grant", "PKCE verification failed");
            }
            let access = data.issue(realm);
            let refresh = data.issue_refresh(realm);
            tokens(base_url, realm, &access, Some(&refresh))
        }
        Some("refresh_token") => {
            let Some(refresh) = f("refresh_token") else {
                return oauth_error("invalid_request", "refresh_token is required");
            };
            if data.refresh_fails {
                return oauth_error("invalid_grant", "Token has been expired or revoked.");
            }
            let Some(realm) = data.refresh.get(&refresh).copied() else {
                return oauth_error("invalid_grant", "unknown refresh token");
            };
            let access = data.issue(realm);
            tokens(base_url, realm, &access, None)
        }
        _ => oauth_error(
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        ),
    }
}

/// A token reply; a Salesforce client's (see `FakeIntegrations::oauth_client`) names the
/// instance, `instance_url`: the fake's base URL. Google, Microsoft and HubSpot send none.
fn tokens(base_url: &str, realm: Option<Api>, access: &str, refresh: Option<&str>) -> Reply {
    let mut body = json!({"access_token": access, "expires_in": 3600, "token_type": "Bearer",
        "scope": "contacts calendar"});
    if realm == Some(Api::Salesforce) {
        body["instance_url"] = json!(base_url);
    }
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    Reply::json(200, body)
        .with("cache-control", "no-store".into())
        .with("pragma", "no-cache".into())
}

/// `POST /hooks/catch/{account}/{hook}/` (the trailing slash optional, as on Zapier).
pub(crate) fn hook(data: &mut State, call: &Call) -> Reply {
    let ours = data.hook.path.trim_end_matches('/');
    if call.path.trim_end_matches('/') != ours {
        return Reply::json(404, json!({"status": "error", "message": "Hook not found"}));
    }
    if call.method != "POST" {
        return Reply::json(
            405,
            json!({"status": "error", "message": "Method not allowed"}),
        );
    }
    if data.hook.deleted {
        return Reply::json(
            410,
            json!({"status": "error", "message": "This hook has been deleted or turned off."}),
        );
    }
    data.hook.posts.push(call.body.clone());
    let n = data.hook.posts.len();
    Reply::json(
        200,
        json!({"status": "success", "attempt": format!("0190a1b2-0000-7000-8000-{n:012x}"),
            "id": format!("0190a1b2-0000-7000-9000-{n:012x}"),
            "request_id": format!("req{n:08}")}),
    )
}
