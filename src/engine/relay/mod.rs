//! Relay mode: a man in the middle the user puts there on purpose. It listens, and for each client it
//! accepts (the device side) it connects to the target (the server side) and forwards what either side
//! sends to the other, all on the session's one readiness loop.
//!
//! How it is reported:
//! - **Pairs.** Each side is a peer of its own ([`Event::Connected`]); [`Event::Paired`] comes right
//!   before the server side's `Connected` and says which two peers form a pair and which side is which.
//!   The device is not read until its server side is connected (TCP flow control holds it meanwhile),
//!   so nothing it sends early is lost. A target that cannot be reached closes the device with
//!   [`CloseReason::Unreachable`], which carries why (refused, timed out, no route) and the address.
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
//!   direct connection would have been. A disconnect asked for closes both sides (FIN).
//! - **Back-pressure.** While one side's send queue holds more than half of
//!   [`SessionConfig::max_queue_bytes`](super::SessionConfig::max_queue_bytes), the other side is not
//!   read; it is read again once the queue has drained below that. A side that stops reading so slows
//!   the other to its pace through TCP flow control, and each queue stays under half the limit plus one
//!   read turn, whatever either side does.
//! - **TLS.** Either side may be TLS, each with its own configuration: the relay is the devices' TLS
//!   server and the target's TLS client. What is logged and forwarded is the plaintext. A device is
//!   read as soon as its TCP connection to the target is made; what it sends waits in the server
//!   side's queue until that side's handshake finished, which must be within the connect time-out
//!   ([`TlsFailure::HandshakeTimedOut`] otherwise, a failure like any other); a device's handshake must
//!   finish within [`TlsAccept::handshake_timeout`](super::TlsAccept::handshake_timeout), as a TCP
//!   server's client's.
//! - **Rules.** Reply rules see each side's stream; an answer goes back to the sender, or with
//!   [`Rule::onward`](crate::rules::Rule::onward) on to the other side, after the message it answers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use mio::Interest;
use mio::net::TcpStream;

use super::conn::{Conn, READS_PER_TURN, ReadState};
use super::replies::Answer;
use super::resolve::resolve;
use super::self_target::{local_addresses, self_target};
use super::tcp_client::{begin_connect, connect_outcome};
use super::tcp_server::{Acceptor, no_such_peer};
use super::tls::Endpoint;
use super::worker::{Cx, Handler, SOCKET_TOKEN, Wake};
use super::{
    CloseReason, Command, Direction, Event, HostPort, NetError, Operation, PeerId, Target,
    TlsAccept, TlsConnect, TlsFailure,
};

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
    /// Connecting to `addr` under the id it will have; `rest` are the target's other addresses.
    Connecting {
        stream: TcpStream,
        id: PeerId,
        addr: SocketAddr,
        deadline: Instant,
        rest: Vec<SocketAddr>,
    },
    Connected(Conn),
}

/// A device and its server side.
struct Pair {
    device: Conn,
    server: ServerSide,
    /// Reading the device (`[0]`) or the server (`[1]`) waits for the other side's queue to drain.
    paused: [bool; 2],
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
            (End::Server, ServerSide::Connecting { .. }) => None,
        }
    }

    /// Reads side `end` up to a turn's budget, forwarding to its partner; see [`pump`].
    fn pump(&mut self, end: End, threshold: usize, cx: &mut Cx) -> Result<ReadState, Failure> {
        let Some((from, to)) = self.sides(end) else {
            return Ok(ReadState::Drained);
        };
        let pumped = pump(from, to, end, threshold, cx)?;
        self.paused[end as usize] = pumped == Pumped::Paused;
        Ok(match pumped {
            Pumped::More => ReadState::More,
            Pumped::Drained | Pumped::Paused => ReadState::Drained,
        })
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
        let Pair { device, server, .. } = self;
        let server = match server {
            ServerSide::Connected(server) => Some(server),
            ServerSide::Connecting { mut stream, .. } => {
                // A connect under way is dropped unseen: it never was a peer.
                let _ = cx.registry.deregister(&mut stream);
                None
            }
        };
        let (failed, partner) = match end {
            End::Device => (Some(device), server),
            End::Server => (server, Some(device)),
        };
        let ordered = matches!(
            reason,
            CloseReason::PeerClosed | CloseReason::Kicked | CloseReason::SessionStopped
        );
        let Some(failed) = failed else {
            if let Some(partner) = partner {
                partner.close(reason, cx);
            }
            return;
        };
        let failed_peer = failed.peer;
        failed.close(reason.clone(), cx);
        match partner {
            Some(partner) if ordered => partner.close(reason, cx),
            Some(partner) => partner.abort(CloseReason::PartnerReset(failed_peer), cx),
            None => {}
        }
    }
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

