//! A stateful, in-memory imitation of Cloudflare's Lists API on loopback, for end-to-end SDK tests.
//!
//! Unlike [`crate::TestServer`], which answers from a script, this server keeps lists, items and bulk
//! operations, and answers the eleven Lists operations under `/accounts/{account_id}/rules/lists` the way
//! Cloudflare does: every body is the Cloudflare envelope, failures carry `errors[].code`, item changes are
//! asynchronous bulk operations, and item listings are cursor-paginated.
//!
//! What it does, beyond plain CRUD:
//! - **Auth.** `Authorization: Bearer <api_token>`, or both `X-Auth-Email` and `X-Auth-Key`; anything else is
//!   403 with code 10000 "Authentication error". The account id in the path must be the configured one.
//! - **Asynchronous item changes.** `POST`/`PUT`/`DELETE .../items` only record an operation and return its
//!   id. Each poll of `GET .../bulk_operations/{id}` advances it: [`ListsServerConfig::polls_per_step`] polls
//!   show `pending`, as many show `running`, and the next applies the change and shows `completed` or
//!   `failed`; later polls repeat the final state. Changes of one list apply in the order they were made:
//!   applying an operation first applies the list's earlier ones. Until then the items are not visible.
//! - **Validation at apply time.** Items must match the list's kind and be well formed, and the list may not
//!   grow past [`ListsServerConfig::max_items_per_list`]; otherwise the operation fails (with Cloudflare's
//!   [`MAX_ITEMS_MESSAGE`] for the limit) and the list is unchanged.
//! - **Cursors.** `GET .../items` pages in insertion order. Cursors are opaque, tamper-checked, and point at
//!   an item rather than an offset, so paging stays exact while other changes land. `after` is absent on
//!   the last page, `before` on the first. [`ListsServerConfig::repeat_cursor`] makes the server hand back
//!   the cursor it was given, which traps a client that trusts cursors in an endless loop.
//! - **Recording.** Every request is kept ([`ListsServer::requests`]) with the [`Endpoint`] it reached.
//!
//! Deleting item ids that are not in the list is not an error (a retried delete succeeds). The same value
//! may be added twice; it is then two items. Dropping the [`ListsServer`] stops it.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::Query;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::sync::oneshot;

/// The `error` of an operation that would take a list past its item limit, as Cloudflare words it.
pub const MAX_ITEMS_MESSAGE: &str = "This list is at the maximum number of items";

/// Largest `per_page` the items endpoint accepts.
pub const MAX_PER_PAGE: u32 = 500;

/// Largest request body read; a 100,000-item `POST` is about 4 MiB.
const MAX_BODY_BYTES: usize = 64 << 20;

/// The `errors[].code` values this server answers with.
pub mod code {
    /// Missing or wrong credentials, or an account the credentials do not reach (HTTP 403).
    pub const AUTHENTICATION: i64 = 10000;
    /// A field, query parameter or body shape that the API rejects (HTTP 400).
    pub const VALIDATION: i64 = 10001;
    /// A list with that name already exists in the account (HTTP 409).
    pub const DUPLICATE_NAME: i64 = 10004;
    /// No list with that id (HTTP 404).
    pub const LIST_NOT_FOUND: i64 = 10006;
    /// No item with that id in the list (HTTP 404).
    pub const ITEM_NOT_FOUND: i64 = 10007;
    /// No bulk operation with that id (HTTP 404).
    pub const OPERATION_NOT_FOUND: i64 = 10008;
    /// A `cursor` this server did not issue for this list (HTTP 400).
    pub const INVALID_CURSOR: i64 = 10009;
    /// The body is not JSON (HTTP 400).
    pub const MALFORMED_JSON: i64 = 6007;
    /// The body is larger than the server reads (HTTP 413).
    pub const BODY_TOO_LARGE: i64 = 6009;
    /// A known path with a method it does not have (HTTP 405).
    pub const METHOD_NOT_ALLOWED: i64 = 7001;
    /// No such route, or an account id that cannot be one (HTTP 404).
    pub const NO_ROUTE: i64 = 7003;
}

/// How the server behaves. `Default` gives the spec's example credentials and Cloudflare-like limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListsServerConfig {
    /// The only account id the server serves (32 characters).
    pub account_id: String,
    /// Accepted as `Authorization: Bearer <api_token>`.
    pub api_token: String,
    /// Accepted as `X-Auth-Email`, together with `api_key`.
    pub api_email: String,
    /// Accepted as `X-Auth-Key`, together with `api_email`.
    pub api_key: String,
    /// Polls an operation spends in `pending`, and again in `running`, before the next poll applies it.
    /// 0 applies it on the first poll.
    pub polls_per_step: u32,
    /// Operations never apply: after `pending` they stay `running` forever (for deadline tests).
    pub never_complete: bool,
    /// Most items a list may hold; an operation that would exceed it fails with [`MAX_ITEMS_MESSAGE`].
    pub max_items_per_list: usize,
    /// Fault: every page after the first returns, as `after`, the cursor it was asked for.
    pub repeat_cursor: bool,
    /// Page size of `GET .../items` without `per_page`.
    pub default_per_page: u32,
}

impl Default for ListsServerConfig {
    fn default() -> Self {
        Self {
            account_id: crate::ACCOUNT_ID.to_owned(),
            api_token: crate::TOKEN.to_owned(),
            api_email: "user@example.com".to_owned(),
            api_key: "144c9defac04969c7bfad8efaa8ea194".to_owned(),
            polls_per_step: 1,
            never_complete: false,
            max_items_per_list: 10_000,
            repeat_cursor: false,
            default_per_page: 25,
        }
    }
}

