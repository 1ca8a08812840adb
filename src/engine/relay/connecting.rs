//! A relay pair while its target connect is pending: the connect under way ([`Connecting`], announced by
//! [`Event::Connecting`] for each address tried), what the device sends meanwhile ([`Held`]: read and
//! recorded as it comes, written to the target once connected), the connect's end
//! ([`Relay::connected`]: paired, or [`Event::ConnectFailed`] then the next address tried or the
//! target unreachable), and the end of a device whose server side never connected
//! ([`close_unpaired`]).
//!
//! The device is read from the start, so its rows carry the times its bytes came, and its FIN or reset
//! is seen when it happens instead of when the connect ends. What it sends is held within the relay's
//! back-pressure threshold (reading stops above it, as toward a connected side whose queue is long).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use mio::Interest;
use mio::net::TcpStream;

use super::{End, Onward, Pair, Relay, ServerSide, side_id_of};
use crate::engine::conn::{Conn, Outcome};
use crate::engine::tcp_client::begin_connect;
use crate::engine::worker::Cx;
use crate::engine::{CloseReason, Direction, Event, HostPort, NetError, Operation, PeerId};

/// Reads of a device whose server side never connected before it is closed anyway: up to 16 MiB at 64 KiB a
/// read, more than the receive buffer of a socket that was not being read holds (Linux grows it as it is
/// read), so a device that stopped sending is read to the end.
const DRAIN_READS: usize = 256;

/// A connect to one of the target's addresses, under way.
pub(super) struct Connecting {
    /// The socket, registered under `id` until the connect ends.
    pub(super) stream: TcpStream,
    /// The id the server side will have once connected.
    pub(super) id: PeerId,
    /// The address connected to.
    pub(super) addr: SocketAddr,
    /// The socket's local address, bound by the connect under way (for [`Event::ConnectFailed`]).
    pub(super) local: Option<SocketAddr>,
    /// When the connect is given up.
    pub(super) deadline: Instant,
    /// The target's addresses still to try should this one fail.
    pub(super) rest: Vec<SocketAddr>,
}

/// No connect to the target got under way: the last failure, and the id the last server side tried
/// had (what the device sent is reported as that side's unsent).
pub(super) struct Unreached {
    pub(super) error: NetError,
    pub(super) server: PeerId,
}

impl Connecting {
    /// Starts connecting `device` on to the first of `addrs` that gets as far as a connect under way,
    /// announcing each address tried ([`Event::Connecting`]) and each that failed at once
    /// ([`Event::ConnectFailed`]). `device` is paired with the id its server side will have, so its
    /// FIN meanwhile does not end it.
    pub(super) fn begin(
        device: &mut Conn,
        target: &HostPort,
        addrs: Vec<SocketAddr>,
        timeout: Duration,
        cx: &mut Cx,
    ) -> Result<Self, Unreached> {
        let mut addrs = addrs.into_iter();
        let mut server = None;
        let mut error = NetError::invalid(
            Operation::Resolve,
            Some(target.host.clone()),
            "the name has no addresses",
        );
        while let Some(addr) = addrs.next() {
            let id = PeerId::next();
            server = Some(id);
            device.pair_with(id);
            cx.emit(Event::Connecting {
                device: device.peer,
                server: id,
                target: target.clone(),
                addr,
                at: SystemTime::now(),
            });
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
                    return Ok(Self {
                        // The connect under way bound the socket to its ephemeral port.
                        local: stream.local_addr().ok(),
                        stream,
                        id,
                        addr,
                        deadline: Instant::now() + timeout,
                        rest: addrs.collect(),
                    });
                }
                Err(failed) => {
                    attempt_failed(device.peer, id, addr, None, &failed, cx);
                    error = failed;
                }
            }
        }
        // A name without addresses tried none: its id is one no row has named.
        let server = server.unwrap_or_else(PeerId::next);
        Err(Unreached { error, server })
    }

    /// Drops the connect: it never was a peer, and nothing was sent on it.
    pub(super) fn abandon(mut self, cx: &mut Cx) {
        let _ = cx.registry.deregister(&mut self.stream);
    }
}

