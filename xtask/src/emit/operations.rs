//! Emits one resource module: its handle type, the accessors of its children, its calls, and the params
//! and response types those calls use.

use super::types::rust_type;
use super::{docs, id, type_path};
use crate::ir::{
    is_string_enum, AuthScheme, Operation, Param, ParamLocation, Resource, Response, Segment, Ty,
    TypeDef,
};
use proc_macro2::TokenStream;
use quote::quote;

pub fn handle(
    resource: &Resource,
    operations: &[&Operation],
    resources: &[Resource],
) -> anyhow::Result<TokenStream> {
    let handle = id(&resource.handle);
    let accessor_chain = resource
        .module
        .iter()
        .map(|m| format!(".{m}()"))
        .collect::<String>();
    let handle_doc = format!(" `client{accessor_chain}`: the calls of this resource.");
    let children = resource.children.iter().map(|child| {
        let module = id(child);
        let child_path: Vec<String> = resource.module.iter().chain([child]).cloned().collect();
        let child_handle = id(resources.iter().find(|r| r.module == child_path).map(|r| r.handle.as_str()).unwrap_or(child));
        let doc = format!(" `{child}`: `{accessor_chain}.{child}()`");
        quote! {
            #[doc = #doc]
            pub fn #module(&self) -> #module::#child_handle<'a> { #module::#child_handle::new(self.client) }
        }
    });
    let calls = operations
        .iter()
        .map(|op| call(op))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let root_accessor = (resource.module.len() == 1).then(|| {
        let module = id(&resource.module[0]);
        let doc = format!(
            " `{}`: `client.{}()`",
            resource.module[0], resource.module[0]
        );
        quote! {
            impl crate::Client {
                #[doc = #doc]
                pub fn #module(&self) -> #handle<'_> { #handle::new(self) }
            }
        }
    });
    Ok(quote! {
        #[doc = #handle_doc]
        #[derive(Debug, Clone, Copy)]
        pub struct #handle<'a> { client: &'a crate::Client }
        #root_accessor
        impl<'a> #handle<'a> {
            pub(crate) fn new(client: &'a crate::Client) -> Self { Self { client } }
            #(#children)*
            #(#calls)*
        }
    })
}

fn call(op: &Operation) -> anyhow::Result<TokenStream> {
    let name = id(&op.fn_name);
    let doc = docs::outer(&call_doc(op));
    let response = id(&op.response_type);
    let mut args = Vec::new();
    if let Some(p) = &op.positional {
        let arg = id(&p.ident);
        let ty = positional_type(&p.ty);
        args.push(quote!(#arg: #ty));
    }
    if !op.params.is_empty() {
        let params = id(&op.params_type);
        args.push(quote!(params: &#params));
    }
    let checks = op.positional.iter().map(|p| (p, value_ref(p, true))).chain(op.params.iter().map(|p| (p, value_ref(p, false)))).filter_map(|(p, v)| {
        let wire = &p.wire;
        let (min, max) = (option_u64(p.min_length), option_u64(p.max_length));
        if (p.min_length.is_none() && p.max_length.is_none()) || !matches!(p.ty, Ty::String) {
            return None;
        }
        Some(if p.required {
            quote!(crate::runtime::check_length(#wire, #v, #min, #max)?;)
        } else {
            quote!(if let ::std::option::Option::Some(value) = #v { crate::runtime::check_length(#wire, value, #min, #max)?; })
        })
    });
    let segments = op
        .segments
        .iter()
        .map(|s| match s {
            Segment::Literal(text) => Ok(quote!(path.literal(#text);)),
            Segment::Positional | Segment::Param(_) => {
                let (p, positional) = match s {
                    Segment::Param(i) => (&op.params[*i], false),
                    _ => (
                        op.positional.as_ref().ok_or_else(|| {
                            anyhow::anyhow!(
                                "internal: {}: positional segment without a parameter",
                                op.origin
                            )
                        })?,
                        true,
                    ),
                };
                let wire = &p.wire;
                let value = as_str(&p.ty, value_ref(p, positional));
                Ok(quote!(path.param(#wire, #value)?;))
            }
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let query = query(op);
    let method = id(&op.method);
    let spec_id = &op.spec_id;
    let template = &op.path_template;
    let security = op.security.iter().map(|alternative| {
        let schemes = alternative.iter().map(|s| match s {
            AuthScheme::Bearer => quote!(crate::runtime::AuthScheme::Bearer),
            AuthScheme::Header(h) => quote!(crate::runtime::AuthScheme::Header(#h)),
        });
        quote!(&[#(#schemes),*])
    });
    let send = match op.response {
        Response::Enveloped(_) => quote!(send_enveloped),
    };
    Ok(quote! {
        #doc
        pub async fn #name(&self, #(#args),*) -> crate::Result<#response> {
            #(#checks)*
            let mut path = crate::runtime::PathBuilder::new();
            #(#segments)*
            #query
            self.client.#send(crate::runtime::RequestSpec {
                method: ::reqwest::Method::#method,
                operation: #spec_id,
                path_template: #template,
                path: path.finish(),
                query,
                security: &[#(#security),*],
            }).await
        }
    })
}

/// Query pairs: required parameters in one `vec![]`, optional ones pushed when set.
fn query(op: &Operation) -> TokenStream {
    let query_params: Vec<&Param> = op
        .params
        .iter()
        .filter(|p| p.location == ParamLocation::Query)
        .collect();
    let fixed = query_params
        .iter()
        .filter(|p| p.required && !matches!(p.ty, Ty::Array(_)))
        .map(|p| {
            let wire = &p.wire;
            let field = id(&p.ident);
            let value = owned_string(&p.ty, quote!(params.#field));
            quote!((#wire, #value))
        });
    let pushed: Vec<TokenStream> = query_params
        .iter()
        .filter(|p| !p.required || matches!(p.ty, Ty::Array(_)))
        .map(|p| {
            let wire = &p.wire;
            let field = id(&p.ident);
            match (&p.ty, p.required) {
                (Ty::Array(item), true) => {
                    let value = owned_string(item, quote!(value));
                    quote!(for value in &params.#field { query.push((#wire, #value)); })
                }
                (Ty::Array(item), false) => {
                    let value = owned_string(item, quote!(value));
                    quote!(for value in params.#field.iter().flatten() { query.push((#wire, #value)); })
                }
                (ty, _) => {
                    let value = owned_string(ty, quote!(value));
                    quote!(if let ::std::option::Option::Some(value) = &params.#field { query.push((#wire, #value)); })
                }
            }
        })
        .collect();
    if pushed.is_empty() {
        quote!(let query: ::std::vec::Vec<(&'static str, ::std::string::String)> = ::std::vec![#(#fixed),*];)
    } else {
        quote! {
            let mut query: ::std::vec::Vec<(&'static str, ::std::string::String)> = ::std::vec![#(#fixed),*];
            #(#pushed)*
        }
    }
}

/// A reference to the parameter's value: the argument itself, or the params field.
fn value_ref(p: &Param, positional: bool) -> TokenStream {
    let name = id(&p.ident);
    match (positional, &p.ty, p.required) {
        (true, Ty::String, _) => quote!(#name),
        (true, _, _) => quote!(&#name),
        (false, _, true) => quote!(&params.#name),
        (false, _, false) => quote!(params.#name.as_deref()),
    }
}

fn positional_type(ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(&str),
        Ty::Named(path) => {
            let path = type_path(path);
            quote!(&#path)
        }
        other => rust_type(other, false),
    }
}

/// `value` (a reference) as `&str`.
fn as_str(ty: &Ty, value: TokenStream) -> TokenStream {
    match ty {
        Ty::String => value,
        Ty::Named(_) => quote!((#value).as_str()),
        _ => quote!(&(#value).to_string()),
    }
}

/// `value` (a place or a reference) as an owned `String`.
fn owned_string(ty: &Ty, value: TokenStream) -> TokenStream {
    match ty {
        Ty::Named(_) => quote!(#value.as_str().to_owned()),
        Ty::String => quote!(#value.clone()),
        _ => quote!(#value.to_string()),
    }
}

fn option_u64(n: Option<u64>) -> TokenStream {
    match n {
        Some(n) => quote!(::std::option::Option::Some(#n)),
        None => quote!(::std::option::Option::None),
    }
}

fn call_doc(op: &Operation) -> String {
    let mut parts = Vec::new();
    if let Some(summary) = &op.summary {
        parts.push(summary.clone());
    }
    if let Some(description) = &op.description {
        parts.push(description.clone());
    }
    parts.push(format!(
        "`{} {}` (operation `{}`)",
        op.method, op.path_template, op.spec_id
    ));
    if !op.security.is_empty() {
        let alternatives: Vec<String> = op
            .security
            .iter()
            .map(|a| {
                a.iter()
                    .map(|s| match s {
                        AuthScheme::Bearer => "an API token (`Authorization: Bearer`)".to_owned(),
                        AuthScheme::Header(h) => format!("`{h}`"),
                    })
                    .collect::<Vec<_>>()
                    .join(" + ")
            })
            .collect();
        parts.push(format!("Authentication: {}.", alternatives.join(", or ")));
    }
    if !op.permissions.is_empty() {
        parts.push(format!(
            "Accepted permissions (at least one required): {}.",
            op.permissions.join(", ")
        ));
    }
    if op.deprecated {
        parts.push("Deprecated by the API.".to_owned());
    }
    let mut errors = String::from(
        "# Errors\n\n`Error::InvalidArgument` before anything is sent when an argument breaks the spec's constraints; \
         `Error::Api` when Cloudflare answers with its error envelope",
    );
    for (status, description) in &op.error_responses {
        errors.push_str(&format!(" (`{status}`: {description})"));
    }
    errors.push_str("; `Error::Decode` when the response is not what the spec promised; `Error::Transport` when no response arrives.");
    parts.push(errors);
    parts.join("\n\n")
}

/// The params struct of one call, with its fields' docs and constraints.
pub fn params_struct(op: &Operation, types: &[TypeDef]) -> TokenStream {
    if op.params.is_empty() {
        return TokenStream::new();
    }
    let name = id(&op.params_type);
    let doc = format!(" Parameters of `{}()`.", op.fn_name);
    let defaultable = op
        .params
        .iter()
        .all(|p| !p.required || !is_string_enum(types, &p.ty));
    let derive_default = defaultable.then(|| quote!(Default,));
    let fields = op.params.iter().map(|p| {
        let mut text = p.doc.clone().unwrap_or_default();
        match (p.min_length, p.max_length) {
            (Some(a), Some(b)) if a == b => {
                text.push_str(&format!("\n\nMust be exactly {a} characters long."))
            }
            (Some(a), Some(b)) => {
                text.push_str(&format!("\n\nMust be {a} to {b} characters long."))
            }
            (Some(a), None) => text.push_str(&format!("\n\nMust be at least {a} characters long.")),
            (None, Some(b)) => text.push_str(&format!("\n\nMust be at most {b} characters long.")),
            (None, None) => {}
        }
        let location = match p.location {
            ParamLocation::Path => "Path",
            ParamLocation::Query => "Query",
        };
        text.push_str(&format!("\n\n{location} parameter `{}`.", p.wire));
        let doc = docs::outer(text.trim_start());
        let field = id(&p.ident);
        let base = rust_type(&p.ty, true);
        let ty = if p.required {
            base
        } else {
            quote!(::std::option::Option<#base>)
        };
        quote! { #doc pub #field: #ty, }
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, #derive_default)]
        pub struct #name { #(#fields)* }
    }
}

/// `pub type XResponse = ...;` when the call returns a type defined elsewhere.
pub fn response_alias(op: &Operation) -> TokenStream {
    let Response::Enveloped(ty) = &op.response;
    if matches!(ty, Ty::Named(p) if p.module == op.resource && p.name == op.response_type) {
        return TokenStream::new();
    }
    let name = id(&op.response_type);
    let ty = rust_type(ty, true);
    let doc = format!(" What `{}()` returns.", op.fn_name);
    quote! { #[doc = #doc] pub type #name = #ty; }
}