/// Which operation a request reached, for counting requests per endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /accounts/{account_id}/rules/lists`
    ListLists,
    /// `POST /accounts/{account_id}/rules/lists`
    CreateList,
    /// `GET /accounts/{account_id}/rules/lists/{list_id}`
    GetList,
    /// `PUT /accounts/{account_id}/rules/lists/{list_id}`
    UpdateList,
    /// `DELETE /accounts/{account_id}/rules/lists/{list_id}`
    DeleteList,
    /// `GET /accounts/{account_id}/rules/lists/{list_id}/items`
    ListItems,
    /// `POST /accounts/{account_id}/rules/lists/{list_id}/items`
    CreateItems,
    /// `PUT /accounts/{account_id}/rules/lists/{list_id}/items`
    ReplaceItems,
    /// `DELETE /accounts/{account_id}/rules/lists/{list_id}/items`
    DeleteItems,
    /// `GET /accounts/{account_id}/rules/lists/{list_id}/items/{item_id}`
    GetItem,
    /// `GET /accounts/{account_id}/rules/lists/bulk_operations/{operation_id}`
    GetBulkOperation,
    /// A known path with a method it does not have.
    MethodNotAllowed,
    /// No route.
    Unknown,
}

/// One request as the server received it, with what it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// Path and query as sent, e.g. `/accounts/abc/rules/lists/x/items?per_page=7`.
    pub target: String,
    /// In arrival order, names lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub endpoint: Endpoint,
    /// The status the server answered with.
    pub status: u16,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// The running server. Dropping it stops accepting connections and closes idle ones.
pub struct ListsServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl ListsServer {
    /// Binds 127.0.0.1 on a free port and serves on the current tokio runtime.
    ///
    /// Panics if no loopback port can be bound (a broken test environment, not a test failure).
    pub async fn start(config: ListsServerConfig) -> ListsServer {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(config.clone())),
            requests: Mutex::new(Vec::new()),
            config,
        });
        let app = Router::new().fallback({
            let shared = Arc::clone(&shared);
            move |request: axum::extract::Request| handle(Arc::clone(&shared), request)
        });
        let (addr, shutdown) = crate::loopback::serve(app, "Lists server").await;
        ListsServer {
            addr,
            shared,
            shutdown: Some(shutdown),
        }
    }

    /// `http://127.0.0.1:PORT`, the base URL to give a client (paths start with `/accounts`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn config(&self) -> &ListsServerConfig {
        &self.shared.config
    }

    /// Every request received so far, in order of completion.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    /// How many requests reached the server.
    pub fn request_count(&self) -> usize {
        lock(&self.shared.requests).len()
    }

    /// How many requests reached `endpoint`.
    pub fn request_count_for(&self, endpoint: Endpoint) -> usize {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.endpoint == endpoint)
            .count()
    }

    /// Forgets the recorded requests (state is kept).
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Every list, as `GET .../rules/lists` returns them.
    pub fn lists(&self) -> Vec<Value> {
        lock(&self.shared.state)
            .lists
            .iter()
            .map(List::to_json)
            .collect()
    }

    /// The applied items of a list, in order, as the API returns them; empty for an unknown list.
    pub fn items(&self, list_id: &str) -> Vec<Value> {
        let state = lock(&self.shared.state);
        match state.list(list_id) {
            Some(list) => list
                .items
                .entries
                .iter()
                .map(|item| item.to_json(list.kind))
                .collect(),
            None => Vec::new(),
        }
    }

    /// An operation as the bulk-operation endpoint would show it, without counting as a poll.
    pub fn operation(&self, operation_id: &str) -> Option<Value> {
        lock(&self.shared.state)
            .operations
            .get(operation_id)
            .map(|op| op.to_json(self.shared.config.polls_per_step))
    }
}

impl Drop for ListsServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

struct Shared {
    config: ListsServerConfig,
    state: Mutex<State>,
    requests: Mutex<Vec<Request>>,
}

/// A panic in one handler must not turn every later request into a panic too.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------------------------------------
// HTTP: envelope, recording, routing

/// A failed call: its status and `errors[]`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    errors: Vec<(i64, String)>,
}

impl ApiError {
    fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            errors: vec![(code, message.into())],
        }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code::VALIDATION, message)
    }

    fn authentication() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            code::AUTHENTICATION,
            "Authentication error",
        )
    }

    fn list_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            code::LIST_NOT_FOUND,
            "list not found",
        )
    }

    fn operation_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            code::OPERATION_NOT_FOUND,
            "operation not found",
        )
    }

    fn no_route() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            code::NO_ROUTE,
            "No route for the URI",
        )
    }
}

/// A successful call: `result`, and `result_info` where the endpoint pages.
struct Reply {
    result: Value,
    result_info: Option<Value>,
}

impl From<Value> for Reply {
    fn from(result: Value) -> Self {
        Self {
            result,
            result_info: None,
        }
    }
}

type ApiResult = Result<Reply, ApiError>;

