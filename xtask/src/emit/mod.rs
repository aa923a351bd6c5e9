//! Stage 3: the model to Rust source files, built with `quote!` and printed by prettyplease, so the same
//! model always gives the same bytes.

mod constructors;
mod docs;
mod operations;
mod types;
mod union_constructors;

pub(crate) use constructors::setter_names_of;
pub(crate) use operations::security_alternatives;
pub(crate) use types::rust_type_named;

use crate::ir::{Api, Operation, Ty, TypeDef, TypePath};
use anyhow::{Context, Result};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use std::collections::{BTreeMap, BTreeSet};

pub struct Options {
    /// The package name of the crate, e.g. `cloudflare-sdk`.
    pub crate_name: String,
    /// The command that remakes the output, named in every file's header.
    pub command: String,
    /// The spec as named in headers.
    pub spec_label: String,
    /// A crate outside this workspace: adds an empty `[workspace]` table to its manifest.
    pub standalone: bool,
}

/// One output file, its path relative to the crate directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub path: String,
    pub contents: String,
}

/// The identifier `name`, which lowering has already made valid (see `ident::ident`).
fn id(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// How code in module `here` names the type at `path`: bare in its own module, else by its `crate::` path.
fn type_path(path: &TypePath, here: &[String]) -> TokenStream {
    let name = id(&path.name);
    if path.module == here {
        return quote!(#name);
    }
    let modules = path.module.iter().map(|m| id(m));
    quote!(crate #(::#modules)* ::#name)
}

/// Types printed per unit of work: big modules (a whole API's `types.rs`) are split so they print in parallel.
const TYPES_PER_PART: usize = 200;

/// One piece of one output file, printed on its own: part 0 has the file's header, inner attributes and the
/// module's calls; later parts continue its type definitions. prettyplease prints items one after another,
/// so the parts joined are the file printed whole.
struct Part<'a> {
    module: &'a [String],
    path: String,
    first: bool,
    defs: &'a [&'a TypeDef],
}

pub fn emit(api: &Api, options: &Options) -> Result<Vec<File>> {
    // A type no call uses is not emitted (see `lower::features`).
    let used = || api.types.iter().filter(|t| !t.features.is_empty());
    let mut modules: BTreeSet<Vec<String>> =
        api.resources.iter().map(|r| r.module.clone()).collect();
    modules.extend(used().map(|t| t.path.module.clone()));
    let mut by_module: BTreeMap<&[String], Vec<&TypeDef>> = BTreeMap::new();
    for def in used() {
        by_module
            .entry(def.path.module.as_slice())
            .or_default()
            .push(def);
    }
    for defs in by_module.values_mut() {
        defs.sort_by(|a, b| a.path.name.cmp(&b.path.name));
    }
    let mut parts = Vec::new();
    for module in &modules {
        let path = if module == &["types".to_owned()] {
            "src/types.rs".to_owned()
        } else {
            format!("src/{}/mod.rs", module.join("/"))
        };
        let defs = by_module
            .get(module.as_slice())
            .map_or(&[][..], Vec::as_slice);
        let mut chunks = defs.chunks(TYPES_PER_PART);
        parts.push(Part {
            module,
            path: path.clone(),
            first: true,
            defs: chunks.next().unwrap_or_default(),
        });
        parts.extend(chunks.map(|defs| Part {
            module,
            path: path.clone(),
            first: false,
            defs,
        }));
    }
    let print = |part: &Part| -> Result<String> {
        docs::spliced(|| {
            let shared = part.module == ["types".to_owned()];
            let defs = part
                .defs
                .iter()
                .map(|def| {
                    let mut tokens = types::type_def(def);
                    tokens.extend(union_constructors::union_constructors(def, api));
                    // Resource modules are gated as a whole; shared types by the products that use them.
                    match shared.then(|| cfg_any(api, &def.features)).flatten() {
                        Some(cfg) => gated(tokens, &cfg, &part.path),
                        None => Ok(tokens),
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            if part.first {
                let head = module_head(api, part.module, &modules)?;
                source_file(options, part.module, &part.path, quote!(#head #(#defs)*))
            } else {
                print_items(&part.path, quote!(#(#defs)*))
            }
        })
    };
    let printed = in_parallel(&parts, print)?;

    let mut files = vec![
        File {
            path: "Cargo.toml".to_owned(),
            contents: manifest(api, options),
        },
        File {
            path: "src/lib.rs".to_owned(),
            contents: docs::spliced(|| {
                source_file(
                    options,
                    &[],
                    "src/lib.rs",
                    lib_tokens(api, options, &modules),
                )
            })?,
        },
    ];
    for (part, text) in parts.iter().zip(printed) {
        if part.first {
            files.push(File {
                path: part.path.clone(),
                contents: text,
            });
        } else if let Some(file) = files.last_mut() {
            file.contents.push_str(&text);
        }
    }
    Ok(files)
}

/// `work` over every item, spread over the machine's cores: each thread takes the next item not yet taken,
/// so one slow part does not hold up a fixed share of the others. Results come back in the items' order,
/// so the output does not depend on scheduling. (Token streams are not `Send`, so each thread builds its
/// own.)
fn in_parallel<T: Sync>(
    items: &[T],
    work: impl Fn(&T) -> Result<String> + Sync,
) -> Result<Vec<String>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, items.len().max(1));
    let work = &work;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let next = &next;
    let mut slots: Vec<Option<Result<String>>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return done;
                        };
                        done.push((i, work(item)));
                    }
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(done) => {
                    for (i, result) in done {
                        slots[i] = Some(result);
                    }
                }
                Err(_) => anyhow::bail!("internal: a code-printing thread panicked"),
            }
        }
        Ok(())
    })?;
    slots
        .into_iter()
        .map(|slot| {
            slot.unwrap_or_else(|| Err(anyhow::anyhow!("internal: a part was not printed")))
        })
        .collect()
}

