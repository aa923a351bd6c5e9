//! Every operation of the SDK, called against Prism serving the document the SDK is generated from
//! (spec/openapi.json with its overlays): once with Prism's static answers (the spec's examples), and once
//! per seed of [`DYNAMIC_SEEDS`] with answers Prism generates from the schemas (`--dynamic --seed N`: Prism
//! answers a request the same way every time for one seed, so each seed is its own Prism run).
//!
//! A call passes when Prism finds nothing wrong with the request (no `request` entry in its
//! `sl-violations` header) and the SDK decodes the answer into the operation's type. A call whose answer does
//! not decode is counted apart, not failed, only when that answer breaks the response schema it was made
//! for, checked here with the generator's JSON Schema validator: then the spec's own example (or what Prism
//! made of the schema) is at fault, and the table lists where and why. Anything else fails the test.
//!
//! The calls go through a recording proxy on loopback, so that each exchange (status, `sl-violations`, body)
//! can be looked at whatever the SDK made of it. Without Prism the test is skipped (see `sdk_tests::prism`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use cloudflare_sdk_operation_tests::{cases, Case, Client, Failure, Scheme, TAG_HEADER};
use futures_util::StreamExt;
use sdk_tests::prism::{prism_binary, spec_path, Prism};
use serde_json::Value;
use xtask::conformance::validate::Validator;
use xtask::location::escape;
use xtask::operation_tests::values::Values;

/// The seeds of the dynamic runs: as many generated answers per operation, the same ones every time.
const DYNAMIC_SEEDS: &[&str] = &["1", "2", "3"];
/// Operations known to fail, `MODE OPERATION` and the cause, one per line (see the file).
const KNOWN_FAILURES: &str = include_str!("../known-failures.txt");
/// Prism runs (static, and one per dynamic seed) at once.
const PRISM_RUNS_AT_ONCE: usize = 2;
/// Calls in flight at once (Prism answers on one thread; this keeps it busy without queueing long).
const CONCURRENCY: usize = 8;
/// One call's limit: far above what Prism takes, so only a hang trips it.
const CALL_LIMIT: Duration = Duration::from_secs(60);
const TOKEN: &str = "Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQqnFTOFYY";
const EMAIL: &str = "user@example.com";
const KEY: &str = "144c9defac04969c7bfad8efaa8ea194";
const SERVICE_KEY: &str = "v1.0-144c9defac04969c7bfad8ef-631a41d003a32d25fe878081ef365c49503f7fada600da935e2851a1c7326084b85cbf6429c4b859de8475731dc92a9c329631e6d59e6c73da7b198497172b4cefe071d90d0f5d2719";

/// One request and answer as the proxy saw them.
#[derive(Debug, Clone)]
struct Exchange {
    /// The request as sent on to Prism: method, URL, headers (no `Host`), and its `content-type` and body.
    method: axum::http::Method,
    target: String,
    headers: HeaderMap,
    sent_type: String,
    sent: Bytes,
    status: StatusCode,
    violations: Option<String>,
    body: Bytes,
}

type Recorded = Arc<Mutex<HashMap<String, Exchange>>>;

/// A loopback proxy in front of Prism that keeps each exchange under its case's tag.
async fn start_proxy(upstream: String) -> (SocketAddr, Recorded) {
    let recorded: Recorded = Arc::default();
    // Prism closes a connection idle for 5 s; one reused just then fails. Idle connections are dropped
    // sooner, and a send that fails without timing out is tried up to twice more.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let keep = recorded.clone();
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let (http, upstream, keep) = (http.clone(), upstream.clone(), keep.clone());
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let tag = parts
                .headers
                .get(TAG_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let mut headers = parts.headers.clone();
            headers.remove(axum::http::header::HOST);
            let sent_type = headers
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let sent = body.clone();
            let target = format!(
                "{upstream}{}",
                parts.uri.path_and_query().map_or("/", |p| p.as_str())
            );
            let send = || {
                http.request(parts.method.clone(), &target)
                    .headers(headers.clone())
                    .body(body.clone())
                    .send()
            };
            let mut answer = send().await;
            for _ in 0..2 {
                match &answer {
                    Err(e) if !e.is_timeout() => answer = send().await,
                    _ => break,
                }
            }
            let answer = match answer {
                Ok(answer) => answer,
                Err(e) => {
                    let body = Bytes::from(format!("proxy: {e}"));
                    return response(StatusCode::BAD_GATEWAY, HeaderMap::new(), body);
                }
            };
            let status = answer.status();
            let headers_sent = std::mem::replace(&mut headers, answer.headers().clone());
            let body = answer.bytes().await.unwrap_or_default();
            if let Some(tag) = tag {
                let violations = headers
                    .get("sl-violations")
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                keep.lock().unwrap().insert(
                    tag,
                    Exchange {
                        method: parts.method.clone(),
                        target: target.clone(),
                        headers: headers_sent,
                        sent_type,
                        sent,
                        status,
                        violations,
                        body: body.clone(),
                    },
                );
            }
            headers.remove(axum::http::header::CONTENT_LENGTH);
            headers.remove(axum::http::header::TRANSFER_ENCODING);
            response(status, headers, body)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address, recorded)
}

