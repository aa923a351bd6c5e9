//! The structs a call's caller fills in: its params struct and its multipart form.

use super::constructors::{constructors, Member};
use super::resource::has_params;
use super::types::rust_type;
use super::{docs, id};
use crate::ir::{BodyMedia, Operation, Param, ParamLocation, Ty};
use proc_macro2::TokenStream;
use quote::quote;

/// What the argument is checked against before sending, as sentences for its doc ("" when nothing).
pub(super) fn constraints_doc(p: &Param) -> String {
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
pub(super) fn part_type(part: &crate::ir::FormPart, here: &[String]) -> TokenStream {
    if part.repeated {
        quote!(Vec<Vec<u8>>)
    } else if part.binary {
        quote!(Vec<u8>)
    } else {
        rust_type(&part.ty, true, here)
    }
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
