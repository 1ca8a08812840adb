//! The worker's side of device checks: it keeps which peers are connected, feeds a running check's
//! [`Runner`] every event the worker emits (in the order emitted) and the time, reports the run's
//! progress as [`Event::Check`]s right after the event that caused it, and hands the worker the sends,
//! disconnects and connects the check asks for. A check's steps so never wait for a window.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Instant, SystemTime};

use crate::check::{CheckEvent, CompiledCheck, Output, Role, Runner};

use super::{CloseReason, Direction, Event, Mode, NetError, Side};

/// The session's check, if one runs; see the [module docs](self).
pub(crate) struct Checker {
    role: Role,
    /// The session's connections start with a TLS handshake: a peer is connected for the check once
    /// its handshake is done, not when its TCP connection is.
    tls: bool,
    /// Peers connected now, by number (oldest first).
    connected: BTreeSet<u64>,
    /// TLS: peers whose TCP connection is there and whose handshake is not done yet.
    handshaking: BTreeSet<u64>,
    /// Relay: its server sides (named by [`Event::Connecting`]), which the check does not see: it
    /// checks the devices, as a TCP server's check does its clients. Each with its device and whether
    /// it connected; one that never did is forgotten with its device.
    servers: BTreeMap<u64, (u64, bool)>,
    runner: Option<Runner>,
    /// Progress to emit.
    events: Vec<CheckEvent>,
    /// What the check asks of the session, in order.
    actions: VecDeque<Output>,
}

impl Checker {
    /// No check yet, in a session of `mode`; `tls` when the connections the check sees start with a
    /// TLS handshake (a TCP client's or server's, a relay's devices).
    pub(crate) fn new(mode: &Mode, tls: bool) -> Self {
        Self {
            tls: tls && !matches!(mode, Mode::Udp { .. }),
            handshaking: BTreeSet::new(),
            servers: BTreeMap::new(),
            role: match mode {
                // A relay's devices connect to it as to a server.
                Mode::TcpServer { .. } | Mode::Relay { .. } => Role::Server,
                Mode::TcpClient { .. } => Role::Client,
                Mode::Udp { .. } => Role::Udp,
            },
            connected: BTreeSet::new(),
            runner: None,
            events: Vec::new(),
            actions: VecDeque::new(),
        }
    }

    /// Starts `check`, stopping one that runs.
    pub(crate) fn start(&mut self, check: CompiledCheck, now: Instant) {
        self.stop(now);
        let runner = Runner::new(
            check,
            self.role,
            self.connected.iter().copied(),
            now,
            SystemTime::now(),
        );
        self.runner = Some(runner);
        self.collect();
    }

    /// Stops the check that runs, if one does.
    pub(crate) fn stop(&mut self, now: Instant) {
        if let Some(runner) = &mut self.runner {
            runner.stop(now, SystemTime::now());
            self.collect();
        }
    }

    /// The session is ending: a check still running fails.
    pub(crate) fn session_ended(&mut self, now: Instant) {
        if let Some(runner) = &mut self.runner {
            runner.session_ended(now, SystemTime::now());
            self.collect();
        }
    }

