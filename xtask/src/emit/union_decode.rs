//! The `Deserialize` body of a union told apart by a tag or by which property is present: the runtime's
//! `decode_union` with the union's rule and one arm per variant. The runtime tries the variant the previous
//! value was while noting the deciding keys, and falls back to reading them first (see its `union` module).

use super::id;
use super::runtime::{DECODE_UNION, GUESS, UNION_RULE};
use crate::ir::{Rule, Selector, Union, Variant};
use proc_macro2::TokenStream;
use quote::quote;

/// The body of `deserialize` for union `name` (`Rule::Tag` or `Rule::Presence`). An `open` union keeps what
/// no variant takes in `Unknown`; a closed one fails with `no variant of <name> matches`.
pub fn by_text(name: &str, union: &Union, open: bool) -> TokenStream {
    let rule = match &union.rule {
        Rule::Tag(tag) => {
            // A variant no tag value stands for (its member is broken in the spec) is never chosen by tag.
            let arms = union
                .variants
                .iter()
                .enumerate()
                .filter_map(|(i, v)| match &v.selector {
                    Selector::Tag(tags) if !tags.is_empty() => {
                        Some(quote!(#(#tags)|* => Some(#i),))
                    }
                    _ => None,
                });
            quote!(#UNION_RULE::Tag(#tag, |tag| match tag { #(#arms)* _ => None }))
        }
        _ => {
            let markers = union.variants.iter().filter_map(|v| match &v.selector {
                Selector::Present(property) => Some(property.as_str()),
                _ => None,
            });
            quote!(#UNION_RULE::Markers(&[#(#markers),*]))
        }
    };
    let arms = union.variants.iter().enumerate().map(|(i, v)| {
        let variant_name = &v.ident;
        let wrap = wrap(v);
        quote!(Some(#i) => input.variant(#name, #variant_name).map(#wrap),)
    });
    let unknown = if open {
        quote!(input.unknown().map(Self::Unknown))
    } else {
        let message = format!("no variant of {name} matches");
        quote!(Err(::serde::de::Error::custom(#message)))
    };
    quote! {
        static GUESS: #GUESS = #GUESS::new();
        #DECODE_UNION(deserializer, &GUESS, #rule, |input, choice| match choice {
            #(#arms)*
            _ => #unknown,
        })
    }
}

/// What makes the union's value of a decoded variant `v`: `Self::Variant`, boxed where the variant is.
pub fn wrap(v: &Variant) -> TokenStream {
    let ident = id(&v.ident);
    if v.boxed {
        quote!(|inner| Self::#ident(Box::new(inner)))
    } else {
        quote!(Self::#ident)
    }
}
