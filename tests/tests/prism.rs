//! End to end against Prism (`@stoplight/prism-cli`) mocking the document the SDK is generated from
//! (spec/openapi.json with the overlays in spec/overlays applied, all 1,500 operations) with `--errors`: every
//! request that violates the spec, and every response Prism would give that violates it, becomes an error
//! response, so a call that decodes proves the SDK's request and the spec's response agree.
//!
//! Prism is found through $PRISM_BIN, else `prism` on PATH. Without it the tests print
//! "skipping: prism not installed" and pass, unless REQUIRE_PRISM=1, where they fail.
//! $PRISM_SPEC overrides the spec file Prism serves. On the whole document Prism takes about 8 s to start and
//! 330 MB of memory on the 2-core machine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cloudflare_sdk::rules::lists::bulk_operations::{
    BulkOperationGetParams, BulkOperationGetResponse,
};
use cloudflare_sdk::types::ListsBulkOperationPendingOrRunningStatus;
use cloudflare_sdk::Client;
use reqwest::header::{HeaderMap, HeaderValue};
use sdk_tests::prism::{prism_binary, spec_path, Prism};
use sdk_tests::{ACCOUNT_ID, OPERATION_ID, TOKEN};

const DYNAMIC_CALLS: usize = 300;
const DYNAMIC_CONCURRENCY: usize = 4;
const DYNAMIC_LIMIT: Duration = Duration::from_secs(180);
const EMAIL: &str = "user@example.com";
const KEY: &str = "144c9defac04969c7bfad8efaa8ea194";

/// Prism serving the SDK's document; with `--errors`, any violation, in the request or in Prism's own
/// answer, becomes an error response.
async fn start(binary: &Path, errors: bool) -> Prism {
    static SPEC: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let spec = SPEC.get_or_init(|| spec_path(Path::new(env!("CARGO_TARGET_TMPDIR"))));
    let args: &[&str] = if errors { &["--errors"] } else { &[] };
    Prism::start(binary, spec, args).await
}

fn params() -> BulkOperationGetParams {
    BulkOperationGetParams::new(ACCOUNT_ID)
}

fn path(account_id: &str, operation_id: &str) -> String {
    format!("/accounts/{account_id}/rules/lists/bulk_operations/{operation_id}")
}

/// The SDK's User-Agent: `cloudflare-sdk/<version of generated/Cargo.toml>`.
fn sdk_user_agent() -> String {
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated/Cargo.toml"),
    )
    .expect("read generated/Cargo.toml");
    let version = manifest
        .lines()
        .find_map(|line| {
            let value = line.trim().strip_prefix("version")?.trim_start();
            Some(value.strip_prefix('=')?.trim().trim_matches('"').to_owned())
        })
        .expect("version in generated/Cargo.toml");
    format!("cloudflare-sdk/{version}")
}

/// A raw request with the headers the SDK sends for a bearer token.
fn raw_like_sdk(http: &reqwest::Client, base: &str, operation_id: &str) -> reqwest::RequestBuilder {
    http.get(format!("{base}{}", path(ACCOUNT_ID, operation_id)))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .header("Accept", "application/json")
        .header("User-Agent", sdk_user_agent())
}

async fn describe(response: reqwest::Response) -> String {
    let status = response.status();
    let violations = response
        .headers()
        .get("sl-violations")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let body = response.text().await.unwrap_or_default();
    format!("HTTP {status}, sl-violations: {violations:?}, body: {body}")
}

