//! The worker side of a session: the readiness loop shared by all modes, the event emitter with its
//! coalesced waker, and the context ([`Cx`]) each mode handler works with.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use mio::{Events, Poll, Token};

use super::checker::Checker;
use super::periodic::Periodic;
use super::relay::Relay;
use super::replies::{Answer, Replier, no_other_side};
use super::tcp_client::TcpClient;
use super::tcp_server::TcpServer;
use super::timer::FineTimer;
use super::udp::Udp;
use crate::check::Output;

use super::{
    Command, Direction, Event, MAX_WAKES_PER_SECOND, Mode, NetError, Operation, PeerCommand,
    PeerId, SessionConfig, Target, TlsAccept, TlsConnect,
};

/// Token of the [`mio::Waker`] that [`super::Session::send`] uses to interrupt the poll.
pub(crate) const WAKE_TOKEN: Token = Token(0);

/// Token of the loop's precise wake-up timer ([`FineTimer`]); peer tokens count up from 1 and never reach it.
pub(crate) const TIMER_TOKEN: Token = Token(usize::MAX - 1);

/// Token of the session's own socket: the TCP listener, the UDP socket, or the connecting TCP client.
pub(crate) const SOCKET_TOKEN: Token = Token(usize::MAX);

/// Size of the shared read buffer: one whole UDP datagram (at most 65,507 bytes over IPv4) always fits.
const READ_BUFFER: usize = 64 * 1024;

/// Reads at least this long are handed over without copying (see [`Cx::take_read`]).
const HAND_OVER: usize = 16 * 1024;

/// How long the loop waits before looking again when the caller has too much unread data.
const BACKLOG_RECHECK: Duration = Duration::from_millis(5);

/// Sends events to the caller and calls its waker, at most [`MAX_WAKES_PER_SECOND`] times a second.
pub(crate) struct Emitter {
    events_tx: Sender<Event>,
    waker: Box<dyn Fn() + Send + Sync>,
    backlog: Arc<AtomicUsize>,
    last_wake: Option<Instant>,
    /// Events were sent since the last wake.
    unannounced: bool,
    /// The caller dropped its receiver; the worker should exit.
    gone: bool,
}

impl Emitter {
    pub(crate) fn new(
        events_tx: Sender<Event>,
        waker: Box<dyn Fn() + Send + Sync>,
        backlog: Arc<AtomicUsize>,
    ) -> Self {
        Self {
            events_tx,
            waker,
            backlog,
            last_wake: None,
            unannounced: false,
            gone: false,
        }
    }

    pub(crate) fn emit(&mut self, event: Event) {
        if let Event::Data {
            dir: Direction::Rx,
            bytes,
            ..
        } = &event
        {
            self.backlog.fetch_add(bytes.len(), Ordering::Relaxed);
        }
        if self.events_tx.send(event).is_err() {
            self.gone = true;
        }
        self.unannounced = true;
    }

    /// Calls the waker if events are unannounced and the last wake is long enough ago. Returns how long until
    /// a wake is allowed, if one is still owed.
    fn announce(&mut self, now: Instant) -> Option<Duration> {
        if !self.unannounced {
            return None;
        }
        let interval = Duration::from_secs(1) / MAX_WAKES_PER_SECOND;
        if let Some(last) = self.last_wake {
            let owed = interval.saturating_sub(now.duration_since(last));
            if !owed.is_zero() {
                return Some(owed);
            }
        }
        (self.waker)();
        self.last_wake = Some(now);
        self.unannounced = false;
        None
    }

    fn announce_now(&mut self) {
        if self.unannounced {
            (self.waker)();
            self.unannounced = false;
        }
    }
}

/// What a mode handler works with: the poll registry, the emitter, shared buffers and the session options.
pub(crate) struct Cx<'a> {
    pub(crate) registry: &'a mio::Registry,
    pub(crate) emitter: Emitter,
    /// One read buffer for every socket of the session, so 10,000 idle peers cost no buffer memory.
    /// Always [`READ_BUFFER`] bytes long and initialised, so it can be read into without `unsafe`.
    buf: BytesMut,
    /// TLS connections read the socket's raw bytes here and decrypt them into `buf`; empty until a TLS
    /// connection first reads.
    raw: Vec<u8>,
    pub(crate) echo: bool,
    /// The reply rules, with their framers and delayed replies.
    replier: Replier,
    /// The device check, if one runs; it sees every event emitted.
    checker: Checker,
    pub(crate) max_queue_bytes: usize,
    max_backlog_bytes: usize,
}

