//! End to end against the stateful Lists server (`sdk_tests::lists_server`): the whole Lists API through the
//! SDK, the bulk-operation workflow (`wait()`), and cursor paging as a `Stream`.

use std::time::Duration;

use cloudflare_sdk::rules::lists::bulk_operations::BulkOperationGetParams;
use cloudflare_sdk::rules::lists::items::{
    ItemCreateParams, ItemDeleteBody, ItemDeleteBodyItemsItem, ItemDeleteParams, ItemGetParams,
    ItemListParams, ItemUpdateParams,
};
use cloudflare_sdk::rules::lists::{
    ListCreateBody, ListCreateParams, ListDeleteParams, ListGetParams, ListListParams,
    ListUpdateBody, ListUpdateParams,
};
use cloudflare_sdk::types::{
    ListsItem, ListsItemHostname, ListsItemInput, ListsItemInputHostname, ListsKind,
};
use cloudflare_sdk::{Client, Error, WaitOptions};
use futures_util::StreamExt;
use sdk_tests::lists_server::{Endpoint, ListsServer, ListsServerConfig, MAX_ITEMS_MESSAGE};
use sdk_tests::{ACCOUNT_ID, TOKEN};

fn client(server: &ListsServer) -> Client {
    Client::builder()
        .api_token(TOKEN)
        .base_url(server.base_url())
        .build()
        .expect("client")
}

/// Fast polling for tests: the server advances one step per poll.
fn quick() -> WaitOptions {
    WaitOptions::new()
        .interval(Duration::from_millis(2))
        .max_interval(Duration::from_millis(10))
        .deadline(Duration::from_secs(20))
}

fn ip_item(ip: String) -> ListsItemInput {
    ListsItemInput::ip(ip)
}

/// The n-th of many distinct IPv4 addresses, in the order they are sent.
fn nth_ip(n: usize) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

async fn create_list(client: &Client, name: &str, kind: ListsKind) -> String {
    let list = client
        .rules()
        .lists()
        .create(&ListCreateParams::new(
            ACCOUNT_ID,
            ListCreateBody::new(kind, name).with_description("made by a test"),
        ))
        .await
        .expect("create list");
    assert_eq!(list.name.as_deref(), Some(name));
    list.id.expect("a created list has an id")
}

fn item_ip(item: &ListsItem) -> &str {
    match item {
        ListsItem::Ip(item) => &item.ip,
        other => panic!("expected an ip item, got {other:?}"),
    }
}

async fn all_items(client: &Client, list_id: &str, per_page: i64) -> Vec<ListsItem> {
    let params = ItemListParams::new(ACCOUNT_ID).with_per_page(per_page);
    let mut stream = client.rules().lists().items().list(list_id, &params);
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(item.expect("page"));
    }
    items
}

#[tokio::test]
async fn replace_ten_thousand_items_wait_page_through_delete_and_count_again() {
    let server = ListsServer::start(ListsServerConfig::default()).await;
    let client = client(&server);
    let list_id = create_list(&client, "office_ips", ListsKind::Ip).await;
    let items = client.rules().lists().items();

    let body: Vec<_> = (0..10_000).map(|n| ip_item(nth_ip(n))).collect();
    let handle = items
        .update(&list_id, &ItemUpdateParams::new(ACCOUNT_ID, body))
        .await
        .expect("replace items");
    assert_eq!(handle.id().len(), 32);
    let done = handle
        .wait_with(&quick())
        .await
        .expect("operation completes");
    assert_eq!(done.id, handle.id());
    // pending, running, completed: three polls of the operation.
    assert_eq!(server.request_count_for(Endpoint::GetBulkOperation), 3);

    let before = server.request_count_for(Endpoint::ListItems);
    let got = all_items(&client, &list_id, 97).await;
    assert_eq!(got.len(), 10_000);
    for (n, item) in got.iter().enumerate() {
        assert_eq!(item_ip(item), nth_ip(n), "item {n} in order, exactly once");
    }
    // ceil(10000 / 97) pages, fetched one by one.
    assert_eq!(server.request_count_for(Endpoint::ListItems) - before, 104);

    // Delete the first 250 by id, wait, count again.
    let ids: Vec<_> = got[..250]
        .iter()
        .map(|item| match item {
            ListsItem::Ip(item) => ItemDeleteBodyItemsItem::new()
                .with_id(item.id.clone().expect("listed items have ids")),
            other => panic!("{other:?}"),
        })
        .collect();
    let handle = items
        .delete(
            &list_id,
            &ItemDeleteParams::new(ACCOUNT_ID, ItemDeleteBody::new().with_items(ids)),
        )
        .await
        .expect("delete items");
    handle.wait_with(&quick()).await.expect("delete completes");
    let left = all_items(&client, &list_id, 500).await;
    assert_eq!(left.len(), 9_750);
    assert_eq!(item_ip(&left[0]), nth_ip(250));
    let list = client
        .rules()
        .lists()
        .get(&list_id, &ListGetParams::new(ACCOUNT_ID))
        .await
        .expect("get list");
    assert_eq!(list.num_items, Some(9_750.0));
}

