//! Runtime round 2 (issue 15), end to end against loopback servers: cleartext and redirect rules for credentials,
//! `retry-after` overflow, headers kept on decode errors, escaped server text, overall deadlines, the waiter's
//! timer, and calls, streams and operation handles that own their client (spawnable). The memory limits on
//! hostile bodies and long cursors are in `hostile_memory.rs`, alone in their binary so the measure is theirs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cloudflare_sdk::rules::lists::bulk_operations::{
    BulkOperationGetParams, BulkOperationGetResponse,
};
use cloudflare_sdk::rules::lists::items::{ItemCreateParams, ItemListParams};
use cloudflare_sdk::types::ListsItemInput;
use cloudflare_sdk::{Client, ClientBuilder, Error, Paginator, WaitOptions};
use futures_util::StreamExt;
use sdk_tests::{envelope, failure, Response, TestServer, ACCOUNT_ID, OPERATION_ID, TOKEN};
use serde_json::json;

const EMAIL: &str = "owner@example.com";
const KEY: &str = "c2547eb745079dac9320b638f5e225cf483cc5cfdda41";
const LIST_ID: &str = "2c0fc9fa937b11eaa1b71c4d701ab86e";

type Delays = Arc<Mutex<Vec<Duration>>>;

/// A builder pointed at `url` whose waits are recorded instead of slept.
fn recording(url: &str) -> (ClientBuilder, Delays) {
    let delays = Delays::default();
    let recorded = Arc::clone(&delays);
    let builder = Client::builder()
        .api_token(TOKEN)
        .base_url(url)
        .sleeper(move |delay| {
            recorded.lock().unwrap().push(delay);
            async {}
        });
    (builder, delays)
}

fn delays_of(delays: &Delays) -> Vec<Duration> {
    delays.lock().unwrap().clone()
}

fn params() -> BulkOperationGetParams {
    BulkOperationGetParams::new(ACCOUNT_ID)
}

fn status(status: &str) -> Response {
    let mut result = json!({ "id": OPERATION_ID, "status": status });
    if status == "completed" {
        result["completed"] = json!("2020-01-01T08:00:00Z");
    }
    Response::json(200, &envelope(result))
}

fn get_status(client: &Client) -> cloudflare_sdk::Call<BulkOperationGetResponse> {
    client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
}

const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "x-auth-email", "x-auth-key"];

// 1. Cleartext credentials.

#[tokio::test]
async fn plain_http_is_refused_for_a_host_that_is_not_loopback_unless_allowed() {
    let build = |url: &str| Client::builder().api_token(TOKEN).base_url(url).build();
    let err = build("http://api.cloudflare.com/client/v4").unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, Error::Config(_))
            && message.contains("`api.cloudflare.com`")
            && message.contains("cleartext"),
        "{message}"
    );
    assert!(!message.contains(TOKEN));
    let err = Client::builder()
        .api_email(EMAIL)
        .api_key(KEY)
        .base_url("http://192.0.2.10:8080")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("`192.0.2.10`"), "{err}");
    // The caller can opt in.
    Client::builder()
        .api_token(TOKEN)
        .base_url("http://192.0.2.10:8080")
        .allow_insecure_http(true)
        .build()
        .unwrap();

    // Loopback over plain http is fine without opting in, and is used.
    let server = TestServer::always(status("completed")).await;
    let client = build(&server.url().replace("127.0.0.1", "localhost")).unwrap();
    get_status(&client).await.unwrap();
    assert_eq!(server.request_count(), 1);
}

// 2. Credentials on redirects.

/// Server A (127.0.0.1) redirects every request to server B (127.0.0.2, another origin).
async fn redirecting_pair(status_code: u16) -> (TestServer, TestServer) {
    let target = TestServer::start_on("127.0.0.2", |_| status("completed")).await;
    let location = format!("{}/stolen", target.url());
    let origin =
        TestServer::start(move |_| Response::new(status_code, "").header("Location", &location))
            .await;
    (origin, target)
}

