//! The session controller both front ends use: it owns the engine session, the traffic log, the capture
//! to file, the pcapng recording, the expectations and what is sent when peers connect, so "take the
//! engine's events, record them, answer a connection, stop honestly" exists once, for the window and the
//! command line alike.
//!
//! The caller decides only when to look: the window each frame (in `eframe::App::logic`, within a time
//! budget), the command line whenever an event may be waiting. Each event goes, in order, to the capture
//! and the pcapng recording (the wire record), the log (the framed rows), the expectations (received
//! rows), the device check's report, and then to the caller's own `seen` callback for what only it shows
//! (progress bars, messages). Each recording is told when a session opens, so it knows the session's mode.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::capture::{self, CaptureOptions};
use crate::check::{CompiledCheck, Report};
use crate::codec::{Template, Values};
use crate::engine::{
    self, Command, Event, Mode, NetError, Operation, PeerId, SessionConfig, StartError, Target,
};
use crate::expect::Expectations;
use crate::history::History;
use crate::pcap::{self, PcapOptions};
use crate::recording::{Recording, RecordingError};
use crate::traffic::{RowKind, TrafficLog};

/// What to send on its own when a session opens: the command line's `--send`s, each a message (a write,
/// a TX row, a datagram) of its own. Sent to each client as it connects (TCP server), or once when
/// connected (TCP client) or open (UDP); with `every`, sent again and again instead, all of them each
/// time, to every peer. Variables are rendered for each send: `{counter}` is the how-many-th time the sends
/// go out in the session (each connection, or each time of the periodic send), from 1, the same for all
/// of them in one go. Sent once per connection, they reach a peer that finishes sending as soon as it
/// connects too: the engine keeps each connection open for them ([`SessionConfig::sends_on_connect`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OnConnect {
    /// The sends, in order.
    pub sends: Vec<Template>,
    /// Repeat them this often instead of sending them once.
    pub every: Option<Duration>,
    /// TCP: after the sends, finish sending to the peer (a FIN); it can still send.
    pub half_close: bool,
}

impl OnConnect {
    /// Whether something goes to each connection as it opens: sends or a half-close, not repeated.
    fn per_connection(&self) -> bool {
        self.every.is_none() && (!self.sends.is_empty() || self.half_close)
    }
}

/// How far the periodic send has got, as its last [`Event::Periodic`] said.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeriodicProgress {
    /// Sends made.
    pub sent: u64,
    /// Ticks passed over without a send because the network thread woke too late to catch up (see
    /// [`Event::Periodic`]); the ticks asked for are `sent + skipped`.
    pub skipped: u64,
    /// It is still running.
    pub running: bool,
}

impl PeriodicProgress {
    /// The progress an event tells, if it is an [`Event::Periodic`].
    #[must_use]
    pub fn of(event: &Event) -> Option<Self> {
        match *event {
            Event::Periodic {
                sent,
                skipped,
                done,
                ..
            } => Some(Self {
                sent,
                skipped,
                running: !done,
            }),
            _ => None,
        }
    }
}

/// What a call that took events saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Intake {
    /// More events were waiting when the call returned (its time budget ran out, or the capture's queue
    /// was full): look again soon.
    pub more: bool,
    /// The session ended; it is gone from the controller.
    pub stopped: bool,
}

/// The running engine session and what is known about it.
struct Running {
    session: engine::Session,
    /// The mode it was started in.
    mode: Mode,
    /// Where it speaks TLS.
    tls: TlsSides,
    /// Its socket opened (listening, connected): a later error is not a refusal.
    opened: bool,
    /// The periodic send of [`OnConnect`] was started.
    periodic_started: bool,
    /// How many times [`OnConnect`]'s sends went out (its `{counter}`).
    on_connect_sent: u64,
    /// The peer connected last: a send to [`Target::Default`] the worker never read was meant for it.
    last_peer: Option<PeerId>,
    /// The engine holds each connection until it is told [`OnConnect`]'s sends to it were made
    /// ([`SessionConfig::sends_on_connect`]).
    holds: bool,
}

/// Where a session speaks TLS: on the connections it accepts (a TCP server's, a relay's devices) and on
/// those it makes (a TCP client's, a relay's to its target).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TlsSides {
    /// On the connections it accepts.
    pub accepts: bool,
    /// On the connections it makes.
    pub makes: bool,
}

