//! One connection's TLS state ([`TlsLink`]) over a non-blocking socket that the connection reads and
//! writes itself: raw bytes read from the socket go in, plaintext comes out; plaintext to send goes in,
//! records to write come out. It never touches the socket for reading, so one socket read (up to
//! [`RAW_READ`] bytes) yields at most one batch of plaintext, as a plain TCP read yields one.
//!
//! It also follows what went over the wire beneath ([`super::wire`]): the record boundaries of what the
//! peer sent, and the raw bytes of the handshake until it finishes, which a failed one leaves behind.

use std::io::{self, Read, Write};

use rustls::{Connection, ServerConnection};

use super::failure::FIRST_BYTES;
use super::wire::{Keeping, RawBytes, Records, Transcript};
use super::{CertSummary, Endpoint, TlsClose, TlsFailure, TlsInfo};
use crate::engine::Direction;

/// The most raw bytes to read from the socket at once: what they decrypt to, with a record that the
/// previous read left unfinished (up to 16 KiB), always fits in the session's 64 KiB read buffer.
pub(crate) const RAW_READ: usize = 40 * 1024;

/// What one batch of raw input gave.
#[derive(Debug, Default)]
pub(crate) struct Received {
    /// Plaintext bytes now at the start of the output buffer.
    pub(crate) plain: usize,
    /// The handshake finished with this input.
    pub(crate) established: bool,
    /// The peer sent its `close_notify`: it sends nothing more.
    pub(crate) peer_closed: bool,
}

/// A TLS connection's state.
pub(crate) struct TlsLink {
    conn: Connection,
    /// The raw bytes read and written while the handshake lasts: a failed one is recorded with them, and
    /// a peer that does not speak TLS is told by what it sent.
    transcript: Transcript,
    /// Where what the peer sent stands among TLS records.
    records: Records,
    /// Plaintext bytes of the front send accepted into records that are not all written yet.
    pub(crate) pending: usize,
    /// Our `close_notify` was queued.
    pub(crate) close_sent: bool,
    /// The peer's `close_notify` came with data that was reported first; the next read reports it.
    pub(crate) close_pending: bool,
    verified: bool,
    /// The server name we sent (a client connecting by name).
    sni: Option<String>,
}

impl TlsLink {
    /// A new connection: a client queues its greeting (`ClientHello`) at once.
    pub(crate) fn new(endpoint: &Endpoint) -> Result<Self, TlsFailure> {
        let mut sni = None;
        let (conn, verified) = match endpoint {
            Endpoint::Client {
                config,
                name,
                verified,
            } => {
                if let rustls::pki_types::ServerName::DnsName(dns) = name {
                    sni = Some(dns.as_ref().to_owned());
                }
                (
                    Connection::from(
                        rustls::ClientConnection::new(config.clone(), name.clone())
                            .map_err(|e| TlsFailure::Protocol(e.to_string()))?,
                    ),
                    *verified,
                )
            }
            Endpoint::Server(config) => (
                Connection::from(
                    ServerConnection::new(config.clone())
                        .map_err(|e| TlsFailure::Protocol(e.to_string()))?,
                ),
                false,
            ),
        };
        Ok(Self {
            conn,
            transcript: Transcript::default(),
            records: Records::default(),
            pending: 0,
            close_sent: false,
            close_pending: false,
            verified,
            sni,
        })
    }

    /// Whether the handshake is still going on; plaintext waits until it is done.
    pub(crate) fn handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Feeds `raw` bytes read from the socket, writing the plaintext they hold to the start of `out`.
    pub(crate) fn receive(
        &mut self,
        mut raw: &[u8],
        out: &mut [u8],
    ) -> Result<Received, TlsFailure> {
        let was_handshaking = self.conn.is_handshaking();
        if was_handshaking {
            self.transcript.keep(Direction::Rx, raw);
        }
        let mut received = Received::default();
        while !raw.is_empty() {
            // Reading from a slice cannot fail; rustls takes a few KiB at a time.
            let before = raw;
            if let Err(e) = self.conn.read_tls(&mut raw) {
                return Err(TlsFailure::Protocol(e.to_string()));
            }
            self.records.feed(&before[..before.len() - raw.len()]);
            let state = self.conn.process_new_packets().map_err(|e| {
                TlsFailure::of(
                    &e,
                    self.is_server(),
                    &self.transcript.peer_first(FIRST_BYTES),
                )
            })?;
            if state.plaintext_bytes_to_read() > 0 {
                received.plain += read_plain(&mut self.conn, &mut out[received.plain..])?;
            }
            if state.peer_has_closed() {
                received.peer_closed = true;
                break;
            }
        }
        if was_handshaking && !self.conn.is_handshaking() {
            received.established = true;
            self.transcript = Transcript::default();
        }
        Ok(received)
    }

