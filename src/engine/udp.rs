//! UDP mode: one socket; every remote address we receive from or send to becomes a peer, so the user can
//! reply to a sender; broadcast and IPv4/IPv6 multicast.
//!
//! Datagrams are lost without a word when the socket's receive buffer is full, so the session asks for a
//! large one, reports what the OS granted, and (on Linux, the one OS that tells) counts the datagrams the
//! OS dropped and reports them.
//!
//! A peer's address is reported as the user knows it: an IPv4 sender on a dual-stack `[::]` socket is
//! `192.168.1.5:7000`, not `[::ffff:192.168.1.5]:7000`; datagrams to it still go to the mapped form the
//! socket needs.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV6};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use mio::Interest;
use mio::net::UdpSocket;
use socket2::{Domain, Socket, Type};

use crate::addr::canonical;

use super::replies::no_other_side;
use super::resolve::resolve;
use super::tcp_server::{bind_nonblocking, no_such_peer};
use super::udp_drops::{Drops, os};
use super::worker::{Cx, Handler, SOCKET_TOKEN, Wake};
use super::{
    CloseReason, Direction, Event, HostPort, NetError, Operation, PeerCommand, PeerId, Target,
};

/// Datagrams read per turn before commands and timers get their turn.
const READS_PER_TURN: usize = 64;

/// Remotes remembered at most; beyond this the one heard from least recently is forgotten, so a flood from
/// many addresses cannot grow the table without bound.
const MAX_PEERS: usize = 4096;

struct Remote {
    /// The address datagrams go to, in the socket's own family (IPv4-mapped on an IPv6 socket).
    addr: SocketAddr,
    last_seen: Instant,
}

pub(crate) struct Udp {
    bind: SocketAddr,
    /// The default remote as configured; resolved into `default_remote` when the session opens.
    remote: Option<HostPort>,
    default_remote: Option<SocketAddr>,
    broadcast: bool,
    initial_groups: Vec<IpAddr>,
    receive_buffer: usize,
    socket: Option<UdpSocket>,
    local: SocketAddr,
    peers: HashMap<PeerId, Remote>,
    /// Peers by their address as reported ([`canonical`]).
    by_addr: HashMap<SocketAddr, PeerId>,
    /// Datagrams the OS could not take yet, oldest first, with their total size.
    queue: VecDeque<(PeerId, Bytes)>,
    queued: usize,
    unread: bool,
    control: os::Control,
    drops: Drops,
}

impl Udp {
    pub(crate) fn new(
        bind: SocketAddr,
        remote: Option<HostPort>,
        broadcast: bool,
        initial_groups: Vec<IpAddr>,
        receive_buffer: usize,
    ) -> Self {
        Self {
            bind,
            remote,
            default_remote: None,
            broadcast,
            initial_groups,
            receive_buffer,
            socket: None,
            local: bind,
            peers: HashMap::new(),
            by_addr: HashMap::new(),
            queue: VecDeque::new(),
            queued: 0,
            unread: false,
            control: os::Control::new(),
            drops: Drops::default(),
        }
    }

