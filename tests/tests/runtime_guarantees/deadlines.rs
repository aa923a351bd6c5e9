//! Time limits: a `retry-after` too large to represent, headers kept on a rate-limited decode error, the overall
//! deadline over attempts and waits, the waiter's deadline and sleeper, a URL too long to send.

use super::*;

// Retry-After overflow.

#[tokio::test]
async fn a_retry_after_too_large_to_represent_returns_at_once() {
    for value in ["1e20", "1e400", "99999999999999999999"] {
        let server = TestServer::with_responses([
            Response::json(429, &failure(10100, "rate limited")).header("Retry-After", value),
            status("completed"),
        ])
        .await;
        let (builder, delays) = recording(&server.url());
        let client = builder.build().unwrap();
        let err = get_status(&client).await.unwrap_err();
        assert!(err.is_rate_limited(), "{err:?}");
        assert_eq!(err.retry_after(), Some(Duration::MAX), "{value}");
        assert_eq!(err.attempts(), Some(1));
        assert!(
            delays_of(&delays).is_empty(),
            "{value}: {:?}",
            delays_of(&delays)
        );
        assert_eq!(server.request_count(), 1, "{value}");
    }
}

// Decode errors keep the headers.

#[tokio::test]
async fn an_html_429_from_the_edge_keeps_retry_after_rate_limits_and_cf_ray() {
    let page = Response::raw(
        429,
        "text/html",
        "<html>\n<h1>429 Too Many Requests</h1>\n</html>",
    )
    .header("Retry-After", "120")
    .header("Ratelimit", "\"default\";r=0;t=120")
    .header("CF-RAY", "8f1e2d3c4b5a6978-AMS");
    let server = TestServer::with_responses([page, status("completed")]).await;
    let (builder, delays) = recording(&server.url());
    let client = builder.build().unwrap();
    let err = get_status(&client).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(err.cf_ray(), Some("8f1e2d3c4b5a6978-AMS"));
    let headers = err.headers().expect("the response's headers");
    assert_eq!(headers["ratelimit"], "\"default\";r=0;t=120");
    assert!(err.is_rate_limited() && err.is_retryable());
    // Longer than the 60 s cap: returned at once.
    assert!(delays_of(&delays).is_empty());
    assert_eq!(server.request_count(), 1);
    // Debug shows header names only.
    let debug = format!("{err:?}");
    assert!(
        debug.contains("ratelimit") && !debug.contains("r=0;t=120"),
        "{debug}"
    );

    // Within the cap, the wait the page asked for is the one slept, and the server's x-should-retry counts.
    let server = TestServer::with_responses([
        Response::raw(503, "text/html", "<html>down</html>").header("Retry-After", "7"),
        status("completed"),
    ])
    .await;
    let (builder, delays) = recording(&server.url());
    get_status(&builder.build().unwrap()).await.unwrap();
    assert_eq!(delays_of(&delays), [Duration::from_secs(7)]);
    let server = TestServer::always(
        Response::raw(503, "text/html", "<html>down</html>").header("X-Should-Retry", "false"),
    )
    .await;
    let (builder, _) = recording(&server.url());
    let err = get_status(&builder.build().unwrap()).await.unwrap_err();
    assert!(!err.is_retryable(), "{err:?}");
    assert_eq!(server.request_count(), 1);
}

// An overall deadline.

#[tokio::test]
async fn total_timeout_bounds_every_attempt_and_every_wait() {
    // A server that never answers: one attempt, cut at the deadline, and no retry after it.
    let server = TestServer::always(Response::never()).await;
    let client = Client::builder()
        .api_token(TOKEN)
        .base_url(server.url())
        .timeout(Duration::from_secs(30))
        .total_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = get_status(&client).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.request_count(), 1);

    // Per call, over the client's (none here).
    let client = sdk_tests::client(&server);
    let started = Instant::now();
    let err = get_status(&client)
        .total_timeout(Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // A retry whose wait would end past the deadline is not waited for.
    let server = TestServer::with_responses([
        Response::json(503, &failure(10000, "unavailable")).header("Retry-After", "5"),
        status("completed"),
    ])
    .await;
    let (builder, delays) = recording(&server.url());
    let client = builder
        .total_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let err = get_status(&client).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(delays_of(&delays).is_empty());
    assert_eq!(server.request_count(), 1);
    // Within it, the retry is made.
    let server = TestServer::with_responses([
        Response::json(503, &failure(10000, "unavailable")).header("Retry-After", "1"),
        status("completed"),
    ])
    .await;
    let (builder, delays) = recording(&server.url());
    let client = builder
        .total_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    get_status(&client).await.unwrap();
    assert_eq!(delays_of(&delays), [Duration::from_secs(1)]);
}