#[tokio::test]
async fn credentials_never_follow_a_redirect_to_another_origin() {
    for status_code in [301, 302, 303, 307, 308] {
        let (origin, target) = redirecting_pair(status_code).await;
        // The caller's builder asks for reqwest's default redirect policy, which follows any redirect and
        // keeps X-Auth-Email / X-Auth-Key; the SDK's rule applies anyway.
        let client = Client::builder()
            .api_email(EMAIL)
            .api_key(KEY)
            .base_url(origin.url())
            .http_client_builder(
                reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(10)),
            )
            .build()
            .unwrap();
        let err = get_status(&client).await.unwrap_err();
        assert_eq!(
            err.status().map(|s| s.as_u16()),
            Some(status_code),
            "{err:?}"
        );
        assert_eq!(origin.request_count(), 1);
        let request = origin.single_request();
        assert_eq!(request.header("x-auth-key"), Some(KEY));
        for request in target.requests() {
            for name in CREDENTIAL_HEADERS {
                assert!(
                    !request.has_header(name),
                    "{status_code}: {name} reached 127.0.0.2"
                );
            }
        }
        assert_eq!(target.request_count(), 0, "{status_code}");
    }

    // The same with the default HTTP client and a token.
    let (origin, target) = redirecting_pair(307).await;
    let client = Client::builder()
        .api_token(TOKEN)
        .base_url(origin.url())
        .build()
        .unwrap();
    assert!(get_status(&client).await.is_err());
    assert_eq!(target.request_count(), 0);
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_with_credentials() {
    let server = TestServer::start(|request| {
        if request.target.starts_with("/moved") {
            status("completed")
        } else {
            Response::new(307, "").header("Location", "/moved")
        }
    })
    .await;
    let client = Client::builder()
        .api_email(EMAIL)
        .api_key(KEY)
        .base_url(server.url())
        .http_client_builder(reqwest::Client::builder())
        .build()
        .unwrap();
    get_status(&client).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].target, "/moved");
    assert_eq!(requests[1].header("x-auth-key"), Some(KEY));
}

// 5. Retry-After overflow.

#[tokio::test]
async fn a_retry_after_too_large_to_represent_returns_at_once() {
    for value in ["1e20", "1e400", "99999999999999999999"] {
        let server = TestServer::with_responses([
            Response::json(429, &failure(10100, "rate limited")).header("Retry-After", value),
            status("completed"),
        ])
        .await;
        let (builder, delays) = recording(&server.url());
        let client = builder.build().unwrap();
        let err = get_status(&client).await.unwrap_err();
        assert!(err.is_rate_limited(), "{err:?}");
        assert_eq!(err.retry_after(), Some(Duration::MAX), "{value}");
        assert_eq!(err.attempts(), Some(1));
        assert!(
            delays_of(&delays).is_empty(),
            "{value}: {:?}",
            delays_of(&delays)
        );
        assert_eq!(server.request_count(), 1, "{value}");
    }
}

// 6. Decode errors keep the headers.

