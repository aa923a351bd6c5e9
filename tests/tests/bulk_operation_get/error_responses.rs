//! Error responses: API error envelopes, `success: false`, and bodies that are not the envelope.

use super::*;

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
