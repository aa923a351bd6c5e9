//! A real HTTP/1.1 server on loopback, scripted per test.
//!
//! Every request that reaches it is parsed off the wire and recorded as sent (method, raw request target,
//! headers with lowercase names, body) before the scripted response is written back. Connections are kept
//! alive and read request by request. Dropping the server stops it and closes its connections.
//!
//! A response can also misbehave ([`Fault`]): answer late, never answer, close or reset the connection in the
//! middle of the body, or close it without answering. The request is recorded either way.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// Largest request head or body the server accepts; larger requests get a 413 and the connection is closed.
const MAX_REQUEST_BYTES: usize = 1 << 20;

/// One request as it arrived on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// The request target exactly as sent in the request line, e.g. `/accounts/abc/rules?x=1`.
    pub target: String,
    /// `HTTP/1.1`.
    pub version: String,
    /// In arrival order, names lowercased, values as sent (trimmed of surrounding whitespace).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The value of the only header named `name` (case-insensitive); panics if it appears more than once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let values = self.header_values(name);
        assert!(
            values.len() <= 1,
            "header {name} sent {} times: {values:?}",
            values.len()
        );
        values.first().copied()
    }

    /// Every value sent for the header `name` (case-insensitive), in order.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has_header(&self, name: &str) -> bool {
        !self.header_values(name).is_empty()
    }
}

/// How a scripted response misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Never answers; the connection stays open (and unread) until the server is dropped.
    NeverAnswer,
    /// Writes the head (announcing the whole body's length) and the first `n` body bytes, then closes.
    CloseMidBody(usize),
    /// Writes the head and the first `n` body bytes, then resets the connection (TCP RST).
    ResetMidBody(usize),
    /// Closes the connection without writing anything.
    CloseWithoutAnswer,
}

/// A scripted response: status, headers and the raw body bytes, optionally late or faulty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Waits this long before writing anything.
    pub delay: Option<Duration>,
    pub fault: Option<Fault>,
}