    /// `addr` in the socket's own family: an IPv6 socket sends to an IPv4 address through its mapped form.
    fn wire(&self, addr: SocketAddr) -> SocketAddr {
        match addr {
            SocketAddr::V4(v4) if self.local.is_ipv6() => {
                SocketAddr::V6(SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0))
            }
            _ => addr,
        }
    }

    /// The first of `addrs` (a resolved default remote) this session's socket can send to.
    fn reachable(&self, addrs: &[SocketAddr], host: &str) -> Result<SocketAddr, NetError> {
        // Only a wildcard IPv6 socket is dual-stack (see `bind_nonblocking`).
        let dual_stack = self.bind.is_ipv6() && self.bind.ip().is_unspecified();
        addrs
            .iter()
            .find(|addr| addr.is_ipv4() == self.bind.is_ipv4())
            .or_else(|| addrs.iter().find(|addr| dual_stack && addr.is_ipv4()))
            .copied()
            .ok_or_else(|| {
                NetError::invalid(
                    Operation::Resolve,
                    Some(host.to_owned()),
                    format!(
                        "it has no {} address, and the session's socket is {}",
                        if self.bind.is_ipv4() { "IPv4" } else { "IPv6" },
                        self.bind
                    ),
                )
            })
    }

    /// The peer for `addr` (in either form, mapped or not), made (and reported) if it is new.
    fn peer_for(&mut self, addr: SocketAddr, cx: &mut Cx) -> PeerId {
        let now = Instant::now();
        let (shown, addr) = (canonical(addr), self.wire(addr));
        if let Some(peer) = self.by_addr.get(&shown) {
            if let Some(remote) = self.peers.get_mut(peer) {
                remote.last_seen = now;
            }
            return *peer;
        }
        if self.peers.len() >= MAX_PEERS
            && let Some(oldest) = self
                .peers
                .iter()
                .min_by_key(|(_, remote)| remote.last_seen)
                .map(|(peer, _)| *peer)
        {
            self.forget(oldest, CloseReason::Forgotten, cx);
        }
        let peer = PeerId::next();
        self.peers.insert(
            peer,
            Remote {
                addr,
                last_seen: now,
            },
        );
        self.by_addr.insert(shown, peer);
        cx.emit(Event::Connected {
            peer,
            addr: shown,
            local: self.local,
            at: SystemTime::now(),
        });
        peer
    }

    fn forget(&mut self, peer: PeerId, reason: CloseReason, cx: &mut Cx) {
        if let Some(remote) = self.peers.remove(&peer) {
            self.by_addr.remove(&canonical(remote.addr));
            // Delayed replies and datagrams still queued for it have nobody to go to any more: say so.
            let (mut bytes, mut sends) = cx.forget(peer);
            let mut queued = 0;
            self.queue.retain(|(to, datagram)| {
                let keep = *to != peer;
                if !keep {
                    queued += datagram.len();
                    sends += 1;
                }
                keep
            });
            self.queued -= queued;
            bytes += queued;
            if sends > 0 {
                cx.unsent(peer, bytes, sends);
            }
            cx.emit(Event::Closed {
                peer,
                reason,
                at: SystemTime::now(),
            });
        }
    }

    /// Reads a turn's worth of datagrams, then reports the drops the OS told of meanwhile, in one event.
    fn read(&mut self, cx: &mut Cx) {
        self.read_datagrams(cx);
        self.drops.report(cx);
    }

    fn read_datagrams(&mut self, cx: &mut Cx) {
        self.unread = false;
        for _ in 0..READS_PER_TURN {
            if cx.backlog_full() {
                self.unread = true;
                return;
            }
            let Some(socket) = &self.socket else {
                return;
            };
            match os::recv_from(socket, cx.read_buf(), &mut self.control) {
                Ok((n, addr, drop_counter)) => {
                    if let Some(counter) = drop_counter {
                        self.drops.saw(counter);
                    }
                    let bytes = cx.take_read(n);
                    let peer = self.peer_for(addr, cx);
                    cx.data(peer, Direction::Rx, bytes.clone());
                    if cx.echo {
                        self.send(peer, bytes.clone(), cx);
                    }
                    for answer in cx.replies(peer, canonical(addr), &bytes, true) {
                        if answer.onward {
                            cx.error(no_other_side(peer));
                        } else {
                            self.send(peer, answer.bytes, cx);
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                // Windows reports an earlier datagram's ICMP "port unreachable" as a reset on the next
                // receive; it says nothing about the datagrams waiting, so keep reading.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => {
                    cx.error(NetError::io(
                        Operation::Receive,
                        Some(self.local.to_string()),
                        &e,
                    ));
                    return;
                }
            }
        }
        self.unread = true;
    }

    /// Sends one datagram to a peer, or queues it if the OS buffer is full.
    fn send(&mut self, peer: PeerId, bytes: Bytes, cx: &mut Cx) {
        if self.queued + bytes.len() > cx.max_queue_bytes {
            cx.emit(Event::SendDropped {
                peer,
                len: bytes.len(),
                queued: self.queued,
                at: SystemTime::now(),
            });
            return;
        }
        self.queued += bytes.len();
        self.queue.push_back((peer, bytes));
        self.flush(cx);
    }

    /// Sends queued datagrams until the OS buffer is full. A datagram the OS refuses outright (no route,
    /// broadcast not allowed) is reported and dropped; the session goes on.
    fn flush(&mut self, cx: &mut Cx) {
        let Some(socket) = &self.socket else {
            return;
        };
        while let Some((peer, bytes)) = self.queue.front() {
            // Cheap copies (an id and a reference count) so the queue can be changed below. Forgetting a
            // peer takes its datagrams out of the queue, so every queued peer is known.
            let (peer, bytes) = (*peer, bytes.clone());
            let Some(addr) = self.peers.get(&peer).map(|remote| remote.addr) else {
                self.queue.pop_front();
                self.queued -= bytes.len();
                continue;
            };
            let result = socket.send_to(&bytes, addr);
            match result {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                _ => {}
            }
            self.queue.pop_front();
            self.queued -= bytes.len();
            match result {
                Ok(_) => cx.data(peer, Direction::Tx, bytes),
                Err(e) => cx.error(NetError::io(
                    Operation::Send,
                    Some(canonical(addr).to_string()),
                    &e,
                )),
            }
        }
    }

    fn multicast(
        &mut self,
        group: IpAddr,
        interface: Option<IpAddr>,
        join: bool,
    ) -> io::Result<()> {
        let Some(socket) = &self.socket else {
            return Ok(());
        };
        match group {
            IpAddr::V4(group) => {
                let interface = match interface {
                    Some(IpAddr::V4(ip)) => ip,
                    Some(IpAddr::V6(_)) => {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            "an IPv4 group needs an IPv4 interface address",
                        ));
                    }
                    None => Ipv4Addr::UNSPECIFIED,
                };
                if join {
                    socket.join_multicast_v4(&group, &interface)
                } else {
                    socket.leave_multicast_v4(&group, &interface)
                }
            }
            IpAddr::V6(group) if join => socket.join_multicast_v6(&group, 0),
            IpAddr::V6(group) => socket.leave_multicast_v6(&group, 0),
        }
    }
}

