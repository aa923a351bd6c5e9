//! Stage 3: the model to Rust source files, built with `quote!` and printed by prettyplease, so the same
//! model always gives the same bytes.

mod constructors;
mod crate_root;
mod docs;
mod parallel;
mod params;
mod request;
mod resource;
mod runtime;
mod security;
mod types;
mod union_constructors;
mod union_decode;
mod workflow;

pub(crate) use constructors::setter_names_of;
pub(crate) use security::security_alternatives;
pub(crate) use types::rust_type_named;

use crate::ir::{Api, Operation, TypeDef, TypePath};
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

pub fn emit(api: &Api, options: &Options) -> Vec<File> {
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
    let parts = parts(&modules, &by_module);
    let print = |part: &Part| -> String {
        docs::spliced(|| {
            let shared = part.module == ["types".to_owned()];
            let defs = part.defs.iter().map(|def| {
                let mut tokens = types::type_def(def);
                tokens.extend(union_constructors::union_constructors(def, api));
                // Resource modules are gated as a whole; shared types by the products that use them.
                match shared.then(|| cfg_any(api, &def.features)).flatten() {
                    Some(cfg) => gated(tokens, &cfg, &part.path),
                    None => tokens,
                }
            });
            if part.first {
                let head = module_head(api, part.module, &modules);
                source_file(options, part.module, &part.path, quote!(#head #(#defs)*))
            } else {
                print_items(&part.path, quote!(#(#defs)*))
            }
        })
    };
    let printed = parallel::in_parallel(&parts, print);

    let mut files = vec![
        File {
            path: "Cargo.toml".to_owned(),
            contents: crate_root::manifest(api, options),
        },
        File {
            path: "src/lib.rs".to_owned(),
            contents: docs::spliced(|| {
                source_file(
                    options,
                    &[],
                    "src/lib.rs",
                    crate_root::lib_tokens(api, options, &modules),
                )
            }),
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
    files
}

/// Each module's file in parts of at most [`TYPES_PER_PART`] types, the first with the module's head.
fn parts<'a>(
    modules: &'a BTreeSet<Vec<String>>,
    by_module: &'a BTreeMap<&[String], Vec<&TypeDef>>,
) -> Vec<Part<'a>> {
    let mut parts = Vec::new();
    for module in modules {
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
    parts
}

/// `#[cfg(any(feature = ...))]` for an item that the calls of `features` use; `None` when every product
/// uses it.
pub(super) fn cfg_any(api: &Api, features: &[String]) -> Option<TokenStream> {
    match features {
        _ if features.len() == api.features.len() => None,
        [one] => Some(quote!(#[cfg(feature = #one)])),
        _ => Some(quote!(#[cfg(any(#(feature = #features),*))])),
    }
}

/// Every item of `tokens` with `cfg` on it.
pub(super) fn gated(tokens: TokenStream, cfg: &TokenStream, path: &str) -> TokenStream {
    let items = parse_items(tokens, path).items.into_iter();
    quote!(#(#cfg #items)*)
}

/// Items that continue a file: parsed and printed without the file's header and attributes.
pub(super) fn print_items(path: &str, items: TokenStream) -> String {
    prettyplease::unparse(&parse_items(items, path))
}

/// The tokens emit built, as a file of items. They always parse: every name in them went through
/// `ident::ident` and every text is a literal, so a failure here is a bug in emit, not in the spec.
fn parse_items(tokens: TokenStream, path: &str) -> syn::File {
    syn::parse2(tokens)
        .unwrap_or_else(|e| panic!("the code generated for {path} does not parse: {e}"))
}

fn header(options: &Options) -> String {
    format!(
        "// @generated by `{}` from {}. Do not edit: change the spec and run the command again.\n\
         // Descriptions are copied from the spec as written, so markdown lints are allowed below.\n",
        options.command, options.spec_label
    )
}

fn source_file(options: &Options, module: &[String], path: &str, body: TokenStream) -> String {
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
    format!("{}{}", header(options), print_items(path, tokens))
}

pub(super) fn child_modules(module: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    modules
        .iter()
        .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
        .filter_map(|m| m.last().cloned())
        .collect()
}

/// A module's child modules, resource handle, calls, params structs and response aliases (its types follow).
fn module_head(api: &Api, module: &[String], modules: &BTreeSet<Vec<String>>) -> TokenStream {
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
        .map(|r| resource::handle(r, &operations, api));
    let params = operations.iter().map(|op| params::params_struct(op));
    let forms = operations.iter().map(|op| params::form_struct(op));
    let aliases = operations.iter().map(|op| resource::response_alias(op));
    quote! {
        #(#children)*
        #handle
        #(#params)*
        #(#forms)*
        #(#aliases)*
    }
}
