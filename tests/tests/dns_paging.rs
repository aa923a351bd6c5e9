//! Paging by page number, end to end: the SDK's `dns_records().list(..)` stream against a stateful DNS
//! records server on loopback. And arguments that break the spec's constraints, rejected before anything is
//! sent.

use cloudflare_sdk::dns_records::{DnsRecordCreateParams, DnsRecordListParams};
use cloudflare_sdk::snippets::SnippetGetParams;
use cloudflare_sdk::types::{
    DnsRecordsARecordInput, DnsRecordsARecordType, DnsRecordsDnsRecord, DnsRecordsDnsRecordInput,
};
use cloudflare_sdk::{Error, Paginator};
use futures_util::StreamExt;
use sdk_tests::dns_server::{DnsRequest, DnsServer, DnsServerConfig};
use sdk_tests::{Response, TestServer, ACCOUNT_ID};

fn params(per_page: i64) -> DnsRecordListParams {
    DnsRecordListParams::new(ACCOUNT_ID).with_per_page(per_page)
}

/// Every item of the stream, or the first error with the items before it.
async fn drain(mut stream: Paginator<DnsRecordsDnsRecord>) -> (Vec<String>, Option<Error>) {
    let mut names = Vec::new();
    while let Some(record) = stream.next().await {
        match record {
            Ok(DnsRecordsDnsRecord::ARecord(a)) => names.push(a.name),
            Ok(other) => panic!("the server only has A records, got {other:?}"),
            Err(err) => return (names, Some(err)),
        }
    }
    (names, None)
}

fn names(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|n| format!("record-{n}.example.com")).collect()
}

/// The `page` each listing request asked for (`None`: the caller's parameters, which give none).
fn pages_asked(requests: &[DnsRequest]) -> Vec<Option<u64>> {
    requests
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.query.get("page").map(|p| p.parse().unwrap()))
        .collect()
}

async fn server_with(records: usize, config: DnsServerConfig) -> DnsServer {
    let server = DnsServer::start(config).await;
    server.add_a_records(records);
    server
}

#[tokio::test]
async fn all_2500_records_arrive_once_in_order_in_25_requests() {
    let server = server_with(2500, DnsServerConfig::default()).await;
    let stream = server.client().dns_records().list(&params(100));
    let (got, error) = drain(stream).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got, names(0..2500));
    let requests = server.requests();
    assert_eq!(requests.len(), 25, "{requests:?}");
    let mut expected = vec![None];
    expected.extend((2..=25).map(Some));
    assert_eq!(pages_asked(&requests), expected);
    assert!(requests
        .iter()
        .all(|r| r.query.get("per_page").map(String::as_str) == Some("100")));
}

#[tokio::test]
async fn without_total_pages_the_count_ends_the_stream_and_without_either_an_empty_page() {
    // `total_count` alone: everything has arrived after page 25.
    let config = DnsServerConfig {
        total_pages: false,
        ..DnsServerConfig::default()
    };
    let server = server_with(2500, config).await;
    let (got, error) = drain(server.client().dns_records().list(&params(100))).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got, names(0..2500));
    assert_eq!(server.requests().len(), 25);

    // Neither total: the stream asks for page 26, finds it empty and ends cleanly.
    let config = DnsServerConfig {
        total_pages: false,
        total_count: false,
        ..DnsServerConfig::default()
    };
    let server = server_with(2450, config).await;
    let (got, error) = drain(server.client().dns_records().list(&params(100))).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got, names(0..2450));
    assert_eq!(pages_asked(&server.requests()).last(), Some(&Some(26)));
}