async fn handle(shared: Arc<Shared>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| parts.uri.path().to_owned());
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_ascii_lowercase(), value)
        })
        .collect();

    let (body, endpoint, outcome) = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => {
            let (endpoint, outcome) =
                dispatch(&shared, &parts.method, &parts.uri, &parts.headers, &body);
            (body.to_vec(), endpoint, outcome)
        }
        Err(_) => {
            let error = ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                code::BODY_TOO_LARGE,
                format!("request body larger than {MAX_BODY_BYTES} bytes, or cut short"),
            );
            (Vec::new(), Endpoint::Unknown, Err(error))
        }
    };

    let (status, envelope) = match outcome {
        Ok(reply) => {
            let mut envelope = json!({
                "success": true,
                "errors": [],
                "messages": [],
                "result": reply.result,
            });
            if let Some(info) = reply.result_info {
                envelope["result_info"] = info;
            }
            (StatusCode::OK, envelope)
        }
        Err(error) => {
            let errors: Vec<Value> = error
                .errors
                .iter()
                .map(|(code, message)| json!({ "code": code, "message": message }))
                .collect();
            let envelope = json!({
                "success": false,
                "errors": errors,
                "messages": [],
                "result": null,
            });
            (error.status, envelope)
        }
    };

    // Recorded before answering, so a client that has its response also sees its request counted.
    lock(&shared.requests).push(Request {
        method: parts.method.to_string(),
        target,
        headers,
        body,
        endpoint,
        status: status.as_u16(),
    });

    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        envelope.to_string(),
    )
        .into_response()
}

/// The path shapes of the Lists API, before the method is looked at.
enum Resource {
    Lists,
    List(String),
    Items(String),
    Item(String, String),
    Operation(String),
}

/// Routes by hand rather than with axum's router: every outcome, including a wrong method or a bad
/// path segment, must be a Cloudflare envelope, and each request must be tagged with its [`Endpoint`].
fn dispatch(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> (Endpoint, ApiResult) {
    let segments: Vec<String> = uri.path().split('/').skip(1).map(percent_decode).collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    // An empty segment (`/lists/`, `/bulk_operations/`) names nothing, as on Cloudflare.
    if segments.iter().any(|segment| segment.is_empty()) {
        return (Endpoint::Unknown, Err(ApiError::no_route()));
    }
    let (account, resource) = match segments.as_slice() {
        ["accounts", account, "rules", "lists"] => (account, Resource::Lists),
        ["accounts", account, "rules", "lists", "bulk_operations", operation] => {
            (account, Resource::Operation(operation.to_string()))
        }
        ["accounts", account, "rules", "lists", list] => {
            (account, Resource::List(list.to_string()))
        }
        ["accounts", account, "rules", "lists", list, "items"] => {
            (account, Resource::Items(list.to_string()))
        }
        ["accounts", account, "rules", "lists", list, "items", item] => {
            (account, Resource::Item(list.to_string(), item.to_string()))
        }
        _ => return (Endpoint::Unknown, Err(ApiError::no_route())),
    };
    let endpoint = match (&resource, method.as_str()) {
        (Resource::Lists, "GET") => Endpoint::ListLists,
        (Resource::Lists, "POST") => Endpoint::CreateList,
        (Resource::List(_), "GET") => Endpoint::GetList,
        (Resource::List(_), "PUT") => Endpoint::UpdateList,
        (Resource::List(_), "DELETE") => Endpoint::DeleteList,
        (Resource::Items(_), "GET") => Endpoint::ListItems,
        (Resource::Items(_), "POST") => Endpoint::CreateItems,
        (Resource::Items(_), "PUT") => Endpoint::ReplaceItems,
        (Resource::Items(_), "DELETE") => Endpoint::DeleteItems,
        (Resource::Item(..), "GET") => Endpoint::GetItem,
        (Resource::Operation(_), "GET") => Endpoint::GetBulkOperation,
        _ => {
            let error = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                code::METHOD_NOT_ALLOWED,
                format!("Method {method} not allowed for this endpoint"),
            );
            return (Endpoint::MethodNotAllowed, Err(error));
        }
    };

    if !authenticated(&shared.config, headers) {
        return (endpoint, Err(ApiError::authentication()));
    }
    if *account != shared.config.account_id {
        // Cloudflare cannot route an id of the wrong shape, and denies one it does not know.
        let error = if account.len() == 32 {
            ApiError::authentication()
        } else {
            ApiError::new(
                StatusCode::NOT_FOUND,
                code::NO_ROUTE,
                format!(
                    "Could not route to {}, perhaps your object identifier is invalid?",
                    uri.path()
                ),
            )
        };
        return (endpoint, Err(error));
    }

    let mut state = lock(&shared.state);
    let outcome = match (endpoint, resource) {
        (Endpoint::ListLists, _) => Ok(state.list_lists()),
        (Endpoint::CreateList, _) => parse_json(body).and_then(|b| state.create_list(&b)),
        (Endpoint::GetList, Resource::List(id)) => state.get_list(&id),
        (Endpoint::UpdateList, Resource::List(id)) => {
            parse_json(body).and_then(|b| state.update_list(&id, &b))
        }
        // The spec gives this DELETE a schema-less JSON body: whatever comes is accepted and ignored.
        (Endpoint::DeleteList, Resource::List(id)) => state.delete_list(&id),
        (Endpoint::ListItems, Resource::Items(id)) => state.list_items(&id, uri),
        (Endpoint::CreateItems, Resource::Items(id)) => {
            parse_json(body).and_then(|b| state.change_items(&id, ChangeKind::Append, b))
        }
        (Endpoint::ReplaceItems, Resource::Items(id)) => {
            parse_json(body).and_then(|b| state.change_items(&id, ChangeKind::Replace, b))
        }
        (Endpoint::DeleteItems, Resource::Items(id)) => {
            parse_json(body).and_then(|b| state.change_items(&id, ChangeKind::Delete, b))
        }
        (Endpoint::GetItem, Resource::Item(list, item)) => state.get_item(&list, &item),
        (Endpoint::GetBulkOperation, Resource::Operation(id)) => state.poll_operation(&id),
        // Every endpoint above was derived from its resource, so no other pair can occur.
        _ => Err(ApiError::no_route()),
    };
    (endpoint, outcome)
}