impl Cx<'_> {
    /// Emits `event`, and right after it what a running check made of it.
    pub(crate) fn emit(&mut self, event: Event) {
        self.checker.observe(&event, Instant::now());
        self.emitter.emit(event);
        self.emit_check_events();
    }

    /// Emits the running check's progress not emitted yet.
    fn emit_check_events(&mut self) {
        for event in self.checker.take_events() {
            self.emitter.emit(Event::Check(event));
        }
    }

    pub(crate) fn data(&mut self, peer: PeerId, dir: Direction, bytes: Bytes) {
        self.emit(Event::Data {
            peer,
            dir,
            bytes,
            at: SystemTime::now(),
        });
    }

    pub(crate) fn error(&mut self, error: NetError) {
        self.emit(Event::Error {
            error,
            at: SystemTime::now(),
        });
    }

    /// The rules' immediate replies to bytes received from `peer` at `addr` (a UDP datagram when
    /// `datagram`); replies with a delay are sent later by the worker loop. Empty, without allocating,
    /// when the session has no rules.
    pub(crate) fn replies(
        &mut self,
        peer: PeerId,
        addr: std::net::SocketAddr,
        bytes: &[u8],
        datagram: bool,
    ) -> Vec<Answer> {
        let mut out = Vec::new();
        self.replier.received(peer, addr, bytes, datagram, &mut out);
        out
    }

    /// Reports `sends` to `peer` (`bytes` in all) that will never go out, none of them begun.
    pub(crate) fn unsent(&mut self, peer: PeerId, bytes: usize, sends: usize) {
        let now = SystemTime::now();
        self.emit(Event::Unsent {
            peer,
            written: Bytes::new(),
            written_at: now,
            bytes,
            sends,
            at: now,
        });
    }

    /// Whether a delayed rule reply is still waiting to be sent to `peer`.
    pub(crate) fn has_scheduled(&self, peer: PeerId) -> bool {
        self.replier.has_delayed(peer)
    }

    /// Relay: whether a delayed rule reply is still waiting to be written to `peer`, a side whose
    /// partner is `partner` (an answer to it, or one to the partner sent on).
    pub(crate) fn has_scheduled_toward(&self, peer: PeerId, partner: PeerId) -> bool {
        self.replier.has_delayed_toward(peer, partner)
    }

    /// The peer is gone: the rules forget its unfinished message and its delayed replies.
    /// Returns the bytes and number of the delayed replies that will now never be sent.
    pub(crate) fn forget(&mut self, peer: PeerId) -> (usize, usize) {
        self.replier.forget(peer)
    }

    /// The buffer the next read goes into.
    pub(crate) fn read_buf(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    /// A TLS connection's buffers: the one raw bytes are read into (`raw_len` bytes), and the read buffer
    /// its plaintext goes to (then taken with [`Self::take_read`]).
    pub(crate) fn tls_buffers(&mut self, raw_len: usize) -> (&mut [u8], &mut [u8]) {
        if self.raw.len() < raw_len {
            self.raw.resize(raw_len, 0);
        }
        (&mut self.raw[..raw_len], &mut self.buf)
    }

    /// The first `n` bytes of the read buffer as an event payload. A large read is split off the buffer
    /// without copying (bulk transfers then cost one copy, the kernel's); a small one is copied into an
    /// allocation of its own, so a short message kept in a log never pins a whole 64 KiB block. A split
    /// piece is at least [`HAND_OVER`] bytes, so a kept piece pins at most four times its size.
    pub(crate) fn take_read(&mut self, n: usize) -> Bytes {
        if n < HAND_OVER {
            return Bytes::copy_from_slice(&self.buf[..n]);
        }
        let bytes = self.buf.split_to(n).freeze();
        // Back to full size at once, so the next UDP datagram always fits whole. Clearing first means
        // nothing is copied: the old block comes back if every piece of it was dropped, else a new one.
        self.buf.clear();
        self.buf.resize(READ_BUFFER, 0);
        bytes
    }

    /// Whether the caller has fallen so far behind that reading must pause.
    pub(crate) fn backlog_full(&self) -> bool {
        self.emitter.backlog.load(Ordering::Relaxed) > self.max_backlog_bytes
    }

    /// Token under which a peer's socket is registered; peers ids are never reused, so neither are tokens,
    /// and a late event for a closed peer cannot reach a new one.
    pub(crate) fn token(peer: PeerId) -> Token {
        Token(peer.0 as usize)
    }
}

