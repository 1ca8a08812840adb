//! Events a session's worker reports to the caller: everything that happened on the network, in order.

use std::net::{IpAddr, SocketAddr};
use std::time::SystemTime;

use bytes::Bytes;

use super::{CertSummary, HostPort, KeptProblem, NetError, PeerId, TlsClose, TlsInfo};
use crate::check::CheckEvent;

/// Which way bytes went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Received from the peer.
    Rx,
    /// Written to the peer (what the OS accepted, not what was asked for).
    Tx,
}

/// Which end of a TCP connection finished sending (shut down its sending side, a FIN on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The peer: it will send nothing more, but may still read what we send.
    Peer,
    /// We did, on the user's request ([`super::Command::HalfClose`]).
    Local,
}

/// Why a peer's connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer closed cleanly (TCP FIN).
    PeerClosed,
    /// The peer reset the connection (TCP RST).
    Reset,
    /// The connection timed out (keep-alive or retransmissions went unanswered).
    TimedOut,
    /// We disconnected it on the user's request.
    Kicked,
    /// UDP: the remote was dropped from the peer table to make room for newer ones.
    Forgotten,
    /// UDP: the user asked to forget the remote; its next datagram makes it a remote again.
    ForgottenByYou,
    /// The session was stopped while the peer was connected.
    SessionStopped,
    /// Any other error on this peer's socket; the other peers are not affected.
    Error(NetError),
    /// Relay: the device's server side could not be connected at any of the target's addresses (the
    /// error is the last [`Event::ConnectFailed`]'s: refused, timed out, no route, with the address
    /// tried), so the device's connection was closed (FIN), after what
    /// it had sent was read (its bytes held for the target are the server side's [`Event::Unsent`]).
    Unreachable(NetError),
    /// Relay: the other side of its pair (this peer) was reset, timed out or failed, so this side was
    /// reset too (RST), as a direct connection would have been.
    PartnerReset(PeerId),
}

