//! What some tests need from outside the project, and how a test that
//! cannot have it is skipped without passing unseen.
//!
//! A few tests drive programs the project does not build (`redis-cli`,
//! `nc`, `nutcracker`, `systemd-analyze`, `openssl`, `cc`,
//! `redis-sentinel`, a Python with redis-py 8), and
//! some need the right to mount a tmpfs. Such a test asks here first:
//! [`tool`] (or [`tools`], for several) finds a program on `PATH` (the
//! Python is `$EFIS_TEST_PYTHON`, default `python3`, accepted only when
//! `import redis` works and reports major version 8), and [`skip`]
//! reports a right the test tried and found missing.
//!
//! When something is missing the test is recorded as skipped and returns
//! early. libtest counts it as passed, so when the test binary exits a
//! summary on its standard error (not the captured output of a test)
//! names every skipped test, what it lacked, and the Debian package or
//! set-up that provides it. With `EFIS_REQUIRE_TOOLS=1` in the
//! environment, a missing need fails the test instead, with the same
//! text: `.ci/run` sets it, so nothing is skipped there.

use std::env;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, Once, OnceLock};
use std::thread;

/// Something a test needs that the project does not provide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// `$EFIS_TEST_PYTHON` (default `python3`) with redis-py 8.
    RedisPy,
    /// `redis-cli`, Redis's command-line client.
    RedisCli,
    /// `nc`, netcat.
    Nc,
    /// `redis-server`, the reference server (`EFIS_TEST_SERVER=redis`).
    RedisServer,
    /// `nutcracker`, the twemproxy proxy.
    Nutcracker,
    /// `systemd-analyze`, which checks unit files.
    SystemdAnalyze,
    /// The right to mount a tmpfs (root, or `CAP_SYS_ADMIN`).
    MountTmpfs,
    /// `openssl`, which makes the TLS tests' certificates.
    Openssl,
    /// `cc`, the C compiler that builds the fault-injection library.
    Cc,
    /// `redis-sentinel`, Redis's high-availability monitor.
    RedisSentinel,
}

const NEEDS: usize = 10;

impl Need {
    /// The name a person knows it by.
    pub fn name(self) -> &'static str {
        match self {
            Need::RedisPy => "a Python with redis-py 8",
            Need::RedisCli => "redis-cli",
            Need::Nc => "nc",
            Need::RedisServer => "redis-server",
            Need::Nutcracker => "nutcracker (twemproxy)",
            Need::SystemdAnalyze => "systemd-analyze",
            Need::MountTmpfs => "the right to mount a tmpfs",
            Need::Openssl => "openssl (to make test certificates)",
            Need::Cc => "cc (to build the fault-injection library)",
            Need::RedisSentinel => "redis-sentinel",
        }
    }

    /// What provides it on Debian 12.
    pub fn provided_by(self) -> &'static str {
        match self {
            Need::RedisPy => {
                "set up with `apt-get install python3 python3-venv`, \
                 `python3 -m venv target/ci-venv`, `target/ci-venv/bin/pip install 'redis>=8,<9'`, \
                 then EFIS_TEST_PYTHON=$PWD/target/ci-venv/bin/python (as .ci/run does)"
            }
            Need::RedisCli => "Debian package redis-tools",
            Need::Nc => "Debian package netcat-openbsd",
            Need::RedisServer => "Debian package redis-server",
            Need::Nutcracker => "Debian package nutcracker",
            Need::SystemdAnalyze => "Debian package systemd",
            Need::Openssl => "Debian package openssl",
            Need::Cc => "Debian package gcc",
            Need::RedisSentinel => "Debian package redis-sentinel",
            Need::MountTmpfs => {
                "run the tests as root with CAP_SYS_ADMIN (in a container: \
                 one allowed to mount, e.g. docker run --privileged)"
            }
        }
    }

    /// The program looked up on `PATH`, for the needs that are one.
    fn program(self) -> Option<&'static str> {
        match self {
            Need::RedisCli => Some("redis-cli"),
            Need::Nc => Some("nc"),
            Need::RedisServer => Some("redis-server"),
            Need::Nutcracker => Some("nutcracker"),
            Need::SystemdAnalyze => Some("systemd-analyze"),
            Need::Openssl => Some("openssl"),
            Need::Cc => Some("cc"),
            Need::RedisSentinel => Some("redis-sentinel"),
            Need::RedisPy | Need::MountTmpfs => None,
        }
    }

    /// The text of a skip (or, under `EFIS_REQUIRE_TOOLS=1`, a failure).
    fn missing_text(self, detail: &str) -> String {
        format!("needs {}: {detail}; {}", self.name(), self.provided_by())
    }
}