/// Reads `from` (side `end`) up to a turn's budget: each read is `from`'s `Rx` data, written on to `to`,
/// then the rules' answers to it go back to `from` or on to `to`. Stops early while `to`'s queue is over
/// `threshold`. `from`'s FIN is passed on to `to` after what was read before it.
fn pump(
    from: &mut Conn,
    to: &mut Conn,
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
        if to.queued() > threshold {
            return Ok(Pumped::Paused);
        }
        let Some(bytes) = from.read_once(cx).map_err(|reason| (end, reason))? else {
            pass_fin(from, to, cx).map_err(|reason| (end.other(), reason))?;
            return Ok(Pumped::Drained);
        };
        cx.data(from.peer, Direction::Rx, bytes.clone());
        let answers = cx.replies(from.peer, from.addr, &bytes, false);
        forward(to, bytes, cx).map_err(|reason| (end.other(), reason))?;
        for answer in answers {
            if answer.onward {
                to.send(answer.bytes, cx)
                    .map_err(|reason| (end.other(), reason))?;
            } else {
                from.send(answer.bytes, cx)
                    .map_err(|reason| (end, reason))?;
            }
        }
    }
    Ok(Pumped::More)
}

/// Passes `from`'s FIN on to `to` once it came and no delayed rule answer is still to be written to
/// `to`: what was scheduled before the FIN goes out before it, as it would have without the relay.
fn pass_fin(from: &Conn, to: &mut Conn, cx: &mut Cx) -> Result<(), CloseReason> {
    if from.peer_finished() && !cx.has_scheduled_toward(to.peer, from.peer) {
        to.half_close(cx)?;
    }
    Ok(())
}

/// Queues bytes read from the partner on `to`; when `to` no longer sends (the user finished sending to
/// it), they cannot go out and are reported as unsent at once.
fn forward(to: &mut Conn, bytes: Bytes, cx: &mut Cx) -> Result<(), CloseReason> {
    if !to.sends() {
        cx.unsent(to.peer, bytes.len(), 1);
        return Ok(());
    }
    to.forward(bytes, cx)
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

    /// Starts the server side of each device accepted.
    fn add(&mut self, accepted: Vec<Conn>, cx: &mut Cx) {
        for device in accepted {
            let peer = device.peer;
            match self.connect(self.addrs.clone(), cx) {
                Ok(server) => {
                    self.devices.insert(side_id_of(&server), peer);
                    let pair = Pair {
                        device,
                        server,
                        paused: [false; 2],
                    };
                    self.pairs.insert(peer, pair);
                }
                Err(error) => device.close(CloseReason::Unreachable(error), cx),
            }
        }
    }

    /// Starts connecting to the first of `addrs` that gets as far as a connect under way; the last
    /// failure if none does.
    fn connect(&self, mut addrs: Vec<SocketAddr>, cx: &mut Cx) -> Result<ServerSide, NetError> {
        let mut last_error = None;
        while !addrs.is_empty() {
            let addr = addrs.remove(0);
            let id = PeerId::next();
            let started = begin_connect(addr, None).and_then(|mut stream| {
                cx.registry
                    .register(
                        &mut stream,
                        Cx::token(id),
                        Interest::READABLE | Interest::WRITABLE,
                    )
                    .map_err(|e| NetError::io(Operation::Setup, Some(addr.to_string()), &e))?;
                Ok(stream)
            });
            match started {
                Ok(stream) => {
                    return Ok(ServerSide::Connecting {
                        stream,
                        id,
                        addr,
                        deadline: Instant::now() + self.timeout,
                        rest: addrs,
                    });
                }
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            NetError::invalid(
                Operation::Resolve,
                Some(self.target.host.clone()),
                "the name has no addresses",
            )
        }))
    }

    /// The server side of `device` finished connecting (`outcome`), or timed out (`outcome` an error):
    /// pairs it, tries the target's next address, or closes the device.
    fn connected(&mut self, device: PeerId, outcome: Result<(), NetError>, cx: &mut Cx) {
        let Some(Pair {
            device: mut device_conn,
            server,
            paused,
        }) = self.pairs.remove(&device)
        else {
            return;
        };
        let (mut stream, id, addr, rest) = match server {
            ServerSide::Connecting {
                stream,
                id,
                addr,
                rest,
                ..
            } => (stream, id, addr, rest),
            server @ ServerSide::Connected(_) => {
                let pair = Pair {
                    device: device_conn,
                    server,
                    paused,
                };
                self.pairs.insert(device, pair);
                return;
            }
        };
        self.devices.remove(&id);
        // The socket moves to its peer registration, or is dropped on failure.
        let _ = cx.registry.deregister(&mut stream);
        let opened = outcome.and_then(|()| {
            cx.emit(Event::Paired {
                device,
                server: id,
                at: SystemTime::now(),
            });
            Conn::open_as(stream, addr, id, self.target_tls.as_ref(), cx)
        });
        let server = match opened {
            Ok(mut server) => {
                server.pair_with(device);
                device_conn.pair_with(id);
                // Both may have sent already: the device while it waited, the server on connecting.
                self.unread.extend([device, id]);
                Ok(ServerSide::Connected(server))
            }
            Err(error) if rest.is_empty() => Err(error),
            Err(_) => self.connect(rest, cx),
        };
        match server {
            Ok(server) => {
                self.devices.insert(side_id_of(&server), device);
                let pair = Pair {
                    device: device_conn,
                    server,
                    paused,
                };
                let pair = self.pairs.entry(device).insert_entry(pair).into_mut();
                if let Some(server) = pair.conn(End::Server)
                    && server.handshaking()
                {
                    self.handshakes
                        .insert(device, Instant::now() + self.timeout);
                    // A TLS client speaks first: its greeting goes out now.
                    if let Err(reason) = server.flush(cx) {
                        self.close(device, End::Server, reason, cx);
                    }
                }
            }
            Err(error) => device_conn.close(CloseReason::Unreachable(error), cx),
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
            Ok(ReadState::More) => self.unread.push(side_id(pair, end)),
            Err((failed, reason)) => return self.close(device, failed, reason, cx),
        }
        self.close_if_finished(device, cx);
    }

    fn close_if_finished(&mut self, device: PeerId, cx: &mut Cx) {
        if self.pairs.get(&device).is_some_and(Pair::finished) {
            self.close(device, End::Device, CloseReason::PeerClosed, cx);
        }
    }

    fn close(&mut self, device: PeerId, end: End, reason: CloseReason, cx: &mut Cx) {
        if let Some(pair) = self.pairs.remove(&device) {
            self.devices.remove(&side_id_of(&pair.server));
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
            cx.error(no_such_peer(peer));
            return;
        };
        let Some(conn) = self.pairs.get_mut(&device).and_then(|pair| pair.conn(end)) else {
            cx.error(NetError::invalid(
                Operation::Send,
                None,
                format!("{peer} is still connecting to the target"),
            ));
            return;
        };
        if let Err(reason) = conn.send(bytes, cx) {
            self.close(device, end, reason, cx);
        }
    }
}

