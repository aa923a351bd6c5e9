//! Decoding the `status` union into its variants, and serializing it back to the same JSON.

use super::*;

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

// Serializing the union back

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
