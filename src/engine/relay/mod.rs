//! Relay mode: a man in the middle the user puts there on purpose. It listens, and for each client it
//! accepts (the device side) it connects to the target (the server side) and forwards what either side
//! sends to the other, all on the session's one readiness loop.
//!
//! How it is reported:
//! - **Pairs.** Each side is a peer of its own ([`Event::Connected`]); [`Event::Paired`] comes right
//!   before the server side's `Connected` and says which two peers form a pair and which side is which.
//! - **While the target connect is pending** ([`connecting`]). [`Event::Connecting`] says the relay
//!   connects on to the target for a device (again for each further address tried). The device is read
//!   meanwhile: what it sends is its `Rx` data when it comes, held within the back-pressure threshold
//!   below, and written to the server side once connected, followed by the device's FIN if it came
//!   (sends to the server side, such as a rule's delayed answer sent on, wait there too). A
//!   device reset meanwhile ends at once with its reason, and the connect is dropped unseen. Each
//!   connect that fails (refused, timed out, no route) is an [`Event::ConnectFailed`] with its address,
//!   its socket's local address and why, before the next address is tried. A target that cannot be
//!   reached closes the device with [`CloseReason::Unreachable`], which carries the last failure,
//!   after reading what the device still had (so the close is a FIN, not the RST of a socket closed
//!   unread; the same when it is disconnected or the session stops meanwhile); what it sent is the
//!   server side's [`Event::Unsent`].
//! - **Each message once.** What is read from one side is that side's `Rx` [`Event::Data`]: framed,
//!   counted and plotted as any peer's, and the row a person reads ("device → server" is the device's
//!   `Rx`, "server → device" the server's). Writing it to the other side is [`Event::Forwarded`]: it
//!   counts as sent to that side, and puts the bytes on that side's connection in a pcapng, but makes no
//!   row, so no message shows twice. The record stays true: bytes read but never written to the other
//!   side (its connection ended with them queued, or the user finished sending to it) are that side's
//!   [`Event::Unsent`], as for any send. Sends of the user's own, rule answers and injections are `Tx`
//!   rows of the side they are written to.
//! - **Half-close.** A side's FIN ([`Event::HalfClosed`] by the peer) is passed on once everything read
//!   before it was written, and after the rules' delayed answers scheduled toward the other side
//!   (answers to it, or sent on to it) went out: the other side gets our FIN after its queue drained. The other direction
//!   keeps flowing until it ends too; the pair closes ([`CloseReason::PeerClosed`] for both) when both
//!   directions are finished.
//! - **Resets and failures.** A side that is reset, times out or fails ends with its own reason, and the
//!   other side is reset (an RST, `SO_LINGER` 0) with [`CloseReason::PartnerReset`] naming it, as a
//!   direct connection would have been; unless that side had finished both ways (its FIN read, ours
//!   sent): no RST can go out then, and it ends as closed by its peer ([`CloseReason::PeerClosed`]).
//!   A disconnect asked for closes both sides (FIN). A side whose reset was found by a write still
//!   has what its peer sent before the RST read: its `Rx` data, which its partner never got
//!   ([`Event::Unsent`]).
//! - **Back-pressure.** While one side's send queue (or what is held for a server side still
//!   connecting) holds more than half of
//!   [`SessionConfig::max_queue_bytes`](super::SessionConfig::max_queue_bytes), the other side is not
//!   read; it is read again once the queue has drained below that. A side that stops reading so slows
//!   the other to its pace through TCP flow control, and each queue stays under half the limit plus one
//!   read turn, whatever either side does.
//! - **TLS.** Either side may be TLS, each with its own configuration: the relay is the devices' TLS
//!   server and the target's TLS client. What is logged and forwarded is the plaintext. What the device
//!   sends waits in the server side's queue until that side's handshake finished, which must be within
//!   the connect time-out ([`TlsFailure::HandshakeTimedOut`] otherwise, a failure like any other). A
//!   TLS device's handshake comes first: the target is connected to once it finished, so a device that
//!   fails it (a plain client, a refused certificate, silence past
//!   [`TlsAccept::handshake_timeout`](super::TlsAccept::handshake_timeout)) never reaches the target, and
//!   the record has only the device to show, as the target saw nothing.
//! - **Rules.** Reply rules see each side's stream; an answer goes back to the sender, or with
//!   [`Rule::onward`](crate::rules::Rule::onward) on to the other side, after the message it answers.
//!
//! [`Event::Connected`]: super::Event::Connected
//! [`Event::Connecting`]: super::Event::Connecting
//! [`Event::ConnectFailed`]: super::Event::ConnectFailed
//! [`Event::Data`]: super::Event::Data
//! [`Event::Forwarded`]: super::Event::Forwarded
//! [`Event::HalfClosed`]: super::Event::HalfClosed
//! [`Event::Paired`]: super::Event::Paired
//! [`Event::Unsent`]: super::Event::Unsent

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::conn::{Conn, Outcome, READS_PER_TURN, ReadState};
use super::replies::Answer;
use super::resolve::resolve;
use super::self_target::{local_addresses, self_target};
use super::tcp_client::connect_outcome;
use super::tcp_server::{Acceptor, no_such_peer};
use super::tls::Endpoint;
use super::worker::{Cx, Handler, SOCKET_TOKEN, Wake};
use super::{
    CloseReason, Direction, HostPort, NetError, Operation, PeerCommand, PeerId, Target, TlsAccept,
    TlsConnect, TlsFailure,
};