/// `#[cfg(any(feature = ...))]` for an item that the calls of `features` use; `None` when every product
/// uses it.
fn cfg_any(api: &Api, features: &[String]) -> Option<TokenStream> {
    match features {
        _ if features.len() == api.features.len() => None,
        [one] => Some(quote!(#[cfg(feature = #one)])),
        _ => Some(quote!(#[cfg(any(#(feature = #features),*))])),
    }
}

/// Every item of `tokens` with `cfg` on it.
fn gated(tokens: TokenStream, cfg: &TokenStream, path: &str) -> Result<TokenStream> {
    let file: syn::File = syn::parse2(tokens)
        .with_context(|| format!("internal: the code generated for {path} does not parse"))?;
    let items = file.items.into_iter().map(|item| quote!(#cfg #item));
    Ok(quote!(#(#items)*))
}

/// Items that continue a file: parsed and printed without the file's header and attributes.
fn print_items(path: &str, items: TokenStream) -> Result<String> {
    let file: syn::File = syn::parse2(items)
        .with_context(|| format!("internal: the code generated for {path} does not parse"))?;
    Ok(prettyplease::unparse(&file))
}

fn header(options: &Options) -> String {
    format!(
        "// @generated by `{}` from {}. Do not edit: change the spec and run the command again.\n\
         // Descriptions are copied from the spec as written, so markdown lints are allowed below.\n",
        options.command, options.spec_label
    )
}

fn source_file(
    options: &Options,
    module: &[String],
    path: &str,
    body: TokenStream,
) -> Result<String> {
    let inner_doc = (!module.is_empty()).then(|| {
        let text = if module == ["types".to_owned()] {
            "Types defined by the spec's `components.schemas`, shared by the calls.".to_owned()
        } else {
            format!(
                "The `{}` resource: `client.{}`.",
                module.join("."),
                module
                    .iter()
                    .map(|m| format!("{m}()"))
                    .collect::<Vec<_>>()
                    .join(".")
            )
        };
        docs::inner(&text)
    });
    // Every public item is documented: from the spec, else by where it is used (`lower::usage_docs`).
    let deny_missing_docs = module.is_empty().then(|| quote!(#![deny(missing_docs)]));
    let tokens = quote! {
        #![cfg_attr(rustfmt, rustfmt::skip)]
        #deny_missing_docs
        #![allow(deprecated, clippy::doc_lazy_continuation, clippy::tabs_in_doc_comments, clippy::new_ret_no_self, clippy::large_enum_variant)]
        #inner_doc
        #body
    };
    Ok(format!("{}{}", header(options), print_items(path, tokens)?))
}

fn child_modules(module: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    modules
        .iter()
        .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
        .filter_map(|m| m.last().cloned())
        .collect()
}

/// A module's child modules, resource handle, calls, params structs and response aliases (its types follow).
fn module_head(
    api: &Api,
    module: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> Result<TokenStream> {
    let children = child_modules(module, modules).into_iter().map(|c| {
        let c = id(&c);
        quote!(pub mod #c;)
    });
    let operations: Vec<&Operation> = api
        .operations
        .iter()
        .filter(|op| op.resource == module)
        .collect();
    let handle = api
        .resources
        .iter()
        .find(|r| r.module == module)
        .map(|r| operations::handle(r, &operations, api))
        .transpose()?;
    let params = operations.iter().map(|op| operations::params_struct(op));
    let forms = operations.iter().map(|op| operations::form_struct(op));
    let aliases = operations.iter().map(|op| operations::response_alias(op));
    Ok(quote! {
        #(#children)*
        #handle
        #(#params)*
        #(#forms)*
        #(#aliases)*
    })
}

fn lib_tokens(api: &Api, options: &Options, modules: &BTreeSet<Vec<String>>) -> TokenStream {
    let security = operations::security_consts(api);
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
    quote! {
        #docs
        #![forbid(unsafe_code)]
        mod runtime;
        pub use runtime::{
            ApiCode, ApiError, ApiMessage, Call, Client, ClientBuilder, Error, KeyLocation, MessageSource, Paginator,
            RequestOptions, Response, ResponseHeaders, Result, WaitOptions,
        };
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
fn patterns_used(api: &Api) -> BTreeMap<String, (&str, BTreeSet<String>)> {
    let mut used: BTreeMap<String, (&str, BTreeSet<String>)> = BTreeMap::new();
    for op in &api.operations {
        for p in op.positional.iter().chain(&op.params) {
            if let Some(pattern) = &p.constraints.pattern {
                used.entry(operations::pattern_static(pattern))
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
fn pattern_statics(api: &Api) -> TokenStream {
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
            quote! {
                #[doc = #doc]
                #cfg
                static #name: runtime::Pattern = runtime::Pattern::new(#pattern);
            }
        });
    quote!(#(#statics)*)
}

fn crate_docs(api: &Api, options: &Options) -> String {
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
fn products_table(api: &Api) -> String {
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
fn quick_start(api: &Api, options: &Options) -> Option<String> {
    api.operations
        .iter()
        .filter(|op| op.body.is_none() && op.starts.is_none())
        .find_map(|op| quick_start_for(op, options))
}

fn quick_start_for(op: &Operation, options: &Options) -> Option<String> {
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

fn manifest(api: &Api, options: &Options) -> String {
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
base64 = "0.22"
futures-core = "0.3"
percent-encoding = "2"
regex = {{ version = "1", optional = true, default-features = false, features = ["std", "unicode"] }}
reqwest = {{ version = "0.12", default-features = false, features = ["rustls-tls", "http2", "multipart"] }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = {{ version = "1", features = ["raw_value"] }}
thiserror = "2"
time = {{ version = "0.3", features = ["serde-well-known", "formatting", "parsing"] }}
tokio = {{ version = "1", features = ["time"] }}
tracing = "0.1"
{features}{workspace}"#,
        command = options.command,
        spec = options.spec_label,
        name = options.crate_name,
        features = features_table(api),
    )
}

/// One feature per product, none on by default, and `full` for all of them (see README.md for why).
fn features_table(api: &Api) -> String {
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
