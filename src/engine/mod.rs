//! The socket engine: one [`Session`] is one mode (TCP server, TCP client, UDP or relay) on one local bind, owned by
//! a named worker thread that runs a readiness loop ([`mio`]) over all of the session's sockets.
//!
//! The caller talks to the worker through [`Session::send`] ([`Command`]s in) and [`Session::try_recv`] /
//! [`Session::recv_timeout`] ([`Event`]s out). After sending events the worker calls the `waker` given to
//! [`start`] — at most [`MAX_WAKES_PER_SECOND`] times a second, and always once more after the last event —
//! so a GUI can pass `ctx.request_repaint` and still stay idle when nothing happens.
//!
//! The worker never blocks on a peer: reads and writes are non-blocking, each peer has a bounded send
//! queue, and a peer that reads slowly only fills its own queue. If the caller falls behind by more than
//! [`SessionConfig::max_backlog_bytes`] of received data, the worker stops reading (TCP flow control then
//! slows the senders down) until the caller catches up, so memory stays bounded whatever the peers do.

mod checker;
mod command;
mod conn;
mod error;
mod event;
mod peer;
mod periodic;
mod relay;
mod replies;
mod resolve;
mod self_target;
mod tcp_client;
mod tcp_server;
mod timer;
mod tls;
mod udp;
mod udp_drops;
mod worker;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::check::CompiledCheck;
use crate::rules::Rules;

pub(crate) use command::PeerCommand;
pub use command::{Command, Target};
pub use error::{NetError, Operation, Problem, SelfTarget};
pub use event::{CloseReason, Direction, Event, Side};
pub use peer::PeerId;
pub use periodic::{CATCH_UP, MIN_INTERVAL};
pub use tls::{
    ACCEPT_HANDSHAKE_TIMEOUT, CertSummary, Expiry, FileProblem, KeptProblem, SelfSigned, TlsAccept,
    TlsClose, TlsConnect, TlsFailure, TlsIdentity, TlsInfo, TlsVerify, self_signed,
};

/// A time as a UTC date and time, `2026-01-31 23:59:59 UTC`, as certificates give their validity.
#[must_use]
pub fn utc_text(time: std::time::SystemTime) -> String {
    tls::utc(time)
}
pub(crate) use resolve::resolve;

/// The most times per second the worker calls the waker while events keep coming.
pub const MAX_WAKES_PER_SECOND: u32 = 120;

/// How long a TCP client waits for the server to answer, unless configured otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The UDP socket's receive buffer asked for unless configured otherwise: 4 MiB, room for about 30 ms of a
/// 1 Gbit/s stream while the worker is busy. The OS default (208 KiB on Linux) loses about half of a burst
/// of small datagrams.
pub const DEFAULT_UDP_RECEIVE_BUFFER: usize = 4 << 20;

/// A remote end as the user wrote it: an IP address or a host name, and a port. The worker resolves it when
/// the session starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort {
    /// An IP address (an IPv6 one may carry its scope: `fe80::1%12`, `fe80::1%eth0`) or a host name.
    pub host: String,
    /// The port.
    pub port: u16,
}

impl std::fmt::Display for HostPort {
    /// `host:port`, an IPv6 address in brackets: `[fe80::1%2]:7000`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl From<SocketAddr> for HostPort {
    /// The address as a host, IPv6 scope kept.
    fn from(addr: SocketAddr) -> Self {
        let scope_id = match addr {
            SocketAddr::V6(v6) => v6.scope_id(),
            SocketAddr::V4(_) => 0,
        };
        let ip = crate::addr::ScopedIp {
            ip: addr.ip(),
            scope_id,
        };
        Self {
            host: ip.to_string(),
            port: addr.port(),
        }
    }
}