mod connecting;

use connecting::{Connecting, Held, Unreached};

/// One side of a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// The accepted client.
    Device,
    /// The connection to the target.
    Server,
}

impl End {
    fn other(self) -> Self {
        match self {
            Self::Device => Self::Server,
            Self::Server => Self::Device,
        }
    }
}

/// Which side of a pair failed, and why.
type Failure = (End, CloseReason);

/// The server side of a pair.
enum ServerSide {
    /// The device's TLS handshake is going on: the target is connected to once it finished, so a device
    /// that fails its handshake never reaches the target (as a TLS-terminating proxy does it).
    AwaitingHandshake,
    /// Connecting to one of the target's addresses.
    Connecting(Connecting),
    Connected(Conn),
}

/// A device and its server side.
struct Pair {
    device: Conn,
    server: ServerSide,
    /// Reading the device (`[0]`) or the server (`[1]`) waits for the other side's queue to drain.
    paused: [bool; 2],
    /// What the device sent while its server side was connecting, and sends of ours to it; empty once
    /// it is connected.
    held: Held,
    /// A TLS device's first plaintext, read with the end of its handshake: recorded once the connect on
    /// to the target is under way, so its row names the pair as the device's later rows do.
    early: Option<Bytes>,
}

impl Pair {
    /// The side `end` and its partner, once the server side is connected.
    fn sides(&mut self, end: End) -> Option<(&mut Conn, &mut Conn)> {
        let ServerSide::Connected(server) = &mut self.server else {
            return None;
        };
        Some(match end {
            End::Device => (&mut self.device, server),
            End::Server => (server, &mut self.device),
        })
    }

    fn conn(&mut self, end: End) -> Option<&mut Conn> {
        match (end, &mut self.server) {
            (End::Device, _) => Some(&mut self.device),
            (End::Server, ServerSide::Connected(server)) => Some(server),
            (End::Server, ServerSide::Connecting(_) | ServerSide::AwaitingHandshake) => None,
        }
    }

