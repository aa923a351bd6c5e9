//! Self-tests of the in-memory Lists API server (`sdk_tests::lists_server`), driven with plain reqwest so they
//! hold whatever the SDK's API looks like.

use std::collections::HashSet;

use reqwest::Method;
use sdk_tests::lists_server::{code, Endpoint, ListsServer, ListsServerConfig, MAX_ITEMS_MESSAGE};
use serde_json::{json, Value};

/// A server and a client that speaks to it with the configured token.
struct Api {
    server: ListsServer,
    http: reqwest::Client,
}

/// Status and parsed body of one call.
struct Reply {
    status: u16,
    body: Value,
}

impl Reply {
    fn result(&self) -> &Value {
        assert_eq!(self.status, 200, "unexpected failure: {}", self.body);
        assert_eq!(self.body["success"], true, "{}", self.body);
        assert_eq!(self.body["errors"], json!([]), "{}", self.body);
        assert_eq!(self.body["messages"], json!([]), "{}", self.body);
        &self.body["result"]
    }

    /// Asserts a failure envelope with this status and first error code; returns the first message.
    fn failure(&self, status: u16, code: i64) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["success"], false, "{}", self.body);
        assert_eq!(self.body["result"], Value::Null, "{}", self.body);
        assert_eq!(self.body["messages"], json!([]), "{}", self.body);
        assert_eq!(self.body["errors"][0]["code"], code, "{}", self.body);
        self.body["errors"][0]["message"]
            .as_str()
            .expect("an error message")
            .to_owned()
    }
}

impl Api {
    async fn start(config: ListsServerConfig) -> Api {
        Api {
            server: ListsServer::start(config).await,
            http: reqwest::Client::new(),
        }
    }

    async fn new() -> Api {
        Api::start(ListsServerConfig::default()).await
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/accounts/{}/rules/lists{path}",
            self.server.base_url(),
            self.server.config().account_id
        )
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.bytes().await.expect("read body");
        assert_eq!(content_type.as_deref(), Some("application/json"));
        let body = serde_json::from_slice(&bytes).expect("a JSON body");
        Reply { status, body }
    }

    /// A call with the bearer token; `body` is sent as JSON.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.server.config().api_token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        self.send(request).await
    }

    async fn create_list(&self, name: &str, kind: &str) -> String {
        let reply = self
            .call(
                Method::POST,
                "",
                Some(json!({ "name": name, "kind": kind })),
            )
            .await;
        reply.result()["id"].as_str().expect("list id").to_owned()
    }

    /// Starts an item change and returns its operation id.
    async fn change(&self, method: Method, list: &str, body: Value) -> String {
        let reply = self
            .call(method, &format!("/{list}/items"), Some(body))
            .await;
        let id = reply.result()["operation_id"]
            .as_str()
            .expect("operation_id")
            .to_owned();
        assert!(is_hex32(&id), "operation id {id}");
        id
    }

    async fn poll(&self, operation: &str) -> Value {
        self.call(Method::GET, &format!("/bulk_operations/{operation}"), None)
            .await
            .result()
            .clone()
    }

    /// Polls until the operation is completed or failed (at most 20 polls).
    async fn finish(&self, operation: &str) -> Value {
        for _ in 0..20 {
            let status = self.poll(operation).await;
            if status["status"] == "completed" || status["status"] == "failed" {
                return status;
            }
        }
        panic!("operation {operation} did not finish in 20 polls");
    }

    async fn add(&self, list: &str, items: Value) -> Value {
        let operation = self.change(Method::POST, list, items).await;
        self.finish(&operation).await
    }

    async fn page(&self, list: &str, query: &str) -> Reply {
        self.call(Method::GET, &format!("/{list}/items{query}"), None)
            .await
    }

    /// Follows `after` cursors from the first page (at most `max_pages` pages).
    async fn all_items(&self, list: &str, query: &str, max_pages: usize) -> (Vec<Value>, usize) {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for pages in 1..=max_pages {
            let mut q = format!("?{query}");
            if let Some(c) = &cursor {
                q.push_str(&format!("&cursor={c}"));
            }
            let reply = self.page(list, &q).await;
            items.extend(reply.result().as_array().unwrap().iter().cloned());
            match reply.body["result_info"]["cursors"]["after"].as_str() {
                Some(after) => cursor = Some(after.to_owned()),
                None => return (items, pages),
            }
        }
        panic!("more than {max_pages} pages");
    }
}

fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_rfc3339(s: &Value) -> bool {
    let s = s.as_str().unwrap_or_default();
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
        && s.ends_with('Z')
}

fn ips(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({ "ip": format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256), "comment": format!("item {i}") }))
            .collect(),
    )
}

#[tokio::test]
async fn lists_are_created_read_updated_listed_and_deleted() {
    let api = Api::new().await;
    let reply = api
        .call(
            Method::POST,
            "",
            Some(json!({ "name": "blocked_ips", "kind": "ip", "description": "bad actors" })),
        )
        .await;
    let list = reply.result().clone();
    let id = list["id"].as_str().unwrap().to_owned();
    assert!(is_hex32(&id));
    assert_eq!(list["name"], "blocked_ips");
    assert_eq!(list["kind"], "ip");
    assert_eq!(list["description"], "bad actors");
    assert_eq!(list["num_items"], 0);
    assert_eq!(list["num_referencing_filters"], 0);
    assert!(is_rfc3339(&list["created_on"]) && is_rfc3339(&list["modified_on"]));

    assert_eq!(
        *api.call(Method::GET, &format!("/{id}"), None)
            .await
            .result(),
        list
    );
    let other = api.create_list("hosts", "hostname").await;
    let all = api.call(Method::GET, "", None).await;
    let names: Vec<&str> = all
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["blocked_ips", "hosts"]);

    let updated = api
        .call(
            Method::PUT,
            &format!("/{id}"),
            Some(json!({ "description": "new note" })),
        )
        .await;
    assert_eq!(updated.result()["description"], "new note");
    assert_eq!(updated.result()["name"], "blocked_ips");

    // DELETE with the spec's schema-less body, and without any body.
    let deleted = api
        .call(Method::DELETE, &format!("/{id}"), Some(json!({})))
        .await;
    assert_eq!(*deleted.result(), json!({ "id": id }));
    let deleted = api.call(Method::DELETE, &format!("/{other}"), None).await;
    assert_eq!(*deleted.result(), json!({ "id": other }));
    let message = api
        .call(Method::GET, &format!("/{id}"), None)
        .await
        .failure(404, code::LIST_NOT_FOUND);
    assert_eq!(message, "list not found");
    assert_eq!(*api.call(Method::GET, "", None).await.result(), json!([]));
}

#[tokio::test]
async fn list_fields_are_validated() {
    let api = Api::new().await;
    let cases = [
        (json!({ "kind": "ip" }), "name: required"),
        (
            json!({ "name": "a".repeat(51), "kind": "ip" }),
            "at most 50",
        ),
        (
            json!({ "name": "has-dash", "kind": "ip" }),
            "^[a-zA-Z0-9_]+$",
        ),
        (json!({ "name": "ok", "kind": "email" }), "kind"),
        (json!({ "name": "ok" }), "kind: required"),
        (
            json!({ "name": "ok", "kind": "ip", "description": "d".repeat(501) }),
            "at most 500",
        ),
        (json!(["not", "an", "object"]), "JSON object"),
    ];
    for (body, expected) in cases {
        let message = api
            .call(Method::POST, "", Some(body.clone()))
            .await
            .failure(400, code::VALIDATION);
        assert!(message.contains(expected), "{body}: {message}");
    }
    // 50 characters and 500-character descriptions are fine.
    let name = "a".repeat(50);
    api.call(
        Method::POST,
        "",
        Some(json!({ "name": name, "kind": "asn", "description": "d".repeat(500) })),
    )
    .await
    .result();
    let duplicate = api
        .call(
            Method::POST,
            "",
            Some(json!({ "name": name, "kind": "ip" })),
        )
        .await;
    assert!(duplicate
        .failure(409, code::DUPLICATE_NAME)
        .contains("already exists"));
    assert_eq!(api.server.lists().len(), 1);
}

