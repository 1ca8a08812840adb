//! TCP server mode: one listener and any number of clients on the one worker thread. Its accepting
//! ([`Acceptor`]) serves the relay too.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use mio::Interest;
use mio::net::TcpListener;
use socket2::{Domain, Socket, Type};

use super::conn::{Conn, ReadState};
use super::tls::{Endpoint, KeptProblem, kept_file};
use super::worker::{Cx, Handler, SOCKET_TOKEN, Wake};
use super::{
    CloseReason, Event, NetError, Operation, PeerCommand, PeerId, Target, TlsAccept, TlsFailure,
};

/// Pending connections the OS may queue before we accept them; large enough for a burst of thousands.
const BACKLOG: i32 = 1024;

/// Accepts per turn before the clients get their turn.
const ACCEPTS_PER_TURN: usize = 256;

/// How long to wait before accepting again after the OS refused (for example when out of file handles).
const ACCEPT_RETRY: Duration = Duration::from_millis(200);

/// A listening socket and its accepting, shared by the TCP server and the relay.
pub(crate) struct Acceptor {
    bind: SocketAddr,
    max_clients: Option<usize>,
    listener: Option<TcpListener>,
    /// The listener may have more connections waiting.
    accept_more: bool,
    accept_retry: Option<Instant>,
    /// TLS on the accepted connections as configured; `tls` is built from it when the listener opens.
    tls_accept: Option<TlsAccept>,
    tls: Option<Endpoint>,
    /// When each accepted TLS connection's handshake must have finished, with its address; an entry
    /// whose handshake finished or whose connection ended is forgotten at its deadline.
    handshakes: HashMap<PeerId, (Instant, SocketAddr)>,
}

impl Acceptor {
    pub(crate) fn new(
        bind: SocketAddr,
        max_clients: Option<usize>,
        tls_accept: Option<TlsAccept>,
    ) -> Self {
        Self {
            bind,
            max_clients,
            tls_accept,
            tls: None,
            handshakes: HashMap::new(),
            listener: None,
            accept_more: false,
            accept_retry: None,
        }
    }

    /// Listens on the bind address and reports where ([`Event::Listening`]), then, with TLS, the
    /// certificate every client is shown ([`Event::TlsCertificate`]), and what is wrong with it when it
    /// is a kept self-signed one that no longer fits ([`Event::TlsKeptCertificate`]).
    pub(crate) fn open(&mut self, cx: &mut Cx) -> Result<(), NetError> {
        let fail = |e: &io::Error| NetError::io(Operation::Bind, Some(self.bind.to_string()), e);
        // The certificate comes first: a server that cannot present one does not listen at all.
        let certificate = match &self.tls_accept {
            Some(tls) => {
                let kept = kept_file(&tls.identity).map(Path::to_owned);
                let (endpoint, certificate) = Endpoint::server(tls, Some(self.bind))
                    .map_err(|failure| NetError::tls(Operation::Setup, None, failure))?;
                self.tls = Some(endpoint);
                let problem = kept.and_then(|file| {
                    KeptProblem::of(&certificate, &file, self.bind, SystemTime::now())
                });
                Some((certificate, problem))
            }
            None => None,
        };
        let mut listener = listen(self.bind).map_err(|e| fail(&e))?;
        cx.registry
            .register(&mut listener, SOCKET_TOKEN, Interest::READABLE)
            .map_err(|e| fail(&e))?;
        let addr = listener.local_addr().map_err(|e| fail(&e))?;
        cx.emit(Event::Listening {
            addr,
            at: SystemTime::now(),
        });
        if let Some((certificate, problem)) = certificate {
            cx.emit(Event::TlsCertificate {
                certificate: Box::new(certificate),
                addr,
                at: SystemTime::now(),
            });
            if let Some(problem) = problem {
                cx.emit(Event::TlsKeptCertificate {
                    problem: Box::new(problem),
                    at: SystemTime::now(),
                });
            }
        }
        self.listener = Some(listener);
        Ok(())
    }

    /// The listener is readable: accepts what waits (unless waiting to retry after a refusal), with
    /// `connected` clients already there.
    pub(crate) fn ready(&mut self, connected: usize, cx: &mut Cx) -> Vec<Conn> {
        if self.accept_retry.is_some() {
            return Vec::new();
        }
        self.accept(connected, cx)
    }

    /// Accepts again if the last turn was cut short or a retry is due at `now`.
    pub(crate) fn turn(&mut self, now: Instant, connected: usize, cx: &mut Cx) -> Vec<Conn> {
        if self.accept_retry.is_some_and(|at| at <= now) {
            self.accept_retry = None;
            self.accept(connected, cx)
        } else if self.accept_more {
            self.accept(connected, cx)
        } else {
            Vec::new()
        }
    }