    /// Reads side `end` up to a turn's budget, forwarding to its partner; see [`pump`]. While the
    /// server side is connecting (or the device's handshake is going on), the device is read into what
    /// is held for it.
    fn pump(&mut self, end: End, threshold: usize, cx: &mut Cx) -> Result<ReadState, Failure> {
        let pumped = match (&mut self.server, end) {
            (ServerSide::Connected(server), End::Device) => {
                pump(&mut self.device, server, end, threshold, cx)?
            }
            (ServerSide::Connected(server), End::Server) => {
                pump(server, &mut self.device, end, threshold, cx)?
            }
            (ServerSide::AwaitingHandshake, End::Device) => {
                return self.read_handshake(cx).map_err(|reason| (end, reason));
            }
            (ServerSide::Connecting(_), End::Device) => {
                pump(&mut self.device, &mut self.held, end, threshold, cx)?
            }
            (ServerSide::Connecting(_) | ServerSide::AwaitingHandshake, End::Server) => {
                return Ok(ReadState::Drained);
            }
        };
        self.paused[end as usize] = pumped == Pumped::Paused;
        Ok(match pumped {
            Pumped::More => ReadState::More,
            Pumped::Drained | Pumped::Paused => ReadState::Drained,
        })
    }

    /// Reads a TLS device's handshake and no further: the first plaintext, which may come with the
    /// handshake's end, is kept in `early` (see there).
    fn read_handshake(&mut self, cx: &mut Cx) -> Result<ReadState, CloseReason> {
        for _ in 0..READS_PER_TURN {
            if !self.device.handshaking() || self.early.is_some() {
                return Ok(ReadState::Drained);
            }
            match self.device.read_once(cx)? {
                Some(bytes) => self.early = Some(bytes),
                None => return Ok(ReadState::Drained),
            }
        }
        Ok(ReadState::More)
    }

    /// The server side just connected: writes to it what the device sent meanwhile, then the device's
    /// FIN if it came.
    fn release_held(&mut self, cx: &mut Cx) -> Result<(), Failure> {
        let ServerSide::Connected(server) = &mut self.server else {
            return Ok(());
        };
        self.held
            .release(&self.device, server, cx)
            .map_err(|reason| (End::Server, reason))
    }

    /// Passes on each side's FIN that waited for delayed answers ([`pass_fin`]).
    fn pass_fins(&mut self, cx: &mut Cx) -> Result<(), Failure> {
        for end in [End::Device, End::Server] {
            if let Some((from, to)) = self.sides(end) {
                pass_fin(from, to, cx).map_err(|reason| (end.other(), reason))?;
            }
        }
        Ok(())
    }

    /// Both directions are finished: each side sent its FIN and got ours.
    fn finished(&self) -> bool {
        let ServerSide::Connected(server) = &self.server else {
            return false;
        };
        [&self.device, server]
            .iter()
            .all(|conn| conn.peer_finished() && conn.finished_sending())
    }

    /// Closes both sides: `end` for `reason`, its partner as that calls for (see the module docs).
    fn close(self, end: End, reason: CloseReason, cx: &mut Cx) {
        let Pair {
            device,
            server,
            held,
            ..
        } = self;
        let server = match server {
            ServerSide::Connected(server) => server,
            // The connect is dropped unseen: only the device ends, for `reason` whichever side it
            // was given for.
            ServerSide::Connecting(connecting) => {
                let id = connecting.id;
                connecting.abandon(cx);
                return connecting::close_unpaired(device, &held, Some(id), reason, cx);
            }
            // No connect was made, and no plaintext came yet (the first is kept in `early` until the
            // connect on starts): only a send held for the server side would be unsent to one that
            // never was, which takes an id only then.
            ServerSide::AwaitingHandshake => {
                return connecting::close_unpaired(device, &held, None, reason, cx);
            }
        };
        let (failed, partner) = match end {
            End::Device => (device, server),
            End::Server => (server, device),
        };
        let failed_peer = failed.peer;
        failed.close(reason.clone(), cx);
        if ordered(&reason) {
            partner.close(reason, cx);
        } else if partner.peer_finished() && partner.finished_sending() {
            // Closed both ways already: no RST can go out, and its peer saw a normal end.
            partner.close(CloseReason::PeerClosed, cx);
        } else {
            partner.abort(CloseReason::PartnerReset(failed_peer), cx);
        }
    }
}

/// Whether `reason` ends a connection in order (a FIN), not for a failure.
fn ordered(reason: &CloseReason) -> bool {
    matches!(
        reason,
        CloseReason::PeerClosed | CloseReason::Kicked | CloseReason::SessionStopped
    )
}

