//! Credentials: refused over cleartext to a host that is not loopback, never sent across origins on a redirect,
//! masked in Debug; server text cannot forge log lines.

use super::*;

// Cleartext credentials.

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

// Credentials on redirects.

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

// Log forging.

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

#[test]
fn builder_debug_masks_the_email() {
    let builder = Client::builder().api_email(EMAIL).api_key(KEY);
    let debug = format!("{builder:?}");
    assert!(!debug.contains(EMAIL) && !debug.contains(KEY), "{debug}");
    assert!(debug.contains("o***@example.com"), "{debug}");
}