/// What a session does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Listen for TCP clients.
    TcpServer {
        /// Local address to listen on (`0.0.0.0:port`, `[::]:port`, or one of the PC's addresses).
        /// Binding `::` accepts IPv4 clients too, on every OS.
        bind: SocketAddr,
        /// Refuse (close and report) clients beyond this many; `None` for no limit.
        max_clients: Option<usize>,
    },
    /// Connect to a TCP server.
    TcpClient {
        /// Host name or IP address of the server, as the user typed it (`192.168.1.5`, `::1`, `board.local`).
        host: String,
        /// The server's port.
        port: u16,
        /// Local address to connect from, if the user picked one.
        local: Option<SocketAddr>,
        /// How long to wait for the server to answer before reporting a time-out.
        timeout: Duration,
    },
    /// Send and receive UDP datagrams.
    Udp {
        /// Local address to bind (port 0 lets the OS pick).
        bind: SocketAddr,
        /// Where [`Target::Default`] sends go; a host name is resolved once, when the session starts, and a
        /// name that does not resolve stops the session with an error, as for a TCP client.
        remote: Option<HostPort>,
        /// Allow sending to broadcast addresses (`SO_BROADCAST`).
        broadcast: bool,
        /// Multicast groups to join at start (more can be joined with [`Command::JoinMulticast`]).
        multicast: Vec<IpAddr>,
    },
    /// Stand between devices and their server: listen, and for each client accepted (the device side)
    /// connect to `target` (the server side) and forward both ways. The connect is told by
    /// [`Event::Connecting`] (what the device sends meanwhile is its `Rx` rows at once, held until
    /// connected), each connect that failed by [`Event::ConnectFailed`] (then the target's next address
    /// is tried), each pair by [`Event::Paired`]; each side is a peer of its own, whose reads are its `Rx` rows, and what is
    /// forwarded is counted by [`Event::Forwarded`], not shown twice. Half-closes pass through (a FIN
    /// reaches the other side after what was read before it), a reset or failure of one side resets the
    /// other ([`CloseReason::PartnerReset`]), and a target that cannot be reached closes the device
    /// ([`CloseReason::Unreachable`], a FIN; what it sent is the server side's [`Event::Unsent`]). Reply rules answer either side, or send on to the other
    /// ([`crate::rules::Rule::onward`]); [`Command::Send`] and the rest work on either side as on any
    /// peer. Either side may be TLS: [`SessionConfig::tls_accept`] towards the devices,
    /// [`SessionConfig::tls_connect`] towards the target (checked against the target's host, or the
    /// name given); each pair's data is the plaintext, and a failed handshake on one side resets the
    /// other as any failure does.
    Relay {
        /// Local address to listen on, as for [`Mode::TcpServer`].
        bind: SocketAddr,
        /// The server each device is connected on to; a host name is resolved once, when the session
        /// starts (a name that does not resolve stops it with an error), and its addresses are tried in
        /// turn for each device.
        target: HostPort,
        /// Refuse (close and report) devices beyond this many pairs; `None` for no limit.
        max_clients: Option<usize>,
        /// How long to wait for the target to answer, for each device.
        timeout: Duration,
    },
}

/// Everything needed to start a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// The mode and its addresses.
    pub mode: Mode,
    /// Send everything received from a peer straight back to that peer (server and UDP modes).
    pub echo: bool,
    /// Reply rules run on each peer's received messages, in the rules' own framing; none by default.
    /// [`Command::SetRules`] changes them while the session runs.
    pub rules: Rules,
    /// A device check to run from the start, before any peer can connect (later ones go by
    /// [`Command::RunCheck`]); compiled for this mode.
    pub check: Option<Box<CompiledCheck>>,
    /// Bytes a peer's send queue may hold before further sends to it are dropped and reported.
    pub max_queue_bytes: usize,
    /// Received bytes the caller may leave unread before the worker pauses reading.
    pub max_backlog_bytes: usize,
    /// UDP: the socket's receive buffer to ask the OS for, in bytes; what it granted is reported by
    /// [`Event::ReceiveBuffer`]. Datagrams that arrive while it is full are lost.
    pub udp_receive_buffer: usize,
    /// TLS on the connections the session makes (the TCP client's; a relay's to its target); `None` for
    /// plain TCP. The handshake is reported by [`Event::TlsEstablished`]; everything else (data, rules,
    /// checks) sees the plaintext.
    pub tls_connect: Option<TlsConnect>,
    /// TLS on the connections the session accepts (the TCP server's; a relay's from its devices); `None`
    /// for plain TCP. The certificate presented is reported once by [`Event::TlsCertificate`] after
    /// [`Event::Listening`].
    pub tls_accept: Option<TlsAccept>,
    /// TCP server and TCP client: the caller sends to each connection as it opens (on seeing its
    /// [`Event::Connected`]), and says when it has with [`Command::SentOnConnect`]. Until that command is
    /// taken, the peer's FIN does not end the connection, so a peer that sends and half-closes at once,
    /// and still reads, gets what is sent to it instead of a connection that ended first (its sends then
    /// [`Event::Unsent`]). A disconnect or the session's stop still ends it. Off by default; UDP and
    /// relay sessions ignore it.
    pub sends_on_connect: bool,
}

impl SessionConfig {
    /// A configuration for `mode` with echo off and the default limits (4 MiB per send queue, 64 MiB of
    /// unread received data, a [`DEFAULT_UDP_RECEIVE_BUFFER`]).
    #[must_use]
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            echo: false,
            rules: Rules::default(),
            check: None,
            max_queue_bytes: 4 << 20,
            max_backlog_bytes: 64 << 20,
            udp_receive_buffer: DEFAULT_UDP_RECEIVE_BUFFER,
            tls_connect: None,
            tls_accept: None,
            sends_on_connect: false,
        }
    }

    /// The same configuration with echo switched on or off.
    #[must_use]
    pub fn with_echo(mut self, echo: bool) -> Self {
        self.echo = echo;
        self
    }

    /// The same configuration with these reply rules.
    #[must_use]
    pub fn with_rules(mut self, rules: Rules) -> Self {
        self.rules = rules;
        self
    }
}

