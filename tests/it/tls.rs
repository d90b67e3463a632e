//! TLS on its own port: `redis-cli --tls`, redis-py with `ssl=True`, Efis's
//! own TLS client (`efis::tls::connect`, which `efis ping` and `efis
//! backup` use), client certificates required, optional or not asked, a
//! plain-text client on the TLS port, certificates reloaded by `CONFIG
//! SET`, and the `tls-*` parameters. Each test makes its certificates with
//! `openssl` (skipped, as `needs openssl`, without it) and runs against
//! redis-server with TLS too (`EFIS_TEST_SERVER=redis`), except where Efis
//! alone is meant.

use std::fs;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use efis::tls::{connect, ClientStream, ClientTls};

use crate::common::needs::{self, Need};
use crate::common::{
    cmd, efis_bin, free_port, fresh_temp_dir, is_redis, output_within, read_until_closed, run_python_check, Server,
    Value, READ_TIMEOUT,
};

/// Certificates for one test, made with `openssl` in a fresh directory
/// (removed on drop): two CAs, `ca` and `other-ca`; a server certificate
/// for 127.0.0.1 and localhost from each (`server`, `server2`); a client
/// certificate from `ca` (`client`) and one from `other-ca` (`stranger`).
struct Certs {
    dir: PathBuf,
}