fn response(status: StatusCode, headers: HeaderMap, body: Bytes) -> axum::response::Response {
    let mut response = axum::response::Response::new(axum::body::Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// What one call came to.
#[derive(Debug)]
enum Verdict {
    Passed,
    /// Counted apart, with where and why.
    Apart {
        kind: Apart,
        location: String,
        reason: String,
    },
    Failed(String),
}

/// Why a call is counted apart rather than failed: each checked on the exchange, never assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Apart {
    /// The answer did not decode and breaks the response schema it was made for (the validator says where).
    InvalidAnswer,
    /// Prism answered with its own error (`https://stoplight.io/prism/errors#...`, HTTP 5xx) instead of one
    /// the spec describes: it could not make an answer.
    PrismError,
    /// A 2xx answer that meets its schema with `success: false`, which the spec's envelope allows and the SDK
    /// reports as an error by design.
    SuccessFalse,
    /// The answer meets its schema only as JSON Schema reads it literally, not as the generator types it
    /// (`Validator::as_generated`): a schema with `properties` and no `type` takes any value, where the
    /// generator reads an object (Cloudflare's API sends objects there), so a string or `null` in its place
    /// does not decode; and a union member that leaves a property undescribed takes any value for it, where
    /// the generator types the property by the members that describe it (one struct for objects it cannot
    /// tell apart), so a value that breaks their description does not decode.
    ReadLiterally,
    /// Prism refused the request only for leaving out properties that are `readOnly` where Prism wants
    /// them, which OpenAPI says a request does not send (Prism misses `readOnly` in arrays, `allOf` and
    /// `$ref`s: stoplightio/prism#2336).
    ReadOnlyRequired,
    /// Prism refused a multipart form only because it reads a part the spec describes as an object (sent as
    /// JSON) as text.
    FormPartAsText,
}

impl Apart {
    const ALL: [Apart; 6] = [
        Apart::InvalidAnswer,
        Apart::ReadLiterally,
        Apart::SuccessFalse,
        Apart::PrismError,
        Apart::ReadOnlyRequired,
        Apart::FormPartAsText,
    ];

    fn title(self) -> &'static str {
        match self {
            Apart::InvalidAnswer => "answers invalid against their own schema",
            Apart::ReadLiterally => "answers valid only as the schema is read literally",
            Apart::PrismError => "Prism could not answer",
            Apart::SuccessFalse => "`success: false` in a valid 2xx answer",
            Apart::ReadOnlyRequired => "Prism wants a `readOnly` property sent",
            Apart::FormPartAsText => "Prism reads a form's JSON part as text",
        }
    }
}

/// The clients a case can use: a token, or email + key; both with the Origin CA service key.
struct Clients {
    token: Client,
    email_key: Client,
}

impl Clients {
    fn new(base: &str) -> Clients {
        let build = |builder: cloudflare_sdk::ClientBuilder| {
            builder
                .user_service_key(SERVICE_KEY)
                .base_url(base)
                .max_retries(0)
                .timeout(CALL_LIMIT)
                .build()
                .unwrap()
        };
        Clients {
            token: build(Client::builder().api_token(TOKEN)),
            email_key: build(Client::builder().api_email(EMAIL).api_key(KEY)),
        }
    }

