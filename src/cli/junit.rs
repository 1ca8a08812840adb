//! The checks' results as `JUnit` XML (`netassist check --junit FILE`), written by `quick-junit`, for CI
//! servers that read test reports.
//!
//! One testsuite per check and one testcase per step as written (not per execution): a step inside a
//! repeat is one testcase whatever the number of rounds, so a report names the same testcases run after
//! run and a CI server's history of each step (passing, failing, its time) lines up. Its time is the sum
//! of its rounds; its output says how many rounds passed and, for an expect after a send, the latency
//! (min, median, max). A failed step's failure message says why and what arrived instead (text and
//! hex); steps the run never reached are skipped. Repeats are not testcases of their own: their steps
//! are.

use std::path::Path;

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::check::{
    FailReason, Latency, Outcome, Report, Step, StepState, duration_text, step_text,
};
use crate::i18n::{Lang, Text};

/// The `JUnit` report of `reports`, one testsuite each.
pub(super) fn junit(reports: &[Report]) -> JunitReport {
    let mut junit = JunitReport::new("netassist check");
    for report in reports {
        junit.add_test_suite(suite(report));
    }
    junit
}

/// Writes the `JUnit` report of `reports` to `path`.
pub(super) fn write(path: &Path, reports: &[Report]) -> std::io::Result<()> {
    let xml = junit(reports).to_string().map_err(std::io::Error::other)?;
    std::fs::write(path, xml)
}

fn suite(report: &Report) -> TestSuite {
    let mut suite = TestSuite::new(report.name.as_str());
    if let Some(started) = report.started {
        suite.set_timestamp(chrono::DateTime::<chrono::Utc>::from(started));
    }
    if let Some((_, took)) = report.finished {
        suite.set_time(took);
    }
    let latencies = report.latencies();
    for (index, summary) in report.steps.iter().enumerate() {
        if matches!(summary.step, Step::Repeat { .. }) {
            continue;
        }
        let name = format!("{} {}", summary.path, step_text(&summary.step, Lang::En));
        let status = match &summary.latest {
            None => {
                let mut status = TestCaseStatus::skipped();
                status.set_message("not run: the check ended before this step");
                status
            }
            Some((round, StepState::Failed { failure, .. })) => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let round = round.map(|r| format!(" (round {r})")).unwrap_or_default();
                status.set_message(format!("{}{round}", failure.text(Lang::En)));
                status.set_type(reason_type(&failure.reason));
                status
            }
            Some((_, StepState::Stopped { .. })) => {
                let mut status = TestCaseStatus::skipped();
                status.set_message("stopped while it ran");
                status
            }
            Some((_, StepState::Passed { .. } | StepState::Running)) => TestCaseStatus::success(),
        };
        let mut case = TestCase::new(name, status);
        case.set_classname(format!("netassist.{}", report.name));
        case.set_time(summary.total);
        let latency = latencies
            .iter()
            .find(|l| l.step.0 as usize == index)
            .map(latency_text)
            .unwrap_or_default();
        if summary.passed > 0 {
            case.set_system_out(format!("{} passed{latency}", rounds(summary.passed)));
        }
        suite.add_test_case(case);
    }
    if matches!(report.finished, Some((Outcome::Stopped, _)) | None) {
        suite.set_system_err("the check was stopped before its end");
    }
    suite
}

fn rounds(count: u64) -> String {
    if count == 1 {
        "1 time".to_owned()
    } else {
        format!("{count} times")
    }
}

fn latency_text(latency: &Latency) -> String {
    format!(
        "; latency min {}, median {}, max {} over {}",
        duration_text(latency.min),
        duration_text(latency.median),
        duration_text(latency.max),
        latency.samples
    )
}

/// A failure's `type` attribute: the kind of reason, for tools that group failures.
fn reason_type(reason: &FailReason) -> &'static str {
    match reason {
        FailReason::NoConnection { .. } => "no_connection",
        FailReason::NotConnected => "not_connected",
        FailReason::NotArrived { .. } => "not_arrived",
        FailReason::Closed => "closed",
        FailReason::StillOpen { .. } => "still_open",
        FailReason::SessionEnded => "session_ended",
        FailReason::Handshake { .. } => "tls_handshake",
    }
}