/// Where a held send came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// Read from the device: forwarded, no row of its own once written.
    Device,
    /// A send of ours (the user's, or a rule's answer sent on): a `Tx` row once written.
    Ours,
}

/// What the device sent while its server side was connecting, and sends of ours to that side (rule
/// answers sent on, the user's), oldest first, to be written there once connected. Bounded: the device
/// is not read while this holds more than the threshold, and a send of ours that does not fit under the
/// queue limit is dropped.
#[derive(Default)]
pub(super) struct Held {
    sends: VecDeque<(Bytes, Origin)>,
    bytes: usize,
}

impl Held {
    /// Bytes held.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    fn hold(&mut self, bytes: Bytes, origin: Origin) {
        if !bytes.is_empty() {
            self.bytes += bytes.len();
            self.sends.push_back((bytes, origin));
        }
    }

    /// A send of ours to the server side (`server`) while it is connecting: held behind what the device
    /// sent, or dropped and reported as by a full queue when it would take what is held past
    /// [`SessionConfig::max_queue_bytes`](crate::engine::SessionConfig::max_queue_bytes).
    pub(super) fn send(&mut self, server: PeerId, bytes: Bytes, cx: &mut Cx) {
        if self.bytes + bytes.len() > cx.max_queue_bytes {
            cx.emit(Event::SendDropped {
                peer: server,
                len: bytes.len(),
                queued: self.bytes,
                at: SystemTime::now(),
            });
            return;
        }
        self.hold(bytes, Origin::Ours);
    }

    /// Writes what was held to `server`, now connected, in the order it came, then passes on the
    /// device's FIN if it came meanwhile.
    pub(super) fn release(&mut self, device: &Conn, server: &mut Conn, cx: &mut Cx) -> Outcome {
        self.bytes = 0;
        for (bytes, origin) in std::mem::take(&mut self.sends) {
            match origin {
                Origin::Device => server.pass_on(bytes, cx)?,
                Origin::Ours => server.inject(bytes, cx)?,
            }
        }
        server.fin_read(device, cx)
    }
}

impl Onward for Held {
    fn waiting(&self) -> usize {
        self.bytes
    }

    fn pass_on(&mut self, bytes: Bytes, _cx: &mut Cx) -> Outcome {
        self.hold(bytes, Origin::Device);
        Ok(())
    }

    fn inject(&mut self, bytes: Bytes, _cx: &mut Cx) -> Outcome {
        self.hold(bytes, Origin::Ours);
        Ok(())
    }

    /// The device's FIN waits with the held bytes: [`Held::release`] passes it on after them.
    fn fin_read(&mut self, _from: &Conn, _cx: &mut Cx) -> Outcome {
        Ok(())
    }
}

