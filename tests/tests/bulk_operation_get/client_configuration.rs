//! Client configuration: builder and environment, and secrets kept out of Debug and Display.

use super::*;

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
