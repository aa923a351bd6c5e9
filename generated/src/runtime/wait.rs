//! Waiting on an asynchronous operation: poll its status with a growing pause until it succeeds, fails, or the
//! deadline passes.

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use super::call::Call;
use super::client::Client;
use super::error::{Error, Result};
use super::retry::SleepFuture;

/// Shortest pause between polls, whatever the options say, so that a zero interval cannot hammer the API.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// How to wait: the first poll is made at once, then the pause starts at `interval` and doubles up to
/// `max_interval` (each pause up to 10% shorter, so that many waiters do not poll in step), and waiting stops at
/// `deadline`. Defaults: 500 ms, 5 s, 5 min.
#[derive(Debug, Clone)]
pub struct WaitOptions {
    interval: Duration,
    max_interval: Duration,
    deadline: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(500),
            max_interval: Duration::from_secs(5),
            deadline: Duration::from_secs(5 * 60),
        }
    }
}

impl WaitOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first pause (at least 10 ms).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The longest pause; an `interval` above it is used as is, without growing.
    pub fn max_interval(mut self, max_interval: Duration) -> Self {
        self.max_interval = max_interval;
        self
    }

    /// How long to wait in all before giving up with [`Error::WaitTimeout`]: pauses and polls included, so a poll
    /// still in flight when it passes is dropped (cancelled), and no pause runs past it.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }
}

/// What one poll says about the operation, as generated code reads its status.
#[allow(dead_code)] // only specs with asynchronous operations use it
pub(crate) enum PollState<U> {
    Pending {
        status: String,
    },
    /// Done: what `wait` returns (e.g. the "completed" variant of the status union).
    Succeeded(U),
    Failed {
        status: String,
        message: String,
    },
}

/// Polls with `fetch` until `classify` says the operation succeeded (what it made of the last status is returned) or failed
/// ([`Error::OperationFailed`]), or the deadline passes while it is pending or being polled
/// ([`Error::WaitTimeout`]): each poll is a call limited to the time left ([`Call::total_timeout`]), so a poll
/// in flight at the deadline is cut short. Another fetch error is returned as is. Dropping the future stops
/// polling. Pauses go through the client's sleeper (`ClientBuilder::sleeper`), never straight to Tokio's timer.
#[allow(dead_code)] // only specs with asynchronous operations call it
pub(crate) async fn poll_until<T, U, F>(
    operation: &'static str,
    id: &str,
    options: &WaitOptions,
    client: &Client,
    mut fetch: F,
    classify: fn(T) -> PollState<U>,
) -> Result<U>
where
    F: FnMut() -> Call<T>,
    T: Send + 'static,
{
    let fetch = move |left| fetch().total_timeout(left).send();
    poll_with_clock(
        operation,
        id,
        options,
        fetch,
        classify,
        client_clock(client),
    )
    .await
}

/// The real clock, with the client's sleeper as its timer.
fn client_clock(client: &Client) -> Clock<fn() -> Instant, impl FnMut(Duration) -> SleepFuture> {
    let sleeper = client.sleeper();
    Clock {
        now: Instant::now,
        sleep: move |delay| sleeper(delay),
    }
}

/// Where time comes from: the real clock, or a fake one in tests.
struct Clock<N, S> {
    now: N,
    sleep: S,
}

