//! `CONFIG SET` of the TLS parameters: `tls-cert-file`, `tls-key-file`,
//! `tls-ca-cert-file`, `tls-auth-clients`, `tls-protocols` and
//! `tls-replication` (`tls-port` is fixed at start, as `port` is).
//!
//! While TLS is on, a change to the files or modes builds a whole new
//! rustls configuration from the files as they are now, before anything
//! is applied: if a file cannot be read the command fails with Redis's
//! "Unable to update TLS configuration" and nothing changes; otherwise
//! connections accepted from then on use the new configuration and open
//! ones keep theirs. This is how certificates are renewed without a
//! restart. While TLS is off the values are only stored, as in Redis.

use std::path::PathBuf;
use std::sync::Arc;

use log::warn;

use super::context::Ctx;
use crate::tls::{AuthClients, TlsSettings};

/// The settable TLS parameters.
pub const PARAMS: &[&str] =
    &["tls-cert-file", "tls-key-file", "tls-ca-cert-file", "tls-auth-clients", "tls-protocols", "tls-replication"];

/// Checks one value; the error is Redis's reason text.
pub fn validate(name: &str, value: &str) -> Result<(), String> {
    match name {
        "tls-auth-clients" if AuthClients::parse(value).is_none() => {
            Err("argument(s) must be one of the following: no, yes, optional".into())
        }
        "tls-replication" if !["yes", "no"].contains(&value.to_ascii_lowercase().as_str()) => {
            Err("argument must be 'yes' or 'no'".into())
        }
        _ => Ok(()),
    }
}

/// The settings with `changes` (validated `(name, value)` pairs of one
/// `CONFIG SET`) applied to the ones in force.
fn changed_settings(current: &TlsSettings, changes: &[(String, String)]) -> TlsSettings {
    let mut settings = current.clone();
    let path = |value: &str| (!value.is_empty()).then(|| PathBuf::from(value));
    for (name, value) in changes {
        match name.as_str() {
            "tls-cert-file" => settings.cert_file = path(value),
            "tls-key-file" => settings.key_file = path(value),
            "tls-ca-cert-file" => settings.ca_cert_file = path(value),
            "tls-auth-clients" => settings.auth_clients = AuthClients::parse(value).unwrap_or(AuthClients::Yes),
            "tls-protocols" => settings.protocols = value.clone(),
            _ => {}
        }
    }
    settings
}

/// Before a `CONFIG SET` applies anything: the new rustls configuration
/// its TLS changes call for, `None` when there is nothing to rebuild, or
/// the error naming the first TLS parameter given.
pub fn prepare(
    ctx: &Ctx<'_>,
    changes: &[(String, String)],
) -> Result<Option<Arc<rustls::ServerConfig>>, (String, String)> {
    let Some(first) = changes.iter().find(|(name, _)| PARAMS.contains(&name.as_str()) && name != "tls-replication")
    else {
        return Ok(None);
    };
    if ctx.server.tls.is_none() {
        return Ok(None);
    }
    match changed_settings(&ctx.server.config.tls, changes).server_config() {
        Ok(config) => Ok(Some(config)),
        Err(e) => {
            warn!("TLS configuration not updated: {e}");
            Err((first.0.clone(), "Unable to update TLS configuration. Check server logs.".into()))
        }
    }
}

/// Stores one validated value (after [`prepare`] succeeded); returns the
/// text `CONFIG GET` shows.
pub fn apply(ctx: &mut Ctx<'_>, name: &str, value: &str) -> String {
    let config = &mut ctx.server.config;
    let change = [(name.to_string(), value.to_string())];
    config.tls = changed_settings(&config.tls, &change);
    match name {
        "tls-auth-clients" => config.tls.auth_clients.name().to_string(),
        "tls-replication" => {
            config.tls_replication = value.eq_ignore_ascii_case("yes");
            value.to_ascii_lowercase()
        }
        _ => value.to_string(),
    }
}
