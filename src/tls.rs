//! TLS with rustls (its `ring` crypto provider): the settings Redis names
//! `tls-*`, the server's rustls configuration built from them, and the
//! client side that `efis ping` and `efis backup` use.
//!
//! * [`TlsSettings`]: certificate, key and CA files, whether clients must
//!   show a certificate ([`AuthClients`]), the protocol versions. The
//!   loop accepts TLS connections with the [`ServerConfig`] that
//!   [`TlsSettings::server_config`] builds; `CONFIG SET tls-cert-file`
//!   (and the other file and mode parameters) builds a new one, which
//!   connections accepted from then on use, while the open ones keep
//!   theirs.
//! * [`connect`]: a blocking client stream, plain or TLS, for the
//!   operator's tools.
//!
//! PEM files are read with `rustls-pki-types`' own PEM parser. The
//! connection-level I/O of the event loop is in `server::tls`.
//!
//! # Invariants
//!
//! * Loading never leaves half a configuration: a bad file is an error
//!   naming it, and the configuration in use stays as it was.
//! * Only TLS 1.2 and 1.3 exist here (rustls has no older versions);
//!   `tls-protocols` naming `TLSv1` or `TLSv1.1` is refused.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, StreamOwned, SupportedProtocolVersion};

/// `tls-auth-clients`: whether a client must show a certificate signed by
/// the CA (`yes`, Redis's default), may (`optional`) or is not asked (`no`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthClients {
    Yes,
    No,
    Optional,
}

impl AuthClients {
    pub fn parse(text: &str) -> Option<AuthClients> {
        match text.to_ascii_lowercase().as_str() {
            "yes" => Some(AuthClients::Yes),
            "no" => Some(AuthClients::No),
            "optional" => Some(AuthClients::Optional),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            AuthClients::Yes => "yes",
            AuthClients::No => "no",
            AuthClients::Optional => "optional",
        }
    }
}

/// The server's TLS settings (`TLS_*` / `tls-*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub ca_cert_file: Option<PathBuf>,
    pub auth_clients: AuthClients,
    /// `tls-protocols` as given ("TLSv1.2 TLSv1.3"); empty for both.
    pub protocols: String,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            cert_file: None,
            key_file: None,
            ca_cert_file: None,
            auth_clients: AuthClients::Yes,
            protocols: String::new(),
        }
    }
}

/// The crypto provider every configuration here is built with: `ring`
/// (README, "Security": it builds with only a C compiler). rustls marks
/// its constructor deprecated because `ring` has no post-quantum key
/// exchange; X25519 and the NIST curves it offers are what Redis's
/// OpenSSL offers too.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The versions a `tls-protocols` value names (case-insensitive, space
/// separated); an empty value means TLS 1.2 and 1.3.
pub fn parse_protocols(text: &str) -> Result<Vec<&'static SupportedProtocolVersion>, String> {
    let mut versions = Vec::new();
    for word in text.split_ascii_whitespace() {
        let version = match word.to_ascii_lowercase().as_str() {
            "tlsv1.2" => &rustls::version::TLS12,
            "tlsv1.3" => &rustls::version::TLS13,
            "tlsv1" | "tlsv1.1" => return Err(format!("{word} is not supported (only TLSv1.2 and TLSv1.3)")),
            _ => return Err(format!("unknown protocol '{word}' (expected TLSv1.2 and/or TLSv1.3)")),
        };
        if !versions.contains(&version) {
            versions.push(version);
        }
    }
    if versions.is_empty() {
        versions = vec![&rustls::version::TLS13, &rustls::version::TLS12];
    }
    Ok(versions)
}

/// Every certificate in a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("no certificate in {}", path.display()));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| format!("cannot read a private key from {}: {e}", path.display()))
}

/// The CA certificates of a PEM file as a trust store.
fn load_roots(path: &Path) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots.add(cert).map_err(|e| format!("bad CA certificate in {}: {e}", path.display()))?;
    }
    Ok(roots)
}

