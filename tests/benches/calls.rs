//! Whole calls on loopback: the SDK against raw `reqwest` + `serde_json` on the same server, in the same
//! group. The server (axum, HTTP/1.1) answers every request with the same bytes; each side has one client,
//! built once, with keep-alive connections.
//!
//! - `bulk_operation_get`: `client.rules().lists().bulk_operations().get(..)` against a GET of the same URL,
//!   the body parsed with `serde_json::from_slice` into an envelope with the SDK's result type.
//! - `item_page_1000`: `client.rules().lists().items().list_page(..)` (one page of 1,000 items) against the
//!   same raw GET, parsed into the same page type.
//!
//! Two baselines in each group:
//! - `raw_reqwest`: `reqwest::Client::new()` and the bearer token, nothing else;
//! - `raw_same_request`: the same request as the SDK's on the wire: every header the SDK sent (read by the
//!   server from the SDK's first call) and the SDK's default per-attempt timeout set on the client, as the
//!   SDK sets it. The difference to this one is the SDK's own work.
//!
//! BENCHMARKS.md has the numbers.

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::HeaderMap;
use cloudflare_sdk::rules::lists::bulk_operations::BulkOperationGetParams;
use cloudflare_sdk::rules::lists::bulk_operations::BulkOperationGetResponse;
use cloudflare_sdk::rules::lists::items::{ItemListParams, ItemListResponse};
use cloudflare_sdk::Client;
use criterion::Criterion;
use sdk_tests::{ACCOUNT_ID, OPERATION_ID, TOKEN};
use serde_json::json;
use tokio::runtime::Runtime;

#[path = "support/criterion_results.rs"]
mod criterion_results;

/// Cloudflare's envelope as a raw client decodes it, with the SDK's result type.
#[derive(serde::Deserialize)]
struct Envelope<T> {
    success: bool,
    #[allow(dead_code)]
    errors: Vec<serde_json::Value>,
    #[allow(dead_code)]
    messages: Vec<serde_json::Value>,
    result: T,
}

const BULK_GET: &str = "calls_bulk_operation_get";
/// Bare reqwest: the bearer token and nothing else.
const RAW: &str = "raw_reqwest";
/// Reqwest sending what the SDK sends: its headers, and its per-attempt timeout.
const RAW_SAME: &str = "raw_same_request";
const ITEM_PAGE: &str = "calls_item_page_1000";
const LIST_ID: &str = "2c0fc9fa937b11eaa1b71c4d701ab86e";

/// The headers of the requests a server received while asked to keep them (`None`: not asked).
type Recorded = Arc<Mutex<Option<Vec<HeaderMap>>>>;

/// Starts a loopback HTTP/1.1 server that answers every request with `body` as JSON; returns its base URL, and
/// where it keeps request headers when asked to.
fn serve(runtime: &Runtime, body: Vec<u8>) -> (String, Recorded) {
    let body = Bytes::from(body);
    let recorded = Recorded::default();
    let keep = Arc::clone(&recorded);
    let url = runtime.block_on(async move {
        let app = axum::Router::new().fallback(move |headers: HeaderMap| {
            let body = body.clone();
            if let Some(kept) = keep.lock().expect("lock").as_mut() {
                kept.push(headers);
            }
            async move { ([(CONTENT_TYPE, "application/json")], body) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        url
    });
    (url, recorded)
}

/// The headers of the request `call` sends, as the server received them, less `Host` (reqwest writes it).
fn headers_sent(recorded: &Recorded, call: impl FnOnce()) -> HeaderMap {
    *recorded.lock().expect("lock") = Some(Vec::new());
    call();
    let mut kept = recorded.lock().expect("lock").take().expect("recording");
    assert_eq!(kept.len(), 1, "one request");
    let mut headers = kept.remove(0);
    headers.remove(HOST);
    headers
}

fn sdk_client(base_url: &str) -> Client {
    Client::builder()
        .api_token(TOKEN)
        .base_url(base_url)
        .build()
        .expect("client")
}

/// The raw baseline: GET with the same bearer token, read the body, parse it.
async fn raw_get<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: &str) -> T {
    raw_send(http.get(url).bearer_auth(TOKEN)).await
}

/// A raw client with the SDK's default per-attempt timeout (60 s), set as the SDK sets it: on the client.
fn raw_client_with_timeout() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// The SDK's request done with reqwest: `http` has the per-attempt timeout ([`raw_client_with_timeout`]) and
/// the request has the headers the SDK sent ([`headers_sent`]), its `Authorization` among them.
async fn raw_get_same<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    headers: &HeaderMap,
) -> T {
    raw_send(http.get(url).headers(headers.clone())).await
}

async fn raw_send<T: serde::de::DeserializeOwned>(request: reqwest::RequestBuilder) -> T {
    let response = request.send().await.expect("send");
    assert!(response.status().is_success());
    let bytes = response.bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("parse")
}

/// What the bench needs beyond criterion: the interleaved ratio sdk / raw of each group, measured right after
/// the group with the same server and clients.
type Rows = Vec<(&'static str, Vec<criterion_results::Ratio>)>;

fn bulk_operation_get(c: &mut Criterion, results: &criterion_results::Results, rows: &mut Rows) {
    let runtime = Runtime::new().expect("tokio runtime");
    let body = json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": {"id": OPERATION_ID, "status": "completed", "completed": "2020-01-01T08:00:00Z"},
    });
    let (base, recorded) = serve(&runtime, serde_json::to_vec(&body).expect("serialize"));
    let sdk = sdk_client(&base);
    let http = reqwest::Client::new();
    let url = format!("{base}/accounts/{ACCOUNT_ID}/rules/lists/bulk_operations/{OPERATION_ID}");
    let params = BulkOperationGetParams::new(ACCOUNT_ID);
    let get = || {
        sdk.rules()
            .lists()
            .bulk_operations()
            .get(OPERATION_ID, &params)
    };
    // Once each, so every connection is open and every side decodes what it should.
    let headers = headers_sent(&recorded, || {
        let op = runtime.block_on(async { get().await }).expect("sdk call");
        assert!(matches!(op, BulkOperationGetResponse::Completed(_)));
    });
    let http_same = raw_client_with_timeout();
    runtime.block_on(async {
        let raw: Envelope<BulkOperationGetResponse> = raw_get(&http, &url).await;
        assert!(raw.success);
        let raw: Envelope<BulkOperationGetResponse> =
            raw_get_same(&http_same, &url, &headers).await;
        assert!(raw.success);
    });

    let sdk_call = || runtime.block_on(async { black_box(get().await.expect("sdk call")) });
    let raw_call = || {
        runtime.block_on(async {
            let envelope: Envelope<BulkOperationGetResponse> = raw_get(&http, &url).await;
            black_box(envelope.result)
        })
    };
    let same_call = || {
        runtime.block_on(async {
            let envelope: Envelope<BulkOperationGetResponse> =
                raw_get_same(&http_same, &url, &headers).await;
            black_box(envelope.result)
        })
    };
    let mut group = c.benchmark_group(BULK_GET);
    group.bench_function("sdk", |b| b.iter(sdk_call));
    group.bench_function(RAW, |b| b.iter(raw_call));
    group.bench_function(RAW_SAME, |b| b.iter(same_call));
    group.finish();
    if results.measured(BULK_GET, "sdk", "") {
        let ratio = criterion_results::interleaved(
            &mut [
                &mut || {
                    sdk_call();
                },
                &mut || {
                    raw_call();
                },
                &mut || {
                    same_call();
                },
            ],
            INTERLEAVED,
        );
        rows.push(("", ratio));
    }
}