#[tokio::test]
async fn item_changes_are_asynchronous_pending_running_completed() {
    let api = Api::new().await;
    let list = api.create_list("ips", "ip").await;
    let operation = api
        .change(
            Method::POST,
            &list,
            json!([{ "ip": "1.2.3.4", "comment": "x" }, { "ip": "10.0.0.0/8" }]),
        )
        .await;

    // Nothing is visible until the operation completes.
    assert_eq!(*api.page(&list, "").await.result(), json!([]));
    assert_eq!(
        api.poll(&operation).await,
        json!({ "id": operation, "status": "pending" })
    );
    assert_eq!(
        api.poll(&operation).await,
        json!({ "id": operation, "status": "running" })
    );
    assert!(api.server.items(&list).is_empty());
    let done = api.poll(&operation).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["id"], operation.as_str());
    assert!(is_rfc3339(&done["completed"]));
    assert_eq!(done.as_object().unwrap().len(), 3, "{done}");
    // The final state repeats.
    assert_eq!(api.poll(&operation).await, done);

    let items = api.page(&list, "").await.result().clone();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["ip"], "1.2.3.4");
    assert_eq!(items[0]["comment"], "x");
    assert!(is_hex32(items[0]["id"].as_str().unwrap()));
    assert!(is_rfc3339(&items[0]["created_on"]) && is_rfc3339(&items[0]["modified_on"]));
    assert_eq!(items[1]["ip"], "10.0.0.0/8");
    assert!(items[1].get("comment").is_none());
    assert_eq!(api.server.items(&list), *items);

    let item_id = items[0]["id"].as_str().unwrap();
    let one = api
        .call(Method::GET, &format!("/{list}/items/{item_id}"), None)
        .await;
    assert_eq!(*one.result(), items[0]);
    api.call(
        Method::GET,
        &format!("/{list}/items/{}", "0".repeat(32)),
        None,
    )
    .await
    .failure(404, code::ITEM_NOT_FOUND);

    let list_now = api.call(Method::GET, &format!("/{list}"), None).await;
    assert_eq!(list_now.result()["num_items"], 2);

    api.call(
        Method::GET,
        &format!("/bulk_operations/{}", "f".repeat(32)),
        None,
    )
    .await
    .failure(404, code::OPERATION_NOT_FOUND);
}

#[tokio::test]
async fn polls_per_step_and_never_complete_are_honoured() {
    let api = Api::start(ListsServerConfig {
        polls_per_step: 2,
        ..Default::default()
    })
    .await;
    let list = api.create_list("ips", "ip").await;
    let operation = api.change(Method::POST, &list, ips(3)).await;
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(api.poll(&operation).await["status"].clone());
    }
    assert_eq!(
        seen,
        ["pending", "pending", "running", "running", "completed"]
    );

    let api = Api::start(ListsServerConfig {
        never_complete: true,
        ..Default::default()
    })
    .await;
    let list = api.create_list("ips", "ip").await;
    let operation = api.change(Method::POST, &list, ips(3)).await;
    assert_eq!(api.poll(&operation).await["status"], "pending");
    for _ in 0..30 {
        assert_eq!(api.poll(&operation).await["status"], "running");
    }
    assert!(api.server.items(&list).is_empty());

    let api = Api::start(ListsServerConfig {
        polls_per_step: 0,
        ..Default::default()
    })
    .await;
    let list = api.create_list("ips", "ip").await;
    let operation = api.change(Method::POST, &list, ips(3)).await;
    assert_eq!(api.poll(&operation).await["status"], "completed");
}

