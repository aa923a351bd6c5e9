//! Hand-written runtime shared by every generated crate: client, auth, errors, paths, envelope and union
//! decoding. Generated code reaches it only through the items re-exported here.

mod auth;
mod client;
mod envelope;
mod error;
mod path;
mod request;
mod union;

pub use client::{Client, ClientBuilder};
pub use error::{ApiError, ApiMessage, Error, MessageSource, Result};

// For generated code only; which of these a crate uses depends on its spec (a spec without paths uses none).
#[allow(unused_imports)]
pub(crate) use auth::AuthScheme;
#[allow(unused_imports)]
pub(crate) use path::{check_length, PathBuilder};
#[allow(unused_imports)]
pub(crate) use request::RequestSpec;
#[allow(unused_imports)]
pub(crate) use union::{decode_variant, union_tag};
