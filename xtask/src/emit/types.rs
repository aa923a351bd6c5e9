//! Emits the model's types: structs, string enums (open ones keep unknown values), unions decoded in one
//! step by their discriminator, and aliases.

use super::constructors::{constructors, Member};
use super::runtime::{DECODE_VARIANT, STRING_ENUM, UNION_MARKER, UNION_TAG};
use super::{docs, id, type_path};
use crate::ir::{
    EnumValue, Field, JsonKind, Rule, Selector, Ty, TypeDef, TypeKind, TypePath, Union,
};
use proc_macro2::TokenStream;
use quote::quote;

/// The Rust type for `ty`. Timestamps are `OffsetDateTime` where a serde `with` attribute can reach
/// them (a field or its `Option`), and RFC 3339 strings inside collections.
pub fn rust_type(ty: &Ty, nested: bool, here: &[String]) -> TokenStream {
    rust_type_named(ty, nested, &|path| type_path(path, here))
}

/// [`rust_type`], with named types written by `name` (e.g. from outside the crate).
pub fn rust_type_named(
    ty: &Ty,
    nested: bool,
    name: &dyn Fn(&TypePath) -> TokenStream,
) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::DateTime if nested => quote!(String),
        Ty::DateTime => quote!(::time::OffsetDateTime),
        Ty::Integer => quote!(i64),
        Ty::Number => quote!(f64),
        Ty::Boolean => quote!(bool),
        Ty::Null => quote!(()),
        Ty::Json => quote!(::serde_json::Value),
        Ty::Array(item) => {
            let item = rust_type_named(item, true, name);
            quote!(Vec<#item>)
        }
        Ty::Map(value) => {
            let value = rust_type_named(value, true, name);
            quote!(::std::collections::BTreeMap<String, #value>)
        }
        Ty::Nullable(inner) => {
            let inner = rust_type_named(inner, true, name);
            quote!(Option<#inner>)
        }
        Ty::Named(path) => name(path),
    }
}

pub fn type_def(def: &TypeDef) -> TokenStream {
    let doc = docs::outer(&type_doc(def));
    let name = id(&def.path.name);
    let here = def.path.module.as_slice();
    match &def.kind {
        TypeKind::Struct { fields, extra } => struct_def(&doc, def, fields, extra.as_ref()),
        TypeKind::StringEnum { values, open } => string_enum_def(&doc, &name, values, *open),
        TypeKind::Union(union) => union_def(&doc, def, union, !def.buffered),
        TypeKind::Alias(ty) => {
            let ty = rust_type(ty, true, here);
            quote! { #doc pub type #name = #ty; }
        }
    }
}

/// The type's doc: the spec's text, then how a union is told apart and what a copy is a copy of.
fn type_doc(def: &TypeDef) -> String {
    let mut doc = doc_text(def.doc.as_deref(), def.deprecated);
    if let TypeKind::Union(union) = &def.kind {
        let sent_only = def.sent && !def.received;
        let told_apart = match &union.rule {
            _ if sent_only => "Exactly one of these shapes: build it with the constructor named after the one you mean.".to_owned(),
            Rule::Tag(tag) => format!("Decided by `{tag}`; a value this version does not know is kept in `Unknown`."),
            Rule::Presence => "Decided by which one of the variants' properties is present; anything else is kept in `Unknown`.".to_owned(),
            Rule::Kind => "Decided by the kind of JSON value; anything else is kept in `Unknown`.".to_owned(),
        };
        doc = if doc.trim().is_empty() {
            format!("One of {} shapes. {told_apart}", union.variants.len())
        } else {
            format!("{doc}\n\n{told_apart}")
        };
    }
    if let Some(of) = &def.copy_of {
        let same = format!(
            "The same shape as [`crate::{}::{}`], which the document defines again here.",
            of.module.join("::"),
            of.name
        );
        doc = if doc.trim().is_empty() {
            same
        } else {
            format!("{doc}\n\n{same}")
        };
    }
    doc
}

fn struct_def(
    doc: &TokenStream,
    def: &TypeDef,
    fields: &[Field],
    extra: Option<&Ty>,
) -> TokenStream {
    let name = id(&def.path.name);
    let here = def.path.module.as_slice();
    let members: Vec<Member> = fields
        .iter()
        .map(|f| Member {
            ident: f.ident.clone(),
            ty: field_base(f, here),
            optional: f.optional(),
            deprecated: f.deprecated,
        })
        .collect();
    let rest = extra
        .is_some()
        .then(|| quote!(extra: ::std::collections::BTreeMap::new(),));
    let constructors = constructors(&def.path.name, &members, rest.unwrap_or_default());
    let fields = fields.iter().map(|f| field(f, here));
    let extra = extra.map(|ty| {
        let value = rust_type(ty, true, here);
        quote! {
            /// Properties the spec does not list (`additionalProperties`), kept as sent.
            #[serde(flatten)]
            pub extra: ::std::collections::BTreeMap<String, #value>,
        }
    });
    let default = def.defaultable.then(|| quote!(Default,));
    let deprecated = deprecated_attr(def.deprecated);
    let (serde, other_serde) = serde_derives(def);
    quote! {
        #doc
        #[non_exhaustive]
        #deprecated
        #[derive(Debug, Clone, PartialEq, #default #serde)]
        #other_serde
        pub struct #name { #(#fields)* #extra }
        #constructors
    }
}

fn string_enum_def(
    doc: &TokenStream,
    name: &proc_macro2::Ident,
    values: &[EnumValue],
    open: bool,
) -> TokenStream {
    let idents: Vec<_> = values.iter().map(|v| id(&v.ident)).collect();
    let wires: Vec<_> = values.iter().map(|v| v.wire.as_str()).collect();
    let value_docs: Vec<_> = values.iter().map(|v| format!(" `{}`", v.wire)).collect();
    // The impls come from the runtime's `string_enum!`: written once, not once per enum.
    let pairs = quote!(#(#idents = #wires),*);
    if open {
        quote! {
            #doc
            #[non_exhaustive]
            #[derive(Debug, Clone, PartialEq, Eq, Hash)]
            pub enum #name {
                #(#[doc = #value_docs] #idents,)*
                /// A value this version of the SDK does not know, kept as sent.
                Unknown(String),
            }
            #STRING_ENUM!(open #name { #pairs });
        }
    } else {
        quote! {
            #doc
            #[non_exhaustive]
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum #name { #(#[doc = #value_docs] #idents,)* }
            #STRING_ENUM!(closed #name { #pairs });
        }
    }
}

/// The feature that gives every type both `Serialize` and `Deserialize` (for mocks and caches).
const ALL_SERDE: &str = "all-serde";

/// serde's derives for a type: the half its calls need (`Serialize` for what is sent, `Deserialize` for what is
/// received; they are a large share of the crate's compile time), then the other half under `all-serde`.
fn serde_derives(def: &TypeDef) -> (TokenStream, Option<TokenStream>) {
    let both = !def.sent && !def.received;
    let mut derives = Vec::new();
    let mut gated = Vec::new();
    for (needed, derive) in [
        (def.sent, quote!(::serde::Serialize)),
        (def.received, quote!(::serde::Deserialize)),
    ] {
        if needed || both {
            derives.push(derive);
        } else {
            gated.push(derive);
        }
    }
    let gated =
        (!gated.is_empty()).then(|| quote!(#[cfg_attr(feature = #ALL_SERDE, derive(#(#gated),*))]));
    (quote!(#(#derives),*), gated)
}

/// `#[cfg(feature = "all-serde")]` on a hand-written serde impl the type's calls do not need.
fn serde_impl_gate(needed: bool) -> Option<TokenStream> {
    (!needed).then(|| quote!(#[cfg(feature = #ALL_SERDE)]))
}

/// `#[deprecated]` for what the spec marks deprecated, so users' builds point at each use.
pub fn deprecated_attr(deprecated: bool) -> Option<TokenStream> {
    deprecated.then(|| quote!(#[deprecated(note = "deprecated by the API")]))
}

/// The spec's description, with a note when the spec marks the item deprecated.
fn doc_text(description: Option<&str>, deprecated: bool) -> String {
    let description = description.unwrap_or_default();
    match (description.is_empty(), deprecated) {
        (_, false) => description.to_owned(),
        (true, true) => "Deprecated.".to_owned(),
        (false, true) => format!("{description}\n\nDeprecated."),
    }
}

/// A field's type without the `Option` of an optional field.
fn field_base(f: &Field, here: &[String]) -> TokenStream {
    let base = rust_type(&f.ty, false, here);
    if f.boxed {
        quote!(Box<#base>)
    } else {
        base
    }
}

fn field(f: &Field, here: &[String]) -> TokenStream {
    let doc = doc_text(f.doc.as_deref(), f.deprecated);
    let doc = docs::outer(&doc);
    let name = id(&f.ident);
    let base = field_base(f, here);
    let ty = if f.optional() {
        quote!(Option<#base>)
    } else {
        base
    };
    let mut serde = Vec::new();
    if f.flatten {
        serde.push(quote!(flatten));
    } else if f.ident != f.wire {
        let wire = &f.wire;
        serde.push(quote!(rename = #wire));
    }
    if !f.required {
        serde.push(quote!(default, skip_serializing_if = "Option::is_none"));
    }
    if f.ty == Ty::DateTime {
        serde.push(if f.optional() {
            quote!(with = "::time::serde::rfc3339::option")
        } else {
            quote!(with = "::time::serde::rfc3339")
        });
    }
    let serde = (!serde.is_empty()).then(|| quote!(#[serde(#(#serde),*)]));
    let deprecated = deprecated_attr(f.deprecated);
    quote! { #doc #deprecated #serde pub #name: #ty, }
}

/// A union with a hand-rolled `Deserialize`. With `raw_text`, unions decided by a tag or by presence decode
/// from the value's JSON text (`union_decode`); otherwise, and for unions decided by kind, the value is
/// buffered as a `serde_json::Value`.
fn union_def(doc: &TokenStream, def: &TypeDef, union: &Union, raw_text: bool) -> TokenStream {
    let path = &def.path;
    let both = !def.sent && !def.received;
    let (de_gate, ser_gate) = (
        serde_impl_gate(def.received || both),
        serde_impl_gate(def.sent || both),
    );
    let name = path.name.as_str();
    let ty_name = id(name);
    let raw_text = raw_text && union.rule != Rule::Kind;
    let variants = union
        .variants
        .iter()
        .map(|v| variant_decl(union, v, &path.module));
    // A union only calls send has no `Unknown`: a value its constructors cannot build cannot be sent either.
    let open = def.received || both;
    let unknown = match open {
        true => quote!(Ok(Self::Unknown(value))),
        false => {
            let message = format!("no variant of {name} matches");
            quote!(Err(<D::Error as ::serde::de::Error>::custom(#message)))
        }
    };
    let (choose, unknown_doc) = choose_variant(union, name, &unknown);
    let body = if raw_text {
        super::union_decode::by_text(name, union, open)
    } else {
        quote! {
            let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
            #choose
        }
    };
    let ser_arms = union.variants.iter().map(|v| {
        let ident = id(&v.ident);
        quote! { Self::#ident(inner) => ::serde::Serialize::serialize(inner, serializer), }
    });
    let (unknown_variant, unknown_ser) = if open {
        (
            quote! { #[doc = #unknown_doc] Unknown(::serde_json::Value), },
            quote! { Self::Unknown(raw) => ::serde::Serialize::serialize(raw, serializer), },
        )
    } else {
        (TokenStream::new(), TokenStream::new())
    };
    quote! {
        #doc
        #[non_exhaustive]
        #[derive(Debug, Clone, PartialEq)]
        pub enum #ty_name {
            #(#variants)*
            #unknown_variant
        }
        #de_gate
        impl<'de> ::serde::Deserialize<'de> for #ty_name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                #body
            }
        }
        #ser_gate
        impl ::serde::Serialize for #ty_name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(#ser_arms)*
                    #unknown_ser
                }
            }
        }
    }
}

/// A variant of a union's enum, documented with what chooses it.
fn variant_decl(union: &Union, v: &crate::ir::Variant, module: &[String]) -> TokenStream {
    let ident = id(&v.ident);
    let mut ty = rust_type(&v.ty, true, module);
    if v.boxed {
        ty = quote!(Box<#ty>);
    }
    let chosen_by = match (&union.rule, &v.selector) {
        (Rule::Tag(tag), Selector::Tag(values)) => {
            let values = values
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ");
            format!("`{tag}`: {values}.")
        }
        (_, Selector::Present(property)) => format!("`{property}` is present."),
        (_, Selector::Kind(kind)) => format!("A JSON {}.", kind_name(*kind)),
        (_, Selector::Tag(_)) => String::new(),
    };
    let doc = docs::outer(&format!(
        "{chosen_by}{}",
        v.doc
            .as_deref()
            .map(|d| format!("\n\n{d}"))
            .unwrap_or_default()
    ));
    quote! { #doc #ident(#ty), }
}

/// Decoding `value` as variant `v` of the union `name`.
fn decode_variant(name: &str, v: &crate::ir::Variant) -> TokenStream {
    let variant_name = &v.ident;
    let wrap = super::union_decode::wrap(v);
    quote!(#DECODE_VARIANT(value, #name, #variant_name).map(#wrap))
}

/// How the union's `Deserialize` picks a variant from the JSON `value` by the union's rule (`unknown`: what
/// it does when none fits), and the doc of its `Unknown` variant.
fn choose_variant(union: &Union, name: &str, unknown: &TokenStream) -> (TokenStream, String) {
    match &union.rule {
        Rule::Tag(tag) => {
            let arms = union.variants.iter().map(|v| {
                let tags = match &v.selector {
                    Selector::Tag(values) => values.as_slice(),
                    _ => &[],
                };
                let decode = decode_variant(name, v);
                quote!(Some(#(#tags)|*) => #decode,)
            });
            (
                quote! {
                    match #UNION_TAG(&value, #tag) {
                        #(#arms)*
                        _ => #unknown,
                    }
                },
                format!(" A `{tag}` this version of the SDK does not know (or a value that is not an object), kept as raw JSON."),
            )
        }
        Rule::Presence => {
            let markers: Vec<&str> = union
                .variants
                .iter()
                .filter_map(|v| match &v.selector {
                    Selector::Present(property) => Some(property.as_str()),
                    _ => None,
                })
                .collect();
            let arms = union.variants.iter().enumerate().map(|(i, v)| {
                let decode = decode_variant(name, v);
                quote!(Some(#i) => #decode,)
            });
            (
                quote! {
                    match #UNION_MARKER(&value, &[#(#markers),*]) {
                        #(#arms)*
                        _ => #unknown,
                    }
                },
                " Not exactly one of the variants' properties present (or not an object), kept as raw JSON.".to_owned(),
            )
        }
        Rule::Kind => choose_by_kind(union, name, unknown),
    }
}

/// Picks the variant by the JSON kind of the value, integers before other numbers.
fn choose_by_kind(union: &Union, name: &str, unknown: &TokenStream) -> (TokenStream, String) {
    let mut ordered: Vec<&crate::ir::Variant> = union.variants.iter().collect();
    // Integers before other numbers: an integer is both.
    let kind = |v: &crate::ir::Variant| match v.selector {
        Selector::Kind(kind) => Some(kind),
        _ => None,
    };
    ordered.sort_by_key(|v| kind(v));
    let checks = ordered.iter().map(|v| {
        let test = match kind(v) {
            Some(JsonKind::String) => quote!(value.is_string()),
            Some(JsonKind::Integer) => quote!(value.is_i64() || value.is_u64()),
            Some(JsonKind::Number) => quote!(value.is_number()),
            Some(JsonKind::Boolean) => quote!(value.is_boolean()),
            Some(JsonKind::Array) => quote!(value.is_array()),
            Some(JsonKind::Object) => quote!(value.is_object()),
            Some(JsonKind::Null) | None => quote!(value.is_null()),
        };
        let decode = decode_variant(name, v);
        quote!(if #test { return #decode; })
    });
    (
        quote! { #(#checks)* #unknown },
        " A kind of JSON value none of the variants takes, kept as raw JSON.".to_owned(),
    )
}

fn kind_name(kind: JsonKind) -> &'static str {
    match kind {
        JsonKind::String => "string",
        JsonKind::Integer => "integer",
        JsonKind::Number => "number",
        JsonKind::Boolean => "boolean",
        JsonKind::Array => "array",
        JsonKind::Object => "object",
        JsonKind::Null => "null",
    }
}
