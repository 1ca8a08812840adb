//! The session loop: runs the plan's session through the [`Controller`] (which sends on connect and checks
//! the expectations), prints its rows, and ends at the deadline, on Ctrl+C, when every expectation is met,
//! or when the session ends by itself. Ending lets what is already scheduled go out first, for at most
//! [`STOP_WAIT`]. Also the doctor's run: its checks, printed, and its exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use super::args::DoctorArgs;
use super::output::{Output, Printer, finding_json};
use super::plan::{Plan, doctor_request};
use super::{EXIT_NETWORK, EXIT_PROBLEM, EXIT_UNMET, EXIT_USAGE};
use crate::codec::FramerConfig;
use crate::doctor::{Status, diagnose};
use crate::engine::{CloseReason, Mode, NetError, Problem, SessionConfig};
use crate::expect::Expectations;
use crate::format::Display;
use crate::i18n::Lang;
use crate::pcap::PcapOptions;
use crate::preset::ModeKind;
use crate::report::{FileKind, WrittenFile};
use crate::session::{Controller, OnConnect};
use crate::traffic::{LogConfig, RelaySide, TrafficLog};

/// The longest the command line waits at the end for its output to be written; a reader that takes no
/// more does not keep the process alive.
const PRINT_WAIT: Duration = Duration::from_secs(1);

/// How often the loop looks at Ctrl+C and the clock while no event comes.
const TICK: Duration = Duration::from_millis(50);

/// The longest the command line waits, when it stops, for queued sends and delayed rule replies to go
/// out before it closes the session anyway (what did not go out is then reported as not sent).
pub const STOP_WAIT: Duration = Duration::from_secs(2);

/// Runs a plan's session to its end and says how it ended.
pub(super) fn run(plan: Plan) -> ExitCode {
    let Plan {
        preset,
        config,
        sends,
        every,
        half_close,
        expectations,
        seconds,
        json,
        pcap,
        report,
        preset_file,
    } = plan;
    let log = TrafficLog::new(LogConfig {
        framer: FramerConfig::from(preset.framing.clone()),
        datagrams: preset.mode == ModeKind::Udp,
        ..LogConfig::default()
    });
    let mut controller = Controller::new(log);
    controller.set_expectations(Expectations::new(expectations, &preset.framing));
    controller.set_on_connect(OnConnect {
        sends,
        every,
        half_close,
    });
    let files = match start_files(&mut controller, pcap, report.as_deref()) {
        Ok(files) => files,
        Err(code) => return code,
    };
    let tls_target = matches!(config.mode, Mode::Relay { .. }) && config.tls_connect.is_some();
    let interrupted = match start_interruptible(&mut controller, config) {
        Ok(interrupted) => interrupted,
        Err(code) => return code,
    };
    let mut out = Output {
        printer: Printer::start(),
        display: Display::of(&preset),
        json,
        next_seq: 0,
        started: SystemTime::now(),
    };
    let deadline = seconds.map(|s| Instant::now() + s);
    let mut idle_due: Option<Instant> = None;
    let mut stopping = false;
    // Rows are printed as they come, also while the session stops: what is sent or arrives then is
    // part of the record.
    while controller.is_open() {
        let now = Instant::now();
        if !stopping
            && (deadline.is_some_and(|d| now >= d)
                || interrupted.try_recv().is_ok()
                || controller.expectations().all_met())
        {
            controller.stop_when_sent(STOP_WAIT);
            stopping = true;
        }
        let wait = [deadline.filter(|_| !stopping), idle_due]
            .into_iter()
            .flatten()
            .map(|due| due.saturating_duration_since(now))
            .fold(TICK, Duration::min);
        controller.wait_event(wait);
        if controller.pcap_failed() {
            report_pcap(&mut controller);
        }
        idle_due = controller.poll_idle(Instant::now());
        out.print_for(controller.log(), TICK);
    }
    // A session stopped outright may have left more rows than can be formatted in good time: the rest
    // is counted as not printed rather than holding up the end.
    out.print_new(controller.log(), Some(Instant::now() + PRINT_WAIT));
    // A JSON reader always gets the summary as the last line, zeros for a session that never opened; a
    // person reading text is told on stderr why it did not.
    if out.json || controller.refused().is_none() {
        out.summary(
            controller.expectations(),
            controller.log().dropped_datagrams(),
            &controller.history().losses(),
            controller.periodic(),
        );
    }
    report_pcap(&mut controller);
    let not_printed = out.printer.finish(PRINT_WAIT);
    if not_printed > 0 {
        eprintln!(
            "netassist: {not_printed} lines could not be printed: the output was not read fast enough"
        );
    }
    let written = super::report::write(
        report.as_deref(),
        &preset,
        preset_file.as_deref(),
        &controller,
        &[],
        &files,
    );
    written
        .err()
        .unwrap_or_else(|| finish(&controller, preset.mode == ModeKind::TcpClient, tls_target))
}

