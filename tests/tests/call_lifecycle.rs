//! A `Call` end to end, through `client.rules().lists().bulk_operations().get(..)` against the
//! scripted loopback server: laziness, per-call options, the response's metadata, and what is never sent.
//! (Pagination and waiting have no public constructor yet; they are unit-tested inside the runtime.)

use std::time::{Duration, Instant};

use cloudflare_sdk::rules::lists::bulk_operations::{
    BulkOperationGetParams, BulkOperationGetResponse,
};
use cloudflare_sdk::Error;
use sdk_tests::{client, envelope, failure, Response, TestServer, ACCOUNT_ID, OPERATION_ID};
use serde_json::{json, Value};

fn params(account_id: &str) -> BulkOperationGetParams {
    BulkOperationGetParams::new(account_id)
}

fn completed() -> Value {
    json!({
        "id": OPERATION_ID,
        "status": "completed",
        "completed": "2020-01-01T08:00:00Z",
    })
}

#[tokio::test]
async fn nothing_is_sent_until_awaited() {
    let server = TestServer::always_json(200, envelope(completed())).await;
    let client = client(&server);
    let params = params(ACCOUNT_ID);
    let call = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(server.request_count(), 0);
    let value = call.await.unwrap();
    assert!(
        matches!(value, BulkOperationGetResponse::Completed(_)),
        "{value:?}"
    );
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn send_with_response_returns_status_headers_and_cf_ray() {
    let server = TestServer::always(
        Response::json(200, &envelope(completed()))
            .header("CF-RAY", "8f1e2d3c4b5a6978-AMS")
            .header("X-Extra", "yes"),
    )
    .await;
    let client = client(&server);
    let response = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params(ACCOUNT_ID))
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert_eq!(response.cf_ray(), Some("8f1e2d3c4b5a6978-AMS"));
    assert_eq!(response.headers()["x-extra"], "yes");
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(matches!(
        response.value(),
        BulkOperationGetResponse::Completed(_)
    ));
    let debug = format!("{response:?}");
    assert!(debug.contains("8f1e2d3c4b5a6978-AMS"), "{debug}");
    let (status, headers, value) = response.into_parts();
    assert_eq!(status.as_u16(), 200);
    assert!(headers.contains_key("cf-ray"));
    assert!(matches!(value, BulkOperationGetResponse::Completed(_)));
}

#[tokio::test]
async fn send_is_the_same_as_await() {
    let server = TestServer::always_json(200, envelope(completed())).await;
    let client = client(&server);
    let value = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params(ACCOUNT_ID))
        .send()
        .await
        .unwrap();
    assert!(matches!(value, BulkOperationGetResponse::Completed(_)));
}

#[tokio::test]
async fn extra_headers_are_sent_and_replace_the_sdks() {
    let server = TestServer::always_json(200, envelope(completed())).await;
    let client = client(&server);
    client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params(ACCOUNT_ID))
        .header("X-Request-Tag", "nightly-sync")
        .header("User-Agent", "my-app/1.0")
        .await
        .unwrap();
    let request = server.single_request();
    assert_eq!(request.header("x-request-tag"), Some("nightly-sync"));
    assert_eq!(request.header_values("user-agent"), vec!["my-app/1.0"]);
    assert!(request
        .header("authorization")
        .is_some_and(|v| v.starts_with("Bearer ")));
}

#[tokio::test]
async fn invalid_extra_header_is_refused_before_sending() {
    let server = TestServer::always_json(200, envelope(completed())).await;
    let client = client(&server);
    let outcome = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params(ACCOUNT_ID))
        .header("X-Secret", "line\r\nbreak-hunter2")
        .await;
    match outcome {
        Err(err @ Error::InvalidArgument { parameter, .. }) => {
            assert_eq!(parameter, "header");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn argument_error_is_returned_on_await_without_sending() {
    let server = TestServer::always_json(200, envelope(completed())).await;
    let client = client(&server);
    let call = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params("too-short"))
        .timeout(Duration::from_secs(1))
        .header("X-Fine", "ok");
    let debug = format!("{call:?}");
    assert!(debug.contains("account_id"), "{debug}");
    match call.send_with_response().await {
        Err(Error::InvalidArgument { parameter, .. }) => assert_eq!(parameter, "account_id"),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn timeout_fails_a_call_the_server_never_answers() {
    // Accepts connections and reads nothing, answers nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let client = cloudflare_sdk::Client::builder()
        .api_token(sdk_tests::TOKEN)
        .base_url(url)
        .build()
        .unwrap();
    let started = Instant::now();
    let outcome = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params(ACCOUNT_ID))
        .timeout(Duration::from_millis(200))
        .max_retries(0)
        .await;
    let elapsed = started.elapsed();
    match outcome {
        Err(err @ Error::Transport { .. }) => {
            assert!(err.is_timeout(), "{err:?}");
            assert_eq!(err.attempts(), Some(1));
        }
        other => panic!("expected a Transport timeout, got {other:?}"),
    }
    assert!(
        elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    holder.abort();
}

#[tokio::test]
async fn max_retries_per_call_is_honoured() {
    let server = TestServer::always_json(503, failure(10000, "try again")).await;
    let client = client(&server);
    let outcome = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params(ACCOUNT_ID))
        .max_retries(1)
        .await;
    let err = outcome.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(err.api_error().is_some(), "{err:?}");
    assert_eq!(err.attempts(), Some(2));
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn error_statuses_never_reach_the_decoder() {
    // An error envelope on a non-2xx: Api with that status.
    let server = TestServer::always_json(404, failure(7003, "No route for the URI")).await;
    let err = client(&server)
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params(ACCOUNT_ID))
        .await
        .unwrap_err();
    let api = err.api_error().expect("Api error");
    assert_eq!(api.status.as_u16(), 404);
    assert_eq!(api.codes().collect::<Vec<_>>(), vec![7003]);

    // An HTML error page: Decode keeping the status and the start of the body.
    let server = TestServer::always(Response::raw(
        502,
        "text/html",
        "<html><h1>502 Bad Gateway</h1></html>",
    ))
    .await;
    match client(&server)
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params(ACCOUNT_ID))
        .max_retries(0)
        .await
    {
        Err(Error::Decode { status, body, .. }) => {
            assert_eq!(status.as_u16(), 502);
            assert_eq!(body, "<html><h1>502 Bad Gateway</h1></html>");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}