impl Handler for Udp {
    fn multicast_membership(
        &mut self,
        group: IpAddr,
        interface: Option<IpAddr>,
        join: bool,
        cx: &mut Cx,
    ) {
        match self.multicast(group, interface, join) {
            Ok(()) => cx.emit(if join {
                Event::Joined {
                    group,
                    at: SystemTime::now(),
                }
            } else {
                Event::Left {
                    group,
                    at: SystemTime::now(),
                }
            }),
            Err(e) => cx.error(NetError::io(
                Operation::Multicast,
                Some(group.to_string()),
                &e,
            )),
        }
    }

    fn open(&mut self, cx: &mut Cx) -> Result<(), NetError> {
        // Resolved before binding, so a name that does not resolve stops the session before it listens.
        if let Some(remote) = &self.remote {
            let addrs = resolve(&remote.host, remote.port)?;
            self.default_remote = Some(self.reachable(&addrs, &remote.host)?);
        }
        let fail = |e: &io::Error| NetError::io(Operation::Bind, Some(self.bind.to_string()), e);
        let (mut socket, granted) =
            bind(self.bind, self.broadcast, self.receive_buffer).map_err(|e| fail(&e))?;
        cx.registry
            .register(
                &mut socket,
                SOCKET_TOKEN,
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| fail(&e))?;
        self.local = socket.local_addr().map_err(|e| fail(&e))?;
        self.socket = Some(socket);
        cx.emit(Event::Listening {
            addr: self.local,
            at: SystemTime::now(),
        });
        cx.emit(Event::ReceiveBuffer {
            asked: self.receive_buffer,
            granted,
            drops_reported: os::DROPS_REPORTED,
            at: SystemTime::now(),
        });
        for group in std::mem::take(&mut self.initial_groups) {
            self.multicast_membership(group, None, true, cx);
        }
        Ok(())
    }

    fn ready(&mut self, event: &mio::event::Event, cx: &mut Cx) {
        if event.is_writable() {
            self.flush(cx);
        }
        if event.is_readable() || event.is_error() {
            self.read(cx);
        }
    }

