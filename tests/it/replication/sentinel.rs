//! Redis Sentinel in charge of the server under test: three
//! `redis-sentinel`s watch a primary and two replicas; the primary is
//! killed with SIGKILL; a replica is promoted, the other is pointed at
//! it and continues from the old history, and a redis-py Sentinel client
//! keeps writing through the failover. And the promotion transaction a
//! sentinel sends, checked byte for byte without a sentinel.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{info_field, quick_primary, wait_caught_up, wait_for, wait_link_up};
use crate::common::{free_port, fresh_temp_dir, needs, ok_cmd, output_within, Server, Value};

/// A running `redis-sentinel`; killed when dropped.
struct Sentinel {
    port: u16,
    child: Child,
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sentinel {
    fn start(program: &Path, dir: &Path, primary_port: u16) -> Sentinel {
        let port = free_port();
        let config = dir.join(format!("sentinel-{port}.conf"));
        let text = format!(
            "port {port}\nbind 127.0.0.1\ndaemonize no\ndir {}\n\
             sentinel monitor mymaster 127.0.0.1 {primary_port} 2\n\
             sentinel down-after-milliseconds mymaster 1000\n\
             sentinel failover-timeout mymaster 10000\n\
             sentinel parallel-syncs mymaster 1\n",
            dir.display()
        );
        fs::write(&config, text).expect("write the sentinel's configuration");
        let log = fs::File::create(dir.join(format!("sentinel-{port}.log"))).expect("sentinel log");
        let child = Command::new(program)
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start redis-sentinel");
        Sentinel { port, child }
    }

    fn query(&self, args: &[&str]) -> Option<Value> {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).ok()?;
        let mut con = client.get_connection_with_timeout(Duration::from_secs(2)).ok()?;
        let mut command = redis::cmd(args[0]);
        for arg in &args[1..] {
            command.arg(*arg);
        }
        command.query(&mut con).ok()
    }

    /// A field of `SENTINEL MASTER mymaster`.
    fn master_field(&self, name: &str) -> Option<String> {
        let Value::Array(items) = self.query(&["SENTINEL", "MASTER", "mymaster"])? else { return None };
        let text = |v: &Value| match v {
            Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        };
        items.chunks(2).find(|pair| text(&pair[0]).as_deref() == Some(name)).and_then(|pair| text(&pair[1]))
    }

    /// The primary's port as this sentinel knows it.
    fn primary_port(&self) -> Option<u16> {
        match self.query(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"])? {
            Value::Array(items) => match items.get(1)? {
                Value::BulkString(port) => String::from_utf8_lossy(port).parse().ok(),
                _ => None,
            },
            _ => None,
        }
    }
}

