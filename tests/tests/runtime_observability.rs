//! Tracing: one `cloudflare_request` span per call and one `cloudflare_attempt` span per request, with the
//! fields an operator needs, and never a secret. A subscriber at TRACE level writes everything (every span
//! opening and closing with its fields, every event of every crate) into a buffer that the test reads.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloudflare_sdk::rules::lists::bulk_operations::BulkOperationGetParams;
use cloudflare_sdk::rules::lists::items::ItemListParams;
use cloudflare_sdk::Client;
use sdk_tests::{envelope, failure, Response, TestServer, ACCOUNT_ID, OPERATION_ID};
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::util::SubscriberInitExt;

const TOKEN: &str = "tok-SECRET-4f9d2c7a1b3e5d6f";
const EMAIL: &str = "secret.person@example.com";
const KEY: &str = "key-SECRET-8e7d6c5b4a39";
const HEADER_SECRET: &str = "hdr-SECRET-0a1b2c3d";
const QUERY_SECRET: &str = "qry-SECRET-9z8y7x";
const LIST_ID: &str = "2c0fc9fa937b11eaa1b71c4d701ab86e";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Captures everything traced on this thread (the tests run on a current-thread runtime) until dropped.
fn capture() -> (Buffer, tracing::subscriber::DefaultGuard) {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let guard = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_writer(move || writer.clone())
        .finish()
        .set_default();
    (buffer, guard)
}

fn instant_retries(builder: cloudflare_sdk::ClientBuilder) -> cloudflare_sdk::ClientBuilder {
    builder.sleeper(|_| async {})
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

fn bulk_params() -> BulkOperationGetParams {
    BulkOperationGetParams::new(ACCOUNT_ID)
}

fn assert_no_secrets(text: &str) {
    for secret in [TOKEN, EMAIL, KEY, HEADER_SECRET, QUERY_SECRET] {
        assert!(!text.contains(secret), "{secret} leaked in:\n{text}");
    }
}

#[tokio::test]
async fn spans_carry_the_call_and_each_attempt() {
    let server = TestServer::with_responses([
        Response::json(503, &failure(10000, "unavailable")).header("CF-RAY", "ray-one-AMS"),
        completed().header("CF-RAY", "ray-two-AMS"),
    ])
    .await;
    let client = instant_retries(Client::builder().api_token(TOKEN).base_url(server.url()))
        .build()
        .unwrap();
    let (buffer, guard) = capture();
    client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &bulk_params())
        .await
        .unwrap();
    drop(guard);
    let text = buffer.text();
    // The call span's own close event: its context is the call span alone.
    let close = text
        .lines()
        .find(|line| {
            line.contains("cloudflare_request{")
                && !line.contains("cloudflare_attempt{")
                && line.contains(" close ")
        })
        .unwrap_or_else(|| panic!("no closed call span in:\n{text}"));
    for field in [
        "operation=\"lists-get-bulk-operation-status\"",
        "method=GET",
        "path_template=\"/accounts/{account_id}/rules/lists/bulk_operations/{operation_id}\"",
        "attempts=2",
        "status=200",
    ] {
        assert!(close.contains(field), "{field} missing from {close}");
    }
    let attempts: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("cloudflare_attempt{") && line.contains(" close "))
        .collect();
    assert_eq!(attempts.len(), 2, "{text}");
    for (index, (status, ray)) in [("503", "ray-one-AMS"), ("200", "ray-two-AMS")]
        .into_iter()
        .enumerate()
    {
        let line = attempts[index];
        for field in [
            format!("attempt={index}"),
            format!("status={status}"),
            format!("cf_ray=\"{ray}\""),
            "duration_ms=".to_owned(),
        ] {
            assert!(line.contains(&field), "{field} missing from {line}");
        }
    }
    assert!(text.contains("retrying"), "{text}");
    // The filled path and argument values are not recorded, only the template.
    assert!(!text.contains(OPERATION_ID), "{text}");
    assert!(!text.contains(ACCOUNT_ID), "{text}");
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn secrets_never_appear_in_spans_logs_debug_or_errors() {
    let server = TestServer::with_responses([
        Response::json(503, &failure(10000, "unavailable")),
        completed(),
        Response::json(403, &failure(10000, "Authentication error"))
            .header("Set-Cookie", &format!("session={TOKEN}")),
        Response::json(
            200,
            &json!({
                "success": true, "errors": [], "messages": [], "result": [],
                "result_info": { "cursor": null },
            }),
        ),
        Response::raw(502, "text/html", "<html>bad gateway</html>"),
    ])
    .await;
    let token_client = instant_retries(Client::builder().api_token(TOKEN).base_url(server.url()))
        .build()
        .unwrap();
    let key_client = instant_retries(
        Client::builder()
            .api_email(EMAIL)
            .api_key(KEY)
            .base_url(server.url()),
    )
    .max_retries(0)
    .build()
    .unwrap();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        url
    };
    let unreachable = instant_retries(
        Client::builder()
            .api_email(EMAIL)
            .api_key(KEY)
            .base_url(closed),
    )
    .build()
    .unwrap();

    let (buffer, guard) = capture();
    let mut shown = Vec::new();
    // Retried, then fine; with a secret in an extra header.
    let ok = token_client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &bulk_params())
        .header("X-Custom-Auth", HEADER_SECRET)
        .send_with_response()
        .await
        .unwrap();
    shown.push(format!("{ok:?}"));
    // An API error whose response sets a cookie holding the token.
    let api = key_client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &bulk_params())
        .await
        .unwrap_err();
    // A query value.
    let page = key_client
        .rules()
        .lists()
        .items()
        .list_page(
            LIST_ID,
            &ItemListParams::new(ACCOUNT_ID).with_search(QUERY_SECRET),
        )
        .timeout(Duration::from_secs(5))
        .await;
    shown.push(format!("{page:?}"));
    let decode = key_client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &bulk_params())
        .await
        .unwrap_err();
    let transport = unreachable
        .rules()
        .lists()
        .items()
        .list_page(
            LIST_ID,
            &ItemListParams::new(ACCOUNT_ID).with_search(QUERY_SECRET),
        )
        .header("X-Custom-Auth", HEADER_SECRET)
        .await
        .unwrap_err();
    assert!(transport.is_connect(), "{transport:?}");
    for err in [&api, &decode, &transport] {
        // What an application would log.
        tracing::error!(error = %err, debug = ?err, "call failed");
        shown.push(err.to_string());
        shown.push(format!("{err:?}"));
        let mut source = std::error::Error::source(err);
        while let Some(inner) = source {
            shown.push(inner.to_string());
            source = inner.source();
        }
    }
    for client in [&token_client, &key_client, &unreachable] {
        tracing::info!(?client, "client");
        shown.push(format!("{client:?}"));
    }
    drop(guard);
    let text = buffer.text();
    assert!(text.contains("cloudflare_request"), "{text}");
    assert!(text.contains("cloudflare_attempt"), "{text}");
    assert!(text.contains("call failed"), "{text}");
    assert!(text.contains("lists-get-list-items"), "{text}");
    assert_no_secrets(&text);
    for item in &shown {
        for secret in [TOKEN, KEY, HEADER_SECRET, QUERY_SECRET] {
            assert!(!item.contains(secret), "{secret} leaked in {item}");
        }
    }
    // They were really sent.
    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    assert_eq!(
        requests[0].header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(requests[1].header("x-custom-auth"), Some(HEADER_SECRET));
    assert_eq!(requests[2].header("x-auth-key"), Some(KEY));
    assert!(requests[3].target.contains(QUERY_SECRET));
}