fn authenticated(config: &ListsServerConfig, headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let bearer = text("authorization").and_then(|value| {
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    if !config.api_token.is_empty() && bearer == Some(config.api_token.as_str()) {
        return true;
    }
    match (text("x-auth-email"), text("x-auth-key")) {
        (Some(email), Some(key)) => {
            !config.api_key.is_empty() && email == config.api_email && key == config.api_key
        }
        _ => false,
    }
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            code::MALFORMED_JSON,
            format!("Malformed JSON in request body: {error}"),
        )
    })
}

/// `%XX` escapes decoded; a segment that does not decode to UTF-8 is kept as sent (it then matches nothing).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&hi), Some(&lo)) if hex(hi).is_some() && hex(lo).is_some() => {
                let value = hex(hi).unwrap_or(0) * 16 + hex(lo).unwrap_or(0);
                out.push(value as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| segment.to_owned())
}

/// RFC 3339 in whole seconds, like Cloudflare's `2020-01-01T08:00:00Z`.
fn now() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

// ---------------------------------------------------------------------------------------------------------
// State

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ip,
    Redirect,
    Hostname,
    Asn,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Ip, Kind::Redirect, Kind::Hostname, Kind::Asn];

    /// The kind's name, which is also the item field that carries its value.
    fn as_str(self) -> &'static str {
        match self {
            Kind::Ip => "ip",
            Kind::Redirect => "redirect",
            Kind::Hostname => "hostname",
            Kind::Asn => "asn",
        }
    }

    fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

struct List {
    id: String,
    name: String,
    description: String,
    kind: Kind,
    created_on: String,
    modified_on: String,
    items: Items,
    /// Operations on this list not applied yet, oldest first.
    pending: VecDeque<String>,
}

impl List {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "kind": self.kind.as_str(),
            "num_items": self.items.entries.len(),
            "num_referencing_filters": 0,
            "created_on": self.created_on,
            "modified_on": self.modified_on,
        })
    }
}

/// A list's items in insertion order. `seq` grows with every insertion and is what cursors point at, so a
/// position survives deletions; the id index makes item look-ups O(1).
#[derive(Default)]
struct Items {
    entries: Vec<Item>,
    index: HashMap<String, usize>,
    next_seq: u64,
}

impl Items {
    fn get(&self, id: &str) -> Option<&Item> {
        self.index.get(id).and_then(|&i| self.entries.get(i))
    }

    fn push(&mut self, id: String, value: ItemValue, comment: Option<String>, at: &str) {
        self.next_seq += 1;
        self.index.insert(id.clone(), self.entries.len());
        self.entries.push(Item {
            seq: self.next_seq,
            id,
            value,
            comment,
            created_on: at.to_owned(),
            modified_on: at.to_owned(),
        });
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.index.clear();
    }

    /// One pass over the list whatever the number of ids, then the index is rebuilt.
    fn remove(&mut self, ids: &HashSet<String>) {
        self.entries.retain(|item| !ids.contains(&item.id));
        self.index = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, item)| (item.id.clone(), i))
            .collect();
    }

    /// Index of the first item inserted after `seq`.
    fn position_after(&self, seq: u64) -> usize {
        self.entries.partition_point(|item| item.seq <= seq)
    }

    /// Index of the first item inserted at or after `seq`.
    fn position_from(&self, seq: u64) -> usize {
        self.entries.partition_point(|item| item.seq < seq)
    }
}

struct Item {
    seq: u64,
    id: String,
    value: ItemValue,
    comment: Option<String>,
    created_on: String,
    modified_on: String,
}

impl Item {
    fn to_json(&self, kind: Kind) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), Value::from(self.id.as_str()));
        object.insert(kind.as_str().into(), self.value.to_json());
        if let Some(comment) = &self.comment {
            object.insert("comment".into(), Value::from(comment.as_str()));
        }
        object.insert("created_on".into(), Value::from(self.created_on.as_str()));
        object.insert("modified_on".into(), Value::from(self.modified_on.as_str()));
        Value::Object(object)
    }

    /// The `search` rule of the items endpoint for this item's kind.
    fn matches(&self, search: &str) -> bool {
        match &self.value {
            ItemValue::Ip(ip) => ip.starts_with(search),
            ItemValue::Hostname(hostname) => hostname.contains(search),
            ItemValue::Redirect(redirect) => redirect.source_url.contains(search),
            ItemValue::Asn(asn) => asn.to_string() == search,
        }
    }
}

enum ItemValue {
    Ip(String),
    Hostname(String),
    Redirect(Redirect),
    Asn(u32),
}