/// What a read turn of one side left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pumped {
    /// Everything available was read.
    Drained,
    /// The turn's budget ran out, or the caller is behind: read again soon.
    More,
    /// The partner's queue is over the threshold: read again once it drained.
    Paused,
}

/// Where what one side reads goes: its partner's connection, or the device's [`Held`] bytes while its
/// server side is connecting.
trait Onward {
    /// Bytes waiting to be written to the partner.
    fn waiting(&self) -> usize;
    /// Takes bytes read from the side, written to the partner as forwarded (no row of their own).
    fn pass_on(&mut self, bytes: Bytes, cx: &mut Cx) -> Outcome;
    /// Takes a rule's answer sent on to the partner: a send of ours, its `Tx` row once written.
    fn inject(&mut self, bytes: Bytes, cx: &mut Cx) -> Outcome;
    /// The side's FIN was read: passes it on once it may go.
    fn fin_read(&mut self, from: &Conn, cx: &mut Cx) -> Outcome;
}

impl Onward for Conn {
    fn waiting(&self) -> usize {
        self.queued()
    }

    /// When the partner no longer sends (the user finished sending to it), the bytes cannot go out
    /// and are reported as unsent at once.
    fn pass_on(&mut self, bytes: Bytes, cx: &mut Cx) -> Outcome {
        if !self.sends() {
            cx.unsent(self.peer, bytes.len(), 1);
            return Ok(());
        }
        self.forward(bytes, cx)
    }

    fn inject(&mut self, bytes: Bytes, cx: &mut Cx) -> Outcome {
        self.send(bytes, cx)
    }

    fn fin_read(&mut self, from: &Conn, cx: &mut Cx) -> Outcome {
        pass_fin(from, self, cx)
    }
}

/// Reads `from` (side `end`) up to a turn's budget: each read is `from`'s `Rx` data, written on to `to`,
/// then the rules' answers to it go back to `from` or on to `to`. Stops early while `to` holds more
/// than `threshold`. `from`'s FIN is passed on to `to` after what was read before it.
fn pump(
    from: &mut Conn,
    to: &mut impl Onward,
    end: End,
    threshold: usize,
    cx: &mut Cx,
) -> Result<Pumped, Failure> {
    for _ in 0..READS_PER_TURN {
        if from.peer_finished() {
            return Ok(Pumped::Drained);
        }
        if cx.backlog_full() {
            return Ok(Pumped::More);
        }
        if to.waiting() > threshold {
            return Ok(Pumped::Paused);
        }
        let Some(bytes) = from.read_once(cx).map_err(|reason| (end, reason))? else {
            to.fin_read(from, cx)
                .map_err(|reason| (end.other(), reason))?;
            return Ok(Pumped::Drained);
        };
        take_read(from, to, end, bytes, cx)?;
    }
    Ok(Pumped::More)
}

/// What `from` (side `end`) sent in one read: its `Rx` data, written on to `to`, then the rules'
/// answers to it, back to `from` or on to `to`.
fn take_read(
    from: &mut Conn,
    to: &mut impl Onward,
    end: End,
    bytes: Bytes,
    cx: &mut Cx,
) -> Result<(), Failure> {
    cx.data(from.peer, Direction::Rx, bytes.clone());
    let answers = cx.replies(from.peer, from.addr, &bytes, false);
    to.pass_on(bytes, cx)
        .map_err(|reason| (end.other(), reason))?;
    for answer in answers {
        if answer.onward {
            to.inject(answer.bytes, cx)
                .map_err(|reason| (end.other(), reason))?;
        } else {
            from.send(answer.bytes, cx)
                .map_err(|reason| (end, reason))?;
        }
    }
    Ok(())
}

