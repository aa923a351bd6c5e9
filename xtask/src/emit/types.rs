//! Emits the model's types: structs, string enums (open ones keep unknown values), unions decoded in one
//! step by their discriminator, and aliases.

use super::{docs, id, type_path};
use crate::ir::{Field, Ty, TypeDef, TypeKind, Union};
use proc_macro2::TokenStream;
use quote::quote;

/// The Rust type for `ty`. Timestamps are `OffsetDateTime` where a serde `with` attribute can reach
/// them (a field or its `Option`), and RFC 3339 strings inside collections.
pub fn rust_type(ty: &Ty, nested: bool) -> TokenStream {
    match ty {
        Ty::String => quote!(::std::string::String),
        Ty::DateTime if nested => quote!(::std::string::String),
        Ty::DateTime => quote!(::time::OffsetDateTime),
        Ty::Integer => quote!(i64),
        Ty::Number => quote!(f64),
        Ty::Boolean => quote!(bool),
        Ty::Null => quote!(()),
        Ty::Json => quote!(::serde_json::Value),
        Ty::Array(item) => {
            let item = rust_type(item, true);
            quote!(::std::vec::Vec<#item>)
        }
        Ty::Map(value) => {
            let value = rust_type(value, true);
            quote!(::std::collections::BTreeMap<::std::string::String, #value>)
        }
        Ty::Named(path) => type_path(path),
    }
}

pub fn type_def(def: &TypeDef) -> TokenStream {
    let mut doc = doc_text(def.doc.as_deref(), def.deprecated);
    if let TypeKind::Union(union) = &def.kind {
        let told_apart = format!(
            "Decided by `{}`; a value this version does not know is kept in `Unknown`.",
            union.tag
        );
        doc = if doc.trim().is_empty() {
            format!("One of {} shapes. {told_apart}", union.variants.len())
        } else {
            format!("{doc}\n\n{told_apart}")
        };
    }
    let doc = docs::outer(&doc);
    let name = id(&def.path.name);
    match &def.kind {
        TypeKind::Struct { fields } => {
            let fields = fields.iter().map(field);
            quote! {
                #doc
                #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
                pub struct #name { #(#fields)* }
            }
        }
        TypeKind::StringEnum { values, open } => {
            let idents: Vec<_> = values.iter().map(|v| id(&v.ident)).collect();
            let wires: Vec<_> = values.iter().map(|v| v.wire.as_str()).collect();
            let value_docs: Vec<_> = values.iter().map(|v| format!(" `{}`", v.wire)).collect();
            if *open {
                quote! {
                    #doc
                    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
                    pub enum #name {
                        #(#[doc = #value_docs] #idents,)*
                        /// A value this version of the SDK does not know, kept as sent.
                        Unknown(::std::string::String),
                    }
                    impl #name {
                        /// The value as it appears on the wire.
                        pub fn as_str(&self) -> &str {
                            match self { #(Self::#idents => #wires,)* Self::Unknown(value) => value }
                        }
                    }
                    impl ::std::fmt::Display for #name {
                        fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { f.write_str(self.as_str()) }
                    }
                    impl ::serde::Serialize for #name {
                        fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                            serializer.serialize_str(self.as_str())
                        }
                    }
                    impl<'de> ::serde::Deserialize<'de> for #name {
                        fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                            let value = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                            Ok(match value.as_str() { #(#wires => Self::#idents,)* _ => Self::Unknown(value) })
                        }
                    }
                }
            } else {
                quote! {
                    #doc
                    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
                    pub enum #name { #(#[doc = #value_docs] #[serde(rename = #wires)] #idents,)* }
                    impl #name {
                        /// The value as it appears on the wire.
                        pub fn as_str(&self) -> &'static str { match self { #(Self::#idents => #wires,)* } }
                    }
                    impl ::std::fmt::Display for #name {
                        fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { f.write_str(self.as_str()) }
                    }
                }
            }
        }
        TypeKind::Union(union) => union_def(&doc, &def.path.name, union),
        TypeKind::Alias(ty) => {
            let ty = rust_type(ty, true);
            quote! { #doc pub type #name = #ty; }
        }
    }
}

/// The spec's description, with a note when the spec marks the item deprecated (a note rather than
/// `#[deprecated]`, which would warn inside this crate's own serde derives).
fn doc_text(description: Option<&str>, deprecated: bool) -> String {
    let description = description.unwrap_or_default();
    match (description.is_empty(), deprecated) {
        (_, false) => description.to_owned(),
        (true, true) => "Deprecated.".to_owned(),
        (false, true) => format!("{description}\n\nDeprecated."),
    }
}

fn field(f: &Field) -> TokenStream {
    let doc = doc_text(f.doc.as_deref(), f.deprecated);
    let doc = docs::outer(&doc);
    let name = id(&f.ident);
    let base = rust_type(&f.ty, false);
    let ty = if f.optional() {
        quote!(::std::option::Option<#base>)
    } else {
        base
    };
    let mut serde = Vec::new();
    if f.ident != f.wire {
        let wire = &f.wire;
        serde.push(quote!(rename = #wire));
    }
    if !f.required {
        serde.push(quote!(
            default,
            skip_serializing_if = "::std::option::Option::is_none"
        ));
    }
    if f.ty == Ty::DateTime {
        serde.push(if f.optional() {
            quote!(with = "::time::serde::rfc3339::option")
        } else {
            quote!(with = "::time::serde::rfc3339")
        });
    }
    let serde = (!serde.is_empty()).then(|| quote!(#[serde(#(#serde),*)]));
    quote! { #doc #serde pub #name: #ty, }
}

fn union_def(doc: &TokenStream, name: &str, union: &Union) -> TokenStream {
    let ty_name = id(name);
    let tag = &union.tag;
    let variants = union.variants.iter().map(|v| {
        let ident = id(&v.ident);
        let ty = rust_type(&v.ty, true);
        let tags = v
            .tags
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let doc = docs::outer(&format!(
            "`{tag}`: {tags}.{}",
            v.doc
                .as_deref()
                .map(|d| format!("\n\n{d}"))
                .unwrap_or_default()
        ));
        quote! { #doc #ident(#ty), }
    });
    let arms = union.variants.iter().map(|v| {
        let ident = id(&v.ident);
        let variant_name = &v.ident;
        let tags = &v.tags;
        quote! {
            ::std::option::Option::Some(#(#tags)|*) => crate::runtime::decode_variant(value, #name, #variant_name).map(Self::#ident),
        }
    });
    let ser_arms = union.variants.iter().map(|v| {
        let ident = id(&v.ident);
        quote! { Self::#ident(inner) => ::serde::Serialize::serialize(inner, serializer), }
    });
    let unknown_doc = format!(" A `{tag}` this version of the SDK does not know (or a value that is not an object), kept as raw JSON.");
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq)]
        pub enum #ty_name {
            #(#variants)*
            #[doc = #unknown_doc]
            Unknown(::serde_json::Value),
        }
        impl<'de> ::serde::Deserialize<'de> for #ty_name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                match crate::runtime::union_tag(&value, #tag) {
                    #(#arms)*
                    _ => Ok(Self::Unknown(value)),
                }
            }
        }
        impl ::serde::Serialize for #ty_name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    #(#ser_arms)*
                    Self::Unknown(raw) => ::serde::Serialize::serialize(raw, serializer),
                }
            }
        }
    }
}