#[tokio::test]
async fn paging_returns_each_item_once_in_order() {
    let api = Api::new().await;
    let list = api.create_list("ips", "ip").await;
    assert_eq!(api.add(&list, ips(50)).await["status"], "completed");

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let query = match &cursor {
            Some(c) => format!("?per_page=7&cursor={c}"),
            None => "?per_page=7".to_owned(),
        };
        let reply = api.page(&list, &query).await;
        let page = reply.result().as_array().unwrap().clone();
        let cursors = reply.body["result_info"]["cursors"].clone();
        pages.push((page.len(), cursors.clone()));
        seen.extend(
            page.iter()
                .map(|i| i["comment"].as_str().unwrap().to_owned()),
        );
        match cursors["after"].as_str() {
            Some(after) => {
                assert!(
                    after.len() > 8 && after.parse::<u64>().is_err(),
                    "opaque: {after}"
                );
                cursor = Some(after.to_owned());
            }
            None => break,
        }
        assert!(pages.len() < 20);
    }
    let expected: Vec<String> = (0..50).map(|i| format!("item {i}")).collect();
    assert_eq!(seen, expected);
    let sizes: Vec<usize> = pages.iter().map(|(n, _)| *n).collect();
    assert_eq!(sizes, [7, 7, 7, 7, 7, 7, 7, 1]);
    // The first page has nothing before it, the last nothing after it.
    assert!(pages[0].1.get("before").is_none());
    assert!(pages[0].1["after"].is_string());
    let last = &pages[7].1;
    assert!(last.get("after").is_none(), "{last}");
    assert!(last["before"].is_string());

    // `before` leads back to the previous page.
    let before = last["before"].as_str().unwrap();
    let back = api
        .page(&list, &format!("?per_page=7&cursor={before}"))
        .await;
    let back: Vec<&str> = back
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["comment"].as_str().unwrap())
        .collect();
    assert_eq!(back, &expected[42..49]);

    // Without per_page, pages hold 25.
    let (all, pages) = api.all_items(&list, "", 10).await;
    assert_eq!((all.len(), pages), (50, 2));
    // One page that holds everything has no cursors.
    let reply = api.page(&list, "?per_page=500").await;
    assert_eq!(reply.result().as_array().unwrap().len(), 50);
    assert_eq!(reply.body["result_info"], json!({ "cursors": {} }));
}

#[tokio::test]
async fn per_page_and_cursor_are_validated() {
    let api = Api::new().await;
    let list = api.create_list("ips", "ip").await;
    api.add(&list, ips(3)).await;
    for bad in ["0", "501", "-1", "abc", "2.5"] {
        api.page(&list, &format!("?per_page={bad}"))
            .await
            .failure(400, code::VALIDATION);
    }
    for ok in ["1", "500"] {
        api.page(&list, &format!("?per_page={ok}")).await.result();
    }
    api.page(&list, "?cursor=1")
        .await
        .failure(400, code::INVALID_CURSOR);

    // A cursor of one list is not a cursor of another.
    let reply = api.page(&list, "?per_page=1").await;
    let after = reply.body["result_info"]["cursors"]["after"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = api.create_list("other", "ip").await;
    api.page(&other, &format!("?cursor={after}"))
        .await
        .failure(400, code::INVALID_CURSOR);
    api.page(&"0".repeat(32), "")
        .await
        .failure(404, code::LIST_NOT_FOUND);
}

#[tokio::test]
async fn cursors_survive_deletions_between_pages() {
    let api = Api::new().await;
    let list = api.create_list("ips", "ip").await;
    api.add(&list, ips(10)).await;
    let first = api.page(&list, "?per_page=4").await;
    let after = first.body["result_info"]["cursors"]["after"]
        .as_str()
        .unwrap()
        .to_owned();
    // Delete the last item of page 1 and the first of page 2.
    let items = api.server.items(&list);
    let body = json!({ "items": [{ "id": items[3]["id"] }, { "id": items[4]["id"] }] });
    let operation = api.change(Method::DELETE, &list, body).await;
    assert_eq!(api.finish(&operation).await["status"], "completed");
    let next = api
        .page(&list, &format!("?per_page=4&cursor={after}"))
        .await;
    let comments: Vec<&str> = next
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["comment"].as_str().unwrap())
        .collect();
    assert_eq!(comments, ["item 5", "item 6", "item 7", "item 8"]);
}