/// Passes `from`'s FIN on to `to` once it came and no delayed rule answer is still to be written to
/// `to`: what was scheduled before the FIN goes out before it, as it would have without the relay.
fn pass_fin(from: &Conn, to: &mut Conn, cx: &mut Cx) -> Result<(), CloseReason> {
    if from.peer_finished() && !cx.has_scheduled_toward(to.peer, from.peer) {
        to.half_close(cx)?;
    }
    Ok(())
}

pub(crate) struct Relay {
    acceptor: Acceptor,
    bind: SocketAddr,
    target: HostPort,
    timeout: Duration,
    /// The target's addresses, resolved when the session opened.
    addrs: Vec<SocketAddr>,
    /// TLS towards the target as configured; `target_tls` is built from it when the session opens.
    tls_connect: Option<TlsConnect>,
    target_tls: Option<Endpoint>,
    /// When the TLS handshake with the target must have finished, by the pair's device: a target that
    /// takes the connection but never answers the greeting (a plain server waiting for a line) ends the
    /// pair, as a TCP client's would.
    handshakes: HashMap<PeerId, Instant>,
    /// Pairs by their device's id.
    pairs: HashMap<PeerId, Pair>,
    /// The device of each server side (connecting or connected), by the server side's id.
    devices: HashMap<PeerId, PeerId>,
    /// Sides whose read turn was cut short, or that may have bytes waiting since they were paired.
    unread: Vec<PeerId>,
}

impl Relay {
    /// A relay listening on `bind` for devices (TLS to them with `tls_accept`) and connecting each on to
    /// `target` (TLS to it with `tls_connect`).
    pub(crate) fn new(
        bind: SocketAddr,
        target: HostPort,
        max_clients: Option<usize>,
        timeout: Duration,
        tls_accept: Option<TlsAccept>,
        tls_connect: Option<TlsConnect>,
    ) -> Self {
        Self {
            acceptor: Acceptor::new(bind, max_clients, tls_accept),
            bind,
            target,
            timeout,
            addrs: Vec::new(),
            tls_connect,
            target_tls: None,
            handshakes: HashMap::new(),
            pairs: HashMap::new(),
            devices: HashMap::new(),
            unread: Vec::new(),
        }
    }

    /// The pair `peer` belongs to (by its device's id) and which side it is.
    fn find(&self, peer: PeerId) -> Option<(PeerId, End)> {
        if self.pairs.contains_key(&peer) {
            Some((peer, End::Device))
        } else {
            self.devices.get(&peer).map(|device| (*device, End::Server))
        }
    }

    /// Starts the server side of each device accepted, or, for a TLS device, waits for its handshake
    /// first. The device is read from now on: it may have sent already.
    fn add(&mut self, accepted: Vec<Conn>, cx: &mut Cx) {
        for device in accepted {
            let peer = device.peer;
            if device.handshaking() {
                let pair = Pair {
                    device,
                    server: ServerSide::AwaitingHandshake,
                    paused: [false; 2],
                    held: Held::default(),
                    early: None,
                };
                self.pairs.insert(peer, pair);
            } else {
                self.connect_on(device, Held::default(), None, cx);
            }
            self.unread.push(peer);
        }
    }

    /// Starts connecting `device` on to the target, with what is held for it so far and the device's
    /// `early` plaintext (recorded now, named by the pair), or closes it when no connect gets under way.
    fn connect_on(&mut self, mut device: Conn, mut held: Held, early: Option<Bytes>, cx: &mut Cx) {
        let peer = device.peer;
        match Connecting::begin(
            &mut device,
            &self.target,
            self.addrs.clone(),
            self.timeout,
            cx,
        ) {
            Ok(connecting) => {
                self.devices.insert(connecting.id, peer);
                let pair = Pair {
                    device,
                    server: ServerSide::Connecting(connecting),
                    paused: [false; 2],
                    held,
                    early: None,
                };
                let pair = self.pairs.entry(peer).insert_entry(pair).into_mut();
                if let Some(bytes) = early
                    && let Err((end, reason)) =
                        take_read(&mut pair.device, &mut pair.held, End::Device, bytes, cx)
                {
                    self.close(peer, end, reason, cx);
                }
            }
            Err(Unreached { error, server }) => {
                if let Some(bytes) = early {
                    cx.data(peer, Direction::Rx, bytes.clone());
                    let _ = held.pass_on(bytes, cx);
                }
                let reason = CloseReason::Unreachable(error);
                connecting::close_unpaired(device, &held, Some(server), reason, cx);
            }
        }
    }

