//! Test harness: starts a real server on a free port and talks to it.
//!
//! By default the server under test is the `efis` binary built by cargo.
//! With `EFIS_TEST_SERVER=redis` in the environment, Debian's
//! `redis-server` is started instead, with the same API, so every
//! expectation a test encodes can be checked against real Redis 7.0.
//! Tests for behaviour where Efis deliberately differs from Redis check
//! [`is_redis`] and return early.
//!
//! Tests that need a program or a right from outside the project ask
//! [`needs`] for it, which records them as skipped (and lists them when
//! the test binary exits) or fails them under `EFIS_REQUIRE_TOOLS=1`.
//!
//! Tests that compare exact reply bytes on a raw socket use [`wire`].

#![allow(dead_code)]

pub mod needs;
pub mod wire;

use std::fs::{self, File};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

pub use redis::Value;

/// How long a raw socket waits for a reply before the test fails.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a server may take to start accepting connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a server may take to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// True when the tests run against real `redis-server`
/// (`EFIS_TEST_SERVER=redis`).
pub fn is_redis() -> bool {
    std::env::var("EFIS_TEST_SERVER").is_ok_and(|v| v == "redis")
}

/// Path of the `efis` binary under test.
pub fn efis_bin() -> &'static str {
    env!("CARGO_BIN_EXE_efis")
}

/// A fresh, empty directory under the system temp dir. The caller removes it.
pub fn fresh_temp_dir(tag: &str) -> PathBuf {
    let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("efis-it-{tag}-{}-{n}-{nanos}", std::process::id()));
    fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A TCP port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// A running server under test. Dropping it kills the process and removes
/// its directories.
pub struct Server {
    /// TCP port the server listens on (127.0.0.1).
    pub port: u16,
    /// The server's data directory (`BACKUP_PATH`, or redis' `--dir`).
    pub dir: PathBuf,
    child: Child,
    /// Holds `dir` and the server's log file.
    root: PathBuf,
    env: Vec<(String, String)>,
    args: Vec<String>,
    /// Runs redis-server whatever `EFIS_TEST_SERVER` says.
    reference: bool,
}

impl Server {
    /// Starts a server with the default settings.
    pub fn start() -> Server {
        Server::start_full(&[], &[])
    }

    /// Starts a server with extra environment variables (efis settings such
    /// as `REQUIREPASS`; under redis the known ones are mapped to flags).
    pub fn start_with(env: &[(&str, &str)]) -> Server {
        Server::start_full(env, &[])
    }

    /// Starts a server with extra environment variables and extra
    /// command-line arguments (arguments are efis flags; under redis they
    /// are passed to `redis-server` as they are).
    pub fn start_full(env: &[(&str, &str)], args: &[&str]) -> Server {
        Server::launch(env, args, is_redis())
    }

    /// Starts redis-server itself, in either test mode, for tests that
    /// compare the server under test with the reference reply by reply
    /// (many generated commands, too many to write down); `None` (the
    /// test is recorded as skipped) if redis-server is not installed.
    #[track_caller]
    pub fn start_reference() -> Option<Server> {
        needs::tool(needs::Need::RedisServer)?;
        Some(Server::launch(&[], &[], true))
    }

