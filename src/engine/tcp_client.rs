//! TCP client mode: resolve, connect without blocking (trying each resolved address in turn, each with the
//! configured time-out), then serve the one connection until either side closes it.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::Interest;
use mio::net::TcpStream;
use socket2::{Domain, Socket, Type};

use super::conn::{Conn, ReadState};
use super::resolve::resolve;
use super::tcp_server::no_such_peer;
use super::tls::Endpoint;
use super::worker::{Cx, Handler, SOCKET_TOKEN, Wake};
use super::{
    CloseReason, NetError, Operation, PeerCommand, PeerId, Target, TlsConnect, TlsFailure,
};

pub(crate) struct TcpClient {
    host: String,
    port: u16,
    local: Option<SocketAddr>,
    timeout: Duration,
    state: State,
    /// TLS as configured; `tls` is built from it when the session opens.
    tls_connect: Option<TlsConnect>,
    tls: Option<Endpoint>,
    /// The connection made last, if any: a send that comes after it ended is reported as not sent to it.
    last_peer: Option<PeerId>,
    /// Each connection is held open until the caller's sends on connect ([`Conn::hold`]).
    hold: bool,
}

enum State {
    /// Waiting for the server to answer `addr`; `rest` are the other resolved addresses to try next.
    Connecting {
        stream: TcpStream,
        addr: SocketAddr,
        deadline: Instant,
        rest: Vec<SocketAddr>,
    },
    Connected {
        conn: Conn,
        unread: bool,
        /// TLS: when the handshake must have finished (the connect time-out again).
        handshake_by: Option<Instant>,
    },
    Done,
}

impl TcpClient {
    pub(crate) fn new(
        host: String,
        port: u16,
        local: Option<SocketAddr>,
        timeout: Duration,
        tls_connect: Option<TlsConnect>,
        hold: bool,
    ) -> Self {
        Self {
            host,
            port,
            local,
            timeout,
            state: State::Done,
            tls_connect,
            tls: None,
            last_peer: None,
            hold,
        }
    }

    /// Starts connecting to the first address of `addrs` that gets as far as an in-progress connect; the
    /// last failure is reported if none does.
    fn connect_next(&mut self, mut addrs: Vec<SocketAddr>, cx: &mut Cx) -> Result<(), NetError> {
        let mut last_error = None;
        while !addrs.is_empty() {
            let addr = addrs.remove(0);
            match begin_connect(addr, self.local) {
                Ok(mut stream) => {
                    cx.registry
                        .register(
                            &mut stream,
                            SOCKET_TOKEN,
                            Interest::READABLE | Interest::WRITABLE,
                        )
                        .map_err(|e| NetError::io(Operation::Setup, Some(addr.to_string()), &e))?;
                    self.state = State::Connecting {
                        stream,
                        addr,
                        deadline: Instant::now() + self.timeout,
                        rest: addrs,
                    };
                    return Ok(());
                }
                Err(error) => last_error = Some(error),
            }
        }
        self.state = State::Done;
        Err(last_error.unwrap_or_else(|| {
            NetError::invalid(
                Operation::Resolve,
                Some(self.host.clone()),
                "the name has no addresses",
            )
        }))
    }

    /// The connect finished one way or another when the socket became writable or failed.
    fn check_connect(&mut self, cx: &mut Cx) -> Result<(), NetError> {
        let State::Connecting { stream, addr, .. } = &mut self.state else {
            return Ok(());
        };
        let addr = *addr;
        let Some(outcome) = connect_outcome(stream) else {
            return Ok(());
        };
        let failure = outcome.err();
        let State::Connecting {
            mut stream, rest, ..
        } = std::mem::replace(&mut self.state, State::Done)
        else {
            return Ok(());
        };
        // The socket moves to its peer token, or is dropped on failure; either way it leaves this token.
        let _ = cx.registry.deregister(&mut stream);
        if let Some(e) = failure {
            let error = NetError::io(Operation::Connect, Some(addr.to_string()), &e);
            return self.retry_or(error, rest, cx);
        }
        let mut conn = Conn::open(stream, addr, self.tls.as_ref(), cx)?;
        if self.hold {
            conn.hold();
        }
        self.last_peer = Some(conn.peer);
        let handshake_by = conn.handshaking().then(|| Instant::now() + self.timeout);
        // A TLS client speaks first: its greeting goes out now.
        let greeted = conn.flush(cx);
        self.state = State::Connected {
            conn,
            unread: true,
            handshake_by,
        };
        if let Err(reason) = greeted {
            self.closed(reason, cx);
        }
        Ok(())
    }