    /// The device's TLS handshake finished: the target is connected to now.
    fn handshake_done(&mut self, device: PeerId, cx: &mut Cx) {
        let done = self.pairs.get(&device).is_some_and(|pair| {
            matches!(pair.server, ServerSide::AwaitingHandshake) && !pair.device.handshaking()
        });
        if !done {
            return;
        }
        if let Some(pair) = self.pairs.remove(&device) {
            self.connect_on(pair.device, pair.held, pair.early, cx);
        }
    }

    /// Reads side `end` of `device`'s pair, and ends the pair if that failed or finished it.
    fn pump(&mut self, device: PeerId, end: End, cx: &mut Cx) {
        let threshold = cx.max_queue_bytes / 2;
        let Some(pair) = self.pairs.get_mut(&device) else {
            return;
        };
        match pair.pump(end, threshold, cx) {
            Ok(ReadState::Drained) => {}
            Ok(ReadState::More) => self.unread.extend(side_id(pair, end)),
            Err((failed, reason)) => return self.close(device, failed, reason, cx),
        }
        self.handshake_done(device, cx);
        self.close_if_finished(device, cx);
    }

    fn close_if_finished(&mut self, device: PeerId, cx: &mut Cx) {
        if self.pairs.get(&device).is_some_and(Pair::finished) {
            self.close(device, End::Device, CloseReason::PeerClosed, cx);
        }
    }

    fn close(&mut self, device: PeerId, end: End, reason: CloseReason, cx: &mut Cx) {
        if let Some(pair) = self.pairs.remove(&device) {
            if let Some(server) = side_id_of(&pair.server) {
                self.devices.remove(&server);
            }
            pair.close(end, reason, cx);
        }
    }

    /// A readiness event for a connected side: flush, read, and read the partner again if this side's
    /// queue drained below the threshold while the partner waited for it.
    fn side_ready(&mut self, device: PeerId, end: End, event: &mio::event::Event, cx: &mut Cx) {
        let threshold = cx.max_queue_bytes / 2;
        let Some(pair) = self.pairs.get_mut(&device) else {
            return;
        };
        if event.is_writable()
            && let Some(conn) = pair.conn(end)
            && let Err(reason) = conn.flush(cx)
        {
            return self.close(device, end, reason, cx);
        }
        let resume = pair.paused[end.other() as usize]
            && pair
                .conn(end)
                .is_some_and(|conn| conn.queued() <= threshold);
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            self.pump(device, end, cx);
        } else {
            self.close_if_finished(device, cx);
        }
        if resume {
            self.pump(device, end.other(), cx);
        }
    }

    /// Forgets the handshakes with the target that finished or whose pair ended, and ends the pairs
    /// whose handshake is still going on at its deadline.
    fn end_slow_handshakes(&mut self, now: Instant, cx: &mut Cx) {
        let mut late = Vec::new();
        self.handshakes.retain(|device, by| {
            let Some(server) = self
                .pairs
                .get_mut(device)
                .and_then(|pair| pair.conn(End::Server))
                .filter(|server| server.handshaking())
            else {
                return false;
            };
            if *by <= now {
                late.push((*device, server.addr));
            }
            *by > now
        });
        for (device, addr) in late {
            let failure = TlsFailure::HandshakeTimedOut {
                waited_ms: self.timeout.as_millis(),
                as_server: false,
            };
            let error = NetError::tls(Operation::Tls, Some(addr.to_string()), failure);
            self.close(device, End::Server, CloseReason::Error(error), cx);
        }
    }

    fn send_to(&mut self, peer: PeerId, bytes: Bytes, cx: &mut Cx) {
        let Some((device, end)) = self.find(peer) else {
            // Gone before the send came (or never there): it did not go out to it.
            cx.unsent(peer, bytes.len(), 1);
            return;
        };
        let Some(pair) = self.pairs.get_mut(&device) else {
            return;
        };
        let Some(conn) = pair.conn(end) else {
            // The server side is still connecting: the send waits behind what the device sent.
            return pair.held.send(peer, bytes, cx);
        };
        if let Err(reason) = conn.send(bytes, cx) {
            self.close(device, end, reason, cx);
        }
    }
}

