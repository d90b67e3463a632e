//! Scale-out behind twemproxy (Debian's `nutcracker`): three Efis nodes,
//! one proxy with consistent hashing (ketama over murmur), a workload through the proxy, a node
//! killed and ejected while the others keep serving, and the node back
//! from its own `BACKUP_PATH` with its data.
//!
//! The proxy is driven with raw RESP: twemproxy closes connections on
//! commands it does not proxy, and a client library's handshake may send
//! some.

use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::needs::{self, Need};
use crate::common::{self, resp, Server};

/// A running nutcracker; killed on drop.
struct Proxy {
    child: Child,
    port: u16,
    root: PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn start_proxy(binary: &Path, nodes: &[&Server]) -> Proxy {
    let root = common::fresh_temp_dir("proxy");
    let port = common::free_port();
    let mut conf = format!(
        "efis:\n  listen: 127.0.0.1:{port}\n  hash: murmur\n  distribution: ketama\n  redis: true\n  \
         timeout: 2000\n  auto_eject_hosts: true\n  server_retry_timeout: 3000\n  server_failure_limit: 2\n  servers:\n"
    );
    for (i, node) in nodes.iter().enumerate() {
        conf.push_str(&format!("   - 127.0.0.1:{}:1 node{}\n", node.port, i + 1));
    }
    let conf_path = root.join("nutcracker.yml");
    fs::write(&conf_path, conf).unwrap();
    let child = Command::new(binary)
        .arg("-c")
        .arg(&conf_path)
        .args(["-s", &common::free_port().to_string(), "-a", "127.0.0.1"])
        .arg("-o")
        .arg(root.join("nutcracker.log"))
        .arg("-p")
        .arg(root.join("nutcracker.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nutcracker");
    let proxy = Proxy { child, port, root };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nutcracker did not listen");
        thread::sleep(Duration::from_millis(20));
    }
    proxy
}

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream
}

/// One command through a connection; a closed connection is reopened and
/// reported as an empty reply.
fn call(stream: &mut TcpStream, port: u16, args: &[&str]) -> Vec<u8> {
    common::send(stream, &resp(args));
    match common::try_read_reply(stream) {
        Ok(reply) if !reply.is_empty() => reply,
        _ => {
            *stream = connect(port);
            Vec::new()
        }
    }
}

fn bulk(value: &str) -> Vec<u8> {
    format!("${}\r\n{value}\r\n", value.len()).into_bytes()
}

fn dbsize(node: &Server) -> i64 {
    let mut stream = connect(node.port);
    let reply = call(&mut stream, node.port, &["DBSIZE"]);
    String::from_utf8_lossy(&reply[1..]).trim().parse().unwrap()
}

#[test]
fn three_nodes_behind_twemproxy() {
    if common::is_redis() {
        return;
    }
    let Some(binary) = needs::tool(Need::Nutcracker) else { return };
    let mut nodes = [Server::start(), Server::start(), Server::start()];
    let proxy = start_proxy(&binary, &nodes.iter().collect::<Vec<_>>());
    let mut con = connect(proxy.port);

    // A workload through the proxy: strings, counters, collections, TTLs.
    let keys: Vec<String> = (0..300).map(|i| format!("user:{i}")).collect();
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(call(&mut con, proxy.port, &["SET", key, &format!("v{i}")]), b"+OK\r\n");
    }
    assert_eq!(call(&mut con, proxy.port, &["INCRBY", "counter", "41"]), b":41\r\n");
    assert_eq!(call(&mut con, proxy.port, &["RPUSH", "queue", "a", "b"]), b":2\r\n");
    assert_eq!(call(&mut con, proxy.port, &["SADD", "tags", "x", "y"]), b":2\r\n");
    assert_eq!(call(&mut con, proxy.port, &["HSET", "profile", "name", "efis"]), b":1\r\n");
    assert_eq!(call(&mut con, proxy.port, &["ZADD", "board", "1.5", "m"]), b":1\r\n");
    assert_eq!(call(&mut con, proxy.port, &["EXPIRE", "user:0", "1000"]), b":1\r\n");
    // Multi-key commands are split by the proxy and the replies merged.
    assert_eq!(
        call(&mut con, proxy.port, &["MGET", "user:1", "user:2", "nothing"]),
        [&b"*3\r\n"[..], &bulk("v1"), &bulk("v2"), b"$-1\r\n"].concat()
    );
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(call(&mut con, proxy.port, &["GET", key]), bulk(&format!("v{i}")), "{key}");
    }

    // Consistent hashing spread the keys over all three nodes.
    let sizes: Vec<i64> = nodes.iter().map(dbsize).collect();
    assert!(sizes.iter().all(|&n| n > 10), "keys per node: {sizes:?}");
    assert_eq!(sizes.iter().sum::<i64>(), keys.len() as i64 + 5, "keys per node: {sizes:?}");

    // Node 2 crashes. After its failures the proxy ejects it, and every
    // request is served by the two others.
    let before = sizes[1];
    nodes[1].kill();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut all_served;
    loop {
        all_served = true;
        for i in 0..50 {
            let key = format!("after:{i}");
            let set = call(&mut con, proxy.port, &["SET", &key, "x"]);
            let get = call(&mut con, proxy.port, &["GET", &key]);
            if set != b"+OK\r\n" || get != bulk("x") {
                all_served = false;
            }
        }
        if all_served || Instant::now() > deadline {
            break;
        }
        thread::sleep(Duration::from_millis(200));
    }
    assert!(all_served, "the proxy did not eject the dead node and serve from the others");

    // Node 2 comes back from its own BACKUP_PATH with its data, and the
    // proxy takes it in again: every value reads back through the proxy.
    nodes[1].crash_restart();
    assert_eq!(dbsize(&nodes[1]), before, "node 2 lost data across kill -9");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let missing: Vec<&String> = keys
            .iter()
            .enumerate()
            .filter(|(i, key)| call(&mut con, proxy.port, &["GET", key]) != bulk(&format!("v{i}")))
            .map(|(_, key)| key)
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "{} keys not readable through the proxy: {missing:?}", missing.len());
        thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(call(&mut con, proxy.port, &["GET", "counter"]), bulk("41"));
    assert_eq!(
        call(&mut con, proxy.port, &["LRANGE", "queue", "0", "-1"]),
        [&b"*2\r\n"[..], &bulk("a"), &bulk("b")].concat()
    );
    assert_eq!(call(&mut con, proxy.port, &["HGET", "profile", "name"]), bulk("efis"));
}