/// One session at a time, its log, its capture and its expectations; see the [module docs](self).
pub struct Controller {
    log: TrafficLog,
    running: Option<Running>,
    capture: Slot,
    /// The pcapng file written as events come.
    pcap: Slot,
    expectations: Expectations,
    on_connect: OnConnect,
    /// Why the last session could not open (bind or connect refused).
    refused: Option<NetError>,
    /// The first send the OS refused in the last session (message too long, broadcast not allowed, no
    /// route), if any.
    send_failure: Option<NetError>,
    /// The seq of the next log row the expectations have not seen.
    next_checked: u64,
    /// When a stop after sending is overdue and the session is stopped outright.
    stop_by: Option<Instant>,
    /// The last session's periodic send, if it had one.
    periodic: Option<PeriodicProgress>,
    /// The last device check run (or running), as its events told it.
    check: Option<Report>,
    /// Every session's span and what was lost, for a report.
    history: History,
}

impl Controller {
    /// A controller logging into `log`, with no session, no expectations and nothing sent on connect.
    #[must_use]
    pub fn new(log: TrafficLog) -> Self {
        Self {
            next_checked: log.first_seq() + log.len() as u64,
            log,
            running: None,
            capture: Slot::default(),
            pcap: Slot::default(),
            expectations: Expectations::new(Vec::new(), &crate::codec::Framing::Raw),
            on_connect: OnConnect::default(),
            refused: None,
            send_failure: None,
            stop_by: None,
            periodic: None,
            check: None,
            history: History::default(),
        }
    }

    /// Expectations to meet from now on (received rows are tested as they are logged).
    pub fn set_expectations(&mut self, expectations: Expectations) {
        self.expectations = expectations;
    }

    /// What to send when sessions open or clients connect, from now on. A session running keeps holding
    /// its connections for these sends, or not, as it did when it started ([`Controller::start`]).
    pub fn set_on_connect(&mut self, on_connect: OnConnect) {
        self.on_connect = on_connect;
    }

    /// Starts a session with `config`; `waker` is called from the engine's thread when events wait (see
    /// [`engine::start`]). A row in the log says the session opened. Does nothing if one is running.
    /// `config`'s [`SessionConfig::sends_on_connect`] is set here, from [`OnConnect`]: on when it sends
    /// to each peer as it connects (a TCP server's clients, a TCP client's server; not a periodic send),
    /// so a peer that sends and finishes sending at once still gets those sends.
    pub fn start(
        &mut self,
        mut config: SessionConfig,
        waker: impl Fn() + Send + Sync + 'static,
    ) -> Result<(), StartError> {
        if self.running.is_some() {
            return Ok(());
        }
        config.sends_on_connect = self.on_connect.per_connection()
            && matches!(config.mode, Mode::TcpServer { .. } | Mode::TcpClient { .. });
        let holds = config.sends_on_connect;
        let mode = config.mode.clone();
        let tls = TlsSides {
            accepts: config.tls_accept.is_some(),
            makes: config.tls_connect.is_some(),
        };
        let check = config
            .check
            .as_ref()
            .map(|check| Report::new(check.check()));
        // Taken before the worker starts, so the session opens before anything it reports happened.
        let at = std::time::SystemTime::now();
        let session = engine::start(config, waker)?;
        if check.is_some() {
            self.check = check;
        }
        self.log.begin_session(&mode, at);
        self.history.opened(&mode, at);
        for slot in [&mut self.capture, &mut self.pcap] {
            slot.session(&mode, at);
        }
        self.refused = None;
        self.periodic = None;
        self.send_failure = None;
        self.running = Some(Running {
            session,
            mode,
            tls,
            opened: false,
            periodic_started: false,
            on_connect_sent: 0,
            last_peer: None,
            holds,
        });
        Ok(())
    }