/// The session could not be started at all (before any socket work). Network failures such as a port in
/// use are not start errors: they arrive as [`Event::Error`] followed by [`Event::Stopped`].
#[derive(Debug)]
pub enum StartError {
    /// The OS refused to create the event loop.
    Poll(std::io::Error),
    /// The worker thread could not be started.
    Thread(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Poll(e) => write!(f, "Could not create the network event loop: {e}"),
            StartError::Thread(e) => write!(f, "Could not start the network thread: {e}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Poll(e) | StartError::Thread(e) => Some(e),
        }
    }
}

/// A running session. Dropping it stops the session and joins its worker.
pub struct Session {
    commands_tx: Sender<Command>,
    /// The worker's command queue, kept here too so commands that came after the worker stopped reading
    /// stay in it for [`Session::unread`] (and sending never fails while the session is held).
    commands_left: Receiver<Command>,
    events_rx: Receiver<Event>,
    poll_waker: Arc<mio::Waker>,
    /// Bytes of received data sent as events but not yet taken by the caller (see
    /// [`SessionConfig::max_backlog_bytes`]).
    backlog: Arc<AtomicUsize>,
    worker: Option<JoinHandle<()>>,
}

/// Opens and at once closes the socket a TCP server (`udp` false) or UDP session (`udp` true) would bind at
/// `addr`, with the same options, so a check sees exactly what opening that session would see.
pub(crate) fn try_bind(addr: SocketAddr, udp: bool) -> std::io::Result<()> {
    if udp {
        udp::bind(addr, false, 0).map(drop)
    } else {
        tcp_server::listen(addr).map(drop)
    }
}

/// Starts a session on its own worker thread. `waker` is called (from the worker thread) after events were
/// sent, coalesced to at most [`MAX_WAKES_PER_SECOND`] calls a second.
pub fn start(
    config: SessionConfig,
    waker: impl Fn() + Send + Sync + 'static,
) -> Result<Session, StartError> {
    let poll = mio::Poll::new().map_err(StartError::Poll)?;
    let poll_waker =
        Arc::new(mio::Waker::new(poll.registry(), worker::WAKE_TOKEN).map_err(StartError::Poll)?);
    let (commands_tx, commands_rx) = crossbeam_channel::unbounded();
    let commands_left = commands_rx.clone();
    let (events_tx, events_rx) = crossbeam_channel::unbounded();
    let backlog = Arc::new(AtomicUsize::new(0));
    let emitter = worker::Emitter::new(events_tx, Box::new(waker), Arc::clone(&backlog));
    let name = match config.mode {
        Mode::TcpServer { .. } => "netassist-tcp-server",
        Mode::TcpClient { .. } => "netassist-tcp-client",
        Mode::Udp { .. } => "netassist-udp",
        Mode::Relay { .. } => "netassist-relay",
    };
    let worker = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || worker::run(poll, config, &commands_rx, emitter))
        .map_err(StartError::Thread)?;
    Ok(Session {
        commands_tx,
        commands_left,
        events_rx,
        poll_waker,
        backlog,
        worker: Some(worker),
    })
}

impl Session {
    /// Sends a command to the worker. Returns `false` if the worker has exited; a command it did not read
    /// before it stopped can be taken back with [`Session::unread`].
    pub fn send(&self, command: Command) -> bool {
        if self.commands_tx.send(command).is_err() {
            return false;
        }
        // A failed wake means the worker's poll is gone, i.e. the worker has exited; the send above then
        // simply goes unread.
        self.poll_waker.wake().is_ok()
    }

    /// Takes the commands the worker never read. Call it once [`Event::Stopped`] was taken: the worker
    /// reads none after that, so a send among them never went out (a send made on seeing an event can
    /// come after the session has ended by itself).
    pub fn unread(&self) -> impl Iterator<Item = Command> + '_ {
        self.commands_left.try_iter()
    }

    /// Takes the next event if one is waiting.
    #[must_use]
    pub fn try_recv(&self) -> Option<Event> {
        self.events_rx
            .try_recv()
            .ok()
            .map(|event| self.taken(event))
    }

    /// Waits up to `timeout` for the next event. `None` on time-out, or when the worker has exited and every
    /// event was taken.
    #[must_use]
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Event> {
        match self.events_rx.recv_timeout(timeout) {
            Ok(event) => Some(self.taken(event)),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Takes every event waiting now, without blocking.
    pub fn drain(&self) -> impl Iterator<Item = Event> + '_ {
        std::iter::from_fn(|| self.try_recv())
    }

    /// Whether the worker has exited (after [`Event::Stopped`] was sent).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.worker.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the session and waits for its worker to exit. Events sent before it exited can still be taken.
    pub fn stop(&mut self) {
        let _ = self.send(Command::Stop);
        if let Some(worker) = self.worker.take() {
            // The worker catches nothing that could panic on its own; if it did, the panic has already been
            // printed and there is nothing more to report here.
            let _ = worker.join();
        }
    }

    fn taken(&self, event: Event) -> Event {
        if let Event::Data {
            dir: Direction::Rx,
            bytes,
            ..
        } = &event
        {
            self.backlog.fetch_sub(bytes.len(), Ordering::Relaxed);
        }
        event
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop();
    }
}