#[test]
fn sentinels_fail_over_to_a_replica() {
    let Some([sentinel_bin, python]) = needs::tools([needs::Need::RedisSentinel, needs::Need::RedisPy]) else {
        return;
    };
    let mut primary = Server::start();
    quick_primary(&primary);
    let origin = format!("127.0.0.1 {}", primary.port);
    let replicas = [Server::start_with(&[("REPLICAOF", &origin)]), Server::start_with(&[("REPLICAOF", &origin)])];
    for replica in &replicas {
        quick_primary(replica);
        wait_link_up(replica);
    }
    let mut p = primary.client();
    ok_cmd(&mut p, &["SET", "before", "1"]);
    let dir = fresh_temp_dir("sentinel");
    let sentinels: Vec<Sentinel> = (0..3).map(|_| Sentinel::start(&sentinel_bin, &dir, primary.port)).collect();
    wait_for("every sentinel to know two replicas and two other sentinels", || {
        sentinels.iter().all(|s| {
            s.master_field("num-slaves").as_deref() == Some("2")
                && s.master_field("num-other-sentinels").as_deref() == Some("2")
        })
    });
    let ports: Vec<String> = sentinels.iter().map(|s| s.port.to_string()).collect();
    let mut args = vec![
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/sentinel_check.py").display().to_string(),
        "16".to_string(),
    ];
    args.extend(ports);
    let writer = Command::new(&python)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the Sentinel client");
    std::thread::sleep(Duration::from_secs(2));
    let old_port = primary.port;
    primary.kill();
    wait_for("the sentinels to promote a replica", || {
        sentinels.iter().all(|s| s.primary_port().is_some_and(|port| port != old_port))
    });
    let new_port = sentinels[0].primary_port().unwrap();
    let (promoted, other) =
        if replicas[0].port == new_port { (&replicas[0], &replicas[1]) } else { (&replicas[1], &replicas[0]) };
    assert_eq!(promoted.port, new_port);
    wait_for("the promoted replica to report role:master", || {
        info_field(promoted, "replication", "role").as_deref() == Some("master")
    });
    wait_for("the other replica to follow the new primary", || {
        info_field(other, "replication", "master_port") == Some(new_port.to_string())
            && info_field(other, "replication", "master_link_status").as_deref() == Some("up")
    });
    let out = output_within(writer, Duration::from_secs(60), "sentinel_check.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the Sentinel client: {stdout}{}\nsentinel logs in {}",
        String::from_utf8_lossy(&out.stderr),
        dir.display()
    );
    wait_caught_up(other, promoted);
    let mut o = other.client();
    assert_eq!(ok_cmd(&mut o, &["GET", "before"]), Value::BulkString(b"1".to_vec()));
    assert_eq!(ok_cmd(&mut o, &["GET", "counter"]), ok_cmd(&mut promoted.client(), &["GET", "counter"]));
    // The other replica continued the old history with the new primary.
    assert_eq!(info_field(promoted, "stats", "sync_full").as_deref(), Some("0"));
    drop(sentinels);
    let _ = fs::remove_dir_all(&dir);
}

/// What a sentinel sends to promote a replica, byte for byte as it sends
/// it: `REPLICAOF NO ONE`, `CONFIG REWRITE`, `CLIENT KILL TYPE normal`
/// and `pubsub` in one transaction (the servers here run without a
/// configuration file, so `CONFIG REWRITE` answers Redis's error inside
/// the `EXEC`), then `SCRIPT KILL` when nothing runs.
#[test]
fn the_promotion_transaction_a_sentinel_sends() {
    use crate::common::{read_reply, resp, send};
    let primary = Server::start();
    quick_primary(&primary);
    let replica = Server::start();
    super::follow(&replica, &primary);
    let mut subscriber = replica.raw();
    send(&mut subscriber, &resp(&["SUBSCRIBE", "__sentinel__:hello"]));
    read_reply(&mut subscriber);
    let mut sentinel = replica.raw();
    let mut sent = Vec::new();
    for command in [
        &["MULTI"][..],
        &["SLAVEOF", "NO", "ONE"],
        &["CONFIG", "REWRITE"],
        &["CLIENT", "KILL", "TYPE", "normal"],
        &["CLIENT", "KILL", "TYPE", "pubsub"],
        &["EXEC"],
    ] {
        sent.extend(resp(command));
    }
    send(&mut sentinel, &sent);
    let mut replies = Vec::new();
    for _ in 0..6 {
        replies.extend(read_reply(&mut sentinel));
    }
    let text = String::from_utf8_lossy(&replies);
    // Clients of the harness may still be closing: the count of normal
    // clients killed is not fixed, the one subscriber is.
    let expected = "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n+OK\r\n\
                    -ERR The server is running without a config file\r\n:";
    assert!(text.starts_with(expected) && text.ends_with("\r\n:1\r\n"), "{text:?}");
    assert_eq!(info_field(&replica, "replication", "role").as_deref(), Some("master"));
    assert!(crate::common::is_closed(&mut subscriber), "the subscriber is disconnected");
    send(&mut sentinel, &resp(&["SCRIPT", "KILL"]));
    assert_eq!(read_reply(&mut sentinel), b"-NOTBUSY No scripts in execution right now.\r\n");
}