#[tokio::test]
async fn search_follows_each_kind_rule() {
    let api = Api::new().await;

    let ip = api.create_list("ips", "ip").await;
    api.add(
        &ip,
        json!([{ "ip": "1.1.1.1" }, { "ip": "1.1.2.2" }, { "ip": "2.1.1.1" }, { "ip": "2001:db8::/48" }]),
    )
    .await;
    let found = api.page(&ip, "?search=1.1.").await;
    let found: Vec<&str> = found
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ip"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["1.1.1.1", "1.1.2.2"]);

    let hosts = api.create_list("hosts", "hostname").await;
    api.add(
        &hosts,
        json!([
            { "hostname": { "url_hostname": "example.com" } },
            { "hostname": { "url_hostname": "*.example.org" } },
            { "hostname": { "url_hostname": "other.net" } }
        ]),
    )
    .await;
    let found = api.page(&hosts, "?search=example").await;
    assert_eq!(found.result().as_array().unwrap().len(), 2);
    assert_eq!(
        found.result()[1]["hostname"],
        json!({ "url_hostname": "*.example.org" })
    );

    let redirects = api.create_list("redirects", "redirect").await;
    let done = api
        .add(
            &redirects,
            json!([
                { "redirect": { "source_url": "example.com/arch", "target_url": "https://archlinux.org/", "status_code": 302 } },
                { "redirect": { "source_url": "example.com/debian", "target_url": "https://debian.org/" } }
            ]),
        )
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    let found = api.page(&redirects, "?search=arch").await;
    assert_eq!(
        *found.result(),
        json!([api.server.items(&redirects)[0].clone()])
    );
    assert_eq!(
        found.result()[0]["redirect"],
        json!({
            "source_url": "example.com/arch",
            "target_url": "https://archlinux.org/",
            "include_subdomains": false,
            "subpath_matching": false,
            "preserve_query_string": false,
            "preserve_path_suffix": false,
            "status_code": 302
        })
    );

    let asns = api.create_list("asns", "asn").await;
    api.add(
        &asns,
        json!([{ "asn": 5567 }, { "asn": 55670 }, { "asn": 13335 }]),
    )
    .await;
    let found = api.page(&asns, "?search=5567").await;
    assert_eq!(found.result().as_array().unwrap().len(), 1);
    assert_eq!(found.result()[0]["asn"], 5567);

    // Paging through a search.
    let many = api.create_list("many", "ip").await;
    api.add(&many, ips(600)).await;
    let (all, pages) = api.all_items(&many, "per_page=10&search=10.0.1.", 30).await;
    assert_eq!(all.len(), 256, "10.0.1.0 to 10.0.1.255");
    assert_eq!(pages, 26);
    assert!(all
        .iter()
        .all(|i| i["ip"].as_str().unwrap().starts_with("10.0.1.")));
}

