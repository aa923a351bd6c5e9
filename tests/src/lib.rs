//! Test support for the `cloudflare-sdk` integration tests: a scripted HTTP/1.1 server on loopback
//! ([`server::TestServer`]), a stateful in-memory Lists API ([`lists_server::ListsServer`]), and helpers to
//! point a client at them; Prism as a child process ([`prism::Prism`]).

pub mod dns_server;
pub mod lists_server;
mod loopback;
pub mod prism;
pub mod server;

pub use server::{RecordedRequest, Response, TestServer};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloudflare_sdk::{Client, ClientBuilder};

/// A well-formed 32-character account id (the spec's example).
pub const ACCOUNT_ID: &str = "023e105f4ecef8ad9ca31a8372d0c353";
/// The spec's example operation id.
pub const OPERATION_ID: &str = "4da8780eeb215e6cb7f48dd981c4ea02";
/// The API token the helpers use.
pub const TOKEN: &str = "Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQqnFTOFYY";

/// A client with a bearer token, pointed at the server.
pub fn client(server: &TestServer) -> Client {
    client_with_token(server, TOKEN)
}

/// A client with the given bearer token, pointed at the server.
pub fn client_with_token(server: &TestServer, token: &str) -> Client {
    Client::builder()
        .api_token(token)
        .base_url(server.url())
        .build()
        .expect("build a client pointed at the test server")
}

/// A client with an email and a Global API key (the only credentials some calls take), pointed at the server.
pub fn key_client(server: &TestServer) -> Client {
    Client::builder()
        .api_email("user@example.com")
        .api_key("c2547eb745079dac9320b638f5e225cf483cc5cfdda41")
        .base_url(server.url())
        .build()
        .expect("build a client pointed at the test server")
}

/// The Cloudflare success envelope around `result`.
pub fn envelope(result: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": result,
    })
}

/// The Cloudflare failure envelope with one error.
pub fn failure(code: i64, message: &str) -> serde_json::Value {
    serde_json::json!({
        "success": false,
        "errors": [{ "code": code, "message": message }],
        "messages": [],
        "result": null,
    })
}

/// The README's Rust examples, compiled as doctests so they cannot drift from the SDK's API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The waits a client asked its sleeper for, in order.
pub type Delays = Arc<Mutex<Vec<Duration>>>;

/// A builder with the bearer token pointed at `url`, whose waits between attempts are recorded instead of
/// slept.
pub fn recording(url: &str) -> (ClientBuilder, Delays) {
    let delays = Delays::default();
    let recorded = Arc::clone(&delays);
    let builder = Client::builder()
        .api_token(TOKEN)
        .base_url(url)
        .sleeper(move |delay| {
            recorded.lock().unwrap().push(delay);
            async {}
        });
    (builder, delays)
}

/// The waits recorded so far.
pub fn delays_of(delays: &Delays) -> Vec<Duration> {
    delays.lock().unwrap().clone()
}
