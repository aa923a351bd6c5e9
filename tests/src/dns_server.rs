//! A stateful, in-memory imitation of Cloudflare's DNS records listing on loopback, for end-to-end paging
//! tests.
//!
//! It keeps one zone's records and answers `GET /zones/{zone_id}/dns_records` (paged by `page` and
//! `per_page`, in creation order) and `POST /zones/{zone_id}/dns_records` (adds a record) the way Cloudflare
//! does: only with the email + key it is given, every body is the Cloudflare envelope, and a listing's `result_info` has `page`, `per_page`, `count`
//! (the records on that page), `total_count` and `total_pages`. [`DnsServerConfig`] can leave the totals out
//! or make the server ignore `page` (it then answers page 1 whatever is asked), as a misbehaving server
//! would. Every request is recorded ([`DnsServer::requests`]). Dropping the [`DnsServer`] stops it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::oneshot;

/// The page size when the request gives none, and the largest one accepted.
pub const DEFAULT_PER_PAGE: u64 = 100;
pub const MAX_PER_PAGE: u64 = 5000;

/// How the server behaves. `Default` is Cloudflare's behaviour with the spec's example zone and token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsServerConfig {
    pub zone_id: String,
    /// The email + Global API key the server accepts (`X-Auth-Email`, `X-Auth-Key`), the only credentials
    /// the document gives DNS record calls.
    pub api_email: String,
    pub api_key: String,
    /// Whether `result_info` has `total_pages`.
    pub total_pages: bool,
    /// Whether `result_info` has `total_count`.
    pub total_count: bool,
    /// Answer page 1 whatever `page` asks for (a server that ignores the parameter).
    pub ignore_page: bool,
}

impl Default for DnsServerConfig {
    fn default() -> Self {
        Self {
            zone_id: crate::ACCOUNT_ID.to_owned(),
            api_email: "user@example.com".to_owned(),
            api_key: "144c9defac04969c7bfad8efaa8ea194".to_owned(),
            total_pages: true,
            total_count: true,
            ignore_page: false,
        }
    }
}

/// One request the server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRequest {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
}

/// The running server.
pub struct DnsServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

struct Shared {
    config: DnsServerConfig,
    records: Mutex<Vec<Value>>,
    requests: Mutex<Vec<DnsRequest>>,
}