    /// Whether a session is running.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.running.is_some()
    }

    /// The running session's mode.
    #[must_use]
    pub fn mode(&self) -> Option<&Mode> {
        self.running.as_ref().map(|running| &running.mode)
    }

    /// Where the running session speaks TLS; nowhere when none runs.
    #[must_use]
    pub fn tls(&self) -> TlsSides {
        self.running
            .as_ref()
            .map_or_else(TlsSides::default, |running| running.tls)
    }

    /// Sends a command to the running session. `false` when none runs (or it has just ended).
    pub fn command(&self, command: Command) -> bool {
        self.running
            .as_ref()
            .is_some_and(|running| running.session.send(command))
    }

    /// Runs a device check in the running session (compiled for its mode, see
    /// [`Preset::compile_check`](crate::preset::Preset::compile_check)); one already running stops.
    /// Its steps run in the engine's worker; [`Controller::check_report`] follows them as events are
    /// taken. `false` when no session runs.
    pub fn run_check(&mut self, check: CompiledCheck) -> bool {
        let report = Report::new(check.check());
        let started = self.command(Command::RunCheck(Box::new(check)));
        if started {
            self.check = Some(report);
        }
        started
    }

    /// Stops the device check that runs, if one does; it ends as stopped.
    pub fn stop_check(&self) {
        self.command(Command::StopCheck);
    }

    /// The last device check run, or the one running: each step's state and time, the latency, how it
    /// ended and its first failure, as far as the events taken so far tell.
    #[must_use]
    pub fn check_report(&self) -> Option<&Report> {
        self.check.as_ref()
    }

    /// Whether a device check is running (it started and its end has not been taken yet).
    #[must_use]
    pub fn check_running(&self) -> bool {
        self.check
            .as_ref()
            .is_some_and(|report| report.finished.is_none())
    }

    /// Why the last session could not open: its bind or connect was refused.
    #[must_use]
    pub fn refused(&self) -> Option<&NetError> {
        self.refused.as_ref()
    }

    /// The first send the OS refused in the last session: the data did not go out.
    #[must_use]
    pub fn send_failure(&self) -> Option<&NetError> {
        self.send_failure.as_ref()
    }

    /// Every session's span and what did not go out or was dropped, over all sessions.
    #[must_use]
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The log of every session so far.
    #[must_use]
    pub fn log(&self) -> &TrafficLog {
        &self.log
    }

    /// The log, to clear it or change its framing.
    pub fn log_mut(&mut self) -> &mut TrafficLog {
        &mut self.log
    }

    /// How far the last session's periodic send got, if it had one.
    #[must_use]
    pub fn periodic(&self) -> Option<PeriodicProgress> {
        self.periodic
    }

    /// The expectations and how far they are met.
    #[must_use]
    pub fn expectations(&self) -> &Expectations {
        &self.expectations
    }

    /// Takes the events waiting now, for at most `budget` (the window's share of a frame); `seen` gets
    /// each after the controller has recorded it. Never blocks.
    pub fn take_events(&mut self, budget: Duration, mut seen: impl FnMut(&Event)) -> Intake {
        let start = Instant::now();
        let mut intake = Intake::default();
        if self.stop_if_overdue(&mut seen) {
            intake.stopped = true;
            return intake;
        }
        loop {
            if self.running.is_none() {
                return intake;
            }
            // A capture that cannot keep up leaves events with the engine, which slows the peers down.
            if start.elapsed() >= budget || !self.capture.has_room() || !self.pcap.has_room() {
                intake.more = true;
                return intake;
            }
            let Some(event) = self
                .running
                .as_ref()
                .and_then(|running| running.session.try_recv())
            else {
                return intake;
            };
            intake.stopped |= self.record(&event);
            seen(&event);
        }
    }

    /// Waits up to `timeout` for the next event and records it (see [`Controller::take_events`]);
    /// `None` on time-out or when no session runs. A stop that is overdue happens here (its last events
    /// are recorded, and `None` returned).
    pub fn wait_event(&mut self, timeout: Duration) -> Option<Event> {
        if self.stop_if_overdue(|_| {}) {
            return None;
        }
        let timeout = self.stop_by.map_or(timeout, |by| {
            timeout.min(by.saturating_duration_since(Instant::now()))
        });
        let event = self.running.as_ref()?.session.recv_timeout(timeout)?;
        self.record(&event);
        Some(event)
    }

    /// Lets idle-gap framing end messages whose gap has passed at `now` (and tests them against the
    /// expectations); returns when to look again.
    pub fn poll_idle(&mut self, now: Instant) -> Option<Instant> {
        let next = self.log.poll_idle(now);
        self.check_expectations();
        next
    }

    /// Stops the session at once and records its last events; `seen` gets each. Queued sends that did
    /// not go out are reported by the engine as unsent.
    pub fn stop(&mut self, mut seen: impl FnMut(&Event)) {
        self.stop_by = None;
        let Some(mut running) = self.running.take() else {
            return;
        };
        running.session.stop();
        let last: Vec<Event> = running.session.drain().collect();
        for event in &last {
            self.running_record(event, &mut running);
            seen(event);
        }
    }

    /// Asks the session to stop once what is queued or scheduled has gone out (delayed rule replies
    /// included), or after `within`, whichever is first. It does not wait: the caller goes on taking
    /// events (and printing or drawing them) until [`Controller::is_open`] says it ended; if the worker
    /// has not ended shortly after `within`, the next call that takes events stops it outright.
    pub fn stop_when_sent(&mut self, within: Duration) {
        if self.command(Command::StopWhenSent { within }) {
            self.stop_by = Some(Instant::now() + within + STOP_MARGIN);
        }
    }

    /// Stops the session outright if a [`Controller::stop_when_sent`] is overdue; returns whether it did.
    fn stop_if_overdue(&mut self, seen: impl FnMut(&Event)) -> bool {
        if self.stop_by.is_some_and(|by| Instant::now() >= by) {
            self.stop(seen);
            return true;
        }
        false
    }

    /// The running capture to file, if any.
    #[must_use]
    pub fn capture(&self) -> Option<&Recording> {
        self.capture.recording.as_ref()
    }

    /// Starts capturing every event from now on to `path`. A capture still running is stopped first;
    /// to report how that one ended, call [`Controller::stop_capture`] before.
    pub fn start_capture(
        &mut self,
        path: &Path,
        options: CaptureOptions,
    ) -> Result<(), RecordingError> {
        let capture = capture::start(path, options)?;
        self.capture.start(capture, self.running.as_ref());
        Ok(())
    }

    /// Stops the capture, flushing its file: `None` if none ran, else its file once everything was
    /// written, or why not (also when it had already failed).
    pub fn stop_capture(&mut self) -> Option<Result<PathBuf, RecordingError>> {
        self.capture.stop()
    }

    /// Whether the capture's writer has failed (the capture then records nothing more); stop it with
    /// [`Controller::stop_capture`] to learn why.
    #[must_use]
    pub fn capture_failed(&self) -> bool {
        self.capture.failed()
    }

    /// The running pcapng recording, if any.
    #[must_use]
    pub fn pcap(&self) -> Option<&Recording> {
        self.pcap.recording.as_ref()
    }

    /// Starts writing every event from now on to `path` as pcapng ([`crate::pcap`]). Start it before the
    /// session: connections already open when it starts are not in it (their addresses came when they
    /// connected). A recording still running is stopped first; to report how that one ended, call
    /// [`Controller::stop_pcap`] before.
    pub fn start_pcap(&mut self, path: &Path, options: PcapOptions) -> Result<(), RecordingError> {
        let recording = pcap::start(path, options)?;
        self.pcap.start(recording, self.running.as_ref());
        Ok(())
    }

    /// Stops the pcapng recording, flushing its file: `None` if none ran, else its file once everything
    /// was written, or why not (also when it had already failed).
    pub fn stop_pcap(&mut self) -> Option<Result<PathBuf, RecordingError>> {
        self.pcap.stop()
    }

    /// Whether the pcapng recording's writer has failed (or reached its size limit); stop it with
    /// [`Controller::stop_pcap`] to learn why.
    #[must_use]
    pub fn pcap_failed(&self) -> bool {
        self.pcap.failed()
    }

    /// Records one event of the running session; returns whether it ended the session.
    fn record(&mut self, event: &Event) -> bool {
        let Some(mut running) = self.running.take() else {
            return false;
        };
        self.running_record(event, &mut running);
        let stopped = matches!(event, Event::Stopped { .. });
        if stopped {
            self.stop_by = None;
        } else {
            self.running = Some(running);
        }
        stopped
    }

    /// Captures, logs and checks one event of `running`, and sends what is due when peers connect.
    fn running_record(&mut self, event: &Event, running: &mut Running) {
        self.capture.record(event);
        self.pcap.record(event);
        self.history.event(event);
        if let Some(progress) = PeriodicProgress::of(event) {
            self.periodic = Some(progress);
        }
        if let (Event::Check(check), Some(report)) = (event, &mut self.check) {
            report.apply(check);
        }
        match event {
            Event::Connected { peer, .. } => {
                running.opened = true;
                running.last_peer = Some(*peer);
            }
            Event::Listening { .. } => running.opened = true,
            Event::Stopped { at } => {
                for unsent in unread_sends(running, *at) {
                    self.running_record(&unsent, running);
                }
            }
            Event::Error { error, .. } if !running.opened => self.refused = Some(error.clone()),
            Event::Error { error, .. }
                if error.op == Operation::Send && error.os_code.is_some() =>
            {
                self.send_failure.get_or_insert_with(|| error.clone());
            }
            _ => {}
        }
        self.send_on_connect(event, running);
        if let (true, Event::Connected { peer, .. }) = (running.holds, event) {
            // After the sends: the engine has taken them once it lets the peer's FIN end the connection.
            running.session.send(Command::SentOnConnect(*peer));
        }
        self.log.apply(event, Instant::now());
        if let Event::Closed { peer, .. } = event {
            self.expectations.forget(*peer);
        }
        self.check_expectations();
    }

    /// Tests the received rows logged since the last call against the expectations.
    fn check_expectations(&mut self) {
        if self.expectations.is_empty() {
            self.next_checked = self.log.first_seq() + self.log.len() as u64;
            return;
        }
        // Rows the log's budget dropped before they were looked at are lost to the expectations too;
        // that takes a single read larger than the whole budget.
        let mut seq = self.next_checked.max(self.log.first_seq());
        while let Some(row) = self.log.index_of_seq(seq).and_then(|i| self.log.row(i)) {
            seq += 1;
            if let (
                RowKind::Data {
                    dir: engine::Direction::Rx,
                    bytes,
                    kind,
                },
                Some(peer),
            ) = (&row.kind, row.peer)
            {
                self.expectations.received(peer, bytes, *kind, row.at);
            }
        }
        self.next_checked = seq;
    }

    /// Sends [`OnConnect`]'s bytes when `event` is the moment for them.
    fn send_on_connect(&self, event: &Event, running: &mut Running) {
        if self.on_connect.sends.is_empty() && !self.on_connect.half_close {
            return;
        }
        let to = match (event, &running.mode) {
            (Event::Listening { .. }, Mode::Udp { .. })
            | (Event::Connected { .. }, Mode::TcpClient { .. }) => Target::Default,
            (Event::Connected { peer, .. }, Mode::TcpServer { .. })
                if self.on_connect.every.is_none() =>
            {
                Target::Peer(*peer)
            }
            (Event::Connected { .. }, Mode::TcpServer { .. }) => Target::All,
            _ => return,
        };
        match self.on_connect.every {
            None => {
                running.on_connect_sent += 1;
                let now = SystemTime::now();
                for message in &self.on_connect.sends {
                    running.session.send(Command::Send {
                        to: to.clone(),
                        bytes: message.render(Values::new(running.on_connect_sent, now)),
                    });
                }
                if self.on_connect.half_close
                    && let Event::Connected { peer, .. } = event
                {
                    running.session.send(Command::HalfClose(*peer));
                }
            }
            // A periodic send already runs to every client.
            Some(_) if running.periodic_started => {}
            Some(every) => {
                running.periodic_started = true;
                running.session.send(Command::SendEvery {
                    to,
                    messages: self.on_connect.sends.clone(),
                    every,
                    count: None,
                });
            }
        }
    }
}