#[tokio::test]
async fn a_list_over_its_limit_fails_with_cloudflares_message() {
    let server = ListsServer::start(ListsServerConfig {
        max_items_per_list: 3,
        ..ListsServerConfig::default()
    })
    .await;
    let client = client(&server);
    let list_id = create_list(&client, "small", ListsKind::Ip).await;
    let handle = client
        .rules()
        .lists()
        .items()
        .create(
            &list_id,
            &ItemCreateParams::new(
                ACCOUNT_ID,
                (0..4).map(|n| ip_item(nth_ip(n))).collect::<Vec<_>>(),
            ),
        )
        .await
        .expect("the change is accepted; it fails while running");
    match handle.wait_with(&quick()).await {
        Err(Error::OperationFailed {
            id,
            status,
            message,
            ..
        }) => {
            assert_eq!(id, handle.id());
            assert_eq!(status, "failed");
            assert_eq!(message, MAX_ITEMS_MESSAGE);
        }
        other => panic!("expected OperationFailed, got {other:?}"),
    }
    assert!(server.items(&list_id).is_empty(), "the list is unchanged");
}

#[tokio::test]
async fn a_deadline_gives_the_last_status_seen() {
    let server = ListsServer::start(ListsServerConfig {
        never_complete: true,
        ..ListsServerConfig::default()
    })
    .await;
    let client = client(&server);
    let list_id = create_list(&client, "stuck", ListsKind::Ip).await;
    let handle = client
        .rules()
        .lists()
        .items()
        .create(
            &list_id,
            &ItemCreateParams::new(ACCOUNT_ID, vec![ip_item(nth_ip(1))]),
        )
        .await
        .expect("accepted");
    let options = WaitOptions::new()
        .interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(20))
        .deadline(Duration::from_millis(300));
    match handle.wait_with(&options).await {
        Err(Error::WaitTimeout {
            id, last_status, ..
        }) => {
            assert_eq!(id, handle.id());
            assert_eq!(last_status.as_deref(), Some("running"));
        }
        other => panic!("expected WaitTimeout, got {other:?}"),
    }
    let polls = server.request_count_for(Endpoint::GetBulkOperation);
    assert!((2..=60).contains(&polls), "{polls} polls in 300 ms");
}

#[tokio::test]
async fn dropping_the_wait_future_stops_polling() {
    let server = ListsServer::start(ListsServerConfig {
        never_complete: true,
        ..ListsServerConfig::default()
    })
    .await;
    let client = client(&server);
    let params = BulkOperationGetParams::new(ACCOUNT_ID);
    let list_id = create_list(&client, "dropped", ListsKind::Ip).await;
    let handle = client
        .rules()
        .lists()
        .items()
        .create(
            &list_id,
            &ItemCreateParams::new(ACCOUNT_ID, vec![ip_item(nth_ip(1))]),
        )
        .await
        .expect("accepted");
    let options = WaitOptions::new().interval(Duration::from_millis(5));
    let waiting =
        client
            .rules()
            .lists()
            .bulk_operations()
            .wait_with(handle.id(), &params, &options);
    assert!(tokio::time::timeout(Duration::from_millis(100), waiting)
        .await
        .is_err());
    let polls = server.request_count_for(Endpoint::GetBulkOperation);
    assert!(polls >= 1);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(server.request_count_for(Endpoint::GetBulkOperation), polls);
}

#[tokio::test]
async fn a_repeated_cursor_ends_the_stream_with_an_error() {
    let server = ListsServer::start(ListsServerConfig {
        repeat_cursor: true,
        ..ListsServerConfig::default()
    })
    .await;
    let client = client(&server);
    let list_id = create_list(&client, "loop", ListsKind::Ip).await;
    client
        .rules()
        .lists()
        .items()
        .create(
            &list_id,
            &ItemCreateParams::new(
                ACCOUNT_ID,
                (0..30).map(|n| ip_item(nth_ip(n))).collect::<Vec<_>>(),
            ),
        )
        .await
        .expect("accepted")
        .wait_with(&quick())
        .await
        .expect("done");
    let params = ItemListParams::new(ACCOUNT_ID).with_per_page(10);
    let mut stream = client.rules().lists().items().list(&list_id, &params);
    let mut items = 0;
    let mut error = None;
    while let Some(next) = stream.next().await {
        match next {
            Ok(_) => items += 1,
            Err(err) => {
                error = Some(err);
                break;
            }
        }
    }
    assert!(
        matches!(error, Some(Error::RepeatedCursor { .. })),
        "{error:?}"
    );
    assert!(
        stream.next().await.is_none(),
        "the stream ends after the error"
    );
    assert_eq!(items, 20, "two pages, then the repeat is caught");
    assert_eq!(server.request_count_for(Endpoint::ListItems), 2);
}