#[tokio::test]
async fn a_wait_deadline_cuts_the_poll_in_flight() {
    let server = TestServer::with_responses([status("pending"), Response::never()]).await;
    let client = sdk_tests::client(&server);
    let options = WaitOptions::new()
        .interval(Duration::from_millis(10))
        .deadline(Duration::from_millis(400));
    let started = Instant::now();
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        client
            .rules()
            .lists()
            .bulk_operations()
            .wait_with(OPERATION_ID, &params(), &options),
    )
    .await
    .expect("the deadline ends the wait, not the 60 s attempt timeout");
    match outcome {
        Err(Error::WaitTimeout { last_status, .. }) => {
            assert_eq!(last_status.as_deref(), Some("pending"))
        }
        other => panic!("expected WaitTimeout, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn a_wait_that_no_poll_answered_says_so() {
    let server = TestServer::always(Response::never()).await;
    let client = sdk_tests::client(&server);
    let options = WaitOptions::new().deadline(Duration::from_millis(300));
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        client
            .rules()
            .lists()
            .bulk_operations()
            .wait_with(OPERATION_ID, &params(), &options),
    )
    .await
    .expect("the deadline ends the wait");
    let err = outcome.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::WaitTimeout {
                last_status: None,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.ends_with("; no poll answered before the deadline"),
        "{message}"
    );
    assert_eq!(server.request_count(), 1);
}

// A URL longer than HTTP can carry.

#[tokio::test]
async fn a_url_too_long_to_send_is_refused_at_once_and_never_retried() {
    let server = TestServer::always(Response::json(200, &envelope(json!([])))).await;
    let (builder, delays) = recording(&server.url());
    let client = builder.build().unwrap();
    let params = ItemListParams::new(ACCOUNT_ID).with_search("a".repeat(70_000));
    let err = client
        .rules()
        .lists()
        .items()
        .list_page(LIST_ID, &params)
        .await
        .unwrap_err();
    match &err {
        Error::UrlTooLong {
            operation, length, ..
        } => {
            assert_eq!(*operation, "lists-get-list-items");
            assert!(*length > 70_000, "{length}");
        }
        other => panic!("expected UrlTooLong, got {other:?}"),
    }
    assert!(!err.is_retryable());
    let message = err.to_string();
    assert!(
        message.contains("request URL") && !message.contains("aaaa"),
        "{message}"
    );
    assert!(delays_of(&delays).is_empty(), "{:?}", delays_of(&delays));
    assert_eq!(server.request_count(), 0);
    // Just under the limit, it is sent.
    let params = params.with_search("a".repeat(60_000));
    client
        .rules()
        .lists()
        .items()
        .list_page(LIST_ID, &params)
        .await
        .unwrap();
    assert_eq!(server.request_count(), 1);
}

// The waiter uses the client's sleeper.

#[tokio::test]
async fn waiting_sleeps_through_the_clients_sleeper() {
    let server =
        TestServer::with_responses([status("pending"), status("running"), status("completed")])
            .await;
    let (builder, delays) = recording(&server.url());
    let client = builder.build().unwrap();
    let options = WaitOptions::new()
        .interval(Duration::from_secs(10))
        .max_interval(Duration::from_secs(20));
    let done = tokio::time::timeout(
        Duration::from_secs(5),
        client
            .rules()
            .lists()
            .bulk_operations()
            .wait_with(OPERATION_ID, &params(), &options),
    )
    .await
    .expect("recorded pauses return at once")
    .unwrap();
    assert_eq!(done.id, OPERATION_ID);
    let delays = delays_of(&delays);
    assert_eq!(delays.len(), 2, "{delays:?}");
    assert!(
        delays[0] <= Duration::from_secs(10) && delays[0] >= Duration::from_secs(9),
        "{delays:?}"
    );
    assert!(
        delays[1] <= Duration::from_secs(20) && delays[1] >= Duration::from_secs(18),
        "{delays:?}"
    );
    assert_eq!(server.request_count(), 3);
}
