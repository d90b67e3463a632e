//! systemd integration: `READY=1` / `STOPPING=1` on `$NOTIFY_SOCKET`, and
//! the unit file in `.deploy/` passing `systemd-analyze verify`.

use std::fs;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::needs::{self, Need};
use crate::common::{self, Server};

/// Receives one datagram as text; panics after the socket's read timeout.
fn receive(sock: &UnixDatagram, what: &str, server: &Server) -> String {
    let mut buf = [0u8; 1024];
    match sock.recv(&mut buf) {
        Ok(n) => String::from_utf8_lossy(&buf[..n]).into_owned(),
        Err(e) => panic!("no {what} notification ({e}); server log:\n{}", server.log()),
    }
}

#[test]
fn notifies_ready_and_stopping() {
    if common::is_redis() {
        return;
    }
    let dir = common::fresh_temp_dir("notify");
    let path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&path).expect("bind notify socket");
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();

    let mut server = Server::start_with(&[("NOTIFY_SOCKET", path.to_str().expect("utf-8 temp path"))]);
    let ready = receive(&sock, "READY", &server);
    let lines: Vec<&str> = ready.lines().collect();
    assert!(lines.contains(&"READY=1"), "first notification: {ready:?}");
    assert!(lines.contains(&format!("MAINPID={}", server.pid()).as_str()), "first notification: {ready:?}");
    // Ready means ready: the server answers straight away.
    assert_eq!(common::ok_cmd(&mut server.client(), &["PING"]), common::Value::SimpleString("PONG".into()));

    let status = server.stop();
    let stopping = receive(&sock, "STOPPING", &server);
    assert!(stopping.lines().any(|l| l == "STOPPING=1"), "second notification: {stopping:?}");
    assert!(status.success(), "exit status after SIGTERM: {status}; log:\n{}", server.log());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn journal_logs_have_no_time_prefix() {
    if common::is_redis() {
        return;
    }
    let mut plain = Server::start_with(&[("LOG_LEVEL", "info")]);
    plain.stop();
    let log = plain.log();
    let started = log.lines().find(|l| l.contains("started")).unwrap_or_default().to_string();
    assert!(
        started.as_bytes().first().is_some_and(u8::is_ascii_digit),
        "time prefix expected: {started:?}; log:\n{log}"
    );

    let mut journal = Server::start_with(&[("LOG_LEVEL", "info"), ("JOURNAL_STREAM", "8:12345")]);
    journal.stop();
    let log = journal.log();
    assert!(log.contains("started"), "log: {log}");
    for line in log.lines() {
        assert!(line.starts_with('['), "line with a time prefix under the journal: {line:?}");
    }
}

#[test]
fn unit_file_passes_systemd_analyze_verify() {
    if common::is_redis() {
        return;
    }
    let unit = Path::new(env!("CARGO_MANIFEST_DIR")).join(".deploy/efis.service");
    let text = fs::read_to_string(&unit).expect("read .deploy/efis.service");
    assert!(text.lines().any(|l| l == "Type=notify"), "the unit must be Type=notify");
    assert!(text.lines().any(|l| l == "ExecStart=/usr/local/bin/efis"), "unexpected ExecStart");
    let Some(systemd_analyze) = needs::tool(Need::SystemdAnalyze) else { return };
    // verify checks that ExecStart's binary exists: point it at the one
    // cargo built instead of the installed one.
    let dir = common::fresh_temp_dir("unit");
    let copy = dir.join("efis.service");
    let text = text.replace("ExecStart=/usr/local/bin/efis", &format!("ExecStart={}", common::efis_bin()));
    fs::write(&copy, text).expect("write unit copy");
    let out = Command::new(&systemd_analyze)
        .args(["verify", "--man=no"])
        .arg(&copy)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", systemd_analyze.display()));
    let _ = fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("efis.service"),
        "systemd-analyze verify failed ({}):\n{}{stderr}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
}