    fn launch(env: &[(&str, &str)], args: &[&str], reference: bool) -> Server {
        if reference {
            redis_server();
        }
        let root = fresh_temp_dir("srv");
        let dir = root.join("data");
        fs::create_dir_all(&dir).expect("create data dir");
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let mut last_error = String::new();
        // A port picked as free can be taken by someone else before the
        // server binds it: try a few ports.
        for _ in 0..5 {
            let port = free_port();
            let mut child = spawn(port, &dir, &root, &env, &args, reference);
            match wait_ready(&mut child, port, &root) {
                Ok(()) => return Server { port, dir, child, root, env, args, reference },
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = e;
                }
            }
        }
        let _ = fs::remove_dir_all(&root);
        panic!("server did not start: {last_error}");
    }

    /// Process id of the server.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        read_log(&self.root)
    }

    /// Sends SIGTERM and waits for the process to exit. Panics if it does
    /// not exit in time.
    pub fn stop(&mut self) -> ExitStatus {
        if let Some(status) = self.child.try_wait().expect("try_wait") {
            return status;
        }
        signal(self.child.id(), libc::SIGTERM);
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("server did not exit within {STOP_TIMEOUT:?} of SIGTERM");
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills the server with SIGKILL (a crash: nothing is flushed) and
    /// waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server with SIGTERM and starts it again on the same port
    /// with the same data directory and settings.
    pub fn restart(&mut self) {
        self.stop();
        self.start_again();
    }

    /// Kills the server with SIGKILL and starts it again on the same port
    /// with the same data directory and settings.
    pub fn crash_restart(&mut self) {
        self.kill();
        self.start_again();
    }

    /// Starts the server again on the same port with the same data
    /// directory and settings, after [`Server::stop`] or [`Server::kill`].
    pub fn start_again(&mut self) {
        self.child = spawn(self.port, &self.dir, &self.root, &self.env, &self.args, self.reference);
        if let Err(e) = wait_ready(&mut self.child, self.port, &self.root) {
            panic!("server did not restart: {e}");
        }
    }

    /// A `redis` crate connection speaking RESP2.
    pub fn client(&self) -> redis::Connection {
        self.connect_url(&format!("redis://127.0.0.1:{}/", self.port))
    }

    /// A `redis` crate connection speaking RESP3 (it opens with `HELLO 3`).
    pub fn client_resp3(&self) -> redis::Connection {
        self.connect_url(&format!("redis://127.0.0.1:{}/?protocol=resp3", self.port))
    }

    /// A `redis` crate connection for any URL (for example one with a
    /// password); panics if it cannot connect.
    pub fn connect_url(&self, url: &str) -> redis::Connection {
        self.try_connect_url(url).unwrap_or_else(|e| panic!("connect to {url}: {e}"))
    }

    /// Like [`Server::connect_url`] but returns the error.
    ///
    /// The handshake is tried again if one of its system calls is
    /// interrupted (EINTR): socket calls with a timeout are not restarted
    /// after a signal (signal(7)), and a test process that starts and kills
    /// hundreds of servers has been seen to get one there.
    pub fn try_connect_url(&self, url: &str) -> redis::RedisResult<redis::Connection> {
        let client = redis::Client::open(url)?;
        let mut attempts = 0;
        let con = loop {
            match client.get_connection_with_timeout(READ_TIMEOUT) {
                Err(e) if attempts < 5 && is_interrupted(&e) => attempts += 1,
                other => break other?,
            }
        };
        con.set_read_timeout(Some(Duration::from_secs(20)))?;
        con.set_write_timeout(Some(Duration::from_secs(20)))?;
        Ok(con)
    }

    /// A plain TCP connection with a read timeout of [`READ_TIMEOUT`].
    pub fn raw(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// Whether a client error is an interrupted system call (EINTR).
fn is_interrupted(e: &redis::RedisError) -> bool {
    const EINTR: i32 = 4;
    e.is_io_error() && e.to_string().ends_with(&io::Error::from_raw_os_error(EINTR).to_string())
}

fn read_log(root: &Path) -> String {
    fs::read_to_string(root.join("server.log")).unwrap_or_default()
}

/// Polls until the server answers a `PING`, or fails if it exits or takes
/// longer than [`START_TIMEOUT`].
///
/// Accepting a connection is not enough: the listener is bound before the
/// data directory is loaded, and a test that kills the server right after
/// would kill it before start-up has made its new log.
fn wait_ready(child: &mut Child, port: u16, root: &Path) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Err(format!("server exited at start with {status}; log:\n{}", read_log(root)));
        }
        if answers_ping(port, deadline) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "port {port} not accepting connections after {START_TIMEOUT:?}; log:\n{}",
                read_log(root)
            ));
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// True once a connection to `port` gets a reply to an inline `PING`
/// other than Redis's `-LOADING` (an error such as `-NOAUTH` also shows
/// that the data is loaded). Waits for the reply at most until `deadline`.
fn answers_ping(port: u16, deadline: Instant) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let wait = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(10));
    if stream.set_read_timeout(Some(wait)).is_err() || stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    while !reply.ends_with(b"\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => reply.push(byte[0]),
            _ => return false,
        }
    }
    !reply.starts_with(b"-LOADING")
}

/// Sends signal `sig` to process `pid`.
pub fn signal(pid: u32, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(pid).expect("pid fits pid_t");
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    if unsafe { libc::kill(pid, sig) } != 0 {
        panic!("kill({pid}, {sig}) failed: {}", io::Error::last_os_error());
    }
}

/// Runs the Python program `tests/py/<script>` with `python` (from
/// [`needs::Need::RedisPy`]) and `args`, without standard input, and
/// returns its output; fails the test, naming the run `what`, if it has
/// not finished within 60 s.
pub fn run_python_check(python: &Path, script: &str, args: &[&str], what: &str) -> Output {
    let child = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py").join(script))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    output_within(child, Duration::from_secs(60), what)
}

