//! Security requirements: one `SECURITY_n` constant per distinct requirement in the crate root, named
//! by the calls that accept it.

use super::id;
use super::runtime::AUTH_SCHEME;
use crate::ir::{Api, AuthScheme};
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::BTreeSet;

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
            let scheme = AUTH_SCHEME.path_in_root();
            let alternatives = security_alternatives(alternatives, &scheme);
            quote! {
                #[doc = #doc]
                #cfg
                const #name: &[&[#scheme]] = #alternatives;
            }
        });
    quote!(#(#consts)*)
}

/// "an API token (`Authorization: Bearer`), or `X-Auth-Email` + `X-Auth-Key`"; `None` without auth.
pub(super) fn security_text(alternatives: &[Vec<AuthScheme>]) -> Option<String> {
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