impl Certs {
    /// `None` (the test skipped) without `openssl`.
    #[track_caller]
    fn make() -> Option<Certs> {
        let openssl = needs::tool(Need::Openssl)?;
        let certs = Certs { dir: fresh_temp_dir("tls") };
        let run = |args: &[&str]| {
            let out = Command::new(&openssl).args(args).current_dir(&certs.dir).output().expect("run openssl");
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        for ca in ["ca", "other-ca"] {
            let (key, crt, subject) = (format!("{ca}.key"), format!("{ca}.crt"), format!("/CN=Efis test {ca}"));
            run(&[&["req", "-x509"][..], &ec, &["-keyout", &key, "-out", &crt, "-days", "2", "-subj", &subject]]
                .concat());
        }
        fs::write(
            certs.dir.join("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
        )
        .expect("write server.ext");
        fs::write(certs.dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").expect("write client.ext");
        for (name, ca, ext) in [
            ("server", "ca", "server"),
            ("server2", "other-ca", "server"),
            ("client", "ca", "client"),
            ("stranger", "other-ca", "client"),
        ] {
            let (key, csr, crt) = (format!("{name}.key"), format!("{name}.csr"), format!("{name}.crt"));
            run(&[&["req"][..], &ec, &["-keyout", &key, "-out", &csr, "-subj", &format!("/CN={name}")]].concat());
            let (ca_crt, ca_key, ext) = (format!("{ca}.crt"), format!("{ca}.key"), format!("{ext}.ext"));
            run(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &ca_crt,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                &ext,
            ]);
        }
        Some(certs)
    }

    fn path(&self, file: &str) -> String {
        self.dir.join(file).display().to_string()
    }

    /// A client trusting `ca`, showing the certificate `cert` (with its
    /// key) or none.
    fn client(&self, ca: &str, cert: Option<&str>) -> ClientTls {
        ClientTls {
            ca_cert_file: Some(self.dir.join(format!("{ca}.crt"))),
            cert_file: cert.map(|c| self.dir.join(format!("{c}.crt"))),
            key_file: cert.map(|c| self.dir.join(format!("{c}.key"))),
        }
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A server with a TLS port beside its plain one (which the harness and
/// `cmd` use), serving `server.crt`, checking clients against `ca.crt`
/// as `auth` (`yes`, `optional`, `no`) says. Returns it and the TLS port.
fn start_tls(certs: &Certs, auth: &str) -> (Server, u16) {
    let tls_port = free_port();
    let server = Server::start_with(&[
        ("TLS_PORT", &tls_port.to_string()),
        ("TLS_CERT_FILE", &certs.path("server.crt")),
        ("TLS_KEY_FILE", &certs.path("server.key")),
        ("TLS_CA_CERT_FILE", &certs.path("ca.crt")),
        ("TLS_AUTH_CLIENTS", auth),
        ("LOG_LEVEL", "debug"),
    ]);
    (server, tls_port)
}

/// A TLS connection to 127.0.0.1:`port` with a read timeout.
fn tls_connect(port: u16, client: &ClientTls) -> io::Result<ClientStream> {
    let stream = connect("127.0.0.1", port, Some(client))?;
    stream.tcp().set_read_timeout(Some(READ_TIMEOUT))?;
    Ok(stream)
}

/// Sends `request` and reads exactly as many bytes as `expected` has.
fn exchange(stream: &mut ClientStream, request: &[u8], expected: &[u8]) -> io::Result<Vec<u8>> {
    stream.write_all(request)?;
    stream.flush()?;
    let mut reply = vec![0; expected.len()];
    stream.read_exact(&mut reply)?;
    Ok(reply)
}

/// Whether a client gets `+PONG` over TLS; a refused handshake (at
/// connect, or as an alert on the first read) or a closed connection is
/// `false`.
fn pongs(port: u16, client: &ClientTls) -> bool {
    let Ok(mut stream) = tls_connect(port, client) else { return false };
    exchange(&mut stream, b"PING\r\n", b"+PONG\r\n").is_ok_and(|reply| reply == b"+PONG\r\n")
}

#[test]
fn redis_cli_over_tls() {
    let Some(certs) = Certs::make() else { return };
    let Some(redis_cli) = needs::tool(Need::RedisCli) else { return };
    let (server, tls_port) = start_tls(&certs, "yes");
    let cli = |args: &[&str]| {
        let tls_args = ["--tls", "--cacert", &certs.path("ca.crt"), "--cert", &certs.path("client.crt")];
        let child = Command::new(&redis_cli)
            .args(["-p", &tls_port.to_string()])
            .args(tls_args)
            .args(["--key", &certs.path("client.key")])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run redis-cli");
        let out = output_within(child, Duration::from_secs(20), "redis-cli --tls");
        assert!(out.status.success(), "redis-cli {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(cli(&["SET", "greeting", "hello over tls"]), "OK\n");
    assert_eq!(cli(&["GET", "greeting"]), "hello over tls\n");
    assert_eq!(cli(&["RPUSH", "list", "a", "b", "c"]), "3\n");
    assert_eq!(cli(&["LRANGE", "list", "0", "-1"]), "a\nb\nc\n");
    // The same data through the plain port: one keyspace.
    let mut con = server.client();
    assert_eq!(cmd(&mut con, &["GET", "greeting"]).unwrap(), Value::BulkString(b"hello over tls".to_vec()));
}

#[test]
fn redis_py_with_ssl() {
    let Some(certs) = Certs::make() else { return };
    let Some(python) = needs::tool(Need::RedisPy) else { return };
    let (_server, tls_port) = start_tls(&certs, "yes");
    let (port, ca, cert, key) =
        (tls_port.to_string(), certs.path("ca.crt"), certs.path("client.crt"), certs.path("client.key"));
    let out = run_python_check(&python, "tls_check.py", &[&port, &ca, &cert, &key], "tls_check.py");
    assert!(
        out.status.success(),
        "tls_check.py failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn client_certificates_required() {
    let Some(certs) = Certs::make() else { return };
    let (_server, tls_port) = start_tls(&certs, "yes");
    assert!(pongs(tls_port, &certs.client("ca", Some("client"))), "a certificate the CA signed is accepted");
    assert!(!pongs(tls_port, &certs.client("ca", None)), "no certificate is refused");
    assert!(!pongs(tls_port, &certs.client("ca", Some("stranger"))), "another CA's certificate is refused");
    // The client checks the server too: a client trusting another CA
    // refuses the server's certificate.
    assert!(!pongs(tls_port, &certs.client("other-ca", Some("client"))));
    // Refused clients leave the server serving.
    let mut stream = tls_connect(tls_port, &certs.client("ca", Some("client"))).unwrap();
    let reply = exchange(&mut stream, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", b"+OK\r\n").unwrap();
    assert_eq!(reply, b"+OK\r\n");
    assert_eq!(exchange(&mut stream, b"GET k\r\n", b"$1\r\nv\r\n").unwrap(), b"$1\r\nv\r\n");
}

/// Replies far larger than rustls's buffer and the socket's, pipelined
/// without reading: the server writes as the socket takes them.
#[test]
fn large_pipelined_replies_over_tls() {
    let Some(certs) = Certs::make() else { return };
    let (_server, tls_port) = start_tls(&certs, "no");
    let mut stream = tls_connect(tls_port, &certs.client("ca", None)).unwrap();
    // 20 MiB through a debug build's TLS on a busy machine can take a while.
    stream.tcp().set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let value: Vec<u8> = (0..2 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let mut set = format!("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${}\r\n", value.len()).into_bytes();
    set.extend_from_slice(&value);
    set.extend_from_slice(b"\r\n");
    assert_eq!(exchange(&mut stream, &set, b"+OK\r\n").unwrap(), b"+OK\r\n");
    let gets = 10;
    stream.write_all(&b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(gets)).unwrap();
    let mut expected = format!("${}\r\n", value.len()).into_bytes();
    expected.extend_from_slice(&value);
    expected.extend_from_slice(b"\r\n");
    for i in 0..gets {
        let mut reply = vec![0; expected.len()];
        stream.read_exact(&mut reply).unwrap();
        assert!(reply == expected, "reply {i} differs");
    }
    assert_eq!(exchange(&mut stream, b"PING\r\n", b"+PONG\r\n").unwrap(), b"+PONG\r\n");
}

#[test]
fn client_certificates_optional_and_not_asked() {
    let Some(certs) = Certs::make() else { return };
    let (_server, tls_port) = start_tls(&certs, "optional");
    assert!(pongs(tls_port, &certs.client("ca", None)), "optional: no certificate is fine");
    assert!(pongs(tls_port, &certs.client("ca", Some("client"))), "optional: a signed one too");
    assert!(!pongs(tls_port, &certs.client("ca", Some("stranger"))), "optional: a bad one is refused");
    let (_server, tls_port) = start_tls(&certs, "no");
    assert!(pongs(tls_port, &certs.client("ca", None)), "no: no certificate is fine");
    assert!(pongs(tls_port, &certs.client("ca", Some("client"))), "no: one is not looked at");
}

#[test]
fn plain_text_on_the_tls_port_closes_only_that_connection() {
    let Some(certs) = Certs::make() else { return };
    let (server, tls_port) = start_tls(&certs, "yes");
    let mut before = tls_connect(tls_port, &certs.client("ca", Some("client"))).unwrap();
    assert_eq!(exchange(&mut before, b"PING\r\n", b"+PONG\r\n").unwrap(), b"+PONG\r\n");
    for request in [&b"PING\r\n"[..], b"*1\r\n$4\r\nPING\r\n", b"GET / HTTP/1.1\r\n\r\n"] {
        let mut plain = TcpStream::connect(("127.0.0.1", tls_port)).unwrap();
        plain.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        plain.write_all(request).unwrap();
        // At most a TLS alert comes back, never a reply, then the close.
        let answer = read_until_closed(&mut plain);
        assert!(!answer.windows(4).any(|w| w == b"PONG"), "{answer:?}");
        assert!(answer.is_empty() || answer[0] == 0x15, "not a TLS alert: {answer:?}");
    }
    // The TLS client from before, a new one and the plain port go on.
    assert_eq!(exchange(&mut before, b"PING\r\n", b"+PONG\r\n").unwrap(), b"+PONG\r\n");
    assert!(pongs(tls_port, &certs.client("ca", Some("client"))));
    assert_eq!(cmd(&mut server.client(), &["PING"]).unwrap(), Value::SimpleString("PONG".into()));
    if !is_redis() {
        let log = server.log();
        assert!(log.contains("TLS handshake with 127.0.0.1:"), "a debug line names the client and the failure:\n{log}");
    }
}

#[test]
fn certificates_reload_by_config_set() {
    let Some(certs) = Certs::make() else { return };
    let (server, tls_port) = start_tls(&certs, "no");
    let old_ca = certs.client("ca", None);
    let new_ca = certs.client("other-ca", None);
    let mut open = tls_connect(tls_port, &old_ca).unwrap();
    assert_eq!(exchange(&mut open, b"PING\r\n", b"+PONG\r\n").unwrap(), b"+PONG\r\n");
    let mut con = server.client();
    // server2's certificate is signed by the other CA.
    let (cert2, key2) = (certs.path("server2.crt"), certs.path("server2.key"));
    let set = cmd(&mut con, &["CONFIG", "SET", "tls-cert-file", &cert2, "tls-key-file", &key2]).unwrap();
    assert_eq!(set, Value::Okay);
    assert!(!pongs(tls_port, &old_ca), "new connections get the new certificate");
    assert!(pongs(tls_port, &new_ca));
    // The connection made before keeps its session.
    assert_eq!(exchange(&mut open, b"PING\r\n", b"+PONG\r\n").unwrap(), b"+PONG\r\n");
    let got = cmd(&mut con, &["CONFIG", "GET", "tls-cert-file"]).unwrap();
    assert_eq!(got, cmd(&mut con, &["CONFIG", "GET", "tls-cert-file"]).unwrap());
    assert!(format!("{got:?}").contains("server2.crt"), "{got:?}");
    // A file that cannot be read changes nothing.
    let missing = certs.path("missing.crt");
    let e = cmd(&mut con, &["CONFIG", "SET", "tls-cert-file", &missing]).unwrap_err();
    assert_eq!(
        crate::common::err_text(&e),
        "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. \
         Check server logs."
    );
    assert!(pongs(tls_port, &new_ca));
    assert!(format!("{:?}", cmd(&mut con, &["CONFIG", "GET", "tls-cert-file"]).unwrap()).contains("server2.crt"));
    // Back to the first certificate, and client certificates now required.
    let (cert, key) = (certs.path("server.crt"), certs.path("server.key"));
    let set =
        cmd(&mut con, &["CONFIG", "SET", "tls-cert-file", &cert, "tls-key-file", &key, "tls-auth-clients", "yes"]);
    assert_eq!(set.unwrap(), Value::Okay);
    assert!(!pongs(tls_port, &old_ca), "a client certificate is now required");
    assert!(pongs(tls_port, &certs.client("ca", Some("client"))));
    // Another CA for client certificates: its clients in, the first CA's out.
    let set = cmd(&mut con, &["CONFIG", "SET", "tls-ca-cert-file", &certs.path("other-ca.crt")]);
    assert_eq!(set.unwrap(), Value::Okay);
    assert!(pongs(tls_port, &certs.client("ca", Some("stranger"))));
    assert!(!pongs(tls_port, &certs.client("ca", Some("client"))));
}

/// Whether `openssl s_client` with `version` (`-tls1_2`, `-tls1_3`)
/// completes a handshake with 127.0.0.1:`port`.
fn handshakes(certs: &Certs, port: u16, version: &str) -> bool {
    let openssl = needs::tool(Need::Openssl).expect("openssl made the certificates");
    let connect = format!("127.0.0.1:{port}");
    let child = Command::new(openssl)
        .args(["s_client", "-connect", &connect, version, "-CAfile", &certs.path("ca.crt"), "-verify_return_error"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run openssl s_client");
    output_within(child, Duration::from_secs(20), "openssl s_client").status.success()
}

#[test]
fn tls_parameters() {
    let Some(certs) = Certs::make() else { return };
    let (server, tls_port) = start_tls(&certs, "optional");
    let mut con = server.client();
    let get = |con: &mut redis::Connection, name: &str| -> String {
        match cmd(con, &["CONFIG", "GET", name]).unwrap() {
            Value::Map(mut pairs) if pairs.len() == 1 => redis::from_redis_value(pairs.remove(0).1).unwrap(),
            Value::Array(mut items) if items.len() == 2 => redis::from_redis_value(items.remove(1)).unwrap(),
            other => panic!("CONFIG GET {name}: {other:?}"),
        }
    };
    assert_eq!(get(&mut con, "tls-port"), tls_port.to_string());
    assert_eq!(get(&mut con, "tls-auth-clients"), "optional");
    assert_eq!(get(&mut con, "tls-replication"), "no");
    assert_eq!(get(&mut con, "tls-ca-cert-file"), certs.path("ca.crt"));
    assert_eq!(get(&mut con, "tls-key-file"), certs.path("server.key"));
    assert_eq!(cmd(&mut con, &["CONFIG", "SET", "tls-auth-clients", "NO"]).unwrap(), Value::Okay);
    assert_eq!(get(&mut con, "tls-auth-clients"), "no");
    assert_eq!(cmd(&mut con, &["CONFIG", "SET", "tls-replication", "yes"]).unwrap(), Value::Okay);
    assert_eq!(get(&mut con, "tls-replication"), "yes");
    for (name, value, why) in [
        ("tls-auth-clients", "maybe", "argument(s) must be one of the following: no, yes, optional"),
        ("tls-replication", "sometimes", "argument must be 'yes' or 'no'"),
    ] {
        let e = cmd(&mut con, &["CONFIG", "SET", name, value]).unwrap_err();
        let expected = format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}");
        assert_eq!(crate::common::err_text(&e), expected);
    }
    assert!(pongs(tls_port, &certs.client("ca", None)), "tls-auth-clients no holds for new connections");
    // TLS versions: both by default, then TLS 1.3 alone.
    assert!(handshakes(&certs, tls_port, "-tls1_2") && handshakes(&certs, tls_port, "-tls1_3"));
    assert_eq!(cmd(&mut con, &["CONFIG", "SET", "tls-protocols", "TLSv1.3"]).unwrap(), Value::Okay);
    assert_eq!(get(&mut con, "tls-protocols"), "TLSv1.3");
    assert!(!handshakes(&certs, tls_port, "-tls1_2"), "TLS 1.2 is no longer offered");
    assert!(handshakes(&certs, tls_port, "-tls1_3"));
}

/// `efis ping` (the container's health check) and `efis backup` over TLS.
#[test]
fn efis_ping_and_backup_over_tls() {
    let Some(certs) = Certs::make() else { return };
    let (server, tls_port) = start_tls(&certs, "yes");
    let efis = |args: &[&str], env: &[(&str, String)]| {
        let mut command = Command::new(efis_bin());
        command.args(args).env_remove("TLS_PORT").env_remove("PORT").env_remove("REQUIREPASS");
        for var in ["TLS_CA_CERT_FILE", "TLS_CERT_FILE", "TLS_KEY_FILE"] {
            command.env_remove(var);
        }
        command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
        command.output().expect("run efis")
    };
    let port = tls_port.to_string();
    let (ca, cert, key) = (certs.path("ca.crt"), certs.path("client.crt"), certs.path("client.key"));
    let flags = ["ping", "--port", &port, "--cacert", &ca, "--cert", &cert, "--key", &key];
    let out = efis(&flags, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "PONG\n");
    // As the health check runs it: the server's own environment.
    let env = [
        ("TLS_PORT", port.clone()),
        ("TLS_CA_CERT_FILE", ca.clone()),
        ("TLS_CERT_FILE", cert.clone()),
        ("TLS_KEY_FILE", key.clone()),
    ];
    assert!(efis(&["ping"], &env).status.success());
    // Without a client certificate the server refuses it.
    assert!(!efis(&["ping", "--port", &port, "--cacert", &ca], &[]).status.success());
    // Plain PING on the TLS port fails; on the plain port it works.
    assert!(!efis(&["ping", "--port", &port], &[]).status.success());
    assert!(efis(&["ping", "--port", &server.port.to_string()], &env).status.success());
    if is_redis() {
        return; // SYNC is Efis's snapshot pull; Redis answers it as a replica's sync.
    }
    let dir = fresh_temp_dir("tls-backup");
    let dir_text = dir.display().to_string();
    let mut con = server.client();
    cmd(&mut con, &["SET", "kept", "over tls"]).unwrap();
    let out = efis(&["backup", "--port", &port, "--dir", &dir_text, "--tls"], &env[1..]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let files: Vec<PathBuf> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(contains(&files[0], b"over tls"));
    let _ = fs::remove_dir_all(&dir);
}

/// While a script runs long, TLS clients are served as plain ones are:
/// `-BUSY`, a handshake that starts meanwhile completes, and `SCRIPT
/// KILL` over TLS stops the script.
#[test]
fn tls_clients_while_a_script_runs_long() {
    const BUSY: &[u8] = b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
    let Some(certs) = Certs::make() else { return };
    let (server, tls_port) = start_tls(&certs, "no");
    let client = certs.client("ca", None);
    let mut con = server.client();
    assert_eq!(cmd(&mut con, &["CONFIG", "SET", "busy-reply-threshold", "200"]).unwrap(), Value::Okay);
    let mut before = tls_connect(tls_port, &client).unwrap();
    let mut runner = server.raw();
    runner.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    runner.write_all(b"*3\r\n$4\r\nEVAL\r\n$17\r\nwhile true do end\r\n$1\r\n0\r\n").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mut reply = vec![0; 7];
        before.write_all(b"PING\r\n").unwrap();
        before.read_exact(&mut reply).unwrap();
        if reply == b"+PONG\r\n" {
            assert!(std::time::Instant::now() < deadline, "the script did not make the server busy");
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        let mut rest = vec![0; BUSY.len() - 7];
        before.read_exact(&mut rest).unwrap();
        assert_eq!([reply, rest].concat(), BUSY);
        break;
    }
    let mut late = tls_connect(tls_port, &client).unwrap();
    assert_eq!(exchange(&mut late, b"PING\r\n", BUSY).unwrap(), BUSY);
    assert_eq!(exchange(&mut late, b"SCRIPT KILL\r\n", b"+OK\r\n").unwrap(), b"+OK\r\n");
    let killed = one_reply_line(&mut runner);
    assert!(killed.starts_with("-ERR Script killed by user with SCRIPT KILL..."), "{killed}");
    assert_eq!(exchange(&mut before, b"PING\r\n", b"+PONG\r\n").unwrap(), b"+PONG\r\n");
}

/// One reply line from a raw connection.
fn one_reply_line(stream: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") && stream.read(&mut byte).unwrap() == 1 {
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line).into_owned()
}

/// `PORT=0` with a TLS port serves TLS alone; unreadable certificates stop
/// the start as a bad setting does (exit 2, naming the file).
#[test]
fn tls_only_and_bad_certificates_at_start() {
    if is_redis() {
        return; // Efis's start-up; the bench runs redis-server with --port 0 too.
    }
    let Some(certs) = Certs::make() else { return };
    let data = fresh_temp_dir("tls-only");
    let tls_port = free_port();
    let start = |cert: &str| {
        let mut command = Command::new(efis_bin());
        command
            .env("PORT", "0")
            .env("TLS_PORT", tls_port.to_string())
            .env("TLS_CERT_FILE", cert)
            .env("TLS_KEY_FILE", certs.path("server.key"))
            .env("TLS_CA_CERT_FILE", certs.path("ca.crt"))
            .env("BACKUP_PATH", &data)
            .env("LOG_LEVEL", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command.spawn().expect("start efis")
    };
    let missing = certs.path("missing.crt");
    let out = output_within(start(&missing), Duration::from_secs(20), "efis with a missing certificate");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.crt"), "{stderr}");
    let mut child = start(&certs.path("server.crt"));
    let client = certs.client("ca", Some("client"));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !pongs(tls_port, &client) {
        assert!(std::time::Instant::now() < deadline, "no PONG over TLS");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut plain = TcpStream::connect(("127.0.0.1", tls_port)).unwrap();
    plain.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    plain.write_all(b"PING\r\n").unwrap();
    assert!(!read_until_closed(&mut plain).windows(4).any(|w| w == b"PONG"));
    let mut stream = tls_connect(tls_port, &client).unwrap();
    let info = b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n";
    stream.write_all(info).unwrap();
    let mut text = vec![0; 4096];
    let n = stream.read(&mut text).unwrap();
    assert!(String::from_utf8_lossy(&text[..n]).contains("tcp_port:0\r\n"), "INFO shows no plain port");
    let _ = child.kill();
    let _ = child.wait();
    let _ = fs::remove_dir_all(&data);
}

fn contains(file: &Path, needle: &[u8]) -> bool {
    fs::read(file).unwrap().windows(needle.len()).any(|w| w == needle)
}

/// A replica with `tls-replication yes` and its own certificate, to
/// `ca`'s trust.
fn tls_replica(certs: &Certs, cert: &str, ca: &str) -> Server {
    Server::start_with(&[
        ("TLS_REPLICATION", "yes"),
        ("TLS_CERT_FILE", &certs.path(&format!("{cert}.crt"))),
        ("TLS_KEY_FILE", &certs.path(&format!("{cert}.key"))),
        ("TLS_CA_CERT_FILE", &certs.path(&format!("{ca}.crt"))),
        ("LOG_LEVEL", "debug"),
    ])
}

/// `tls-replication yes`: a replica reaches its primary's TLS port over
/// TLS, showing its own certificate (the primary requires one), and
/// follows the full resynchronization and the stream after it; a replica
/// whose CA did not sign the primary's certificate never gets its link up.
#[test]
fn replication_over_tls() {
    let Some(certs) = Certs::make() else { return };
    let (primary, primary_tls) = start_tls(&certs, "yes");
    crate::replication::quick_primary(&primary);
    let mut p = primary.client();
    assert_eq!(cmd(&mut p, &["SET", "before", "the sync"]).unwrap(), Value::Okay);

    let replica = tls_replica(&certs, "server", "ca");
    let mut r = replica.client();
    assert_eq!(cmd(&mut r, &["REPLICAOF", "127.0.0.1", &primary_tls.to_string()]).unwrap(), Value::Okay);
    crate::replication::wait_link_up(&replica);
    assert_eq!(cmd(&mut p, &["SET", "after", "the sync"]).unwrap(), Value::Okay);
    crate::replication::wait_caught_up(&replica, &primary);
    assert_eq!(cmd(&mut r, &["GET", "before"]).unwrap(), Value::BulkString(b"the sync".to_vec()));
    assert_eq!(cmd(&mut r, &["GET", "after"]).unwrap(), Value::BulkString(b"the sync".to_vec()));

    let stranger = tls_replica(&certs, "server2", "other-ca");
    let mut s = stranger.client();
    assert_eq!(cmd(&mut s, &["REPLICAOF", "127.0.0.1", &primary_tls.to_string()]).unwrap(), Value::Okay);
    std::thread::sleep(Duration::from_secs(2));
    let status = crate::replication::info_field(&stranger, "replication", "master_link_status");
    assert_eq!(status.as_deref(), Some("down"), "a primary signed by another CA is not followed");
    assert_eq!(cmd(&mut s, &["GET", "before"]).unwrap(), Value::Nil);
}