    /// Keeps bytes the peer sent that were read after a failure, not fed to rustls: part of a failed
    /// handshake's record.
    pub(crate) fn keep_unread(&mut self, raw: &[u8]) {
        if self.conn.is_handshaking() {
            self.transcript.keep(Direction::Rx, raw);
        }
    }

    /// The raw bytes of a handshake that did not finish, in order; none once it finished.
    pub(crate) fn unfinished_handshake(&mut self) -> Vec<RawBytes> {
        if self.conn.is_handshaking() {
            self.transcript.take()
        } else {
            Vec::new()
        }
    }

    /// How the peer's FIN without a `close_notify` ended its sending: at a record boundary, or in the
    /// middle of a record, whose bytes are then lost.
    pub(crate) fn fin_without_close_notify(&self) -> TlsClose {
        match self.records.unfinished() {
            0 => TlsClose::Truncated,
            discarded => TlsClose::MidRecord { discarded },
        }
    }

    /// The failure to report when the peer closed the TCP connection before the handshake finished:
    /// what it sent, if that was not TLS, says more than the close.
    pub(crate) fn closed_in_handshake(&self) -> TlsFailure {
        let failure = TlsFailure::of(
            &rustls::Error::HandshakeNotComplete,
            self.is_server(),
            &self.transcript.peer_first(FIRST_BYTES),
        );
        match failure {
            TlsFailure::Protocol(_) => TlsFailure::ClosedInHandshake,
            other => other,
        }
    }

    /// Writes queued records to `stream` until none are left (`Ok(true)`) or the socket is full
    /// (`Ok(false)`); while the handshake lasts, they are kept in its transcript.
    pub(crate) fn write_records(&mut self, stream: &mut impl Write) -> io::Result<bool> {
        while self.conn.wants_write() {
            let wrote = if self.conn.is_handshaking() {
                self.conn.write_tls(&mut Keeping {
                    stream: &mut *stream,
                    transcript: &mut self.transcript,
                })
            } else {
                self.conn.write_tls(stream)
            };
            match wrote {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Turns as much of `plain` into records as rustls's buffer takes (at least some, when no records
    /// are waiting); returns how much, which [`Self::pending`] then holds.
    pub(crate) fn accept(&mut self, plain: &[u8]) -> io::Result<usize> {
        let n = self.conn.writer().write(plain)?;
        self.pending = n;
        Ok(n)
    }

    /// Queues our `close_notify`.
    pub(crate) fn close_notify(&mut self) {
        if !self.close_sent {
            self.conn.send_close_notify();
            self.close_sent = true;
        }
    }

    /// What the finished handshake agreed on.
    pub(crate) fn info(&self) -> TlsInfo {
        let version = match self.conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_owned(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_owned(),
            Some(other) => format!("{other:?}"),
            None => "?".to_owned(),
        };
        let cipher_suite = self
            .conn
            .negotiated_cipher_suite()
            .map_or_else(|| "?".to_owned(), |suite| iana_name(suite.suite()));
        let (server_name, certificate) = match &self.conn {
            Connection::Client(client) => (
                self.sni.clone(),
                client
                    .peer_certificates()
                    .and_then(|certs| certs.first())
                    .and_then(|cert| CertSummary::of(cert)),
            ),
            Connection::Server(server) => (server.server_name().map(str::to_owned), None),
        };
        let now = std::time::SystemTime::now();
        let outside_validity = certificate.as_ref().is_some_and(|certificate| {
            !(certificate.not_before..=certificate.not_after).contains(&now)
        });
        TlsInfo {
            version,
            cipher_suite,
            server_name,
            certificate,
            verified: self.verified,
            outside_validity,
        }
    }

    fn is_server(&self) -> bool {
        matches!(self.conn, Connection::Server(_))
    }
}

/// A cipher suite by its IANA name (the TLS Cipher Suites registry, which `openssl ciphers -stdname` and
/// Wireshark use): rustls names TLS 1.3's suites `TLS13_AES_256_GCM_SHA384` where the registry has
/// `TLS_AES_256_GCM_SHA384`; its TLS 1.2 names are the registry's already.
fn iana_name(suite: rustls::CipherSuite) -> String {
    let name = format!("{suite:?}");
    match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name,
    }
}

/// Reads every plaintext byte rustls holds into `out`.
fn read_plain(conn: &mut Connection, out: &mut [u8]) -> Result<usize, TlsFailure> {
    let mut n = 0;
    while n < out.len() {
        match conn.reader().read(&mut out[n..]) {
            Ok(0) => break,
            Ok(got) => n += got,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(TlsFailure::Protocol(e.to_string())),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cipher_suites_go_by_their_iana_names() {
        assert_eq!(
            iana_name(rustls::CipherSuite::TLS13_AES_256_GCM_SHA384),
            "TLS_AES_256_GCM_SHA384"
        );
        assert_eq!(
            iana_name(rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        );
    }
}