/// The sends `running`'s worker never read because it stopped first (sends made on seeing its last
/// connection, when that connection ended at once), as the events that say they did not go out: not
/// sent to their peer, or, with no peer to name, an error that gives the bytes.
fn unread_sends(running: &Running, at: SystemTime) -> Vec<Event> {
    running
        .session
        .unread()
        .filter_map(|command| match command {
            Command::Send { to, bytes } => Some((to, bytes.len())),
            _ => None,
        })
        .map(|(to, bytes)| {
            let peer = match to {
                Target::Peer(peer) => Some(peer),
                Target::Default | Target::All => running.last_peer,
                Target::Addr(_) => None,
            };
            match peer {
                Some(peer) => Event::Unsent {
                    peer,
                    written: bytes::Bytes::new(),
                    written_at: at,
                    bytes,
                    sends: 1,
                    at,
                },
                None => Event::Error {
                    error: NetError::invalid(
                        Operation::Send,
                        None,
                        format!("{bytes} bytes not sent: the session ended first"),
                    ),
                    at,
                },
            }
        })
        .collect()
}

/// How long past a stop's own bound the controller waits for the session's last events before it
/// stops it outright.
const STOP_MARGIN: Duration = Duration::from_millis(500);

/// A recording the controller feeds, or how the last one failed until the caller asks.
#[derive(Default)]
struct Slot {
    recording: Option<Recording>,
    /// The recording's writer ended with an error; the caller takes it with [`Slot::stop`].
    failure: Option<RecordingError>,
}