/// When a handler wants to run again without a socket event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wake {
    /// Only when a socket or command needs it.
    Idle,
    /// Right away: work was cut short to be fair to other peers.
    Now,
    /// At this time (a connect or retry deadline).
    At(Instant),
}

/// A mode's share of the loop.
pub(crate) trait Handler {
    /// Opens the mode's sockets. An error here ends the session.
    fn open(&mut self, cx: &mut Cx) -> Result<(), NetError>;
    /// Handles a readiness event for one of the handler's tokens.
    fn ready(&mut self, event: &mio::event::Event, cx: &mut Cx);
    /// Carries out a command about a peer.
    fn command(&mut self, command: PeerCommand, cx: &mut Cx);
    /// Joins (`join`) or leaves a multicast group; refused but by a UDP session.
    fn multicast_membership(
        &mut self,
        group: IpAddr,
        interface: Option<IpAddr>,
        join: bool,
        cx: &mut Cx,
    ) {
        let _ = (group, interface, join);
        cx.error(NetError::invalid(
            Operation::Multicast,
            None,
            "multicast needs a UDP session",
        ));
    }
    /// Continues work that was cut short or is due at `now`, and says when to run again.
    fn turn(&mut self, now: Instant, cx: &mut Cx) -> Wake;
    /// The mode has nothing more to do (a TCP client whose connection ended).
    fn finished(&self) -> bool;
    /// Bytes queued for sending and not yet written, over all peers.
    fn queued(&self) -> usize;
    /// Closes everything, reporting each peer as closed by the stop.
    fn shutdown(&mut self, cx: &mut Cx);
    /// Sends a reply rule's answer to `peer`'s message: back to `peer`, or (relay only) on to the other
    /// side of its pair.
    fn answer(&mut self, peer: PeerId, answer: Answer, cx: &mut Cx) {
        if answer.onward {
            cx.error(no_other_side(peer));
        } else {
            let to = Target::Peer(peer);
            self.command(
                PeerCommand::Send {
                    to,
                    bytes: answer.bytes,
                },
                cx,
            );
        }
    }
    /// TCP client: connects again when the connection has ended (a check's `connect`); failures are
    /// reported as errors. Nothing for modes that do not connect.
    fn reconnect(&mut self, cx: &mut Cx) {
        let _ = cx;
    }
}

/// The worker thread's body: open the mode, then loop over socket events, commands and timers until
/// stopped, the mode finishes, or the caller goes away.
pub(crate) fn run(
    mut poll: Poll,
    config: SessionConfig,
    commands_rx: &Receiver<Command>,
    emitter: Emitter,
) {
    let SessionConfig {
        mode,
        echo,
        rules,
        check,
        max_queue_bytes,
        max_backlog_bytes,
        udp_receive_buffer,
        tls_connect,
        tls_accept,
        sends_on_connect,
    } = config;
    let tls = match &mode {
        Mode::TcpClient { .. } => tls_connect.is_some(),
        _ => tls_accept.is_some(),
    };
    let checker = Checker::new(&mode, tls);
    let mut handler = handler(
        mode,
        tls_accept,
        tls_connect,
        udp_receive_buffer,
        sends_on_connect,
    );
    // The registry is cloned so the poll itself can be borrowed mutably while handlers register sockets.
    let registry = match poll.registry().try_clone() {
        Ok(registry) => registry,
        Err(e) => {
            let mut emitter = emitter;
            emitter.emit(Event::Error {
                error: NetError::io(Operation::Setup, None, &e),
                at: SystemTime::now(),
            });
            emitter.emit(Event::Stopped {
                at: SystemTime::now(),
            });
            emitter.announce_now();
            return;
        }
    };
    let mut cx = Cx {
        registry: &registry,
        emitter,
        buf: BytesMut::zeroed(READ_BUFFER),
        raw: Vec::new(),
        echo,
        replier: Replier::new(rules),
        checker,
        max_queue_bytes,
        max_backlog_bytes,
    };
    if let Some(check) = check {
        cx.checker.start(*check, Instant::now());
        cx.emit_check_events();
    }
    if let Err(error) = handler.open(&mut cx) {
        cx.error(error);
    } else {
        serve(&mut poll, handler.as_mut(), commands_rx, &mut cx);
    }
    // A check still running ends with the session (one whose session could not open, too).
    cx.checker.session_ended(Instant::now());
    cx.emit_check_events();
    cx.emit(Event::Stopped {
        at: SystemTime::now(),
    });
    cx.emitter.announce_now();
}

