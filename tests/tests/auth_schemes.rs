//! Security schemes beyond the token and the email + key, end to end: Cloudflare's Origin CA calls accept
//! only the user service key (`X-Auth-User-Service-Key`), and each call sends the first scheme it accepts
//! that the client has, or nothing at all.

use cloudflare_sdk::certificates::CertificateListParams;
use cloudflare_sdk::rules::lists::bulk_operations::BulkOperationGetParams;
use cloudflare_sdk::urlscanner::scan::ScanGetParams;
use cloudflare_sdk::{Client, Error};
use sdk_tests::{envelope, TestServer, ACCOUNT_ID, OPERATION_ID, TOKEN};
use serde_json::json;

const SERVICE_KEY: &str = "v1.0-e24fd090c02efcfecb4de8f4-4b8";

fn builder(server: &TestServer) -> cloudflare_sdk::ClientBuilder {
    Client::builder().base_url(server.url())
}

#[tokio::test]
async fn origin_ca_calls_send_the_user_service_key_and_nothing_else() {
    let server = TestServer::always_json(200, envelope(json!([]))).await;
    let client = builder(&server)
        .user_service_key(SERVICE_KEY)
        .build()
        .unwrap();
    client
        .certificates()
        .list(&CertificateListParams::default())
        .await
        .unwrap();
    let request = server.single_request();
    assert_eq!(request.header("x-auth-user-service-key"), Some(SERVICE_KEY));
    assert!(!request.has_header("authorization"));
    assert!(!request.has_header("x-auth-key"));
    // The key is a secret: never in the client's Debug.
    assert!(!format!("{client:?}").contains(SERVICE_KEY));
}

#[tokio::test]
async fn a_client_without_an_accepted_scheme_sends_nothing_and_names_what_the_call_accepts() {
    let server = TestServer::always_json(200, envelope(json!([]))).await;
    let client = builder(&server).api_token(TOKEN).build().unwrap();
    let err = client
        .certificates()
        .list(&CertificateListParams::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(message) if message.contains("X-Auth-User-Service-Key")),
        "{err:?}"
    );
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn beside_a_token_the_service_key_goes_only_to_calls_that_do_not_take_the_token() {
    let completed =
        json!({"id": OPERATION_ID, "status": "completed", "completed": "2020-01-01T08:00:00Z"});
    let server = TestServer::always_json(200, envelope(completed)).await;
    let client = builder(&server)
        .api_token(TOKEN)
        .user_service_key(SERVICE_KEY)
        .build()
        .unwrap();
    client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &BulkOperationGetParams::new(ACCOUNT_ID))
        .await
        .unwrap();
    let request = server.single_request();
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(!request.has_header("x-auth-user-service-key"));
}

// 436 operations of Cloudflare's document ask for the token, the email and the key in one requirement (all three
// at once); overlay 70-token-or-key makes them the two alternatives Cloudflare takes. Before it, neither client
// below could send anything to them.

/// The request a client built by `configure` sends for "Get URL scans", one of the 436.
async fn scan_request(
    configure: impl FnOnce(cloudflare_sdk::ClientBuilder) -> cloudflare_sdk::ClientBuilder,
) -> sdk_tests::RecordedRequest {
    let server = TestServer::always_json(200, envelope(json!({}))).await;
    let client = configure(builder(&server)).build().unwrap();
    // The answer's shape is not what these tests are about; the request is.
    let _ = client
        .urlscanner()
        .scan()
        .get(&ScanGetParams::new(ACCOUNT_ID))
        .await;
    server.single_request()
}

#[tokio::test]
async fn a_call_the_document_guards_with_all_three_credentials_goes_out_with_the_token_alone() {
    let request = scan_request(|b| b.api_token(TOKEN)).await;
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(!request.has_header("x-auth-key"));
}

#[tokio::test]
async fn a_call_the_document_guards_with_all_three_credentials_goes_out_with_email_and_key_alone() {
    let request = scan_request(|b| {
        b.api_email("user@example.com")
            .api_key("c2547eb745079dac9320b638f5e225cf483cc5cfdda41")
    })
    .await;
    assert_eq!(request.header("x-auth-email"), Some("user@example.com"));
    assert!(request.has_header("x-auth-key"));
    assert!(!request.has_header("authorization"));
}