fn expected_example() -> BulkOperationGetResponse {
    serde_json::from_value(serde_json::json!({ "id": OPERATION_ID, "status": "pending" })).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_requests_pass_prism_validation_and_decode() {
    let Some(binary) = prism_binary() else {
        return;
    };
    let prism = start(&binary, true).await;

    // The raw twin of the SDK's request gets a clean response: no violation in either direction.
    let http = reqwest::Client::new();
    let response = raw_like_sdk(&http, &prism.url(), OPERATION_ID)
        .send()
        .await
        .expect("raw request");
    let violations = response.headers().get("sl-violations").cloned();
    let status = response.status();
    let shown = describe(response).await;
    assert!(violations.is_none(), "Prism reports violations: {shown}");
    assert_eq!(status.as_u16(), 200, "{shown}");

    let bearer = Client::builder()
        .api_token(TOKEN)
        .base_url(prism.url())
        .build()
        .unwrap();
    let email_key = Client::builder()
        .api_email(EMAIL)
        .api_key(KEY)
        .base_url(prism.url())
        .build()
        .unwrap();
    for (name, client) in [("bearer", &bearer), ("email + key", &email_key)] {
        let decoded = client
            .rules()
            .lists()
            .bulk_operations()
            .get(OPERATION_ID, &params())
            .await
            .unwrap_or_else(|e| panic!("{name}: SDK call against Prism failed: {e}\n{e:?}"));
        // Static mode answers with the spec's example.
        match &decoded {
            BulkOperationGetResponse::PendingOrRunning(op) => {
                assert_eq!(op.id, OPERATION_ID, "{name}");
                assert_eq!(
                    op.status,
                    ListsBulkOperationPendingOrRunningStatus::Pending,
                    "{name}"
                );
            }
            other => panic!("{name}: expected the spec's pending example, got {other:?}"),
        }
        assert_eq!(decoded, expected_example());
    }

    // Reserved and non-ASCII characters in the operation id stay in one path segment that Prism routes.
    for operation_id in ["a b/c?d#e%f", "é✓", "..."] {
        let decoded = bearer
            .rules()
            .lists()
            .bulk_operations()
            .get(operation_id, &params())
            .await
            .unwrap_or_else(|e| panic!("{operation_id:?}: SDK call against Prism failed: {e}"));
        assert_eq!(decoded, expected_example(), "{operation_id:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_rejects_requests_that_violate_the_spec() {
    let Some(binary) = prism_binary() else {
        return;
    };
    let prism = start(&binary, true).await;
    let http = reqwest::Client::new();
    let url = format!("{}{}", prism.url(), path(ACCOUNT_ID, OPERATION_ID));

    let cases = [
        ("no credentials", http.get(&url), 401),
        (
            "email without key",
            http.get(&url).header("X-Auth-Email", EMAIL),
            401,
        ),
        (
            "5-character account id",
            http.get(format!("{}{}", prism.url(), path("abcde", OPERATION_ID)))
                .header("Authorization", format!("Bearer {TOKEN}")),
            422,
        ),
        (
            "33-character account id",
            http.get(format!(
                "{}{}",
                prism.url(),
                path(&format!("{ACCOUNT_ID}a"), OPERATION_ID)
            ))
            .header("Authorization", format!("Bearer {TOKEN}")),
            422,
        ),
    ];
    for (name, request, expected) in cases {
        let response = request.send().await.expect("raw request");
        let status = response.status().as_u16();
        let violations = response
            .headers()
            .get("sl-violations")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let shown = describe(response).await;
        assert_eq!(status, expected, "{name}: {shown}");
        assert!(
            violations.contains("\"request\""),
            "{name}: Prism names a request violation: {shown}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_decodes_hundreds_of_dynamic_responses() {
    let Some(binary) = prism_binary() else {
        return;
    };
    let prism = start(&binary, true).await;
    let mut defaults = HeaderMap::new();
    defaults.insert("Prefer", HeaderValue::from_static("dynamic=true"));
    let http_builder = || {
        reqwest::Client::builder()
            .default_headers(defaults.clone())
            .timeout(Duration::from_secs(20))
    };
    let http = http_builder().build().unwrap();

    // Raw twins of the SDK's request: Prism must see no violation in requests or generated responses.
    for i in 0..20 {
        let response = raw_like_sdk(&http, &prism.url(), &format!("op-raw-{i}"))
            .send()
            .await
            .expect("raw dynamic request");
        let violations = response.headers().get("sl-violations").cloned();
        let status = response.status();
        let shown = describe(response).await;
        assert!(violations.is_none(), "request {i}: violations: {shown}");
        assert_eq!(status.as_u16(), 200, "request {i}: {shown}");
    }

    let client = Client::builder()
        .api_token(TOKEN)
        .base_url(prism.url())
        .http_client_builder(http_builder())
        .build()
        .unwrap();
    let run = async {
        let mut tasks = tokio::task::JoinSet::new();
        for worker in 0..DYNAMIC_CONCURRENCY {
            let client = client.clone();
            tasks.spawn(async move {
                let mut outcomes = Vec::new();
                for i in (worker..DYNAMIC_CALLS).step_by(DYNAMIC_CONCURRENCY) {
                    let outcome = client
                        .rules()
                        .lists()
                        .bulk_operations()
                        .get(&format!("op-{i}"), &params())
                        .await;
                    outcomes.push((i, outcome));
                }
                outcomes
            });
        }
        let mut all = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            all.extend(joined.expect("worker panicked"));
        }
        all
    };
    let outcomes = tokio::time::timeout(DYNAMIC_LIMIT, run)
        .await
        .unwrap_or_else(|_| panic!("{DYNAMIC_CALLS} calls took over {DYNAMIC_LIMIT:?}"));
    assert_eq!(outcomes.len(), DYNAMIC_CALLS);

    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, outcome) in &outcomes {
        let label = match outcome {
            Ok(BulkOperationGetResponse::PendingOrRunning(op)) => format!("{:?}", op.status),
            Ok(BulkOperationGetResponse::Completed(_)) => "Completed".to_owned(),
            Ok(BulkOperationGetResponse::Failed(_)) => "Failed".to_owned(),
            Ok(BulkOperationGetResponse::Unknown(v)) => format!("Unknown({v})"),
            Ok(other) => format!("{other:?}"),
            Err(e) => {
                failures.push(format!("call {i}: {e}"));
                "error".to_owned()
            }
        };
        *seen.entry(label).or_default() += 1;
    }
    println!("variants seen over {DYNAMIC_CALLS} dynamic responses: {seen:?}");
    assert!(
        failures.is_empty(),
        "{} of {DYNAMIC_CALLS} calls failed; first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Prism generates only valid results, and every valid status is known to the SDK.
    assert!(
        !seen.keys().any(|k| k.starts_with("Unknown")),
        "dynamic responses decoded as Unknown: {seen:?}"
    );
}

/// The request-side entries of Prism's `sl-violations` header (its answer's own violations are left out:
/// Cloudflare's contradictory `allOf` envelopes, kept in spec/, make every generated answer violate them).
fn request_violations(headers: &reqwest::header::HeaderMap) -> Vec<serde_json::Value> {
    let Some(raw) = headers.get("sl-violations") else {
        return Vec::new();
    };
    let all: Vec<serde_json::Value> =
        serde_json::from_slice(raw.as_bytes()).expect("sl-violations is a JSON array");
    all.into_iter()
        .filter(|v| v["location"][0] == "request")
        .collect()
}

/// Every Lists operation, called through the SDK: Prism finds nothing wrong with the request (path, query,
/// headers, auth, body) and the SDK decodes Prism's answer into the operation's type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lists_operation_is_a_valid_request_and_decodes() {
    use cloudflare_sdk::rules::lists::items::{
        ItemCreateParams, ItemDeleteBody, ItemDeleteBodyItemsItem, ItemDeleteParams, ItemGetParams,
        ItemListParams, ItemUpdateParams,
    };
    use cloudflare_sdk::rules::lists::{
        ListCreateBody, ListCreateParams, ListDeleteParams, ListGetParams, ListListParams,
        ListUpdateBody, ListUpdateParams,
    };
    use cloudflare_sdk::types::{ListsItemInput, ListsItemInputIp, ListsKind};

    let Some(binary) = prism_binary() else {
        return;
    };
    // Without `--errors`, so answers come back and violations are only reported, each with its location.
    let prism = start(&binary, false).await;
    let client = Client::builder()
        .api_token(TOKEN)
        .base_url(prism.url())
        .build()
        .unwrap();
    const LIST_ID: &str = "2c0fc9fa937b11eaa1b71c4d701ab86e";
    const ITEM_ID: &str = "34b12448945f11eaa1b71c4d701ab86e";
    // One id for every call, borrowed: params copy it.
    let account_id = String::from(ACCOUNT_ID);
    let item =
        || ListsItemInput::Ip(ListsItemInputIp::new("10.0.0.1").with_comment("Private IP address"));
    let lists = client.rules().lists();
    let items = lists.items();
    let mut checked = Vec::new();
    macro_rules! check {
        ($name:literal, $call:expr) => {{
            let response = $call
                .send_with_response()
                .await
                .unwrap_or_else(|e| panic!("{}: {e}\n{e:?}\n{}", $name, prism.logs()));
            let violations = request_violations(response.headers());
            assert!(violations.is_empty(), "{}: {violations:#?}", $name);
            assert_eq!(response.status().as_u16(), 200, "{}", $name);
            checked.push($name);
            response.into_value()
        }};
    }
    let all = check!("lists.list", lists.list(&ListListParams::new(&account_id)));
    assert!(!all.is_empty());
    let created = check!(
        "lists.create",
        lists.create(&ListCreateParams::new(
            &account_id,
            ListCreateBody::new(ListsKind::Ip, "list1").with_description("This is a note")
        ))
    );
    assert_eq!(created.kind, Some(ListsKind::Ip));
    check!(
        "lists.get",
        lists.get(LIST_ID, &ListGetParams::new(&account_id))
    );
    check!(
        "lists.update",
        lists.update(
            LIST_ID,
            &ListUpdateParams::new(&account_id, ListUpdateBody::new().with_description("new")),
        )
    );
    check!(
        "lists.delete",
        lists.delete(LIST_ID, &ListDeleteParams::new(&account_id))
    );
    let page = check!(
        "items.list_page",
        items.list_page(
            LIST_ID,
            &ItemListParams::new(&account_id)
                .with_cursor("zzz")
                .with_per_page(10)
                .with_search("1.1.1."),
        )
    );
    assert!(!page.result.is_empty());
    let one = check!(
        "items.get",
        items.get(LIST_ID, ITEM_ID, &ItemGetParams::new(&account_id))
    );
    // Prism answers with the `oneOf`'s first member, a bare IP string, which the spec's schema allows though
    // Cloudflare sends objects: the SDK keeps it, raw, in `Unknown` rather than failing the call.
    assert!(
        matches!(&one, cloudflare_sdk::types::ListsItem::Unknown(serde_json::Value::String(ip)) if ip == "10.0.0.1"),
        "{one:?}"
    );
    for (name, handle) in [
        (
            "items.create",
            check!(
                "items.create",
                items.create(LIST_ID, &ItemCreateParams::new(&account_id, vec![item()]))
            ),
        ),
        (
            "items.update",
            check!(
                "items.update",
                items.update(LIST_ID, &ItemUpdateParams::new(&account_id, vec![item()]))
            ),
        ),
        (
            "items.delete",
            check!(
                "items.delete",
                items.delete(
                    LIST_ID,
                    &ItemDeleteParams::new(
                        &account_id,
                        ItemDeleteBody::new()
                            .with_items(vec![ItemDeleteBodyItemsItem::new().with_id(ITEM_ID)])
                    ),
                )
            ),
        ),
    ] {
        assert!(!handle.id().is_empty(), "{name}: an operation id");
    }
    check!(
        "bulk_operations.get",
        lists.bulk_operations().get(OPERATION_ID, &params())
    );
    assert_eq!(checked.len(), 11, "{checked:?}");
}
