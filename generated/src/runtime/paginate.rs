//! Pagination as a stream of items, by cursor or by page number: one page in memory at a time, fetched only
//! when the items before it have been taken.

use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::fmt::{self, Write as _};
use std::future::{Future, IntoFuture};
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::stream::{FusedStream, Stream};

use super::call::Call;
use super::error::{Error, Result};

/// A page's items and what it says about the next page.
type Page<T> = (Vec<T>, After);
type PageFuture<T> = Pin<Box<dyn Future<Output = Result<Page<T>>> + Send>>;
type Fetch<T> = Box<dyn FnMut(Position) -> PageFuture<T> + Send>;

/// Which page a request asks for.
#[derive(Debug, Clone, PartialEq)]
enum Position {
    /// The call's parameters as the caller gave them.
    First,
    /// The page after the one that returned this cursor.
    Cursor(String),
    /// The page with this number.
    Page(u64),
}

/// What a page says about the pages after it.
enum After {
    /// The cursor of the next page; none (or "") on the last one.
    Cursor(Option<String>),
    /// A numbered page: what its envelope says of the whole listing, and a hash of its items, to notice a
    /// server that answers every number with the same page.
    Numbered { totals: Totals, content: u128 },
}

/// What a numbered page's envelope (`result_info`) says of the whole listing, when it says it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Totals {
    /// How many pages there are (`total_pages`).
    pub(crate) total_pages: Option<u64>,
    /// How many items there are (`total_count`).
    pub(crate) total_count: Option<u64>,
}

/// A page number or count as the spec types it (`integer` or `number`), converted both ways.
#[allow(dead_code)] // only specs with operations paged by number use it
pub(crate) trait PageNumber: Copy {
    /// The value that asks for page `page`.
    fn from_page(page: u64) -> Self;
    /// The value as a count, when it is a whole number that is not negative.
    fn to_count(self) -> Option<u64>;
}

impl PageNumber for i64 {
    fn from_page(page: u64) -> Self {
        i64::try_from(page).unwrap_or(i64::MAX)
    }
    fn to_count(self) -> Option<u64> {
        u64::try_from(self).ok()
    }
}

impl PageNumber for f64 {
    #[allow(clippy::cast_precision_loss)] // page numbers stay far below 2^53
    fn from_page(page: u64) -> Self {
        page as f64
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked just before
    fn to_count(self) -> Option<u64> {
        (self.is_finite() && self >= 0.0 && self.fract() == 0.0 && self < u64::MAX as f64)
            .then_some(self as u64)
    }
}

/// The items of a paginated listing, page after page, as a `Stream` of `Result<T>`. Nothing is fetched until
/// the stream is first polled; dropping it stops everything. After an error the stream ends.
///
/// A listing by cursor ends on a page without a next cursor; it fails with [`Error::RepeatedCursor`] instead of
/// following a cursor it followed before. A listing by page number ends on an empty page, on the page
/// `total_pages` says is the last, or once `total_count` items have arrived; it fails with
/// [`Error::RepeatedPage`], without yielding them again, when a page has the same items as an earlier one (a
/// server that ignores the page number).
///
/// Memory stays bounded by one page: cursors already followed and the pages already read are remembered as
/// 128-bit hashes (16 bytes a page), and [`Paginator::max_pages`] caps how many pages are fetched. The
/// paginator owns a clone of the client, so it is `'static` and `Send`: it can be returned from a function or
/// spawned.
#[must_use = "a Paginator fetches nothing until polled"]
pub struct Paginator<T> {
    operation: &'static str,
    fetch: Fetch<T>,
    state: State<T>,
    /// The page being fetched or yielded.
    position: Position,
    /// The number of the first page, when paging by number.
    first_page: u64,
    /// A fixed-size hash of every cursor a page returned, or of every numbered page's items, to notice a
    /// server that leads back to a page already read.
    seen: HashSet<u128>,
    hashers: Hashers,
    pages: usize,
    /// Items received so far (compared with `total_count`).
    received: u64,
    max_pages: Option<usize>,
    stopped_at_max: bool,
}

/// Two independently keyed hashers, for 128 bits.
#[derive(Clone)]
struct Hashers(RandomState, RandomState);

impl Hashers {
    fn new() -> Self {
        Self(RandomState::new(), RandomState::new())
    }

    fn text(&self, text: &str) -> u128 {
        (u128::from(self.0.hash_one(text)) << 64) | u128::from(self.1.hash_one(text))
    }