#[tokio::test]
async fn a_server_that_repeats_a_page_is_an_error_not_a_loop_nor_duplicates() {
    let config = DnsServerConfig {
        ignore_page: true,
        ..DnsServerConfig::default()
    };
    let server = server_with(250, config).await;
    let (got, error) = drain(server.client().dns_records().list(&params(100))).await;
    // Page 1 once; page 2 is page 1 again: not yielded, the stream fails and stops.
    assert_eq!(got, names(0..100));
    match error {
        Some(Error::RepeatedPage {
            operation,
            page,
            pages,
        }) => {
            assert_eq!(operation, "dns-records-for-a-zone-list-dns-records");
            assert_eq!((page, pages), (2, 2));
        }
        other => panic!("expected RepeatedPage, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn max_pages_and_a_starting_page_apply_to_numbered_pages() {
    let server = server_with(1000, DnsServerConfig::default()).await;
    let mut stream = server
        .client()
        .dns_records()
        .list(&params(100))
        .max_pages(3);
    let mut count = 0;
    while let Some(record) = stream.next().await {
        record.unwrap();
        count += 1;
    }
    assert_eq!(count, 300);
    assert!(stream.stopped_at_max_pages());
    assert_eq!(server.requests().len(), 3);

    // Starting at page 9 of 10: two pages, the second asked for as page 10.
    let server = server_with(1000, DnsServerConfig::default()).await;
    let from_nine = params(100).with_page(9);
    let (got, error) = drain(server.client().dns_records().list(&from_nine)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got, names(800..1000));
    assert_eq!(pages_asked(&server.requests()), [Some(9), Some(10)]);
}

#[tokio::test]
async fn a_created_record_is_listed_after_the_others() {
    let server = server_with(150, DnsServerConfig::default()).await;
    let records = server.client().dns_records();
    records
        .create(&DnsRecordCreateParams::new(
            ACCOUNT_ID,
            DnsRecordsDnsRecordInput::ARecordInput(
                DnsRecordsARecordInput::new(
                    "198.51.100.4",
                    "new.example.com",
                    DnsRecordsARecordType::A,
                )
                .with_proxied(true),
            ),
        ))
        .await
        .unwrap();
    let (got, error) = drain(records.list(&params(100))).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got.len(), 151);
    assert_eq!(got.last().map(String::as_str), Some("new.example.com"));
}

/// A server that counts requests and answers none of them usefully: a call that reaches it fails the test.
async fn counting_server() -> TestServer {
    TestServer::start(|_| Response::json(500, &serde_json::json!({"unexpected": true}))).await
}

#[tokio::test]
async fn arguments_out_of_bounds_are_rejected_before_anything_is_sent() {
    let server = counting_server().await;
    // The credentials DNS record calls accept, so that only the arguments can stop the call.
    let client = cloudflare_sdk::Client::builder()
        .api_email("user@example.com")
        .api_key("144c9defac04969c7bfad8efaa8ea194")
        .base_url(server.url())
        .build()
        .unwrap();
    let records = client.dns_records();
    for (per_page, reason) in [
        (0, "must be at least 1, got 0"),
        (5_000_001, "must be at most 5000000, got 5000001"),
    ] {
        match records.list_page(&params(per_page)).await {
            Err(Error::InvalidArgument {
                parameter,
                reason: why,
            }) => assert_eq!((parameter, why.as_str()), ("per_page", reason)),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }
    // The stream fails the same way on its first page, and sends nothing either.
    let bad_page = params(100).with_page(0);
    let (got, error) = drain(records.list(&bad_page)).await;
    assert!(got.is_empty());
    assert!(
        matches!(&error, Some(Error::InvalidArgument { parameter: "page", reason }) if reason == "must be at least 1, got 0"),
        "{error:?}"
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn arguments_that_break_their_pattern_are_rejected_before_anything_is_sent() {
    let server = counting_server().await;
    let client = sdk_tests::client(&server);
    let params = SnippetGetParams::new(ACCOUNT_ID);
    match client.snippets().get("not a snippet name!", &params).await {
        Err(Error::InvalidArgument { parameter, reason }) => {
            assert_eq!(parameter, "snippet_name");
            assert!(reason.starts_with("must match the pattern `"), "{reason}");
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}