    /// The client whose credentials meet the first alternative of the case's `security` that one of them
    /// meets entirely.
    fn for_case(&self, case: &Case) -> &Client {
        let email_key = |alternative: &[Scheme]| {
            alternative.iter().all(|s| {
                matches!(s, Scheme::Header(h) if h.eq_ignore_ascii_case("X-Auth-Email")
                    || h.eq_ignore_ascii_case("X-Auth-Key")
                    || h.eq_ignore_ascii_case("X-Auth-User-Service-Key"))
            })
        };
        let token = |alternative: &[Scheme]| {
            alternative.iter().all(|s| {
                matches!(s, Scheme::Bearer)
                    || matches!(s, Scheme::Header(h) if h.eq_ignore_ascii_case("X-Auth-User-Service-Key"))
            })
        };
        for alternative in case.security {
            if token(alternative) {
                return &self.token;
            }
            if email_key(alternative) {
                return &self.email_key;
            }
        }
        &self.token
    }
}

/// The response schema the answer was made for, and where it is.
fn response_schema<'s>(
    spec: &'s Value,
    case: &Case,
    status: StatusCode,
) -> Option<(&'s Value, String, Option<String>)> {
    let method = case.method.to_ascii_lowercase();
    let responses = spec
        .get("paths")?
        .get(case.path)?
        .get(&method)?
        .get("responses")?;
    let code = status.as_u16().to_string();
    let range = format!("{}XX", status.as_u16() / 100);
    let (key, response) = [code.as_str(), range.as_str(), "default"]
        .into_iter()
        .find_map(|k| Some((k, responses.get(k)?)))?;
    let validator = Validator::new(spec);
    let response = validator.resolve(response).ok()?;
    let (media_type, media) = response
        .get("content")?
        .as_object()?
        .iter()
        .find(|(name, _)| name.contains("json"))?;
    let at = format!(
        "#/paths/{}/{method}/responses/{key}/content/{}",
        escape(case.path),
        escape(media_type)
    );
    let example = if media.get("example").is_some() {
        Some(format!("{at}/example"))
    } else if media.get("examples").is_some() {
        Some(format!("{at}/examples"))
    } else {
        None
    };
    Some((media.get("schema")?, format!("{at}/schema"), example))
}

/// Where the case's request body is described.
fn request_body_at(case: &Case) -> String {
    format!(
        "#/paths/{}/{}/requestBody",
        escape(case.path),
        case.method.to_ascii_lowercase()
    )
}

/// The JSON schema of the case's request body, `$ref`s followed.
fn request_body_schema<'s>(
    validator: &Validator<'s>,
    spec: &'s Value,
    case: &Case,
) -> Option<&'s Value> {
    let body = spec
        .get("paths")?
        .get(case.path)?
        .get(case.method.to_ascii_lowercase())?
        .get("requestBody")?;
    let content = validator.resolve(body).ok()?.get("content")?.as_object()?;
    let (_, media) = content.iter().find(|(name, _)| name.contains("json"))?;
    validator.resolve(media.get("schema")?).ok()
}

/// The schemas `schema` holds for `step` (a property name, or an item index), looking through `allOf`,
/// `oneOf` and `anyOf` members.
fn step_into<'s>(
    validator: &Validator<'s>,
    schema: &'s Value,
    step: &str,
    depth: usize,
    out: &mut Vec<&'s Value>,
) {
    let Ok(schema) = validator.resolve(schema) else {
        return;
    };
    if depth > 16 {
        return;
    }
    let index = step.parse::<usize>().is_ok();
    if index {
        out.extend(schema.get("items").and_then(|i| validator.resolve(i).ok()));
    } else if let Some(property) = schema.get("properties").and_then(|p| p.get(step)) {
        out.extend(validator.resolve(property).ok());
    }
    for member in members(schema) {
        step_into(validator, member, step, depth + 1, out);
    }
}