#[tokio::test]
async fn lists_crud_and_typed_items_of_every_kind() {
    let server = ListsServer::start(ListsServerConfig::default()).await;
    let client = client(&server);
    let lists = client.rules().lists();
    let list_id = create_list(&client, "hosts", ListsKind::Hostname).await;

    let all = lists
        .list(&ListListParams::new(ACCOUNT_ID))
        .await
        .expect("list lists");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].kind, ListsKind::Hostname);
    let created = all[0].created_on;
    assert!(created.year() >= 2020);

    let updated = lists
        .update(
            &list_id,
            &ListUpdateParams::new(
                ACCOUNT_ID,
                ListUpdateBody::new().with_description("new words"),
            ),
        )
        .await
        .expect("update list");
    assert_eq!(updated.description.as_deref(), Some("new words"));

    let item = ListsItemInput::Hostname(
        ListsItemInputHostname::new(ListsItemHostname::new("example.com")).with_comment("apex"),
    );
    lists
        .items()
        .create(&list_id, &ItemCreateParams::new(ACCOUNT_ID, vec![item]))
        .await
        .expect("accepted")
        .wait_with(&quick())
        .await
        .expect("done");
    let page = lists
        .items()
        .list_page(&list_id, &ItemListParams::new(ACCOUNT_ID))
        .await
        .expect("one page");
    assert_eq!(page.result.len(), 1);
    let ListsItem::Hostname(hostname) = &page.result[0] else {
        panic!("{:?}", page.result[0]);
    };
    assert_eq!(hostname.hostname.url_hostname, "example.com");
    assert_eq!(hostname.comment.as_deref(), Some("apex"));
    assert!(hostname.created_on.is_some(), "timestamps are typed");
    let item_id = hostname.id.clone().expect("an id");

    let one = lists
        .items()
        .get(&list_id, &item_id, &ItemGetParams::new(ACCOUNT_ID))
        .await
        .expect("get item");
    assert_eq!(one, page.result[0]);

    let deleted = lists
        .delete(&list_id, &ListDeleteParams::new(ACCOUNT_ID))
        .await
        .expect("delete list");
    assert_eq!(deleted.id.as_deref(), Some(list_id.as_str()));
    let deletes: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::DeleteList)
        .collect();
    assert_eq!(
        deletes[0].body, b"{}",
        "a required body without a schema is sent as {{}}"
    );
    assert!(server.lists().is_empty());
}

#[tokio::test]
async fn asn_and_redirect_items_decode_to_their_variants() {
    let server = ListsServer::start(ListsServerConfig::default()).await;
    let client = client(&server);
    for (name, kind, body) in [
        ("asns", ListsKind::Asn, ListsItemInput::asn(13335)),
        (
            "redirects",
            ListsKind::Redirect,
            ListsItemInput::redirect(cloudflare_sdk::types::ListsItemRedirect::new(
                "example.com/a",
                "https://example.net/b",
            )),
        ),
    ] {
        let list_id = create_list(&client, name, kind.clone()).await;
        client
            .rules()
            .lists()
            .items()
            .update(&list_id, &ItemUpdateParams::new(ACCOUNT_ID, vec![body]))
            .await
            .expect("accepted")
            .wait_with(&quick())
            .await
            .expect("done");
        let items = all_items(&client, &list_id, 10).await;
        match (&kind, &items[..]) {
            (ListsKind::Asn, [ListsItem::Asn(item)]) => assert_eq!(item.asn, 13335),
            (ListsKind::Redirect, [ListsItem::Redirect(item)]) => {
                assert_eq!(item.redirect.target_url, "https://example.net/b");
                assert_eq!(
                    item.redirect.status_code,
                    Some(301),
                    "the server fills the default"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn invalid_arguments_are_rejected_before_anything_is_sent() {
    let server = ListsServer::start(ListsServerConfig::default()).await;
    let client = client(&server);
    let result = client
        .rules()
        .lists()
        .items()
        .list_page("too-short", &ItemListParams::new(ACCOUNT_ID))
        .await;
    assert!(
        matches!(
            result,
            Err(Error::InvalidArgument {
                parameter: "list_id",
                ..
            })
        ),
        "{result:?}"
    );
    assert_eq!(server.request_count(), 0);
}