impl DnsServer {
    pub async fn start(config: DnsServerConfig) -> DnsServer {
        let shared = Arc::new(Shared {
            config,
            records: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new().fallback({
            let shared = Arc::clone(&shared);
            move |request: axum::extract::Request| handle(Arc::clone(&shared), request)
        });
        let (addr, shutdown) = crate::loopback::serve(app, "DNS server").await;
        DnsServer {
            addr,
            shared,
            shutdown: Some(shutdown),
        }
    }

    /// `http://127.0.0.1:PORT`, for `ClientBuilder::base_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client with the server's credentials, pointed at it.
    pub fn client(&self) -> cloudflare_sdk::Client {
        let config = &self.shared.config;
        cloudflare_sdk::Client::builder()
            .api_email(&config.api_email)
            .api_key(&config.api_key)
            .base_url(self.url())
            .build()
            .expect("build a client pointed at the DNS server")
    }

    /// Adds `count` A records named `record-N.example.com`, numbered on from the records already there.
    pub fn add_a_records(&self, count: usize) {
        let mut records = lock(&self.shared.records);
        for _ in 0..count {
            let n = records.len();
            let record = new_record(
                n,
                json!({
                    "type": "A",
                    "name": format!("record-{n}.example.com"),
                    "content": format!("198.51.{}.{}", n / 256 % 256, n % 256),
                }),
            );
            records.push(record);
        }
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<DnsRequest> {
        lock(&self.shared.requests).clone()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A stored record: what was sent, with the fields the API adds.
fn new_record(n: usize, mut sent: Value) -> Value {
    let fields = sent.as_object_mut().expect("a record is an object");
    fields.insert("id".to_owned(), json!(format!("{n:032x}")));
    fields.insert("proxiable".to_owned(), json!(true));
    fields.insert("created_on".to_owned(), json!("2024-01-01T05:20:00.12345Z"));
    fields.insert(
        "modified_on".to_owned(),
        json!("2024-01-01T05:20:00.12345Z"),
    );
    fields.entry("proxied").or_insert(json!(false));
    fields.entry("ttl").or_insert(json!(1));
    sent
}

fn envelope(result: Value, result_info: Option<Value>) -> Value {
    let mut body = json!({"success": true, "errors": [], "messages": [], "result": result});
    if let Some(info) = result_info {
        body["result_info"] = info;
    }
    body
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let content_type = [(header::CONTENT_TYPE, "application/json")];
    (status, content_type, body.to_string()).into_response()
}

fn failure(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({
        "success": false,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": null,
    });
    json_response(status, &body)
}

async fn handle(shared: Arc<Shared>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let query: HashMap<String, String> = parts
        .uri
        .query()
        .map(|q| {
            q.split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    lock(&shared.requests).push(DnsRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: query.clone(),
    });
    if !authorized(&parts.headers, &shared.config) {
        return failure(StatusCode::FORBIDDEN, 10000, "Authentication error");
    }
    let collection = format!("/zones/{}/dns_records", shared.config.zone_id);
    if parts.uri.path() != collection {
        return failure(StatusCode::NOT_FOUND, 7003, "No route for that URI");
    }
    match parts.method {
        Method::GET => list(&shared, &query),
        Method::POST => {
            let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
                return failure(StatusCode::PAYLOAD_TOO_LARGE, 6009, "Body too large");
            };
            let Ok(sent @ Value::Object(_)) = serde_json::from_slice::<Value>(&bytes) else {
                return failure(
                    StatusCode::BAD_REQUEST,
                    6007,
                    "Malformed JSON in request body",
                );
            };
            let mut records = lock(&shared.records);
            let record = new_record(records.len(), sent);
            records.push(record.clone());
            json_response(StatusCode::OK, &envelope(record, None))
        }
        _ => failure(StatusCode::METHOD_NOT_ALLOWED, 7001, "Method not allowed"),
    }
}

fn authorized(headers: &HeaderMap, config: &DnsServerConfig) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header("x-auth-email") == Some(&config.api_email)
        && header("x-auth-key") == Some(&config.api_key)
}

/// One page of the records, in creation order.
fn list(shared: &Shared, query: &HashMap<String, String>) -> Response {
    let number = |name: &str, default: u64| match query.get(name) {
        None => Some(default),
        Some(text) => text.parse::<u64>().ok(),
    };
    let (Some(page), Some(per_page)) = (number("page", 1), number("per_page", DEFAULT_PER_PAGE))
    else {
        return failure(
            StatusCode::BAD_REQUEST,
            10001,
            "page and per_page must be whole numbers",
        );
    };
    if page == 0 || per_page == 0 || per_page > MAX_PER_PAGE {
        return failure(
            StatusCode::BAD_REQUEST,
            10001,
            "page or per_page out of range",
        );
    }
    let served = if shared.config.ignore_page { 1 } else { page };
    let records = lock(&shared.records);
    let total = records.len() as u64;
    let start = usize::try_from((served - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let on_page: Vec<Value> = records
        .iter()
        .skip(start)
        .take(usize::try_from(per_page).unwrap_or(usize::MAX))
        .cloned()
        .collect();
    let mut info = json!({"page": served, "per_page": per_page, "count": on_page.len()});
    if shared.config.total_count {
        info["total_count"] = json!(total);
    }
    if shared.config.total_pages {
        info["total_pages"] = json!(total.div_ceil(per_page));
    }
    json_response(StatusCode::OK, &envelope(Value::Array(on_page), Some(info)))
}