#[tokio::test]
async fn items_are_replaced_and_deleted() {
    let api = Api::new().await;
    let list = api.create_list("ips", "ip").await;
    api.add(&list, ips(5)).await;
    let before = api.server.items(&list);

    let body = json!({ "items": [{ "id": before[1]["id"] }, { "id": before[3]["id"] }, { "id": "unknown" }] });
    let operation = api.change(Method::DELETE, &list, body).await;
    assert_eq!(api.server.items(&list).len(), 5, "not applied before polls");
    assert_eq!(api.finish(&operation).await["status"], "completed");
    let left: Vec<Value> = api.server.items(&list);
    assert_eq!(
        left,
        [before[0].clone(), before[2].clone(), before[4].clone()]
    );
    let meta = api.call(Method::GET, &format!("/{list}"), None).await;
    assert_eq!(meta.result()["num_items"], 3);

    let operation = api
        .change(Method::PUT, &list, json!([{ "ip": "9.9.9.9" }]))
        .await;
    assert_eq!(api.finish(&operation).await["status"], "completed");
    let now = api.server.items(&list);
    assert_eq!(now.len(), 1);
    assert_eq!(now[0]["ip"], "9.9.9.9");

    for bad in [
        json!({}),
        json!({ "items": [] }),
        json!({ "items": [{}] }),
        json!([]),
    ] {
        api.call(Method::DELETE, &format!("/{list}/items"), Some(bad))
            .await
            .failure(400, code::VALIDATION);
    }
    for bad in [json!({ "ip": "1.1.1.1" }), json!(["1.1.1.1"])] {
        api.call(Method::POST, &format!("/{list}/items"), Some(bad))
            .await
            .failure(400, code::VALIDATION);
    }
    api.call(
        Method::POST,
        &format!("/{}/items", "0".repeat(32)),
        Some(ips(1)),
    )
    .await
    .failure(404, code::LIST_NOT_FOUND);
}

#[tokio::test]
async fn changes_of_a_list_apply_in_order() {
    let api = Api::new().await;
    let list = api.create_list("ips", "ip").await;
    let first = api.change(Method::POST, &list, ips(3)).await;
    let second = api
        .change(Method::PUT, &list, json!([{ "ip": "8.8.8.8" }]))
        .await;
    let third = api
        .change(Method::POST, &list, json!([{ "ip": "9.9.9.9" }]))
        .await;
    // Finishing the second applies the first before it, and not the third.
    assert_eq!(api.finish(&second).await["status"], "completed");
    assert_eq!(api.poll(&first).await["status"], "completed");
    let ips_now: Vec<Value> = api
        .server
        .items(&list)
        .iter()
        .map(|i| i["ip"].clone())
        .collect();
    assert_eq!(ips_now, [json!("8.8.8.8")]);
    assert_eq!(api.poll(&third).await["status"], "pending");
    api.finish(&third).await;
    assert_eq!(api.server.items(&list).len(), 2);
}

#[tokio::test]
async fn the_item_limit_fails_the_operation_and_keeps_the_list() {
    let api = Api::new().await;
    let list = api.create_list("ips", "ip").await;
    // Exactly 10,000 items fit by default.
    assert_eq!(api.add(&list, ips(10_000)).await["status"], "completed");
    let modified = api.call(Method::GET, &format!("/{list}"), None).await;
    let modified = modified.result().clone();
    assert_eq!(modified["num_items"], 10_000);

    let failed = api.add(&list, ips(1)).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"], MAX_ITEMS_MESSAGE);
    assert!(is_rfc3339(&failed["completed"]));
    let after = api.call(Method::GET, &format!("/{list}"), None).await;
    assert_eq!(*after.result(), modified, "unchanged");

    let small = Api::start(ListsServerConfig {
        max_items_per_list: 5,
        ..Default::default()
    })
    .await;
    let list = small.create_list("ips", "ip").await;
    assert_eq!(small.add(&list, ips(3)).await["status"], "completed");
    let failed = small.add(&list, ips(3)).await;
    assert_eq!(
        failed["error"],
        "This list is at the maximum number of items"
    );
    assert_eq!(small.server.items(&list).len(), 3);
    let operation = small.change(Method::PUT, &list, ips(6)).await;
    assert_eq!(small.finish(&operation).await["status"], "failed");
    let operation = small.change(Method::PUT, &list, ips(5)).await;
    assert_eq!(small.finish(&operation).await["status"], "completed");
}

