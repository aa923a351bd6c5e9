//! A call's request function: arguments checked against their constraints, then path, query, headers and
//! body assembled into the runtime's `RequestSpec`.

use super::id;
use super::resource::{call_args, request_fn_name};
use super::runtime::{
    BODY, BOUNDS, CHECK_LENGTH, CHECK_NUMBER, CHECK_PATTERN, JSON_TEXT, LENGTH, PART, PART_VALUE,
    PATH_BUILDER, REQUEST_SPEC,
};
use super::security::security_const_name;
use crate::ir::{BodyMedia, Operation, Param, ParamLocation, Segment, Ty};
use proc_macro2::TokenStream;
use quote::quote;

/// The checks of one argument against its constraints (of each item, for an array), before anything is sent:
/// length and `pattern` of text, bounds of numbers.
pub(super) fn checks(p: &Param, positional: bool) -> Option<TokenStream> {
    let name = &p.ident;
    let value_ty = match &p.ty {
        Ty::Array(item) => &**item,
        ty => ty,
    };
    let number = matches!(value_ty, Ty::Integer | Ty::Number);
    let mut each = Vec::new();
    if *value_ty == Ty::String {
        let length = match (p.min_length, p.max_length) {
            (Some(min), Some(max)) => Some(quote!(#LENGTH::between(#min, #max))),
            (Some(min), None) => Some(quote!(#LENGTH::at_least(#min))),
            (None, Some(max)) => Some(quote!(#LENGTH::at_most(#max))),
            (None, None) => None,
        };
        if let Some(length) = length {
            each.push(quote!(#CHECK_LENGTH(#name, value, #length)?;));
        }
        if let Some(pattern) = &p.constraints.pattern {
            let pattern = id(&pattern_static(pattern));
            each.push(quote!(#CHECK_PATTERN(#name, value, &crate::#pattern)?;));
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
            #CHECK_NUMBER(#name, value, #BOUNDS {
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

/// The free function that turns a call's arguments into a `RequestSpec`, or the argument error.
pub fn request_fn(op: &Operation) -> TokenStream {
    let name = request_fn_name(op);
    let (args, _) = call_args(op);
    let checks = op
        .positional
        .iter()
        .map(|p| (p, true))
        .chain(op.params.iter().map(|p| (p, false)))
        .filter_map(|(p, positional)| checks(p, positional));
    let segments = op.segments.iter().map(|s| match s {
        Segment::Literal(text) => quote!(path.literal(#text);),
        Segment::Positional(i) | Segment::Param(i) => {
            let positional = matches!(s, Segment::Positional(_));
            // Lowering builds each segment from its parameter's index (`url_segments`).
            let p = if positional {
                &op.positional[*i]
            } else {
                &op.params[*i]
            };
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
            quote!(path.param(#rust_name, #value)?;)
        }
    });
    let query = query(op);
    let headers = headers(op);
    let body = body(op);
    let method = id(&op.method);
    let spec_id = &op.spec_id;
    let template = &op.path_template;
    let security = id(&security_const_name(op.security_set));
    let accept = &op.accept;
    let allow = op.deprecated.then(|| quote!(#[allow(deprecated)]));
    quote! {
        #allow
        fn #name(#(#args),*) -> crate::Result<#REQUEST_SPEC> {
            #(#checks)*
            let mut path = #PATH_BUILDER::new();
            #(#segments)*
            #query
            #headers
            #body
            Ok(#REQUEST_SPEC {
                method: ::reqwest::Method::#method,
                operation: #spec_id,
                path_template: #template,
                path: path.finish(),
                query,
                headers,
                body,
                accept: #accept,
                security: crate::#security,
            })
        }
    }
}

/// Header parameters as sent; cookie parameters joined into one `Cookie` header.
pub(super) fn headers(op: &Operation) -> TokenStream {
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
pub(super) fn body(op: &Operation) -> TokenStream {
    let Some(body) = &op.body else {
        return quote!(let body = #BODY::Empty;);
    };
    let field = id(&body.ident);
    let name = body.ident.as_str();
    match &body.media {
        BodyMedia::Json(Ty::Json) => {
            let missing = if body.required {
                quote!(#BODY::Json(Vec::from(&b"{}"[..])))
            } else {
                quote!(#BODY::Empty)
            };
            quote! {
                let body = match &params.#field {
                    Some(value) => #BODY::json(#name, value)?,
                    None => #missing,
                };
            }
        }
        BodyMedia::Json(_) if body.required => {
            quote!(let body = #BODY::json(#name, &params.#field)?;)
        }
        BodyMedia::Json(_) => quote! {
            let body = match &params.#field {
                Some(value) => #BODY::json(#name, value)?,
                None => #BODY::Empty,
            };
        },
        BodyMedia::Bytes(content_type) | BodyMedia::Text(content_type) => {
            let data = match &body.media {
                BodyMedia::Text(_) => quote!(value.clone().into_bytes()),
                _ => quote!(value.clone()),
            };
            let raw = quote!(#BODY::Raw { content_type: #content_type, data: #data });
            if body.required {
                quote!(let body = { let value = &params.#field; #raw };)
            } else {
                quote! {
                    let body = match &params.#field {
                        Some(value) => #raw,
                        None => #BODY::Empty,
                    };
                }
            }
        }
        BodyMedia::Multipart { parts, .. } => {
            let parts = multipart_form(parts);
            if body.required {
                quote!(let body = { let form = &params.#field; #parts };)
            } else {
                quote! {
                    let body = match &params.#field {
                        Some(form) => #parts,
                        None => #BODY::Empty,
                    };
                }
            }
        }
    }
}

/// A multipart body from `form`: one part per property, one per item of a repeated one, binary parts as
/// bytes and others as text (JSON text when not a string).
fn multipart_form(parts: &[crate::ir::FormPart]) -> TokenStream {
    let pushes = parts.iter().map(|part| {
        let wire = &part.wire;
        let part_field = id(&part.ident);
        let value = if part.binary {
            quote!(#PART_VALUE::Bytes { data: value.clone(), file_name: None, content_type: None })
        } else if part.ty == Ty::String {
            quote!(#PART_VALUE::Text(value.clone()))
        } else {
            quote!(#PART_VALUE::Text(#JSON_TEXT(#wire, value)?))
        };
        let mut push = quote!(parts.push(#PART { name: #wire, value: #value }););
        if part.repeated {
            push = quote!(for value in value { #push });
        }
        if part.required {
            quote!({ let value = &form.#part_field; #push })
        } else {
            quote!(if let Some(value) = &form.#part_field { #push })
        }
    });
    quote! {{
        let mut parts = Vec::new();
        #(#pushes)*
        #BODY::Multipart(parts)
    }}
}

/// Query pairs: required parameters in one `vec![]`, optional ones pushed when set.
pub(super) fn query(op: &Operation) -> TokenStream {
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
pub(super) fn value_ref(p: &Param, positional: bool) -> TokenStream {
    let name = id(&p.ident);
    match (positional, &p.ty, p.required) {
        (true, Ty::String | Ty::Named(_), _) => quote!(#name),
        (true, _, _) => quote!(&#name),
        (false, _, true) => quote!(&params.#name),
        (false, _, false) => quote!(params.#name.as_deref()),
    }
}

/// `value` (a reference) as `&str`.
pub(super) fn as_str(ty: &Ty, value: TokenStream) -> TokenStream {
    match ty {
        Ty::String => value,
        Ty::Named(_) => quote!((#value).as_str()),
        _ => quote!(&(#value).to_string()),
    }
}

/// `value` (a place or a reference) as an owned `String`.
pub(super) fn owned_string(ty: &Ty, value: TokenStream) -> TokenStream {
    match ty {
        Ty::Named(_) => quote!(#value.as_str().to_owned()),
        Ty::String => quote!(#value.clone()),
        _ => quote!(#value.to_string()),
    }
}
