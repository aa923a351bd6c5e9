//! Decoding from bytes: the SDK's generated types against two baselines in the same run.
//!
//! - `plain`: serde_json into a hand-written plain struct of the same shape (the union flattened into one
//!   struct whose fields are all optional): what serde can do at best.
//! - `untagged`: the same union as a `#[serde(untagged)]` enum of the same variant types, which is what
//!   progenitor and OpenAPI Generator emit for a `oneOf`.
//!
//! The SDK side deserializes the same envelope with the SDK's result type (`BulkStatusEnvelope`: the
//! `status` union; `ItemListResponse`, a page of the `ListsItem` union) with
//! `serde_json::from_slice`, the same call its decoders make. BENCHMARKS.md has the numbers.

use std::hint::black_box;
use std::time::Duration;

use cloudflare_sdk::rules::lists::bulk_operations::BulkOperationGetResponse;
use cloudflare_sdk::rules::lists::items::ItemListResponse;
use cloudflare_sdk::types::{
    ListsBulkOperationCompleted, ListsBulkOperationFailed, ListsBulkOperationPendingOrRunning,
    ListsItem, ListsItemWithAsn, ListsItemWithHostname, ListsItemWithIp, ListsItemWithRedirect,
};
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

#[path = "support/criterion_results.rs"]
mod criterion_results;

// ---- baseline 1: plain structs of the same shape -------------------------------------------------------

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainMessage {
    code: i64,
    message: String,
    documentation_url: Option<String>,
    source: Option<PlainSource>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainSource {
    pointer: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainEnvelope<T> {
    errors: Vec<PlainMessage>,
    messages: Vec<PlainMessage>,
    result: T,
    success: bool,
}

/// The bulk-operation envelope with the SDK's result type (the SDK has no envelope type of its own: its calls
/// return `result`).
type BulkStatusEnvelope = PlainEnvelope<BulkOperationGetResponse>;

/// Every field of every bulk-operation variant, optional; `status` as a plain string.
#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainBulkOperation {
    id: String,
    status: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    completed: Option<OffsetDateTime>,
    error: Option<String>,
}

/// Every field of every list-item variant, optional.
#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainItem {
    id: Option<String>,
    ip: Option<String>,
    redirect: Option<PlainRedirect>,
    hostname: Option<PlainHostname>,
    asn: Option<i64>,
    comment: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    created_on: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    modified_on: Option<OffsetDateTime>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainRedirect {
    source_url: String,
    target_url: String,
    include_subdomains: Option<bool>,
    preserve_path_suffix: Option<bool>,
    preserve_query_string: Option<bool>,
    status_code: Option<i64>,
    subpath_matching: Option<bool>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainHostname {
    url_hostname: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainCursors {
    after: Option<String>,
    before: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainResultInfo {
    cursors: Option<PlainCursors>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainItemPage {
    errors: Vec<PlainMessage>,
    messages: Vec<PlainMessage>,
    result: Vec<PlainItem>,
    success: bool,
    result_info: Option<PlainResultInfo>,
}

// ---- baseline 2: the same unions as `#[serde(untagged)]` enums -----------------------------------------

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(untagged)]
enum UntaggedBulkOperation {
    PendingOrRunning(ListsBulkOperationPendingOrRunning),
    Completed(ListsBulkOperationCompleted),
    Failed(ListsBulkOperationFailed),
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(untagged)]
enum UntaggedItem {
    Ip(ListsItemWithIp),
    Redirect(ListsItemWithRedirect),
    Hostname(ListsItemWithHostname),
    Asn(ListsItemWithAsn),
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct UntaggedItemPage {
    errors: Vec<PlainMessage>,
    messages: Vec<PlainMessage>,
    result: Vec<UntaggedItem>,
    success: bool,
    result_info: Option<PlainResultInfo>,
}

// ---- inputs ---------------------------------------------------------------------------------------------

fn envelope(result: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"success": true, "errors": [], "messages": [], "result": result}))
        .expect("serialize")
}

const OPERATION_ID: &str = "4da8780eeb215e6cb7f48dd981c4ea02";
const AT: &str = "2020-01-01T08:00:00Z";

fn bulk_operation_bodies() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "pending",
            envelope(json!({"id": OPERATION_ID, "status": "pending"})),
        ),
        (
            "completed",
            envelope(json!({"id": OPERATION_ID, "status": "completed", "completed": AT})),
        ),
        (
            "failed",
            envelope(json!({
                "id": OPERATION_ID,
                "status": "failed",
                "completed": AT,
                "error": "This list is at the maximum number of items",
            })),
        ),
    ]
}

/// One item of a list of this kind, as the API returns it.
fn item(kind: &str, n: usize) -> serde_json::Value {
    let mut item = json!({
        "id": format!("{n:032x}"),
        "comment": format!("item {n}"),
        "created_on": AT,
        "modified_on": AT,
    });
    let (key, value) = match kind {
        "ip" => (
            "ip",
            json!(format!(
                "10.{}.{}.{}",
                (n >> 16) & 255,
                (n >> 8) & 255,
                n & 255
            )),
        ),
        "hostname" => (
            "hostname",
            json!({"url_hostname": format!("host-{n}.example.com")}),
        ),
        "redirect" => (
            "redirect",
            json!({
                "source_url": format!("example.com/from/{n}"),
                "target_url": format!("https://example.com/to/{n}"),
                "status_code": 301,
                "include_subdomains": false,
            }),
        ),
        _ => ("asn", json!(n)),
    };
    item[key] = value;
    item
}

