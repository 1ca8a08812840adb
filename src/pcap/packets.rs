//! Packets made from a session's events: each TCP connection becomes a TCP stream (handshake, data
//! segments with continuous sequence and acknowledgement numbers, FIN or RST as it closed), each UDP
//! datagram one UDP packet. The packets are IPv4 or IPv6 packets without a link layer; etherparse writes
//! their headers, lengths and checksums.
//!
//! What is real and what is made up: addresses, ports, payloads, their order and their times come from
//! the events. Sequence numbers start at a made-up initial number; segment boundaries follow the reads
//! and sends (split at [`MSS`]); each read or send is acknowledged at once by an ACK from the other side;
//! the handshake and the close are placed at the times the engine reported the connection and its end.
//!
//! How a connection ends ([`CloseReason`]):
//! - the peer's FIN (a half-close, [`Event::HalfClosed`]) is a FIN from the peer, acknowledged by us, and
//!   ours a FIN from us acknowledged by the peer, each when it happened;
//! - closed after the peer's FIN, disconnected by the user, or at the session's end: our FIN (if not sent
//!   yet), acknowledged by the peer;
//! - reset by the peer: an RST from the peer; ended by an error on our side: an RST from us, but for a
//!   TLS failure, which ends in order (our FIN; after the peer's when it closed during the handshake)
//!   unless the peer was still sending ([`crate::engine::NetError::reset`]);
//! - timed out: nothing, as nothing went over the wire;
//! - the closing packets carry the log's words for the reason as their comment.
//!
//! A TLS connection's payloads are its decrypted application data: the first packet after its
//! handshake ([`Event::TlsEstablished`]) says so in its comment, with what the handshake agreed and the
//! server's certificate (the close says it when no packet came between). A handshake that did not
//! finish is there as the raw bytes that went over the wire ([`Event::TlsRaw`]), each packet saying what
//! they are; a peer's FIN without a `close_notify` says whether data was cut off.
//!
//! A relay's sides are two real TCP connections: the device's opened by it (as a server's client), the
//! server side's by us ([`Event::Paired`] names it before it connects). What is forwarded
//! ([`Event::Forwarded`]) is data we sent on the side it was written to. A connect on to the target
//! that failed ([`Event::ConnectFailed`]) is our SYN from the port it had, at the time it began
//! ([`Event::Connecting`]): refused, the target's RST/ACK follows when it failed; timed out, the SYN
//! alone says no answer came (the SYNs the kernel sent again are not drawn); any other failure draws
//! nothing, as what went over the wire is not known. The SYN is written when the failure is known, so
//! in the file it may follow packets of later times (the device's, meanwhile).

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::Range;
use std::time::SystemTime;

use etherparse::{PacketBuilder, PacketBuilderStep, TcpHeader};

use crate::engine::{Direction, Event, Mode, PeerId, Side, TlsClose, TlsInfo};
use crate::i18n::{Lang, Text};
use crate::traffic::Note;

mod tcp;

use tcp::{Tcp, initial_sequence};

/// The most payload bytes in one TCP segment: the largest that fits one IPv4 packet (65,535 bytes, less
/// 20 bytes of IPv4 header and 20 of TCP header). IPv6 segments use the same. The network's real
/// segmentation is not known to a program that sees only its sockets; the largest segments keep the file
/// small, and a read or send larger than this is split.
pub const MSS: usize = 65_495;

/// The window scale shift announced in the handshake: the window then covers 1 GiB, more than any one read
/// or send, so the stream never looks stalled by a full window.
const WINDOW_SCALE: u8 = 14;

/// The window field of every segment after the handshake (scaled by [`WINDOW_SCALE`]).
const WINDOW: u16 = u16::MAX;

/// The IPv4 time to live and IPv6 hop limit of every packet.
const HOP_LIMIT: u8 = 64;

/// One packet: when it happened, its bytes (an IPv4 or IPv6 packet), and a comment for the few that
/// carry one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// When it happened.
    pub at: SystemTime,
    /// The IP packet.
    pub data: &'a [u8],
    /// Why it is there, or what is not known about it.
    pub comment: Option<&'a str>,
}

/// The packets made from one entry, in order. Their bytes share one buffer, reused from entry to entry.
#[derive(Debug, Default)]
pub struct Packets {
    bytes: Vec<u8>,
    made: Vec<(SystemTime, Range<usize>, Option<String>)>,
}