async fn poll_with_clock<T, U, F, Fut, N, S, SleepFut>(
    operation: &'static str,
    id: &str,
    options: &WaitOptions,
    mut fetch: F,
    classify: fn(T) -> PollState<U>,
    mut clock: Clock<N, S>,
) -> Result<U>
where
    F: FnMut(Duration) -> Fut,
    Fut: Future<Output = Result<T>>,
    N: Fn() -> Instant,
    S: FnMut(Duration) -> SleepFut,
    SleepFut: Future<Output = ()>,
{
    let start = (clock.now)();
    let mut pause = options.interval.max(MIN_INTERVAL);
    let max_pause = options.max_interval.max(pause);
    let jitter = RandomState::new();
    let mut polls: u64 = 0;
    // None until a poll answers.
    let mut last_status: Option<String> = None;
    loop {
        let left = options
            .deadline
            .saturating_sub((clock.now)().saturating_duration_since(start));
        let value = match fetch(left).await {
            Ok(value) => value,
            Err(err) => {
                let waited = (clock.now)().saturating_duration_since(start);
                if err.is_timeout() && waited >= options.deadline {
                    return Err(Error::WaitTimeout {
                        operation,
                        id: id.to_owned(),
                        last_status,
                        waited,
                    });
                }
                return Err(err);
            }
        };
        polls += 1;
        let status = match classify(value) {
            PollState::Succeeded(done) => return Ok(done),
            PollState::Failed { status, message } => {
                return Err(Error::OperationFailed {
                    operation,
                    id: id.to_owned(),
                    status,
                    message,
                })
            }
            PollState::Pending { status } => status,
        };
        let waited = (clock.now)().saturating_duration_since(start);
        let remaining = options.deadline.saturating_sub(waited);
        if remaining.is_zero() {
            return Err(Error::WaitTimeout {
                operation,
                id: id.to_owned(),
                last_status: Some(status),
                waited,
            });
        }
        // Up to 10% off, in thousandths of the pause: integer arithmetic cannot overflow or panic.
        let cut = pause / 1000 * u32::try_from(jitter.hash_one(polls) % 101).unwrap_or(0);
        let this_pause = pause.saturating_sub(cut).min(remaining);
        tracing::debug!(operation, id, status = %status, pause = ?this_pause, "operation still pending");
        last_status = Some(status);
        (clock.sleep)(this_pause).await;
        pause = pause.saturating_mul(2).min(max_pause);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::testing::block_on;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::sync::{Arc, Mutex};

    /// One poll's answer: a status, with a message when it failed.
    type Status = (&'static str, &'static str);

    fn classify(status: Status) -> PollState<Status> {
        match status.0 {
            "completed" => PollState::Succeeded(status),
            "failed" => PollState::Failed {
                status: status.0.to_owned(),
                message: status.1.to_owned(),
            },
            other => PollState::Pending {
                status: other.to_owned(),
            },
        }
    }

    /// A fake clock: sleeping advances it at once, and every pause is recorded.
    struct Fake {
        start: Instant,
        elapsed: Rc<Cell<Duration>>,
        pauses: Rc<RefCell<Vec<Duration>>>,
    }

    impl Fake {
        fn new() -> Self {
            Self {
                start: Instant::now(),
                elapsed: Rc::default(),
                pauses: Rc::default(),
            }
        }

        fn clock(
            &self,
        ) -> Clock<impl Fn() -> Instant, impl FnMut(Duration) -> std::future::Ready<()>> {
            let (start, now_elapsed) = (self.start, Rc::clone(&self.elapsed));
            let (elapsed, pauses) = (Rc::clone(&self.elapsed), Rc::clone(&self.pauses));
            Clock {
                now: move || start + now_elapsed.get(),
                sleep: move |pause| {
                    pauses.borrow_mut().push(pause);
                    elapsed.set(elapsed.get() + pause);
                    std::future::ready(())
                },
            }
        }

        fn pauses(&self) -> Vec<Duration> {
            self.pauses.borrow().clone()
        }
    }

    /// Runs the wait over scripted statuses; returns the outcome and how many polls were made.
    fn wait(
        fake: &Fake,
        options: &WaitOptions,
        statuses: &[Result<Status>],
    ) -> (Result<Status>, usize) {
        let polls = Cell::new(0);
        let mut script = statuses.iter();
        let fetch = |_left| {
            polls.set(polls.get() + 1);
            let next = match script.next() {
                Some(Ok(status)) => Ok(*status),
                Some(Err(_)) => Err(Error::Config("fetch failed".to_owned())),
                None => Ok(statuses
                    .last()
                    .and_then(|last| last.as_ref().ok().copied())
                    .unwrap_or(("running", ""))),
            };
            std::future::ready(next)
        };
        let outcome = block_on(poll_with_clock(
            "get-status",
            "op-1",
            options,
            fetch,
            classify,
            fake.clock(),
        ));
        (outcome, polls.get())
    }

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    /// `actual` is `nominal` or at most 10% less.
    fn assert_jittered(actual: Duration, nominal: Duration) {
        assert!(
            actual <= nominal && actual >= nominal - nominal / 10,
            "{actual:?} is not within 10% below {nominal:?}"
        );
    }

    #[test]
    fn succeeds_with_the_last_status_after_growing_pauses() {
        let fake = Fake::new();
        let (outcome, polls) = wait(
            &fake,
            &WaitOptions::new(),
            &[
                Ok(("pending", "")),
                Ok(("running", "")),
                Ok(("completed", "")),
            ],
        );
        assert_eq!(outcome.unwrap(), ("completed", ""));
        assert_eq!(polls, 3);
        // First poll at once, then 500 ms, then 1 s.
        let pauses = fake.pauses();
        assert_eq!(pauses.len(), 2);
        assert_jittered(pauses[0], ms(500));
        assert_jittered(pauses[1], ms(1000));
    }

    #[test]
    fn succeeds_at_once_without_sleeping() {
        let fake = Fake::new();
        let (outcome, polls) = wait(&fake, &WaitOptions::new(), &[Ok(("completed", ""))]);
        assert!(outcome.is_ok());
        assert_eq!((polls, fake.pauses().len()), (1, 0));
    }

    #[test]
    fn failure_is_operation_failed_with_message() {
        let fake = Fake::new();
        let (outcome, _) = wait(
            &fake,
            &WaitOptions::new(),
            &[Ok(("running", "")), Ok(("failed", "list is full"))],
        );
        match outcome {
            Err(Error::OperationFailed {
                operation,
                id,
                status,
                message,
            }) => {
                assert_eq!(
                    (operation, id.as_str(), status.as_str(), message.as_str()),
                    ("get-status", "op-1", "failed", "list is full")
                );
            }
            other => panic!("expected OperationFailed, got {other:?}"),
        }
    }

    #[test]
    fn deadline_is_wait_timeout_with_last_status_and_no_pause_past_it() {
        let fake = Fake::new();
        let options = WaitOptions::new()
            .interval(ms(20))
            .max_interval(ms(40))
            .deadline(ms(200));
        let (outcome, polls) = wait(&fake, &options, &[Ok(("pending", "")), Ok(("running", ""))]);
        match outcome {
            Err(Error::WaitTimeout {
                operation,
                id,
                last_status,
                waited,
            }) => {
                assert_eq!((operation, id.as_str()), ("get-status", "op-1"));
                assert_eq!(last_status.as_deref(), Some("running"));
                assert_eq!(waited, ms(200));
            }
            other => panic!("expected WaitTimeout, got {other:?}"),
        }
        let pauses = fake.pauses();
        assert_eq!(polls, pauses.len() + 1, "a last poll right at the deadline");
        assert_eq!(pauses.iter().sum::<Duration>(), ms(200));
        assert_jittered(pauses[0], ms(20));
        assert!(pauses.iter().all(|pause| *pause <= ms(40)), "{pauses:?}");
    }

    #[test]
    fn pauses_double_up_to_max_interval() {
        let fake = Fake::new();
        let options = WaitOptions::new().deadline(ms(20_000));
        let (outcome, _) = wait(&fake, &options, &[Ok(("pending", ""))]);
        assert!(matches!(outcome, Err(Error::WaitTimeout { .. })));
        let pauses = fake.pauses();
        for (pause, nominal) in pauses.iter().zip([500, 1000, 2000, 4000, 5000, 5000]) {
            assert_jittered(*pause, ms(nominal));
        }
        // Zero interval is raised to the minimum rather than polling in a tight loop.
        let fake = Fake::new();
        let options = WaitOptions::new()
            .interval(Duration::ZERO)
            .max_interval(Duration::ZERO)
            .deadline(ms(100));
        let (_, polls) = wait(&fake, &options, &[Ok(("pending", ""))]);
        assert!(polls <= 13, "{polls} polls");
        let pauses = fake.pauses();
        let (_, before_last) = pauses.split_last().unwrap();
        assert!(
            before_last.iter().all(|pause| *pause >= ms(9)),
            "{pauses:?}"
        );
    }

    #[test]
    fn a_slow_poll_counts_against_the_deadline() {
        let fake = Fake::new();
        let elapsed = Rc::clone(&fake.elapsed);
        let options = WaitOptions::new().deadline(ms(1000));
        let fetch = |_left| {
            // Each poll takes 600 ms.
            elapsed.set(elapsed.get() + ms(600));
            std::future::ready(Ok(("running", "")))
        };
        let outcome = block_on(poll_with_clock(
            "get-status",
            "op-1",
            &options,
            fetch,
            classify,
            fake.clock(),
        ));
        match outcome {
            Err(Error::WaitTimeout { waited, .. }) => assert!(waited >= ms(1000), "{waited:?}"),
            other => panic!("expected WaitTimeout, got {other:?}"),
        }
        // One pause, cut to the 400 ms left.
        assert_eq!(fake.pauses(), vec![ms(400)]);
    }

    #[test]
    fn fetch_error_is_returned_as_is() {
        let fake = Fake::new();
        let (outcome, polls) = wait(
            &fake,
            &WaitOptions::new(),
            &[Ok(("running", "")), Err(Error::Config(String::new()))],
        );
        assert!(matches!(outcome, Err(Error::Config(message)) if message == "fetch failed"));
        assert_eq!(polls, 2);
    }

    fn recording_client(pauses: &Arc<Mutex<Vec<Duration>>>) -> Client {
        let recorded = Arc::clone(pauses);
        Client::builder()
            .api_token("t")
            .base_url("http://127.0.0.1:9")
            .sleeper(move |pause| {
                recorded.lock().unwrap().push(pause);
                std::future::ready(())
            })
            .build()
            .unwrap()
    }

    #[test]
    fn waiting_future_is_send_and_lazy() {
        fn send<T: Send>(_: &T) {}
        fn classify_text(status: String) -> PollState<String> {
            PollState::Succeeded(status)
        }
        let polled = std::sync::atomic::AtomicBool::new(false);
        let options = WaitOptions::new();
        let client = recording_client(&Arc::default());
        let future = poll_until(
            "get-status",
            "op-1",
            &options,
            &client,
            || {
                polled.store(true, std::sync::atomic::Ordering::SeqCst);
                client.call(
                    Err(Error::Config("no network in unit tests".to_owned())),
                    crate::runtime::envelope::enveloped::<String>,
                )
            },
            classify_text,
        );
        send(&future);
        drop(future);
        assert!(!polled.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[test]
    fn pauses_go_through_the_clients_sleeper_without_a_tokio_runtime() {
        // No Tokio runtime here: `tokio::time::sleep` would panic. The client's sleeper is the clock's timer.
        let pauses = Arc::default();
        let client = recording_client(&pauses);
        let clock = client_clock(&client);
        let mut script = [("pending", ""), ("running", ""), ("completed", "")].into_iter();
        let outcome = block_on(poll_with_clock(
            "get-status",
            "op-1",
            &WaitOptions::new(),
            |_left| std::future::ready(Ok(script.next().unwrap_or(("completed", "")))),
            classify,
            clock,
        ));
        assert_eq!(outcome.unwrap(), ("completed", ""));
        let pauses = pauses.lock().unwrap().clone();
        assert_eq!(pauses.len(), 2, "{pauses:?}");
        assert_jittered(pauses[0], ms(500));
        assert_jittered(pauses[1], ms(1000));
    }

    #[test]
    fn each_poll_is_limited_to_the_time_left() {
        let fake = Fake::new();
        let options = WaitOptions::new().deadline(ms(1000));
        let mut lefts = Vec::new();
        let mut script = [("running", ""), ("completed", "")].into_iter();
        let outcome = block_on(poll_with_clock(
            "get-status",
            "op-1",
            &options,
            |left| {
                lefts.push(left);
                std::future::ready(Ok(script.next().unwrap_or(("completed", ""))))
            },
            classify,
            fake.clock(),
        ));
        assert!(outcome.is_ok());
        let pauses = fake.pauses();
        assert_eq!(lefts, [ms(1000), ms(1000) - pauses[0]]);
    }
}