#[tokio::test]
async fn an_html_429_from_the_edge_keeps_retry_after_rate_limits_and_cf_ray() {
    let page = Response::raw(
        429,
        "text/html",
        "<html>\n<h1>429 Too Many Requests</h1>\n</html>",
    )
    .header("Retry-After", "120")
    .header("Ratelimit", "\"default\";r=0;t=120")
    .header("CF-RAY", "8f1e2d3c4b5a6978-AMS");
    let server = TestServer::with_responses([page, status("completed")]).await;
    let (builder, delays) = recording(&server.url());
    let client = builder.build().unwrap();
    let err = get_status(&client).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(err.cf_ray(), Some("8f1e2d3c4b5a6978-AMS"));
    let headers = err.headers().expect("the response's headers");
    assert_eq!(headers["ratelimit"], "\"default\";r=0;t=120");
    assert!(err.is_rate_limited() && err.is_retryable());
    // Longer than the 60 s cap: returned at once.
    assert!(delays_of(&delays).is_empty());
    assert_eq!(server.request_count(), 1);
    // Debug shows header names only.
    let debug = format!("{err:?}");
    assert!(
        debug.contains("ratelimit") && !debug.contains("r=0;t=120"),
        "{debug}"
    );

    // Within the cap, the wait the page asked for is the one slept, and the server's x-should-retry counts.
    let server = TestServer::with_responses([
        Response::raw(503, "text/html", "<html>down</html>").header("Retry-After", "7"),
        status("completed"),
    ])
    .await;
    let (builder, delays) = recording(&server.url());
    get_status(&builder.build().unwrap()).await.unwrap();
    assert_eq!(delays_of(&delays), [Duration::from_secs(7)]);
    let server = TestServer::always(
        Response::raw(503, "text/html", "<html>down</html>").header("X-Should-Retry", "false"),
    )
    .await;
    let (builder, _) = recording(&server.url());
    let err = get_status(&builder.build().unwrap()).await.unwrap_err();
    assert!(!err.is_retryable(), "{err:?}");
    assert_eq!(server.request_count(), 1);
}

// 7. Log forging.

#[tokio::test]
async fn server_text_cannot_forge_log_lines() {
    let forged = "bad request\n2024-01-01T00:00:00Z INFO login ok user=admin\r\u{1b}[2K";
    let server = TestServer::with_responses([
        Response::json(400, &failure(1000, forged)),
        Response::raw(502, "text/html", format!("<html>\n{forged}</html>")),
    ])
    .await;
    let client = sdk_tests::client(&server);
    let api = get_status(&client).await.unwrap_err();
    assert_eq!(
        api.api_error().unwrap().errors[0].message,
        forged,
        "kept as sent"
    );
    let decode = get_status(&client).max_retries(0).await.unwrap_err();
    assert_eq!(decode.status().map(|s| s.as_u16()), Some(502));
    for err in [api, decode] {
        let line = err.to_string();
        assert!(!line.contains(['\n', '\r', '\u{1b}']), "{line:?}");
        assert!(line.contains("bad request\\n2024-01-01"), "{line}");
    }
}

// 8. An overall deadline.

#[tokio::test]
async fn total_timeout_bounds_every_attempt_and_every_wait() {
    // A server that never answers: one attempt, cut at the deadline, and no retry after it.
    let server = TestServer::always(Response::never()).await;
    let client = Client::builder()
        .api_token(TOKEN)
        .base_url(server.url())
        .timeout(Duration::from_secs(30))
        .total_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = get_status(&client).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.request_count(), 1);

    // Per call, over the client's (none here).
    let client = sdk_tests::client(&server);
    let started = Instant::now();
    let err = get_status(&client)
        .total_timeout(Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // A retry whose wait would end past the deadline is not waited for.
    let server = TestServer::with_responses([
        Response::json(503, &failure(10000, "unavailable")).header("Retry-After", "5"),
        status("completed"),
    ])
    .await;
    let (builder, delays) = recording(&server.url());
    let client = builder
        .total_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let err = get_status(&client).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(delays_of(&delays).is_empty());
    assert_eq!(server.request_count(), 1);
    // Within it, the retry is made.
    let server = TestServer::with_responses([
        Response::json(503, &failure(10000, "unavailable")).header("Retry-After", "1"),
        status("completed"),
    ])
    .await;
    let (builder, delays) = recording(&server.url());
    let client = builder
        .total_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    get_status(&client).await.unwrap();
    assert_eq!(delays_of(&delays), [Duration::from_secs(1)]);
}