    /// Takes an event the worker emits.
    pub(crate) fn observe(&mut self, event: &Event, now: Instant) {
        if self.server_side(event) {
            return;
        }
        let mut established = false;
        let mut handshake_failed = None;
        match event {
            Event::Connected { peer, .. } if self.tls => {
                self.handshaking.insert(peer.0);
            }
            Event::Connected { peer, .. } => {
                established = true;
                self.connected.insert(peer.0);
            }
            Event::TlsEstablished { peer, .. } if self.handshaking.remove(&peer.0) => {
                established = true;
                self.connected.insert(peer.0);
            }
            Event::Closed {
                peer,
                reason:
                    CloseReason::Error(NetError {
                        tls: Some(failure),
                        addr,
                        ..
                    }),
                ..
            } if self.handshaking.remove(&peer.0) => {
                handshake_failed = Some((addr.clone().unwrap_or_default(), failure));
            }
            // Closed before its handshake ended, by other than TLS (a reset): it never was connected.
            Event::Closed { peer, .. } if self.handshaking.remove(&peer.0) => {}
            Event::Closed { peer, .. } => {
                self.connected.remove(&peer.0);
            }
            _ => {}
        }
        let Some(runner) = &mut self.runner else {
            return;
        };
        match event {
            Event::Connected { peer, at, .. } | Event::TlsEstablished { peer, at, .. }
                if established =>
            {
                runner.connected(peer.0, now, *at);
            }
            Event::Closed { at, .. } if handshake_failed.is_some() => {
                if let Some((addr, failure)) = handshake_failed {
                    runner.handshake_failed(addr, (**failure).clone(), now, *at);
                }
            }
            Event::Data {
                peer,
                dir: Direction::Rx,
                bytes,
                at,
            } => runner.received(peer.0, bytes, now, *at),
            Event::HalfClosed {
                peer,
                side: Side::Peer,
                at,
                ..
            } => runner.finished_sending(peer.0, now, *at),
            Event::Closed { peer, at, .. } => runner.closed(peer.0, now, *at),
            _ => return,
        }
        self.collect();
    }

    /// Keeps track of a relay's server sides; whether `event` is about one (and so not for the check).
    fn server_side(&mut self, event: &Event) -> bool {
        match event {
            Event::Connecting { device, server, .. } => {
                self.servers.insert(server.0, (device.0, false));
                return false;
            }
            Event::Closed { peer, .. } if !self.servers.contains_key(&peer.0) => {
                // A device's end: its server sides that never connected will never close.
                self.servers
                    .retain(|_, (device, connected)| *device != peer.0 || *connected);
                return false;
            }
            _ => {}
        }
        let Some(side) = checked_peer(event).and_then(|peer| self.servers.get_mut(&peer)) else {
            return false;
        };
        match event {
            Event::Connected { .. } => side.1 = true,
            Event::Closed { peer, .. } => {
                self.servers.remove(&peer.0);
            }
            _ => {}
        }
        true
    }

    /// Lets time pass for the check: steps whose time is up pass or fail.
    pub(crate) fn tick(&mut self, now: Instant) {
        if let Some(runner) = &mut self.runner
            && runner.deadline().is_some_and(|due| due <= now)
        {
            runner.tick(now, SystemTime::now());
            self.collect();
        }
    }

    /// When [`Checker::tick`] has something to do.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.runner.as_ref().and_then(Runner::deadline)
    }

    /// Whether the check waits to connect again: a TCP client session whose connection ended goes on.
    pub(crate) fn wants_connection(&self) -> bool {
        self.runner.as_ref().is_some_and(Runner::wants_connection)
    }

    /// Progress to emit now.
    pub(crate) fn take_events(&mut self) -> std::vec::Drain<'_, CheckEvent> {
        self.events.drain(..)
    }

    /// The next thing the check asks of the session.
    pub(crate) fn next_action(&mut self) -> Option<Output> {
        self.actions.pop_front()
    }

    /// Sorts the runner's outputs into events and actions; a finished run is dropped.
    fn collect(&mut self) {
        let Some(runner) = &mut self.runner else {
            return;
        };
        for output in runner.take_outputs() {
            match output {
                Output::Event(event) => self.events.push(event),
                action => self.actions.push_back(action),
            }
        }
        if runner.is_finished() {
            self.runner = None;
        }
    }
}

/// The peer an event the check sees is about.
fn checked_peer(event: &Event) -> Option<u64> {
    match event {
        Event::Connected { peer, .. }
        | Event::TlsEstablished { peer, .. }
        | Event::Data { peer, .. }
        | Event::HalfClosed { peer, .. }
        | Event::Closed { peer, .. } => Some(peer.0),
        _ => None,
    }
}
