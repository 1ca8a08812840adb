//! `netassist check PRESET.ron`: runs a preset's device checks in one session, one after another, and
//! prints each step's result as it ends (text or JSON lines), then each check's latency and result; with
//! `--junit`, writes them as `JUnit` XML too. The steps run in the engine's worker; this loop only takes
//! events and prints.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value, json};

use super::args::CheckArgs;
use super::output::{Output, Printer};
use super::plan::{session_of, set_local, set_remote};
use super::runner::{STOP_WAIT, start_interruptible};
use super::{EXIT_NETWORK, EXIT_UNMET, EXIT_USAGE};
use crate::check::{
    Check, CheckEvent, CheckEventKind, CompiledCheck, Outcome, Report, StepEvent, StepState,
    arrived_text, duration_text, problems_of_all, step_text,
};
use crate::codec::{FramerConfig, hex};
use crate::engine::{Event, SessionConfig};
use crate::format::Display;
use crate::i18n::{Lang, Text};
use crate::preset::{ModeKind, Preset};
use crate::session::Controller;
use crate::timestamp::iso_text;
use crate::traffic::{LogConfig, TrafficLog};

/// How often the loop looks at Ctrl+C while no event comes.
const TICK: Duration = Duration::from_millis(50);

/// The longest the command line waits at the end for its output to be written.
const PRINT_WAIT: Duration = Duration::from_secs(1);

/// Everything decided before the session starts.
pub(super) struct CheckPlan {
    preset: Preset,
    config: SessionConfig,
    checks: Vec<CompiledCheck>,
}

impl CheckPlan {
    /// `checks` of `preset`, each compiled for its session, and the session's configuration; or the
    /// checks' mistakes, each with its step, or what is wrong with the session's settings.
    pub(super) fn new(preset: Preset, chosen: &[Check]) -> Result<Self, String> {
        let mistakes = problems_of_all(chosen, &preset.check_context());
        if !mistakes.is_empty() {
            let lines: Vec<String> = mistakes.iter().map(ToString::to_string).collect();
            return Err(lines.join("\nnetassist: "));
        }
        let checks = chosen
            .iter()
            .map(|check| preset.compile_check(check).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let config = session_of(&preset)?;
        Ok(Self {
            preset,
            config,
            checks,
        })
    }
}

/// How a run of checks prints, and the files it writes at the end.
pub(super) struct Outputs<'a> {
    /// JSON lines instead of text.
    pub(super) json: bool,
    /// The traffic's rows too.
    pub(super) traffic: bool,
    /// `JUnit` XML to this file.
    pub(super) junit: Option<&'a Path>,
    /// A report to hand in to this file.
    pub(super) report: Option<&'a Path>,
    /// The file the checks came from, for the report.
    pub(super) source: Option<&'a Path>,
}

/// The preset with the flags' addresses, the checks asked for compiled, and the session's
/// configuration; or why not: a bad preset, no such check (naming those there are), or the checks'
/// mistakes, each with its step.
fn plan(args: &CheckArgs) -> Result<CheckPlan, String> {
    let loaded = crate::preset::Preset::load(&args.preset).map_err(|e| e.to_string())?;
    for warning in &loaded.warnings {
        eprintln!("netassist: {}: {warning}", args.preset.display());
    }
    // The preset's own files are beside it; files given as flags are as typed.
    let mut preset = loaded.preset.with_tls_paths_from(&args.preset);
    args.tls.apply(&mut preset)?;
    preset.tls.keep_beside(&args.preset);
    if let Some(bind) = &args.bind {
        set_local(&mut preset, bind)?;
    }
    if let Some(connect) = &args.connect {
        set_remote(&mut preset, connect)?;
    }
    if preset.checks.is_empty() {
        return Err(format!(
            "{} has no checks; add some in the window's Checks panel, or under `checks:` in the file",
            args.preset.display()
        ));
    }
    let chosen = match &args.check {
        None => preset.checks.clone(),
        Some(name) => {
            let Some(check) = preset.check_named(name) else {
                let names: Vec<String> = preset
                    .checks
                    .iter()
                    .map(|c| format!("'{}'", c.name))
                    .collect();
                return Err(format!(
                    "{} has no check named '{name}'; its checks: {}",
                    args.preset.display(),
                    names.join(", ")
                ));
            };
            vec![check.clone()]
        }
    };
    CheckPlan::new(preset, &chosen)
}