/// Waits for `child` and returns its output; kills it and fails the test,
/// naming it `what`, if it has not finished within `limit` (whole seconds).
pub fn output_within(mut child: Child, limit: Duration, what: &str) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {} s", limit.as_secs());
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn spawn(port: u16, dir: &Path, root: &Path, env: &[(String, String)], args: &[String], redis: bool) -> Child {
    let log = File::options().create(true).append(true).open(root.join("server.log")).expect("open server log");
    let mut command = if redis {
        redis_command(port, dir, env)
    } else {
        let mut c = Command::new(efis_bin());
        c.env("PORT", port.to_string()).env("BIND", "127.0.0.1").env("BACKUP_PATH", dir).env("LOG_LEVEL", "warn");
        for (k, v) in env {
            c.env(k, v);
        }
        c
    };
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone log"))
        .stderr(log)
        .spawn()
        .expect("spawn server")
}

/// Where `redis-server` is; fails the test if it is missing, since
/// `EFIS_TEST_SERVER=redis` means nothing without it.
fn redis_server() -> PathBuf {
    needs::required_tool(needs::Need::RedisServer, "EFIS_TEST_SERVER=redis runs every test against it")
}

/// `redis-server` with the efis settings of `env` mapped to its options.
fn redis_command(port: u16, dir: &Path, env: &[(String, String)]) -> Command {
    let mut c = Command::new(redis_server());
    c.arg("--port")
        .arg(port.to_string())
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--enable-debug-command", "yes", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir);
    for (k, v) in env {
        let option = match k.as_str() {
            "REQUIREPASS" => "--requirepass",
            "ACLFILE" => "--aclfile",
            "MAXCLIENTS" => "--maxclients",
            "DATABASES" => "--databases",
            "APPENDFSYNC" => "--appendfsync",
            "MAXMEMORY" => "--maxmemory",
            "MAXMEMORY_POLICY" => "--maxmemory-policy",
            "MAXMEMORY_SAMPLES" => "--maxmemory-samples",
            "LFU_LOG_FACTOR" => "--lfu-log-factor",
            "LFU_DECAY_TIME" => "--lfu-decay-time",
            "HASH_MAX_LISTPACK_ENTRIES" => "--hash-max-listpack-entries",
            "HASH_MAX_LISTPACK_VALUE" => "--hash-max-listpack-value",
            "SET_MAX_INTSET_ENTRIES" => "--set-max-intset-entries",
            "TLS_PORT" => "--tls-port",
            "TLS_CERT_FILE" => "--tls-cert-file",
            "TLS_KEY_FILE" => "--tls-key-file",
            "TLS_CA_CERT_FILE" => "--tls-ca-cert-file",
            "TLS_AUTH_CLIENTS" => "--tls-auth-clients",
            "TLS_PROTOCOLS" => "--tls-protocols",
            "TLS_REPLICATION" => "--tls-replication",
            "MASTERAUTH" => "--masterauth",
            "REPLICAOF" => "--replicaof",
            _ => continue,
        };
        c.arg(option).arg(v);
    }
    c
}

/// Runs one command over a `redis` crate connection.
pub fn cmd(con: &mut redis::Connection, args: &[&str]) -> redis::RedisResult<Value> {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
}

/// Runs one command with binary arguments over a `redis` crate connection.
pub fn cmd_bytes(con: &mut redis::Connection, args: &[&[u8]]) -> redis::RedisResult<Value> {
    let mut c = redis::cmd(std::str::from_utf8(args[0]).expect("utf-8 command name"));
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
}