    fn command(&mut self, command: PeerCommand, cx: &mut Cx) {
        match command {
            PeerCommand::Send { to, bytes } => {
                let peers = match to {
                    Target::Peer(peer) if self.peers.contains_key(&peer) => vec![peer],
                    Target::Peer(peer) => {
                        cx.error(no_such_peer(peer));
                        return;
                    }
                    Target::All => {
                        let mut peers: Vec<PeerId> = self.peers.keys().copied().collect();
                        peers.sort_unstable();
                        peers
                    }
                    Target::Addr(addr) => vec![self.peer_for(addr, cx)],
                    Target::Default => {
                        let Some(addr) = self.default_remote else {
                            cx.error(NetError::invalid(
                                Operation::Send,
                                None,
                                "no remote address is set for this UDP session",
                            ));
                            return;
                        };
                        vec![self.peer_for(addr, cx)]
                    }
                };
                for peer in peers {
                    self.send(peer, bytes.clone(), cx);
                }
            }
            PeerCommand::Disconnect(peer) => {
                if self.peers.contains_key(&peer) {
                    self.forget(peer, CloseReason::ForgottenByYou, cx);
                } else {
                    cx.error(no_such_peer(peer));
                }
            }
            PeerCommand::HalfClose(_) => cx.error(NetError::invalid(
                Operation::Send,
                None,
                "finishing sending (a FIN) needs a TCP connection; UDP has none",
            )),
            // No connection of this mode is held for sends on connect.
            PeerCommand::SentOnConnect(_) => {}
        }
    }

    fn turn(&mut self, _now: Instant, cx: &mut Cx) -> Wake {
        if self.unread {
            self.read(cx);
        }
        if self.unread { Wake::Now } else { Wake::Idle }
    }

    fn finished(&self) -> bool {
        false
    }

    fn queued(&self) -> usize {
        self.queued
    }

    fn shutdown(&mut self, cx: &mut Cx) {
        // Every remote is reported closed, as a TCP server reports its clients, so a peer list knows.
        let mut peers: Vec<PeerId> = self.peers.keys().copied().collect();
        peers.sort_unstable();
        for peer in peers {
            self.forget(peer, CloseReason::SessionStopped, cx);
        }
        self.socket = None;
    }
}

/// Creates the UDP socket with a receive buffer of (up to) `receive_buffer` bytes, and says how large the
/// OS made it. Unlike the TCP listener it does not set `SO_REUSEADDR`: on Linux that would let a second
/// session bind the same port without error and silently take the datagrams meant for the first.
pub(super) fn bind(
    addr: SocketAddr,
    broadcast: bool,
    receive_buffer: usize,
) -> io::Result<(UdpSocket, usize)> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, None)?;
    socket.set_broadcast(broadcast)?;
    // A refused size is no reason not to open: the size the OS did grant is reported either way.
    let _ = socket.set_recv_buffer_size(receive_buffer);
    let reported = socket.recv_buffer_size()?;
    let granted = if cfg!(target_os = "linux") {
        reported / 2
    } else {
        reported
    };
    os::count_drops(&socket)?;
    #[cfg(windows)]
    ignore_port_unreachable(&socket);
    bind_nonblocking(&socket, addr)?;
    Ok((UdpSocket::from_std(socket.into()), granted))
}

/// Windows reports an ICMP "port unreachable" for an earlier datagram as `WSAECONNRESET` on a later
/// receive of the same socket, which says nothing about the datagrams waiting. `SIO_UDP_CONNRESET` off
/// stops those reports, so a session that sends to a closed port keeps receiving without them; should the
/// call fail, the receive loop reads on past the reset anyway.
#[cfg(windows)]
#[allow(unsafe_code)]
fn ignore_port_unreachable(socket: &Socket) {
    use std::os::windows::io::AsRawSocket;
    use windows_sys::Win32::Networking::WinSock::{SIO_UDP_CONNRESET, SOCKET, WSAIoctl};
    // The option's value is a Windows BOOL: FALSE turns the reports off.
    let off: i32 = 0;
    let mut returned = 0u32;
    // SAFETY: the input buffer is `off`, 4 bytes that live across the call; there is no output buffer and
    // no overlapped I/O (null pointers and no completion routine), and `returned` is a valid u32 to write.
    unsafe {
        WSAIoctl(
            socket.as_raw_socket() as SOCKET,
            SIO_UDP_CONNRESET,
            (&raw const off).cast(),
            4,
            std::ptr::null_mut(),
            0,
            &raw mut returned,
            std::ptr::null_mut(),
            None,
        );
    }
}
