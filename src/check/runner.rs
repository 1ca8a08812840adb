//! Running a compiled check: a state machine fed with what happens on the network (peers connecting,
//! bytes arriving, connections closing) and the time, which answers with what to do (send, disconnect,
//! connect) and what to report ([`CheckEvent`]s). It does no I/O and reads no clock: the engine's worker
//! feeds it, and tests feed it by hand.
//!
//! The device is the peer the steps talk to: the client `wait_client` finds (the one connected longest,
//! when several are; without `wait_client`, the one connected longest when a step first needs one), the
//! server a client connects to, or UDP's first remote. Received bytes are kept per
//! device, raw or framed, from the run's start (for the peers that could become the device: the few
//! connected longest), and each `expect` looks at what arrived since the last match, as
//! [`crate::expect`] does.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::{Buf, Bytes, BytesMut};

use crate::codec::{Framer, Message, MessageKind, Template, Values};
use crate::rules::Pattern;

use super::compile::{CompiledCheck, Op, Role};
use super::event::{
    ARRIVED_SHOWN, Arrived, CheckEvent, CheckEventKind, FailReason, Failure, MESSAGES_SHOWN,
    Outcome, StepEvent, StepState,
};
use super::model::{StepId, outline};

/// The most bytes kept per peer for `expect` (with a framing, of messages not looked at yet): a pattern
/// longer than this can never be met, and a peer that streams for hours costs no more memory than this.
/// `--expect` keeps as much ([`crate::expect`]).
pub const STREAM_WINDOW: usize = 1 << 20;

/// A peer of the session, by the engine's number for it.
pub type PeerKey = u64;

/// Before the device is known, the bytes of at most this many peers (those connected longest, which
/// `wait_client` takes first) are kept, so ten thousand clients cost no more than a few.
const CANDIDATES: usize = 4;

/// How long `disconnect` waits for the close it asked for (the engine closes at once; this only bounds a
/// mistake).
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// What the runner asks of the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Send bytes to a peer; `None`: to the session's remote (UDP before a remote is known).
    Send {
        /// The peer.
        to: Option<PeerKey>,
        /// The bytes, variables rendered.
        bytes: Bytes,
    },
    /// Close the connection to a peer.
    Disconnect(PeerKey),
    /// TCP client: connect again if not connected or connecting.
    Connect,
    /// Report this.
    Event(CheckEvent),
}

/// A repeat in progress.
#[derive(Debug)]
struct Loop {
    /// The round running, from 1.
    round: u32,
    started: Instant,
}

/// What the step running waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Waiting {
    /// A connection (`wait_client`, `connect`).
    Connection(Duration),
    /// Time to pass (`wait`).
    Time,
    /// A match (`expect`).
    Match(Duration),
    /// The close it asked for (`disconnect`).
    Closing,
    /// The device to close (`expect_close`).
    Close(Duration),
}

#[derive(Debug)]
struct Active {
    started: Instant,
    deadline: Instant,
    waiting: Waiting,
}

/// Bytes received from one peer since the last match.
#[derive(Debug)]
struct Incoming {
    /// With raw framing, none: the bytes are one stream.
    framer: Option<Framer>,
    /// Raw: the stream since the last match (at most [`STREAM_WINDOW`]).
    pending: BytesMut,
    /// Framed: messages not yet looked at.
    messages: VecDeque<Bytes>,
    /// Framed: messages looked at since the last match that did not match, newest last.
    unmatched: VecDeque<Bytes>,
    /// Framed: bytes and messages since the last match, kept or not.
    unmatched_bytes: usize,
    unmatched_count: usize,
    /// The peer finished sending (FIN) or closed: nothing more comes.
    ended: bool,
}

