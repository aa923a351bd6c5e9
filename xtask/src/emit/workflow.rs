//! Long-running work on top of calls: the streaming form of a paged list call, `wait()` on a call that
//! reports an operation's state, and the handle a call that starts such an operation returns (mirrors
//! `lower::workflow`).

use super::resource::{call_args, has_params};
use super::runtime::{
    PAGE_NUMBER, PAGINATE_CURSOR, PAGINATE_PAGES, POLL_STATE, POLL_UNTIL, TOTALS, UNION_TAG,
};
use super::types::rust_type;
use super::{id, type_path};
use crate::ir::{
    Api, Operation, PagingConvention, Resource, Response, Step, Ty, TypeKind, TypePath, Waiter,
};
use proc_macro2::TokenStream;
use quote::quote;

/// A call that starts a long-running operation returns the waiter's handle, built from the call's
/// result (the operation's id) and the scope parameters the waiter needs.
pub(super) fn started_call(
    op: &Operation,
    started: &crate::ir::Started,
    waiter_op: &Operation,
    request: TokenStream,
) -> (TokenStream, TokenStream) {
    let handle = type_path(
        &TypePath {
            module: waiter_op.resource.clone(),
            name: started.handle.clone(),
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
    (
        quote!(crate::Call<#handle>),
        quote! {
            let client = self.client.clone();
            #scope
            #request.and_then(move |result| Ok(#handle::new(client, #take_id #pass_params)))
        },
    )
}

/// The streaming form of a list call: every item, page by page, as a `Stream`.
pub(super) fn paging_call(
    op: &Operation,
    paging: &crate::ir::Paging,
    doc: &TokenStream,
    args: &[TokenStream],
) -> TokenStream {
    let name = id(&op.fn_name);
    let page_fn = id(&paging.page_fn);
    let item = rust_type(&paging.item, true, &op.resource);
    let own_positional = op.positional.iter().map(|p| {
        let arg = id(&p.ident);
        quote!(let #arg = ToOwned::to_owned(#arg);)
    });
    let pass_positional = op.positional.iter().map(|p| {
        let arg = id(&p.ident);
        quote!(&#arg,)
    });
    let walk = Walk {
        spec_id: &op.spec_id,
        fetch_page: quote!(this.#page_fn(#(#pass_positional)* &params)),
        items: page_items(paging),
    };
    let (walk, how) = match &paging.convention {
        PagingConvention::Cursor { param, next } => walk.by_cursor(op, *param, next),
        PagingConvention::Pages {
            param,
            first,
            total_pages,
            total_count,
        } => walk.by_page(&op.params[*param], *first, total_pages, total_count),
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

/// A page's items, taken out of the page (`page` in the stream's closures).
fn page_items(paging: &crate::ir::Paging) -> TokenStream {
    match (&paging.items, paging.page_optional) {
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
    }
}

/// What both paging conventions' streams are built from: the call's id, the expression that fetches one
/// page with `params`, and the page's items.
struct Walk<'a> {
    spec_id: &'a str,
    fetch_page: TokenStream,
    items: TokenStream,
}

impl Walk<'_> {
    /// The stream that follows the cursor at `next`, set into the `param`th parameter; and how it ends.
    fn by_cursor(self, op: &Operation, param: usize, next: &[Step]) -> (TokenStream, &'static str) {
        let Walk {
            spec_id,
            fetch_page,
            items,
        } = self;
        let cursor = id(&op.params[param].ident);
        let next = found(next, quote!(.cloned()));
        (
            quote! {
                #PAGINATE_CURSOR(
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

    /// The stream that counts pages in `page` from `first` (or the page in `params`) and stops on the
    /// envelope's totals; and how it ends.
    fn by_page(
        self,
        page: &crate::ir::Param,
        first: u64,
        total_pages: &Option<Vec<Step>>,
        total_count: &Option<Vec<Step>>,
    ) -> (TokenStream, &'static str) {
        let Walk {
            spec_id,
            fetch_page,
            items,
        } = self;
        let field = id(&page.ident);
        let (first_given, set) = if page.required {
            (
                quote!(#PAGE_NUMBER::to_count(params.#field)),
                quote!(#PAGE_NUMBER::from_page(page)),
            )
        } else {
            (
                quote!(params.#field.and_then(#PAGE_NUMBER::to_count)),
                quote!(Some(#PAGE_NUMBER::from_page(page))),
            )
        };
        let total = |steps: &Option<Vec<Step>>| match steps {
            Some(steps) => {
                let value = found(steps, quote!(.copied()));
                quote!(#value.and_then(#PAGE_NUMBER::to_count))
            }
            None => quote!(None),
        };
        let (total_pages, total_count) = (total(total_pages), total(total_count));
        (
            quote! {
                let first = #first_given.unwrap_or(#first);
                #PAGINATE_PAGES(
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
                        let totals = #TOTALS {
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
}

/// The value at the end of `steps` from `page`, as an `Option`, taken out by `take` (`.cloned()`,
/// `.copied()`) without moving it out of the page.
pub(super) fn found(steps: &[Step], take: TokenStream) -> TokenStream {
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
pub(super) fn wait_calls(op: &Operation, waiter: &Waiter, api: &Api) -> TokenStream {
    let get = id(&op.fn_name);
    let spec_id = &op.spec_id;
    let (done, classify) = classify_fn(op, waiter, result_union(op, api), api);
    let (args, _) = call_args(op);
    let params_arg = has_params(op).then(|| quote!(params,));
    let id_arg = id(&waiter.id_arg);
    let id_text = quote!(#id_arg);
    quote! {
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
            #POLL_UNTIL(#spec_id, #id_text, options, &self.client, || self.#get(#id_arg, #params_arg), classify).await
        }
    }
}

/// The union a waiter's call returns: lowering accepts `x-sdk-waiter` only on a call whose enveloped result
/// is a union decided by a tag (`lower::workflow::waiter`), so a well-formed model always has it.
pub(super) fn result_union<'a>(op: &Operation, api: &'a Api) -> &'a crate::ir::Union {
    let union = match &op.response {
        Response::Enveloped(Ty::Named(path)) => api.find(path).map(|t| &t.kind),
        _ => None,
    };
    match union {
        Some(TypeKind::Union(union)) => union,
        _ => panic!(
            "{}: a waiter's call returns a union (checked in lowering)",
            op.origin
        ),
    }
}

/// The function that sorts a polled result into pending / succeeded (with what `wait` returns) / failed.
pub(super) fn classify_fn(
    op: &Operation,
    waiter: &Waiter,
    union: &crate::ir::Union,
    api: &Api,
) -> (TokenStream, TokenStream) {
    let union_ty = id(&op.response_type);
    let tag = &waiter.tag;
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
    let field_of = |variant: &crate::ir::Variant, ident: &str| field_optional(api, variant, ident);
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
                quote!(#union_ty::#ident(inner) => #POLL_STATE::Succeeded(inner),)
            } else {
                quote!(value @ #union_ty::#ident(_) => #POLL_STATE::Succeeded(value),)
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
            quote!(#union_ty::#ident(inner) => #POLL_STATE::Failed { status: #status, message: #message },)
        } else {
            quote!(#union_ty::#ident(inner) => #POLL_STATE::Pending { status: #status },)
        }
    });
    let classify = quote! {
        fn classify(value: #union_ty) -> #POLL_STATE<#done> {
            match value {
                #(#arms)*
                #union_ty::Unknown(raw) => #POLL_STATE::Pending {
                    status: #UNION_TAG(&raw, #tag).unwrap_or("unknown").to_owned(),
                },
            }
        }
    };
    (done, classify)
}

/// Whether the field `ident` of `variant`'s struct is optional; `None` when the variant has no such field.
fn field_optional(api: &Api, variant: &crate::ir::Variant, ident: &str) -> Option<bool> {
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
}

/// The handle a started operation is returned as: its id, and `wait()`.
pub fn waiter_handle(
    op: &Operation,
    waiter: &Waiter,
    api: &Api,
    resource: &Resource,
) -> TokenStream {
    let handle = id(&waiter.handle);
    let resource_handle = id(&resource.handle);
    let (done, _) = classify_fn(op, waiter, result_union(op, api), api);
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
    quote! {
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
    }
}