impl ItemValue {
    fn to_json(&self) -> Value {
        match self {
            ItemValue::Ip(ip) => Value::from(ip.as_str()),
            ItemValue::Hostname(hostname) => json!({ "url_hostname": hostname }),
            ItemValue::Redirect(r) => json!({
                "source_url": r.source_url,
                "target_url": r.target_url,
                "include_subdomains": r.include_subdomains,
                "subpath_matching": r.subpath_matching,
                "preserve_query_string": r.preserve_query_string,
                "preserve_path_suffix": r.preserve_path_suffix,
                "status_code": r.status_code,
            }),
            ItemValue::Asn(asn) => Value::from(*asn),
        }
    }
}

/// A redirect with the spec's defaults filled in, as Cloudflare returns it.
struct Redirect {
    source_url: String,
    target_url: String,
    include_subdomains: bool,
    subpath_matching: bool,
    preserve_query_string: bool,
    preserve_path_suffix: bool,
    status_code: u16,
}

#[derive(Debug, Clone, Copy)]
enum ChangeKind {
    Append,
    Replace,
    Delete,
}

enum Change {
    /// Raw items, validated when the operation applies.
    Append(Vec<Value>),
    Replace(Vec<Value>),
    Delete(HashSet<String>),
}

enum Outcome {
    Completed { at: String },
    Failed { at: String, error: String },
}

struct Operation {
    id: String,
    list_id: String,
    polls: u32,
    /// Taken when applied, so a finished operation does not keep its items alive.
    change: Option<Change>,
    outcome: Option<Outcome>,
}

impl Operation {
    /// The operation as the bulk-operation endpoint shows it; `polls_per_step` splits an unapplied one's
    /// polls into `pending` and then `running`.
    fn to_json(&self, polls_per_step: u32) -> Value {
        match &self.outcome {
            Some(Outcome::Completed { at }) => {
                json!({ "id": self.id, "status": "completed", "completed": at })
            }
            Some(Outcome::Failed { at, error }) => {
                json!({ "id": self.id, "status": "failed", "completed": at, "error": error })
            }
            None if self.polls <= polls_per_step => json!({ "id": self.id, "status": "pending" }),
            None => json!({ "id": self.id, "status": "running" }),
        }
    }
}

/// A cursor position: after or before the item with this `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    After(u64),
    Before(u64),
}

struct State {
    config: ListsServerConfig,
    /// Lists in creation order; accounts hold few, so a scan finds one.
    lists: Vec<List>,
    operations: HashMap<String, Operation>,
    ids: IdSource,
}

impl State {
    fn new(config: ListsServerConfig) -> Self {
        Self {
            config,
            lists: Vec::new(),
            operations: HashMap::new(),
            ids: IdSource::new(),
        }
    }

    fn list(&self, id: &str) -> Option<&List> {
        self.lists.iter().find(|list| list.id == id)
    }

    fn list_mut(&mut self, id: &str) -> Result<&mut List, ApiError> {
        self.lists
            .iter_mut()
            .find(|list| list.id == id)
            .ok_or_else(ApiError::list_not_found)
    }

    fn list_lists(&self) -> Reply {
        Value::Array(self.lists.iter().map(List::to_json).collect()).into()
    }

    fn create_list(&mut self, body: &Value) -> ApiResult {
        let body = body
            .as_object()
            .ok_or_else(|| ApiError::validation("request body must be a JSON object"))?;
        let mut problems = Vec::new();

        let name = match body.get("name") {
            Some(Value::String(name)) => {
                if name.is_empty() {
                    problems.push("name: must not be empty".to_owned());
                } else if name.chars().count() > 50 {
                    problems.push("name: must be at most 50 characters".to_owned());
                } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    problems.push(format!(
                        "name: {name:?} must match ^[a-zA-Z0-9_]+$ (letters, digits and underscores)"
                    ));
                }
                name.clone()
            }
            None | Some(Value::Null) => {
                problems.push("name: required".to_owned());
                String::new()
            }
            Some(_) => {
                problems.push("name: must be a string".to_owned());
                String::new()
            }
        };

        let kind = match body.get("kind") {
            None | Some(Value::Null) => {
                problems.push("kind: required (one of ip, redirect, hostname, asn)".to_owned());
                None
            }
            Some(value) => {
                let kind = value.as_str().and_then(Kind::parse);
                if kind.is_none() {
                    problems.push(format!(
                        "kind: {value} is not one of ip, redirect, hostname, asn"
                    ));
                }
                kind
            }
        };

        let description = match description_field(body) {
            Ok(description) => description.unwrap_or_default(),
            Err(problem) => {
                problems.push(problem);
                String::new()
            }
        };