/// A check running; see the [module docs](self).
#[derive(Debug)]
pub struct Runner {
    check: CompiledCheck,
    role: Role,
    pc: usize,
    loops: Vec<Loop>,
    active: Option<Active>,
    device: Option<PeerKey>,
    /// A device was picked in this run (a step that needs one then fails without it, rather than quietly
    /// talking to another peer).
    had_device: bool,
    /// Peers connected now, oldest first (the engine numbers peers in the order they come).
    connected: BTreeSet<PeerKey>,
    streams: HashMap<PeerKey, Incoming>,
    /// `$0`, `$1`… of the last match.
    captures: Vec<Bytes>,
    /// How many times each send step has sent: its `{counter}`.
    sent: HashMap<StepId, u64>,
    /// When the last send was handed over, for the latency of the expects after it.
    last_send: Option<Instant>,
    started: Instant,
    out: VecDeque<Output>,
    finished: bool,
}

impl Runner {
    /// Starts `check` at `now` (`at` on the wall clock), in a session where `connected` peers are
    /// connected (oldest first). The first steps run at once; take what they ask with
    /// [`Runner::take_outputs`].
    #[must_use]
    pub fn new(
        check: CompiledCheck,
        role: Role,
        connected: impl IntoIterator<Item = PeerKey>,
        now: Instant,
        at: SystemTime,
    ) -> Self {
        let mut runner = Self {
            check,
            role,
            pc: 0,
            loops: Vec::new(),
            active: None,
            device: None,
            had_device: false,
            connected: connected.into_iter().collect(),
            streams: HashMap::new(),
            captures: Vec::new(),
            sent: HashMap::new(),
            last_send: None,
            started: now,
            out: VecDeque::new(),
            finished: false,
        };
        runner.event(at, CheckEventKind::Started);
        if role == Role::Udp {
            runner.adopt_oldest();
        }
        runner.advance(now, at);
        runner
    }

