//! Responses that are not JSON, and JSON the spec does not describe, end to end on loopback: each call asks
//! (`Accept`) for what its responses come in, so a server that negotiates answers instead of refusing (406),
//! and returns it as the spec types it: text as text, a picture as its exact bytes, an undescribed body as `()`.

use cloudflare_sdk::dns_records::export::ExportGetParams;
use cloudflare_sdk::stream::StreamDeleteParams;
use cloudflare_sdk::urlscanner::scan::screenshot::ScreenshotGetParams;
use cloudflare_sdk::Error;
use sdk_tests::{client, key_client, RecordedRequest, Response, TestServer, ACCOUNT_ID};
use serde_json::json;

const ZONE_FILE: &str = "www.example.com. 300 IN A 127.0.0.1\n";
/// A PNG signature and bytes that are not UTF-8: any text decoding would change them.
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0xFF, 0x00, 0xFE,
];
const SCAN_ID: &str = "6c4f2ebe-1c29-4b36-9bb3-2d5c0ba4b1f2";
const VIDEO_ID: &str = "ea95132c15732412d22c1476fa83f27a";

/// Like a strict server (and Prism): `body` as `media` when the request's Accept names that type, else 406
/// with a problem document, which is not Cloudflare's envelope.
fn negotiating(
    media: &'static str,
    body: &'static [u8],
) -> impl FnMut(&RecordedRequest) -> Response {
    move |request| {
        let accepted = request.header("accept").unwrap_or_default();
        if accepted.split(',').any(|range| range.trim() == media) {
            Response::raw(200, media, body)
        } else {
            Response::raw(
                406,
                "application/problem+json",
                r#"{"title":"The server cannot produce a representation for your accept header","status":406}"#,
            )
        }
    }
}

#[tokio::test]
async fn a_text_answer_is_accepted_and_returned_as_text() {
    let server = TestServer::start(negotiating("text/plain", ZONE_FILE.as_bytes())).await;
    let exported = key_client(&server)
        .dns_records()
        .export()
        .get(&ExportGetParams::new(ACCOUNT_ID))
        .await
        .unwrap();
    assert_eq!(exported, ZONE_FILE);
    // The error envelope stays acceptable beside the success's type.
    assert_eq!(
        server.single_request().header("accept"),
        Some("text/plain, application/json")
    );
}

#[tokio::test]
async fn a_picture_is_accepted_and_returned_as_its_exact_bytes() {
    let server = TestServer::start(negotiating("image/png", PNG)).await;
    let picture = client(&server)
        .urlscanner()
        .scan()
        .screenshot()
        .get(SCAN_ID, &ScreenshotGetParams::new(ACCOUNT_ID))
        .await
        .unwrap();
    assert_eq!(picture, PNG);
}

#[tokio::test]
async fn an_error_beside_a_text_answer_is_still_cloudflare_s_envelope() {
    let failure = json!({"success": false, "errors": [{"code": 1003, "message": "Invalid zone"}], "messages": [], "result": null});
    let server = TestServer::always_json(404, failure).await;
    let err = key_client(&server)
        .dns_records()
        .export()
        .get(&ExportGetParams::new(ACCOUNT_ID))
        .await
        .unwrap_err();
    match err {
        Error::Api(api) => assert_eq!(api.codes().collect::<Vec<_>>(), vec![1003]),
        other => panic!("expected the API error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_response_the_spec_gives_no_schema_is_done_whatever_its_body() {
    // `stream-videos-delete-video` documents `application/json` without a schema: Cloudflare (and Prism)
    // answer 200 with no body at all, or with some JSON.
    let server = TestServer::with_responses([
        Response::new(200, ""),
        Response::json(
            200,
            &json!({"success": true, "errors": [], "messages": [], "result": null}),
        ),
        Response::raw(200, "text/plain", "deleted"),
    ])
    .await;
    let client = client(&server);
    for _ in 0..3 {
        let () = client
            .stream()
            .delete(VIDEO_ID, &StreamDeleteParams::new(ACCOUNT_ID))
            .await
            .unwrap();
    }
    assert_eq!(server.request_count(), 3);
    assert_eq!(
        server.requests()[0].header("accept"),
        Some("application/json")
    );
}
