//! Memory while paging through 100,000 list items (not a criterion bench: it prints one table).
//!
//! A Lists server on loopback holds one list of 100,000 IP items, filled through the SDK. The SDK's cursor
//! `Stream` (`client.rules().lists().items().list(..)`, `per_page` 500) is read item by item and each item
//! dropped; the baseline collects the same stream into a `Vec`. A counting global allocator tracks live heap
//! bytes; at 1k, 10k, 50k and 100k items the table shows the high-water mark of live bytes above where the run
//! started (the server's lists live in the same process but are there before the run starts, so only what the
//! run allocates counts), and the process's resident set (VmRSS) growth since the start.
//!
//! BENCHMARKS.md has the numbers. Run alone: `cargo bench -p sdk-tests --bench paging_memory`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cloudflare_sdk::rules::lists::items::{ItemCreateParams, ItemListParams};
use cloudflare_sdk::rules::lists::ListCreateParams;
use cloudflare_sdk::types::{ListsItem, ListsItemInput, ListsKind};
use cloudflare_sdk::{Client, WaitOptions};
use futures_util::StreamExt;
use sdk_tests::lists_server::{ListsServer, ListsServerConfig};
use sdk_tests::{ACCOUNT_ID, TOKEN};

/// The system allocator, counting live bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[path = "support/criterion_results.rs"]
mod criterion_results;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ITEMS: usize = 100_000;
const PER_PAGE: i64 = 500;
const CHECKPOINTS: [usize; 4] = [1_000, 10_000, 50_000, 100_000];

/// Resident set size of this process in bytes (Linux; `None` elsewhere).
fn rss_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn mib(bytes: usize) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// A measured run: the peak of live heap above its start, and RSS growth, at each checkpoint.
struct Run {
    start_live: usize,
    start_rss: Option<usize>,
    rows: Vec<(usize, usize, Option<usize>)>,
}

impl Run {
    fn start() -> Self {
        let start_live = LIVE.load(Ordering::Relaxed);
        PEAK.store(start_live, Ordering::Relaxed);
        Self {
            start_live,
            start_rss: rss_bytes(),
            rows: Vec::new(),
        }
    }

    fn checkpoint(&mut self, items: usize) {
        if CHECKPOINTS.contains(&items) {
            let peak = PEAK.load(Ordering::Relaxed).saturating_sub(self.start_live);
            let rss = rss_bytes()
                .zip(self.start_rss)
                .map(|(now, start)| now.saturating_sub(start));
            self.rows.push((items, peak, rss));
        }
    }
}

fn ip(n: usize) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

/// Creates an IP list and fills it with `ITEMS` items through the SDK, in bulk operations of 10,000.
async fn fill(client: &Client) -> String {
    let list = client
        .rules()
        .lists()
        .create(&ListCreateParams::new(
            ACCOUNT_ID,
            cloudflare_sdk::rules::lists::ListCreateBody::new(ListsKind::Ip, "paging_memory"),
        ))
        .await
        .expect("create list");
    let list_id = list.id.expect("list id");
    let quick = WaitOptions::new()
        .interval(Duration::from_millis(1))
        .max_interval(Duration::from_millis(5))
        .deadline(Duration::from_secs(120));
    for chunk in 0..ITEMS / 10_000 {
        let body: Vec<_> = (chunk * 10_000..(chunk + 1) * 10_000)
            .map(|n| ListsItemInput::ip(ip(n)))
            .collect();
        let handle = client
            .rules()
            .lists()
            .items()
            .create(&list_id, &ItemCreateParams::new(ACCOUNT_ID, body))
            .await
            .expect("add items");
        handle.wait_with(&quick).await.expect("items added");
    }
    list_id
}

fn params() -> ItemListParams {
    ItemListParams::new(ACCOUNT_ID).with_per_page(PER_PAGE)
}

/// Streams every item, dropping each one after looking at it.
async fn stream(client: &Client, list_id: &str) -> Run {
    let mut run = Run::start();
    let mut items = client.rules().lists().items().list(list_id, &params());
    let mut count = 0;
    while let Some(item) = items.next().await {
        let item = item.expect("page");
        assert!(matches!(item, ListsItem::Ip(_)));
        count += 1;
        run.checkpoint(count);
    }
    assert_eq!(count, ITEMS);
    run
}

/// The baseline: the same stream collected into a `Vec`.
async fn collect(client: &Client, list_id: &str) -> Run {
    let mut run = Run::start();
    let mut items = client.rules().lists().items().list(list_id, &params());
    let mut all = Vec::new();
    while let Some(item) = items.next().await {
        all.push(item.expect("page"));
        run.checkpoint(all.len());
    }
    assert_eq!(all.len(), ITEMS);
    drop(all);
    run
}

fn main() {
    // `cargo bench` passes `--bench` and criterion's options; a filter naming another bench skips this one.
    if criterion_results::filtered_out("paging_memory") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async {
        let server = ListsServer::start(ListsServerConfig {
            max_items_per_list: ITEMS,
            polls_per_step: 0,
            ..ListsServerConfig::default()
        })
        .await;
        let client = Client::builder()
            .api_token(TOKEN)
            .base_url(server.base_url())
            .build()
            .expect("client");
        let started = Instant::now();
        let list_id = fill(&client).await;
        println!(
            "paging_memory: filled a list with {ITEMS} items in {:.1?}",
            started.elapsed()
        );
        // Both runs once before measuring, so lazily grown buffers (connection pool, server caches) are
        // there already and the two measured runs start from the same state.
        stream(&client, &list_id).await;
        collect(&client, &list_id).await;
        server.clear_requests();

        let started = Instant::now();
        let streamed = stream(&client, &list_id).await;
        let stream_time = started.elapsed();
        server.clear_requests();
        let started = Instant::now();
        let collected = collect(&client, &list_id).await;
        let collect_time = started.elapsed();

        println!(
            "\npaging_memory: {ITEMS} items, per_page {PER_PAGE}: stream {stream_time:.1?}, collect {collect_time:.1?}"
        );
        println!("\n| items read | stream: peak live heap | collect into Vec: peak live heap | stream / collect | stream: RSS growth | collect: RSS growth |");
        println!("|---:|---:|---:|---:|---:|---:|");
        for (s, c) in streamed.rows.iter().zip(&collected.rows) {
            let rss = |r: Option<usize>| r.map_or("-".to_owned(), mib);
            println!(
                "| {} | {} | {} | {:.2} | {} | {} |",
                s.0,
                mib(s.1),
                mib(c.1),
                s.1 as f64 / c.1 as f64,
                rss(s.2),
                rss(c.2),
            );
        }
    });
}
