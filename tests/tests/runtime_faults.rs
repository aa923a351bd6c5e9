//! Retries, timeouts and bad responses, end to end against the fault-injecting loopback server. Waits between
//! attempts go through an injected sleeper that records them and returns at once, so the suite asserts the
//! exact delays (e.g. `retry-after: 3` is a 3 s wait) while taking milliseconds. Every test asserts how many
//! requests reached the server.

use std::time::{Duration, Instant};

use cloudflare_sdk::rules::lists::bulk_operations::{
    BulkOperationGetParams, BulkOperationGetResponse,
};
use cloudflare_sdk::rules::lists::{ListCreateBody, ListCreateParams};
use cloudflare_sdk::types::ListsKind;
use cloudflare_sdk::{Client, Error};
use sdk_tests::server::Fault;
use sdk_tests::{
    delays_of, envelope, failure, recording, Delays, Response, TestServer, ACCOUNT_ID,
    OPERATION_ID, TOKEN,
};
use serde_json::json;

fn recording_client(server: &TestServer) -> (Client, Delays) {
    let (builder, delays) = recording(&server.url());
    (builder.build().unwrap(), delays)
}

fn params() -> BulkOperationGetParams {
    BulkOperationGetParams::new(ACCOUNT_ID)
}

fn completed() -> Response {
    Response::json(
        200,
        &envelope(json!({
            "id": OPERATION_ID,
            "status": "completed",
            "completed": "2020-01-01T08:00:00Z",
        })),
    )
}

fn unavailable() -> Response {
    Response::json(503, &failure(10000, "temporarily unavailable"))
}

fn created_list() -> Response {
    Response::json(
        200,
        &envelope(json!({ "id": "2c0fc9fa937b11eaa1b71c4d701ab86e", "name": "a" })),
    )
}

fn create_params() -> ListCreateParams {
    ListCreateParams::new(ACCOUNT_ID, ListCreateBody::new(ListsKind::Ip, "a"))
}

fn retry_counts(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|request| {
            request
                .header("x-cloudflare-sdk-retry-count")
                .expect("every attempt says its number")
                .to_owned()
        })
        .collect()
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

#[tokio::test]
async fn two_503s_then_200_succeeds_on_the_third_attempt() {
    let server = TestServer::with_responses([unavailable(), unavailable(), completed()]).await;
    let (client, delays) = recording_client(&server);
    let response = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .send_with_response()
        .await
        .expect("the third attempt succeeds");
    assert!(matches!(
        response.value(),
        BulkOperationGetResponse::Completed(_)
    ));
    assert_eq!(response.attempts(), 3);
    assert_eq!(server.request_count(), 3);
    assert_eq!(retry_counts(&server), ["0", "1", "2"]);
    // Exponential backoff from 0.5 s, each wait shortened by up to 25% of jitter.
    let waited = delays_of(&delays);
    assert_eq!(waited.len(), 2, "{waited:?}");
    assert!(ms(375) <= waited[0] && waited[0] <= ms(500), "{waited:?}");
    assert!(ms(750) <= waited[1] && waited[1] <= ms(1000), "{waited:?}");
}

#[tokio::test]
async fn retryable_statuses_are_408_409_429_and_5xx() {
    let server = TestServer::with_responses([
        Response::json(408, &failure(1, "timeout")),
        Response::json(409, &failure(2, "conflict")),
        Response::json(429, &failure(3, "slow down")),
        Response::raw(502, "text/html", "<html>bad gateway</html>"),
        Response::raw(504, "text/plain", "gateway timeout"),
        completed(),
    ])
    .await;
    let (client, delays) = recording_client(&server);
    let value = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .max_retries(5)
        .await
        .unwrap();
    assert!(matches!(value, BulkOperationGetResponse::Completed(_)));
    assert_eq!(server.request_count(), 6);
    // 0.5, 1, 2, 4, 8 s, less the jitter; the cap is 8 s.
    let waited = delays_of(&delays);
    assert_eq!(waited.len(), 5);
    assert!(waited[4] > ms(5999) && waited[4] <= ms(8000), "{waited:?}");

    // Other 4xx are answers, not accidents.
    let server =
        TestServer::with_responses([Response::json(400, &failure(1, "bad")), completed()]).await;
    let (client, delays) = recording_client(&server);
    let err = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert!(!err.is_retryable());
    assert_eq!(server.request_count(), 1);
    assert!(delays_of(&delays).is_empty());
}

