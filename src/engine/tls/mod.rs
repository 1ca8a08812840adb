//! TLS over the engine's TCP connections (rustls with the `ring` provider): what a session asks for
//! ([`TlsConnect`] for connections it makes, [`TlsAccept`] for connections it accepts), what the log shows
//! of a handshake ([`TlsInfo`], [`CertSummary`]), and why one failed ([`TlsFailure`]).
//!
//! The choice is made per connection: [`Endpoint`] is built once per session from the configuration and
//! handed to each [`super::conn::Conn`], which runs plain TCP or [`link::TlsLink`] over the same
//! non-blocking socket in the session's one readiness loop. A mode that both accepts and connects (a relay)
//! gives each side its own endpoint.

mod cert;
mod failure;
mod kept;
pub(crate) mod link;
mod verify;
pub(crate) mod wire;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

pub use cert::{CertSummary, SelfSigned, self_signed};
pub use failure::{FileProblem, TlsFailure};
pub(crate) use kept::kept_file;
pub use kept::{Expiry, KeptProblem};

/// TLS on the connections a session makes (the TCP client's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConnect {
    /// How the server's certificate is checked.
    pub verify: TlsVerify,
    /// The name sent as SNI and checked against the certificate; `None` for the host as typed. An IP
    /// address is sent no SNI (TLS allows only names there) and is checked against the certificate's IP
    /// addresses.
    pub server_name: Option<String>,
}

/// How a TLS client checks the server's certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsVerify {
    /// Against the system's trusted root certificates, and the name.
    SystemRoots,
    /// Against the CA certificates in this PEM file (a private CA, a device maker's), and the name.
    CaFile(PathBuf),
    /// Not at all: any certificate is accepted (for devices with self-signed ones); the handshake is still
    /// checked to be made with the certificate's key, and the certificate is still shown.
    AcceptAny,
}

/// TLS on the connections a session accepts (the TCP server's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsAccept {
    /// The certificate the server presents.
    pub identity: TlsIdentity,
    /// How long an accepted client has to finish the handshake: one that stays silent (a plain TCP
    /// client waiting for us to speak first) or stops half-way is then closed with
    /// [`TlsFailure::HandshakeTimedOut`] instead of staying connected until it goes away.
    /// [`ACCEPT_HANDSHAKE_TIMEOUT`] by default.
    pub handshake_timeout: Duration,
}

impl TlsConnect {
    /// Checks, before a session opens, what opening it would: the CA file is read, the server name
    /// (or `host`, as typed) is one TLS can check, the system's roots load.
    pub fn check(&self, host: &str) -> Result<(), TlsFailure> {
        Endpoint::client(self, host).map(drop)
    }
}

/// How long an accepted client has to finish the TLS handshake unless a session says otherwise: long
/// enough for a slow device on a slow link (a handshake is a few kilobytes and two round trips), short
/// enough that a plain client is told about within seconds.
pub const ACCEPT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

impl TlsAccept {
    /// TLS presenting `identity`, with [`ACCEPT_HANDSHAKE_TIMEOUT`] for each client's handshake.
    #[must_use]
    pub fn new(identity: TlsIdentity) -> Self {
        Self {
            identity,
            handshake_timeout: ACCEPT_HANDSHAKE_TIMEOUT,
        }
    }

    /// Checks, before a session opens, the certificate and key files it would read: they exist, are
    /// PEM, and the key belongs to the certificate. A self-signed certificate still to be made is not
    /// made here (and cannot fail but for a folder it cannot be written to, which opening reports).
    pub fn check(&self) -> Result<(), TlsFailure> {
        match &self.identity {
            TlsIdentity::SelfSigned { save: None } => Ok(()),
            TlsIdentity::SelfSigned {
                save: Some((cert, key)),
            } if !(cert.exists() || key.exists()) => Ok(()),
            TlsIdentity::Files { .. } | TlsIdentity::SelfSigned { .. } => {
                Endpoint::server(self, None).map(drop)
            }
        }
    }
}

/// Where a TLS server's certificate and key come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsIdentity {
    /// PEM files: the certificate (and its chain, the server's first) and its private key.
    Files {
        /// The certificate chain file.
        cert: PathBuf,
        /// The private key file.
        key: PathBuf,
    },
    /// A self-signed certificate ([`self_signed`]). With `save`, the files are used when either exists
    /// (so one alone, or a key that does not belong to the certificate, is refused rather than replaced),
    /// and made and written there, as new files, when neither does, so clients can be given the same
    /// certificate each time; without, one is made for this session only.
    SelfSigned {
        /// Where the certificate and the key are kept.
        save: Option<(PathBuf, PathBuf)>,
    },
}

/// What a finished handshake agreed on, for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsInfo {
    /// The protocol version: `TLS 1.3` or `TLS 1.2`.
    pub version: String,
    /// The cipher suite, by its IANA name: `TLS_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// The server name (SNI) the client sent, if any: what we sent as a client, what the client asked
    /// for as a server.
    pub server_name: Option<String>,
    /// The server's certificate (as a client; `None` as a server, which shows its own once in
    /// [`super::Event::TlsCertificate`]).
    pub certificate: Option<CertSummary>,
    /// The certificate was verified (false when any certificate is accepted).
    pub verified: bool,
    /// The server's certificate was expired, or not valid yet, when the handshake finished: possible
    /// only when any certificate is accepted (a verified one is refused instead).
    pub outside_validity: bool,
}

