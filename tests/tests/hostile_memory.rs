//! Peak memory on hostile input, measured as the process's peak resident set (`VmHWM`, reset through
//! `/proc/self/clear_refs` before each measure). Alone in its test binary, with one test, so that nothing else
//! runs in the process while it measures. Linux only.
//!
//! - An error body of 16 MiB that is `{"success":false,"errors":[0,0,0,...]}` (8 million entries): the SDK used to
//!   build a `serde_json::Value` tree of it and an `ApiMessage` per entry, about 1 GiB. Now it keeps 100
//!   entries and the count, so the peak is the body itself, held by the server and the client.
//! - A listing of 512 pages whose cursors are 48 KiB each: the paginator used to keep every cursor it had
//!   followed (24 MiB); now it keeps 16-byte hashes.

#![cfg(target_os = "linux")]

use cloudflare_sdk::rules::lists::bulk_operations::BulkOperationGetParams;
use cloudflare_sdk::rules::lists::items::ItemListParams;
use futures_util::StreamExt;
use sdk_tests::{Response, TestServer, ACCOUNT_ID, OPERATION_ID};

const MIB: u64 = 1 << 20;

/// A `kB` field of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|line| line.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    let kib: u64 = line
        .trim_start_matches(field)
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .expect("a number of kB");
    kib * 1024
}

/// Resets the peak to the current resident set and returns it.
fn reset_peak() -> u64 {
    std::fs::write("/proc/self/clear_refs", "5")
        .expect("reset the peak through /proc/self/clear_refs");
    status_bytes("VmHWM:")
}

/// How far the peak rose above `start`.
fn peak_growth(start: u64) -> u64 {
    status_bytes("VmHWM:").saturating_sub(start)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_and_long_cursors_cost_bounded_memory() {
    // 1. A 16 MiB list of errors.
    const BODY: usize = 16 << 20;
    let prefix = br#"{"success":false,"errors":["#;
    let suffix = br#"0],"messages":[]}"#;
    let mut body = Vec::with_capacity(BODY);
    body.extend_from_slice(prefix);
    while body.len() + 2 + suffix.len() <= BODY {
        body.extend_from_slice(b"0,");
    }
    body.extend_from_slice(suffix);
    let entries = (body.len() - prefix.len() - suffix.len()) / 2 + 1;
    let server = TestServer::always(
        Response::raw(400, "application/json", body).header("X-Should-Retry", "false"),
    )
    .await;
    let client = sdk_tests::client(&server);
    let start = reset_peak();
    let err = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &BulkOperationGetParams::new(ACCOUNT_ID))
        .await
        .unwrap_err();
    let grew = peak_growth(start);
    eprintln!("error body: peak grew by {} MiB", grew / MIB);
    let api = err.api_error().expect("an API error");
    assert_eq!(api.errors.len(), 100);
    assert_eq!(api.errors_total(), entries);
    assert_eq!(server.request_count(), 1);
    // The server's copy and the one on the wire, the client's buffer: a few times the body, never a tree.
    assert!(
        grew < 6 * BODY as u64,
        "peak grew by {} MiB for a {} MiB error body",
        grew / MIB,
        BODY as u64 / MIB
    );
    drop(server);

    // 2. 512 pages with 48 KiB cursors.
    const PAGES: usize = 512;
    // A URI is at most 64 KiB long.
    const CURSOR: usize = 48 << 10;
    let server = TestServer::start(move |request| {
        let page = request
            .target
            .split_once("cursor=p")
            .map_or(0, |(_, rest)| {
                rest.split(['x', '&'])
                    .next()
                    .unwrap_or("0")
                    .parse::<usize>()
                    .unwrap_or(0)
            })
            + 1;
        let after = if page < PAGES {
            // Different for every page, and long.
            format!("p{page}{}", "x".repeat(CURSOR))
        } else {
            String::new()
        };
        Response::json(
            200,
            &serde_json::json!({
                "success": true, "errors": [], "messages": [], "result": [],
                "result_info": { "cursors": { "after": after } },
            }),
        )
    })
    .await;
    // The server's record of requests would hold every cursor otherwise.
    server.record_targets_up_to(256);
    let client = sdk_tests::client(&server);
    let params = ItemListParams::new(ACCOUNT_ID);
    let start = reset_peak();
    let mut stream = client
        .rules()
        .lists()
        .items()
        .list("2c0fc9fa937b11eaa1b71c4d701ab86e", &params);
    while let Some(item) = stream.next().await {
        item.unwrap();
    }
    let grew = peak_growth(start);
    eprintln!("long cursors: peak grew by {} MiB", grew / MIB);
    assert_eq!(stream.pages_fetched(), PAGES);
    assert_eq!(server.request_count(), PAGES);
    let kept = (PAGES * CURSOR) as u64;
    assert!(
        grew < kept / 2,
        "peak grew by {} MiB over {PAGES} pages with {} KiB cursors ({} MiB if they were kept)",
        grew / MIB,
        CURSOR / 1024,
        kept / MIB
    );
}