#[tokio::test]
async fn a_wait_deadline_cuts_the_poll_in_flight() {
    let server = TestServer::with_responses([status("pending"), Response::never()]).await;
    let client = sdk_tests::client(&server);
    let options = WaitOptions::new()
        .interval(Duration::from_millis(10))
        .deadline(Duration::from_millis(400));
    let started = Instant::now();
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        client
            .rules()
            .lists()
            .bulk_operations()
            .wait_with(OPERATION_ID, &params(), &options),
    )
    .await
    .expect("the deadline ends the wait, not the 60 s attempt timeout");
    match outcome {
        Err(Error::WaitTimeout { last_status, .. }) => {
            assert_eq!(last_status.as_deref(), Some("pending"))
        }
        other => panic!("expected WaitTimeout, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn a_wait_that_no_poll_answered_says_so() {
    let server = TestServer::always(Response::never()).await;
    let client = sdk_tests::client(&server);
    let options = WaitOptions::new().deadline(Duration::from_millis(300));
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        client
            .rules()
            .lists()
            .bulk_operations()
            .wait_with(OPERATION_ID, &params(), &options),
    )
    .await
    .expect("the deadline ends the wait");
    let err = outcome.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::WaitTimeout {
                last_status: None,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.ends_with("; no poll answered before the deadline"),
        "{message}"
    );
    assert_eq!(server.request_count(), 1);
}

// A URL longer than HTTP can carry.

#[tokio::test]
async fn a_url_too_long_to_send_is_refused_at_once_and_never_retried() {
    let server = TestServer::always(Response::json(200, &envelope(json!([])))).await;
    let (builder, delays) = recording(&server.url());
    let client = builder.build().unwrap();
    let params = ItemListParams::new(ACCOUNT_ID).with_search("a".repeat(70_000));
    let err = client
        .rules()
        .lists()
        .items()
        .list_page(LIST_ID, &params)
        .await
        .unwrap_err();
    match &err {
        Error::UrlTooLong {
            operation, length, ..
        } => {
            assert_eq!(*operation, "lists-get-list-items");
            assert!(*length > 70_000, "{length}");
        }
        other => panic!("expected UrlTooLong, got {other:?}"),
    }
    assert!(!err.is_retryable());
    let message = err.to_string();
    assert!(
        message.contains("request URL") && !message.contains("aaaa"),
        "{message}"
    );
    assert!(delays_of(&delays).is_empty(), "{:?}", delays_of(&delays));
    assert_eq!(server.request_count(), 0);
    // Just under the limit, it is sent.
    let params = params.with_search("a".repeat(60_000));
    client
        .rules()
        .lists()
        .items()
        .list_page(LIST_ID, &params)
        .await
        .unwrap();
    assert_eq!(server.request_count(), 1);
}

// 9. The waiter uses the client's sleeper.

#[tokio::test]
async fn waiting_sleeps_through_the_clients_sleeper() {
    let server =
        TestServer::with_responses([status("pending"), status("running"), status("completed")])
            .await;
    let (builder, delays) = recording(&server.url());
    let client = builder.build().unwrap();
    let options = WaitOptions::new()
        .interval(Duration::from_secs(10))
        .max_interval(Duration::from_secs(20));
    let done = tokio::time::timeout(
        Duration::from_secs(5),
        client
            .rules()
            .lists()
            .bulk_operations()
            .wait_with(OPERATION_ID, &params(), &options),
    )
    .await
    .expect("recorded pauses return at once")
    .unwrap();
    assert_eq!(done.id, OPERATION_ID);
    let delays = delays_of(&delays);
    assert_eq!(delays.len(), 2, "{delays:?}");
    assert!(
        delays[0] <= Duration::from_secs(10) && delays[0] >= Duration::from_secs(9),
        "{delays:?}"
    );
    assert!(
        delays[1] <= Duration::from_secs(20) && delays[1] >= Duration::from_secs(18),
        "{delays:?}"
    );
    assert_eq!(server.request_count(), 3);
}

// Spawnable calls.