        let kind = match kind {
            Some(kind) if problems.is_empty() => kind,
            _ => {
                return Err(ApiError {
                    status: StatusCode::BAD_REQUEST,
                    errors: problems
                        .into_iter()
                        .map(|problem| (code::VALIDATION, problem))
                        .collect(),
                })
            }
        };
        if self.lists.iter().any(|list| list.name == name) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                code::DUPLICATE_NAME,
                format!("a list named {name:?} already exists"),
            ));
        }

        let at = now();
        let list = List {
            id: self.ids.next(),
            name,
            description,
            kind,
            created_on: at.clone(),
            modified_on: at,
            items: Items::default(),
            pending: VecDeque::new(),
        };
        let json = list.to_json();
        self.lists.push(list);
        Ok(json.into())
    }

    fn get_list(&self, id: &str) -> ApiResult {
        self.list(id)
            .map(|list| list.to_json().into())
            .ok_or_else(ApiError::list_not_found)
    }

    fn update_list(&mut self, id: &str, body: &Value) -> ApiResult {
        let body = body
            .as_object()
            .ok_or_else(|| ApiError::validation("request body must be a JSON object"))?;
        let description = description_field(body).map_err(ApiError::validation)?;
        let list = self.list_mut(id)?;
        if let Some(description) = description {
            list.description = description;
            list.modified_on = now();
        }
        Ok(list.to_json().into())
    }

    fn delete_list(&mut self, id: &str) -> ApiResult {
        let index = self
            .lists
            .iter()
            .position(|list| list.id == id)
            .ok_or_else(ApiError::list_not_found)?;
        // Its unapplied operations fail when polled: their list is gone.
        self.lists.remove(index);
        Ok(json!({ "id": id }).into())
    }

    fn get_item(&self, list_id: &str, item_id: &str) -> ApiResult {
        let list = self.list(list_id).ok_or_else(ApiError::list_not_found)?;
        let item = list.items.get(item_id).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                code::ITEM_NOT_FOUND,
                "list item not found",
            )
        })?;
        Ok(item.to_json(list.kind).into())
    }

    fn list_items(&self, list_id: &str, uri: &Uri) -> ApiResult {
        let list = self.list(list_id).ok_or_else(ApiError::list_not_found)?;
        let query = Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map_err(|error| ApiError::validation(format!("invalid query string: {error}")))?
            .0;
        // An empty parameter is the same as an absent one.
        let param = |name: &str| {
            query
                .iter()
                .find(|(key, value)| key == name && !value.is_empty())
                .map(|(_, value)| value.as_str())
        };

        let per_page = match param("per_page") {
            None => self.config.default_per_page.clamp(1, MAX_PER_PAGE),
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => n,
                _ => {
                    return Err(ApiError::validation(format!(
                        "per_page: {text:?} must be an integer from 1 to {MAX_PER_PAGE}"
                    )))
                }
            },
        } as usize;
        let cursor_text = param("cursor");
        let cursor = match cursor_text {
            None => None,
            Some(text) => Some(self.ids.decode_cursor(&list.id, text).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    code::INVALID_CURSOR,
                    format!("cursor: {text:?} is not a cursor of this list"),
                )
            })?),
        };
        let search = param("search");
        let matches = |item: &&Item| search.is_none_or(|s| item.matches(s));
        let entries = &list.items.entries;

        // Collect one item more than the page to learn whether another page follows.
        let (page, before, after): (Vec<&Item>, bool, bool) = match cursor {
            None | Some(Cursor::After(_)) => {
                let start = match cursor {
                    Some(Cursor::After(seq)) => list.items.position_after(seq),
                    _ => 0,
                };
                let mut page: Vec<&Item> = entries[start..]
                    .iter()
                    .filter(matches)
                    .take(per_page + 1)
                    .collect();
                let after = page.len() > per_page;
                page.truncate(per_page);
                let first = page
                    .first()
                    .map_or(start, |item| list.items.position_from(item.seq));
                let before = entries[..first].iter().any(|item| matches(&item));
                (page, before, after)
            }
            Some(Cursor::Before(seq)) => {
                let end = list.items.position_from(seq);
                let mut page: Vec<&Item> = entries[..end]
                    .iter()
                    .rev()
                    .filter(matches)
                    .take(per_page + 1)
                    .collect();
                let before = page.len() > per_page;
                page.truncate(per_page);
                page.reverse();
                let last = page
                    .last()
                    .map_or(end, |item| list.items.position_after(item.seq));
                let after = entries[last..].iter().any(|item| matches(&item));
                (page, before, after)
            }
        };

        let mut cursors = Map::new();
        if let (true, Some(first)) = (before, page.first()) {
            let cursor = self.ids.encode_cursor(&list.id, Cursor::Before(first.seq));
            cursors.insert("before".into(), Value::from(cursor));
        }
        if let (true, Some(last)) = (after, page.last()) {
            let cursor = match (self.config.repeat_cursor, cursor, cursor_text) {
                // The fault: hand back the cursor that led here, so the next page is this page again.
                (true, Some(Cursor::After(_)), Some(given)) => given.to_owned(),
                _ => self.ids.encode_cursor(&list.id, Cursor::After(last.seq)),
            };
            cursors.insert("after".into(), Value::from(cursor));
        }

        let result = page.iter().map(|item| item.to_json(list.kind)).collect();
        Ok(Reply {
            result: Value::Array(result),
            result_info: Some(json!({ "cursors": cursors })),
        })
    }

    /// Records an item change as a pending operation; it applies when polled (see the module docs).
    fn change_items(&mut self, list_id: &str, kind: ChangeKind, body: Value) -> ApiResult {
        // Only the body's shape is checked now; the items themselves are checked when applied.
        let change = match kind {
            ChangeKind::Append | ChangeKind::Replace => {
                let items = match body {
                    Value::Array(items) if items.iter().all(Value::is_object) => items,
                    _ => {
                        return Err(ApiError::validation(
                            "request body must be a JSON array of item objects",
                        ))
                    }
                };
                match kind {
                    ChangeKind::Append => Change::Append(items),
                    _ => Change::Replace(items),
                }
            }
            ChangeKind::Delete => Change::Delete(delete_ids(&body).map_err(ApiError::validation)?),
        };
        let operation_id = self.ids.next();
        self.list_mut(list_id)?
            .pending
            .push_back(operation_id.clone());
        self.operations.insert(
            operation_id.clone(),
            Operation {
                id: operation_id.clone(),
                list_id: list_id.to_owned(),
                polls: 0,
                change: Some(change),
                outcome: None,
            },
        );
        Ok(json!({ "operation_id": operation_id }).into())
    }

    /// One poll: counts it, applies the operation when its turn has come, and shows its state.
    fn poll_operation(&mut self, id: &str) -> ApiResult {
        let step = self.config.polls_per_step;
        let operation = self
            .operations
            .get_mut(id)
            .ok_or_else(ApiError::operation_not_found)?;
        if operation.outcome.is_none() {
            operation.polls = operation.polls.saturating_add(1);
            // `step` polls pending, `step` polls running, then the next poll applies it.
            let due = u64::from(operation.polls) > 2 * u64::from(step);
            if due && !self.config.never_complete {
                let list_id = operation.list_id.clone();
                self.apply_through(&list_id, id);
            }
        }
        let operation = self
            .operations
            .get(id)
            .ok_or_else(ApiError::operation_not_found)?;
        Ok(operation.to_json(step).into())
    }

    /// Applies the list's unapplied operations in order, up to and including `operation_id`.
    fn apply_through(&mut self, list_id: &str, operation_id: &str) {
        let max_items = self.config.max_items_per_list;
        let Some(list) = self.lists.iter_mut().find(|list| list.id == list_id) else {
            if let Some(operation) = self.operations.get_mut(operation_id) {
                operation.change = None;
                operation.outcome = Some(Outcome::Failed {
                    at: now(),
                    error: format!("list {list_id} not found: it was deleted"),
                });
            }
            return;
        };
        while let Some(next) = list.pending.pop_front() {
            if let Some(operation) = self.operations.get_mut(&next) {
                let at = now();
                let outcome = match operation.change.take() {
                    Some(change) => match apply(list, change, max_items, &mut self.ids, &at) {
                        Ok(()) => Outcome::Completed { at },
                        Err(error) => Outcome::Failed { at, error },
                    },
                    None => Outcome::Completed { at },
                };
                operation.outcome = Some(outcome);
            }
            if next == operation_id {
                break;
            }
        }
    }
}

