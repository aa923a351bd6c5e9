//! Serving an axum app on a free loopback port, for the stateful test servers.

use std::net::SocketAddr;

use axum::Router;
use tokio::sync::oneshot;

/// Serves `app` on a free port of 127.0.0.1 until the returned sender is dropped or sent to; `what` names the
/// server in the message printed if it stops on an error.
pub(crate) async fn serve(app: Router, what: &'static str) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind a loopback port for the {what}: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local address of the {what}: {e}"));
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            // A dropped sender stops the server just like a sent value.
            let _ = stopped.await;
        });
        if let Err(error) = serve.await {
            eprintln!("{what} on {addr} stopped: {error}");
        }
    });
    (addr, shutdown)
}