impl Slot {
    /// Puts `recording` in the slot, stopping the one before (its result is dropped: the caller asks
    /// for it first if it cares). With a session running, the recording is told of it first.
    fn start(&mut self, recording: Recording, running: Option<&Running>) {
        let _ = self.stop();
        // A writer that has ended already is found out by the next event.
        if let Some(running) = running {
            let _ = recording.session(&running.mode, std::time::SystemTime::now());
        }
        self.recording = Some(recording);
    }

    /// See [`Controller::stop_capture`].
    fn stop(&mut self) -> Option<Result<PathBuf, RecordingError>> {
        if let Some(failure) = self.failure.take() {
            self.recording = None;
            return Some(Err(failure));
        }
        let recording = self.recording.take()?;
        let path = recording.path().to_owned();
        Some(recording.stop().map(|()| path))
    }

    fn failed(&self) -> bool {
        self.failure.is_some() || self.recording.as_ref().is_some_and(Recording::has_failed)
    }

    /// Whether the recording, if any, can take another event now. One whose writer has ended takes it
    /// to find that out.
    fn has_room(&self) -> bool {
        self.recording
            .as_ref()
            .is_none_or(|r| r.has_room() || r.has_failed())
    }

    fn session(&mut self, mode: &Mode, at: std::time::SystemTime) {
        if let Some(recording) = &self.recording
            && !recording.session(mode, at)
        {
            self.ended();
        }
    }