fn item_page_1000(c: &mut Criterion, results: &criterion_results::Results, rows: &mut Rows) {
    let runtime = Runtime::new().expect("tokio runtime");
    let items: Vec<_> = (0..1_000)
        .map(|n: usize| {
            json!({
                "id": format!("{n:032x}"),
                "ip": format!("10.0.{}.{}", n >> 8, n & 255),
                "comment": format!("item {n}"),
                "created_on": "2020-01-01T08:00:00Z",
                "modified_on": "2020-01-01T08:00:00Z",
            })
        })
        .collect();
    let body = json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": items,
        "result_info": {"cursors": {"after": "yyy", "before": "xxx"}},
    });
    let (base, recorded) = serve(&runtime, serde_json::to_vec(&body).expect("serialize"));
    let sdk = sdk_client(&base);
    let http = reqwest::Client::new();
    // The API allows at most 500 per page; the server answers with these 1,000 items whatever is asked.
    let url = format!("{base}/accounts/{ACCOUNT_ID}/rules/lists/{LIST_ID}/items?per_page=500");
    let params = ItemListParams::new(ACCOUNT_ID).with_per_page(500);
    let page = || sdk.rules().lists().items().list_page(LIST_ID, &params);
    let headers = headers_sent(&recorded, || {
        let first = runtime.block_on(async { page().await }).expect("sdk call");
        assert_eq!(first.result.len(), 1_000);
    });
    let http_same = raw_client_with_timeout();
    runtime.block_on(async {
        let raw: ItemListResponse = raw_get(&http, &url).await;
        assert_eq!(raw.result.len(), 1_000);
        let raw: ItemListResponse = raw_get_same(&http_same, &url, &headers).await;
        assert_eq!(raw.result.len(), 1_000);
    });

    let sdk_call = || runtime.block_on(async { black_box(page().await.expect("sdk call")) });
    let raw_call = || {
        runtime.block_on(async {
            let page: ItemListResponse = raw_get(&http, &url).await;
            black_box(page)
        })
    };
    let same_call = || {
        runtime.block_on(async {
            let page: ItemListResponse = raw_get_same(&http_same, &url, &headers).await;
            black_box(page)
        })
    };
    let mut group = c.benchmark_group(ITEM_PAGE);
    group.bench_function("sdk", |b| b.iter(sdk_call));
    group.bench_function(RAW, |b| b.iter(raw_call));
    group.bench_function(RAW_SAME, |b| b.iter(same_call));
    group.finish();
    if results.measured(ITEM_PAGE, "sdk", "") {
        let ratio = criterion_results::interleaved(
            &mut [
                &mut || {
                    sdk_call();
                },
                &mut || {
                    raw_call();
                },
                &mut || {
                    same_call();
                },
            ],
            INTERLEAVED,
        );
        rows.push(("", ratio));
    }
}

/// How long each interleaved ratio measurement runs.
const INTERLEAVED: Duration = Duration::from_secs(4);

fn main() {
    let results = criterion_results::Results::since_now();
    let mut criterion = Criterion::default().configure_from_args();
    let (mut bulk, mut page) = (Rows::new(), Rows::new());
    bulk_operation_get(&mut criterion, &results, &mut bulk);
    item_page_1000(&mut criterion, &results, &mut page);
    criterion.final_summary();
    results.print_table(BULK_GET, "sdk", &[RAW, RAW_SAME], &bulk);
    results.print_table(ITEM_PAGE, "sdk", &[RAW, RAW_SAME], &page);
}
