//! `GET /accounts/{account_id}/rules/lists/bulk_operations/{operation_id}` against a scripted loopback server:
//! decoding of the `status` union, errors, authentication, paths and client configuration.

use std::sync::{Mutex, MutexGuard};

use cloudflare_sdk::rules::lists::bulk_operations::{
    BulkOperationGetParams, BulkOperationGetResponse,
};
use cloudflare_sdk::types::{
    ListsBulkOperationCompletedStatus, ListsBulkOperationFailedStatus,
    ListsBulkOperationPendingOrRunningStatus,
};
use cloudflare_sdk::{Client, Error};
use sdk_tests::{
    client, client_with_token, envelope, failure, Response, TestServer, ACCOUNT_ID, OPERATION_ID,
    TOKEN,
};
use serde_json::{json, Value};
use time::OffsetDateTime;

type SdkResult<T> = cloudflare_sdk::Result<T>;

fn params(account_id: &str) -> BulkOperationGetParams {
    BulkOperationGetParams::new(account_id)
}

async fn get(
    client: &Client,
    operation_id: &str,
    account_id: &str,
) -> SdkResult<BulkOperationGetResponse> {
    client
        .rules()
        .lists()
        .bulk_operations()
        .get(operation_id, &params(account_id))
        .await
}

/// The call of [`get`], sent once whatever the answer (these tests are about decoding, not retrying).
async fn get_once(
    client: &Client,
    operation_id: &str,
    account_id: &str,
) -> SdkResult<BulkOperationGetResponse> {
    client
        .rules()
        .lists()
        .bulk_operations()
        .get(operation_id, &params(account_id))
        .max_retries(0)
        .await
}

/// Serves this whole body as JSON with this status, makes one call and checks that exactly one request
/// reached the server.
async fn fetch_body(status: u16, body: Value) -> SdkResult<BulkOperationGetResponse> {
    let server = TestServer::always_json(status, body).await;
    let outcome = get_once(&client(&server), OPERATION_ID, ACCOUNT_ID).await;
    assert_eq!(server.request_count(), 1, "one call, one request");
    outcome
}

/// Serves `result` inside a success envelope.
async fn fetch_result(result: Value) -> SdkResult<BulkOperationGetResponse> {
    fetch_body(200, envelope(result)).await
}

/// Serves a raw body with this status and content type.
async fn fetch_raw(
    status: u16,
    content_type: &str,
    body: &[u8],
) -> SdkResult<BulkOperationGetResponse> {
    let server = TestServer::always(Response::raw(status, content_type, body)).await;
    let outcome = get_once(&client(&server), OPERATION_ID, ACCOUNT_ID).await;
    assert_eq!(server.request_count(), 1, "one call, one request");
    outcome
}

fn ts(unix_seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix_seconds).unwrap()
}

/// 2020-01-01T08:00:00Z
const COMPLETED_AT: &str = "2020-01-01T08:00:00Z";
const COMPLETED_AT_UNIX: i64 = 1_577_865_600;

/// Environment variables are process-wide: every test that reads or writes them, or that builds a client
/// whose configuration could come from them, holds this lock.
static ENV_LOCK: Mutex<()> = Mutex::new(());

fn env_lock() -> MutexGuard<'static, ()> {
    ENV_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

const ENV_VARS: [&str; 4] = [
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_EMAIL",
    "CLOUDFLARE_API_KEY",
    "CLOUDFLARE_BASE_URL",
];

/// Sets exactly these of the four CLOUDFLARE_* variables, removing the others.
fn set_env(vars: &[(&str, &str)]) {
    for name in ENV_VARS {
        std::env::remove_var(name);
    }
    for (name, value) in vars {
        assert!(ENV_VARS.contains(name), "unexpected variable {name}");
        std::env::set_var(name, value);
    }
}

fn expect_decode(outcome: SdkResult<BulkOperationGetResponse>) -> (u16, String, String) {
    match outcome {
        Err(Error::Decode {
            status,
            body,
            source,
            ..
        }) => (status.as_u16(), body, source.to_string()),
        other => panic!("expected Error::Decode, got {other:?}"),
    }
}

fn expect_invalid_argument(
    outcome: SdkResult<BulkOperationGetResponse>,
    expected_parameter: &str,
) -> Error {
    match outcome {
        Err(err @ Error::InvalidArgument { parameter, .. }) => {
            assert_eq!(parameter, expected_parameter, "{err}");
            assert!(
                err.to_string().contains(expected_parameter),
                "Display names the parameter: {err}"
            );
            err
        }
        other => {
            panic!("expected Error::InvalidArgument naming {expected_parameter}, got {other:?}")
        }
    }
}

