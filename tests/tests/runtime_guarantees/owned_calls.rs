//! Calls, streams and operation handles own their client: they outlive it and can be spawned.

use super::*;

// Spawnable calls.

#[tokio::test]
async fn a_call_outlives_its_client_and_can_be_spawned() {
    let server = TestServer::always(status("completed")).await;
    let client = sdk_tests::client(&server);
    let call = get_status(&client).max_retries(0);
    drop(client);
    let value = tokio::spawn(call.send()).await.unwrap().unwrap();
    assert!(
        matches!(value, BulkOperationGetResponse::Completed(_)),
        "{value:?}"
    );
    // `.await` on the call itself is spawnable too, and the params it was built from (and the id they
    // borrowed) can go before it is sent: the call copied what it needs.
    let client = sdk_tests::client(&server);
    let account_id = String::from(ACCOUNT_ID);
    let params = BulkOperationGetParams::new(&account_id);
    let call = client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params);
    drop((client, params, account_id));
    tokio::spawn(async move { call.await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(server.request_count(), 2);
}

/// Returned from a function: the stream owns its client.
fn every_item(client: &Client) -> Paginator<cloudflare_sdk::types::ListsItem> {
    let params = ItemListParams::new(ACCOUNT_ID);
    client.rules().lists().items().list(LIST_ID, &params)
}

#[tokio::test]
async fn streams_and_operation_handles_are_static_and_spawnable() {
    let server = TestServer::start(|request| {
        if request.target.contains("bulk_operations") {
            status("completed")
        } else if request.method == "POST" {
            Response::json(200, &envelope(json!({ "operation_id": OPERATION_ID })))
        } else if request.target.contains("cursor=next") {
            Response::json(
                200,
                &json!({ "success": true, "errors": [], "messages": [],
                         "result": [{ "id": "b", "ip": "10.0.0.2", "created_on": "2020-01-01T00:00:00Z",
                                      "modified_on": "2020-01-01T00:00:00Z" }] }),
            )
        } else {
            Response::json(
                200,
                &json!({ "success": true, "errors": [], "messages": [],
                         "result": [{ "id": "a", "ip": "10.0.0.1", "created_on": "2020-01-01T00:00:00Z",
                                      "modified_on": "2020-01-01T00:00:00Z" }],
                         "result_info": { "cursors": { "after": "next" } } }),
            )
        }
    })
    .await;
    let client = sdk_tests::client(&server);
    let stream = every_item(&client);
    let operation = client
        .rules()
        .lists()
        .items()
        .create(
            LIST_ID,
            &ItemCreateParams::new(ACCOUNT_ID, vec![ListsItemInput::ip("10.0.0.3")]),
        )
        .await
        .unwrap();
    drop(client);
    let items = tokio::spawn(stream.collect::<Vec<_>>()).await.unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items.iter().all(Result::is_ok), "{items:?}");
    let done = tokio::spawn(operation.wait()).await.unwrap().unwrap();
    assert_eq!(done.id, OPERATION_ID);
    assert_eq!(operation.id(), OPERATION_ID);
}