    /// When to turn again: now if connections may wait, or when a retry or a handshake deadline is due.
    pub(crate) fn wake(&self) -> Wake {
        if self.accept_more {
            return Wake::Now;
        }
        self.accept_retry
            .into_iter()
            .chain(self.handshakes.values().map(|(by, _)| *by))
            .min()
            .map_or(Wake::Idle, Wake::At)
    }

    /// The accepted connections whose TLS handshake is still going on (`handshaking` says which are) at
    /// their deadline, each with the [`TlsFailure::HandshakeTimedOut`] to close it with; forgets those
    /// whose handshake finished or whose connection ended.
    pub(crate) fn late_handshakes(
        &mut self,
        now: Instant,
        handshaking: impl Fn(PeerId) -> bool,
    ) -> Vec<(PeerId, CloseReason)> {
        let waited = self
            .tls_accept
            .as_ref()
            .map_or(Duration::ZERO, |tls| tls.handshake_timeout);
        let mut late = Vec::new();
        self.handshakes.retain(|peer, (by, addr)| {
            if !handshaking(*peer) {
                return false;
            }
            if *by > now {
                return true;
            }
            let failure = TlsFailure::HandshakeTimedOut {
                waited_ms: waited.as_millis(),
                as_server: true,
            };
            let error = NetError::tls(Operation::Tls, Some(addr.to_string()), failure);
            late.push((*peer, CloseReason::Error(error)));
            false
        });
        late
    }

    /// Stops listening.
    pub(crate) fn close(&mut self) {
        self.listener = None;
    }

    /// Accepts up to a turn's worth of clients, with `connected` already there: those beyond
    /// `max_clients` are closed and reported ([`Event::Rejected`]), the others returned as connections.
    fn accept(&mut self, connected: usize, cx: &mut Cx) -> Vec<Conn> {
        let mut accepted = Vec::new();
        let Some(listener) = &self.listener else {
            return accepted;
        };
        self.accept_more = false;
        for _ in 0..ACCEPTS_PER_TURN {
            match listener.accept() {
                Ok((stream, addr)) => {
                    if let Some(max_clients) = self
                        .max_clients
                        .filter(|max| connected + accepted.len() >= *max)
                    {
                        drop(stream);
                        cx.emit(Event::Rejected {
                            addr,
                            max_clients,
                            at: SystemTime::now(),
                        });
                        continue;
                    }
                    match Conn::open(stream, addr, self.tls.as_ref(), cx) {
                        Ok(conn) => {
                            if let Some(tls) = &self.tls_accept
                                && conn.handshaking()
                            {
                                let by = Instant::now() + tls.handshake_timeout;
                                self.handshakes.insert(conn.peer, (by, addr));
                            }
                            accepted.push(conn);
                        }
                        Err(error) => cx.error(error),
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return accepted,
                // A client that gave up before being accepted is no reason to stop accepting.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => {
                    cx.error(NetError::io(
                        Operation::Accept,
                        Some(self.bind.to_string()),
                        &e,
                    ));
                    self.accept_retry = Some(Instant::now() + ACCEPT_RETRY);
                    return accepted;
                }
            }
        }
        self.accept_more = true;
        accepted
    }
}

pub(crate) struct TcpServer {
    acceptor: Acceptor,
    clients: HashMap<PeerId, Conn>,
    /// Clients whose read turn was cut short.
    unread: Vec<PeerId>,
    /// Each client is held open until the caller's sends on connect ([`Conn::hold`]).
    hold: bool,
}

impl TcpServer {
    pub(crate) fn new(
        bind: SocketAddr,
        max_clients: Option<usize>,
        tls_accept: Option<TlsAccept>,
        hold: bool,
    ) -> Self {
        Self {
            acceptor: Acceptor::new(bind, max_clients, tls_accept),
            clients: HashMap::new(),
            unread: Vec::new(),
            hold,
        }
    }

    fn add(&mut self, accepted: Vec<Conn>) {
        for mut conn in accepted {
            if self.hold {
                conn.hold();
            }
            // A client may have sent before we accepted: edge-triggered readiness will not report that,
            // so read it now.
            self.unread.push(conn.peer);
            self.clients.insert(conn.peer, conn);
        }
    }

    fn read_client(&mut self, peer: PeerId, cx: &mut Cx) {
        let Some(conn) = self.clients.get_mut(&peer) else {
            return;
        };
        match conn.read(cx) {
            Ok(ReadState::Drained) => {}
            Ok(ReadState::More) => self.unread.push(peer),
            Err(reason) => self.close(peer, reason, cx),
        }
    }

    fn close(&mut self, peer: PeerId, reason: CloseReason, cx: &mut Cx) {
        if let Some(conn) = self.clients.remove(&peer) {
            conn.close(reason, cx);
        }
    }

