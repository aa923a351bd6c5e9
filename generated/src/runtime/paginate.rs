//! Cursor pagination as a stream of items: one page in memory at a time, fetched only when the items before it
//! have been taken.

use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::hash::BuildHasher;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::stream::{FusedStream, Stream};

use super::call::Call;
use super::error::{Error, Result};

/// A page's items and the cursor of the next page.
type Page<T> = (Vec<T>, Option<String>);
type PageFuture<T> = Pin<Box<dyn Future<Output = Result<Page<T>>> + Send>>;
type Fetch<T> = Box<dyn FnMut(Option<String>) -> PageFuture<T> + Send>;

/// The items of a paginated listing, page after page, as a `Stream` of `Result<T>`. Nothing is fetched until
/// the stream is first polled; dropping it stops everything. After an error the stream ends.
///
/// Memory stays bounded by one page: cursors already followed are remembered as 128-bit hashes (16 bytes a page,
/// whatever the cursor's length), and [`Paginator::max_pages`] caps how many pages are fetched. The paginator
/// owns a clone of the client, so it is `'static` and `Send`: it can be returned from a function or spawned.
#[must_use = "a Paginator fetches nothing until polled"]
pub struct Paginator<T> {
    operation: &'static str,
    fetch: Fetch<T>,
    state: State<T>,
    /// A fixed-size hash of every cursor a page returned, to notice a server that leads back to a page already
    /// read.
    seen: HashSet<u128>,
    /// Two independently keyed hashers, for 128 bits.
    hashers: (RandomState, RandomState),
    pages: usize,
    max_pages: Option<usize>,
    stopped_at_max: bool,
}

enum State<T> {
    NotStarted,
    Fetching(PageFuture<T>),
    Yielding {
        items: std::vec::IntoIter<T>,
        then: Then,
    },
    Done,
}

/// What comes once a page's items are all yielded.
enum Then {
    Fetch(String),
    Fail(Error),
    End,
}

/// Pages through a cursor-paginated operation: `fetch(None)` first, then `fetch(Some(cursor))` with the cursor
/// each page returned (`split` takes a page apart into items and cursor), until a page returns no cursor or "".
#[allow(dead_code)] // only specs with cursor-paginated operations call it
pub(crate) fn paginate_cursor<P, T, F>(
    operation: &'static str,
    mut fetch: F,
    split: fn(P) -> (Vec<T>, Option<String>),
) -> Paginator<T>
where
    F: FnMut(Option<String>) -> Call<P> + Send + 'static,
    P: Send + 'static,
    T: Send + 'static,
{
    Paginator::new(
        operation,
        Box::new(move |cursor| {
            let call = fetch(cursor).into_future();
            Box::pin(async move { call.await.map(split) })
        }),
    )
}

impl<T> Paginator<T> {
    fn new(operation: &'static str, fetch: Fetch<T>) -> Self {
        Self {
            operation,
            fetch,
            state: State::NotStarted,
            seen: HashSet::new(),
            hashers: (RandomState::new(), RandomState::new()),
            pages: 0,
            max_pages: None,
            stopped_at_max: false,
        }
    }

    /// Fetches at most `pages` pages: the stream ends after the items of the last of them, even if the server
    /// offers more ([`Paginator::stopped_at_max_pages`] then says so). 0 fetches nothing. Default: no limit.
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = Some(pages);
        self
    }

    /// How many pages have been received so far.
    pub fn pages_fetched(&self) -> usize {
        self.pages
    }

    /// Whether the stream ended (or will end once the current page's items are taken) because of
    /// [`Paginator::max_pages`] while the server had another page.
    pub fn stopped_at_max_pages(&self) -> bool {
        self.stopped_at_max
    }

    fn hash(&self, cursor: &str) -> u128 {
        let (high, low) = &self.hashers;
        (u128::from(high.hash_one(cursor)) << 64) | u128::from(low.hash_one(cursor))
    }

    fn at_max_pages(&self) -> bool {
        self.max_pages.is_some_and(|max| self.pages >= max)
    }

    /// What follows the page that returned `cursor`.
    fn after_page(&mut self, cursor: Option<String>) -> Then {
        let Some(cursor) = cursor.filter(|cursor| !cursor.is_empty()) else {
            return Then::End;
        };
        if !self.seen.insert(self.hash(&cursor)) {
            return Then::Fail(Error::RepeatedCursor {
                operation: self.operation,
                cursor,
                pages: self.pages,
            });
        }
        if self.at_max_pages() {
            self.stopped_at_max = true;
            return Then::End;
        }
        Then::Fetch(cursor)
    }
}

