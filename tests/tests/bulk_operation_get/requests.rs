//! What goes on the wire: credentials, the request target, percent-encoding, arguments rejected before sending.

use super::*;

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