/// Makes the report's file and starts the pcapng file, if asked for, before the session: a path that
/// cannot be written ends the run (exit 2). Returns the files the report lists.
fn start_files(
    controller: &mut Controller,
    pcap: Option<PathBuf>,
    report: Option<&Path>,
) -> Result<Vec<WrittenFile>, ExitCode> {
    let refused = |message: String| {
        eprintln!("netassist: {message}");
        ExitCode::from(EXIT_USAGE)
    };
    super::report::prepare(report).map_err(refused)?;
    let since = SystemTime::now();
    let Some(path) = pcap else {
        return Ok(Vec::new());
    };
    controller
        .start_pcap(&path, PcapOptions::default())
        .map_err(|error| refused(format!("cannot write {}: {}", path.display(), error.error)))?;
    Ok(vec![WrittenFile {
        kind: FileKind::Pcapng,
        path,
        since,
    }])
}

/// Stops the pcapng file, saying on stderr if it could not be written whole; the session goes on.
fn report_pcap(controller: &mut Controller) {
    if let Some(Err(error)) = controller.stop_pcap() {
        eprintln!("netassist: {error}");
    }
}

/// Says how the run ended: the refusal, a refused send, or whether the expectations were met.
/// `client`: the session is a TCP client's, whose failed TLS handshake is the network saying no;
/// `tls_target`: a relay's, connecting on to its target with TLS.
fn finish(controller: &Controller, client: bool, tls_target: bool) -> ExitCode {
    if let Some(error) = controller.refused() {
        eprintln!("netassist: {error}");
        // A relay pointed at itself is a mistake in the arguments, not the network saying no.
        if error.problem() == Problem::SelfTarget {
            return ExitCode::from(EXIT_USAGE);
        }
        return ExitCode::from(EXIT_NETWORK);
    }
    if let Some(error) = relay_never_reached(controller.log(), tls_target) {
        if error.tls.is_some() {
            eprintln!(
                "netassist: no device's connection to the target finished its TLS handshake: {error}"
            );
        } else {
            eprintln!("netassist: no device could be connected on to the target: {error}");
        }
        return ExitCode::from(EXIT_NETWORK);
    }
    if let Some(error) = handshake_never_done(controller.log()).filter(|_| client) {
        eprintln!("netassist: {error}");
        return ExitCode::from(EXIT_NETWORK);
    }
    let expectations = controller.expectations();
    if let Some(error) = controller.send_failure() {
        eprintln!("netassist: a send did not go out: {error}");
        return ExitCode::from(EXIT_NETWORK);
    }
    if expectations.is_empty() || expectations.all_met() {
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

/// Relay: why the target could not be reached, when devices came and not one of them was connected on
/// to it (as a TCP client's refused connection, the network said no). With `tls_target`, a server
/// side reached the target only once its TLS handshake finished: one whose handshake failed (the
/// target's certificate refused, no answer in time, a plain server) did not, as for a TCP client.
fn relay_never_reached(log: &TrafficLog, tls_target: bool) -> Option<&NetError> {
    let mut unreachable = None;
    for peer in log.peers() {
        // A server side connected once it has a local address.
        let connected = peer
            .addr
            .pair
            .is_some_and(|pair| pair.side == RelaySide::Server && pair.server_local.is_some());
        match &peer.closed {
            _ if connected && (!tls_target || peer.tls.is_some()) => return None,
            Some(CloseReason::Unreachable(error)) => {
                unreachable.get_or_insert(error);
            }
            Some(CloseReason::Error(error)) if connected && error.tls.is_some() => {
                unreachable.get_or_insert(error);
            }
            _ => {}
        }
    }
    unreachable
}

/// Why a TLS handshake failed, when connections were made and not one finished its handshake (the
/// server's certificate refused, or no answer in time): for a TCP client, as a refused connection.
fn handshake_never_done(log: &TrafficLog) -> Option<&NetError> {
    let mut failed = None;
    for peer in log.peers() {
        if peer.tls.is_some() {
            return None;
        }
        if let Some(CloseReason::Error(error)) = &peer.closed
            && error.tls.is_some()
        {
            failed.get_or_insert(error);
        }
    }
    failed
}

/// Runs `netassist doctor`: the checks asked for, printed as text or JSON lines; 1 when a finding is a
/// problem.
pub(super) fn doctor(args: &DoctorArgs) -> ExitCode {
    let request = match doctor_request(args) {
        Ok(request) => request,
        Err(message) => {
            eprintln!("netassist: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let findings = diagnose(&request);
    if args.json {
        for finding in &findings {
            println!("{}", finding_json(finding));
        }
    } else {
        print!("{}", crate::doctor::report(&findings, Lang::En));
    }
    if findings.iter().any(|f| f.status() == Status::Problem) {
        ExitCode::from(EXIT_PROBLEM)
    } else {
        ExitCode::SUCCESS
    }
}

/// Starts the session; from then on Ctrl+C stops it cleanly (peers see a FIN) instead of killing the
/// process: each press arrives on the returned channel. A session the OS refuses is said on stderr and
/// gives the network exit code.
pub(super) fn start_interruptible(
    controller: &mut Controller,
    config: SessionConfig,
) -> Result<crossbeam_channel::Receiver<()>, ExitCode> {
    if let Err(error) = controller.start(config, || {}) {
        eprintln!("netassist: {error}");
        return Err(ExitCode::from(EXIT_NETWORK));
    }
    let (interrupt_tx, interrupted) = crossbeam_channel::bounded(1);
    // Only one handler per process; if one is already set, Ctrl+C ends the process as usual.
    let _ = ctrlc::set_handler(move || {
        let _ = interrupt_tx.try_send(());
    });
    Ok(interrupted)
}