#[tokio::test]
async fn items_of_the_wrong_kind_or_shape_fail_the_operation() {
    let api = Api::new().await;
    let list = api.create_list("ips", "ip").await;
    api.add(&list, ips(2)).await;
    let cases = [
        (
            json!([{ "ip": "1.1.1.1" }, { "hostname": { "url_hostname": "example.com" } }]),
            "items[1]: a list of kind \"ip\" cannot hold \"hostname\" items",
        ),
        (
            json!([{ "comment": "no value" }]),
            "needs items with an \"ip\" field",
        ),
        (json!([{ "ip": "1.1.1.1", "asn": 1 }]), "exactly one of"),
        (json!([{ "ip": "999.1.1.1" }]), "not an IPv4 address"),
        (json!([{ "ip": "2001:db8::1" }]), "IPv6 CIDR (/12 to /64)"),
        (json!([{ "ip": "10.0.0.0/4" }]), "/8 to /32"),
        (json!([{ "ip": 17 }]), "ip: must be a string"),
        (json!([{ "ip": "1.1.1.1", "comment": 5 }]), "comment"),
    ];
    for (items, expected) in cases {
        let status = api.add(&list, items.clone()).await;
        assert_eq!(status["status"], "failed", "{items}");
        let error = status["error"].as_str().unwrap();
        assert!(error.contains(expected), "{items}: {error}");
    }
    assert_eq!(api.server.items(&list).len(), 2, "all or nothing");

    let asns = api.create_list("asns", "asn").await;
    let failed = api.add(&asns, json!([{ "asn": -1 }])).await;
    assert_eq!(failed["status"], "failed");
    let failed = api.add(&asns, json!([{ "asn": 4_294_967_296u64 }])).await;
    assert_eq!(failed["status"], "failed");
    let redirects = api.create_list("redirects", "redirect").await;
    let failed = api
        .add(
            &redirects,
            json!([{ "redirect": { "source_url": "a.com/x", "target_url": "https://b.com", "status_code": 200 } }]),
        )
        .await;
    assert!(failed["error"].as_str().unwrap().contains("status_code"));
}