/// Runs a command that must succeed and returns its reply.
pub fn ok_cmd(con: &mut redis::Connection, args: &[&str]) -> Value {
    cmd(con, args).unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

/// Runs a command that must fail and returns the error line as the server
/// sent it, without the leading `-` (for example `ERR syntax error`).
pub fn err_cmd(con: &mut redis::Connection, args: &[&str]) -> String {
    match cmd(con, args) {
        Ok(v) => panic!("{args:?} succeeded with {v:?}, expected an error"),
        Err(e) => err_text(&e),
    }
}

/// The error line of a server error (`CODE detail`), without the `-`.
pub fn err_text(e: &redis::RedisError) -> String {
    match (e.code(), e.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => e.to_string(),
    }
}

/// A bulk string value (for comparing replies).
pub fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

/// A RESP array of bulk strings: a command as clients send it.
pub fn resp(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Writes all of `bytes` to the stream.
pub fn send(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).expect("write to server");
    stream.flush().expect("flush");
}

/// Reads exactly one complete RESP2 or RESP3 reply (nested aggregates
/// included) and returns its bytes. Panics on timeout or end of stream.
pub fn read_reply(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    match read_value(stream, &mut out) {
        Ok(()) => out,
        Err(e) => panic!("no complete reply ({e}); got so far: {:?}", String::from_utf8_lossy(&out)),
    }
}

/// Like [`read_reply`] but returns the I/O error (a timeout, or
/// `UnexpectedEof` when the server closed the connection first).
pub fn try_read_reply(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    read_value(stream, &mut out)?;
    Ok(out)
}

/// Sends `bytes` and reads one reply.
pub fn roundtrip(stream: &mut TcpStream, bytes: &[u8]) -> Vec<u8> {
    send(stream, bytes);
    read_reply(stream)
}

/// Reads until the server closes the connection and returns everything
/// read. Panics if the connection stays open past the read timeout.
pub fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return out,
            Err(e) => panic!("connection not closed by the server ({e}); read: {:?}", String::from_utf8_lossy(&out)),
        }
    }
}

/// True if the server has closed the connection (reads end of stream,
/// or a reset) within the read timeout, ignoring any bytes before that.
pub fn is_closed(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// Half-closes the writing side (as `nc -q` does after its input ends).
pub fn shutdown_write(stream: &TcpStream) {
    stream.shutdown(Shutdown::Write).expect("shutdown write");
}

fn read_byte(stream: &mut TcpStream) -> io::Result<u8> {
    let mut b = [0u8; 1];
    loop {
        match stream.read(&mut b) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(_) => return Ok(b[0]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads one `\r\n`-terminated line into `out` and returns it without the
/// terminator.
fn read_line(stream: &mut TcpStream, out: &mut Vec<u8>) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    loop {
        let b = read_byte(stream)?;
        out.push(b);
        if b == b'\n' && line.last() == Some(&b'\r') {
            line.pop();
            return Ok(line);
        }
        line.push(b);
    }
}

fn parse_len(line: &[u8]) -> io::Result<i64> {
    std::str::from_utf8(line).ok().and_then(|s| s.parse::<i64>().ok()).ok_or_else(|| {
        io::Error::new(ErrorKind::InvalidData, format!("bad length {:?}", String::from_utf8_lossy(line)))
    })
}

fn read_value(stream: &mut TcpStream, out: &mut Vec<u8>) -> io::Result<()> {
    let kind = read_byte(stream)?;
    out.push(kind);
    let line = read_line(stream, out)?;
    match kind {
        // simple string, error, integer, double, null, boolean, big number
        b'+' | b'-' | b':' | b',' | b'_' | b'#' | b'(' => Ok(()),
        // bulk string, bulk error, verbatim string
        b'$' | b'!' | b'=' => {
            let len = parse_len(&line)?;
            if len < 0 {
                return Ok(());
            }
            let start = out.len();
            out.resize(start + len as usize + 2, 0);
            stream.read_exact(&mut out[start..])?;
            if &out[out.len() - 2..] != b"\r\n" {
                return Err(io::Error::new(ErrorKind::InvalidData, "bulk payload not followed by CRLF"));
            }
            Ok(())
        }
        // array, set, push
        b'*' | b'~' | b'>' => {
            let len = parse_len(&line)?;
            for _ in 0..len.max(0) {
                read_value(stream, out)?;
            }
            Ok(())
        }
        b'%' => {
            let len = parse_len(&line)?;
            for _ in 0..len.max(0) * 2 {
                read_value(stream, out)?;
            }
            Ok(())
        }
        // attribute map, then the reply it annotates
        b'|' => {
            let len = parse_len(&line)?;
            for _ in 0..len.max(0) * 2 {
                read_value(stream, out)?;
            }
            read_value(stream, out)
        }
        other => Err(io::Error::new(ErrorKind::InvalidData, format!("unknown RESP type byte {:?}", other as char))),
    }
}

/// Renders bytes for assertion messages (`\r\n` shown escaped).
pub fn show(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

/// Asserts that a raw reply equals the expected bytes, showing both as
/// text on failure.
#[track_caller]
pub fn assert_reply(actual: &[u8], expected: &[u8]) {
    assert_eq!(show(actual), show(expected), "reply differs (left: actual, right: expected)");
}