    /// The hash of the items' `Debug` text, written straight into the hashers (nothing is buffered).
    fn items<T: fmt::Debug>(&self, items: &[T]) -> u128 {
        struct Both<A, B>(A, B);
        impl<A: Hasher, B: Hasher> fmt::Write for Both<A, B> {
            fn write_str(&mut self, text: &str) -> fmt::Result {
                self.0.write(text.as_bytes());
                self.1.write(text.as_bytes());
                Ok(())
            }
        }
        let mut both = Both(self.0.build_hasher(), self.1.build_hasher());
        // Writing into a hasher cannot fail; a `Debug` impl that fails leaves a shorter text, still a hash.
        let _ = write!(both, "{items:?}");
        (u128::from(both.0.finish()) << 64) | u128::from(both.1.finish())
    }
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
    Fetch(Position),
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
        1,
        Hashers::new(),
        Box::new(move |position| {
            // Anything but a cursor is the start of the listing.
            let cursor = match position {
                Position::Cursor(cursor) => Some(cursor),
                Position::First | Position::Page(_) => None,
            };
            let call = fetch(cursor).into_future();
            Box::pin(async move {
                call.await.map(|page| {
                    let (items, cursor) = split(page);
                    (items, After::Cursor(cursor))
                })
            })
        }),
    )
}

/// Pages through an operation paged by number: `fetch(None)` first (the page the caller asked for,
/// `first_page`), then `fetch(Some(n))` for the pages after it, one number at a time (`split` takes a page
/// apart into items and what it says of the whole listing).
#[allow(dead_code)] // only specs with operations paged by number call it
pub(crate) fn paginate_pages<P, T, F>(
    operation: &'static str,
    first_page: u64,
    mut fetch: F,
    split: fn(P) -> (Vec<T>, Totals),
) -> Paginator<T>
where
    F: FnMut(Option<u64>) -> Call<P> + Send + 'static,
    P: Send + 'static,
    T: fmt::Debug + Send + 'static,
{
    let hashers = Hashers::new();
    let hash = hashers.clone();
    let fetch: Fetch<T> = Box::new(move |position| {
        // Anything but a page number is the page the caller asked for.
        let page = match position {
            Position::Page(number) => Some(number),
            Position::First | Position::Cursor(_) => None,
        };
        let call = fetch(page).into_future();
        let hash = hash.clone();
        Box::pin(async move {
            call.await.map(|page| {
                let (items, totals) = split(page);
                let content = hash.items(&items);
                (items, After::Numbered { totals, content })
            })
        })
    });
    Paginator::new(operation, first_page, hashers, fetch)
}

