//! Emits one resource module: its handle type, the accessors of its children, its calls, and the params
//! and response types those calls use.

use super::constructors::{constructors, Member};
use super::types::{deprecated_attr, rust_type};
use super::{docs, id, type_path};
use crate::ir::{
    Api, AuthScheme, BodyMedia, Operation, PagingConvention, Param, ParamLocation, Resource,
    Response, Segment, Step, Ty, TypeKind, TypePath, Waiter,
};
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::BTreeSet;

pub fn handle(
    resource: &Resource,
    operations: &[&Operation],
    api: &Api,
) -> anyhow::Result<TokenStream> {
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
    let calls = operations
        .iter()
        .map(|op| call(op, api))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let request_fns = operations
        .iter()
        .map(|op| request_fn(op))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let waiter_handles = operations
        .iter()
        .filter_map(|op| {
            op.waiter
                .as_ref()
                .map(|w| waiter_handle(op, w, api, resource))
        })
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
                pub fn #module(&self) -> #handle { #handle { client: self.clone() } }
            }
        }
    });
    Ok(quote! {
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
    })
}

/// One call: a method returning `crate::Call` (sent when awaited), built from a request function that
/// checks the arguments and assembles path, query, headers and body; plus the streaming and waiting
/// forms when the call pages or reports a long-running operation.
fn call(op: &Operation, api: &Api) -> anyhow::Result<TokenStream> {
    let name = id(&op.fn_name);
    let doc = docs::outer(&call_doc(op));
    let response = id(&op.response_type);
    let (args, arg_names) = call_args(op);
    let request_fn = request_fn_name(op);
    let decode = match &op.response {
        Response::Enveloped(_) | Response::EnvelopedNullable(_) => {
            quote!(crate::runtime::enveloped::<#response>)
        }
        Response::EnvelopedWhole(_) => quote!(crate::runtime::enveloped_whole::<#response>),
        Response::Json(_) => quote!(crate::runtime::json::<#response>),
        Response::Text => quote!(crate::runtime::text),
        Response::Bytes => quote!(crate::runtime::bytes),
        Response::Empty => quote!(crate::runtime::empty),
    };
    let deprecated = deprecated_attr(op.deprecated);
    let request = quote!(self.client.call(#request_fn(#(#arg_names),*), #decode));
    let (returns, body) = match op
        .starts
        .as_ref()
        .and_then(|s| Some((s, api.operations.get(s.waiter_op)?)))
    {
        Some((started, waiter_op)) => started_call(op, started, waiter_op, request)?,
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
    let wait = op
        .waiter
        .as_ref()
        .map(|waiter| wait_calls(op, waiter, api))
        .transpose()?;
    Ok(quote! {
        #main_doc
        #deprecated
        pub fn #main_name(&self, #(#args),*) -> #returns {
            #body
        }
        #stream
        #wait
    })
}

/// The checks of one argument against its constraints (of each item, for an array), before anything is sent:
/// length and `pattern` of text, bounds of numbers.
fn checks(p: &Param, positional: bool) -> Option<TokenStream> {
    let name = &p.ident;
    let value_ty = match &p.ty {
        Ty::Array(item) => &**item,
        ty => ty,
    };
    let number = matches!(value_ty, Ty::Integer | Ty::Number);
    let mut each = Vec::new();
    if *value_ty == Ty::String {
        let length = match (p.min_length, p.max_length) {
            (Some(min), Some(max)) => Some(quote!(crate::runtime::Length::between(#min, #max))),
            (Some(min), None) => Some(quote!(crate::runtime::Length::at_least(#min))),
            (None, Some(max)) => Some(quote!(crate::runtime::Length::at_most(#max))),
            (None, None) => None,
        };
        if let Some(length) = length {
            each.push(quote!(crate::runtime::check_length(#name, value, #length)?;));
        }
        if let Some(pattern) = &p.constraints.pattern {
            let pattern = id(&pattern_static(pattern));
            each.push(quote!(crate::runtime::check_pattern(#name, value, &crate::#pattern)?;));
        }
    }
    let c = &p.constraints;
    if number && (c.minimum.is_some() || c.maximum.is_some() || c.multiple_of.is_some()) {
        let value = |bound: Option<crate::ir::Bound>| match bound {
            Some(b) => {
                let v = b.value;
                quote!(Some(#v))
            }
            None => quote!(None),
        };
        let exclusive = |bound: Option<crate::ir::Bound>| bound.is_some_and(|b| b.exclusive);
        let (min, max) = (value(c.minimum), value(c.maximum));
        let (exclusive_min, exclusive_max) = (exclusive(c.minimum), exclusive(c.maximum));
        let multiple_of = match c.multiple_of {
            Some(m) => quote!(Some(#m)),
            None => quote!(None),
        };
        each.push(quote! {
            crate::runtime::check_number(#name, value, crate::runtime::Bounds {
                minimum: #min,
                exclusive_minimum: #exclusive_min,
                maximum: #max,
                exclusive_maximum: #exclusive_max,
                multiple_of: #multiple_of,
            })?;
        });
    }
    if each.is_empty() {
        return None;
    }
    let field = id(&p.ident);
    let place = if positional {
        quote!(#field)
    } else {
        quote!(params.#field)
    };
    Some(match (&p.ty, p.required || positional, number) {
        (Ty::Array(_), true, true) => quote!(for value in #place.iter().copied() { #(#each)* }),
        (Ty::Array(_), true, false) => quote!(for value in #place.iter() { #(#each)* }),
        (Ty::Array(_), false, true) => {
            quote!(for value in #place.iter().flatten().copied() { #(#each)* })
        }
        (Ty::Array(_), false, false) => quote!(for value in #place.iter().flatten() { #(#each)* }),
        (_, true, true) => quote!({ let value = #place; #(#each)* }),
        (_, true, false) if positional => quote!({ let value = #place; #(#each)* }),
        (_, true, false) => quote!({ let value = &#place; #(#each)* }),
        (_, false, true) => quote!(if let Some(value) = #place { #(#each)* }),
        (_, false, false) => quote!(if let Some(value) = &#place { #(#each)* }),
    })
}

/// What the argument is checked against before sending, as sentences for its doc ("" when nothing).
fn constraints_doc(p: &Param) -> String {
    let must = if matches!(p.ty, Ty::Array(_)) {
        "Each item must"
    } else {
        "Must"
    };
    let mut text = String::new();
    match (p.min_length, p.max_length) {
        (Some(a), Some(b)) if a == b => {
            text.push_str(&format!("\n\n{must} be exactly {a} characters long."))
        }
        (Some(a), Some(b)) => text.push_str(&format!("\n\n{must} be {a} to {b} characters long.")),
        (Some(a), None) => text.push_str(&format!("\n\n{must} be at least {a} characters long.")),
        (None, Some(b)) => text.push_str(&format!("\n\n{must} be at most {b} characters long.")),
        (None, None) => {}
    }
    let c = &p.constraints;
    let mut bounds = Vec::new();
    if let Some(b) = c.minimum {
        let rule = if b.exclusive {
            "greater than"
        } else {
            "at least"
        };
        bounds.push(format!("{rule} {}", b.value));
    }
    if let Some(b) = c.maximum {
        let rule = if b.exclusive { "less than" } else { "at most" };
        bounds.push(format!("{rule} {}", b.value));
    }
    if let Some(m) = c.multiple_of {
        bounds.push(format!("a multiple of {m}"));
    }
    if !bounds.is_empty() {
        text.push_str(&format!("\n\n{must} be {}.", bounds.join(" and ")));
    }
    if let Some(pattern) = &c.pattern {
        text.push_str(&format!("\n\n{must} match the pattern `{pattern}`."));
    }
    text
}

/// The name of the crate-level static holding a `pattern`, from the pattern itself (FNV-1a), so every call
/// with that pattern shares one compiled regex.
pub fn pattern_static(pattern: &str) -> String {
    let hash = pattern
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!("PATTERN_{hash:016X}")
}

/// The request function's name, outside the handle's `impl` so it cannot meet a method.
fn request_fn_name(op: &Operation) -> proc_macro2::Ident {
    id(&format!("request_{}", op.fn_name))
}

/// The call's arguments (positional id, then `params`), with their names.
fn call_args(op: &Operation) -> (Vec<TokenStream>, Vec<TokenStream>) {
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

fn has_params(op: &Operation) -> bool {
    !op.params.is_empty() || op.body.is_some()
}

/// The free function that turns a call's arguments into a `RequestSpec`, or the argument error.
pub fn request_fn(op: &Operation) -> anyhow::Result<TokenStream> {
    let name = request_fn_name(op);
    let (args, _) = call_args(op);
    let checks = op
        .positional
        .iter()
        .map(|p| (p, true))
        .chain(op.params.iter().map(|p| (p, false)))
        .filter_map(|(p, positional)| checks(p, positional));
    let segments = op
        .segments
        .iter()
        .map(|s| match s {
            Segment::Literal(text) => Ok(quote!(path.literal(#text);)),
            Segment::Positional(i) | Segment::Param(i) => {
                let positional = matches!(s, Segment::Positional(_));
                let list = if positional {
                    &op.positional
                } else {
                    &op.params
                };
                let p = list.get(*i).ok_or_else(|| {
                    anyhow::anyhow!(
                        "internal: {}: path segment without its parameter",
                        op.origin
                    )
                })?;
                let rust_name = &p.ident;
                let value = match &p.ty {
                    Ty::String | Ty::Named(_) => as_str(&p.ty, value_ref(p, positional)),
                    // Numbers and booleans: formatted from the value itself, not through a reference.
                    _ => {
                        let field = id(&p.ident);
                        let place = if positional {
                            quote!(#field)
                        } else {
                            quote!(params.#field)
                        };
                        quote!(&#place.to_string())
                    }
                };
                Ok(quote!(path.param(#rust_name, #value)?;))
            }
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let query = query(op);
    let headers = headers(op);
    let body = body(op);
    let method = id(&op.method);
    let spec_id = &op.spec_id;
    let template = &op.path_template;
    let security = id(&security_const_name(op.security_set));
    let allow = op.deprecated.then(|| quote!(#[allow(deprecated)]));
    Ok(quote! {
        #allow
        fn #name(#(#args),*) -> crate::Result<crate::runtime::RequestSpec> {
            #(#checks)*
            let mut path = crate::runtime::PathBuilder::new();
            #(#segments)*
            #query
            #headers
            #body
            Ok(crate::runtime::RequestSpec {
                method: ::reqwest::Method::#method,
                operation: #spec_id,
                path_template: #template,
                path: path.finish(),
                query,
                headers,
                body,
                security: crate::#security,
            })
        }
    })
}

pub fn security_const_name(index: usize) -> String {
    format!("SECURITY_{index}")
}

/// `&[&[Scheme::Bearer], &[Scheme::Header("X-Auth-Email"), ..]]`: an operation's security alternatives as a
/// slice of slices of `scheme` (a path to an enum with the runtime's `AuthScheme` variants).
pub fn security_alternatives(
    alternatives: &[Vec<AuthScheme>],
    scheme: &TokenStream,
) -> TokenStream {
    let alternatives = alternatives.iter().map(|alternative| {
        let schemes = alternative.iter().map(|s| match s {
            AuthScheme::Bearer => quote!(#scheme::Bearer),
            AuthScheme::Basic => quote!(#scheme::Basic),
            AuthScheme::Header(h) => quote!(#scheme::Header(#h)),
            AuthScheme::Query(q) => quote!(#scheme::Query(#q)),
            AuthScheme::Cookie(c) => quote!(#scheme::Cookie(#c)),
        });
        quote!(&[#(#schemes),*])
    });
    quote!(&[#(#alternatives),*])
}

/// `pub(crate) const SECURITY_n` for each distinct requirement, documented with who may call.
pub fn security_consts(api: &Api) -> TokenStream {
    let consts = api
        .security_sets
        .iter()
        .enumerate()
        .map(|(i, alternatives)| {
            let features: BTreeSet<String> = api
                .operations
                .iter()
                .filter(|op| &op.security == alternatives)
                .map(crate::lower::features::of_operation)
                .collect();
            let features: Vec<String> = features.into_iter().collect();
            let cfg = super::cfg_any(api, &features);
            let name = id(&security_const_name(i));
            let doc = match security_text(alternatives) {
                Some(text) => format!(" Authentication: {text}."),
                None => " No authentication.".to_owned(),
            };
            let alternatives = security_alternatives(alternatives, &quote!(runtime::AuthScheme));
            quote! {
                #[doc = #doc]
                #cfg
                const #name: &[&[runtime::AuthScheme]] = #alternatives;
            }
        });
    quote!(#(#consts)*)
}

/// Header parameters as sent; cookie parameters joined into one `Cookie` header.
fn headers(op: &Operation) -> TokenStream {
    let pushes: Vec<TokenStream> = op
        .params
        .iter()
        .filter(|p| matches!(p.location, ParamLocation::Header | ParamLocation::Cookie))
        .map(|p| {
            let wire = &p.wire;
            let field = id(&p.ident);
            let push = match p.location {
                ParamLocation::Cookie => {
                    let value = owned_string(&p.ty, quote!(value));
                    quote!(cookies.push(format!("{}={}", #wire, #value));)
                }
                _ => {
                    let value = owned_string(&p.ty, quote!(value));
                    quote!(headers.push((#wire, #value));)
                }
            };
            if p.required {
                quote!({ let value = &params.#field; #push })
            } else {
                quote!(if let Some(value) = &params.#field { #push })
            }
        })
        .collect();
    let has_cookies = op
        .params
        .iter()
        .any(|p| p.location == ParamLocation::Cookie);
    if pushes.is_empty() {
        return quote!(let headers: Vec<(&'static str, String)> = Vec::new(););
    }
    let cookies = has_cookies.then(|| quote!(let mut cookies: Vec<String> = Vec::new();));
    let join = has_cookies.then(|| {
        quote!(if !cookies.is_empty() {
            headers.push(("cookie", cookies.join("; ")));
        })
    });
    quote! {
        let mut headers: Vec<(&'static str, String)> = Vec::new();
        #cookies
        #(#pushes)*
        #join
    }
}

/// The body from the params struct: JSON, untyped JSON (`{}` when required and not given), multipart
/// parts, text or bytes.
fn body(op: &Operation) -> TokenStream {
    let Some(body) = &op.body else {
        return quote!(let body = crate::runtime::Body::Empty;);
    };
    let field = id(&body.ident);
    let name = body.ident.as_str();
    match &body.media {
        BodyMedia::Json(Ty::Json) => {
            let missing = if body.required {
                quote!(crate::runtime::Body::Json(Vec::from(&b"{}"[..])))
            } else {
                quote!(crate::runtime::Body::Empty)
            };
            quote! {
                let body = match &params.#field {
                    Some(value) => crate::runtime::Body::json(#name, value)?,
                    None => #missing,
                };
            }
        }
        BodyMedia::Json(_) if body.required => {
            quote!(let body = crate::runtime::Body::json(#name, &params.#field)?;)
        }
        BodyMedia::Json(_) => quote! {
            let body = match &params.#field {
                Some(value) => crate::runtime::Body::json(#name, value)?,
                None => crate::runtime::Body::Empty,
            };
        },
        BodyMedia::Bytes(content_type) | BodyMedia::Text(content_type) => {
            let data = match &body.media {
                BodyMedia::Text(_) => quote!(value.clone().into_bytes()),
                _ => quote!(value.clone()),
            };
            let raw =
                quote!(crate::runtime::Body::Raw { content_type: #content_type, data: #data });
            if body.required {
                quote!(let body = { let value = &params.#field; #raw };)
            } else {
                quote! {
                    let body = match &params.#field {
                        Some(value) => #raw,
                        None => crate::runtime::Body::Empty,
                    };
                }
            }
        }
        BodyMedia::Multipart { parts, .. } => {
            let pushes = parts.iter().map(|part| {
                let wire = &part.wire;
                let part_field = id(&part.ident);
                let value = if part.binary {
                    quote!(crate::runtime::PartValue::Bytes { data: value.clone(), file_name: None, content_type: None })
                } else if part.ty == Ty::String {
                    quote!(crate::runtime::PartValue::Text(value.clone()))
                } else {
                    quote!(crate::runtime::PartValue::Text(crate::runtime::json_text(#wire, value)?))
                };
                let mut push = quote!(parts.push(crate::runtime::Part { name: #wire, value: #value }););
                if part.repeated {
                    push = quote!(for value in value { #push });
                }
                if part.required {
                    quote!({ let value = &form.#part_field; #push })
                } else {
                    quote!(if let Some(value) = &form.#part_field { #push })
                }
            });
            let parts = quote! {{
                let mut parts = Vec::new();
                #(#pushes)*
                crate::runtime::Body::Multipart(parts)
            }};
            if body.required {
                quote!(let body = { let form = &params.#field; #parts };)
            } else {
                quote! {
                    let body = match &params.#field {
                        Some(form) => #parts,
                        None => crate::runtime::Body::Empty,
                    };
                }
            }
        }
    }
}

/// A call that starts a long-running operation returns the waiter's handle, built from the call's
/// result (the operation's id) and the scope parameters the waiter needs.
fn started_call(
    op: &Operation,
    started: &crate::ir::Started,
    waiter_op: &Operation,
    request: TokenStream,
) -> anyhow::Result<(TokenStream, TokenStream)> {
    let waiter = waiter_op.waiter.as_ref().ok_or_else(|| {
        anyhow::anyhow!(
            "internal: {} starts an operation without a waiter",
            op.origin
        )
    })?;
    let handle = type_path(
        &TypePath {
            module: waiter_op.resource.clone(),
            name: waiter.handle.clone(),
        },
        &op.resource,
    );
    let waiter_params = type_path(
        &TypePath {
            module: waiter_op.resource.clone(),
            name: waiter_op.params_type.clone(),
        },
        &op.resource,
    );
    let copies = waiter_op.params.iter().map(|p| {
        let field = id(&p.ident);
        quote!(#field: params.#field.clone(),)
    });
    let id_field = id(&started.id_field);
    let id_wire = &started.id_field;
    let take_id = if started.id_optional {
        quote!(result.#id_field.ok_or_else(|| format!("the result has no `{}`", #id_wire))?)
    } else {
        quote!(result.#id_field)
    };
    // The handle keeps the waiter's params (the scope it polls in) when that call has any.
    let (scope, pass_params) = if has_params(waiter_op) {
        (
            quote!(let waiter_params = #waiter_params { #(#copies)* };),
            quote!(, waiter_params),
        )
    } else {
        (quote!(), quote!())
    };
    Ok((
        quote!(crate::Call<#handle>),
        quote! {
            let client = self.client.clone();
            #scope
            #request.and_then(move |result| Ok(#handle::new(client, #take_id #pass_params)))
        },
    ))
}

/// The streaming form of a list call: every item, page by page, as a `Stream`.
fn paging_call(
    op: &Operation,
    paging: &crate::ir::Paging,
    doc: &TokenStream,
    args: &[TokenStream],
) -> TokenStream {
    let name = id(&op.fn_name);
    let page_fn = id(&paging.page_fn);
    let item = rust_type(&paging.item, true, &op.resource);
    let spec_id = &op.spec_id;
    let own_positional = op.positional.iter().map(|p| {
        let arg = id(&p.ident);
        quote!(let #arg = ToOwned::to_owned(#arg);)
    });
    let pass_positional = op.positional.iter().map(|p| {
        let arg = id(&p.ident);
        quote!(&#arg,)
    });
    let items = match (&paging.items, paging.page_optional) {
        (Some(Step { ident, optional }), _) => {
            let field = id(ident);
            if *optional {
                quote!(page.#field.unwrap_or_default())
            } else {
                quote!(page.#field)
            }
        }
        (None, true) => quote!(page.unwrap_or_default()),
        (None, false) => quote!(page),
    };
    let fetch_page = quote!(this.#page_fn(#(#pass_positional)* &params));
    let (walk, how) = match &paging.convention {
        PagingConvention::Cursor { param, next } => {
            let cursor = id(&op.params[*param].ident);
            let next = found(next, quote!(.cloned()));
            (
                quote! {
                    crate::runtime::paginate_cursor(
                        #spec_id,
                        move |cursor| {
                            let mut params = params.clone();
                            params.#cursor = cursor;
                            #fetch_page
                        },
                        |page| {
                            let next = #next;
                            (#items, next)
                        },
                    )
                },
                "(the cursor in `params` is where it starts). The stream ends after the last page and fails, \
                 instead of looping, if the server sends a cursor it sent before.",
            )
        }
        PagingConvention::Pages {
            param,
            first,
            total_pages,
            total_count,
        } => {
            let p = &op.params[*param];
            let field = id(&p.ident);
            let (first_given, set) = if p.required {
                (
                    quote!(crate::runtime::PageNumber::to_count(params.#field)),
                    quote!(crate::runtime::PageNumber::from_page(page)),
                )
            } else {
                (
                    quote!(params.#field.and_then(crate::runtime::PageNumber::to_count)),
                    quote!(Some(crate::runtime::PageNumber::from_page(page))),
                )
            };
            let total = |steps: &Option<Vec<Step>>| match steps {
                Some(steps) => {
                    let value = found(steps, quote!(.copied()));
                    quote!(#value.and_then(crate::runtime::PageNumber::to_count))
                }
                None => quote!(None),
            };
            let (total_pages, total_count) = (total(total_pages), total(total_count));
            (
                quote! {
                    let first = #first_given.unwrap_or(#first);
                    crate::runtime::paginate_pages(
                        #spec_id,
                        first,
                        move |page| {
                            let mut params = params.clone();
                            if let Some(page) = page {
                                params.#field = #set;
                            }
                            #fetch_page
                        },
                        |page| {
                            let totals = crate::runtime::Totals {
                                total_pages: #total_pages,
                                total_count: #total_count,
                            };
                            (#items, totals)
                        },
                    )
                },
                "(the page in `params` is where it starts). The stream ends on an empty page, on the last \
                 page the envelope counts, or once it has sent as many items as it says there are, and fails, \
                 instead of looping, if a page repeats an earlier one.",
            )
        }
    };
    let how =
        format!(" Streams every item, fetching one page at a time as the stream is read {how}");
    quote! {
        #doc
        ///
        #[doc = #how]
        pub fn #name(&self, #(#args),*) -> crate::Paginator<#item> {
            let this = self.clone();
            #(#own_positional)*
            let params = params.clone();
            #walk
        }
    }
}

/// The value at the end of `steps` from `page`, as an `Option`, taken out by `take` (`.cloned()`,
/// `.copied()`) without moving it out of the page.
fn found(steps: &[Step], take: TokenStream) -> TokenStream {
    // `Ok` while every step so far is present (a place), `Err` once one is optional (an `Option<&_>`).
    let mut value: Result<TokenStream, TokenStream> = Ok(quote!(page));
    for Step { ident, optional } in steps {
        let field = id(ident);
        value = match (value, optional) {
            (Ok(place), false) => Ok(quote!(#place.#field)),
            (Ok(place), true) => Err(quote!(#place.#field.as_ref())),
            (Err(option), false) => Err(quote!(#option.map(|value| &value.#field))),
            (Err(option), true) => Err(quote!(#option.and_then(|value| value.#field.as_ref()))),
        };
    }
    match value {
        Ok(place) => quote!(Some(#place #take)),
        Err(option) => quote!(#option #take),
    }
}

/// `wait` and `wait_with` on the call that reads an operation's state.
fn wait_calls(op: &Operation, waiter: &Waiter, api: &Api) -> anyhow::Result<TokenStream> {
    let get = id(&op.fn_name);
    let spec_id = &op.spec_id;
    let union = union_of(op, api)?;
    let (done, classify) = classify_fn(op, waiter, union, api)?;
    let (args, _) = call_args(op);
    let params_arg = has_params(op).then(|| quote!(params,));
    let [id_param] = op.positional.as_slice() else {
        anyhow::bail!(
            "internal: {}: a waiter needs exactly one id argument",
            op.origin
        );
    };
    let id_arg = id(&id_param.ident);
    let id_text = quote!(#id_arg);
    Ok(quote! {
        /// Polls this call until the operation succeeds (its result) or fails (`Error::OperationFailed` with
        /// the server's message), with the default [`crate::WaitOptions`] (backoff from 500 ms to 5 s,
        /// deadline 5 min: then `Error::WaitTimeout` with the last status seen). Dropping the future stops
        /// polling.
        pub async fn wait(self, #(#args),*) -> crate::Result<#done> {
            self.wait_with(#id_arg, #params_arg &crate::WaitOptions::default()).await
        }
        /// [`Self::wait`] with your own interval, backoff cap and deadline.
        pub async fn wait_with(self, #(#args,)* options: &crate::WaitOptions) -> crate::Result<#done> {
            #classify
            crate::runtime::poll_until(#spec_id, #id_text, options, &self.client, || self.#get(#id_arg, #params_arg), classify).await
        }
    })
}

fn union_of<'a>(op: &Operation, api: &'a Api) -> anyhow::Result<&'a crate::ir::Union> {
    let Response::Enveloped(Ty::Named(path)) = &op.response else {
        anyhow::bail!(
            "internal: {}: a waiter on a call that does not return a union",
            op.origin
        );
    };
    match api.find(path).map(|t| &t.kind) {
        Some(TypeKind::Union(union)) => Ok(union),
        _ => anyhow::bail!(
            "internal: {}: a waiter on a call that does not return a union",
            op.origin
        ),
    }
}

/// The function that sorts a polled result into pending / succeeded (with what `wait` returns) / failed.
fn classify_fn(
    op: &Operation,
    waiter: &Waiter,
    union: &crate::ir::Union,
    api: &Api,
) -> anyhow::Result<(TokenStream, TokenStream)> {
    let union_ty = id(&op.response_type);
    let tag = match &union.rule {
        crate::ir::Rule::Tag(tag) => tag.clone(),
        _ => anyhow::bail!("internal: {}: waiter union without a tag", op.origin),
    };
    let single = match waiter.succeeded.as_slice() {
        [only] => union.variants.iter().find(|v| &v.ident == only),
        _ => None,
    };
    let done = match single {
        Some(v) => {
            let ty = rust_type(&v.ty, true, &op.resource);
            if v.boxed {
                quote!(Box<#ty>)
            } else {
                ty
            }
        }
        None => quote!(#union_ty),
    };
    let field_of = |variant: &crate::ir::Variant, ident: &str| -> Option<bool> {
        let Ty::Named(p) = &variant.ty else {
            return None;
        };
        match &api.find(p)?.kind {
            TypeKind::Struct { fields, .. } => fields
                .iter()
                .find(|f| f.ident == ident)
                .map(|f| f.optional()),
            _ => None,
        }
    };
    let status_of = |variant: &crate::ir::Variant| -> TokenStream {
        let field = id(&waiter.status_field);
        match field_of(variant, &waiter.status_field) {
            Some(false) => quote!(ToString::to_string(&inner.#field)),
            Some(true) => {
                quote!(inner.#field.as_ref().map(ToString::to_string).unwrap_or_default())
            }
            None => quote!(String::new()),
        }
    };
    let arms = union.variants.iter().map(|v| {
        let ident = id(&v.ident);
        let status = status_of(v);
        if waiter.succeeded.contains(&v.ident) {
            if single.is_some() {
                quote!(#union_ty::#ident(inner) => crate::runtime::PollState::Succeeded(inner),)
            } else {
                quote!(value @ #union_ty::#ident(_) => crate::runtime::PollState::Succeeded(value),)
            }
        } else if waiter.failed.contains(&v.ident) {
            let message = match &waiter.message {
                Some(m) => {
                    let field = id(m);
                    match field_of(v, m) {
                        Some(true) => quote!(inner.#field.clone().unwrap_or_default()),
                        _ => quote!(inner.#field.clone()),
                    }
                }
                None => quote!(String::new()),
            };
            quote!(#union_ty::#ident(inner) => crate::runtime::PollState::Failed { status: #status, message: #message },)
        } else {
            quote!(#union_ty::#ident(inner) => crate::runtime::PollState::Pending { status: #status },)
        }
    });
    let classify = quote! {
        fn classify(value: #union_ty) -> crate::runtime::PollState<#done> {
            match value {
                #(#arms)*
                #union_ty::Unknown(raw) => crate::runtime::PollState::Pending {
                    status: crate::runtime::union_tag(&raw, #tag).unwrap_or("unknown").to_owned(),
                },
            }
        }
    };
    Ok((done, classify))
}

/// The handle a started operation is returned as: its id, and `wait()`.
pub fn waiter_handle(
    op: &Operation,
    waiter: &Waiter,
    api: &Api,
    resource: &Resource,
) -> anyhow::Result<TokenStream> {
    let handle = id(&waiter.handle);
    let resource_handle = id(&resource.handle);
    let (done, _) = classify_fn(op, waiter, union_of(op, api)?, api)?;
    let params = id(&op.params_type);
    let (params_field, params_arg, params_in) = if has_params(op) {
        (
            quote!(params: #params,),
            quote!(&this.params,),
            quote!(, params: #params),
        )
    } else {
        (quote!(), quote!(), quote!())
    };
    let get = &op.fn_name;
    let doc = format!(" A long-running operation that `{get}()` reports on: its id, and `wait()` to poll it to the end.");
    let store = has_params(op).then(|| quote!(params,));
    Ok(quote! {
        #[doc = #doc]
        #[derive(Debug, Clone)]
        pub struct #handle {
            client: crate::Client,
            id: String,
            #params_field
        }
        impl #handle {
            pub(crate) fn new(client: crate::Client, id: String #params_in) -> Self {
                Self { client, id, #store }
            }
            /// The operation's id.
            pub fn id(&self) -> &str {
                &self.id
            }
            /// Polls until the operation succeeds or fails, with the default [`crate::WaitOptions`]. The future
            /// owns what it needs (`'static` and `Send`), so it can be spawned.
            pub fn wait(&self) -> impl std::future::Future<Output = crate::Result<#done>> + Send + 'static {
                self.wait_with(&crate::WaitOptions::default())
            }
            /// Polls until the operation succeeds or fails, with your own interval and deadline.
            pub fn wait_with(&self, options: &crate::WaitOptions) -> impl std::future::Future<Output = crate::Result<#done>> + Send + 'static {
                let this = self.clone();
                let options = options.clone();
                async move {
                    #resource_handle { client: this.client }.wait_with(&this.id, #params_arg &options).await
                }
            }
        }
    })
}

/// The struct of a multipart body's parts.
pub fn form_struct(op: &Operation) -> TokenStream {
    let Some(crate::ir::RequestBody {
        media: BodyMedia::Multipart { type_name, parts },
        ..
    }) = &op.body
    else {
        return TokenStream::new();
    };
    let name = id(type_name);
    let doc = format!(" The parts of `{}()`'s multipart body.", op.fn_name);
    let members: Vec<Member> = parts
        .iter()
        .map(|part| Member {
            ident: part.ident.clone(),
            ty: part_type(part, &op.resource),
            optional: !part.required,
            deprecated: false,
        })
        .collect();
    let fields = parts.iter().map(|part| {
        let doc = docs::outer(
            format!(
                "{}\n\nPart `{}`{}.",
                part.doc.clone().unwrap_or_default(),
                part.wire,
                if part.repeated { ", once per file" } else { "" }
            )
            .trim_start(),
        );
        let field = id(&part.ident);
        let base = part_type(part, &op.resource);
        let ty = if part.required {
            base
        } else {
            quote!(Option<#base>)
        };
        quote!(#doc pub #field: #ty,)
    });
    let default = op.form_default.then(|| quote!(Default,));
    let constructors = constructors(type_name, &members, TokenStream::new());
    quote! {
        #[doc = #doc]
        #[non_exhaustive]
        #[derive(Debug, Clone, PartialEq, #default)]
        pub struct #name { #(#fields)* }
        #constructors
    }
}

/// A multipart part's type without the `Option` of an optional part.
fn part_type(part: &crate::ir::FormPart, here: &[String]) -> TokenStream {
    if part.repeated {
        quote!(Vec<Vec<u8>>)
    } else if part.binary {
        quote!(Vec<u8>)
    } else {
        rust_type(&part.ty, true, here)
    }
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
                (Ty::Array(item), required) if p.comma_joined => {
                    let joined = if **item == Ty::String {
                        quote!(values.join(","))
                    } else {
                        let value = owned_string(item, quote!(value));
                        quote!(values.iter().map(|value| #value).collect::<Vec<_>>().join(","))
                    };
                    if required {
                        quote!({ let values = &params.#field; query.push((#wire, #joined)); })
                    } else {
                        quote!(if let Some(values) = &params.#field { query.push((#wire, #joined)); })
                    }
                }
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
                    quote!(if let Some(value) = &params.#field { query.push((#wire, #value)); })
                }
            }
        })
        .collect();
    if pushed.is_empty() {
        quote!(let query: Vec<(&'static str, String)> = vec![#(#fixed),*];)
    } else {
        quote! {
            let mut query: Vec<(&'static str, String)> = vec![#(#fixed),*];
            #(#pushed)*
        }
    }
}

/// A reference to the parameter's value: the argument itself, or the params field.
fn value_ref(p: &Param, positional: bool) -> TokenStream {
    let name = id(&p.ident);
    match (positional, &p.ty, p.required) {
        (true, Ty::String | Ty::Named(_), _) => quote!(#name),
        (true, _, _) => quote!(&#name),
        (false, _, true) => quote!(&params.#name),
        (false, _, false) => quote!(params.#name.as_deref()),
    }
}

fn positional_type(ty: &Ty, here: &[String]) -> TokenStream {
    match ty {
        Ty::String => quote!(&str),
        Ty::Named(path) => {
            let path = type_path(path, here);
            quote!(&#path)
        }
        other => rust_type(other, false, here),
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

/// "an API token (`Authorization: Bearer`), or `X-Auth-Email` + `X-Auth-Key`"; `None` without auth.
fn security_text(alternatives: &[Vec<AuthScheme>]) -> Option<String> {
    if alternatives.is_empty() {
        return None;
    }
    let each: Vec<String> = alternatives
        .iter()
        .map(|a| {
            a.iter()
                .map(|s| match s {
                    AuthScheme::Bearer => "an API token (`Authorization: Bearer`)".to_owned(),
                    AuthScheme::Basic => "HTTP basic authentication".to_owned(),
                    AuthScheme::Header(h) => format!("`{h}`"),
                    AuthScheme::Query(q) => format!("the query key `{q}`"),
                    AuthScheme::Cookie(c) => format!("the cookie `{c}`"),
                })
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect();
    Some(each.join(", or "))
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

/// The params struct of one call, with its fields' docs and constraints.
pub fn params_struct(op: &Operation) -> TokenStream {
    if !has_params(op) {
        return TokenStream::new();
    }
    let name = id(&op.params_type);
    let doc = format!(" Parameters of `{}()`.", op.fn_name);
    let derive_default = op.params_default.then(|| quote!(Default,));
    let mut members: Vec<Member> = op
        .params
        .iter()
        .map(|p| Member {
            ident: p.ident.clone(),
            ty: rust_type(&p.ty, true, &op.resource),
            optional: !p.required,
            deprecated: false,
        })
        .collect();
    let fields = op.params.iter().map(|p| {
        let mut text = p.doc.clone().unwrap_or_default();
        text.push_str(&constraints_doc(p));
        let location = match p.location {
            ParamLocation::Path => "Path",
            ParamLocation::Query => "Query",
            ParamLocation::Header => "Header",
            ParamLocation::Cookie => "Cookie",
        };
        text.push_str(&format!("\n\n{location} parameter `{}`.", p.wire));
        let doc = docs::outer(text.trim_start());
        let field = id(&p.ident);
        let base = rust_type(&p.ty, true, &op.resource);
        let ty = if p.required {
            base
        } else {
            quote!(Option<#base>)
        };
        quote! { #doc pub #field: #ty, }
    });
    let body = op.body.as_ref().map(|body| {
        let field = id(&body.ident);
        let (base, always_optional) = match &body.media {
            BodyMedia::Json(Ty::Json) => (quote!(::serde_json::Value), true),
            BodyMedia::Json(ty) => (rust_type(ty, true, &op.resource), false),
            BodyMedia::Multipart { type_name, .. } => {
                let form = id(type_name);
                (quote!(#form), false)
            }
            BodyMedia::Bytes(_) => (quote!(Vec<u8>), false),
            BodyMedia::Text(_) => (quote!(String), false),
        };
        let mut text = body.doc.clone().unwrap_or_else(|| "The request body.".to_owned());
        if let BodyMedia::Json(Ty::Json) = &body.media {
            text.push_str("\n\nThe spec gives this body no schema: any JSON is sent as is; `None` sends `{}` when a body is required.");
        }
        let doc = docs::outer(&text);
        let optional = !body.required || always_optional;
        members.push(Member { ident: body.ident.clone(), ty: base.clone(), optional, deprecated: false });
        let ty = if optional { quote!(Option<#base>) } else { base };
        quote! { #doc pub #field: #ty, }
    });
    let constructors = constructors(&op.params_type, &members, TokenStream::new());
    quote! {
        #[doc = #doc]
        #[non_exhaustive]
        #[derive(Debug, Clone, PartialEq, #derive_default)]
        pub struct #name { #(#fields)* #body }
        #constructors
    }
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
