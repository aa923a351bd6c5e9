//! A `result` the spec allows to be `null` decodes from `null`, end to end on loopback. Page Shield's envelopes
//! say `result` may be `null` and then redefine it (in a later `allOf` member) by a schema without a type,
//! which allows `null` too: the call returns `Option`, `None` for `null`.

use cloudflare_sdk::page_shield::policies::PolicyGetParams;
use cloudflare_sdk::page_shield::scripts::ScriptGetParams;
use sdk_tests::{envelope, key_client, TestServer};
use serde_json::json;

const ZONE_ID: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const ID: &str = "c9ef84a6bf5e47138c75d95e2f933e8f";

#[tokio::test]
async fn a_null_result_is_none_and_a_present_one_is_some() {
    let policy = json!({
        "id": ID, "action": "allow", "description": "Checkout page CSP policy", "enabled": true,
        "expression": "ends_with(http.request.uri.path, \"/checkout\")",
        "value": "script-src 'none';"
    });
    let server = TestServer::with_responses([
        sdk_tests::Response::json(200, &envelope(json!(null))),
        sdk_tests::Response::json(200, &envelope(policy)),
        sdk_tests::Response::json(200, &envelope(json!(null))),
    ])
    .await;
    let client = key_client(&server);
    let policies = client.page_shield().policies();
    let absent = policies
        .get(ID, &PolicyGetParams::new(ZONE_ID))
        .await
        .unwrap();
    assert_eq!(absent, None);
    let present = policies
        .get(ID, &PolicyGetParams::new(ZONE_ID))
        .await
        .unwrap();
    assert_eq!(present.map(|p| p.id), Some(ID.to_owned()));
    let script = client
        .page_shield()
        .scripts()
        .get(ID, &ScriptGetParams::new(ZONE_ID))
        .await
        .unwrap();
    assert!(script.is_none());
}