/// The id of side `end` of `pair`; none for a server side not yet started.
fn side_id(pair: &Pair, end: End) -> Option<PeerId> {
    match end {
        End::Device => Some(pair.device.peer),
        End::Server => side_id_of(&pair.server),
    }
}

/// The id a server side has, or will have once connected; none while the device's handshake goes on.
fn side_id_of(server: &ServerSide) -> Option<PeerId> {
    match server {
        ServerSide::Connected(server) => Some(server.peer),
        ServerSide::Connecting(connecting) => Some(connecting.id),
        ServerSide::AwaitingHandshake => None,
    }
}

impl Handler for Relay {
    fn open(&mut self, cx: &mut Cx) -> Result<(), NetError> {
        if let Some(tls) = &self.tls_connect {
            let endpoint = Endpoint::client(tls, &self.target.host)
                .map_err(|failure| NetError::tls(Operation::Setup, None, failure))?;
            self.target_tls = Some(endpoint);
        }
        self.addrs = resolve(&self.target.host, self.target.port)?;
        // Refused before listening: a relay connected on to itself would connect without end.
        if let Some(reached) = self_target(self.bind, &self.addrs, local_addresses) {
            return Err(NetError::self_target(
                &self.target.to_string(),
                reached,
                self.bind,
            ));
        }
        self.acceptor.open(cx)
    }

    fn ready(&mut self, event: &mio::event::Event, cx: &mut Cx) {
        if event.token() == SOCKET_TOKEN {
            let accepted = self.acceptor.ready(self.pairs.len(), cx);
            self.add(accepted, cx);
            return;
        }
        let peer = PeerId(event.token().0 as u64);
        let Some((device, end)) = self.find(peer) else {
            return;
        };
        let outcome = match self.pairs.get(&device).map(|pair| &pair.server) {
            Some(ServerSide::Connecting(connecting)) if end == End::Server => {
                connect_outcome(&connecting.stream).map(|outcome| {
                    let addr = connecting.addr.to_string();
                    outcome.map_err(|e| NetError::io(Operation::Connect, Some(addr), &e))
                })
            }
            _ => return self.side_ready(device, end, event, cx),
        };
        if let Some(outcome) = outcome {
            self.connected(device, outcome, cx);
        }
    }

    fn command(&mut self, command: PeerCommand, cx: &mut Cx) {
        match command {
            PeerCommand::Send {
                to: Target::Peer(peer),
                bytes,
            } => self.send_to(peer, bytes, cx),
            PeerCommand::Send {
                to: Target::All,
                bytes,
            } => {
                let mut devices: Vec<PeerId> = self.pairs.keys().copied().collect();
                devices.sort_unstable();
                for device in devices {
                    self.send_to(device, bytes.clone(), cx);
                }
            }
            PeerCommand::Send { to, .. } => cx.error(NetError::invalid(
                Operation::Send,
                None,
                format!("a relay sends to one side of a pair or to all devices, not to {to:?}"),
            )),
            // A side that is gone has nothing left to close or finish, and its close row says so.
            PeerCommand::Disconnect(peer) => {
                if let Some((device, end)) = self.find(peer) {
                    self.close(device, end, CloseReason::Kicked, cx);
                }
            }
            PeerCommand::HalfClose(peer) => {
                let Some((device, end)) = self.find(peer) else {
                    return;
                };
                let Some(conn) = self.pairs.get_mut(&device).and_then(|pair| pair.conn(end)) else {
                    cx.error(no_such_peer(peer));
                    return;
                };
                if let Err(reason) = conn.half_close(cx) {
                    self.close(device, end, reason, cx);
                } else {
                    self.close_if_finished(device, cx);
                }
            }
            // No connection of a relay is held for sends on connect.
            PeerCommand::SentOnConnect(_) => {}
        }
    }