#[tokio::test]
async fn a_429_with_retry_after_waits_as_told() {
    let server = TestServer::with_responses([
        Response::json(429, &failure(10100, "rate limited")).header("Retry-After", "3"),
        completed(),
    ])
    .await;
    let (client, delays) = recording_client(&server);
    let started = Instant::now();
    let response = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(response.attempts(), 2);
    assert_eq!(
        delays_of(&delays),
        [Duration::from_secs(3)],
        "no jitter on a wait the server asked for"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the injected sleeper did not sleep"
    );
    assert_eq!(server.request_count(), 2);
    assert_eq!(retry_counts(&server), ["0", "1"]);
}

#[tokio::test]
async fn retry_after_ms_comes_first_and_http_dates_are_understood() {
    let in_five_seconds = time::OffsetDateTime::now_utc() + time::Duration::seconds(5);
    let t = in_five_seconds;
    let http_date = format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        &t.weekday().to_string()[..3],
        t.day(),
        &t.month().to_string()[..3],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let server = TestServer::with_responses([
        unavailable()
            .header("Retry-After-Ms", "1500")
            .header("Retry-After", "9"),
        unavailable().header("Retry-After", &http_date),
        completed(),
    ])
    .await;
    let (client, delays) = recording_client(&server);
    client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .await
        .unwrap();
    let waited = delays_of(&delays);
    assert_eq!(waited[0], ms(1500));
    // Whole seconds on the wire: between 4 and 5 s from now.
    assert!(
        Duration::from_secs(3) <= waited[1] && waited[1] <= Duration::from_secs(5),
        "{waited:?} for {http_date}"
    );
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn a_wait_longer_than_the_cap_is_not_slept_through() {
    let rate_limited = Response::json(429, &failure(10100, "rate limited"))
        .header("Retry-After", "120")
        .header("Ratelimit", "\"default\";r=0;t=120");
    let server = TestServer::with_responses([rate_limited.clone(), completed()]).await;
    let (client, delays) = recording_client(&server);
    let err = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .await
        .unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(err.attempts(), Some(1));
    let api = err.api_error().unwrap();
    assert_eq!(api.headers()["ratelimit"], "\"default\";r=0;t=120");
    assert!(delays_of(&delays).is_empty());
    assert_eq!(server.request_count(), 1);

    // A higher cap honours it.
    let server = TestServer::with_responses([rate_limited, completed()]).await;
    let (builder, delays) = recording(&server.url());
    let client = builder
        .max_retry_after(Duration::from_secs(300))
        .build()
        .unwrap();
    client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .await
        .unwrap();
    assert_eq!(delays_of(&delays), [Duration::from_secs(120)]);
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn x_should_retry_false_stops_at_one_attempt() {
    let server =
        TestServer::with_responses([unavailable().header("X-Should-Retry", "false"), completed()])
            .await;
    let (client, delays) = recording_client(&server);
    let err = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.attempts(), Some(1));
    assert!(!err.is_retryable());
    assert!(delays_of(&delays).is_empty());
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_post_answered_500_is_not_retried_by_default() {
    let server = TestServer::with_responses([
        Response::json(500, &failure(10001, "internal error")),
        created_list(),
    ])
    .await;
    let (client, delays) = recording_client(&server);
    let err = client
        .rules()
        .lists()
        .create(&create_params())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(err.attempts(), Some(1));
    assert!(
        err.is_retryable(),
        "retryable in kind; the method is what held it back"
    );
    assert!(delays_of(&delays).is_empty());
    assert_eq!(server.request_count(), 1);
    assert_eq!(server.requests()[0].method, "POST");
}

#[tokio::test]
async fn a_post_is_retried_when_allowed_or_when_the_server_says_so() {
    // Allowed per call.
    let server = TestServer::with_responses([
        Response::json(500, &failure(10001, "internal error")),
        created_list(),
    ])
    .await;
    let (client, _) = recording_client(&server);
    let list = client
        .rules()
        .lists()
        .create(&create_params())
        .retry_non_idempotent(true)
        .await
        .unwrap();
    assert_eq!(list.name.as_deref(), Some("a"));
    assert_eq!(server.request_count(), 2);
    let bodies: Vec<Vec<u8>> = server.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies[0], bodies[1], "the same body is sent again");

    // Allowed for the client.
    let server = TestServer::with_responses([
        Response::json(503, &failure(10001, "unavailable")),
        created_list(),
    ])
    .await;
    let (builder, _) = recording(&server.url());
    let client = builder.retry_non_idempotent(true).build().unwrap();
    client
        .rules()
        .lists()
        .create(&create_params())
        .await
        .unwrap();
    assert_eq!(server.request_count(), 2);

    // The server says so, even for a status that is not retryable.
    let server = TestServer::with_responses([
        Response::json(400, &failure(10001, "try again")).header("x-should-retry", "true"),
        created_list(),
    ])
    .await;
    let (client, delays) = recording_client(&server);
    client
        .rules()
        .lists()
        .create(&create_params())
        .await
        .unwrap();
    assert_eq!(server.request_count(), 2);
    assert_eq!(delays_of(&delays).len(), 1);
}

#[tokio::test]
async fn a_connection_reset_mid_body_is_retried_for_a_get() {
    let server = TestServer::with_responses([
        completed().fault(Fault::ResetMidBody(10)),
        completed().fault(Fault::CloseMidBody(20)),
        completed(),
    ])
    .await;
    let (client, delays) = recording_client(&server);
    let response = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(response.attempts(), 3);
    assert_eq!(delays_of(&delays).len(), 2);
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn a_broken_off_body_keeps_its_status_and_a_post_is_not_retried() {
    let server =
        TestServer::with_responses([created_list().fault(Fault::ResetMidBody(5)), created_list()])
            .await;
    let (client, delays) = recording_client(&server);
    let err = client
        .rules()
        .lists()
        .create(&create_params())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
    assert!(!err.is_connect() && !err.is_timeout(), "{err:?}");
    assert_eq!(err.attempts(), Some(1));
    assert!(delays_of(&delays).is_empty());
    assert_eq!(server.request_count(), 1);

    // Closed before any answer: the request reached the server, so a POST is not sent again either.
    let server =
        TestServer::with_responses([Response::close_without_answer(), created_list()]).await;
    let (client, _) = recording_client(&server);
    let err = client
        .rules()
        .lists()
        .create(&create_params())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { status: None, .. }),
        "{err:?}"
    );
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_server_that_never_answers_hits_the_timeout_on_every_attempt() {
    let server = TestServer::always(Response::never()).await;
    let (builder, delays) = recording(&server.url());
    let client = builder.timeout(ms(150)).build().unwrap();
    let started = Instant::now();
    let err = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(!err.is_connect(), "{err:?}");
    assert_eq!(err.status(), None);
    assert_eq!(err.attempts(), Some(3));
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
    assert!(
        elapsed >= ms(450) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    assert_eq!(delays_of(&delays).len(), 2);
    assert_eq!(server.request_count(), 3);

    // The call's timeout overrides the client's; a timed-out POST is not sent again.
    let server = TestServer::always(Response::never()).await;
    let (client, _) = recording_client(&server);
    let started = Instant::now();
    let err = client
        .rules()
        .lists()
        .create(&create_params())
        .timeout(ms(100))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_succeeds() {
    let server = TestServer::with_responses([completed().delayed(ms(100))]).await;
    let (client, delays) = recording_client(&server);
    client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .timeout(Duration::from_secs(5))
        .await
        .unwrap();
    assert!(delays_of(&delays).is_empty());
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn retries_exhausted_report_attempts_and_the_last_status() {
    let server = TestServer::always(unavailable().header("CF-RAY", "8f1e2d3c4b5a6978-AMS")).await;
    let (client, delays) = recording_client(&server);
    let err = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), Some(3));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.cf_ray(), Some("8f1e2d3c4b5a6978-AMS"));
    assert!(err.is_retryable());
    assert!(err.has_code(10000));
    let api = err.api_error().expect("the last attempt's API error");
    assert_eq!(api.attempts, 3);
    let shown = err.to_string();
    assert!(
        shown.contains("HTTP 503 after 3 attempts") && shown.contains("temporarily unavailable"),
        "{shown}"
    );
    assert_eq!(delays_of(&delays).len(), 2);
    assert_eq!(server.request_count(), 3);

    // The same for a body that is not the envelope, with a budget set per call.
    let server = TestServer::always(Response::raw(502, "text/html", "<html>502</html>")).await;
    let (client, _) = recording_client(&server);
    let err = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .max_retries(4)
        .await
        .unwrap_err();
    match &err {
        Error::Decode {
            status, attempts, ..
        } => assert_eq!((status.as_u16(), *attempts), (502, 5)),
        other => panic!("expected Decode, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("HTTP 502 Bad Gateway after 5 attempts"),
        "{err}"
    );
    assert_eq!(server.request_count(), 5);
}

#[tokio::test]
async fn retries_can_be_turned_off_per_client_and_per_call() {
    let server = TestServer::always(unavailable()).await;
    let (builder, _) = recording(&server.url());
    let client = builder.max_retries(0).build().unwrap();
    let call = || {
        client
            .rules()
            .lists()
            .bulk_operations()
            .get(OPERATION_ID, &params())
    };
    assert_eq!(call().await.unwrap_err().attempts(), Some(1));
    assert_eq!(server.request_count(), 1);
    // The call's budget overrides the client's.
    assert_eq!(call().max_retries(1).await.unwrap_err().attempts(), Some(2));
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_a_post() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (builder, delays) = recording(&url);
    let client = builder.build().unwrap();
    let err = client
        .rules()
        .lists()
        .create(&create_params())
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.attempts(), Some(3));
    assert!(err.to_string().contains("could not connect"), "{err}");
    assert!(!err.to_string().contains(&url), "no URL in errors: {err}");
    assert_eq!(delays_of(&delays).len(), 2);
    // Nothing listens there, so no request reached any server.
}

#[tokio::test]
async fn bodies_over_the_size_limit_are_refused_with_their_status() {
    let big = "x".repeat(4096);
    let server = TestServer::with_responses([
        Response::raw(200, "application/json", big.clone()),
        Response::raw(200, "application/json", big.clone()).chunked(),
        Response::raw(503, "text/html", big),
    ])
    .await;
    let (builder, _) = recording(&server.url());
    let client = builder.max_response_bytes(1024).build().unwrap();
    let call = || {
        client
            .rules()
            .lists()
            .bulk_operations()
            .get(OPERATION_ID, &params())
            .max_retries(0)
    };
    // Announced by Content-Length, then found while reading a chunked body, then on an error status.
    for expected in [200, 200, 503] {
        match call().await {
            Err(err @ Error::ResponseTooLarge { .. }) => {
                assert_eq!(err.status().map(|s| s.as_u16()), Some(expected));
                assert!(err.to_string().contains("1024 bytes"), "{err}");
                assert!(!err.is_retryable());
            }
            other => panic!("expected ResponseTooLarge, got {other:?}"),
        }
    }
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn wrong_content_types_truncated_json_and_invalid_utf8_are_decode_errors() {
    let server = TestServer::with_responses([
        Response::raw(200, "text/html", "<html>not json</html>"),
        Response::raw(
            200,
            "application/json",
            r#"{"success":true,"result":{"id":"#,
        ),
        Response::raw(
            200,
            "application/json",
            b"{\"success\":true,\"result\":\"\xff\xfe\"}".to_vec(),
        ),
        Response::raw(200, "application/json", "").chunked(),
    ])
    .await;
    let (client, _) = recording_client(&server);
    for _ in 0..4 {
        let err = client
            .rules()
            .lists()
            .bulk_operations()
            .get(OPERATION_ID, &params())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
        assert_eq!(err.attempts(), Some(1));
    }
    assert_eq!(
        server.request_count(),
        4,
        "a 2xx that does not decode is never retried"
    );
}

#[tokio::test]
async fn errors_and_responses_expose_cf_ray_and_rate_limit_headers() {
    let server = TestServer::with_responses([
        Response::json(404, &failure(7003, "No route for the URI")).header("CF-RAY", "abc-AMS"),
        completed()
            .header("CF-RAY", "def-LHR")
            .header("Ratelimit", "\"default\";r=1199;t=300")
            .header("Ratelimit-Policy", "\"default\";q=1200;w=300"),
    ])
    .await;
    let (client, _) = recording_client(&server);
    let call = || {
        client
            .rules()
            .lists()
            .bulk_operations()
            .get(OPERATION_ID, &params())
    };
    let err = call().await.unwrap_err();
    assert!(err.is_not_found() && !err.is_retryable() && !err.is_auth_error());
    assert_eq!(err.cf_ray(), Some("abc-AMS"));
    assert!(err.has_code(7003));
    assert_eq!(err.codes().next().unwrap(), 7003);
    assert_eq!(err.api_error().unwrap().cf_ray(), Some("abc-AMS"));
    let response = call().send_with_response().await.unwrap();
    assert_eq!(response.cf_ray(), Some("def-LHR"));
    assert_eq!(
        response.header("ratelimit"),
        Some("\"default\";r=1199;t=300")
    );
    assert_eq!(
        response.header("RateLimit-Policy"),
        Some("\"default\";q=1200;w=300")
    );
    assert_eq!(response.attempts(), 1);
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn a_caller_supplied_reqwest_client_builder_is_used() {
    let server = TestServer::always(completed()).await;
    let mut defaults = reqwest::header::HeaderMap::new();
    defaults.insert("x-from-my-client", "yes".parse().unwrap());
    let (builder, _) = recording(&server.url());
    let client = builder
        .http_client_builder(reqwest::Client::builder().default_headers(defaults))
        // The SDK's connect timeout applies on top of the caller's builder.
        .connect_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .await
        .unwrap();
    let request = server.single_request();
    assert_eq!(request.header("x-from-my-client"), Some("yes"));
    assert_eq!(request.header("x-cloudflare-sdk-retry-count"), Some("0"));
}

#[tokio::test]
async fn default_client_retries_with_real_waits() {
    // No injected sleeper: tokio's timer, with a short backoff so the test stays fast.
    let server = TestServer::with_responses([unavailable(), completed()]).await;
    let client = Client::builder()
        .api_token(TOKEN)
        .base_url(server.url())
        .retry_backoff(ms(20), ms(40))
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let started = Instant::now();
    let value: BulkOperationGetResponse = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
        .await
        .unwrap();
    assert!(matches!(value, BulkOperationGetResponse::Completed(_)));
    assert!(started.elapsed() >= ms(15), "{:?}", started.elapsed());
    assert_eq!(server.request_count(), 2);
}