/// One thing that happened in a session. Every event carries the wall-clock time it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The session's socket is bound: a TCP server listens, or a UDP socket is open, on `addr` (with the real
    /// port when port 0 was asked for).
    Listening {
        /// The local address actually bound.
        addr: SocketAddr,
        /// When it happened.
        at: SystemTime,
    },
    /// UDP, right after [`Event::Listening`]: the socket's receive buffer, and whether datagrams the OS
    /// drops because it was full will be reported ([`Event::Dropped`]). Only Linux says so; elsewhere
    /// losses cannot be known.
    ReceiveBuffer {
        /// Bytes asked for ([`super::SessionConfig::udp_receive_buffer`]).
        asked: usize,
        /// Bytes the OS granted: it may cap the request (Linux: at `net.core.rmem_max`). Linux reports twice
        /// what it grants (it counts its bookkeeping too); the half is given here, to compare with `asked`.
        granted: usize,
        /// Drops are counted and reported by [`Event::Dropped`].
        drops_reported: bool,
        /// When it happened.
        at: SystemTime,
    },
    /// UDP: the OS dropped datagrams meant for the session because its receive buffer was full. Reported at
    /// most once per read turn, only when the count rose. The OS tells of drops on the next datagram it
    /// delivers, so drops after the last datagram of a burst show when another one arrives.
    Dropped {
        /// Datagrams dropped since the session started.
        datagrams_total: u64,
        /// Of those, the ones not reported before.
        new: u64,
        /// When it happened.
        at: SystemTime,
    },
    /// A new peer: a client accepted by the server, the client's connection to its server, or (UDP) the first
    /// datagram exchanged with a remote address.
    Connected {
        /// The id given to this peer.
        peer: PeerId,
        /// The peer's address.
        addr: SocketAddr,
        /// Our side of the connection (for UDP, the session socket's address).
        local: SocketAddr,
        /// When it happened.
        at: SystemTime,
    },
    /// Relay: the relay starts to connect to the target for `device`, at one of the target's addresses
    /// (again for each further address tried). Until [`Event::Paired`] follows, what the device sends
    /// is its `Rx` [`Event::Data`] as it comes and is held, to be written to the target once connected;
    /// should the target not be reached, the held bytes are `server`'s [`Event::Unsent`].
    Connecting {
        /// The accepted client's connection.
        device: PeerId,
        /// The id the server side will have once connected (a new one for each address tried).
        server: PeerId,
        /// The target as the user named it.
        target: HostPort,
        /// The address connected to.
        addr: SocketAddr,
        /// When it happened.
        at: SystemTime,
    },
    /// Relay: one connect to the target for `device` (announced by [`Event::Connecting`] with the same
    /// `server`) failed: refused, no answer within the connect time-out, no route, or the socket could
    /// not be set up. Comes before the next address is tried ([`Event::Connecting`] again, with a new
    /// `server` id) or, when none is left, before the device is closed with
    /// [`CloseReason::Unreachable`], which carries the last of these errors. `server` never becomes a
    /// peer.
    ConnectFailed {
        /// The accepted client's connection.
        device: PeerId,
        /// The id the server side would have had.
        server: PeerId,
        /// The address connected to.
        addr: SocketAddr,
        /// The local address of the attempt's socket (its ephemeral port), once the connect was under
        /// way; `None` when it failed before that.
        local: Option<SocketAddr>,
        /// Why it failed, with the address.
        error: NetError,
        /// When it failed (for a time-out, when it was given up).
        at: SystemTime,
    },
    /// Relay: a device's server side is being opened; comes right before that side's [`Event::Connected`]
    /// (the target answered). From then on, what one side sends goes to the other: read from `device`
    /// (an `Rx` [`Event::Data`] of `device`) it is written to `server` ([`Event::Forwarded`]), and the
    /// other way round.
    Paired {
        /// The accepted client's connection: the device side.
        device: PeerId,
        /// The relay's connection to its target: the server side.
        server: PeerId,
        /// When it happened.
        at: SystemTime,
    },
    /// Relay: bytes read from one side (already reported as that side's `Rx` [`Event::Data`]) were
    /// written to the other, once the OS took their last byte. Not a row of its own: the read is the
    /// row; this counts the bytes sent to `to`, and puts them on `to`'s connection in a pcapng.
    /// Forwarded bytes cut short by the end of `to`'s connection are in its [`Event::Unsent`] instead.
    Forwarded {
        /// The side they were read from.
        from: PeerId,
        /// The side they were written to.
        to: PeerId,
        /// The bytes, as read and written.
        bytes: Bytes,
        /// When their last byte was written.
        at: SystemTime,
    },
    /// Bytes received from or written to a peer. Received: one event per read (TCP) or datagram (UDP);
    /// framing into messages happens above the engine. Sent: one event per send (a [`super::Command::Send`]
    /// to one peer, a periodic tick, an echo of one read, a rule reply), once the OS has taken its last byte,
    /// however many writes that took. The sum of lengths is exact either way; a send cut short by the
    /// connection's end is reported by [`Event::Unsent`] instead.
    Data {
        /// Who sent or received them.
        peer: PeerId,
        /// Received or sent.
        dir: Direction,
        /// The bytes, exactly as read or written.
        bytes: Bytes,
        /// When they were read, or when the send's last byte was written.
        at: SystemTime,
    },
    /// One side of a TCP connection finished sending (shutdown of its sending side: a FIN). After the
    /// peer's, the connection stays open while anything is queued or scheduled for the peer (a delayed rule
    /// reply), then closes ([`CloseReason::PeerClosed`]); after ours, the peer can still send.
    ///
    /// On a TLS connection, `tls` says how: our half-close sends a `close_notify` then the FIN; the peer's
    /// `close_notify` is its half-close (its FIN follows unreported), and a peer's FIN without one is a
    /// [`TlsClose::Truncated`] half-close, or [`TlsClose::MidRecord`] when it came in the middle of a TLS
    /// record.
    HalfClosed {
        /// The connection.
        peer: PeerId,
        /// Who finished sending.
        side: Side,
        /// TLS connections: a `close_notify`, or a FIN without one; `None` for plain TCP.
        tls: Option<TlsClose>,
        /// When it happened.
        at: SystemTime,
    },
    /// A TLS handshake finished: from now on the peer's data is application data (plaintext).
    TlsEstablished {
        /// The connection.
        peer: PeerId,
        /// What was agreed, and the server's certificate.
        info: Box<TlsInfo>,
        /// When it happened.
        at: SystemTime,
    },
    /// A TLS server's certificate, once, right after [`Event::Listening`]: the one every client is shown.
    TlsCertificate {
        /// Its summary.
        certificate: Box<CertSummary>,
        /// The address the server listens on (as [`Event::Listening`] gave it), where it is shown.
        addr: SocketAddr,
        /// When it happened.
        at: SystemTime,
    },
    /// A TLS server's kept self-signed certificate, right after its [`Event::TlsCertificate`], is out of
    /// date or does not name the address bound; it is still used.
    TlsKeptCertificate {
        /// What is wrong with it.
        problem: Box<KeptProblem>,
        /// When it was seen.
        at: SystemTime,
    },
    /// The raw bytes of a TLS handshake that did not finish, one read or write each, as they went over
    /// the wire: what the peer sent (TLS records, or the request of a peer that does not speak TLS) and
    /// what we wrote (our handshake, the alert that said why we gave up). They come when the connection
    /// closes, right before its [`Event::Closed`] (which says why), each with the time it was read or
    /// written. They were never application data: not a row nor counted; a pcapng puts them on the
    /// connection.
    TlsRaw {
        /// The connection.
        peer: PeerId,
        /// Read from the peer, or written by us.
        dir: Direction,
        /// The bytes.
        bytes: Bytes,
        /// They are TLS records; false for what a peer that does not speak TLS sent
        /// ([`super::TlsFailure::PlainClient`], [`super::TlsFailure::PlainServer`]).
        records: bool,
        /// When they were read or written.
        at: SystemTime,
    },
    /// Sends to a peer that never went out (wholly or in part): its connection ended or it was forgotten
    /// first (then this comes before its [`Event::Closed`]), or new rules cancelled delayed replies. Queued
    /// sends and rule replies still waiting for their delay both count.
    Unsent {
        /// The peer.
        peer: PeerId,
        /// The part of the first unsent send that the OS did take before the end: these bytes went out
        /// (and are counted here, not in a `Data` event). Empty when that send had not started.
        written: Bytes,
        /// When the last of `written` was taken by the OS.
        written_at: SystemTime,
        /// Bytes that did not go out.
        bytes: usize,
        /// How many sends they belonged to (the one cut short included).
        sends: usize,
        /// When it happened.
        at: SystemTime,
    },
    /// A peer is gone (TCP), or was forgotten (UDP).
    Closed {
        /// The peer that closed.
        peer: PeerId,
        /// Why.
        reason: CloseReason,
        /// When it happened.
        at: SystemTime,
    },
    /// A TCP client connected while the server already had `max_clients`; it was closed at once.
    Rejected {
        /// The refused client's address.
        addr: SocketAddr,
        /// The limit in force.
        max_clients: usize,
        /// When it happened.
        at: SystemTime,
    },
    /// A send was refused because the peer's send queue was full (the peer is not reading fast enough).
    /// Nothing of this send was queued.
    SendDropped {
        /// The peer whose queue was full.
        peer: PeerId,
        /// Bytes refused.
        len: usize,
        /// Bytes already waiting in the queue.
        queued: usize,
        /// When it happened.
        at: SystemTime,
    },
    /// UDP: a multicast group was joined.
    Joined {
        /// The group.
        group: IpAddr,
        /// When it happened.
        at: SystemTime,
    },
    /// UDP: a multicast group was left.
    Left {
        /// The group.
        group: IpAddr,
        /// When it happened.
        at: SystemTime,
    },
    /// Progress of [`super::Command::SendEvery`]: after each send, and once with `done` when it ends (all
    /// sent, or stopped).
    Periodic {
        /// Sends made so far.
        sent: u64,
        /// Ticks passed over without a send so far: the worker woke more than
        /// [`super::CATCH_UP`] ticks late (a stalled machine, a suspended laptop) and sent only that many.
        /// A count-limited send still makes its count; skipped ticks only make it end later.
        skipped: u64,
        /// The periodic send is over.
        done: bool,
        /// When it happened.
        at: SystemTime,
    },
    /// Something failed. A failure to bind or connect is followed by [`Event::Stopped`]; a failure that
    /// concerns one peer is followed by that peer's [`Event::Closed`]; other failures (a bad send target, a
    /// multicast join refused) leave the session running.
    Error {
        /// What failed, with the OS error kind kept.
        error: NetError,
        /// When it happened.
        at: SystemTime,
    },
    /// A device check's progress ([`super::Command::RunCheck`]), right after the event that caused it.
    Check(CheckEvent),
    /// The session ended; no more events follow.
    Stopped {
        /// When it happened.
        at: SystemTime,
    },
}

impl Event {
    /// When the event happened.
    #[must_use]
    pub fn at(&self) -> SystemTime {
        match self {
            Event::Listening { at, .. }
            | Event::ReceiveBuffer { at, .. }
            | Event::Dropped { at, .. }
            | Event::Connected { at, .. }
            | Event::Connecting { at, .. }
            | Event::ConnectFailed { at, .. }
            | Event::Paired { at, .. }
            | Event::Forwarded { at, .. }
            | Event::Data { at, .. }
            | Event::HalfClosed { at, .. }
            | Event::TlsEstablished { at, .. }
            | Event::TlsCertificate { at, .. }
            | Event::TlsRaw { at, .. }
            | Event::TlsKeptCertificate { at, .. }
            | Event::Unsent { at, .. }
            | Event::Closed { at, .. }
            | Event::Rejected { at, .. }
            | Event::SendDropped { at, .. }
            | Event::Joined { at, .. }
            | Event::Left { at, .. }
            | Event::Periodic { at, .. }
            | Event::Error { at, .. }
            | Event::Stopped { at } => *at,
            Event::Check(check) => check.at,
        }
    }
}