/// The optional `description` of a create or update body: at most 500 characters.
fn description_field(body: &Map<String, Value>) -> Result<Option<String>, String> {
    match body.get("description") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(d)) if d.chars().count() <= 500 => Ok(Some(d.clone())),
        Some(Value::String(_)) => Err("description: must be at most 500 characters".to_owned()),
        Some(_) => Err("description: must be a string".to_owned()),
    }
}

/// The ids of a `DELETE .../items` body `{"items": [{"id": "..."}, ...]}` (at least one).
fn delete_ids(body: &Value) -> Result<HashSet<String>, String> {
    const SHAPE: &str =
        "request body must be {\"items\": [{\"id\": \"<item id>\"}, ...]} with at least one item";
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .filter(|items| !items.is_empty())
        .ok_or(SHAPE)?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("items[{i}].id: required, a string"))
        })
        .collect()
}

/// Applies one change to a list, all or nothing.
fn apply(
    list: &mut List,
    change: Change,
    max_items: usize,
    ids: &mut IdSource,
    at: &str,
) -> Result<(), String> {
    match change {
        Change::Append(raw) => {
            if list.items.entries.len().saturating_add(raw.len()) > max_items {
                return Err(MAX_ITEMS_MESSAGE.to_owned());
            }
            let items = validate_items(list.kind, &raw)?;
            for (value, comment) in items {
                list.items.push(ids.next(), value, comment, at);
            }
        }
        Change::Replace(raw) => {
            if raw.len() > max_items {
                return Err(MAX_ITEMS_MESSAGE.to_owned());
            }
            let items = validate_items(list.kind, &raw)?;
            list.items.clear();
            for (value, comment) in items {
                list.items.push(ids.next(), value, comment, at);
            }
        }
        Change::Delete(ids) => list.items.remove(&ids),
    }
    list.modified_on = at.to_owned();
    Ok(())
}

fn validate_items(kind: Kind, raw: &[Value]) -> Result<Vec<(ItemValue, Option<String>)>, String> {
    raw.iter()
        .enumerate()
        .map(|(i, item)| validate_item(kind, item).map_err(|e| format!("items[{i}]: {e}")))
        .collect()
}