impl Response {
    /// A response with these raw body bytes and no headers (Content-Length is added when written).
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: None,
            fault: None,
        }
    }

    /// A response that is never written: the client waits until its timeout.
    pub fn never() -> Self {
        Self::new(200, "").fault(Fault::NeverAnswer)
    }

    /// The connection is closed without an answer.
    pub fn close_without_answer() -> Self {
        Self::new(200, "").fault(Fault::CloseWithoutAnswer)
    }

    /// Writes this response after waiting `delay`.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// `application/json` with the serialized value as body.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::new(status, value.to_string()).header("Content-Type", "application/json")
    }

    /// The given content type with raw body bytes (e.g. an HTML error page, or malformed JSON).
    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::new(status, body).header("Content-Type", content_type)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The body is sent chunked (in chunks of at most 1 KiB), without a `Content-Length`.
    pub fn chunked(self) -> Self {
        self.header("Transfer-Encoding", "chunked")
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        let mut has_length = false;
        let mut chunked = false;
        for (name, value) in &self.headers {
            has_length |= name.eq_ignore_ascii_case("content-length");
            chunked |= name.eq_ignore_ascii_case("transfer-encoding")
                && value.eq_ignore_ascii_case("chunked");
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !has_length && !chunked {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        if chunked {
            for chunk in self.body.chunks(1024) {
                bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                bytes.extend_from_slice(chunk);
                bytes.extend_from_slice(b"\r\n");
            }
            bytes.extend_from_slice(b"0\r\n\r\n");
        } else {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

type Responder = Box<dyn FnMut(&RecordedRequest) -> Response + Send>;

struct State {
    requests: Mutex<Vec<RecordedRequest>>,
    /// Longest request target kept in the record (see [`TestServer::record_targets_up_to`]).
    target_limit: std::sync::atomic::AtomicUsize,
    responder: Mutex<Responder>,
}

/// The scripted loopback server. Stops (and closes every connection) when dropped.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept_task: JoinHandle<()>,
}

impl TestServer {
    /// Answers every request with `responder(request)`.
    pub async fn start<F>(responder: F) -> Self
    where
        F: FnMut(&RecordedRequest) -> Response + Send + 'static,
    {
        Self::start_on("127.0.0.1", responder).await
    }

    /// [`TestServer::start`] on another loopback address (e.g. `127.0.0.2`, a different origin than
    /// `127.0.0.1`), on a free port.
    pub async fn start_on<F>(ip: &str, responder: F) -> Self
    where
        F: FnMut(&RecordedRequest) -> Response + Send + 'static,
    {
        let listener = TcpListener::bind((ip, 0))
            .await
            .unwrap_or_else(|err| panic!("bind {ip}:0: {err}"));
        let addr = listener.local_addr().expect("local_addr");
        let state = Arc::new(State {
            requests: Mutex::new(Vec::new()),
            target_limit: std::sync::atomic::AtomicUsize::new(usize::MAX),
            responder: Mutex::new(Box::new(responder)),
        });
        let accept_state = Arc::clone(&state);
        let accept_task = tokio::spawn(async move {
            // Owned by this task: when the task is aborted the set is dropped and aborts every connection.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => {
                            connections.spawn(serve_connection(stream, Arc::clone(&accept_state)));
                        }
                        Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
                    },
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        Self {
            addr,
            state,
            accept_task,
        }
    }

    /// Answers requests with `responses` in order; once they are used up, every further request gets a 500
    /// whose body says so (and is still recorded).
    pub async fn with_responses(responses: impl IntoIterator<Item = Response>) -> Self {
        let mut queue: VecDeque<Response> = responses.into_iter().collect();
        Self::start(move |request| {
            queue.pop_front().unwrap_or_else(|| {
                Response::raw(
                    500,
                    "text/plain",
                    format!(
                        "test server: no scripted response left for {} {}",
                        request.method, request.target
                    ),
                )
            })
        })
        .await
    }

    /// Answers every request with the same response.
    pub async fn always(response: Response) -> Self {
        Self::start(move |_| response.clone()).await
    }

    /// Answers every request with this JSON and status.
    pub async fn always_json(status: u16, value: serde_json::Value) -> Self {
        Self::always(Response::json(status, &value)).await
    }

    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request that reached the server so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests.lock().unwrap().clone()
    }

    /// The only request that reached the server; panics unless exactly one did.
    pub fn single_request(&self) -> RecordedRequest {
        let requests = self.requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request, got {requests:#?}"
        );
        requests.into_iter().next().unwrap()
    }

    /// From now on, keeps only the first `bytes` of each request target in the record (the responder still sees
    /// it whole), so a test can measure the client's memory under requests with huge URLs.
    pub fn record_targets_up_to(&self, bytes: usize) {
        self.state
            .target_limit
            .store(bytes, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn request_count(&self) -> usize {
        self.state.requests.lock().unwrap().len()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .field("request_count", &self.request_count())
            .finish()
    }
}

/// A complete request parsed from the front of the buffer, with how many bytes it took and whether the
/// client asked to close the connection after it.
struct Parsed {
    request: RecordedRequest,
    consumed: usize,
    close: bool,
}

async fn serve_connection(mut stream: TcpStream, state: Arc<State>) {
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let parsed = match parse_request(&buffer) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    buffer.extend_from_slice(&chunk[..n]);
                    continue;
                }
            },
            Err((status, why)) => {
                let response = Response::raw(status, "text/plain", format!("test server: {why}"))
                    .header("Connection", "close");
                let _ = stream.write_all(&response.to_bytes()).await;
                let _ = stream.shutdown().await;
                return;
            }
        };
        buffer.drain(..parsed.consumed);
        let mut recorded = parsed.request.clone();
        let limit = state
            .target_limit
            .load(std::sync::atomic::Ordering::Relaxed);
        if recorded.target.len() > limit {
            let mut end = limit;
            while !recorded.target.is_char_boundary(end) {
                end -= 1;
            }
            recorded.target.truncate(end);
            recorded.target.shrink_to_fit();
        }
        state.requests.lock().unwrap().push(recorded);
        let response = (state.responder.lock().unwrap())(&parsed.request);
        if let Some(delay) = response.delay {
            tokio::time::sleep(delay).await;
        }
        match response.fault {
            None => {}
            Some(Fault::NeverAnswer) => std::future::pending::<()>().await,
            Some(Fault::CloseWithoutAnswer) => {
                let _ = stream.shutdown().await;
                return;
            }
            Some(Fault::CloseMidBody(sent) | Fault::ResetMidBody(sent)) => {
                let bytes = response.to_bytes();
                let head = find(&bytes, b"\r\n\r\n").map_or(0, |end| end + 4);
                let _ = stream
                    .write_all(&bytes[..(head + sent).min(bytes.len())])
                    .await;
                let _ = stream.flush().await;
                if matches!(response.fault, Some(Fault::ResetMidBody(_))) {
                    // Dropping a socket with a zero linger time sends RST instead of FIN.
                    let _ = stream.set_zero_linger();
                } else {
                    let _ = stream.shutdown().await;
                }
                return;
            }
        }
        let close = parsed.close
            || response.headers.iter().any(|(n, v)| {
                n.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close")
            });
        if stream.write_all(&response.to_bytes()).await.is_err() {
            return;
        }
        let _ = stream.flush().await;
        if close {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Why a request was refused: the status to answer with and a short reason.
type Rejection = (u16, &'static str);

/// Parses one request off the front of `buffer`: `Ok(None)` while it is incomplete.
fn parse_request(buffer: &[u8]) -> Result<Option<Parsed>, Rejection> {
    let Some(head_end) = find(buffer, b"\r\n\r\n") else {
        if buffer.len() > MAX_REQUEST_BYTES {
            return Err((413, "request head too large"));
        }
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]);
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let parts: Vec<&str> = request_line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return Err((400, "malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err((400, "not an HTTP/1.x request"));
    }
    let mut headers = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err((400, "malformed header line"));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let header = |wanted: &str| -> Vec<String> {
        headers
            .iter()
            .filter(|(n, _)| n == wanted)
            .map(|(_, v)| v.to_ascii_lowercase())
            .collect()
    };
    let chunked = header("transfer-encoding")
        .iter()
        .any(|v| v.contains("chunked"));
    let connection = header("connection");
    let close = connection.iter().any(|v| v.contains("close"))
        || (version == "HTTP/1.0" && !connection.iter().any(|v| v.contains("keep-alive")));

    let body_start = head_end + 4;
    let (body, consumed) = if chunked {
        match decode_chunked(&buffer[body_start..])? {
            Some((body, used)) => (body, body_start + used),
            None => return Ok(None),
        }
    } else {
        let lengths = header("content-length");
        let length = match lengths.first() {
            None => 0,
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| (400, "invalid Content-Length"))?,
        };
        if length > MAX_REQUEST_BYTES {
            return Err((413, "request body too large"));
        }
        if buffer.len() < body_start + length {
            return Ok(None);
        }
        (
            buffer[body_start..body_start + length].to_vec(),
            body_start + length,
        )
    };
    Ok(Some(Parsed {
        request: RecordedRequest {
            method: method.to_owned(),
            target: target.to_owned(),
            version: version.to_owned(),
            headers,
            body,
        },
        consumed,
        close,
    }))
}

/// Decodes a chunked body (trailers are skipped): `Ok(None)` while incomplete.
fn decode_chunked(data: &[u8]) -> Result<Option<(Vec<u8>, usize)>, Rejection> {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let Some(line_end) = find(&data[pos..], b"\r\n") else {
            return Ok(None);
        };
        let size_line = String::from_utf8_lossy(&data[pos..pos + line_end]);
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| (400, "invalid chunk size"))?;
        pos += line_end + 2;
        if size == 0 {
            // Trailer section ends with an empty line.
            loop {
                let Some(end) = find(&data[pos..], b"\r\n") else {
                    return Ok(None);
                };
                pos += end + 2;
                if end == 0 {
                    return Ok(Some((body, pos)));
                }
            }
        }
        if body.len() + size > MAX_REQUEST_BYTES {
            return Err((413, "request body too large"));
        }
        if data.len() < pos + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&data[pos..pos + size]);
        pos += size + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn read_response(stream: &mut TcpStream) -> String {
        // Reads one response with a Content-Length body.
        let mut data = Vec::new();
        let mut byte = [0u8; 1];
        while find(&data, b"\r\n\r\n").is_none() {
            stream.read_exact(&mut byte).await.unwrap();
            data.push(byte[0]);
        }
        let head = String::from_utf8(data.clone()).unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body).await.unwrap();
        data.extend_from_slice(&body);
        String::from_utf8(data).unwrap()
    }

    #[tokio::test]
    async fn keeps_connections_alive_and_records_raw_requests() {
        let server = TestServer::with_responses([
            Response::raw(200, "text/plain", "first"),
            Response::raw(404, "text/plain", "second"),
            Response::raw(200, "text/plain", "third"),
        ])
        .await;
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        // Two requests in one write (pipelined), the second with a body, then a chunked one.
        stream
            .write_all(
                b"GET /a%20b/c?x=%2F HTTP/1.1\r\nHost: h\r\nX-Mixed-Case: Value \r\n\r\n\
                  POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
            )
            .await
            .unwrap();
        let first = read_response(&mut stream).await;
        assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{first}");
        assert!(first.ends_with("\r\n\r\nfirst"), "{first}");
        let second = read_response(&mut stream).await;
        assert!(second.starts_with("HTTP/1.1 404 Not Found\r\n"), "{second}");
        stream
            .write_all(b"PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n")
            .await
            .unwrap();
        let third = read_response(&mut stream).await;
        assert!(third.ends_with("third"), "{third}");
        // Connection: close was honoured.
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());

        let requests = server.requests();
        assert_eq!(server.request_count(), 3);
        assert_eq!(requests[0].method, "GET");
        assert_eq!(requests[0].target, "/a%20b/c?x=%2F");
        assert_eq!(requests[0].header("x-mixed-case"), Some("Value"));
        assert_eq!(requests[0].header("X-MIXED-CASE"), Some("Value"));
        assert!(requests[0].body.is_empty());
        assert_eq!(requests[1].method, "POST");
        assert_eq!(requests[1].body, b"hello");
        assert_eq!(requests[2].body, b"abcde");
    }

    #[tokio::test]
    async fn unscripted_requests_get_a_500_and_are_recorded() {
        let server = TestServer::with_responses([]).await;
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        stream
            .write_all(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
            .await
            .unwrap();
        let response = read_response(&mut stream).await;
        assert!(response.starts_with("HTTP/1.1 500 "), "{response}");
        assert_eq!(server.single_request().target, "/x");
    }

    #[tokio::test]
    async fn stops_when_dropped() {
        let server = TestServer::always(Response::new(204, "")).await;
        let addr = server.addr();
        let mut stream = TcpStream::connect(addr).await.unwrap();
        drop(server);
        // The open connection is closed and the listener is gone.
        let mut rest = Vec::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            stream.read_to_end(&mut rest),
        )
        .await
        .expect("connection closed after drop");
        assert!(read.is_err() || rest.is_empty());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(TcpStream::connect(addr).await.is_err());
    }
}