    /// Tries the remaining addresses; if there are none, `error` stands.
    fn retry_or(
        &mut self,
        error: NetError,
        rest: Vec<SocketAddr>,
        cx: &mut Cx,
    ) -> Result<(), NetError> {
        if rest.is_empty() {
            Err(error)
        } else {
            self.connect_next(rest, cx)
        }
    }

    fn fail(&mut self, error: NetError, cx: &mut Cx) {
        cx.error(error);
        self.state = State::Done;
    }

    fn closed(&mut self, reason: CloseReason, cx: &mut Cx) {
        if let State::Connected { conn, .. } = std::mem::replace(&mut self.state, State::Done) {
            conn.close(reason, cx);
        }
    }
}

/// Opens a socket (bound to `local` if given) and starts a non-blocking connect to `addr`.
pub(super) fn begin_connect(
    addr: SocketAddr,
    local: Option<SocketAddr>,
) -> Result<TcpStream, NetError> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)
        .map_err(|e| NetError::io(Operation::Setup, Some(addr.to_string()), &e))?;
    socket
        .set_nonblocking(true)
        .map_err(|e| NetError::io(Operation::Setup, Some(addr.to_string()), &e))?;
    if let Some(local) = local {
        socket
            .bind(&local.into())
            .map_err(|e| NetError::io(Operation::Bind, Some(local.to_string()), &e))?;
    }
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if in_progress(&e) => {}
        Err(e) => return Err(NetError::io(Operation::Connect, Some(addr.to_string()), &e)),
    }
    Ok(TcpStream::from_std(socket.into()))
}

/// How a connect started by [`begin_connect`] ended, once its socket is writable or failed: `None`
/// while it is still under way (a spurious wake-up).
pub(super) fn connect_outcome(stream: &TcpStream) -> Option<io::Result<()>> {
    match stream.take_error() {
        Ok(Some(e)) | Err(e) => Some(Err(e)),
        Ok(None) => match stream.peer_addr() {
            Ok(_) => Some(Ok(())),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => None,
            Err(e) => Some(Err(e)),
        },
    }
}

/// Whether a non-blocking connect's error only means "the answer comes later": Unix says `EINPROGRESS`,
/// Windows says "would block". (`io::ErrorKind::InProgress` is not stable yet.)
fn in_progress(e: &io::Error) -> bool {
    #[cfg(unix)]
    let in_progress = e.raw_os_error() == Some(libc::EINPROGRESS);
    #[cfg(not(unix))]
    let in_progress = false;
    in_progress || e.kind() == io::ErrorKind::WouldBlock
}

impl Handler for TcpClient {
    fn open(&mut self, cx: &mut Cx) -> Result<(), NetError> {
        if let Some(tls) = &self.tls_connect
            && self.tls.is_none()
        {
            let endpoint = Endpoint::client(tls, &self.host)
                .map_err(|failure| NetError::tls(Operation::Setup, None, failure))?;
            self.tls = Some(endpoint);
        }
        let addrs = resolve(&self.host, self.port)?;
        self.connect_next(addrs, cx)
    }

    fn ready(&mut self, event: &mio::event::Event, cx: &mut Cx) {
        match &mut self.state {
            State::Connecting { .. } if event.token() == SOCKET_TOKEN => {
                if let Err(error) = self.check_connect(cx) {
                    self.fail(error, cx);
                }
            }
            State::Connected { conn, unread, .. } if event.token() == Cx::token(conn.peer) => {
                match conn.ready(event, cx) {
                    Ok(ReadState::Drained) => {}
                    Ok(ReadState::More) => *unread = true,
                    Err(reason) => self.closed(reason, cx),
                }
            }
            _ => {}
        }
    }