impl Relay {
    /// The server side of `device` finished connecting (`outcome`), or timed out (`outcome` an error):
    /// pairs it, tries the target's next address, or closes the device.
    pub(super) fn connected(&mut self, device: PeerId, outcome: Result<(), NetError>, cx: &mut Cx) {
        let Some(Pair {
            device: mut device_conn,
            server,
            paused,
            held,
            early,
        }) = self.pairs.remove(&device)
        else {
            return;
        };
        let mut connecting = match server {
            ServerSide::Connecting(connecting) => connecting,
            server @ (ServerSide::Connected(_) | ServerSide::AwaitingHandshake) => {
                let pair = Pair {
                    device: device_conn,
                    server,
                    paused,
                    held,
                    early,
                };
                self.pairs.insert(device, pair);
                return;
            }
        };
        let id = connecting.id;
        self.devices.remove(&id);
        // The socket moves to its peer registration, or is dropped on failure.
        let _ = cx.registry.deregister(&mut connecting.stream);
        let Connecting {
            stream,
            addr,
            local,
            rest,
            ..
        } = connecting;
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
                // The server may have sent on connecting; the device is read again once what it
                // sent meanwhile is on its way.
                self.unread.extend([device, id]);
                Ok(ServerSide::Connected(server))
            }
            Err(error) => {
                attempt_failed(device, id, addr, local, &error, cx);
                if rest.is_empty() {
                    Err(Unreached { error, server: id })
                } else {
                    Connecting::begin(&mut device_conn, &self.target, rest, self.timeout, cx)
                        .map(ServerSide::Connecting)
                }
            }
        };
        let server = match server {
            Ok(server) => server,
            Err(Unreached { error, server }) => {
                let reason = CloseReason::Unreachable(error);
                return close_unpaired(device_conn, &held, Some(server), reason, cx);
            }
        };
        if let Some(id) = side_id_of(&server) {
            self.devices.insert(id, device);
        }
        let pair = Pair {
            device: device_conn,
            server,
            paused,
            held,
            early,
        };
        let pair = self.pairs.entry(device).insert_entry(pair).into_mut();
        if let Err((end, reason)) = pair.release_held(cx) {
            return self.close(device, end, reason, cx);
        }
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
}

/// Reports that the connect to `addr` for `device`, whose server side would have been `server`, failed
/// with `error` ([`Event::ConnectFailed`]).
fn attempt_failed(
    device: PeerId,
    server: PeerId,
    addr: SocketAddr,
    local: Option<SocketAddr>,
    error: &NetError,
    cx: &mut Cx,
) {
    cx.emit(Event::ConnectFailed {
        device,
        server,
        addr,
        local,
        error: error.clone(),
        at: SystemTime::now(),
    });
}

/// Closes `device`, whose server side (`server`) never connected, for `reason`: everything held for the
/// target is `server`'s unsent. A server side never started (`None`, the device's TLS handshake was
/// going on) takes an id only when something is unsent to it, so ids are not used up by devices that
/// sent nothing. Unless the device failed, what it still has readable is read first and
/// recorded as its `Rx` data (unsent too), so the close is the FIN the record says: a socket closed with
/// unread bytes sends an RST. A device that keeps sending past [`DRAIN_READS`] reads is reset instead:
/// for an unreachable target recorded as its error, drawn as our RST; when disconnected or stopped,
/// with that reason (the one case the record calls a FIN).
pub(super) fn close_unpaired(
    mut device: Conn,
    held: &Held,
    server: Option<PeerId>,
    reason: CloseReason,
    cx: &mut Cx,
) {
    let (mut bytes, mut sends) = (held.bytes, held.sends.len());
    // A device that failed has nothing more to read.
    let mut drained = !(super::ordered(&reason) || matches!(reason, CloseReason::Unreachable(_)));
    let mut failed = None;
    let mut reads = 0;
    while !drained && reads < DRAIN_READS {
        reads += 1;
        // After its FIN there is nothing more to read.
        if device.peer_finished() {
            drained = true;
            continue;
        }
        match device.read_once(cx) {
            Ok(Some(read)) => {
                bytes += read.len();
                sends += 1;
                cx.data(device.peer, Direction::Rx, read);
            }
            // Nothing more to read now, or the device's FIN (recorded by the read).
            Ok(None) => drained = true,
            Err(reason) => {
                failed = Some(reason);
                drained = true;
            }
        }
    }
    if sends > 0 {
        cx.unsent(server.unwrap_or_else(PeerId::next), bytes, sends);
    }
    match (failed, drained, reason) {
        (Some(failed), _, _) => device.close(failed, cx),
        (None, true, reason) => device.close(reason, cx),
        (None, false, CloseReason::Unreachable(error)) => {
            device.abort(CloseReason::Error(error), cx);
        }
        (None, false, reason) => device.abort(reason, cx),
    }
}
