//! One resource module's head: its handle type, the accessors of its children, its calls (each built on
//! its request function, `request`), and the aliases of the types they return.

use super::request::request_fn;
use super::runtime::{BYTES, EMPTY, ENVELOPED, ENVELOPED_WHOLE, JSON, TEXT};
use super::security::security_text;
use super::types::{deprecated_attr, rust_type};
use super::workflow::{paging_call, started_call, wait_calls, waiter_handle};
use super::{docs, id, type_path};
use crate::ir::{Api, Operation, Resource, Response, Ty};
use proc_macro2::TokenStream;
use quote::quote;

pub fn handle(resource: &Resource, operations: &[&Operation], api: &Api) -> TokenStream {
    let resources = &api.resources;
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
            pub fn #module(&self) -> #module::#child_handle { #module::#child_handle { client: self.client.clone() } }
        }
    });
    let calls = operations.iter().map(|op| call(op, api));
    let request_fns = operations.iter().map(|op| request_fn(op));
    let waiter_handles = operations.iter().filter_map(|op| {
        op.waiter
            .as_ref()
            .map(|w| waiter_handle(op, w, api, resource))
    });
    let root_accessor = (resource.module.len() == 1).then(|| {
        let module = id(&resource.module[0]);
        let doc = format!(
            " `{}`: `client.{}()`",
            resource.module[0], resource.module[0]
        );
        quote! {
            impl crate::Client {
                #[doc = #doc]
                pub fn #module(&self) -> #handle { #handle { client: self.clone() } }
            }
        }
    });
    quote! {
        #[doc = #handle_doc]
        #[derive(Debug, Clone)]
        // Built by the parent's accessor with a struct literal: a constructor would take a name that a
        // child resource may need (Cloudflare has a resource called `new`).
        pub struct #handle { pub(crate) client: crate::Client }
        #root_accessor
        impl #handle {
            #(#children)*
            #(#calls)*
        }
        #(#request_fns)*
        #(#waiter_handles)*
    }
}

/// One call: a method returning `crate::Call` (sent when awaited), built from a request function that
/// checks the arguments and assembles path, query, headers and body; plus the streaming and waiting
/// forms when the call pages or reports a long-running operation.
fn call(op: &Operation, api: &Api) -> TokenStream {
    let name = id(&op.fn_name);
    let doc = docs::outer(&call_doc(op));
    let response = id(&op.response_type);
    let (args, arg_names) = call_args(op);
    let request_fn = request_fn_name(op);
    let decode = match &op.response {
        Response::Enveloped(_) | Response::EnvelopedNullable(_) => {
            quote!(#ENVELOPED::<#response>)
        }
        Response::EnvelopedWhole(_) => quote!(#ENVELOPED_WHOLE::<#response>),
        Response::Json(_) => quote!(#JSON::<#response>),
        Response::Text => quote!(#TEXT),
        Response::Bytes => quote!(#BYTES),
        Response::Empty => quote!(#EMPTY),
    };
    let deprecated = deprecated_attr(op.deprecated);
    let request = quote!(self.client.call(#request_fn(#(#arg_names),*), #decode));
    let (returns, body) = match &op.starts {
        Some(started) => started_call(op, started, &api.operations[started.waiter_op], request),
        None => (quote!(crate::Call<#response>), request),
    };
    let (main_name, main_doc) = match &op.paging {
        Some(paging) => (
            id(&paging.page_fn),
            docs::outer(&format!(
                "{}\n\nOne page; `{}()` streams every item across pages.",
                call_doc(op),
                op.fn_name
            )),
        ),
        None => (name.clone(), doc.clone()),
    };
    let stream = op
        .paging
        .as_ref()
        .map(|paging| paging_call(op, paging, &doc, &args));
    let wait = op.waiter.as_ref().map(|waiter| wait_calls(op, waiter, api));
    quote! {
        #main_doc
        #deprecated
        pub fn #main_name(&self, #(#args),*) -> #returns {
            #body
        }
        #stream
        #wait
    }
}

/// The request function's name, outside the handle's `impl` so it cannot meet a method.
pub(super) fn request_fn_name(op: &Operation) -> proc_macro2::Ident {
    id(&format!("request_{}", op.fn_name))
}

/// The call's arguments (positional id, then `params`), with their names.
pub(super) fn call_args(op: &Operation) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut args = Vec::new();
    let mut names = Vec::new();
    for p in &op.positional {
        let arg = id(&p.ident);
        let ty = positional_type(&p.ty, &op.resource);
        args.push(quote!(#arg: #ty));
        names.push(quote!(#arg));
    }
    if has_params(op) {
        let params = id(&op.params_type);
        args.push(quote!(params: &#params));
        names.push(quote!(params));
    }
    (args, names)
}

pub(super) fn has_params(op: &Operation) -> bool {
    !op.params.is_empty() || op.body.is_some()
}

pub(super) fn positional_type(ty: &Ty, here: &[String]) -> TokenStream {
    match ty {
        Ty::String => quote!(&str),
        Ty::Named(path) => {
            let path = type_path(path, here);
            quote!(&#path)
        }
        other => rust_type(other, false, here),
    }
}

pub(super) fn call_doc(op: &Operation) -> String {
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
    if let Some(text) = security_text(&op.security) {
        parts.push(format!("Authentication: {text}."));
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

/// `pub type XResponse = ...;` when the call returns a type defined elsewhere.
pub fn response_alias(op: &Operation) -> TokenStream {
    let ty = match &op.response {
        Response::Enveloped(ty) | Response::EnvelopedWhole(ty) | Response::Json(ty) => {
            if matches!(ty, Ty::Named(p) if p.module == op.resource && p.name == op.response_type) {
                return TokenStream::new();
            }
            rust_type(ty, true, &op.resource)
        }
        Response::EnvelopedNullable(ty) => {
            let ty = rust_type(ty, true, &op.resource);
            quote!(Option<#ty>)
        }
        Response::Text => quote!(String),
        Response::Bytes => quote!(Vec<u8>),
        Response::Empty => quote!(()),
    };
    let name = id(&op.response_type);
    let doc = format!(" What `{}()` returns.", op.fn_name);
    quote! { #[doc = #doc] pub type #name = #ty; }
}