impl Packets {
    /// The packets, in order.
    pub fn iter(&self) -> impl Iterator<Item = Packet<'_>> {
        self.made.iter().map(|(at, range, comment)| Packet {
            at: *at,
            data: &self.bytes[range.clone()],
            comment: comment.as_deref(),
        })
    }

    /// How many there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.made.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.made.is_empty()
    }

    /// Forgets the packets, keeping the buffers.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.made.clear();
    }
}

/// The transport of the session the events belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    /// TCP; `peer_opens` when the peer sent the SYN (we are the server).
    Tcp {
        peer_opens: bool,
    },
    Udp,
}

/// Makes packets from a session's events; see the [module docs](self).
#[derive(Debug, Default)]
pub struct Synthesizer {
    /// The current session's transport; `None` before a session was announced.
    transport: Option<Transport>,
    connections: HashMap<PeerId, Connection>,
    /// Relay: server sides paired and not connected yet; we open them.
    opened_by_us: HashSet<PeerId>,
    /// Relay: connects on to the target under way, by the server side's id: the device's id, and
    /// when the connect began (its SYN's time, should it fail).
    attempts: HashMap<PeerId, (PeerId, SystemTime)>,
    /// The certificate this session presents as a TLS server, in the log's words, once it said so.
    certificate: Option<String>,
}

impl Synthesizer {
    /// A session opened in `mode`: the events that follow are its own.
    pub fn session(&mut self, mode: &Mode) {
        self.transport = Some(match mode {
            Mode::TcpServer { .. } | Mode::Relay { .. } => Transport::Tcp { peer_opens: true },
            Mode::TcpClient { .. } => Transport::Tcp { peer_opens: false },
            Mode::Udp { .. } => Transport::Udp,
        });
    }