impl<T> Stream for Paginator<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::NotStarted => {
                    if this.max_pages == Some(0) {
                        this.stopped_at_max = true;
                        this.state = State::Done;
                    } else {
                        this.state = State::Fetching((this.fetch)(None));
                    }
                }
                State::Fetching(page) => match page.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(err)) => {
                        this.state = State::Done;
                        return Poll::Ready(Some(Err(err)));
                    }
                    Poll::Ready(Ok((items, cursor))) => {
                        this.pages += 1;
                        // The page's items are yielded even when its cursor repeats: they are a real answer,
                        // only following the cursor would loop.
                        let then = this.after_page(cursor);
                        this.state = State::Yielding {
                            items: items.into_iter(),
                            then,
                        };
                    }
                },
                State::Yielding { items, then } => {
                    if let Some(item) = items.next() {
                        return Poll::Ready(Some(Ok(item)));
                    }
                    match std::mem::replace(then, Then::End) {
                        Then::Fetch(cursor) => {
                            this.state = State::Fetching((this.fetch)(Some(cursor)));
                        }
                        Then::Fail(err) => {
                            this.state = State::Done;
                            return Poll::Ready(Some(Err(err)));
                        }
                        Then::End => {
                            this.state = State::Done;
                            return Poll::Ready(None);
                        }
                    }
                }
                State::Done => return Poll::Ready(None),
            }
        }
    }
}

impl<T> FusedStream for Paginator<T> {
    fn is_terminated(&self) -> bool {
        matches!(self.state, State::Done)
    }
}

// Nothing is ever pinned in place: the page future is boxed, so moving the paginator is fine whatever `T` is.
impl<T> Unpin for Paginator<T> {}