impl<T> Paginator<T> {
    fn new(operation: &'static str, first_page: u64, hashers: Hashers, fetch: Fetch<T>) -> Self {
        Self {
            operation,
            fetch,
            state: State::NotStarted,
            position: Position::First,
            first_page,
            seen: HashSet::new(),
            hashers,
            pages: 0,
            received: 0,
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

    fn at_max_pages(&self) -> bool {
        self.max_pages.is_some_and(|max| self.pages >= max)
    }

    /// The number of the page just received, when paging by number.
    fn page_number(&self) -> u64 {
        match self.position {
            Position::Page(number) => number,
            Position::First | Position::Cursor(_) => self.first_page,
        }
    }

    /// What follows a page of `items` items, or the error that ends the stream before them (a numbered page
    /// that repeats an earlier one holds nothing new).
    fn after_page(&mut self, items: usize, after: After) -> Result<Then> {
        let next = match after {
            After::Cursor(cursor) => {
                let Some(cursor) = cursor.filter(|cursor| !cursor.is_empty()) else {
                    return Ok(Then::End);
                };
                if !self.seen.insert(self.hashers.text(&cursor)) {
                    // The page's items are new: only following its cursor would loop.
                    return Ok(Then::Fail(Error::RepeatedCursor {
                        operation: self.operation,
                        cursor,
                        pages: self.pages,
                    }));
                }
                Position::Cursor(cursor)
            }
            After::Numbered { totals, content } => {
                let page = self.page_number();
                self.received = self
                    .received
                    .saturating_add(u64::try_from(items).unwrap_or(u64::MAX));
                // `total_count` may count more than the listing holds (Cloudflare's counts the records before
                // filters), never less: reaching it means everything arrived, falling short costs one more
                // request, which an empty page ends.
                let last = items == 0
                    || totals.total_pages.is_some_and(|total| page >= total)
                    || totals
                        .total_count
                        .is_some_and(|total| self.received >= total);
                if last {
                    return Ok(Then::End);
                }
                if !self.seen.insert(content) {
                    return Err(Error::RepeatedPage {
                        operation: self.operation,
                        page,
                        pages: self.pages,
                    });
                }
                Position::Page(page.saturating_add(1))
            }
        };
        if self.at_max_pages() {
            self.stopped_at_max = true;
            return Ok(Then::End);
        }
        Ok(Then::Fetch(next))
    }

    fn start_fetch(&mut self, position: Position) {
        self.position = position.clone();
        self.state = State::Fetching((self.fetch)(position));
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
                        this.start_fetch(Position::First);
                    }
                }
                State::Fetching(page) => match page.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(err)) => {
                        this.state = State::Done;
                        return Poll::Ready(Some(Err(err)));
                    }
                    Poll::Ready(Ok((items, after))) => {
                        this.pages += 1;
                        match this.after_page(items.len(), after) {
                            Ok(then) => {
                                this.state = State::Yielding {
                                    items: items.into_iter(),
                                    then,
                                }
                            }
                            Err(err) => {
                                this.state = State::Done;
                                return Poll::Ready(Some(Err(err)));
                            }
                        }
                    }
                },
                State::Yielding { items, then } => {
                    if let Some(item) = items.next() {
                        return Poll::Ready(Some(Ok(item)));
                    }
                    match std::mem::replace(then, Then::End) {
                        Then::Fetch(position) => this.start_fetch(position),
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

    /// What a scripted page says of the next one.
    enum Says {
        Cursor(Option<String>),
        Totals(Totals),
    }
    type Script = VecDeque<Result<(Vec<u32>, Says)>>;
    /// The position of every fetch, in order.
    type Fetched = Arc<Mutex<Vec<Position>>>;

    /// A paginator over scripted pages (no network), recording the position of every fetch; a numbered page's
    /// content is hashed as `paginate_pages` does.
    fn scripted(pages: Script) -> (Paginator<u32>, Fetched) {
        let fetched = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&fetched);
        let pages = Arc::new(Mutex::new(pages));
        let hashers = Hashers::new();
        let hash = hashers.clone();
        let paginator = Paginator::new(
            "list-things",
            1,
            hashers,
            Box::new(move |position| {
                record.lock().unwrap().push(position);
                let page = pages
                    .lock()
                    .unwrap()
                    .pop_front()
                    .expect("fetched more pages than scripted")
                    .map(|(items, says)| {
                        let after = match says {
                            Says::Cursor(cursor) => After::Cursor(cursor),
                            Says::Totals(totals) => After::Numbered {
                                totals,
                                content: hash.items(&items),
                            },
                        };
                        (items, after)
                    });
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

    fn page(items: &[u32], cursor: Option<&str>) -> Result<(Vec<u32>, Says)> {
        Ok((items.to_vec(), Says::Cursor(cursor.map(str::to_owned))))
    }

    fn numbered(
        items: &[u32],
        total_pages: Option<u64>,
        total_count: Option<u64>,
    ) -> Result<(Vec<u32>, Says)> {
        Ok((
            items.to_vec(),
            Says::Totals(Totals {
                total_pages,
                total_count,
            }),
        ))
    }

    fn collect(paginator: &mut Paginator<u32>) -> Vec<Result<u32>> {
        std::iter::from_fn(|| next(paginator)).collect()
    }

    /// The items before the stream's error, and the error, which must be its last result.
    fn items_then_error(mut results: Vec<Result<u32>>) -> (Vec<u32>, Error) {
        let error = match results.pop() {
            Some(Err(error)) => error,
            other => panic!("expected the stream to end with an error, got {other:?}"),
        };
        (ok(results), error)
    }

    fn ok(results: Vec<Result<u32>>) -> Vec<u32> {
        results.into_iter().map(Result::unwrap).collect()
    }

    /// The cursors fetched so far, `""` standing for the first request.
    fn cursors(fetched: &Mutex<Vec<Position>>) -> Vec<String> {
        fetched
            .lock()
            .unwrap()
            .iter()
            .map(|position| match position {
                Position::Cursor(cursor) => cursor.clone(),
                Position::First => String::new(),
                Position::Page(n) => panic!("a cursor listing asked for page {n}"),
            })
            .collect()
    }

    /// The page numbers fetched so far, `None` standing for the first request (the caller's parameters).
    fn numbers(fetched: &Mutex<Vec<Position>>) -> Vec<Option<u64>> {
        fetched
            .lock()
            .unwrap()
            .iter()
            .map(|position| match position {
                Position::Page(n) => Some(*n),
                Position::First => None,
                Position::Cursor(cursor) => panic!("a numbered listing followed cursor {cursor}"),
            })
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
        let (items, error) = items_then_error(collect(&mut paginator));
        assert_eq!(items, vec![1, 2, 3]);
        match &error {
            Error::RepeatedCursor {
                operation,
                cursor,
                pages,
            } => {
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
    fn numbered_pages_end_at_total_pages() {
        let (mut paginator, fetched) = scripted(
            [
                numbered(&[1, 2], Some(3), None),
                numbered(&[3, 4], Some(3), None),
                numbered(&[5], Some(3), None),
            ]
            .into(),
        );
        assert_eq!(ok(collect(&mut paginator)), vec![1, 2, 3, 4, 5]);
        assert_eq!(numbers(&fetched), [None, Some(2), Some(3)]);
        assert!(paginator.is_terminated());
    }

    #[test]
    fn numbered_pages_end_once_total_count_items_arrived() {
        // Full pages: without the count, a fourth request would be needed to see the empty page.
        let (mut paginator, fetched) = scripted(
            [
                numbered(&[1, 2], None, Some(6)),
                numbered(&[3, 4], None, Some(6)),
                numbered(&[5, 6], None, Some(6)),
            ]
            .into(),
        );
        assert_eq!(ok(collect(&mut paginator)), vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(fetched.lock().unwrap().len(), 3);
    }

    #[test]
    fn numbered_pages_without_totals_end_on_an_empty_page() {
        let (mut paginator, fetched) = scripted(
            [
                numbered(&[1, 2], None, None),
                numbered(&[3], None, None),
                numbered(&[], None, None),
            ]
            .into(),
        );
        assert_eq!(ok(collect(&mut paginator)), vec![1, 2, 3]);
        assert_eq!(numbers(&fetched), [None, Some(2), Some(3)]);
        // A total count larger than the listing (counted before filters) costs one empty page, no more.
        let (mut paginator, fetched) = scripted(
            [
                numbered(&[1], None, Some(50)),
                numbered(&[], None, Some(50)),
            ]
            .into(),
        );
        assert_eq!(ok(collect(&mut paginator)), vec![1]);
        assert_eq!(fetched.lock().unwrap().len(), 2);
    }

    #[test]
    fn numbered_pages_count_from_the_first_page_asked_for() {
        let hashers = Hashers::new();
        let hash = hashers.clone();
        let fetched = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&fetched);
        let mut paginator = Paginator::new(
            "list-things",
            4,
            hashers,
            Box::new(move |position: Position| {
                record.lock().unwrap().push(position.clone());
                let items = match position {
                    Position::First => vec![7],
                    _ => vec![8],
                };
                let content = hash.items(&items);
                let totals = Totals {
                    total_pages: Some(5),
                    total_count: None,
                };
                Box::pin(async move { Ok((items, After::Numbered { totals, content })) })
            }),
        );
        assert_eq!(ok(collect(&mut paginator)), vec![7, 8]);
        assert_eq!(numbers(&fetched), [None, Some(5)]);
    }

    #[test]
    fn a_repeated_numbered_page_is_an_error_without_its_items() {
        // A server that ignores the page number answers page 1 again.
        let (mut paginator, fetched) = scripted(
            [
                numbered(&[1, 2], None, None),
                numbered(&[3], None, None),
                numbered(&[1, 2], None, None),
            ]
            .into(),
        );
        let (items, error) = items_then_error(collect(&mut paginator));
        assert_eq!(items, vec![1, 2, 3]);
        match &error {
            Error::RepeatedPage {
                operation,
                page,
                pages,
            } => assert_eq!((*operation, *page, *pages), ("list-things", 3, 3)),
            other => panic!("expected RepeatedPage, got {other:?}"),
        }
        assert_eq!(numbers(&fetched), [None, Some(2), Some(3)]);
        assert!(next(&mut paginator).is_none());
    }

    #[test]
    fn max_pages_applies_to_numbered_pages() {
        let (paginator, fetched) =
            scripted([numbered(&[1], Some(9), None), numbered(&[2], Some(9), None)].into());
        let mut paginator = paginator.max_pages(2);
        assert_eq!(ok(collect(&mut paginator)), vec![1, 2]);
        assert_eq!(fetched.lock().unwrap().len(), 2);
        assert!(paginator.stopped_at_max_pages());
    }

    #[test]
    fn page_numbers_convert_from_integers_and_numbers() {
        assert_eq!(<i64 as PageNumber>::from_page(3), 3);
        assert_eq!(<f64 as PageNumber>::from_page(3), 3.0);
        assert_eq!(25_i64.to_count(), Some(25));
        assert_eq!((-1_i64).to_count(), None);
        assert_eq!(25.0_f64.to_count(), Some(25));
        for bad in [-1.0, 2.5, f64::NAN, f64::INFINITY, 1e30] {
            assert_eq!(bad.to_count(), None, "{bad}");
        }
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