#[tokio::test]
async fn a_call_outlives_its_client_and_can_be_spawned() {
    let server = TestServer::always(status("completed")).await;
    let client = sdk_tests::client(&server);
    let call = get_status(&client).max_retries(0);
    drop(client);
    let value = tokio::spawn(call.send()).await.unwrap().unwrap();
    assert!(
        matches!(value, BulkOperationGetResponse::Completed(_)),
        "{value:?}"
    );
    // `.await` on the call itself is spawnable too, and the params it was built from (and the id they
    // borrowed) can go before it is sent: the call copied what it needs.
    let client = sdk_tests::client(&server);
    let account_id = String::from(ACCOUNT_ID);
    let params = BulkOperationGetParams::new(&account_id);
    let call = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params);
    drop((client, params, account_id));
    tokio::spawn(async move { call.await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(server.request_count(), 2);
}

/// Returned from a function: the stream owns its client.
fn every_item(client: &Client) -> Paginator<cloudflare_sdk::types::ListsItem> {
    let params = ItemListParams::new(ACCOUNT_ID);
    client.rules().lists().items().list(LIST_ID, &params)
}

#[tokio::test]
async fn streams_and_operation_handles_are_static_and_spawnable() {
    let server = TestServer::start(|request| {
        if request.target.contains("bulk_operations") {
            status("completed")
        } else if request.method == "POST" {
            Response::json(200, &envelope(json!({ "operation_id": OPERATION_ID })))
        } else if request.target.contains("cursor=next") {
            Response::json(
                200,
                &json!({ "success": true, "errors": [], "messages": [],
                         "result": [{ "id": "b", "ip": "10.0.0.2", "created_on": "2020-01-01T00:00:00Z",
                                      "modified_on": "2020-01-01T00:00:00Z" }] }),
            )
        } else {
            Response::json(
                200,
                &json!({ "success": true, "errors": [], "messages": [],
                         "result": [{ "id": "a", "ip": "10.0.0.1", "created_on": "2020-01-01T00:00:00Z",
                                      "modified_on": "2020-01-01T00:00:00Z" }],
                         "result_info": { "cursors": { "after": "next" } } }),
            )
        }
    })
    .await;
    let client = sdk_tests::client(&server);
    let stream = every_item(&client);
    let operation = client
        .rules()
        .lists()
        .items()
        .create(
            LIST_ID,
            &ItemCreateParams::new(ACCOUNT_ID, vec![ListsItemInput::ip("10.0.0.3")]),
        )
        .await
        .unwrap();
    drop(client);
    let items = tokio::spawn(stream.collect::<Vec<_>>()).await.unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items.iter().all(Result::is_ok), "{items:?}");
    let done = tokio::spawn(operation.wait()).await.unwrap().unwrap();
    assert_eq!(done.id, OPERATION_ID);
    assert_eq!(operation.id(), OPERATION_ID);
}

#[test]
fn reqwest_is_re_exported_for_the_types_in_the_api() {
    let status: cloudflare_sdk::reqwest::StatusCode = reqwest::StatusCode::OK;
    assert_eq!(status.as_u16(), 200);
    let _builder: cloudflare_sdk::reqwest::ClientBuilder =
        cloudflare_sdk::reqwest::Client::builder();
}

// 10. Small items, checked on the crate as generated.

#[test]
fn the_crate_forbids_unsafe_and_declares_its_real_msrv_and_native_roots() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated");
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    assert!(lib.contains("#![forbid(unsafe_code)]"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("rust-version = \"1.88\""), "{manifest}");
    assert!(
        manifest.contains("native-roots = [\"reqwest/rustls-tls-native-roots\"]"),
        "{manifest}"
    );
}

#[test]
fn builder_debug_masks_the_email() {
    let builder = Client::builder().api_email(EMAIL).api_key(KEY);
    let debug = format!("{builder:?}");
    assert!(!debug.contains(EMAIL) && !debug.contains(KEY), "{debug}");
    assert!(debug.contains("o***@example.com"), "{debug}");
}