/// True when `EFIS_REQUIRE_TOOLS` asks for missing needs to fail tests.
pub fn tools_required() -> bool {
    env::var("EFIS_REQUIRE_TOOLS").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The program that provides `need`, found once per test binary. When it
/// is missing the calling test is recorded as skipped and `None` comes
/// back (the test returns), or, under `EFIS_REQUIRE_TOOLS=1`, the test
/// fails here.
#[track_caller]
pub fn tool(need: Need) -> Option<PathBuf> {
    tools([need]).map(|[path]| path)
}

/// [`tool`] for several programs at once: all of them, or `None` with
/// every missing one recorded (or named in the failure).
#[track_caller]
pub fn tools<const N: usize>(needs: [Need; N]) -> Option<[PathBuf; N]> {
    let found = needs.map(look_up);
    let missing: Vec<String> =
        needs.iter().zip(&found).filter_map(|(need, f)| f.as_ref().err().map(|e| need.missing_text(e))).collect();
    if missing.is_empty() {
        Some(found.map(|f| f.clone().expect("found")))
    } else {
        record_skip(missing);
        None
    }
}

/// Like [`tool`], for a need without which the tests cannot mean anything
/// (`redis-server` under `EFIS_TEST_SERVER=redis`): missing, it fails the
/// calling test whatever `EFIS_REQUIRE_TOOLS` says.
#[track_caller]
pub fn required_tool(need: Need, why: &str) -> PathBuf {
    match look_up(need) {
        Ok(path) => path.clone(),
        Err(detail) => panic!("{} ({why})", need.missing_text(detail)),
    }
}

/// Records the calling test as skipped for want of `need` (`detail` says
/// what was tried), or fails it under `EFIS_REQUIRE_TOOLS=1`. The test
/// returns right after.
#[track_caller]
pub fn skip(need: Need, detail: &str) {
    record_skip(vec![need.missing_text(detail)]);
}

/// Records the calling test (named by its thread, as libtest names it) as
/// skipped for want of each of `missing`, or fails it with all of them
/// under `EFIS_REQUIRE_TOOLS=1`.
#[track_caller]
fn record_skip(missing: Vec<String>) {
    if tools_required() {
        panic!("{} (EFIS_REQUIRE_TOOLS is set: a missing need fails the test)", missing.join("; and "));
    }
    let test = thread::current().name().unwrap_or("(unnamed test)").to_string();
    for text in &missing {
        // Also in the test's own output, for runs with --nocapture.
        eprintln!("skipped: {text}");
    }
    static AT_EXIT: Once = Once::new();
    AT_EXIT.call_once(|| {
        // SAFETY: registers a function that takes no arguments, does not
        // unwind, and uses only statics that live until the process ends.
        let registered = unsafe { libc::atexit(print_summary) } == 0;
        assert!(registered, "atexit failed: the skip summary could not be arranged");
    });
    let mut skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    skipped.extend(missing.into_iter().map(|text| (test.clone(), text)));
}

/// Tests skipped so far: (test path, what was missing).
static SKIPPED: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Runs when the test binary exits, after libtest's own report: writes
/// the summary of the skipped tests straight to file descriptor 2.
extern "C" fn print_summary() {
    let mut skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if skipped.is_empty() {
        return;
    }
    skipped.sort();
    let mut tests: Vec<&str> = skipped.iter().map(|(test, _)| test.as_str()).collect();
    tests.dedup();
    let mut text = format!(
        "\nSKIPPED: {} {} did not run, for want of something outside the project:\n",
        tests.len(),
        if tests.len() == 1 { "test" } else { "tests" }
    );
    for test in tests {
        let _ = writeln!(text, "  {test}");
        for (_, what) in skipped.iter().filter(|(t, _)| t == test) {
            let _ = writeln!(text, "      {what}");
        }
    }
    text.push_str("(libtest counted them as passed; with EFIS_REQUIRE_TOOLS=1 each is a failure)\n");
    write_stderr(text.as_bytes());
}

/// Writes all of `bytes` to file descriptor 2, ignoring errors: at exit,
/// nothing more can be done about them.
fn write_stderr(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: the pointer and length describe the live slice `bytes`.
        let n = unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
        if n > 0 {
            bytes = &bytes[n as usize..];
        } else if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        } else {
            return;
        }
    }
}

/// Where `need` is, or what was missing; looked up once per test binary.
fn look_up(need: Need) -> &'static Result<PathBuf, String> {
    static FOUND: [OnceLock<Result<PathBuf, String>>; NEEDS] = [const { OnceLock::new() }; NEEDS];
    FOUND[need as usize].get_or_init(|| match need {
        Need::RedisPy => python_with_redis_py(),
        Need::MountTmpfs => Err("a right, not a program: the test tries it and calls `skip`".to_string()),
        _ => {
            let program = need.program().expect("a program");
            on_path(program.as_ref()).ok_or_else(|| format!("`{program}` not found on PATH"))
        }
    })
}

/// `$EFIS_TEST_PYTHON` (default `python3`), if `import redis` works in it
/// and reports major version 8.
fn python_with_redis_py() -> Result<PathBuf, String> {
    let chosen = env::var_os("EFIS_TEST_PYTHON").filter(|v| !v.is_empty());
    let name = chosen.clone().unwrap_or_else(|| OsString::from("python3"));
    let python = on_path(&name).ok_or_else(|| match &chosen {
        Some(name) => format!("EFIS_TEST_PYTHON={} is not an executable file", Path::new(name).display()),
        None => "`python3` not found on PATH (EFIS_TEST_PYTHON unset)".to_string(),
    })?;
    let out = Command::new(&python)
        .args(["-c", "import redis; print(redis.__version__)"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or("no message").trim().to_string();
        return Err(format!("`import redis` fails in {} ({last})", python.display()));
    }
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if version.split('.').next() != Some("8") {
        return Err(format!("{} has redis-py {version}, not 8", python.display()));
    }
    Ok(python)
}

/// The executable file `name` names: itself if it holds a `/`, else the
/// first one in a directory of `PATH`.
fn on_path(name: &std::ffi::OsStr) -> Option<PathBuf> {
    let is_executable = |p: &Path| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if name.as_encoded_bytes().contains(&b'/') {
        let path = PathBuf::from(name);
        return is_executable(&path).then_some(path);
    }
    let dirs = env::var_os("PATH")?;
    env::split_paths(&dirs).map(|dir| dir.join(name)).find(|p| is_executable(p))
}