/// The id of side `end` of `pair`.
fn side_id(pair: &Pair, end: End) -> PeerId {
    match end {
        End::Device => pair.device.peer,
        End::Server => side_id_of(&pair.server),
    }
}

/// The id a server side has, or will have once connected.
fn side_id_of(server: &ServerSide) -> PeerId {
    match server {
        ServerSide::Connected(server) => server.peer,
        ServerSide::Connecting { id, .. } => *id,
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
            Some(ServerSide::Connecting { stream, addr, .. }) if end == End::Server => {
                connect_outcome(stream).map(|outcome| {
                    outcome
                        .map_err(|e| NetError::io(Operation::Connect, Some(addr.to_string()), &e))
                })
            }
            _ => return self.side_ready(device, end, event, cx),
        };
        if let Some(outcome) = outcome {
            self.connected(device, outcome, cx);
        }
    }

    fn command(&mut self, command: Command, cx: &mut Cx) {
        match command {
            Command::Send {
                to: Target::Peer(peer),
                bytes,
            } => self.send_to(peer, bytes, cx),
            Command::Send {
                to: Target::All,
                bytes,
            } => {
                let mut devices: Vec<PeerId> = self.pairs.keys().copied().collect();
                devices.sort_unstable();
                for device in devices {
                    self.send_to(device, bytes.clone(), cx);
                }
            }
            Command::Send { to, .. } => cx.error(NetError::invalid(
                Operation::Send,
                None,
                format!("a relay sends to one side of a pair or to all devices, not to {to:?}"),
            )),
            Command::Disconnect(peer) => match self.find(peer) {
                Some((device, end)) => self.close(device, end, CloseReason::Kicked, cx),
                None => cx.error(no_such_peer(peer)),
            },
            Command::HalfClose(peer) => {
                let Some((device, end)) = self.find(peer) else {
                    cx.error(no_such_peer(peer));
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
            Command::JoinMulticast { .. } | Command::LeaveMulticast { .. } => cx.error(
                NetError::invalid(Operation::Multicast, None, "multicast needs a UDP session"),
            ),
            // Stop, the periodic sends, the rules and checks are handled by the worker loop, never passed on.
            Command::Stop
            | Command::StopWhenSent { .. }
            | Command::SendEvery { .. }
            | Command::StopPeriodic
            | Command::SetRules(_)
            | Command::RunCheck(_)
            | Command::StopCheck => {}
        }
    }

    fn answer(&mut self, peer: PeerId, answer: Answer, cx: &mut Cx) {
        let to = match (answer.onward, self.find(peer)) {
            (false, _) => peer,
            (true, Some((device, End::Server))) => device,
            (true, Some((device, End::Device))) => match self.pairs.get(&device) {
                Some(pair) => side_id(pair, End::Server),
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
                ServerSide::Connecting { addr, deadline, .. } if *deadline <= now => Some((
                    *device,
                    NetError::connect_timeout(addr.to_string(), self.timeout),
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
                ServerSide::Connecting { deadline, .. } => Some(*deadline),
                ServerSide::Connected(_) => None,
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
                    ServerSide::Connecting { .. } => 0,
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
