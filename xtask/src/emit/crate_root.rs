//! The crate root: `lib.rs` (modules, security constants, compiled patterns and the crate's prose docs)
//! and the manifest with one Cargo feature per product.

use super::runtime::PATTERN;
use super::{cfg_any, child_modules, docs, id, request, security, Options};
use crate::ir::{Api, Operation, Ty};
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::{BTreeMap, BTreeSet};

/// The runtime's public types, which the crate root re-exports: the runtime keeps the list beside its code.
const RUNTIME_EXPORTS: &str = include_str!("../../../generated/src/runtime/exports.txt");
/// The crates the runtime uses, as the manifest's `[dependencies]` lines: kept beside the runtime too.
const RUNTIME_DEPENDENCIES: &str = include_str!("../../../generated/src/runtime/dependencies.toml");
pub(super) fn lib_tokens(
    api: &Api,
    options: &Options,
    modules: &BTreeSet<Vec<String>>,
) -> TokenStream {
    let security = security::security_consts(api);
    let patterns = pattern_statics(api);
    let docs = docs::inner(&crate_docs(api, options));
    let children = child_modules(&[], modules).into_iter().map(|c| {
        let gate = (c != "types").then(|| {
            let feature = crate::lower::features::feature_name(&c);
            quote!(#[cfg(feature = #feature)])
        });
        let c = id(&c);
        quote!(#gate pub mod #c;)
    });
    let base_url = match &api.default_base_url {
        Some(url) => quote!(Some(#url)),
        None => quote!(None),
    };
    let exports = RUNTIME_EXPORTS
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(id);
    quote! {
        #docs
        #![forbid(unsafe_code)]
        mod runtime;
        pub use runtime::{#(#exports),*};
        /// The HTTP client this crate is built on, whose types appear in its API (`StatusCode`, `HeaderMap`,
        /// `ClientBuilder` for `http_client_builder`...): use it rather than a separately chosen version.
        pub use reqwest;
        /// The API's base URL, from the spec's `servers` (`None` when it names none).
        pub const DEFAULT_BASE_URL: Option<&str> = #base_url;
        #security
        #patterns
        #(#children)*
    }
}

/// The products whose calls check a parameter against each `pattern`, by the pattern's static name.
pub(super) fn patterns_used(api: &Api) -> BTreeMap<String, (&str, BTreeSet<String>)> {
    let mut used: BTreeMap<String, (&str, BTreeSet<String>)> = BTreeMap::new();
    for op in &api.operations {
        for p in op.positional.iter().chain(&op.params) {
            if let Some(pattern) = &p.constraints.pattern {
                used.entry(request::pattern_static(pattern))
                    .or_insert_with(|| (pattern.as_str(), BTreeSet::new()))
                    .1
                    .insert(crate::lower::features::of_operation(op));
            }
        }
    }
    used
}

/// One `static` per distinct `pattern` of a parameter, compiled on first use: with the `patterns` feature,
/// which the products that check patterns enable.
pub(super) fn pattern_statics(api: &Api) -> TokenStream {
    let statics = patterns_used(api)
        .into_iter()
        .map(|(name, (pattern, features))| {
            let features: Vec<String> = features.into_iter().collect();
            let cfg = match (cfg_any(api, &features), features.as_slice()) {
                (None, _) => quote!(#[cfg(feature = "patterns")]),
                (Some(_), [one]) => quote!(#[cfg(all(feature = "patterns", feature = #one))]),
                (Some(_), _) => {
                    quote!(#[cfg(all(feature = "patterns", any(#(feature = #features),*)))])
                }
            };
            let doc = format!(" `pattern` `{pattern}` of parameters.");
            let name = id(&name);
            let pattern_type = PATTERN.path_in_root();
            quote! {
                #[doc = #doc]
                #cfg
                static #name: #pattern_type = #pattern_type::new(#pattern);
            }
        });
    quote!(#(#statics)*)
}

pub(super) fn crate_docs(api: &Api, options: &Options) -> String {
    let mut text = format!("# {}\n\nA typed async Rust client, generated from the API's OpenAPI document (version {}).", api.title, api.version);
    if let Some(description) = &api.description {
        text.push_str(&format!("\n\n{}", description.trim()));
    }
    if let Some(example) = quick_start(api, options) {
        text.push_str(&format!("\n\n## Quick start\n\n```no_run\n{example}```"));
    }
    text.push_str(
        "\n\n## How this crate is organised\n\n\
         - [`Client`] holds the credentials and the HTTP connection pool; build it with [`Client::builder`] \
         or [`Client::from_env`].\n\
         - Calls hang off resource handles that mirror the API's paths (`client.rules().lists()`...); each \
         call takes the last path parameter as its own argument and the others in a params struct.\n\
         - Calls return the `result` of Cloudflare's response envelope; everything else is an [`Error`].\n",
    );
    if api.types.iter().any(|t| t.path.module == ["types"]) {
        text.push_str(
            "- [`types`] holds the types the spec defines once and uses in several places.\n",
        );
    }
    text.push_str(
        "- Unions are decided by their discriminator and keep values this version does not know in an \
         `Unknown` variant; string enums keep unknown values too.",
    );
    text.push_str(&products_table(api));
    text
}

/// The crate's products, each a Cargo feature, with its accessor and how many calls it has.
pub(super) fn products_table(api: &Api) -> String {
    let mut calls: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for op in &api.operations {
        let entry = calls
            .entry(crate::lower::features::of_operation(op))
            .or_insert_with(|| (op.resource.first().cloned().unwrap_or_default(), 0));
        entry.1 += 1;
    }
    let example = calls.keys().next().cloned().unwrap_or_default();
    let mut text = format!(
        "\n\n## Products\n\n\
         Each product is a Cargo feature, and none is on by default: enable those you call \
         (`features = [\"{example}\"]`), or `full` for all of them. A product compiles only the types its \
         calls use.\n\n| feature | calls | accessor |\n|---|---:|---|\n",
    );
    for (feature, (module, count)) in &calls {
        text.push_str(&format!(
            "| `{feature}` | {count} | `client.{module}()` |\n"
        ));
    }
    text
}

/// A compiled (not run) example of the first call in the spec that takes only strings.
pub(super) fn quick_start(api: &Api, options: &Options) -> Option<String> {
    api.operations
        .iter()
        .filter(|op| op.body.is_none() && op.starts.is_none())
        .find_map(|op| quick_start_for(op, options))
}

pub(super) fn quick_start_for(op: &Operation, options: &Options) -> Option<String> {
    let lib = options.crate_name.replace('-', "_");
    let chain: String = op.resource.iter().map(|m| format!(".{m}()")).collect();
    let mut args = Vec::new();
    for p in &op.positional {
        if p.ty != Ty::String {
            return None;
        }
        args.push(format!(
            "{:?}",
            p.example.clone().unwrap_or_else(|| "...".to_owned())
        ));
    }
    if !op.params.is_empty() {
        let mut required = Vec::new();
        for p in op.params.iter().filter(|p| p.required) {
            if p.ty != Ty::String {
                return None;
            }
            required.push(format!(
                "{:?}",
                p.example.clone().unwrap_or_else(|| "...".to_owned())
            ));
        }
        args.push(format!(
            "&{lib}::{}::{}::new({})",
            op.resource.join("::"),
            op.params_type,
            required.join(", ")
        ));
    }
    // Compiled only with the call's product enabled (see the features table).
    Some(format!(
        "# #[cfg(feature = \"{feature}\")]\n\
         # async fn example() -> Result<(), {lib}::Error> {{\n\
         // CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY\n\
         let client = {lib}::Client::from_env()?;\n\
         let result = client{chain}.{}({}).await?;\n\
         println!(\"{{result:?}}\");\n\
         # Ok(())\n\
         # }}\n",
        // A paged list call is a stream; its one-page call is awaited.
        op.paging
            .as_ref()
            .map_or(&op.fn_name, |paging| &paging.page_fn),
        args.join(", "),
        feature = crate::lower::features::of_operation(op),
    ))
}

pub(super) fn manifest(api: &Api, options: &Options) -> String {
    let title = api.title.replace('\\', "\\\\").replace('"', "\\\"");
    let workspace = if options.standalone {
        "\n# Not part of any enclosing workspace.\n[workspace]\n"
    } else {
        ""
    };
    format!(
        r#"# @generated by `{command}` from {spec}. Do not edit: change the spec and run the command again.
[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
rust-version = "1.88"
license = "MIT OR Apache-2.0"
description = "Typed async client for the {title}, generated from its OpenAPI document."
publish = false

[dependencies]
{dependencies}{features}{workspace}"#,
        command = options.command,
        spec = options.spec_label,
        name = options.crate_name,
        dependencies = RUNTIME_DEPENDENCIES,
        features = features_table(api),
    )
}

/// One feature per product, none on by default, and `full` for all of them (see README.md for why).
pub(super) fn features_table(api: &Api) -> String {
    let quoted = |names: &mut dyn Iterator<Item = &String>| {
        names
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut table = String::from(
        "\n# One feature per product (top-level resource): enable the ones you call. `full` enables all.\n\
         [features]\ndefault = []\n\
         # Trust the operating system's certificate store (e.g. a corporate CA) in addition to the bundled \
         Mozilla roots.\nnative-roots = [\"reqwest/rustls-tls-native-roots\"]\n\
         # Every type both `Serialize` and `Deserialize` (for mock servers and caches). Without it, a type calls \
         only send is `Serialize`\n# and one they only receive is `Deserialize`, which compiles faster.\n\
         all-serde = []\n",
    );
    table.push_str(
        "# Checks parameters against their `pattern` (with the `regex` crate); the products that have patterns \
         enable it.\npatterns = [\"dep:regex\"]\n",
    );
    table.push_str(&format!("full = [{}]\n", quoted(&mut api.features.keys())));
    let with_patterns: BTreeSet<String> = patterns_used(api)
        .into_values()
        .flat_map(|(_, features)| features)
        .collect();
    for (feature, needs) in &api.features {
        let patterns = with_patterns
            .contains(feature)
            .then(|| "patterns".to_owned());
        let mut needs = needs.iter().chain(patterns.as_ref());
        table.push_str(&format!("{feature} = [{}]\n", quoted(&mut needs)));
    }
    table.push_str("\n[package.metadata.docs.rs]\nall-features = true\n");
    table
}