/// When every request violation Prism reports is a `required` property that the request body's schema
/// marks `readOnly` at that place: those properties' names. Prism's `oneOf`/`anyOf` complaints can follow
/// from those (every member misses the property), and come with every member's own complaints, so also
/// those of the members the body does not mean (the tag's `enum`, say) at or below the union's place:
/// they are let through beside them only when the body sent meets its schema read as a request
/// (`Validator::for_requests`).
fn only_read_only_required(
    spec: &Value,
    case: &Case,
    violations: &[Value],
    exchange: &Exchange,
) -> Option<Vec<String>> {
    if violations.is_empty() {
        return None;
    }
    let validator = Validator::new(spec);
    let body = request_body_schema(&validator, spec, case)?;
    let follows = |v: &&Value| v["code"] == "oneOf" || v["code"] == "anyOf";
    let unions: Vec<Vec<&str>> = violations
        .iter()
        .filter(follows)
        .filter_map(location_of)
        .collect();
    if !unions.is_empty() {
        let sent: Value = serde_json::from_slice(&exchange.sent).ok()?;
        if !Validator::for_requests(spec).is_valid(body, &sent) {
            return None;
        }
    }
    let mut names = Vec::new();
    for violation in violations {
        let location = location_of(violation)?;
        if location.get(..2) != Some(&["request", "body"][..]) {
            return None;
        }
        if follows(&violation) {
            continue;
        }
        if violation["code"] != "required" {
            if unions.iter().any(|union| location.starts_with(union)) {
                continue;
            }
            return None;
        }
        let message = violation["message"].as_str()?;
        let name = message.rsplit('\'').nth(1)?;
        let mut here = vec![body];
        for step in &location[2..] {
            let mut next = Vec::new();
            for schema in here {
                step_into(&validator, schema, step, 0, &mut next);
            }
            here = next;
        }
        let mut definitions = Vec::new();
        for schema in here {
            step_into(&validator, schema, name, 0, &mut definitions);
        }
        if definitions.is_empty() || !definitions.iter().any(|d| validator.read_only(d)) {
            return None;
        }
        names.push(format!(
            "`{}`",
            [&location[2..], &[name]].concat().join(".")
        ));
    }
    // Each name once, in Prism's order (every `oneOf` member repeats them).
    let mut seen = BTreeSet::new();
    names.retain(|name| seen.insert(name.clone()));
    (!names.is_empty()).then_some(names)
}

/// How Prism starts an `sl-violations` header it cut at about 8 KB, which can then not be read.
const CUT_SHORT: &str = "Too many violations!";

/// Prism cuts a long `sl-violations` list short, so what it refused cannot be read (a ruleset's rules
/// are checked against every rule kind of a `oneOf`, each wanting its `readOnly` properties). When the
/// body sent meets its schema as a request, it is sent to Prism again with the `readOnly` properties
/// its schema requires filled in: Prism accepting that one shows those were all it refused
/// (stoplightio/prism#2336); its refusing that one too is a failure, with what it said. `None`: not such a
/// case.
async fn cut_short_read_only(
    http: &reqwest::Client,
    spec: &Value,
    case: &Case,
    exchange: Option<&Exchange>,
) -> Option<Verdict> {
    let exchange = exchange?;
    if !exchange.violations.as_deref()?.starts_with(CUT_SHORT) || !request_entries_in(exchange) {
        return None;
    }
    let validator = Validator::new(spec);
    let schema = request_body_schema(&validator, spec, case)?;
    let sent: Value = serde_json::from_slice(&exchange.sent).ok()?;
    if !Validator::for_requests(spec).is_valid(schema, &sent) {
        return None;
    }
    let mut filled = sent;
    let mut names = Vec::new();
    let values = Values::new(&validator);
    fill_read_only(
        &values,
        &validator,
        schema,
        &mut filled,
        &mut Vec::new(),
        &mut names,
        0,
    );
    names.sort();
    names.dedup();
    if names.is_empty() {
        return None;
    }
    let mut headers = exchange.headers.clone();
    headers.remove(axum::http::header::CONTENT_LENGTH);
    let answer = http
        .request(exchange.method.clone(), &exchange.target)
        .headers(headers)
        .body(serde_json::to_vec(&filled).ok()?)
        .send()
        .await
        .ok()?;
    let again = Exchange {
        violations: answer
            .headers()
            .get("sl-violations")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        status: answer.status(),
        body: answer.bytes().await.ok()?,
        ..exchange.clone()
    };
    if !again.status.is_success() || request_entries_in(&again) {
        let shown: String = again
            .violations
            .unwrap_or_default()
            .chars()
            .take(600)
            .collect();
        return Some(Verdict::Failed(format!(
            "Prism's violation list is cut short (`{CUT_SHORT}`), and it refuses the body with the \
             `readOnly` {} filled in too (HTTP {}): {shown}",
            names.join(", "),
            again.status
        )));
    }
    Some(Verdict::Apart {
        kind: Apart::ReadOnlyRequired,
        location: request_body_at(case),
        reason: format!(
            "Prism's violation list is cut short (`{CUT_SHORT}`); the body sent meets its schema as a request, \
             and Prism accepts it (HTTP {}) once the `readOnly` {} are filled in",
            again.status,
            names.join(", ")
        ),
    })
}