/// The mode's handler, as configured.
fn handler(
    mode: Mode,
    tls_accept: Option<TlsAccept>,
    tls_connect: Option<TlsConnect>,
    udp_receive_buffer: usize,
    sends_on_connect: bool,
) -> Box<dyn Handler> {
    match mode {
        Mode::TcpServer { bind, max_clients } => Box::new(TcpServer::new(
            bind,
            max_clients,
            tls_accept,
            sends_on_connect,
        )),
        Mode::Relay {
            bind,
            target,
            max_clients,
            timeout,
        } => Box::new(Relay::new(
            bind,
            target,
            max_clients,
            timeout,
            tls_accept,
            tls_connect,
        )),
        Mode::TcpClient {
            host,
            port,
            local,
            timeout,
        } => Box::new(TcpClient::new(
            host,
            port,
            local,
            timeout,
            tls_connect,
            sends_on_connect,
        )),
        Mode::Udp {
            bind,
            remote,
            broadcast,
            multicast,
        } => Box::new(Udp::new(
            bind,
            remote,
            broadcast,
            multicast,
            udp_receive_buffer,
        )),
    }
}

fn serve(poll: &mut Poll, handler: &mut dyn Handler, commands_rx: &Receiver<Command>, cx: &mut Cx) {
    let mut events = Events::with_capacity(1024);
    // The mode may already have a deadline (a connect in progress) before any socket event.
    let mut wake = handler.turn(Instant::now(), cx);
    let mut announce_in = cx.emitter.announce(Instant::now());
    let mut periodic: Option<Periodic> = None;
    // Set by `StopWhenSent`: stop once nothing is left to send, or at this time.
    let mut stop_by: Option<Instant> = None;
    let mut timer = FineTimer::new(poll.registry(), TIMER_TOKEN);
    loop {
        let now = Instant::now();
        let mut timeout = match wake {
            Wake::Idle => None,
            Wake::Now => Some(Duration::ZERO),
            Wake::At(when) => Some(when.saturating_duration_since(now)),
        };
        let periodic_in = periodic
            .as_ref()
            .map(|p| p.next().saturating_duration_since(now));
        let replies_in = cx
            .replier
            .next_due()
            .map(|due| due.saturating_duration_since(now));
        let stop_in = stop_by.map(|by| by.saturating_duration_since(now));
        let check_in = cx
            .checker
            .next_due()
            .map(|due| due.saturating_duration_since(now));
        for bound in [announce_in, periodic_in, replies_in, stop_in, check_in]
            .into_iter()
            .flatten()
        {
            timeout = Some(timeout.map_or(bound, |t: Duration| t.min(bound)));
        }
        let timeout = timer.arm(now, timeout);
        if let Err(e) = poll.poll(&mut events, timeout)
            && e.kind() != std::io::ErrorKind::Interrupted
        {
            cx.error(NetError::io(Operation::Setup, None, &e));
            end(handler, cx);
            return;
        }
        for event in &events {
            // The waker and the timer only end the wait; the work is done below whatever woke the loop.
            if event.token() != WAKE_TOKEN && event.token() != TIMER_TOKEN {
                handler.ready(event, cx);
            }
        }
        if !take_commands(commands_rx, handler, cx, &mut periodic, &mut stop_by) {
            end(handler, cx);
            return;
        }
        let now = Instant::now();
        if let Some(running) = &mut periodic {
            if let Some(due) = running.due(now) {
                for send in due.sends {
                    for bytes in running.messages(send) {
                        let to = due.to.clone();
                        handler.command(PeerCommand::Send { to, bytes }, cx);
                    }
                }
                cx.emit(due.progress);
            }
            if running.finished() {
                periodic = None;
            }
        }
        for (peer, answer) in cx.replier.due(now) {
            handler.answer(peer, answer, cx);
        }
        cx.checker.tick(now);
        cx.emit_check_events();
        check_actions(handler, cx);
        wake = handler.turn(now, cx);
        if wake == Wake::Now && cx.backlog_full() {
            wake = Wake::At(now + BACKLOG_RECHECK);
        }
        // A client whose connection ended goes on while its check is about to connect again.
        if (handler.finished() && !cx.checker.wants_connection()) || cx.emitter.gone {
            return;
        }
        if stop_by.is_some_and(|by| {
            now >= by || (handler.queued() == 0 && cx.replier.next_delayed().is_none())
        }) {
            end(handler, cx);
            return;
        }
        announce_in = cx.emitter.announce(now);
    }
}