impl TlsSettings {
    /// Builds the server's rustls configuration: reads the certificate,
    /// key and (unless clients are not asked for certificates) CA files.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, String> {
        let cert_file = self.cert_file.as_deref().ok_or("TLS needs a certificate (TLS_CERT_FILE, tls-cert-file)")?;
        let key_file = self.key_file.as_deref().ok_or("TLS needs a private key (TLS_KEY_FILE, tls-key-file)")?;
        let certs = load_certs(cert_file)?;
        let key = load_key(key_file)?;
        let builder = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&parse_protocols(&self.protocols)?)
            .map_err(|e| format!("TLS protocols: {e}"))?;
        let builder = match self.auth_clients {
            AuthClients::No => builder.with_no_client_auth(),
            auth => {
                let ca_file = self.ca_cert_file.as_deref().ok_or(
                    "checking client certificates (TLS_AUTH_CLIENTS yes or optional) needs a CA (TLS_CA_CERT_FILE, \
                     tls-ca-cert-file)",
                )?;
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(load_roots(ca_file)?), provider());
                let verifier = if auth == AuthClients::Optional { verifier.allow_unauthenticated() } else { verifier };
                builder.with_client_cert_verifier(verifier.build().map_err(|e| format!("client verifier: {e}"))?)
            }
        };
        let config = builder.with_single_cert(certs, key).map_err(|e| {
            format!("{} and {} do not make a certificate: {e}", cert_file.display(), key_file.display())
        })?;
        Ok(Arc::new(config))
    }

    /// The client configuration of a replica's link to its primary
    /// (`tls-replication yes`): the primary's certificate checked against
    /// `tls-ca-cert-file`, this server's own certificate and key offered
    /// as the client certificate, as Redis's replicas do.
    pub fn replication_config(&self) -> Result<Arc<ClientConfig>, String> {
        let client = ClientTls {
            ca_cert_file: self.ca_cert_file.clone(),
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
        };
        client.client_config()
    }
}

/// How a tool connects: the CA that signs the server's certificate, and
/// the client's own certificate and key when the server asks for one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientTls {
    pub ca_cert_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

impl ClientTls {
    /// The client side as the server's own environment describes it
    /// (`TLS_CA_CERT_FILE`, and `TLS_CERT_FILE`/`TLS_KEY_FILE` as the
    /// client certificate, as Redis's replicas use theirs): how the
    /// container's health check reaches its own server.
    pub fn from_env() -> ClientTls {
        let path = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        ClientTls {
            ca_cert_file: path("TLS_CA_CERT_FILE"),
            cert_file: path("TLS_CERT_FILE"),
            key_file: path("TLS_KEY_FILE"),
        }
    }

    /// Reads a TLS flag of a tool at `args[i]` (`--tls`, or `--cacert`,
    /// `--cert`, `--key` with a file, as `redis-cli` names them; each
    /// asks for TLS). Returns how many arguments it took, 0 if `args[i]`
    /// is not one of them.
    pub fn parse_flag(&mut self, wants_tls: &mut bool, args: &[String], i: usize) -> Result<usize, String> {
        let file = || args.get(i + 1).map(PathBuf::from).ok_or_else(|| format!("option '{}' needs a value", args[i]));
        let slot = match args[i].as_str() {
            "--tls" => {
                *wants_tls = true;
                return Ok(1);
            }
            "--cacert" => &mut self.ca_cert_file,
            "--cert" => &mut self.cert_file,
            "--key" => &mut self.key_file,
            _ => return Ok(0),
        };
        *slot = Some(file()?);
        *wants_tls = true;
        Ok(2)
    }

    fn client_config(&self) -> Result<Arc<ClientConfig>, String> {
        let ca_file =
            self.ca_cert_file.as_deref().ok_or("TLS needs the CA certificate (--cacert or TLS_CA_CERT_FILE)")?;
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(load_roots(ca_file)?);
        let config = match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => builder
                .with_client_auth_cert(load_certs(cert)?, load_key(key)?)
                .map_err(|e| format!("client certificate: {e}"))?,
            _ => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }
}

/// A blocking connection of a tool: plain TCP or TLS over it.
pub enum ClientStream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl ClientStream {
    /// The TCP socket underneath (for timeouts).
    pub fn tcp(&self) -> &TcpStream {
        match self {
            ClientStream::Plain(stream) => stream,
            ClientStream::Tls(stream) => stream.get_ref(),
        }
    }
}

impl Read for ClientStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ClientStream::Plain(stream) => stream.read(buf),
            ClientStream::Tls(stream) => stream.read(buf),
        }
    }
}

impl Write for ClientStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            ClientStream::Plain(stream) => stream.write(buf),
            ClientStream::Tls(stream) => stream.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            ClientStream::Plain(stream) => stream.flush(),
            ClientStream::Tls(stream) => stream.flush(),
        }
    }
}

/// Connects to `host:port`, over TLS when `tls` is given (the server's
/// name checked against its certificate is `host`, a name or an address).
pub fn connect(host: &str, port: u16, tls: Option<&ClientTls>) -> io::Result<ClientStream> {
    let stream = TcpStream::connect((host, port))?;
    let Some(tls) = tls else { return Ok(ClientStream::Plain(stream)) };
    let config = tls.client_config().map_err(io::Error::other)?;
    let name = ServerName::try_from(host.to_string()).map_err(|e| io::Error::other(format!("{host}: {e}")))?;
    let session = ClientConnection::new(config, name).map_err(io::Error::other)?;
    let mut stream = StreamOwned::new(session, stream);
    // The handshake now, so that a refused certificate is reported as such.
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(ClientStream::Tls(Box::new(stream)))
}