/// Whether Prism's `sl-violations` of `exchange` has a request entry. Prism lists the request's entries
/// before the answer's, so a list it cut short has none when its first entry is about the answer.
fn request_entries_in(exchange: &Exchange) -> bool {
    let Some(raw) = exchange.violations.as_deref() else {
        return false;
    };
    let Some(cut) = raw.strip_prefix(CUT_SHORT) else {
        return !request_violations(exchange).is_empty();
    };
    let entries = cut.trim_start().trim_start_matches('[');
    let first = serde_json::Deserializer::from_str(entries)
        .into_iter::<Value>()
        .next();
    !matches!(first, Some(Ok(entry)) if entry["location"][0] == "response")
}

/// The members of a schema's `allOf`, `oneOf` and `anyOf`.
fn members(schema: &Value) -> impl Iterator<Item = &Value> {
    ["allOf", "oneOf", "anyOf"]
        .into_iter()
        .filter_map(|keyword| schema.get(keyword)?.as_array())
        .flatten()
}

/// Adds to `value`, wherever `schema` (through `allOf`/`oneOf`/`anyOf` members, properties and items)
/// requires a `readOnly` property that is missing, a value made for that property; `names` gets where.
fn fill_read_only<'s>(
    values: &Values<'s>,
    validator: &Validator<'s>,
    schema: &'s Value,
    value: &mut Value,
    at: &mut Vec<String>,
    names: &mut Vec<String>,
    depth: usize,
) {
    let Ok(schema) = validator.resolve(schema) else {
        return;
    };
    if depth > 16 {
        return;
    }
    for member in members(schema) {
        fill_read_only(values, validator, member, value, at, names, depth + 1);
    }
    match value {
        Value::Object(object) => {
            let required = schema.get("required").and_then(Value::as_array);
            for name in required.into_iter().flatten().filter_map(Value::as_str) {
                if object.contains_key(name) {
                    continue;
                }
                let mut definitions = Vec::new();
                step_into(validator, schema, name, 0, &mut definitions);
                if let Some(definition) = definitions.into_iter().find(|d| validator.read_only(d)) {
                    object.insert(name.to_owned(), values.make(definition, 0));
                    names.push(format!(
                        "`{}`",
                        [&at[..], &[name.to_owned()]].concat().join(".")
                    ));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for (name, property) in properties.into_iter().flatten() {
                if let Some(inner) = object.get_mut(name) {
                    at.push(name.clone());
                    fill_read_only(values, validator, property, inner, at, names, depth + 1);
                    at.pop();
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (index, item) in items.iter_mut().enumerate() {
                    at.push(index.to_string());
                    fill_read_only(values, validator, item_schema, item, at, names, depth + 1);
                    at.pop();
                }
            }
        }
        _ => {}
    }
}

/// When every request violation is Prism finding text in a multipart part whose schema is an object (Prism
/// does not parse a form's JSON parts): those parts' names.
fn form_parts_read_as_text(
    spec: &Value,
    case: &Case,
    violations: &[Value],
    exchange: &Exchange,
) -> Option<Vec<String>> {
    if violations.is_empty() || !exchange.sent_type.starts_with("multipart/form-data") {
        return None;
    }
    let validator = Validator::new(spec);
    let body = spec
        .get("paths")?
        .get(case.path)?
        .get(case.method.to_ascii_lowercase())?
        .get("requestBody")?;
    let form = validator
        .resolve(body)
        .ok()?
        .get("content")?
        .get("multipart/form-data")?
        .get("schema")?;
    let mut parts = Vec::new();
    for violation in violations {
        let location = location_of(violation)?;
        let ["request", "body", part] = location[..] else {
            return None;
        };
        let message = violation["message"].as_str()?;
        if violation["code"] != "type" || !message.ends_with("must be object") {
            return None;
        }
        let mut schemas = Vec::new();
        step_into(&validator, form, part, 0, &mut schemas);
        let object = |s: &&Value| {
            s.get("type") == Some(&Value::from("object")) || s.get("properties").is_some()
        };
        if !schemas.iter().any(object) {
            return None;
        }
        parts.push(format!("`{part}`"));
    }
    Some(parts)
}

/// Where a Prism violation is, as its path of names (`["request", "body", "rules", "0"]`).
fn location_of(violation: &Value) -> Option<Vec<&str>> {
    let location = violation["location"].as_array()?;
    Some(location.iter().filter_map(Value::as_str).collect())
}

/// The request-side entries of Prism's `sl-violations` (its answer's own are Prism's business).
/// Where the operation documents no 422 answer, Prism reports them in its own 422 body instead
/// (`validation`, located without the leading "request"): those are read too.
fn request_violations(exchange: &Exchange) -> Vec<Value> {
    if let Some(raw) = &exchange.violations {
        let all: Vec<Value> = serde_json::from_str(raw).unwrap_or_default();
        return all
            .into_iter()
            .filter(|v| v["location"][0] == "request")
            .collect();
    }
    let Ok(answer) = serde_json::from_slice::<Value>(&exchange.body) else {
        return Vec::new();
    };
    if exchange.status != StatusCode::UNPROCESSABLE_ENTITY
        || answer["type"] != "https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY"
    {
        return Vec::new();
    }
    let found = answer["validation"].as_array().cloned().unwrap_or_default();
    found
        .into_iter()
        .map(|mut v| {
            let mut location = vec![Value::from("request")];
            location.extend(v["location"].as_array().cloned().unwrap_or_default());
            v["location"] = Value::Array(location);
            v
        })
        .collect()
}

fn judge(
    spec: &Value,
    case: &Case,
    outcome: Result<Result<(), Failure>, tokio::time::error::Elapsed>,
    exchange: Option<Exchange>,
) -> Verdict {
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(_) => return Verdict::Failed(format!("no answer within {CALL_LIMIT:?}")),
    };
    let Some(exchange) = exchange else {
        return Verdict::Failed(match outcome {
            Ok(()) => "answered without passing through the proxy".to_owned(),
            Err(e) => format!("nothing was sent: {e}"),
        });
    };
    let violations = request_violations(&exchange);
    if let Some(cut) = exchange
        .violations
        .as_deref()
        .filter(|v| v.starts_with(CUT_SHORT))
    {
        if request_entries_in(&exchange) {
            let shown: String = cut.chars().take(600).collect();
            return Verdict::Failed(format!(
                "Prism reports the request violates the spec (HTTP {}), in a list it cut short: {shown}",
                exchange.status
            ));
        }
    }
    if let Some(properties) = only_read_only_required(spec, case, &violations, &exchange) {
        return Verdict::Apart {
            kind: Apart::ReadOnlyRequired,
            location: request_body_at(case),
            reason: format!(
                "Prism requires {}, `readOnly` in the spec; the body sent meets its schema as a request",
                properties.join(", ")
            ),
        };
    }
    if let Some(parts) = form_parts_read_as_text(spec, case, &violations, &exchange) {
        return Verdict::Apart {
            kind: Apart::FormPartAsText,
            location: request_body_at(case),
            reason: format!(
                "Prism reads the JSON part(s) {} of the form as text",
                parts.join(", ")
            ),
        };
    }
    if !violations.is_empty() {
        let shown: Vec<String> = violations
            .iter()
            .map(|v| format!("{} {}", v["location"], v["message"]))
            .collect();
        return Verdict::Failed(format!(
            "Prism reports the request violates the spec (HTTP {}): {}",
            exchange.status,
            shown.join("; ")
        ));
    }
    let error = match outcome {
        Ok(()) => return Verdict::Passed,
        Err(Failure::Call(error)) => error,
        Err(arguments) => return Verdict::Failed(format!("nothing was sent: {arguments}")),
    };
    let body = String::from_utf8_lossy(&exchange.body);
    let failed = |why: String| {
        Verdict::Failed(format!(
            "{error} (HTTP {}{why}; body: {})",
            exchange.status,
            body.chars().take(300).collect::<String>()
        ))
    };
    let answer = serde_json::from_slice::<Value>(&exchange.body).ok();
    let prism_error = answer
        .as_ref()
        .and_then(|a| a.get("type")?.as_str())
        .filter(|t| t.starts_with("https://stoplight.io/prism/errors#"));
    if let (Some(kind), true) = (prism_error, exchange.status.is_server_error()) {
        let title = answer
            .as_ref()
            .and_then(|a| a.get("title")?.as_str())
            .unwrap_or("");
        return Verdict::Apart {
            kind: Apart::PrismError,
            location: kind.to_owned(),
            reason: title.lines().take(2).collect::<Vec<_>>().join(" "),
        };
    }
    if !exchange.status.is_success() {
        return failed(String::new());
    }
    let Some((schema, schema_at, example_at)) = response_schema(spec, case, exchange.status) else {
        return failed(", and the spec gives no JSON schema for it".to_owned());
    };
    let Some(answer) = answer else {
        return failed(", not JSON".to_owned());
    };
    let broken = Validator::new(spec).validate(schema, &answer);
    if broken.is_empty() {
        if answer.get("success") == Some(&Value::Bool(false)) && error.api_error().is_some() {
            return Verdict::Apart {
                kind: Apart::SuccessFalse,
                location: schema_at,
                reason: "the schema allows `success: false` with HTTP 2xx".to_owned(),
            };
        }
        let as_typed = Validator::as_generated(spec).validate(schema, &answer);
        if !as_typed.is_empty() {
            let reason: Vec<String> = as_typed.iter().take(3).map(ToString::to_string).collect();
            return Verdict::Apart {
                kind: Apart::ReadLiterally,
                location: example_at.unwrap_or(schema_at),
                reason: reason.join("; "),
            };
        }
        return failed(", though the answer meets its schema".to_owned());
    }
    let reason: Vec<String> = broken.iter().take(3).map(ToString::to_string).collect();
    Verdict::Apart {
        kind: Apart::InvalidAnswer,
        location: example_at.unwrap_or(schema_at),
        reason: reason.join("; "),
    }
}

/// Every case once, through a proxy in front of `prism`.
async fn run_mode(prism: &Prism, spec: &Arc<Value>) -> Vec<(&'static Case, Verdict)> {
    let (address, recorded) = start_proxy(prism.url()).await;
    let http = reqwest::Client::new();
    let clients = Arc::new(Clients::new(&format!("http://{address}")));
    futures_util::stream::iter(cases().enumerate())
        .map(|(index, case)| {
            let (clients, recorded, spec) = (clients.clone(), recorded.clone(), spec.clone());
            let http = http.clone();
            async move {
                let tag = format!("call-{index}");
                let client = clients.for_case(case).clone();
                let outcome =
                    tokio::time::timeout(CALL_LIMIT, (case.call)(client, tag.clone())).await;
                let exchange = recorded.lock().unwrap().remove(&tag);
                if let Some(verdict) =
                    cut_short_read_only(&http, &spec, case, exchange.as_ref()).await
                {
                    return (case, verdict);
                }
                (case, judge(&spec, case, outcome, exchange))
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await
}

/// Counts of one mode, as a row of the README's table.
struct Row {
    mode: &'static str,
    operations: usize,
    calls: usize,
    passed: usize,
    apart: BTreeMap<Apart, usize>,
    failed: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_sends_a_valid_request_and_decodes_the_answer() {
    let Some(binary) = prism_binary() else {
        return;
    };
    let spec_file = spec_path(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let spec: Arc<Value> = Arc::new(
        serde_json::from_slice(&std::fs::read(&spec_file).expect("read the spec"))
            .expect("the spec is JSON"),
    );
    let operations = cases().count();
    let dynamic: Vec<Vec<&str>> = DYNAMIC_SEEDS
        .iter()
        .map(|seed| vec!["--dynamic", "--seed", seed])
        .collect();
    let modes: [(&'static str, Vec<Vec<&str>>); 2] = [
        ("static (the spec's examples)", vec![vec![]]),
        ("dynamic (generated from the schemas)", dynamic),
    ];
    // Two Prism runs at a time: each Prism answers on one thread, so two keep two cores busy (more would
    // only slow each one's start-up).
    let runs = modes
        .iter()
        .flat_map(|(mode, runs)| runs.iter().map(move |args| (*mode, args)))
        .map(|(mode, args)| {
            let (binary, spec_file, spec) = (&binary, &spec_file, &spec);
            async move {
                let prism = Prism::start(binary, spec_file, args).await;
                let started = Instant::now();
                let run = run_mode(&prism, spec).await;
                println!(
                    "{mode} {args:?}: Prism answered after {:.1} s, {} calls took {:.1} s, Prism peak memory {} MB",
                    prism.started_in.as_secs_f64(),
                    run.len(),
                    started.elapsed().as_secs_f64(),
                    prism.peak_memory_kb().map_or("?".to_owned(), |kb| (kb / 1024).to_string())
                );
                (mode, run)
            }
        });
    let mut finished: Vec<_> = futures_util::stream::iter(runs)
        .buffer_unordered(PRISM_RUNS_AT_ONCE)
        .collect()
        .await;
    let mut rows = Vec::new();
    let mut report = String::new();
    let mut failed = BTreeSet::new();
    for (mode, _) in modes {
        let mut verdicts = Vec::new();
        for (_, run) in finished.iter_mut().filter(|(m, _)| *m == mode) {
            verdicts.append(run);
        }
        // Per operation: failed if any call failed; else apart if any answer was invalid; else passed.
        let mut by_operation: BTreeMap<&str, Vec<&Verdict>> = BTreeMap::new();
        for (case, verdict) in &verdicts {
            by_operation
                .entry(case.operation)
                .or_default()
                .push(verdict);
        }
        let mut row = Row {
            mode,
            operations: by_operation.len(),
            calls: verdicts.len(),
            passed: 0,
            apart: BTreeMap::new(),
            failed: 0,
        };
        for (operation, verdicts) in &by_operation {
            let apart = verdicts.iter().find_map(|v| match v {
                Verdict::Apart {
                    kind,
                    location,
                    reason,
                } => Some((kind, location, reason)),
                _ => None,
            });
            if let Some(Verdict::Failed(why)) =
                verdicts.iter().find(|v| matches!(v, Verdict::Failed(_)))
            {
                row.failed += 1;
                writeln!(report, "FAILED [{mode}] {operation}: {why}").unwrap();
                let mode_word = mode.split_whitespace().next().unwrap_or(mode);
                failed.insert(format!("{mode_word} {operation}"));
            } else if let Some((kind, location, reason)) = apart {
                *row.apart.entry(*kind).or_default() += 1;
                writeln!(
                    report,
                    "{} [{mode}] {operation}: {location}: {reason}",
                    kind.title()
                )
                .unwrap();
            } else {
                row.passed += 1;
            }
        }
        rows.push(row);
    }
    let titles: Vec<&str> = Apart::ALL.iter().map(|a| a.title()).collect();
    let mut table = format!(
        "| Prism mode | operations | calls | passed | {} | failed |\n|---|---:|---:|---:|{}---:|\n",
        titles.join(" | "),
        "---:|".repeat(titles.len())
    );
    for r in &rows {
        let apart: Vec<String> = Apart::ALL
            .iter()
            .map(|a| r.apart.get(a).copied().unwrap_or(0).to_string())
            .collect();
        writeln!(
            table,
            "| {} | {} | {} | {} | {} | {} |",
            r.mode,
            r.operations,
            r.calls,
            r.passed,
            apart.join(" | "),
            r.failed
        )
        .unwrap();
    }
    println!("{report}\n{table}");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("operation-tests.md");
    std::fs::write(&out, format!("{table}\n{report}")).expect("write the table");
    println!("written to {}", out.display());
    for r in &rows {
        assert_eq!(r.operations, operations, "{}: every operation ran", r.mode);
    }
    // Known failures are listed with their cause; a new one fails the test, and so does a listed one that
    // now passes (its line goes), so the list only shrinks.
    let known: BTreeSet<String> = KNOWN_FAILURES
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            line.split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let new: Vec<&String> = failed.difference(&known).collect();
    let mended: Vec<&String> = known.difference(&failed).collect();
    assert!(
        new.is_empty() && mended.is_empty(),
        "operations failed that tests/operations/known-failures.txt does not list: {new:?}; listed \
         there but passed (delete their lines): {mended:?}\n{report}"
    );
}