/// Ends the session's sockets: a check still running ends first, so its last step fails because the
/// session ended, not because the close that follows looks like the device's.
fn end(handler: &mut dyn Handler, cx: &mut Cx) {
    cx.checker.session_ended(Instant::now());
    cx.emit_check_events();
    handler.shutdown(cx);
}

/// Carries out what the running check asks: sends, disconnects, connecting again. What that makes
/// happen (a close) may move the check on and ask for more, so this goes on until it asks nothing.
fn check_actions(handler: &mut dyn Handler, cx: &mut Cx) {
    while let Some(action) = cx.checker.next_action() {
        match action {
            Output::Send { to, bytes } => {
                let to = to.map_or(Target::Default, |peer| Target::Peer(PeerId(peer)));
                handler.command(PeerCommand::Send { to, bytes }, cx);
            }
            Output::Disconnect(peer) => handler.command(PeerCommand::Disconnect(PeerId(peer)), cx),
            Output::Connect => handler.reconnect(cx),
            Output::Event(event) => cx.emitter.emit(Event::Check(event)),
        }
    }
}

/// Carries out the commands waiting; the periodic send and a stop after sending are the loop's own.
/// Returns `false` when the session must stop now (a `Stop`, or the caller went away).
fn take_commands(
    commands_rx: &Receiver<Command>,
    handler: &mut dyn Handler,
    cx: &mut Cx,
    periodic: &mut Option<Periodic>,
    stop_by: &mut Option<Instant>,
) -> bool {
    loop {
        match commands_rx.try_recv() {
            Ok(Command::Stop) | Err(TryRecvError::Disconnected) => return false,
            Ok(Command::SendEvery {
                to,
                messages,
                every,
                count,
            }) => {
                if let Some(replaced) = periodic.take() {
                    cx.emit(replaced.progress_done());
                }
                *periodic = Some(Periodic::new(to, messages, every, count, Instant::now()));
            }
            Ok(Command::StopPeriodic) => {
                if let Some(stopped) = periodic.take() {
                    cx.emit(stopped.progress_done());
                }
            }
            Ok(Command::SetRules(rules)) => {
                for (peer, bytes, sends) in cx.replier.set(rules) {
                    cx.unsent(peer, bytes, sends);
                }
            }
            Ok(Command::RunCheck(check)) => {
                cx.checker.start(*check, Instant::now());
                cx.emit_check_events();
            }
            Ok(Command::StopCheck) => {
                cx.checker.stop(Instant::now());
                cx.emit_check_events();
            }
            Ok(Command::StopWhenSent { within }) => {
                if let Some(stopped) = periodic.take() {
                    cx.emit(stopped.progress_done());
                }
                let by = Instant::now() + within;
                *stop_by = Some(stop_by.map_or(by, |earlier| earlier.min(by)));
            }
            Ok(Command::Send { to, bytes }) => handler.command(PeerCommand::Send { to, bytes }, cx),
            Ok(Command::Disconnect(peer)) => handler.command(PeerCommand::Disconnect(peer), cx),
            Ok(Command::HalfClose(peer)) => handler.command(PeerCommand::HalfClose(peer), cx),
            Ok(Command::SentOnConnect(peer)) => {
                handler.command(PeerCommand::SentOnConnect(peer), cx);
            }
            Ok(Command::JoinMulticast { group, interface }) => {
                handler.multicast_membership(group, interface, true, cx);
            }
            Ok(Command::LeaveMulticast { group, interface }) => {
                handler.multicast_membership(group, interface, false, cx);
            }
            Err(TryRecvError::Empty) => return true,
        }
    }
}