/// A page of 1,000 items of one list (a list holds one kind of item), with the cursors of a middle page.
fn item_page(kind: &str) -> Vec<u8> {
    let items: Vec<_> = (0..1_000).map(|n| item(kind, n)).collect();
    serde_json::to_vec(&json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": items,
        "result_info": {"cursors": {"after": "yyy", "before": "xxx"}},
    }))
    .expect("serialize")
}

// ---- the benches ----------------------------------------------------------------------------------------

/// Checks, once, that every decoder takes the input and the SDK picks the variant it should.
fn check_bulk_operation(name: &str, body: &[u8]) {
    let sdk: BulkStatusEnvelope = serde_json::from_slice(body).expect("sdk");
    let variant = match sdk.result {
        BulkOperationGetResponse::PendingOrRunning(_) => "pending",
        BulkOperationGetResponse::Completed(_) => "completed",
        BulkOperationGetResponse::Failed(_) => "failed",
        BulkOperationGetResponse::Unknown(_) => "unknown",
        other => panic!("a variant this bench does not know: {other:?}"),
    };
    assert_eq!(variant, name);
    serde_json::from_slice::<PlainEnvelope<PlainBulkOperation>>(body).expect("plain");
    serde_json::from_slice::<PlainEnvelope<UntaggedBulkOperation>>(body).expect("untagged");
}

fn check_item_page(body: &[u8]) {
    let sdk: ItemListResponse = serde_json::from_slice(body).expect("sdk");
    assert_eq!(sdk.result.len(), 1_000);
    assert!(!sdk
        .result
        .iter()
        .any(|item| matches!(item, ListsItem::Unknown(_))));
    serde_json::from_slice::<PlainItemPage>(body).expect("plain");
    serde_json::from_slice::<UntaggedItemPage>(body).expect("untagged");
}

fn bulk_operation(c: &mut Criterion) {
    let mut group = c.benchmark_group(BULK_OPERATION);
    for (name, body) in bulk_operation_bodies() {
        check_bulk_operation(name, &body);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("sdk", name), &body, |b, body| {
            b.iter(|| serde_json::from_slice::<BulkStatusEnvelope>(black_box(body)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("plain", name), &body, |b, body| {
            b.iter(|| {
                serde_json::from_slice::<PlainEnvelope<PlainBulkOperation>>(black_box(body))
                    .unwrap()
            })
        });
        group.bench_with_input(BenchmarkId::new("untagged", name), &body, |b, body| {
            b.iter(|| {
                serde_json::from_slice::<PlainEnvelope<UntaggedBulkOperation>>(black_box(body))
                    .unwrap()
            })
        });
    }
    group.finish();
}

fn item_page_1000(c: &mut Criterion) {
    let mut group = c.benchmark_group(ITEM_PAGE);
    // `ip` is the first variant (the best case for untagged, which tries variants in order), `redirect` the
    // largest item and the second variant.
    for kind in ["ip", "redirect"] {
        let body = item_page(kind);
        check_item_page(&body);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("sdk", kind), &body, |b, body| {
            b.iter(|| serde_json::from_slice::<ItemListResponse>(black_box(body)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("plain", kind), &body, |b, body| {
            b.iter(|| serde_json::from_slice::<PlainItemPage>(black_box(body)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("untagged", kind), &body, |b, body| {
            b.iter(|| serde_json::from_slice::<UntaggedItemPage>(black_box(body)).unwrap())
        });
    }
    group.finish();
}

const BULK_OPERATION: &str = "decode_bulk_operation";
const ITEM_PAGE: &str = "decode_item_page_1000";

criterion_group!(benches, bulk_operation, item_page_1000);

/// How long each interleaved ratio measurement runs.
const INTERLEAVED: Duration = Duration::from_secs(3);

/// The interleaved ratios sdk / plain and sdk / untagged for decoding `body` as the three types.
fn ratios<Sdk, Plain, Untagged>(body: &[u8]) -> Vec<criterion_results::Ratio>
where
    Sdk: serde::de::DeserializeOwned,
    Plain: serde::de::DeserializeOwned,
    Untagged: serde::de::DeserializeOwned,
{
    criterion_results::interleaved(
        &mut [
            &mut || {
                black_box(serde_json::from_slice::<Sdk>(black_box(body)).unwrap());
            },
            &mut || {
                black_box(serde_json::from_slice::<Plain>(black_box(body)).unwrap());
            },
            &mut || {
                black_box(serde_json::from_slice::<Untagged>(black_box(body)).unwrap());
            },
        ],
        INTERLEAVED,
    )
}

fn main() {
    let results = criterion_results::Results::since_now();
    benches();
    Criterion::default().configure_from_args().final_summary();
    let baselines = ["plain", "untagged"];

    let mut rows = Vec::new();
    for (name, body) in bulk_operation_bodies() {
        if results.measured(BULK_OPERATION, "sdk", name) {
            let ratios = ratios::<
                BulkStatusEnvelope,
                PlainEnvelope<PlainBulkOperation>,
                PlainEnvelope<UntaggedBulkOperation>,
            >(&body);
            rows.push((name, ratios));
        }
    }
    results.print_table(BULK_OPERATION, "sdk", &baselines, &rows);

    let mut rows = Vec::new();
    for kind in ["ip", "redirect"] {
        if results.measured(ITEM_PAGE, "sdk", kind) {
            let body = item_page(kind);
            let ratios = ratios::<ItemListResponse, PlainItemPage, UntaggedItemPage>(&body);
            rows.push((kind, ratios));
        }
    }
    results.print_table(ITEM_PAGE, "sdk", &baselines, &rows);
}