    fn command(&mut self, command: PeerCommand, cx: &mut Cx) {
        let State::Connected { conn, .. } = &mut self.state else {
            match (command, self.last_peer) {
                // The connection it was for has ended; nothing is held any more.
                (PeerCommand::SentOnConnect(_), _) => {}
                // A connection that ended has nothing left to close or finish; its close row says so.
                (PeerCommand::Disconnect(peer) | PeerCommand::HalfClose(peer), Some(last))
                    if peer == last => {}
                // The connection ended before the send came: it did not go out to it.
                (PeerCommand::Send { bytes, .. }, Some(peer)) => cx.unsent(peer, bytes.len(), 1),
                (PeerCommand::Send { bytes, .. }, None) => cx.error(NetError::invalid(
                    Operation::Send,
                    Some(format!("{}:{}", self.host, self.port)),
                    format!("not connected yet: {} bytes not sent", bytes.len()),
                )),
                _ => cx.error(NetError::invalid(
                    Operation::Send,
                    Some(format!("{}:{}", self.host, self.port)),
                    "not connected yet",
                )),
            }
            return;
        };
        match command {
            PeerCommand::Send { to, bytes } => match to {
                Target::Default | Target::All => {
                    if let Err(reason) = conn.send(bytes, cx) {
                        self.closed(reason, cx);
                    }
                }
                Target::Peer(peer) if peer == conn.peer => {
                    if let Err(reason) = conn.send(bytes, cx) {
                        self.closed(reason, cx);
                    }
                }
                Target::Peer(peer) => cx.error(no_such_peer(peer)),
                Target::Addr(addr) => cx.error(NetError::invalid(
                    Operation::Send,
                    Some(addr.to_string()),
                    "a TCP client sends only to the server it is connected to",
                )),
            },
            PeerCommand::Disconnect(peer) if peer == conn.peer => {
                self.closed(CloseReason::Kicked, cx);
            }
            PeerCommand::HalfClose(peer) if peer == conn.peer => {
                if let Err(reason) = conn.half_close(cx) {
                    self.closed(reason, cx);
                }
            }
            PeerCommand::SentOnConnect(peer) => {
                if peer == conn.peer
                    && let Err(reason) = conn.release(cx)
                {
                    self.closed(reason, cx);
                }
            }
            PeerCommand::Disconnect(peer) | PeerCommand::HalfClose(peer) => {
                cx.error(no_such_peer(peer));
            }
        }
    }

    fn turn(&mut self, now: Instant, cx: &mut Cx) -> Wake {
        match &mut self.state {
            State::Connecting { deadline, addr, .. } if *deadline <= now => {
                let error = NetError::connect_timeout(addr.to_string(), self.timeout);
                let State::Connecting {
                    mut stream, rest, ..
                } = std::mem::replace(&mut self.state, State::Done)
                else {
                    return Wake::Idle;
                };
                let _ = cx.registry.deregister(&mut stream);
                if let Err(error) = self.retry_or(error, rest, cx) {
                    self.fail(error, cx);
                }
                self.turn(now, cx)
            }
            State::Connecting { deadline, .. } => Wake::At(*deadline),
            State::Connected {
                conn,
                handshake_by: Some(by),
                ..
            } if conn.handshaking() && *by <= now => {
                let failure = TlsFailure::HandshakeTimedOut {
                    waited_ms: self.timeout.as_millis(),
                    as_server: false,
                };
                let error = NetError::tls(Operation::Tls, Some(conn.addr.to_string()), failure);
                self.closed(CloseReason::Error(error), cx);
                Wake::Idle
            }
            State::Connected {
                conn,
                unread,
                handshake_by,
            } if *unread => {
                *unread = false;
                match conn.read(cx) {
                    Ok(ReadState::Drained) => match handshake_by {
                        Some(by) if conn.handshaking() => Wake::At(*by),
                        _ => Wake::Idle,
                    },
                    Ok(ReadState::More) => {
                        *unread = true;
                        Wake::Now
                    }
                    Err(reason) => {
                        self.closed(reason, cx);
                        Wake::Idle
                    }
                }
            }
            State::Connected {
                conn,
                handshake_by: Some(by),
                ..
            } if conn.handshaking() => Wake::At(*by),
            State::Connected { .. } | State::Done => Wake::Idle,
        }
    }

    fn finished(&self) -> bool {
        matches!(self.state, State::Done)
    }

    fn queued(&self) -> usize {
        match &self.state {
            State::Connected { conn, .. } => conn.queued(),
            State::Connecting { .. } | State::Done => 0,
        }
    }

    fn shutdown(&mut self, cx: &mut Cx) {
        self.closed(CloseReason::SessionStopped, cx);
    }

    fn reconnect(&mut self, cx: &mut Cx) {
        if !matches!(self.state, State::Done) {
            return;
        }
        if let Err(error) = self.open(cx) {
            self.fail(error, cx);
        }
    }
}