#[tokio::test]
async fn authentication_is_required() {
    let api = Api::new().await;
    let url = api.url("");
    let denied = [
        api.http.get(&url),
        api.http.get(&url).bearer_auth("wrong"),
        api.http
            .get(&url)
            .header("x-auth-email", "user@example.com"),
        api.http
            .get(&url)
            .header("x-auth-email", "user@example.com")
            .header("x-auth-key", "wrong"),
    ];
    for request in denied {
        let message = api.send(request).await.failure(403, code::AUTHENTICATION);
        assert_eq!(message, "Authentication error");
    }
    let config = api.server.config().clone();
    let ok = api
        .http
        .get(&url)
        .header("X-Auth-Email", &config.api_email)
        .header("X-Auth-Key", &config.api_key);
    assert_eq!(*api.send(ok).await.result(), json!([]));

    // Another account is denied; an id of the wrong shape cannot be routed.
    let other = format!(
        "{}/accounts/{}/rules/lists",
        api.server.base_url(),
        "a".repeat(32)
    );
    let request = api.http.get(&other).bearer_auth(&config.api_token);
    api.send(request).await.failure(403, code::AUTHENTICATION);
    let short = format!("{}/accounts/abc/rules/lists", api.server.base_url());
    let request = api.http.get(&short).bearer_auth(&config.api_token);
    api.send(request).await.failure(404, code::NO_ROUTE);
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_malformed_json_get_envelopes() {
    let api = Api::new().await;
    let base = api.server.base_url();
    for path in [
        "/".to_owned(),
        "/client/v4/accounts".to_owned(),
        format!("{}/", api.url("")),
        api.url("/bulk_operations/"),
    ] {
        let url = if path.starts_with("http") {
            path.clone()
        } else {
            format!("{base}{path}")
        };
        let message = api
            .send(api.http.get(&url).bearer_auth("anything"))
            .await
            .failure(404, code::NO_ROUTE);
        assert_eq!(message, "No route for the URI", "{path}");
    }
    api.call(Method::PATCH, "", None)
        .await
        .failure(405, code::METHOD_NOT_ALLOWED);

    let list = api.create_list("ips", "ip").await;
    for (method, path) in [
        (Method::POST, String::new()),
        (Method::PUT, format!("/{list}")),
        (Method::POST, format!("/{list}/items")),
        (Method::PUT, format!("/{list}/items")),
        (Method::DELETE, format!("/{list}/items")),
    ] {
        for body in ["{not json", "", "[1,"] {
            let request = api
                .http
                .request(method.clone(), api.url(&path))
                .bearer_auth(&api.server.config().api_token)
                .header("content-type", "application/json")
                .body(body);
            let message = api.send(request).await.failure(400, code::MALFORMED_JSON);
            assert!(message.starts_with("Malformed JSON"), "{message}");
        }
    }
    // The server still serves after all that.
    assert_eq!(
        api.call(Method::GET, "", None).await.result()[0]["id"],
        list.as_str()
    );
}

#[tokio::test]
async fn repeat_cursor_hands_back_the_cursor_it_was_given() {
    let api = Api::start(ListsServerConfig {
        repeat_cursor: true,
        ..Default::default()
    })
    .await;
    let list = api.create_list("ips", "ip").await;
    api.add(&list, ips(30)).await;
    let page1 = api.page(&list, "?per_page=10").await;
    let after1 = page1.body["result_info"]["cursors"]["after"]
        .as_str()
        .unwrap()
        .to_owned();
    let page2 = api
        .page(&list, &format!("?per_page=10&cursor={after1}"))
        .await;
    assert_eq!(
        page2.body["result_info"]["cursors"]["after"],
        after1.as_str()
    );
    let page3 = api
        .page(&list, &format!("?per_page=10&cursor={after1}"))
        .await;
    assert_eq!(page3.result(), page2.result(), "the same page forever");
}

#[tokio::test]
async fn requests_are_recorded_per_endpoint() {
    let api = Api::new().await;
    let list = api.create_list("ips", "ip").await;
    api.add(&list, ips(2)).await;
    api.page(&list, "?per_page=1").await;
    api.send(api.http.get(api.url(""))).await; // unauthenticated: recorded too
    api.send(api.http.get(format!("{}/nope", api.server.base_url())))
        .await;

    assert_eq!(api.server.request_count(), 8);
    assert_eq!(api.server.request_count_for(Endpoint::CreateList), 1);
    assert_eq!(api.server.request_count_for(Endpoint::CreateItems), 1);
    assert_eq!(api.server.request_count_for(Endpoint::GetBulkOperation), 3);
    assert_eq!(api.server.request_count_for(Endpoint::ListItems), 1);
    assert_eq!(api.server.request_count_for(Endpoint::ListLists), 1);
    assert_eq!(api.server.request_count_for(Endpoint::Unknown), 1);

    let requests = api.server.requests();
    let create = &requests[0];
    assert_eq!(create.method, "POST");
    assert_eq!(
        create.path(),
        format!("/accounts/{}/rules/lists", api.server.config().account_id)
    );
    assert_eq!(
        create.header("Authorization"),
        Some(format!("Bearer {}", api.server.config().api_token).as_str())
    );
    assert!(create.headers.iter().all(|(n, _)| *n == n.to_lowercase()));
    let body: Value = serde_json::from_slice(&create.body).unwrap();
    assert_eq!(body, json!({ "name": "ips", "kind": "ip" }));
    assert_eq!(create.status, 200);
    assert!(requests[5].target.ends_with("/items?per_page=1"));
    assert_eq!(requests[6].status, 403);
    assert_eq!(requests[7].status, 404);

    api.server.clear_requests();
    assert_eq!(api.server.request_count(), 0);
}

#[tokio::test]
async fn a_hundred_thousand_items_page_through() {
    let api = Api::start(ListsServerConfig {
        max_items_per_list: 100_000,
        ..Default::default()
    })
    .await;
    let list = api.create_list("big", "ip").await;
    assert_eq!(api.add(&list, ips(100_000)).await["status"], "completed");
    let (all, pages) = api.all_items(&list, "per_page=500", 300).await;
    assert_eq!(pages, 200);
    assert_eq!(all.len(), 100_000);
    let ids: HashSet<&str> = all.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 100_000, "each item once");
    assert_eq!(all[99_999]["comment"], "item 99999");
}
