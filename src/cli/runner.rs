//! The session loop: starts the engine, sends on connect (or periodically), feeds events to the output,
//! and stops at the deadline, on Ctrl+C, when every expectation is met, or when the session ends.

use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use super::output::Output;
use super::plan::Plan;
use super::{EXIT_NETWORK, EXIT_UNMET};
use crate::codec::FramerConfig;
use crate::engine::{self, Command, Event, NetError, Target};
use crate::format::Display;
use crate::preset::ModeKind;
use crate::traffic::{LogConfig, TrafficLog};

/// How often the loop looks at Ctrl+C and the clock while no event comes.
const TICK: Duration = Duration::from_millis(50);

/// Runs a plan's session to its end and says how it ended.
pub(super) fn run(plan: Plan) -> ExitCode {
    let Plan {
        preset,
        config,
        sends,
        every,
        expectations,
        seconds,
        json,
    } = plan;
    let udp = preset.mode == ModeKind::Udp;
    let session = match engine::start(config, || {}) {
        Ok(session) => session,
        Err(error) => {
            eprintln!("netassist: {error}");
            return ExitCode::from(EXIT_NETWORK);
        }
    };
    let (interrupt_tx, interrupted) = crossbeam_channel::bounded(1);
    // Only one handler per process; if one is already set, Ctrl+C ends the process as usual.
    let _ = ctrlc::set_handler(move || {
        let _ = interrupt_tx.try_send(());
    });
    let mut runner = Runner {
        session,
        out: Output {
            log: TrafficLog::new(LogConfig {
                framer: FramerConfig::from(preset.framing.clone()),
                datagrams: udp,
                ..LogConfig::default()
            }),
            display: Display::of(&preset),
            json,
            next_seq: 0,
            started: SystemTime::now(),
            expectations,
        },
        sends,
        every,
        mode: preset.mode,
        opened: false,
        periodic_started: false,
        refused: None,
    };
    let deadline = seconds.map(|s| Instant::now() + s);
    let mut idle_due: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d)
            || interrupted.try_recv().is_ok()
            || runner.out.all_met()
        {
            break;
        }
        let wait = [deadline, idle_due]
            .into_iter()
            .flatten()
            .map(|due| due.saturating_duration_since(now))
            .fold(TICK, Duration::min);
        if let Some(event) = runner.session.recv_timeout(wait) {
            runner.handle(&event);
            if matches!(event, Event::Stopped { .. }) {
                break;
            }
        }
        idle_due = runner.out.log.poll_idle(Instant::now());
        runner.out.print_new();
    }
    runner.finish()
}

/// The session running, and what happens at its events.
struct Runner {
    session: engine::Session,
    out: Output,
    sends: Vec<Bytes>,
    every: Option<Duration>,
    mode: ModeKind,
    /// The session's socket is open: later errors are not a refusal.
    opened: bool,
    periodic_started: bool,
    /// Why the session could not open (bind or connect refused).
    refused: Option<NetError>,
}

impl Runner {
    fn handle(&mut self, event: &Event) {
        match event {
            Event::Listening { .. } | Event::Connected { .. } => self.opened = true,
            Event::Error { error, .. } if !self.opened => self.refused = Some(error.clone()),
            _ => {}
        }
        // Whom to send to: each client as it connects, or once when the session is open.
        let to = match (event, self.mode) {
            (Event::Listening { .. }, ModeKind::Udp)
            | (Event::Connected { .. }, ModeKind::TcpClient) => Some(Target::Default),
            (Event::Connected { peer, .. }, ModeKind::TcpServer) if self.every.is_none() => {
                Some(Target::Peer(*peer))
            }
            (Event::Connected { .. }, ModeKind::TcpServer) => Some(Target::All),
            _ => None,
        };
        if let Some(to) = to.filter(|_| !self.sends.is_empty()) {
            self.send(to);
        }
        self.out.log.apply(event, Instant::now());
        self.out.print_new();
    }

    fn send(&mut self, to: Target) {
        match self.every {
            None => {
                for bytes in &self.sends {
                    self.session.send(Command::Send {
                        to: to.clone(),
                        bytes: bytes.clone(),
                    });
                }
            }
            // A periodic send already runs to every client.
            Some(_) if self.periodic_started => {}
            Some(every) => {
                self.periodic_started = true;
                self.session.send(Command::SendEvery {
                    to,
                    bytes: Bytes::from(self.sends.concat()),
                    every,
                    count: None,
                });
            }
        }
    }

    /// Stops the session, prints its last events, and says how the run ended.
    fn finish(mut self) -> ExitCode {
        self.session.stop();
        for event in self.session.drain().collect::<Vec<_>>() {
            self.handle(&event);
        }
        if let Some(error) = &self.refused {
            eprintln!("netassist: {error}");
            return ExitCode::from(EXIT_NETWORK);
        }
        self.out.summary();
        let expectations = &self.out.expectations;
        if self.out.all_met() || expectations.is_empty() {
            return ExitCode::SUCCESS;
        }
        for (i, e) in expectations
            .iter()
            .enumerate()
            .filter(|(_, e)| e.met.is_none())
        {
            eprintln!(
                "netassist: expectation {} of {} not met: {}",
                i + 1,
                expectations.len(),
                e.typed
            );
        }
        ExitCode::from(EXIT_UNMET)
    }
}
