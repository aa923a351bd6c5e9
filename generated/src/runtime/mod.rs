//! Hand-written runtime shared by every generated crate: client, calls, auth, errors, paths, request bodies,
//! response decoding, pagination and waiting. Generated code reaches it only through the items re-exported here.
//!
//! The runtime's contract with the generator lives beside this file: `exports.txt` lists the public types
//! the crate root re-exports, and `dependencies.toml` the crates the runtime needs (the manifest's
//! `[dependencies]`); xtask reads both, so a change to the runtime's API or dependencies is made here only.

mod auth;
mod body;
mod call;
mod check;
mod client;
mod decode;
mod envelope;
mod error;
mod paginate;
mod path;
mod request;
mod retry;
#[cfg(test)]
mod testing;
mod union;
mod union_tap;
mod wait;
mod wire;

pub use auth::KeyLocation;
pub use call::{Call, RequestOptions, Response};
pub use client::{Client, ClientBuilder};
pub use error::{ApiCode, ApiError, ApiMessage, Error, MessageSource, ResponseHeaders, Result};
pub use paginate::Paginator;
pub use wait::WaitOptions;

// For generated code only: the generator names each of these in xtask/src/emit/runtime.rs, whose test checks
// that they are here. Which of them a crate uses depends on its spec (a spec without paths uses none).
#[allow(unused_imports)]
pub(crate) use auth::AuthScheme;
#[allow(unused_imports)]
pub(crate) use body::{json_text, Body, Part, PartValue};
#[allow(unused_imports)]
pub(crate) use check::{check_length, check_number, Bounds, Length};
#[cfg(feature = "patterns")]
#[allow(unused_imports)]
pub(crate) use check::{check_pattern, Pattern};
#[allow(unused_imports)]
pub(crate) use decode::{bytes, empty, json, text, Decoder};
#[allow(unused_imports)]
pub(crate) use envelope::{enveloped, enveloped_whole};
#[allow(unused_imports)]
pub(crate) use paginate::{paginate_cursor, paginate_pages, PageNumber, Totals};
#[allow(unused_imports)]
pub(crate) use path::PathBuilder;
#[allow(unused_imports)]
pub(crate) use request::RequestSpec;
#[allow(unused_imports)]
pub(crate) use union::{decode_union, decode_variant, union_marker, union_tag, Guess, UnionInput};
#[allow(unused_imports)]
pub(crate) use union_tap::UnionRule;
#[allow(unused_imports)]
pub(crate) use wait::{poll_until, PollState};
#[allow(unused_imports)]
pub(crate) use wire::{closed_wire_value, string_enum};