    fn send_to(&mut self, peer: PeerId, bytes: Bytes, cx: &mut Cx) {
        let Some(conn) = self.clients.get_mut(&peer) else {
            // Gone before the send came (or never there): it did not go out to it.
            cx.unsent(peer, bytes.len(), 1);
            return;
        };
        if let Err(reason) = conn.send(bytes, cx) {
            self.close(peer, reason, cx);
        }
    }
}

/// The error for a command naming a peer that is not (or no longer) connected.
pub(crate) fn no_such_peer(peer: PeerId) -> NetError {
    NetError::invalid(
        Operation::Send,
        None,
        format!("peer {peer} is not connected"),
    )
}

impl Handler for TcpServer {
    fn open(&mut self, cx: &mut Cx) -> Result<(), NetError> {
        self.acceptor.open(cx)
    }

    fn ready(&mut self, event: &mio::event::Event, cx: &mut Cx) {
        if event.token() == SOCKET_TOKEN {
            let accepted = self.acceptor.ready(self.clients.len(), cx);
            self.add(accepted);
            return;
        }
        let peer = PeerId(event.token().0 as u64);
        let Some(conn) = self.clients.get_mut(&peer) else {
            return;
        };
        match conn.ready(event, cx) {
            Ok(ReadState::Drained) => {}
            Ok(ReadState::More) => self.unread.push(peer),
            Err(reason) => self.close(peer, reason, cx),
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
                let mut peers: Vec<PeerId> = self.clients.keys().copied().collect();
                // Oldest client first, so the log reads in a predictable order.
                peers.sort_unstable();
                for peer in peers {
                    self.send_to(peer, bytes.clone(), cx);
                }
            }
            PeerCommand::Send { to, .. } => cx.error(NetError::invalid(
                Operation::Send,
                None,
                format!("a TCP server sends to a client or to all clients, not to {to:?}"),
            )),
            // A peer that is gone has nothing left to close or finish, and its own close row says so
            // (a half-close on connect may come after a client that reset at once is gone): no error.
            PeerCommand::Disconnect(peer) => {
                if self.clients.contains_key(&peer) {
                    self.close(peer, CloseReason::Kicked, cx);
                }
            }
            PeerCommand::HalfClose(peer) => {
                let Some(conn) = self.clients.get_mut(&peer) else {
                    return;
                };
                if let Err(reason) = conn.half_close(cx) {
                    self.close(peer, reason, cx);
                }
            }
            PeerCommand::SentOnConnect(peer) => {
                if let Some(conn) = self.clients.get_mut(&peer)
                    && let Err(reason) = conn.release(cx)
                {
                    self.close(peer, reason, cx);
                }
            }
        }
    }

    fn turn(&mut self, now: Instant, cx: &mut Cx) -> Wake {
        let accepted = self.acceptor.turn(now, self.clients.len(), cx);
        self.add(accepted);
        for peer in std::mem::take(&mut self.unread) {
            self.read_client(peer, cx);
        }
        let clients = &self.clients;
        let late = self.acceptor.late_handshakes(now, |peer| {
            clients.get(&peer).is_some_and(Conn::handshaking)
        });
        for (peer, reason) in late {
            self.close(peer, reason, cx);
        }
        if self.unread.is_empty() {
            self.acceptor.wake()
        } else {
            Wake::Now
        }
    }

    fn finished(&self) -> bool {
        false
    }

    fn queued(&self) -> usize {
        self.clients.values().map(Conn::queued).sum()
    }

    fn shutdown(&mut self, cx: &mut Cx) {
        let mut peers: Vec<PeerId> = self.clients.keys().copied().collect();
        peers.sort_unstable();
        for peer in peers {
            self.close(peer, CloseReason::SessionStopped, cx);
        }
        self.acceptor.close();
    }
}

/// Creates the listening socket. On Unix `SO_REUSEADDR` lets the user reopen the port right after closing
/// (old connections in `TIME_WAIT` would block it otherwise) while a second listener on the same port is
/// still refused; on Windows that option would let another program steal the port, so it is left off there.
pub(super) fn listen(bind: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(bind), Type::STREAM, None)?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    bind_nonblocking(&socket, bind)?;
    socket.listen(BACKLOG)?;
    Ok(TcpListener::from_std(socket.into()))
}

/// Binds a session socket, non-blocking. An IPv6 wildcard takes IPv4 traffic too, so `::` means "every
/// address" on every OS (Linux defaults to that, Windows does not).
pub(crate) fn bind_nonblocking(socket: &Socket, addr: SocketAddr) -> io::Result<()> {
    if addr.is_ipv6() && addr.ip().is_unspecified() {
        socket.set_only_v6(false)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())
}
