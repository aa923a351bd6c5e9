//! What the runtime guarantees, end to end against loopback servers, one module per subject: credentials
//! (cleartext, redirects, logs), time limits (`retry-after` overflow, overall deadlines, the waiter's timer),
//! calls that own their client (spawnable), and the crate's surface. The memory limits on
//! hostile bodies and long cursors are in `hostile_memory.rs`, alone in their binary so the measure is theirs.

mod crate_surface;
mod credentials;
mod deadlines;
mod owned_calls;

use std::time::{Duration, Instant};

use cloudflare_sdk::rules::lists::bulk_operations::{
    BulkOperationGetParams, BulkOperationGetResponse,
};
use cloudflare_sdk::rules::lists::items::{ItemCreateParams, ItemListParams};
use cloudflare_sdk::types::ListsItemInput;
use cloudflare_sdk::{Client, Error, Paginator, WaitOptions};
use futures_util::StreamExt;
use sdk_tests::{
    delays_of, envelope, failure, recording, Response, TestServer, ACCOUNT_ID, OPERATION_ID, TOKEN,
};
use serde_json::json;

const EMAIL: &str = "owner@example.com";
const KEY: &str = "c2547eb745079dac9320b638f5e225cf483cc5cfdda41";
const LIST_ID: &str = "2c0fc9fa937b11eaa1b71c4d701ab86e";

fn params() -> BulkOperationGetParams {
    BulkOperationGetParams::new(ACCOUNT_ID)
}

fn status(status: &str) -> Response {
    let mut result = json!({ "id": OPERATION_ID, "status": status });
    if status == "completed" {
        result["completed"] = json!("2020-01-01T08:00:00Z");
    }
    Response::json(200, &envelope(result))
}

fn get_status(client: &Client) -> cloudflare_sdk::Call<BulkOperationGetResponse> {
    client
        .rules()
        .lists()
        .bulk_operations()
        .get(OPERATION_ID, &params())
}

const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "x-auth-email", "x-auth-key"];
