//! How users build generated structs (types, params, multipart forms) so that the spec can grow without
//! breaking them: every struct is `#[non_exhaustive]` (no struct literals, no exhaustive patterns), and is
//! built with `new(required fields..)` plus one chained `with_<field>(..)` per optional field. A new optional
//! field adds a setter and leaves `new` as it was.

use super::id;
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::BTreeSet;

/// One field as the constructors see it.
pub struct Member {
    /// The Rust field name (`type_`, `r#match`...).
    pub ident: String,
    /// The field's type without the `Option` of an optional field.
    pub ty: TokenStream,
    /// An `Option` that `new` leaves `None` and a setter fills.
    pub optional: bool,
    /// The setter writes a field the spec marks deprecated: the setter is deprecated too.
    pub deprecated: bool,
}

/// `impl Name { pub fn new(..) -> Self; pub fn with_x(self, ..) -> Self; .. }`. `rest` initialises fields
/// that are not members (`extra: Default::default()`). Values go in as `impl Into<T>`, so `&str`, `&String`
/// and integer literals for numbers all work without conversions at the call site.
pub fn constructors(name: &str, members: &[Member], rest: TokenStream) -> TokenStream {
    let ty_name = id(name);
    let required: Vec<&Member> = members.iter().filter(|m| !m.optional).collect();
    let args = required.iter().map(|m| {
        let field = id(&m.ident);
        let ty = &m.ty;
        quote!(#field: impl Into<#ty>)
    });
    let inits = members.iter().map(|m| {
        let field = id(&m.ident);
        if m.optional {
            quote!(#field: None,)
        } else {
            quote!(#field: #field.into(),)
        }
    });
    let setter_names = setter_names(members);
    let setters = members
        .iter()
        .filter(|m| m.optional)
        .zip(setter_names)
        .map(|(m, setter)| {
            let field = id(&m.ident);
            let setter = id(&setter);
            let ty = &m.ty;
            let setter_doc = format!(" Sets `{}`.", m.ident.trim_start_matches("r#"));
            let deprecated = m
                .deprecated
                .then(|| quote!(#[deprecated(note = "deprecated by the API")]));
            // A property that only allows `null` is `Option<()>`: its setter passes `()` on.
            let unit = (ty.to_string() == "()").then(|| quote!(#[allow(clippy::unit_arg)]));
            quote! {
                #[doc = #setter_doc]
                #deprecated
                #unit
                #[must_use]
                pub fn #setter(mut self, value: impl Into<#ty>) -> Self {
                    self.#field = Some(value.into());
                    self
                }
            }
        });
    let new_doc = if required.is_empty() {
        " Every field starts unset; the `with_` methods set them.".to_owned()
    } else {
        let names = required
            .iter()
            .map(|m| format!("`{}`", m.ident.trim_start_matches("r#")))
            .collect::<Vec<_>>()
            .join(", ");
        format!(" Takes the required fields ({names}); the `with_` methods set the others.")
    };
    // Clippy's limit on arguments; the spec decides how many fields are required.
    let many = (required.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    quote! {
        impl #ty_name {
            #[doc = #new_doc]
            #many
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits)* #rest }
            }
            #(#setters)*
        }
    }
}

/// `with_<field>` for each optional member, with a keyword's trailing `_` or `r#` dropped (`with_type`) unless
/// that would give two members one setter.
fn setter_names(members: &[Member]) -> Vec<String> {
    let optional: Vec<&str> = members
        .iter()
        .filter(|m| m.optional)
        .map(|m| m.ident.as_str())
        .collect();
    setter_names_of(&optional)
}

/// The setters of fields `optional` (their Rust idents, in field order), as [`constructors`] names them: for
/// code that calls the setters (the per-operation tests) without building [`Member`]s.
pub(crate) fn setter_names_of(optional: &[&str]) -> Vec<String> {
    let short = |ident: &str| {
        ident
            .trim_start_matches("r#")
            .trim_end_matches('_')
            .to_owned()
    };
    let mut seen = BTreeSet::new();
    let clashing: BTreeSet<String> = optional
        .iter()
        .map(|ident| short(ident))
        .filter(|s| !seen.insert(s.clone()))
        .collect();
    optional
        .iter()
        .map(|ident| {
            let s = short(ident);
            if clashing.contains(&s) || s.is_empty() {
                format!("with_{}", ident.trim_start_matches("r#"))
            } else {
                format!("with_{s}")
            }
        })
        .collect()
}
