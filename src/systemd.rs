//! systemd service notifications: owns the `sd_notify` protocol, nothing
//! else.
//!
//! Under a `Type=notify` unit systemd passes the path of a Unix datagram
//! socket in `$NOTIFY_SOCKET` (a leading `@` names a socket in Linux's
//! abstract namespace). The server tells it `READY=1` (with `MAINPID`) once
//! it accepts connections and `STOPPING=1` when shutdown starts, one
//! datagram each. Without the variable, or if sending fails, nothing
//! happens: a failure is logged at debug level and otherwise ignored, so a
//! missing or broken notification socket never stops the server.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixDatagram;
use std::path::Path;

use log::debug;

/// The environment variable systemd sets for `Type=notify` services.
pub const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";

/// Tells systemd the server accepts connections.
pub fn notify_ready() {
    notify(&format!("READY=1\nMAINPID={}\n", std::process::id()));
}

/// Tells systemd the server has started shutting down.
pub fn notify_stopping() {
    notify("STOPPING=1\n");
}

/// Sends `state` (newline-separated `KEY=value` assignments) to
/// `$NOTIFY_SOCKET`, if set. Failures are logged at debug and ignored.
pub fn notify(state: &str) {
    let Some(socket) = std::env::var_os(NOTIFY_SOCKET) else { return };
    if socket.is_empty() {
        return;
    }
    if let Err(e) = send(&socket, state) {
        debug!("systemd notification {:?} to {}: {e}", state.trim_end(), socket.to_string_lossy());
    }
}

/// Sends one datagram holding `state` to the socket named by `socket`: a
/// filesystem path, or an abstract name when it starts with `@`.
pub fn send(socket: &OsStr, state: &str) -> io::Result<()> {
    let sock = UnixDatagram::unbound()?;
    let sent = match socket.as_bytes().strip_prefix(b"@") {
        Some(name) => send_abstract(&sock, name, state.as_bytes())?,
        None => sock.send_to(state.as_bytes(), Path::new(socket))?,
    };
    if sent != state.len() {
        return Err(io::Error::new(io::ErrorKind::WriteZero, format!("sent {sent} of {} bytes", state.len())));
    }
    Ok(())
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn send_abstract(sock: &UnixDatagram, name: &[u8], bytes: &[u8]) -> io::Result<usize> {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
    sock.send_to_addr(bytes, &addr)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn send_abstract(_sock: &UnixDatagram, _name: &[u8], _bytes: &[u8]) -> io::Result<usize> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "abstract socket names need Linux"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn receive(sock: &UnixDatagram) -> String {
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 256];
        let n = sock.recv(&mut buf).expect("datagram");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn sends_to_a_path() {
        let dir = std::env::temp_dir().join(format!("efis-sd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&path);
        let sock = UnixDatagram::bind(&path).unwrap();
        send(path.as_os_str(), "READY=1\n").unwrap();
        assert_eq!(receive(&sock), "READY=1\n");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn sends_to_an_abstract_name() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("efis-sd-test-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let sock = UnixDatagram::bind_addr(&addr).unwrap();
        send(OsStr::new(&format!("@{name}")), "STOPPING=1\n").unwrap();
        assert_eq!(receive(&sock), "STOPPING=1\n");
    }

    #[test]
    fn a_missing_socket_is_an_error() {
        let path = std::env::temp_dir().join(format!("efis-sd-missing-{}.sock", std::process::id()));
        assert!(send(path.as_os_str(), "READY=1\n").is_err());
    }
}