    /// Appends to `out` the packets `event` makes: none for events that put nothing on the wire, and
    /// none for a peer whose connection was not seen (before [`session`](Self::session), or before the
    /// recording began).
    ///
    /// # Errors
    /// A packet that cannot be built: a UDP datagram larger than an IP packet holds, which no socket can
    /// send or receive.
    pub fn event(&mut self, event: &Event, out: &mut Packets) -> io::Result<()> {
        match event {
            Event::Connected {
                peer,
                addr,
                local,
                at,
            } => {
                let Some(mut transport) = self.transport else {
                    return Ok(());
                };
                if self.opened_by_us.remove(peer) {
                    transport = Transport::Tcp { peer_opens: false };
                }
                let connection = Connection::new(*peer, *local, *addr, transport);
                connection.opened(*at, out)?;
                self.connections.insert(*peer, connection);
            }
            Event::Data {
                peer,
                dir,
                bytes,
                at,
            } => {
                if let Some(connection) = self.connections.get_mut(peer) {
                    connection.data(*dir == Direction::Tx, bytes, *at, out)?;
                }
            }
            Event::Paired { server, .. } => {
                self.attempts.remove(server);
                self.opened_by_us.insert(*server);
            }
            Event::Connecting { .. } | Event::ConnectFailed { .. } => self.attempt(event, out)?,
            Event::TlsCertificate {
                certificate, addr, ..
            } => {
                let note = Note::TlsCertificate(certificate.clone(), *addr);
                self.certificate = Some(note.text(Lang::En));
            }
            Event::TlsEstablished { peer, info, .. } => {
                if let Some(connection) = self.connections.get_mut(peer) {
                    connection.tls = Some(tls_comment(info, self.certificate.as_deref()));
                }
            }
            Event::Forwarded { to, bytes, at, .. } => {
                if let Some(connection) = self.connections.get_mut(to) {
                    connection.data(true, bytes, *at, out)?;
                }
            }
            // The part of a send cut short by the close did go out, before the close.
            Event::Unsent {
                peer,
                written,
                written_at,
                ..
            } if !written.is_empty() => {
                if let Some(connection) = self.connections.get_mut(peer) {
                    connection.data(true, written, *written_at, out)?;
                }
            }
            Event::TlsRaw {
                peer,
                dir,
                bytes,
                records,
                at,
            } => {
                if let Some(connection) = self.connections.get_mut(peer) {
                    let note = raw_comment(*dir == Direction::Tx, *records);
                    connection.data_noted(*dir == Direction::Tx, bytes, *at, Some(note), out)?;
                }
            }
            Event::HalfClosed {
                peer,
                side,
                tls,
                at,
            } => {
                if let Some(connection) = self.connections.get_mut(peer) {
                    connection.half_closed(*side, *tls, *at, out)?;
                }
            }
            Event::Closed { peer, reason, at } => {
                // A device's end also ends a connect on to the target still under way for it.
                self.attempts.retain(|_, (device, _)| device != peer);
                if let Some(Connection {
                    tcp: Some(mut tcp),
                    flow,
                    tls,
                    ..
                }) = self.connections.remove(peer)
                {
                    tcp.closed(&flow, reason, *at, tls, out)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A relay's connect on to the target: when it began ([`Event::Connecting`]), and should it fail
    /// ([`Event::ConnectFailed`]), its SYN then and what came back ([`Tcp::failed_connect`]).
    fn attempt(&mut self, event: &Event, out: &mut Packets) -> io::Result<()> {
        match event {
            Event::Connecting {
                device, server, at, ..
            } if self.transport.is_some() => {
                self.attempts.insert(*server, (*device, *at));
            }
            Event::ConnectFailed {
                server,
                addr,
                local,
                error,
                at,
                ..
            } => {
                // A connect that failed before it had a local address sent nothing.
                if let Some((_, began)) = self.attempts.remove(server)
                    && let Some(local) = *local
                {
                    let flow = Flow::new(local, *addr);
                    let tcp = Tcp::new(
                        initial_sequence(*server, true),
                        initial_sequence(*server, false),
                        false,
                    );
                    let note = Note::ConnectFailed {
                        addr: *addr,
                        local: Some(local),
                        error: Box::new(error.clone()),
                    };
                    tcp.failed_connect(&flow, began, error, *at, note.text(Lang::En), out)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The two ends of a connection, as they go in packets.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Flow {
    local: SocketAddr,
    remote: SocketAddr,
    /// Said on the first packet from or to a local address that is a wildcard.
    unknown_local: Option<String>,
}

impl Flow {
    /// The ends of a connection between `local` and `remote`, in one IP version: a local wildcard of the
    /// other version (an IPv4 remote of a `[::]` socket) becomes the wildcard of the remote's, and an
    /// IPv4-mapped IPv6 address its IPv4 address. Scopes are dropped: IP headers have none.
    fn new(local: SocketAddr, remote: SocketAddr) -> Self {
        let remote_ip = plain(remote.ip());
        let local_ip = match (plain(local.ip()), remote_ip) {
            (ip @ IpAddr::V4(_), IpAddr::V4(_)) | (ip @ IpAddr::V6(_), IpAddr::V6(_)) => ip,
            (_, IpAddr::V4(_)) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            (_, IpAddr::V6(_)) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        let unknown_local = local_ip.is_unspecified().then(|| {
            format!(
                "NetAssist's socket was bound to {local} (every address of this PC): which of its \
                 addresses the peer {remote} used is not known, so {local_ip} stands for it."
            )
        });
        Self {
            local: SocketAddr::new(local_ip, local.port()),
            remote: SocketAddr::new(remote_ip, remote.port()),
            unknown_local,
        }
    }

    /// Starts a packet from us (`from_local`) or from the peer: the IP header.
    fn ip(&self, from_local: bool) -> PacketBuilderStep<etherparse::IpHeaders> {
        let (source, destination) = if from_local {
            (self.local, self.remote)
        } else {
            (self.remote, self.local)
        };
        match (source.ip(), destination.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                PacketBuilder::ipv4(s.octets(), d.octets(), HOP_LIMIT)
            }
            (s, d) => PacketBuilder::ipv6(v6(s).octets(), v6(d).octets(), HOP_LIMIT),
        }
    }

    fn ports(&self, from_local: bool) -> (u16, u16) {
        if from_local {
            (self.local.port(), self.remote.port())
        } else {
            (self.remote.port(), self.local.port())
        }
    }

    /// Appends a TCP segment to `out`.
    fn segment(
        &self,
        out: &mut Packets,
        at: SystemTime,
        from_local: bool,
        header: TcpHeader,
        payload: &[u8],
        comment: Option<String>,
    ) -> io::Result<()> {
        let start = out.bytes.len();
        self.ip(from_local)
            .tcp_header(header)
            .write_to_vec(&mut out.bytes, payload)
            .map_err(io::Error::other)?;
        out.made.push((at, start..out.bytes.len(), comment));
        Ok(())
    }
}

/// The comment on a TLS connection's first packet after its handshake: that the payloads are the
/// decrypted application data, not the TLS records that went over the wire (first, as Wireshark cuts
/// long comments short in its packet details), then what the handshake agreed (the log's words, with
/// the server's certificate: the peer's as a client, `ours` as a server).
fn tls_comment(info: &TlsInfo, ours: Option<&str>) -> String {
    let mut text =
        "This connection is TLS: its payloads in this file are the decrypted application data, \
                    not the encrypted TLS records that went over the wire. "
            .to_owned();
    text.push_str(&Note::TlsEstablished(Box::new(info.clone())).text(Lang::En));
    if let Some(certificate) = ours.filter(|_| info.certificate.is_none()) {
        text.push_str("; ours: ");
        text.push_str(certificate);
    }
    text
}

/// The comment on a packet of a TLS handshake that did not finish ([`Event::TlsRaw`]): what its bytes
/// are, as this file otherwise holds a TLS connection's decrypted application data.
fn raw_comment(from_local: bool, records: bool) -> String {
    match (from_local, records) {
        (_, false) => {
            "Not TLS: the peer sent these bytes as plain TCP to a TLS connection, so they \
                       were never application data; the close says what NetAssist made of them."
                .to_owned()
        }
        (true, true) => {
            "Raw TLS records NetAssist sent in a handshake that did not finish, as they \
                         went over the wire (not decrypted application data); the close says why."
                .to_owned()
        }
        (false, true) => {
            "Raw TLS records the peer sent in a handshake that did not finish, as they \
                          went over the wire (not decrypted application data); the close says why."
                .to_owned()
        }
    }
}

/// Two comments as one, either when only one is there.
fn joined(first: Option<String>, second: Option<String>) -> Option<String> {
    match (first, second) {
        (Some(first), Some(second)) => Some(format!("{first} {second}")),
        (first, second) => first.or(second),
    }
}

/// An IPv4 or IPv4-mapped address as IPv4, any other as it is.
fn plain(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V6(v6) => v6,
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
    }
}

/// A peer's connection (TCP) or exchange of datagrams (UDP).
#[derive(Debug)]
struct Connection {
    flow: Flow,
    /// The TCP state; `None` for UDP.
    tcp: Option<Tcp>,
    /// The first packet has not been made yet (it carries [`Flow::unknown_local`]).
    first: bool,
    /// What the TLS handshake agreed, for the next packet's comment ([`tls_comment`]).
    tls: Option<String>,
}

impl Connection {
    fn new(peer: PeerId, local: SocketAddr, remote: SocketAddr, transport: Transport) -> Self {
        let tcp = match transport {
            Transport::Tcp { peer_opens } => Some(Tcp::new(
                initial_sequence(peer, true),
                initial_sequence(peer, false),
                peer_opens,
            )),
            Transport::Udp => None,
        };
        Self {
            flow: Flow::new(local, remote),
            tcp,
            first: true,
            tls: None,
        }
    }

    /// The handshake, for TCP.
    fn opened(&self, at: SystemTime, out: &mut Packets) -> io::Result<()> {
        match &self.tcp {
            Some(tcp) => tcp.handshake(&self.flow, at, out),
            None => Ok(()),
        }
    }

    /// One side's FIN, for TCP; a peer's FIN without TLS's `close_notify` says what it means for its
    /// data.
    fn half_closed(
        &mut self,
        side: Side,
        how: Option<TlsClose>,
        at: SystemTime,
        out: &mut Packets,
    ) -> io::Result<()> {
        let Some(tcp) = &mut self.tcp else {
            return Ok(());
        };
        let cut = matches!(how, Some(TlsClose::Truncated | TlsClose::MidRecord { .. }))
            .then(|| Note::HalfClosed(side, how).text(Lang::En));
        let comment = joined(self.tls.take(), cut);
        tcp.fin(&self.flow, side == Side::Local, at, comment, out)
    }

    /// Bytes we sent (`from_local`) or received.
    fn data(
        &mut self,
        from_local: bool,
        bytes: &[u8],
        at: SystemTime,
        out: &mut Packets,
    ) -> io::Result<()> {
        self.data_noted(from_local, bytes, at, None, out)
    }

    /// As [`Self::data`], with `note` on the first packet.
    fn data_noted(
        &mut self,
        from_local: bool,
        bytes: &[u8],
        at: SystemTime,
        note: Option<String>,
        out: &mut Packets,
    ) -> io::Result<()> {
        let unknown_local = if std::mem::take(&mut self.first) {
            self.flow.unknown_local.clone()
        } else {
            None
        };
        let comment = joined(joined(unknown_local, self.tls.take()), note);
        if let Some(tcp) = &mut self.tcp {
            return tcp.data(&self.flow, from_local, bytes, at, comment, out);
        }
        let (source, destination) = self.flow.ports(from_local);
        let start = out.bytes.len();
        self.flow
            .ip(from_local)
            .udp(source, destination)
            .write_to_vec(&mut out.bytes, bytes)
            .map_err(io::Error::other)?;
        out.made.push((at, start..out.bytes.len(), comment));
        Ok(())
    }
}

#[cfg(test)]
mod tests;