/// One item of a change: exactly one value field, the one of the list's kind, well formed.
fn validate_item(kind: Kind, item: &Value) -> Result<(ItemValue, Option<String>), String> {
    let object = item.as_object().ok_or("must be an object")?;
    let present: Vec<&str> = Kind::ALL
        .iter()
        .map(|k| k.as_str())
        .filter(|field| object.get(*field).is_some_and(|v| !v.is_null()))
        .collect();
    let wanted = kind.as_str();
    match present.as_slice() {
        [] => {
            return Err(format!(
                "a list of kind {wanted:?} needs items with an {wanted:?} field"
            ))
        }
        [field] if *field != wanted => {
            return Err(format!(
                "a list of kind {wanted:?} cannot hold {field:?} items; send {wanted:?} instead"
            ))
        }
        [_] => {}
        fields => {
            return Err(format!(
                "an item has exactly one of ip, hostname, redirect, asn; found {}",
                fields.join(", ")
            ))
        }
    }
    let value = object.get(wanted).unwrap_or(&Value::Null);
    let value = match kind {
        Kind::Ip => {
            let ip = value.as_str().ok_or("ip: must be a string")?;
            if !valid_ip(ip) {
                return Err(format!(
                    "ip: {ip:?} is not an IPv4 address, an IPv4 CIDR (/8 to /32) or an IPv6 CIDR (/12 to /64)"
                ));
            }
            ItemValue::Ip(ip.to_owned())
        }
        Kind::Hostname => {
            let hostname = value
                .get("url_hostname")
                .and_then(Value::as_str)
                .ok_or("hostname.url_hostname: required, a string")?;
            let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '*' | '-' | '.');
            if hostname.is_empty() || !hostname.chars().all(allowed) {
                return Err(format!(
                    "hostname.url_hostname: {hostname:?} may hold only a-z, 0-9, '*', '-' and '.'"
                ));
            }
            ItemValue::Hostname(hostname.to_owned())
        }
        Kind::Redirect => ItemValue::Redirect(validate_redirect(value)?),
        Kind::Asn => {
            let asn = value
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("asn: {value} is not a non-negative 32 bit integer"))?;
            ItemValue::Asn(asn)
        }
    };
    let comment = match object.get("comment") {
        None | Some(Value::Null) => None,
        Some(Value::String(comment)) => Some(comment.clone()),
        Some(_) => return Err("comment: must be a string".to_owned()),
    };
    Ok((value, comment))
}

fn validate_redirect(value: &Value) -> Result<Redirect, String> {
    let object = value.as_object().ok_or("redirect: must be an object")?;
    let url = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| format!("redirect.{name}: required, a non-empty string"))
    };
    let flag = |name: &str| match object.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("redirect.{name}: must be a boolean")),
    };
    let status_code = match object.get("status_code") {
        None | Some(Value::Null) => 301,
        Some(code) => match code.as_u64() {
            Some(c @ (301 | 302 | 307 | 308)) => c as u16,
            _ => {
                return Err(format!(
                    "redirect.status_code: {code} is not one of 301, 302, 307, 308"
                ))
            }
        },
    };
    Ok(Redirect {
        source_url: url("source_url")?,
        target_url: url("target_url")?,
        include_subdomains: flag("include_subdomains")?,
        subpath_matching: flag("subpath_matching")?,
        preserve_query_string: flag("preserve_query_string")?,
        preserve_path_suffix: flag("preserve_path_suffix")?,
        status_code,
    })
}

/// An IPv4 address, an IPv4 CIDR from /8 to /32, or an IPv6 CIDR from /12 to /64, as Cloudflare accepts.
fn valid_ip(text: &str) -> bool {
    let (address, prefix) = match text.split_once('/') {
        // Digits only: `parse` alone would also take "+8".
        Some((address, prefix)) if (1..=3).contains(&prefix.len()) => {
            if !prefix.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            (address, prefix.parse::<u8>().ok())
        }
        Some(_) => return false,
        None => (text, None),
    };
    match (address.parse::<IpAddr>(), prefix) {
        (Ok(IpAddr::V4(_)), None) => !text.contains('/'),
        (Ok(IpAddr::V4(_)), Some(prefix)) => (8..=32).contains(&prefix),
        (Ok(IpAddr::V6(_)), Some(prefix)) => (12..=64).contains(&prefix),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Ids and cursors

/// Random-looking 32-hex ids and tamper-checked cursors, from per-server random keys.
struct IdSource {
    counter: u64,
    seed: u64,
    /// Keyed hasher: a cursor's tag proves this server issued it for that list.
    keys: RandomState,
    /// Hides the plain sequence number inside a cursor.
    mask: u64,
}

impl IdSource {
    fn new() -> Self {
        let keys = RandomState::new();
        Self {
            counter: 0,
            seed: keys.hash_one("seed"),
            mask: keys.hash_one("mask"),
            keys,
        }
    }

    /// A fresh 32-hex-digit id (128 bits of a SplitMix64 stream).
    fn next(&mut self) -> String {
        let high = splitmix64(self.seed.wrapping_add(self.counter));
        let low = splitmix64(high ^ self.counter.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        self.counter += 1;
        format!("{high:016x}{low:016x}")
    }

    fn tag(&self, list_id: &str, direction: u8, seq: u64) -> u64 {
        self.keys.hash_one((list_id, direction, seq))
    }

    /// 34 hex digits: direction, masked position, tag.
    fn encode_cursor(&self, list_id: &str, cursor: Cursor) -> String {
        let (direction, seq) = match cursor {
            Cursor::After(seq) => (0xa1u8, seq),
            Cursor::Before(seq) => (0xb1u8, seq),
        };
        let tag = self.tag(list_id, direction, seq);
        format!("{direction:02x}{:016x}{tag:016x}", seq ^ self.mask)
    }

    fn decode_cursor(&self, list_id: &str, text: &str) -> Option<Cursor> {
        if text.len() != 34 || !text.is_ascii() {
            return None;
        }
        let direction = u8::from_str_radix(&text[..2], 16).ok()?;
        let seq = u64::from_str_radix(&text[2..18], 16).ok()? ^ self.mask;
        let tag = u64::from_str_radix(&text[18..], 16).ok()?;
        if tag != self.tag(list_id, direction, seq) {
            return None;
        }
        match direction {
            0xa1 => Some(Cursor::After(seq)),
            0xb1 => Some(Cursor::Before(seq)),
            _ => None,
        }
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