    fn record(&mut self, event: &Event) {
        if let Some(recording) = &self.recording
            && !recording.record(event)
        {
            self.ended();
        }
    }

    /// The writer ended; keeps why for [`Slot::stop`].
    fn ended(&mut self) {
        if let Some(recording) = self.recording.take()
            && let Err(error) = recording.stop()
        {
            self.failure = Some(error);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;
    use crate::codec::Template;
    use crate::traffic::{LogConfig, Note};

    /// A TCP client whose server resets the connection at once: the worker may end before the send
    /// made on seeing the connection reaches it (a FIN would not end it: the connection waits for the
    /// sends on connect). Forced here by taking no event until the worker has exited. The reset comes
    /// once the worker has told of the connection (its first wake), so it is not a failed connect.
    #[test]
    fn a_send_on_connect_the_worker_never_read_is_a_not_sent_row() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut controller = Controller::new(TrafficLog::new(LogConfig::default()));
        controller.set_on_connect(OnConnect {
            sends: vec![Template::from(bytes::Bytes::from_static(b"sensor=21.5"))],
            ..OnConnect::default()
        });
        let config = SessionConfig::new(Mode::TcpClient {
            host: "127.0.0.1".into(),
            port,
            local: None,
            timeout: Duration::from_secs(5),
        });
        let (woke, wakes) = std::sync::mpsc::channel();
        controller
            .start(config, move || {
                let _ = woke.send(());
            })
            .unwrap();
        let (server, _) = listener.accept().unwrap();
        wakes
            .recv_timeout(Duration::from_secs(10))
            .expect("the worker tells of the connection");
        socket2::SockRef::from(&server)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(server);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !controller.running.as_ref().unwrap().session.is_finished() {
            assert!(Instant::now() < deadline, "the client never ended");
            std::thread::sleep(Duration::from_millis(5));
        }
        while controller.is_open() {
            assert!(Instant::now() < deadline, "the session never stopped");
            controller.wait_event(Duration::from_millis(50));
        }
        let rows = || (0..controller.log().len()).filter_map(|i| controller.log().row(i));
        let connected = rows().find_map(|row| match row.kind {
            RowKind::Note(Note::Connected(_)) => row.peer,
            _ => None,
        });
        let unsent: Vec<_> = rows()
            .filter_map(|row| match &row.kind {
                RowKind::Note(Note::Unsent { bytes, sends }) => Some((row.peer, *bytes, *sends)),
                _ => None,
            })
            .collect();
        assert!(connected.is_some());
        assert_eq!(unsent, [(connected, 11, 1)]);
    }
}