    fn answer(&mut self, peer: PeerId, answer: Answer, cx: &mut Cx) {
        let to = match (answer.onward, self.find(peer)) {
            (false, _) => peer,
            (true, Some((device, End::Server))) => device,
            (true, Some((device, End::Device))) => match self.pairs.get_mut(&device) {
                Some(pair) => match side_id(pair, End::Server) {
                    Some(server) => server,
                    // The device's handshake is going on (so no answer to its data can be due yet):
                    // held, to go on once the target is connected, behind what the device sent.
                    None => return pair.held.inject(answer.bytes, cx).unwrap_or(()),
                },
                None => return,
            },
            // The pair has ended; its delayed answers were reported unsent with it.
            (true, None) => return,
        };
        self.send_to(to, answer.bytes, cx);
        // A FIN held back for this answer may go now.
        let Some((device, _)) = self.find(to) else {
            return;
        };
        if let Some(Err((end, reason))) = self.pairs.get_mut(&device).map(|pair| pair.pass_fins(cx))
        {
            return self.close(device, end, reason, cx);
        }
        self.close_if_finished(device, cx);
    }

    fn turn(&mut self, now: Instant, cx: &mut Cx) -> Wake {
        let accepted = self.acceptor.turn(now, self.pairs.len(), cx);
        self.add(accepted, cx);
        for peer in std::mem::take(&mut self.unread) {
            if let Some((device, end)) = self.find(peer) {
                self.pump(device, end, cx);
            }
        }
        let timed_out: Vec<(PeerId, NetError)> = self
            .pairs
            .iter()
            .filter_map(|(device, pair)| match &pair.server {
                ServerSide::Connecting(connecting) if connecting.deadline <= now => Some((
                    *device,
                    NetError::connect_timeout(connecting.addr.to_string(), self.timeout),
                )),
                _ => None,
            })
            .collect();
        for (device, error) in timed_out {
            self.connected(device, Err(error), cx);
        }
        self.end_slow_handshakes(now, cx);
        let pairs = &self.pairs;
        let late = self.acceptor.late_handshakes(now, |device| {
            pairs
                .get(&device)
                .is_some_and(|pair| pair.device.handshaking())
        });
        for (device, reason) in late {
            self.close(device, End::Device, reason, cx);
        }
        if !self.unread.is_empty() {
            return Wake::Now;
        }
        let deadline = self
            .pairs
            .values()
            .filter_map(|pair| match &pair.server {
                ServerSide::Connecting(connecting) => Some(connecting.deadline),
                ServerSide::Connected(_) | ServerSide::AwaitingHandshake => None,
            })
            .chain(self.handshakes.values().copied())
            .min();
        match (self.acceptor.wake(), deadline) {
            (Wake::Now, _) => Wake::Now,
            (Wake::At(at), Some(deadline)) => Wake::At(at.min(deadline)),
            (Wake::Idle, Some(deadline)) => Wake::At(deadline),
            (wake, None) => wake,
        }
    }

    fn finished(&self) -> bool {
        false
    }

    fn queued(&self) -> usize {
        self.pairs
            .values()
            .map(|pair| {
                let server = match &pair.server {
                    ServerSide::Connected(server) => server.queued(),
                    ServerSide::Connecting(_) | ServerSide::AwaitingHandshake => pair.held.bytes(),
                };
                pair.device.queued() + server
            })
            .sum()
    }

    fn shutdown(&mut self, cx: &mut Cx) {
        let mut devices: Vec<PeerId> = self.pairs.keys().copied().collect();
        devices.sort_unstable();
        for device in devices {
            self.close(device, End::Device, CloseReason::SessionStopped, cx);
        }
        self.acceptor.close();
    }
}