/// Runs the checks and says how they ended.
pub(super) fn run(args: &CheckArgs) -> ExitCode {
    match plan(args) {
        Ok(plan) => execute(
            plan,
            &Outputs {
                json: args.json,
                traffic: args.traffic,
                junit: args.junit.as_deref(),
                report: args.report.as_deref(),
                source: Some(&args.preset),
            },
        ),
        Err(message) => {
            eprintln!("netassist: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Runs the planned checks one after another in one session, printing as `outputs` say, and says how
/// they ended.
pub(super) fn execute(plan: CheckPlan, outputs: &Outputs<'_>) -> ExitCode {
    let CheckPlan {
        preset,
        mut config,
        checks,
    } = plan;
    if let Err(message) = super::report::prepare(outputs.report) {
        eprintln!("netassist: {message}");
        return ExitCode::from(EXIT_USAGE);
    }
    let mut queue = checks.into_iter();
    config.check = queue.next().map(Box::new);
    let log = TrafficLog::new(LogConfig {
        framer: FramerConfig::from(preset.framing.clone()),
        datagrams: preset.mode == ModeKind::Udp,
        ..LogConfig::default()
    });
    let mut controller = Controller::new(log);
    let interrupted = match start_interruptible(&mut controller, config) {
        Ok(interrupted) => interrupted,
        Err(code) => return code,
    };
    let mut traffic = Output {
        printer: Printer::start(),
        display: Display::of(&preset),
        json: outputs.json,
        next_seq: 0,
        started: SystemTime::now(),
    };
    let mut reports = Vec::new();
    let mut stopping = false;
    let mut idle_due: Option<Instant> = None;
    while controller.is_open() {
        if !stopping && interrupted.try_recv().is_ok() {
            // The check running ends as stopped; no other starts.
            controller.stop_check();
            queue.by_ref().for_each(drop);
            stopping = true;
        }
        let wait = idle_due.map_or(TICK, |due| {
            TICK.min(due.saturating_duration_since(Instant::now()))
        });
        let event = controller.wait_event(wait);
        idle_due = controller.poll_idle(Instant::now());
        if outputs.traffic {
            traffic.print_new(controller.log(), None);
        }
        let Some(Event::Check(event)) = event else {
            continue;
        };
        let Some(report) = controller.check_report() else {
            continue;
        };
        print_event(&mut traffic.printer, &event, report, outputs.json);
        if matches!(event.kind, CheckEventKind::Finished { .. }) {
            reports.push(report.clone());
            let started = queue.next().is_some_and(|next| controller.run_check(next));
            if !started {
                controller.stop_when_sent(STOP_WAIT);
            }
        }
    }
    if outputs.traffic {
        traffic.print_new(controller.log(), Some(Instant::now() + PRINT_WAIT));
    }
    let not_printed = traffic.printer.finish(PRINT_WAIT);
    if not_printed > 0 {
        eprintln!(
            "netassist: {not_printed} lines could not be printed: the output was not read fast enough"
        );
    }
    if let Some(path) = outputs.junit
        && let Err(error) = super::junit::write(path, &reports)
    {
        eprintln!("netassist: could not write {}: {error}", path.display());
        return ExitCode::from(EXIT_USAGE);
    }
    let written = super::report::write(
        outputs.report,
        &preset,
        outputs.source,
        &controller,
        &reports,
        &[],
    );
    written
        .err()
        .unwrap_or_else(|| finish(&controller, &reports))
}

/// The exit code: the network's refusal first, then whether every check passed.
fn finish(controller: &Controller, reports: &[Report]) -> ExitCode {
    if let Some(error) = controller.refused() {
        eprintln!("netassist: {error}");
        return ExitCode::from(EXIT_NETWORK);
    }
    if let Some(error) = controller.send_failure() {
        eprintln!("netassist: a send did not go out: {error}");
        return ExitCode::from(EXIT_NETWORK);
    }
    if reports.iter().all(|r| r.outcome() == Some(Outcome::Passed)) && !reports.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_UNMET)
    }
}

/// Prints what `event` ends: a step's result, or a check's latency and result.
fn print_event(printer: &mut Printer, event: &CheckEvent, report: &Report, json: bool) {
    match &event.kind {
        CheckEventKind::Started if !json => printer.print(format!("check '{}'", event.check)),
        CheckEventKind::Started
        | CheckEventKind::Step(StepEvent {
            state: StepState::Running,
            ..
        }) => {}
        CheckEventKind::Step(step) if json => {
            printer.print(step_json(event, step, report).to_string());
        }
        CheckEventKind::Step(step) => step_lines(printer, step, report),
        CheckEventKind::Finished { .. } if json => {
            printer.print(summary_json(event, report).to_string());
        }
        CheckEventKind::Finished { .. } => summary_lines(printer, report),
    }
}

/// The result word of a step state.
fn result_word(state: &StepState) -> &'static str {
    match state {
        StepState::Running => "running",
        StepState::Passed { .. } => "pass",
        StepState::Failed { .. } => "fail",
        StepState::Stopped { .. } => "stopped",
    }
}

/// `  PASS  3.2  send "ping"  (round 4)  0.1 ms`, and for a failure, why and what arrived.
fn step_lines(printer: &mut Printer, step: &StepEvent, report: &Report) {
    let Some(summary) = report.step(step.step) else {
        return;
    };
    let (word, took) = match &step.state {
        StepState::Running => return,
        StepState::Passed { took, .. } => ("PASS", took),
        StepState::Failed { took, .. } => ("FAIL", took),
        StepState::Stopped { took } => ("STOP", took),
    };
    let round = step
        .round
        .map(|round| format!("  (round {round})"))
        .unwrap_or_default();
    let latency = match &step.state {
        StepState::Passed {
            latency: Some(latency),
            ..
        } => format!("  latency {}", duration_text(*latency)),
        _ => String::new(),
    };
    printer.print(format!(
        "  {word}  {:<6} {}{round}  {}{latency}",
        summary.path,
        step_text(&summary.step, Lang::En),
        duration_text(*took)
    ));
    if let StepState::Failed { failure, .. } = &step.state {
        printer.print(format!("        {}", failure.reason.text(Lang::En)));
        if !failure.arrived.is_empty()
            || matches!(failure.reason, crate::check::FailReason::NotArrived { .. })
        {
            printer.print(format!(
                "        {}",
                arrived_text(&failure.arrived, Lang::En)
            ));
        }
    }
}

/// The latency of each expect after a send, then `PASS board: 23 steps in 10.312 s`.
fn summary_lines(printer: &mut Printer, report: &Report) {
    for latency in report.latencies() {
        let Some(summary) = report.step(latency.step) else {
            continue;
        };
        printer.print(format!(
            "  latency {} {}: min {}, median {}, max {} over {}",
            summary.path,
            step_text(&summary.step, Lang::En),
            duration_text(latency.min),
            duration_text(latency.median),
            duration_text(latency.max),
            latency.samples
        ));
    }
    let Some((outcome, took)) = report.finished else {
        return;
    };
    let steps = report.results.len() as u64 + report.results_dropped;
    let line = match outcome {
        Outcome::Passed => format!(
            "PASS {}: {steps} steps in {}",
            report.name,
            duration_text(took)
        ),
        Outcome::Failed(step) => format!(
            "FAIL {} at step {} after {}",
            report.name,
            report.step(step).map_or("?", |s| s.path.as_str()),
            duration_text(took)
        ),
        Outcome::Stopped => format!("STOPPED {} after {}", report.name, duration_text(took)),
    };
    printer.print(line);
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// A step result as one JSON object: `time`, `event` (`step`), `check`, `step` (its place, `3.2`),
/// `kind`, `what`, `round`, `result` (`pass`, `fail`, `stopped`), `took_s`, `latency_s`; a failure adds
/// `reason` and `arrived` (`bytes`, `messages`, and the bytes kept as `text` and `hex`).
fn step_json(event: &CheckEvent, step: &StepEvent, report: &Report) -> Value {
    let mut object = Map::new();
    object.insert("time".into(), iso_text(event.at).into());
    object.insert("event".into(), "step".into());
    object.insert("check".into(), event.check.as_ref().into());
    if let Some(summary) = report.step(step.step) {
        object.insert("step".into(), summary.path.clone().into());
        object.insert("kind".into(), summary.step.kind().into());
        object.insert("what".into(), step_text(&summary.step, Lang::En).into());
    }
    object.insert("round".into(), json!(step.round));
    object.insert("result".into(), result_word(&step.state).into());
    let (took, latency) = match &step.state {
        StepState::Running => (Duration::ZERO, None),
        StepState::Passed { took, latency } => (*took, *latency),
        StepState::Failed { took, .. } | StepState::Stopped { took } => (*took, None),
    };
    object.insert("took_s".into(), seconds(took).into());
    object.insert("latency_s".into(), json!(latency.map(seconds)));
    if let StepState::Failed { failure, .. } = &step.state {
        let arrived = &failure.arrived;
        let text: Vec<String> = arrived
            .shown
            .iter()
            .map(|bytes| {
                crate::codec::decode_for_display(
                    bytes,
                    arrived.encoding,
                    crate::codec::ControlStyle::Escapes,
                )
            })
            .collect();
        let hex: Vec<String> = arrived.shown.iter().map(|b| hex::format(b)).collect();
        object.insert("reason".into(), failure.reason.text(Lang::En).into());
        object.insert(
            "arrived".into(),
            json!({
                "bytes": arrived.bytes,
                "messages": arrived.messages,
                "text": text,
                "hex": hex,
            }),
        );
    }
    Value::Object(object)
}

/// A check's result as one JSON object: `time`, `event` (`check_result`), `check`, `result` (`pass`, `fail`,
/// `stopped`), `took_s`, `steps_run`, `failed_step` (its place, or null), `failure` (the failure in
/// words, or null) and `latency` (per expect after a send: `step`, `samples`, `min_s`, `median_s`,
/// `max_s`).
fn summary_json(event: &CheckEvent, report: &Report) -> Value {
    let (outcome, took) = report
        .finished
        .unwrap_or((Outcome::Stopped, Duration::ZERO));
    let result = match outcome {
        Outcome::Passed => "pass",
        Outcome::Failed(_) => "fail",
        Outcome::Stopped => "stopped",
    };
    let failed_step = match outcome {
        Outcome::Failed(step) => report.step(step).map(|s| s.path.clone()),
        Outcome::Passed | Outcome::Stopped => None,
    };
    let latency: Vec<Value> = report
        .latencies()
        .iter()
        .map(|l| {
            json!({
                "step": report.step(l.step).map(|s| s.path.clone()),
                "samples": l.samples,
                "min_s": seconds(l.min),
                "median_s": seconds(l.median),
                "max_s": seconds(l.max),
            })
        })
        .collect();
    json!({
        "time": iso_text(event.at),
        "event": "check_result",
        "check": report.name,
        "result": result,
        "took_s": seconds(took),
        "steps_run": report.results.len() as u64 + report.results_dropped,
        "failed_step": failed_step,
        "failure": report.failure().map(|f| f.text(Lang::En)),
        "latency": latency,
    })
}