/// How a TLS connection's sending side ended, beside the TCP FIN ([`super::Event::HalfClosed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsClose {
    /// A TLS `close_notify` alert: an orderly end; nothing was cut off.
    CloseNotify,
    /// The peer's TCP FIN came without a `close_notify`, at a record boundary: what it sent may have
    /// been cut off (a truncation, which TLS exists to detect).
    Truncated,
    /// The peer's TCP FIN came in the middle of a TLS record (without a `close_notify`): it was cut off
    /// for certain, and the part of the record that came cannot be decrypted.
    MidRecord {
        /// The bytes of the unfinished record that came (its header and part of its body), thrown away.
        discarded: usize,
    },
}

/// A session's TLS side for one direction of connections, ready to start connections with.
#[derive(Clone)]
pub(crate) enum Endpoint {
    /// We connect: the client configuration and the name to send and check.
    Client {
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
        verified: bool,
    },
    /// We accept.
    Server(Arc<ServerConfig>),
}

/// The crypto provider every configuration uses (`ring`).
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn protocol(error: &rustls::Error) -> TlsFailure {
    TlsFailure::Protocol(error.to_string())
}

impl Endpoint {
    /// The client side for connections to `host` (as typed, an IP address or a name).
    pub(crate) fn client(tls: &TlsConnect, host: &str) -> Result<Self, TlsFailure> {
        let name_text = tls.server_name.as_deref().unwrap_or(host);
        let name = match name_text
            .split('%')
            .next()
            .unwrap_or(name_text)
            .parse::<IpAddr>()
        {
            // A scoped IPv6 address (`fe80::1%eth0`) is checked without its scope.
            Ok(ip) => ServerName::IpAddress(ip.into()),
            Err(_) => ServerName::try_from(name_text.to_owned()).map_err(|_| {
                TlsFailure::BadServerName {
                    name: name_text.to_owned(),
                }
            })?,
        };
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| protocol(&e))?;
        let config = match &tls.verify {
            TlsVerify::AcceptAny => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verify::AcceptAny::new(provider())))
                .with_no_client_auth(),
            TlsVerify::SystemRoots => builder
                .with_root_certificates(system_roots()?)
                .with_no_client_auth(),
            TlsVerify::CaFile(path) => {
                let mut roots = RootCertStore::empty();
                for cert in cert::read_certs(path)? {
                    roots.add(cert).map_err(|e| TlsFailure::File {
                        path: path.display().to_string(),
                        problem: FileProblem::Malformed(e.to_string()),
                    })?;
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
        };
        Ok(Self::Client {
            config: Arc::new(config),
            name,
            verified: tls.verify != TlsVerify::AcceptAny,
        })
    }

    /// The server side, and the certificate it presents. A server binding `bind` that makes a
    /// self-signed certificate includes the address in it when it is a specific one.
    pub(crate) fn server(
        tls: &TlsAccept,
        bind: Option<SocketAddr>,
    ) -> Result<(Self, CertSummary), TlsFailure> {
        let (certs, key) = match &tls.identity {
            TlsIdentity::Files { cert, key } => (cert::read_certs(cert)?, cert::read_key(key)?),
            // Kept files are used, never replaced: one of the two alone is refused (reading the other
            // names it missing), as making a new pair would overwrite the one that is there.
            TlsIdentity::SelfSigned {
                save: Some((cert, key)),
            } if cert.exists() || key.exists() => (cert::read_certs(cert)?, cert::read_key(key)?),
            TlsIdentity::SelfSigned { save } => {
                let made = self_signed(bind)?;
                if let Some((cert, key)) = save {
                    made.save(cert, key)?;
                }
                let certs =
                    rustls::pki_types::pem::PemObject::pem_slice_iter(made.cert_pem.as_bytes())
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| TlsFailure::Generate(e.to_string()))?;
                let key =
                    rustls::pki_types::pem::PemObject::from_pem_slice(made.key_pem.as_bytes())
                        .map_err(|e| TlsFailure::Generate(e.to_string()))?;
                (certs, key)
            }
        };
        let summary = CertSummary::of(&certs[0]).ok_or_else(|| TlsFailure::File {
            path: identity_file(&tls.identity),
            problem: FileProblem::Malformed("its first certificate is not X.509".to_owned()),
        })?;
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| protocol(&e))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| TlsFailure::File {
                path: identity_file(&tls.identity),
                problem: match e {
                    rustls::Error::InconsistentKeys(_) => FileProblem::KeyMismatch,
                    other => FileProblem::Malformed(other.to_string()),
                },
            })?;
        Ok((Self::Server(Arc::new(config)), summary))
    }
}

/// The certificate file of an identity, for messages.
fn identity_file(identity: &TlsIdentity) -> String {
    match identity {
        TlsIdentity::Files { cert, .. }
        | TlsIdentity::SelfSigned {
            save: Some((cert, _)),
        } => cert.display().to_string(),
        TlsIdentity::SelfSigned { save: None } => "the self-signed certificate".to_owned(),
    }
}

/// The system's trusted roots; some unreadable ones among many are skipped, none at all is an error.
fn system_roots() -> Result<RootCertStore, TlsFailure> {
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(loaded.certs);
    if added == 0 {
        let detail = loaded
            .errors
            .first()
            .map_or_else(|| "none found".to_owned(), ToString::to_string);
        return Err(TlsFailure::NoSystemRoots(detail));
    }
    Ok(roots)
}

/// A time as a UTC date and time, `2026-01-31 23:59:59 UTC`, as certificates give it.
pub(crate) fn utc(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time)
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}