    /// What the runner asks for and reports, in order, since the last call.
    pub fn take_outputs(&mut self) -> impl Iterator<Item = Output> + '_ {
        self.out.drain(..)
    }

    /// Whether the run has ended (passed, failed or stopped).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// When [`Runner::tick`] has something to do: the running step's deadline, or the end of a message an
    /// idle gap cuts.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        let idle = self
            .streams
            .values()
            .filter_map(|s| s.framer.as_ref()?.deadline())
            .min();
        self.active
            .as_ref()
            .map(|a| a.deadline)
            .into_iter()
            .chain(idle)
            .min()
    }

    /// Whether the next step is `connect` with no connection: a TCP client session must not end yet.
    #[must_use]
    pub fn wants_connection(&self) -> bool {
        !self.finished
            && self.device.is_none()
            && matches!(
                self.check.program.get(self.pc).map(|i| &i.op),
                Some(Op::Connect(_))
            )
    }

    /// A peer connected.
    pub fn connected(&mut self, peer: PeerKey, now: Instant, at: SystemTime) {
        if self.finished {
            return;
        }
        self.connected.insert(peer);
        if self.device.is_none() && self.role == Role::Udp {
            self.adopt(peer);
        }
        if matches!(self.active_waiting(), Some(Waiting::Connection(_))) {
            self.adopt(peer);
            self.pass(now, at, None);
        }
    }

    /// A TLS client's connection to `addr` ended in a failed handshake: a `connect` waiting for it
    /// fails with the reason (it would not connect again by itself). A server's client that fails its
    /// handshake never was one ([`Runner::connected`] is told only of finished handshakes).
    pub fn handshake_failed(
        &mut self,
        addr: String,
        failure: crate::engine::TlsFailure,
        now: Instant,
        at: SystemTime,
    ) {
        if self.finished || self.role != Role::Client {
            return;
        }
        if matches!(self.active_waiting(), Some(Waiting::Connection(_))) {
            let failure = Box::new(failure);
            self.fail(now, at, FailReason::Handshake { addr, failure });
        }
    }

    /// `peer` sent `bytes` (one read, or one UDP datagram).
    pub fn received(&mut self, peer: PeerKey, bytes: &[u8], now: Instant, at: SystemTime) {
        if self.finished || !self.keeps(peer) {
            return;
        }
        let datagram = self.role == Role::Udp;
        let incoming = self.incoming(peer);
        match &mut incoming.framer {
            None => {
                incoming.pending.extend_from_slice(bytes);
                let excess = incoming.pending.len().saturating_sub(STREAM_WINDOW);
                incoming.pending.advance(excess);
            }
            Some(framer) => {
                let mut messages = Vec::new();
                if datagram {
                    framer.push_datagram(bytes, now, &mut messages);
                } else {
                    framer.push(bytes, now, &mut messages);
                }
                incoming.queue(messages);
            }
        }
        self.look(now, at);
    }

    /// `peer` finished sending (a FIN): nothing more comes from it, though it may still read.
    pub fn finished_sending(&mut self, peer: PeerKey, now: Instant, at: SystemTime) {
        if self.finished || !self.keeps(peer) {
            return;
        }
        self.incoming(peer).end();
        if self.device == Some(peer) {
            self.device_gone_or_done(now, at, false);
        }
    }

    /// `peer`'s connection is gone (or, UDP, the remote was forgotten).
    pub fn closed(&mut self, peer: PeerKey, now: Instant, at: SystemTime) {
        if self.finished {
            return;
        }
        self.connected.remove(&peer);
        if let Some(incoming) = self.streams.get_mut(&peer) {
            incoming.end();
        }
        if self.device == Some(peer) {
            self.device_gone_or_done(now, at, true);
        }
        self.streams.remove(&peer);
    }

    /// The time is `now`: steps whose time is up pass (`wait`) or fail, and messages an idle gap ends
    /// are looked at.
    pub fn tick(&mut self, now: Instant, at: SystemTime) {
        if self.finished {
            return;
        }
        for incoming in self.streams.values_mut() {
            if let Some(message) = incoming.framer.as_mut().and_then(|f| f.poll_idle(now)) {
                incoming.queue(vec![message]);
            }
        }
        self.look(now, at);
        let Some(active) = &self.active else {
            return;
        };
        if now < active.deadline {
            return;
        }
        match active.waiting {
            Waiting::Time => self.pass(now, at, None),
            Waiting::Connection(within) => self.fail(now, at, FailReason::NoConnection { within }),
            Waiting::Match(within) => self.fail(now, at, FailReason::NotArrived { within }),
            Waiting::Close(within) => self.fail(now, at, FailReason::StillOpen { within }),
            Waiting::Closing => self.fail(now, at, FailReason::StillOpen { within: CLOSE_WAIT }),
        }
    }

    /// The session ended: the step running fails, unless the run is over.
    pub fn session_ended(&mut self, now: Instant, at: SystemTime) {
        if !self.finished {
            self.fail(now, at, FailReason::SessionEnded);
        }
    }

    /// Stops the run: the step running is reported stopped, and the run ends as [`Outcome::Stopped`].
    pub fn stop(&mut self, now: Instant, at: SystemTime) {
        if self.finished {
            return;
        }
        if let Some(active) = self.active.take() {
            let took = now.saturating_duration_since(active.started);
            self.step_event(at, StepState::Stopped { took });
        }
        self.finish(now, at, Outcome::Stopped);
    }

    fn active_waiting(&self) -> Option<Waiting> {
        self.active.as_ref().map(|a| a.waiting)
    }

    /// What `peer` sent since the last match, kept from now on if it was not.
    fn incoming(&mut self, peer: PeerKey) -> &mut Incoming {
        let framing = &self.check.framing;
        self.streams.entry(peer).or_insert_with(|| Incoming {
            // Compiling checked the framing.
            framer: (!matches!(framing.framing, crate::codec::Framing::Raw))
                .then(|| Framer::new(framing.clone()).ok())
                .flatten(),
            pending: BytesMut::new(),
            messages: VecDeque::new(),
            unmatched: VecDeque::new(),
            unmatched_bytes: 0,
            unmatched_count: 0,
            ended: false,
        })
    }

    /// Whether bytes from `peer` are kept: the device's, or before there is one, a candidate's.
    fn keeps(&self, peer: PeerKey) -> bool {
        match self.device {
            Some(device) => device == peer,
            None => {
                self.role == Role::Udp || self.connected.iter().take(CANDIDATES).any(|&p| p == peer)
            }
        }
    }

    /// The device closed (`gone`) or finished sending: what waits for its close passes, what waits for
    /// its bytes fails. A device gone is no longer the device.
    fn device_gone_or_done(&mut self, now: Instant, at: SystemTime, gone: bool) {
        // Its last bytes (an unfinished message) are looked at first.
        self.look(now, at);
        match self.active_waiting() {
            Some(Waiting::Match(_)) => self.fail(now, at, FailReason::Closed),
            waiting => {
                if gone {
                    self.device = None;
                }
                if matches!(waiting, Some(Waiting::Close(_) | Waiting::Closing)) {
                    self.pass(now, at, None);
                }
            }
        }
    }

    /// An expect running looks at what arrived.
    fn look(&mut self, now: Instant, at: SystemTime) {
        let program = Arc::clone(&self.check.program);
        if matches!(self.active_waiting(), Some(Waiting::Match(_)))
            && let Some(Op::Expect { pattern, .. }) = program.get(self.pc).map(|i| &i.op)
            && self.try_match(pattern)
        {
            let latency = self
                .last_send
                .map(|sent| now.saturating_duration_since(sent));
            self.pass(now, at, latency);
        }
    }

    /// Looks for `pattern` in what the device sent since the last match; on a match keeps its captures
    /// and drops what came before it.
    fn try_match(&mut self, pattern: &Pattern) -> bool {
        let Some(incoming) = self.device.and_then(|d| self.streams.get_mut(&d)) else {
            return false;
        };
        if incoming.framer.is_none() {
            let Some((end, groups)) = pattern.find(&incoming.pending) else {
                return false;
            };
            let matched = incoming.pending.split_to(end).freeze();
            self.captures = captures(&matched, &groups);
            return true;
        }
        while let Some(message) = incoming.messages.pop_front() {
            if let Some((_, groups)) = pattern.find(&message) {
                self.captures = captures(&message, &groups);
                incoming.unmatched.clear();
                incoming.unmatched_bytes = 0;
                incoming.unmatched_count = 0;
                return true;
            }
            incoming.unmatched_bytes += message.len();
            incoming.unmatched_count += 1;
            incoming
                .unmatched
                .push_back(message.slice(..message.len().min(ARRIVED_SHOWN)));
            if incoming.unmatched.len() > MESSAGES_SHOWN {
                incoming.unmatched.pop_front();
            }
        }
        false
    }

    /// What the device sent since the last match, for a failure.
    fn arrived(&self) -> Arrived {
        let mut arrived = Arrived {
            framed: !matches!(self.check.framing.framing, crate::codec::Framing::Raw),
            encoding: self.check.encoding,
            ..Arrived::default()
        };
        let Some(incoming) = self.device.and_then(|d| self.streams.get(&d)) else {
            return arrived;
        };
        if arrived.framed {
            arrived.shown = incoming.unmatched.iter().cloned().collect();
            arrived.bytes = incoming.unmatched_bytes;
            arrived.messages = incoming.unmatched_count;
        } else if !incoming.pending.is_empty() {
            let pending = &incoming.pending;
            let tail = &pending[pending.len().saturating_sub(ARRIVED_SHOWN)..];
            arrived.shown = vec![Bytes::copy_from_slice(tail)];
            arrived.bytes = pending.len();
            arrived.messages = 1;
        }
        arrived
    }

    fn event(&mut self, at: SystemTime, kind: CheckEventKind) {
        self.out.push_back(Output::Event(CheckEvent {
            check: Arc::clone(&self.check.name),
            at,
            kind,
        }));
    }

    fn step_event(&mut self, at: SystemTime, state: StepState) {
        let Some(instr) = self.check.program.get(self.pc) else {
            return;
        };
        // A repeat's own events carry the round of the repeat around it.
        let own_loop = matches!(instr.op, Op::RepeatStart { .. } | Op::RepeatEnd { .. });
        let depth = self.loops.len().saturating_sub(usize::from(own_loop));
        let round = depth.checked_sub(1).map(|i| self.loops[i].round);
        let step = instr.id;
        self.event(at, CheckEventKind::Step(StepEvent { step, round, state }));
    }

    /// The step running passed: on to the next.
    fn pass(&mut self, now: Instant, at: SystemTime, latency: Option<Duration>) {
        let Some(active) = self.active.take() else {
            return;
        };
        let took = now.saturating_duration_since(active.started);
        self.step_event(at, StepState::Passed { took, latency });
        self.pc += 1;
        self.advance(now, at);
    }

    /// The step running (or about to run) failed: the run ends.
    fn fail(&mut self, now: Instant, at: SystemTime, reason: FailReason) {
        let started = self.active.take().map_or(now, |a| a.started);
        let Some(id) = self.check.program.get(self.pc).map(|i| i.id) else {
            return;
        };
        let Some((path, step)) = outline(&self.check.source.steps)
            .into_iter()
            .nth(id.0 as usize)
            .map(|item| (item.path, item.step.clone()))
        else {
            return;
        };
        let arrived = if matches!(reason, FailReason::NotArrived { .. } | FailReason::Closed) {
            self.arrived()
        } else {
            Arrived::default()
        };
        let failure = Failure {
            path,
            step,
            reason,
            arrived,
            peer: self.device,
        };
        let took = now.saturating_duration_since(started);
        self.step_event(
            at,
            StepState::Failed {
                took,
                failure: Box::new(failure),
            },
        );
        self.finish(now, at, Outcome::Failed(id));
    }

    fn finish(&mut self, now: Instant, at: SystemTime, outcome: Outcome) {
        self.finished = true;
        self.active = None;
        self.streams.clear();
        let took = now.saturating_duration_since(self.started);
        self.event(at, CheckEventKind::Finished { outcome, took });
    }

    /// Runs steps from `pc` until one has to wait, the run fails, or it ends.
    fn advance(&mut self, now: Instant, at: SystemTime) {
        let program = Arc::clone(&self.check.program);
        while !self.finished && self.active.is_none() {
            let Some(instr) = program.get(self.pc) else {
                self.finish(now, at, Outcome::Passed);
                return;
            };
            if !matches!(instr.op, Op::RepeatStart { .. } | Op::RepeatEnd { .. }) {
                self.step_event(at, StepState::Running);
            }
            let wait = |waiting, within: Duration| {
                Some(Active {
                    started: now,
                    deadline: now + within,
                    waiting,
                })
            };
            match &instr.op {
                Op::RepeatStart { .. } => {
                    self.loops.push(Loop {
                        round: 1,
                        started: now,
                    });
                    self.step_event(at, StepState::Running);
                    self.pc += 1;
                }
                &Op::RepeatEnd { start } => {
                    let times = match program[start].op {
                        Op::RepeatStart { times } => times,
                        _ => 1,
                    };
                    self.end_round(start, times, now, at);
                }
                &(Op::WaitClient(within) | Op::Connect(within)) => {
                    self.adopt_oldest();
                    if self.device.is_some() {
                        self.passed_at_once(at);
                    } else {
                        if matches!(instr.op, Op::Connect(_)) {
                            self.out.push_back(Output::Connect);
                        }
                        self.active = wait(Waiting::Connection(within), within);
                    }
                }
                Op::Send(template) => self.send(instr.id, template, now, at),
                &Op::Expect { within, .. } => {
                    if !self.need_device(now, at) {
                        return;
                    }
                    self.active = wait(Waiting::Match(within), within);
                    self.look(now, at);
                    if self.active.is_some() && self.device_ended() {
                        self.fail(now, at, FailReason::Closed);
                    }
                }
                &Op::Wait(duration) => self.active = wait(Waiting::Time, duration),
                Op::Disconnect => {
                    if !self.need_device(now, at) {
                        return;
                    }
                    let Some(device) = self.device else {
                        return;
                    };
                    self.active = wait(Waiting::Closing, CLOSE_WAIT);
                    self.out.push_back(Output::Disconnect(device));
                }
                &Op::ExpectClose(within) => {
                    if self.device.is_none() || self.device_ended() {
                        self.passed_at_once(at);
                    } else {
                        self.active = wait(Waiting::Close(within), within);
                    }
                }
            }
        }
    }

    /// The end of a repeat's body: another round, or the repeat passed.
    fn end_round(&mut self, start: usize, times: u32, now: Instant, at: SystemTime) {
        let Some(current) = self.loops.last_mut() else {
            return;
        };
        if current.round < times {
            current.round += 1;
            self.pc = start + 1;
            return;
        }
        let took = now.saturating_duration_since(current.started);
        self.step_event(
            at,
            StepState::Passed {
                took,
                latency: None,
            },
        );
        self.loops.pop();
        self.pc += 1;
    }

    /// Without a device, the peer connected longest becomes it (and only its bytes are kept).
    fn adopt_oldest(&mut self) {
        if self.device.is_none()
            && let Some(&oldest) = self.connected.first()
        {
            self.adopt(oldest);
        }
    }

    fn adopt(&mut self, peer: PeerKey) {
        self.device = Some(peer);
        self.had_device = true;
        self.streams.retain(|&kept, _| kept == peer);
    }

    /// A step that needs the device and has none: before any device was picked in this run, the peer
    /// connected longest is taken (a check without `wait_client` talks to the client already there).
    /// `false`, and the step fails, when there is none to take.
    fn need_device(&mut self, now: Instant, at: SystemTime) -> bool {
        if self.device.is_none() && !self.had_device {
            self.adopt_oldest();
        }
        if self.device.is_none() && self.role != Role::Udp {
            self.fail(now, at, FailReason::NotConnected);
            return false;
        }
        true
    }

    /// Whether the device has finished sending or closed.
    fn device_ended(&self) -> bool {
        self.device
            .and_then(|d| self.streams.get(&d))
            .is_some_and(|s| s.ended)
    }

    /// Send step `id`: its bytes, with its own count as `{counter}` and the last match's captures.
    fn send(&mut self, id: StepId, template: &Template, now: Instant, at: SystemTime) {
        if !self.need_device(now, at) {
            return;
        }
        let counter = self.sent.entry(id).or_insert(0);
        *counter += 1;
        let counter = *counter;
        let captures: Vec<&[u8]> = self.captures.iter().map(Bytes::as_ref).collect();
        let bytes = template.render(Values::new(counter, at).with_captures(&captures));
        self.out.push_back(Output::Send {
            to: self.device,
            bytes,
        });
        self.last_send = Some(now);
        self.passed_at_once(at);
    }

    /// The step at `pc` passed as it started: on to the next.
    fn passed_at_once(&mut self, at: SystemTime) {
        self.step_event(
            at,
            StepState::Passed {
                took: Duration::ZERO,
                latency: None,
            },
        );
        self.pc += 1;
    }
}

impl Incoming {
    /// Queues framed messages (bad length headers are skipped bytes, not messages), keeping at most
    /// [`STREAM_WINDOW`] bytes of them.
    fn queue(&mut self, messages: Vec<Message>) {
        for message in messages {
            if message.kind != MessageKind::BadLength {
                self.messages.push_back(message.bytes);
            }
        }
        let mut held: usize = self.messages.iter().map(Bytes::len).sum();
        while held > STREAM_WINDOW
            && let Some(oldest) = self.messages.pop_front()
        {
            held -= oldest.len();
            self.unmatched_bytes += oldest.len();
            self.unmatched_count += 1;
        }
    }

    /// Nothing more comes: an unfinished message is looked at as it is.
    fn end(&mut self) {
        self.ended = true;
        if let Some(last) = self.framer.as_mut().and_then(Framer::finish) {
            self.queue(vec![last]);
        }
    }
}

/// `$0` (the match, or the whole message) and the groups, from `haystack`.
fn captures(haystack: &Bytes, groups: &[std::ops::Range<usize>]) -> Vec<Bytes> {
    std::iter::once(haystack.clone())
        .chain(groups.iter().map(|range| haystack.slice(range.clone())))
        .collect()
}

#[cfg(test)]
mod tests;