impl<T> fmt::Debug for Paginator<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::NotStarted => "not started",
            State::Fetching(_) => "fetching",
            State::Yielding { .. } => "yielding",
            State::Done => "done",
        };
        f.debug_struct("Paginator")
            .field("operation", &self.operation)
            .field("pages_fetched", &self.pages)
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::testing::{block_on, next};
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    type Script = VecDeque<Result<Page<u32>>>;
    /// The cursor of every fetch, in order.
    type Fetched = Arc<Mutex<Vec<Option<String>>>>;

    /// A paginator over scripted pages (no network), recording the cursor of every fetch.
    fn scripted(pages: Script) -> (Paginator<u32>, Fetched) {
        let fetched = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&fetched);
        let pages = Arc::new(Mutex::new(pages));
        let paginator = Paginator::new(
            "list-things",
            Box::new(move |cursor| {
                record.lock().unwrap().push(cursor);
                let page = pages
                    .lock()
                    .unwrap()
                    .pop_front()
                    .expect("fetched more pages than scripted");
                Box::pin(async move {
                    // Answer on the second poll, as a real request would after waiting.
                    let mut ready = false;
                    std::future::poll_fn(move |cx| {
                        if ready {
                            Poll::Ready(())
                        } else {
                            ready = true;
                            cx.waker().wake_by_ref();
                            Poll::Pending
                        }
                    })
                    .await;
                    page
                })
            }),
        );
        (paginator, fetched)
    }

    fn page(items: &[u32], cursor: Option<&str>) -> Result<Page<u32>> {
        Ok((items.to_vec(), cursor.map(str::to_owned)))
    }

    fn collect(paginator: &mut Paginator<u32>) -> Vec<Result<u32>> {
        std::iter::from_fn(|| next(paginator)).collect()
    }

    /// The cursors fetched so far, `""` standing for none.
    fn cursors(fetched: &Mutex<Vec<Option<String>>>) -> Vec<String> {
        fetched
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.clone().unwrap_or_default())
            .collect()
    }

    #[test]
    fn yields_items_in_order_across_pages() {
        let (mut paginator, fetched) = scripted(
            [
                page(&[1, 2], Some("b")),
                page(&[], Some("c")),
                page(&[3], Some("d")),
                page(&[4, 5], None),
            ]
            .into(),
        );
        let items: Vec<u32> = collect(&mut paginator)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(items, vec![1, 2, 3, 4, 5]);
        assert_eq!(cursors(&fetched), ["", "b", "c", "d"]);
        assert_eq!(paginator.pages_fetched(), 4);
        assert!(paginator.is_terminated());
        assert!(next(&mut paginator).is_none());
    }

    #[test]
    fn ends_on_empty_cursor() {
        let (mut paginator, fetched) =
            scripted([page(&[1], Some("b")), page(&[2], Some(""))].into());
        let items: Vec<u32> = collect(&mut paginator)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(items, vec![1, 2]);
        assert_eq!(fetched.lock().unwrap().len(), 2);
    }

    #[test]
    fn nothing_is_fetched_before_the_first_poll() {
        let (mut paginator, fetched) =
            scripted([page(&[1, 2], Some("b")), page(&[3], None)].into());
        assert!(fetched.lock().unwrap().is_empty());
        assert!(!paginator.is_terminated());
        assert!(format!("{paginator:?}").contains("not started"));
        // One page in memory at a time: the second page waits until the first one's items are taken.
        assert_eq!(next(&mut paginator).unwrap().unwrap(), 1);
        assert_eq!(next(&mut paginator).unwrap().unwrap(), 2);
        assert_eq!(fetched.lock().unwrap().len(), 1);
        assert_eq!(next(&mut paginator).unwrap().unwrap(), 3);
        assert_eq!(fetched.lock().unwrap().len(), 2);
    }

    #[test]
    fn repeated_cursor_is_an_error_and_ends_the_stream() {
        // A -> B -> A: the third page leads back to the second.
        let (mut paginator, fetched) = scripted(
            [
                page(&[1], Some("A")),
                page(&[2], Some("B")),
                page(&[3], Some("A")),
            ]
            .into(),
        );
        let results = collect(&mut paginator);
        assert_eq!(results.len(), 4, "{results:?}");
        assert_eq!(
            results[..3]
                .iter()
                .map(|r| *r.as_ref().unwrap())
                .collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        match &results[3] {
            Err(Error::RepeatedCursor {
                operation,
                cursor,
                pages,
            }) => {
                assert_eq!(
                    (*operation, cursor.as_str(), *pages),
                    ("list-things", "A", 3)
                );
            }
            other => panic!("expected RepeatedCursor, got {other:?}"),
        }
        assert_eq!(cursors(&fetched), ["", "A", "B"]);
        assert!(next(&mut paginator).is_none());
    }

    #[test]
    fn stream_ends_after_an_error() {
        let (mut paginator, fetched) =
            scripted([page(&[1], Some("b")), Err(Error::Config("boom".to_owned()))].into());
        assert_eq!(next(&mut paginator).unwrap().unwrap(), 1);
        assert!(matches!(next(&mut paginator), Some(Err(Error::Config(_)))));
        assert!(next(&mut paginator).is_none());
        assert!(next(&mut paginator).is_none());
        assert_eq!(fetched.lock().unwrap().len(), 2);
        assert_eq!(paginator.pages_fetched(), 1);
    }

    #[test]
    fn max_pages_stops_after_that_many_pages() {
        let (paginator, fetched) = scripted(
            [
                page(&[1, 2], Some("b")),
                page(&[3], Some("c")),
                page(&[4], None),
            ]
            .into(),
        );
        let mut paginator = paginator.max_pages(2);
        let items: Vec<u32> = collect(&mut paginator)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(items, vec![1, 2, 3]);
        assert_eq!(cursors(&fetched), ["", "b"]);
        assert_eq!(paginator.pages_fetched(), 2);
        assert!(paginator.stopped_at_max_pages());

        // A listing that ends by itself within the limit was not stopped by it.
        let (paginator, _) = scripted([page(&[1], Some("b")), page(&[2], None)].into());
        let mut paginator = paginator.max_pages(2);
        assert_eq!(collect(&mut paginator).len(), 2);
        assert!(!paginator.stopped_at_max_pages());

        let (paginator, fetched) = scripted(VecDeque::new());
        let mut paginator = paginator.max_pages(0);
        assert!(collect(&mut paginator).is_empty());
        assert!(fetched.lock().unwrap().is_empty());
    }

    #[test]
    fn cursors_are_remembered_as_fixed_size_hashes() {
        let long = |tag: char| tag.to_string().repeat(1 << 16);
        let (mut paginator, _) = scripted(
            [
                page(&[1], Some(&long('a'))),
                page(&[2], Some(&long('b'))),
                page(&[3], Some(&long('a'))),
            ]
            .into(),
        );
        let results = collect(&mut paginator);
        assert!(
            matches!(results.last(), Some(Err(Error::RepeatedCursor { cursor, .. })) if *cursor == long('a')),
            "{:?}",
            results.len()
        );
        // 16 bytes a cursor, whatever its length: nothing of the 64 KiB cursors is kept.
        assert_eq!(paginator.seen.len(), 2);
        assert_eq!(
            std::mem::size_of_val(paginator.seen.iter().next().unwrap()),
            16
        );
    }

    #[test]
    fn paginator_over_calls_is_send_and_unpin_and_starts_lazily() {
        fn send_unpin<S: Stream + Send + Unpin>(_: &S) {}
        let client = crate::runtime::Client::builder()
            .api_token("t")
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        let calls = Arc::new(Mutex::new(0));
        let counter = Arc::clone(&calls);
        fn static_stream<S: Stream + 'static>(_: &S) {}
        // The call carries an argument error, so polling it returns at once without the network.
        let mut paginator = paginate_cursor(
            "list-things",
            move |_cursor| {
                *counter.lock().unwrap() += 1;
                client.call(
                    Err(Error::InvalidArgument {
                        parameter: "per_page",
                        reason: "too big".to_owned(),
                    }),
                    crate::runtime::envelope::enveloped::<Vec<u32>>,
                )
            },
            |items: Vec<u32>| (items, None),
        );
        send_unpin(&paginator);
        static_stream(&paginator);
        assert_eq!(*calls.lock().unwrap(), 0);
        assert!(matches!(
            block_on(std::future::poll_fn(
                |cx| Pin::new(&mut paginator).poll_next(cx)
            )),
            Some(Err(Error::InvalidArgument { .. }))
        ));
        assert_eq!(*calls.lock().unwrap(), 1);
        assert!(next(&mut paginator).is_none());
    }
}
