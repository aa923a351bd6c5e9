//! `GET /accounts/{account_id}/rules/lists/bulk_operations/{operation_id}` against a scripted loopback server,
//! one module per subject: decoding of the `status` union, error responses, what goes on the wire, client
//! configuration. The helpers below are shared by them.

mod client_configuration;
mod error_responses;
mod requests;
mod status_union;

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

/// A Cloudflare edge 502 page, as sent in place of the API's JSON.
const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";

/// A pending operation, in its success envelope.
fn pending_server_body() -> Value {
    envelope(json!({ "id": OPERATION_ID, "status": "pending" }))
}