fn expect_config<T: std::fmt::Debug>(outcome: SdkResult<T>, what: &str) -> Error {
    match outcome {
        Err(err @ Error::Config(_)) => err,
        other => panic!("{what}: expected Error::Config, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding the `status` union
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn pending_decodes_to_pending_or_running() {
    let decoded = fetch_result(json!({ "id": OPERATION_ID, "status": "pending" }))
        .await
        .expect("pending decodes");
    match decoded {
        BulkOperationGetResponse::PendingOrRunning(op) => {
            assert_eq!(op.id, OPERATION_ID);
            assert_eq!(op.status, ListsBulkOperationPendingOrRunningStatus::Pending);
        }
        other => panic!("expected PendingOrRunning, got {other:?}"),
    }
}

#[tokio::test]
async fn running_decodes_to_pending_or_running() {
    let decoded = fetch_result(json!({ "id": "op-running-1", "status": "running" }))
        .await
        .expect("running decodes");
    match decoded {
        BulkOperationGetResponse::PendingOrRunning(op) => {
            assert_eq!(op.id, "op-running-1");
            assert_eq!(op.status, ListsBulkOperationPendingOrRunningStatus::Running);
        }
        other => panic!("expected PendingOrRunning, got {other:?}"),
    }
}

#[tokio::test]
async fn completed_decodes_with_its_timestamp() {
    let decoded = fetch_result(json!({
        "id": OPERATION_ID,
        "status": "completed",
        "completed": COMPLETED_AT,
    }))
    .await
    .expect("completed decodes");
    match decoded {
        BulkOperationGetResponse::Completed(op) => {
            assert_eq!(op.id, OPERATION_ID);
            assert_eq!(op.status, ListsBulkOperationCompletedStatus::Completed);
            assert_eq!(op.completed, ts(COMPLETED_AT_UNIX));
        }
        other => panic!("expected Completed, got {other:?}"),
    }
}

#[tokio::test]
async fn completed_timestamp_with_offset_and_fraction_keeps_the_instant() {
    let decoded = fetch_result(json!({
        "id": "op-2",
        "status": "completed",
        "completed": "2024-02-29T23:59:59.5-05:30",
    }))
    .await
    .expect("completed decodes");
    match decoded {
        BulkOperationGetResponse::Completed(op) => {
            // 2024-03-01T05:29:59.5Z
            let expected =
                OffsetDateTime::from_unix_timestamp_nanos(1_709_270_999_500_000_000).unwrap();
            assert_eq!(op.completed, expected);
        }
        other => panic!("expected Completed, got {other:?}"),
    }
}

#[tokio::test]
async fn failed_decodes_with_error_and_timestamp() {
    let decoded = fetch_result(json!({
        "id": OPERATION_ID,
        "status": "failed",
        "completed": "2021-06-15T12:30:45Z",
        "error": "This list is at the maximum number of items",
    }))
    .await
    .expect("failed decodes");
    match decoded {
        BulkOperationGetResponse::Failed(op) => {
            assert_eq!(op.id, OPERATION_ID);
            assert_eq!(op.status, ListsBulkOperationFailedStatus::Failed);
            assert_eq!(op.error, "This list is at the maximum number of items");
            assert_eq!(op.completed, ts(1_623_760_245));
        }
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[tokio::test]
async fn unknown_status_is_unknown_with_the_raw_json() {
    // Carries every field of every known variant, so a decoder that ignored the tag would pick one.
    for status in ["cancelled", "Completed", "FAILED", "", "pending "] {
        let result = json!({
            "id": OPERATION_ID,
            "status": status,
            "completed": COMPLETED_AT,
            "error": "some error",
            "progress": { "done": 3, "total": 7 },
        });
        let decoded = fetch_result(result.clone())
            .await
            .unwrap_or_else(|e| panic!("status {status:?} must decode, got {e:?}"));
        assert_eq!(
            decoded,
            BulkOperationGetResponse::Unknown(result),
            "status {status:?}"
        );
    }
}

#[tokio::test]
async fn untagged_or_non_object_result_is_unknown() {
    for result in [
        json!({ "id": OPERATION_ID }),
        json!({ "id": OPERATION_ID, "status": 3 }),
        json!({ "id": OPERATION_ID, "status": null }),
        json!({ "id": OPERATION_ID, "status": ["completed"] }),
        json!(["completed"]),
        json!("completed"),
        json!(42),
        Value::Null,
    ] {
        let decoded = fetch_result(result.clone())
            .await
            .unwrap_or_else(|e| panic!("{result} must decode, got {e:?}"));
        assert_eq!(decoded, BulkOperationGetResponse::Unknown(result.clone()));
    }
    // `result` missing from the envelope decodes as from null.
    let decoded = fetch_body(
        200,
        json!({ "success": true, "errors": [], "messages": [] }),
    )
    .await
    .expect("missing result decodes");
    assert_eq!(decoded, BulkOperationGetResponse::Unknown(Value::Null));
}

#[tokio::test]
async fn completed_without_completed_timestamp_is_an_error() {
    let outcome = fetch_result(json!({ "id": OPERATION_ID, "status": "completed" })).await;
    let (status, body, source) = expect_decode(outcome);
    assert_eq!(status, 200);
    assert!(body.contains("\"completed\""), "body snippet: {body}");
    assert!(
        source.contains("missing field `completed`"),
        "source names the missing field: {source}"
    );
}

#[tokio::test]
async fn known_status_with_missing_or_malformed_field_is_an_error() {
    let cases = [
        (json!({ "status": "pending" }), "id"),
        (json!({ "id": 7, "status": "running" }), "id"),
        (
            json!({ "id": "x", "status": "failed", "completed": COMPLETED_AT }),
            "error",
        ),
        (
            json!({ "id": "x", "status": "failed", "error": "boom" }),
            "completed",
        ),
        (
            json!({ "id": "x", "status": "completed", "completed": "yesterday" }),
            "",
        ),
        (
            json!({ "id": "x", "status": "completed", "completed": "2020-01-01 08:00:00" }),
            "",
        ),
        (
            json!({ "id": "x", "status": "completed", "completed": 1_577_865_600 }),
            "",
        ),
    ];
    for (result, missing) in cases {
        let outcome = fetch_result(result.clone()).await;
        let (status, _, source) = match outcome {
            Err(Error::Decode {
                status,
                body,
                source,
                ..
            }) => (status.as_u16(), body, source.to_string()),
            other => panic!("{result}: expected Error::Decode, got {other:?}"),
        };
        assert_eq!(status, 200, "{result}");
        if !missing.is_empty() && result.get(missing).is_none() {
            assert!(
                source.contains(&format!("missing field `{missing}`")),
                "{result}: {source}"
            );
        }
    }
}

#[tokio::test]
async fn unknown_fields_in_result_and_envelope_are_ignored() {
    let message = json!({
        "code": 1000,
        "message": "note",
        "documentation_url": "https://developers.cloudflare.com/",
        "source": { "pointer": "/result", "extra": true },
        "extra": [1, 2, 3],
    });
    let cases = [
        json!({ "id": "a", "status": "running", "eta_seconds": 12, "nested": { "x": [] } }),
        json!({ "id": "b", "status": "completed", "completed": COMPLETED_AT, "items": 1000 }),
        json!({
            "id": "c",
            "status": "failed",
            "completed": COMPLETED_AT,
            "error": "boom",
            "details": { "line": 4 },
        }),
    ];
    for result in cases {
        let body = json!({
            "success": true,
            "errors": [],
            "messages": [message.clone()],
            "result": result.clone(),
            "result_info": { "page": 1, "per_page": 20, "count": 1, "total_count": 1 },
            "x_unexpected": null,
        });
        let decoded = fetch_body(200, body)
            .await
            .unwrap_or_else(|e| panic!("{result} must decode, got {e:?}"));
        match (result["status"].as_str().unwrap(), decoded) {
            ("running", BulkOperationGetResponse::PendingOrRunning(op)) => {
                assert_eq!(op.id, "a");
                assert_eq!(op.status, ListsBulkOperationPendingOrRunningStatus::Running);
            }
            ("completed", BulkOperationGetResponse::Completed(op)) => {
                assert_eq!(op.id, "b");
                assert_eq!(op.completed, ts(COMPLETED_AT_UNIX));
            }
            ("failed", BulkOperationGetResponse::Failed(op)) => {
                assert_eq!(op.id, "c");
                assert_eq!(op.error, "boom");
                assert_eq!(op.completed, ts(COMPLETED_AT_UNIX));
            }
            (status, other) => panic!("status {status}: wrong variant {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Serializing the union back
// ---------------------------------------------------------------------------------------------------------

async fn assert_round_trip(result: Value) {
    let decoded = fetch_result(result.clone())
        .await
        .unwrap_or_else(|e| panic!("{result} must decode, got {e:?}"));
    let serialized = serde_json::to_value(&decoded).expect("serializes");
    assert_eq!(serialized, result, "decoded as {decoded:?}");
    // And the serialized form decodes to the same value again.
    let again: BulkOperationGetResponse =
        serde_json::from_value(serialized).expect("decodes again");
    assert_eq!(again, decoded);
}

#[tokio::test]
async fn pending_serializes_back_to_the_same_json() {
    assert_round_trip(json!({ "id": OPERATION_ID, "status": "pending" })).await;
}

#[tokio::test]
async fn running_serializes_back_to_the_same_json() {
    assert_round_trip(json!({ "id": OPERATION_ID, "status": "running" })).await;
}

#[tokio::test]
async fn completed_serializes_back_to_the_same_json() {
    assert_round_trip(json!({
        "id": OPERATION_ID,
        "status": "completed",
        "completed": COMPLETED_AT,
    }))
    .await;
}

#[tokio::test]
async fn failed_serializes_back_to_the_same_json() {
    assert_round_trip(json!({
        "id": OPERATION_ID,
        "status": "failed",
        "completed": "2021-06-15T12:30:45Z",
        "error": "This list is at the maximum number of items",
    }))
    .await;
}

#[tokio::test]
async fn unknown_serializes_back_to_the_same_json() {
    assert_round_trip(json!({
        "id": OPERATION_ID,
        "status": "cancelled",
        "completed": COMPLETED_AT,
        "reason": { "by": "user", "codes": [1, 2.5, null, true] },
    }))
    .await;
    assert_round_trip(json!(["not", "an", "object"])).await;
}

// ---------------------------------------------------------------------------------------------------------
// Error responses
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn not_found_envelope_is_an_api_error_with_status_and_code() {
    // The spec's 4XX example.
    let body = json!({
        "errors": [{ "code": 7003, "message": "No route for the URI" }],
        "messages": [],
        "result": null,
        "success": false,
    });
    let err = fetch_body(404, body).await.expect_err("404 is an error");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    let api = match &err {
        Error::Api(api) => api,
        other => panic!("expected Error::Api, got {other:?}"),
    };
    assert_eq!(api.status.as_u16(), 404);
    assert_eq!(api.errors.len(), 1, "{api:?}");
    assert_eq!(api.errors[0].code, 7003);
    assert_eq!(api.errors[0].message, "No route for the URI");
    assert_eq!(api.errors[0].documentation_url, None);
    assert!(api.messages.is_empty());
    assert_eq!(api.codes().collect::<Vec<_>>(), vec![7003]);
    assert_eq!(
        err.api_error()
            .map(|a| a.codes().map(|code| code.as_i64()).collect::<Vec<_>>()),
        Some(vec![Some(7003)])
    );
    let shown = err.to_string();
    for needle in ["404", "7003", "No route for the URI"] {
        assert!(
            shown.contains(needle),
            "Display {shown:?} mentions {needle}"
        );
    }
}

#[tokio::test]
async fn api_error_keeps_every_error_and_message() {
    let body = json!({
        "success": false,
        "errors": [
            {
                "code": 10000,
                "message": "Authentication error",
                "documentation_url": "https://developers.cloudflare.com/fundamentals/api/",
                "source": { "pointer": "/headers/authorization" },
            },
            { "code": 1001, "message": "second problem" },
        ],
        "messages": [{ "code": 1002, "message": "a note" }],
        "result": null,
    });
    let err = fetch_body(403, body).await.expect_err("403 is an error");
    let api = err.api_error().expect("an API error");
    assert_eq!(api.status.as_u16(), 403);
    assert_eq!(api.codes().collect::<Vec<_>>(), vec![10000, 1001]);
    assert_eq!(
        api.errors[0].documentation_url.as_deref(),
        Some("https://developers.cloudflare.com/fundamentals/api/")
    );
    assert_eq!(
        api.errors[0]
            .source
            .as_ref()
            .and_then(|s| s.pointer.as_deref()),
        Some("/headers/authorization")
    );
    assert_eq!(api.messages.len(), 1);
    assert_eq!(api.messages[0].code, 1002);
    assert_eq!(api.messages[0].message, "a note");
    let shown = err.to_string();
    for needle in [
        "403",
        "10000",
        "Authentication error",
        "1001",
        "second problem",
    ] {
        assert!(
            shown.contains(needle),
            "Display {shown:?} mentions {needle}"
        );
    }
}

#[tokio::test]
async fn success_false_with_http_200_is_an_api_error() {
    let outcome = fetch_body(200, failure(1003, "Invalid or missing operation")).await;
    let err = match outcome {
        Err(err @ Error::Api(_)) => err,
        other => panic!("expected Error::Api, got {other:?}"),
    };
    let api = err.api_error().unwrap();
    assert_eq!(api.status.as_u16(), 200);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
    assert_eq!(api.codes().collect::<Vec<_>>(), vec![1003]);
    assert_eq!(api.errors[0].message, "Invalid or missing operation");
    let shown = err.to_string();
    assert!(shown.contains("1003"), "{shown}");
    assert!(shown.contains("Invalid or missing operation"), "{shown}");
}

#[tokio::test]
async fn success_false_with_a_result_is_still_an_api_error() {
    let body = json!({
        "success": false,
        "errors": [{ "code": 1004, "message": "nope" }],
        "messages": [],
        "result": { "id": OPERATION_ID, "status": "completed", "completed": COMPLETED_AT },
    });
    let err = fetch_body(200, body).await.expect_err("success: false");
    assert_eq!(
        err.api_error()
            .map(|a| a.codes().map(|code| code.as_i64()).collect::<Vec<_>>()),
        Some(vec![Some(1004)]),
        "{err:?}"
    );
}

const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";

#[tokio::test]
async fn html_502_page_is_a_decode_error_with_status_and_snippet() {
    let outcome = fetch_raw(502, "text/html", HTML_502.as_bytes()).await;
    let err = outcome.expect_err("502 is an error");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    let (status, body, _) = expect_decode(Err(err));
    assert_eq!(status, 502);
    assert_eq!(body, HTML_502, "the whole (short) page is the snippet");

    let err = fetch_raw(502, "text/html", HTML_502.as_bytes())
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("502"), "{shown}");
    assert!(shown.contains("<title>502 Bad Gateway</title>"), "{shown}");
}

#[tokio::test]
async fn malformed_json_with_200_is_a_decode_error_keeping_status_and_snippet() {
    let sent =
        r#"{"success": true, "errors": [], "messages": [], "result": {"id": "x", "status": "#;
    let (status, body, _) =
        expect_decode(fetch_raw(200, "application/json", sent.as_bytes()).await);
    assert_eq!(status, 200);
    assert_eq!(body, sent);
}

#[tokio::test]
async fn json_that_is_not_the_envelope_is_a_decode_error() {
    for sent in [r#"[1, 2, 3]"#, r#""ok""#, "null", "true"] {
        let (status, body, _) =
            expect_decode(fetch_raw(200, "application/json", sent.as_bytes()).await);
        assert_eq!(status, 200, "{sent}");
        assert_eq!(body, sent);
    }
}

#[tokio::test]
async fn decode_error_snippet_is_bounded_and_cut_on_a_char_boundary() {
    // 1 + 2 * 1000 bytes: byte 512 falls inside a two-byte character.
    let sent = format!("x{}", "é".repeat(1000));
    let (status, body, _) = expect_decode(fetch_raw(500, "text/plain", sent.as_bytes()).await);
    assert_eq!(status, 500);
    assert!(body.len() <= 512, "snippet is {} bytes", body.len());
    assert!(body.len() >= 500, "snippet is only {} bytes", body.len());
    assert!(
        sent.starts_with(&body),
        "snippet is a prefix of the body: {body:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// What goes on the wire
// ---------------------------------------------------------------------------------------------------------

fn pending_server_body() -> Value {
    envelope(json!({ "id": OPERATION_ID, "status": "pending" }))
}

#[tokio::test]
async fn bearer_token_is_sent_as_authorization_header_only() {
    let server = TestServer::always_json(200, pending_server_body()).await;
    get(&client(&server), OPERATION_ID, ACCOUNT_ID)
        .await
        .expect("call succeeds");
    let request = server.single_request();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.header_values("authorization"),
        vec![format!("Bearer {TOKEN}")]
    );
    assert!(!request.has_header("x-auth-email"), "{request:?}");
    assert!(!request.has_header("x-auth-key"), "{request:?}");
    let user_agent = request.header("user-agent").unwrap_or_default();
    assert!(
        user_agent.starts_with("cloudflare-sdk/"),
        "user-agent {user_agent:?}"
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn email_and_key_are_sent_as_x_auth_headers_only() {
    let server = TestServer::always_json(200, pending_server_body()).await;
    let client = Client::builder()
        .api_email("user@example.com")
        .api_key("144c9defac04969c7bfad8efaa8ea194")
        .base_url(server.url())
        .build()
        .expect("email + key client");
    get(&client, OPERATION_ID, ACCOUNT_ID)
        .await
        .expect("call succeeds");
    let request = server.single_request();
    assert_eq!(
        request.header_values("x-auth-email"),
        vec!["user@example.com"]
    );
    assert_eq!(
        request.header_values("x-auth-key"),
        vec!["144c9defac04969c7bfad8efaa8ea194"]
    );
    assert!(!request.has_header("authorization"), "{request:?}");
    let user_agent = request.header("user-agent").unwrap_or_default();
    assert!(
        user_agent.starts_with("cloudflare-sdk/"),
        "user-agent {user_agent:?}"
    );
}

#[tokio::test]
async fn request_target_is_the_filled_path() {
    let server = TestServer::always_json(200, pending_server_body()).await;
    get(&client(&server), OPERATION_ID, ACCOUNT_ID)
        .await
        .unwrap();
    assert_eq!(
        server.single_request().target,
        format!("/accounts/{ACCOUNT_ID}/rules/lists/bulk_operations/{OPERATION_ID}")
    );
}

#[tokio::test]
async fn base_url_path_prefix_is_kept() {
    let server = TestServer::always_json(200, pending_server_body()).await;
    for base in [
        format!("{}/client/v4", server.url()),
        format!("{}/client/v4/", server.url()),
    ] {
        let client = Client::builder()
            .api_token(TOKEN)
            .base_url(base.as_str())
            .build()
            .unwrap_or_else(|e| panic!("base {base}: {e}"));
        get(&client, OPERATION_ID, ACCOUNT_ID)
            .await
            .unwrap_or_else(|e| panic!("base {base}: {e:?}"));
    }
    let expected =
        format!("/client/v4/accounts/{ACCOUNT_ID}/rules/lists/bulk_operations/{OPERATION_ID}");
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets, vec![expected.clone(), expected]);
}

#[tokio::test]
async fn base_url_with_trailing_slash_has_no_double_slash() {
    let server = TestServer::always_json(200, pending_server_body()).await;
    let client = Client::builder()
        .api_token(TOKEN)
        .base_url(format!("{}/", server.url()))
        .build()
        .unwrap();
    get(&client, OPERATION_ID, ACCOUNT_ID).await.unwrap();
    assert_eq!(
        server.single_request().target,
        format!("/accounts/{ACCOUNT_ID}/rules/lists/bulk_operations/{OPERATION_ID}")
    );
}

#[tokio::test]
async fn operation_id_is_percent_encoded_in_one_segment() {
    let cases = [
        ("a b/c?d#e%f", "a%20b%2Fc%3Fd%23e%25f"),
        ("é✓", "%C3%A9%E2%9C%93"),
        ("日本/..", "%E6%97%A5%E6%9C%AC%2F.."),
        ("AZaz09-._~", "AZaz09-._~"),
        ("!$&'()*+,;=:@", "%21%24%26%27%28%29%2A%2B%2C%3B%3D%3A%40"),
        ("...", "..."),
        ("%2F", "%252F"),
    ];
    let server = TestServer::always_json(200, pending_server_body()).await;
    let client = client(&server);
    for (operation_id, _) in cases {
        get(&client, operation_id, ACCOUNT_ID)
            .await
            .unwrap_or_else(|e| panic!("{operation_id:?}: {e:?}"));
    }
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    let expected: Vec<String> = cases
        .iter()
        .map(|(_, encoded)| format!("/accounts/{ACCOUNT_ID}/rules/lists/bulk_operations/{encoded}"))
        .collect();
    assert_eq!(targets, expected);
}

#[tokio::test]
async fn account_id_is_percent_encoded_and_measured_in_characters() {
    let server = TestServer::always_json(200, pending_server_body()).await;
    let client = client(&server);
    // 32 characters, two of them reserved.
    let reserved = "0123456789abcdef0123456789abcd/?";
    // 32 characters, 64 bytes: the length rule counts characters, not bytes.
    let unicode = "é".repeat(32);
    for account_id in [reserved, unicode.as_str()] {
        assert_eq!(account_id.chars().count(), 32);
        get(&client, OPERATION_ID, account_id)
            .await
            .unwrap_or_else(|e| panic!("{account_id:?}: {e:?}"));
    }
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        vec![
            format!(
                "/accounts/0123456789abcdef0123456789abcd%2F%3F/rules/lists/bulk_operations/{OPERATION_ID}"
            ),
            format!(
                "/accounts/{}/rules/lists/bulk_operations/{OPERATION_ID}",
                "%C3%A9".repeat(32)
            ),
        ]
    );
}

#[tokio::test]
async fn empty_or_dot_segment_operation_id_is_rejected_before_sending() {
    let server = TestServer::always_json(200, pending_server_body()).await;
    let client = client(&server);
    for operation_id in ["", ".", ".."] {
        let outcome = get(&client, operation_id, ACCOUNT_ID).await;
        let err = expect_invalid_argument(outcome, "operation_id");
        assert_eq!(err.status(), None);
    }
    assert_eq!(server.request_count(), 0, "{:#?}", server.requests());
}

#[tokio::test]
async fn account_id_of_wrong_length_is_rejected_before_sending() {
    let server = TestServer::always_json(200, pending_server_body()).await;
    let client = client(&server);
    let short = &ACCOUNT_ID[..31];
    let long = format!("{ACCOUNT_ID}a");
    for account_id in [short, long.as_str(), "", "abcde"] {
        let outcome = get(&client, OPERATION_ID, account_id).await;
        let err = expect_invalid_argument(outcome, "account_id");
        assert_eq!(err.status(), None);
    }
    assert_eq!(server.request_count(), 0, "{:#?}", server.requests());
}

#[tokio::test]
async fn one_client_makes_many_calls_in_order() {
    let server = TestServer::with_responses([
        Response::json(200, &envelope(json!({ "id": "1", "status": "pending" }))),
        Response::json(200, &envelope(json!({ "id": "1", "status": "running" }))),
        Response::json(404, &failure(7003, "No route for the URI")),
        Response::json(
            200,
            &envelope(json!({ "id": "1", "status": "completed", "completed": COMPLETED_AT })),
        ),
    ])
    .await;
    let client = client(&server);
    let clone = client.clone();
    let first = get(&client, "1", ACCOUNT_ID).await.unwrap();
    let second = get(&clone, "1", ACCOUNT_ID).await.unwrap();
    let third = get(&client, "1", ACCOUNT_ID).await.unwrap_err();
    let fourth = get(&clone, "1", ACCOUNT_ID).await.unwrap();
    assert!(matches!(
        first,
        BulkOperationGetResponse::PendingOrRunning(ref op)
            if op.status == ListsBulkOperationPendingOrRunningStatus::Pending
    ));
    assert!(matches!(
        second,
        BulkOperationGetResponse::PendingOrRunning(ref op)
            if op.status == ListsBulkOperationPendingOrRunningStatus::Running
    ));
    assert_eq!(third.status().map(|s| s.as_u16()), Some(404));
    assert!(matches!(fourth, BulkOperationGetResponse::Completed(_)));
    assert_eq!(server.request_count(), 4);
    for request in server.requests() {
        assert_eq!(
            request.header("authorization"),
            Some(&*format!("Bearer {TOKEN}"))
        );
    }
}

#[test]
fn client_is_clone_send_sync_and_error_is_a_std_error() {
    fn client_traits<T: Clone + Send + Sync + std::fmt::Debug + 'static>() {}
    fn error_traits<T: std::error::Error + Send + Sync + 'static>() {}
    client_traits::<Client>();
    error_traits::<Error>();
}

#[tokio::test]
async fn unreachable_server_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::builder()
        .api_token(TOKEN)
        .base_url(url)
        .build()
        .unwrap();
    let err = get(&client, OPERATION_ID, ACCOUNT_ID)
        .await
        .expect_err("nothing listens there");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_connect(), "{err:?}");
    assert_eq!(err.status(), None);
}

// ---------------------------------------------------------------------------------------------------------
// Client configuration
// ---------------------------------------------------------------------------------------------------------

#[test]
fn builder_without_credentials_is_a_config_error() {
    let _env = env_lock();
    set_env(&[]);
    let err = expect_config(Client::builder().build(), "no credentials");
    assert!(!err.to_string().is_empty());
    expect_config(
        Client::builder().base_url("http://127.0.0.1:9").build(),
        "base URL but no credentials",
    );
}

#[test]
fn builder_with_both_or_half_credentials_is_a_config_error() {
    let _env = env_lock();
    set_env(&[]);
    expect_config(
        Client::builder()
            .api_token(TOKEN)
            .api_email("user@example.com")
            .api_key("key")
            .build(),
        "token and email + key",
    );
    expect_config(
        Client::builder().api_token(TOKEN).api_key("key").build(),
        "token and key",
    );
    expect_config(
        Client::builder().api_email("user@example.com").build(),
        "email without key",
    );
    expect_config(
        Client::builder().api_key("key").build(),
        "key without email",
    );
}

#[test]
fn builder_rejects_a_base_url_that_is_not_http() {
    let _env = env_lock();
    set_env(&[]);
    for base in [
        "not a url",
        "ftp://example.com/client/v4",
        "",
        "127.0.0.1:8080",
    ] {
        expect_config(
            Client::builder().api_token(TOKEN).base_url(base).build(),
            base,
        );
    }
    // The spec's server is the default.
    Client::builder()
        .api_token(TOKEN)
        .build()
        .expect("default base URL");
}

#[tokio::test]
async fn from_env_reads_credentials_and_base_url() {
    let server = TestServer::always_json(200, pending_server_body()).await;
    let prefixed = format!("{}/client/v4", server.url());
    let token = "env-token-7f3a9c1e5b";
    let key = "env-key-2d4f6a8c0e";
    let (token_client, key_client) = {
        let _env = env_lock();
        set_env(&[
            ("CLOUDFLARE_API_TOKEN", token),
            ("CLOUDFLARE_BASE_URL", &prefixed),
        ]);
        let token_client = Client::from_env().expect("token from env");
        set_env(&[
            ("CLOUDFLARE_EMAIL", "env@example.com"),
            ("CLOUDFLARE_API_KEY", key),
            ("CLOUDFLARE_BASE_URL", &server.url()),
        ]);
        let key_client = Client::from_env().expect("email + key from env");

        let mut errors = Vec::new();
        set_env(&[]);
        errors.push(expect_config(Client::from_env(), "nothing set"));
        set_env(&[("CLOUDFLARE_BASE_URL", &server.url())]);
        errors.push(expect_config(Client::from_env(), "only a base URL"));
        set_env(&[
            ("CLOUDFLARE_API_TOKEN", token),
            ("CLOUDFLARE_EMAIL", "env@example.com"),
            ("CLOUDFLARE_API_KEY", key),
        ]);
        errors.push(expect_config(Client::from_env(), "token and email + key"));
        set_env(&[("CLOUDFLARE_EMAIL", "env@example.com")]);
        errors.push(expect_config(Client::from_env(), "email without key"));
        set_env(&[("CLOUDFLARE_API_KEY", key)]);
        errors.push(expect_config(Client::from_env(), "key without email"));
        set_env(&[
            ("CLOUDFLARE_API_TOKEN", token),
            ("CLOUDFLARE_BASE_URL", "not a url"),
        ]);
        errors.push(expect_config(Client::from_env(), "bad base URL"));
        set_env(&[("CLOUDFLARE_API_TOKEN", token)]);
        Client::from_env().expect("token with the default base URL");
        set_env(&[]);

        for err in &errors {
            for shown in [err.to_string(), format!("{err:?}")] {
                assert!(!shown.contains(token), "token leaked: {shown}");
                assert!(!shown.contains(key), "key leaked: {shown}");
            }
        }
        (token_client, key_client)
    };
    for shown in [format!("{token_client:?}"), format!("{key_client:?}")] {
        assert!(!shown.contains(token), "token leaked: {shown}");
        assert!(!shown.contains(key), "key leaked: {shown}");
    }

    get(&token_client, OPERATION_ID, ACCOUNT_ID)
        .await
        .expect("token client call");
    get(&key_client, OPERATION_ID, ACCOUNT_ID)
        .await
        .expect("email + key client call");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].target,
        format!("/client/v4/accounts/{ACCOUNT_ID}/rules/lists/bulk_operations/{OPERATION_ID}")
    );
    assert_eq!(
        requests[0].header("authorization"),
        Some(&*format!("Bearer {token}"))
    );
    assert!(!requests[0].has_header("x-auth-key"));
    assert!(!requests[0].has_header("x-auth-email"));
    assert_eq!(
        requests[1].target,
        format!("/accounts/{ACCOUNT_ID}/rules/lists/bulk_operations/{OPERATION_ID}")
    );
    assert_eq!(requests[1].header("x-auth-email"), Some("env@example.com"));
    assert_eq!(requests[1].header("x-auth-key"), Some(key));
    assert!(!requests[1].has_header("authorization"));
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_error_display() {
    let token = "tok-SECRET-1b2c3d4e5f6a7b8c";
    let key = "key-SECRET-9f8e7d6c5b4a";
    let mut shown = Vec::new();

    let builder = Client::builder().api_token(token);
    shown.push(format!("{builder:?}"));
    let builder = Client::builder().api_email("user@example.com").api_key(key);
    shown.push(format!("{builder:?}"));
    let both = {
        let _env = env_lock();
        Client::builder()
            .api_token(token)
            .api_email("user@example.com")
            .api_key(key)
            .build()
            .expect_err("both auth modes")
    };
    shown.push(both.to_string());
    shown.push(format!("{both:?}"));

    let server = TestServer::with_responses([
        Response::json(403, &failure(10000, "Authentication error")),
        Response::raw(502, "text/html", HTML_502),
        Response::json(200, &envelope(json!({ "id": "x", "status": "completed" }))),
    ])
    .await;
    let token_client = client_with_token(&server, token);
    let key_client = Client::builder()
        .api_email("user@example.com")
        .api_key(key)
        .base_url(server.url())
        .max_retries(0)
        .build()
        .unwrap();
    assert!(format!("{token_client:?}").contains("[redacted]"));
    assert!(format!("{key_client:?}").contains("[redacted]"));
    shown.push(format!("{token_client:?}"));
    shown.push(format!("{key_client:?}"));
    shown.push(format!("{:?}", token_client.clone()));

    let api = get(&token_client, OPERATION_ID, ACCOUNT_ID)
        .await
        .unwrap_err();
    assert!(matches!(api, Error::Api(_)), "{api:?}");
    let decode = get(&key_client, OPERATION_ID, ACCOUNT_ID)
        .await
        .unwrap_err();
    assert!(matches!(decode, Error::Decode { .. }), "{decode:?}");
    let variant = get(&token_client, OPERATION_ID, ACCOUNT_ID)
        .await
        .unwrap_err();
    let invalid = get(&token_client, "..", ACCOUNT_ID).await.unwrap_err();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let unreachable = Client::builder()
        .api_token(token)
        .base_url(closed)
        .build()
        .unwrap();
    let transport = get(&unreachable, OPERATION_ID, ACCOUNT_ID)
        .await
        .unwrap_err();
    assert!(
        matches!(transport, Error::Transport { .. }),
        "{transport:?}"
    );

    for err in [&api, &decode, &variant, &invalid, &transport] {
        shown.push(err.to_string());
        shown.push(format!("{err:?}"));
        let mut source = std::error::Error::source(err);
        while let Some(inner) = source {
            shown.push(inner.to_string());
            source = inner.source();
        }
    }
    for text in &shown {
        assert!(!text.contains(token), "token leaked: {text}");
        assert!(!text.contains(key), "key leaked: {text}");
    }
}
