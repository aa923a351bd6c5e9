//! Constructors for the unions calls send: one per way of choosing a variant, so a request value is built
//! by naming what it is (`ListsItemInput::ip("10.0.0.1")`) with only what that variant requires. The name is
//! the discriminator value that selects the variant (`a`, `cname`), else the property whose presence selects
//! it (`ip`), else the variant's own name; a tag the variant carries is filled in, and its optional
//! properties start empty.

use super::id;
use super::types::rust_type;
use crate::ident::{ident, Case, Scope};
use crate::ir::{Api, Field, Rule, Selector, Ty, TypeDef, TypeKind, Union, Variant};
use proc_macro2::TokenStream;
use quote::quote;

/// More required properties than this and the constructor takes the variant's struct instead: a longer
/// argument list reads worse than a struct literal (and is what clippy's `too_many_arguments` rejects).
const MAX_ARGS: usize = 6;

/// Methods of std traits that clippy's `should_implement_trait` wants implemented, not written inherent.
const TRAIT_METHODS: &[&str] = &[
    "add",
    "as_mut",
    "as_ref",
    "bitand",
    "bitor",
    "bitxor",
    "borrow",
    "borrow_mut",
    "clone",
    "cmp",
    "default",
    "deref",
    "deref_mut",
    "div",
    "drop",
    "eq",
    "from_iter",
    "from_str",
    "hash",
    "index",
    "index_mut",
    "into_iter",
    "mul",
    "neg",
    "next",
    "not",
    "rem",
    "shl",
    "shr",
    "sub",
];

/// `impl Union { pub fn …(…) -> Self }` for a union that calls send; nothing for other types.
pub fn union_constructors(def: &TypeDef, api: &Api) -> TokenStream {
    let TypeKind::Union(union) = &def.kind else {
        return TokenStream::new();
    };
    if !def.sent || def.copy_of.is_some() {
        return TokenStream::new();
    }
    // Names clippy expects to be trait methods, and the type's own name (`self_named_constructors`).
    let own = ident(&def.path.name, Case::Snake);
    let mut reserved = TRAIT_METHODS.to_vec();
    reserved.push(&own);
    let mut names = Scope::with_reserved(&reserved);
    let mut fns = Vec::new();
    for variant in &union.variants {
        let tags: Vec<Option<&str>> = match &variant.selector {
            Selector::Tag(values) if !values.is_empty() => {
                values.iter().map(|t| Some(t.as_str())).collect()
            }
            _ => vec![None],
        };
        let present = match &variant.selector {
            Selector::Present(property) => Some(property.as_str()),
            _ => None,
        };
        for tag in tags {
            let chosen_by = tag.or(present).unwrap_or(&variant.ident);
            let name = names.claim(&ident(chosen_by, Case::Snake), Case::Snake);
            fns.push(constructor(&name, def, union, variant, tag, api));
        }
    }
    let name = id(&def.path.name);
    quote! {
        impl #name { #(#fns)* }
    }
}

fn constructor(
    name: &str,
    def: &TypeDef,
    union: &Union,
    variant: &Variant,
    tag: Option<&str>,
    api: &Api,
) -> TokenStream {
    let here = def.path.module.as_slice();
    let fn_name = id(name);
    let ident = id(&variant.ident);
    let wrap = |value: TokenStream| {
        if variant.boxed {
            quote!(Self::#ident(Box::new(#value)))
        } else {
            quote!(Self::#ident(#value))
        }
    };
    let ty = rust_type(&variant.ty, true, here);
    let struct_fields = match &variant.ty {
        Ty::Named(path) => match api.find(path).map(|d| &d.kind) {
            Some(TypeKind::Struct { fields, extra }) => Some((fields, extra.is_some())),
            _ => None,
        },
        _ => None,
    };
    let tag_property = match &union.rule {
        Rule::Tag(property) => Some(property.as_str()),
        _ => None,
    };
    let what = variant_described(variant, tag, tag_property);
    let Some((fields, has_extra)) = struct_fields else {
        let doc = format!(" The {what}, from its value.");
        let body = wrap(quote!(value.into()));
        return quote! {
            #[doc = #doc]
            pub fn #fn_name(value: impl Into<#ty>) -> Self { #body }
        };
    };
    let tag_fill = |f: &Field| match (tag, tag_property) {
        (Some(tag), Some(property)) if f.wire == property => tag_value(&f.ty, tag, here, api),
        _ => None,
    };
    let filled = |f: &Field| tag_fill(f).is_some();
    let args: Vec<&Field> = fields
        .iter()
        .filter(|f| !f.optional() && !filled(f))
        .collect();
    if args.len() > MAX_ARGS {
        let doc = format!(" The {what}, from its properties.");
        let body = wrap(quote!(value));
        return quote! {
            #[doc = #doc]
            pub fn #fn_name(value: #ty) -> Self { #body }
        };
    }
    let params = args.iter().map(|f| {
        let name = id(&f.ident);
        let ty = rust_type(&f.ty, false, here);
        quote!(#name: impl Into<#ty>)
    });
    let inits = fields.iter().map(|f| field_init(f, tag_fill(f)));
    let extra = has_extra.then(|| quote!(extra: ::std::collections::BTreeMap::new(),));
    let required: Vec<String> = args.iter().map(|f| format!("`{}`", f.wire)).collect();
    let doc = if required.is_empty() {
        format!(" The {what}; its other properties are empty.")
    } else {
        format!(
            " The {what}, from {}; its other properties are empty.",
            required.join(", ")
        )
    };
    let body = wrap(quote!(#ty { #(#inits)* #extra }));
    quote! {
        #[doc = #doc]
        pub fn #fn_name(#(#params),*) -> Self { #body }
    }
}

/// How a constructor's doc names the variant: by its tag value, by the property only it has, or by name.
fn variant_described(variant: &Variant, tag: Option<&str>, tag_property: Option<&str>) -> String {
    match tag {
        Some(tag) => format!(
            "variant whose `{}` is `{tag}`",
            tag_property.unwrap_or_default()
        ),
        None => match &variant.selector {
            Selector::Present(property) => format!("variant with `{property}`"),
            _ => format!("`{}` variant", variant.ident),
        },
    }
}

/// A field in the constructor's struct literal: the tag's value when it is the tag, the argument of its
/// name when required, else empty.
fn field_init(f: &Field, tag_value: Option<TokenStream>) -> TokenStream {
    let name = id(&f.ident);
    let value = if let Some(value) = tag_value {
        value
    } else if f.optional() {
        return quote!(#name: None,);
    } else {
        quote!(#name.into())
    };
    let value = if f.boxed {
        quote!(Box::new(#value))
    } else {
        value
    };
    if f.optional() {
        quote!(#name: Some(#value),)
    } else {
        quote!(#name: #value,)
    }
}

/// The tag property's value `tag`: the string enum's value of that name, or the text itself for a string;
/// `None` for a property of another type, which the caller then passes.
fn tag_value(ty: &Ty, tag: &str, here: &[String], api: &Api) -> Option<TokenStream> {
    match ty {
        Ty::String => Some(quote!(#tag.to_owned())),
        Ty::Named(path) => match api.find(path).map(|d| &d.kind) {
            Some(TypeKind::StringEnum { values, .. }) => {
                let value = id(&values.iter().find(|v| v.wire == tag)?.ident);
                let ty = rust_type(ty, false, here);
                Some(quote!(#ty::#value))
            }
            _ => None,
        },
        _ => None,
    }
}
