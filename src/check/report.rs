//! A run's events folded into a [`Report`]: each step execution's result and time (every round of a
//! repeat is an execution), each step's latest state (what a window colours), the latency of expects that
//! follow a send (min, median, max over their rounds), and how the run ended with its first failure. The
//! command line prints it, writes it as JSON lines and `JUnit` XML; a window shows it as the run goes.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use super::event::{CheckEvent, CheckEventKind, Failure, Outcome, StepState};
use super::model::{Check, Step, StepId, outline};

/// The most step executions a report keeps (a long repeat keeps its newest); counts, times and
/// latencies cover them all.
pub const RESULTS_KEPT: usize = 10_000;

/// One step execution that ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepResult {
    /// The step.
    pub step: StepId,
    /// Its round in the innermost repeat around it (from 1), if any.
    pub round: Option<u32>,
    /// Passed, failed or stopped, with its time.
    pub state: StepState,
    /// When it ended.
    pub at: SystemTime,
}

/// The latency of one expect step over its executions: from the send before it to its match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latency {
    /// The expect step.
    pub step: StepId,
    /// How many executions measured it.
    pub samples: usize,
    /// The fastest.
    pub min: Duration,
    /// The middle one (the lower of the two middle ones for an even count).
    pub median: Duration,
    /// The slowest.
    pub max: Duration,
}

/// What is known of one step of the check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepSummary {
    /// Its place for people (`3.2`).
    pub path: String,
    /// How many repeats it is inside.
    pub depth: usize,
    /// The step as written.
    pub step: Step,
    /// Its latest state and round, `None` before it first ran.
    pub latest: Option<(Option<u32>, StepState)>,
    /// Executions that passed.
    pub passed: u64,
    /// Time spent in it over every execution.
    pub total: Duration,
    /// Latencies measured (an expect after a send), in the order measured.
    latencies: Vec<Duration>,
}

/// A check's run as its events told it; see the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The check's name.
    pub name: String,
    /// Each step, by [`StepId`].
    pub steps: Vec<StepSummary>,
    /// Step executions that ended, oldest first (at most [`RESULTS_KEPT`], the newest).
    pub results: VecDeque<StepResult>,
    /// Executions no longer in `results`.
    pub results_dropped: u64,
    /// When the run started.
    pub started: Option<SystemTime>,
    /// How it ended and how long it took; `None` while it runs.
    pub finished: Option<(Outcome, Duration)>,
}

impl Report {
    /// A report of `check` before its run starts.
    #[must_use]
    pub fn new(check: &Check) -> Self {
        Self {
            name: check.name.clone(),
            steps: outline(&check.steps)
                .into_iter()
                .map(|item| StepSummary {
                    path: item.path,
                    depth: item.depth,
                    step: item.step.clone(),
                    latest: None,
                    passed: 0,
                    total: Duration::ZERO,
                    latencies: Vec::new(),
                })
                .collect(),
            results: VecDeque::new(),
            results_dropped: 0,
            started: None,
            finished: None,
        }
    }

    /// Takes one event of the run.
    pub fn apply(&mut self, event: &CheckEvent) {
        match &event.kind {
            CheckEventKind::Started => self.started = Some(event.at),
            CheckEventKind::Finished { outcome, took } => self.finished = Some((*outcome, *took)),
            CheckEventKind::Step(step) => {
                let Some(summary) = self.steps.get_mut(step.step.0 as usize) else {
                    return;
                };
                summary.latest = Some((step.round, step.state.clone()));
                let took = match &step.state {
                    StepState::Running => return,
                    StepState::Passed { took, latency } => {
                        summary.passed += 1;
                        summary.latencies.extend(latency);
                        *took
                    }
                    StepState::Failed { took, .. } | StepState::Stopped { took } => *took,
                };
                summary.total += took;
                if self.results.len() == RESULTS_KEPT {
                    self.results.pop_front();
                    self.results_dropped += 1;
                }
                self.results.push_back(StepResult {
                    step: step.step,
                    round: step.round,
                    state: step.state.clone(),
                    at: event.at,
                });
            }
        }
    }

    /// How the run ended, `None` while it runs.
    #[must_use]
    pub fn outcome(&self) -> Option<Outcome> {
        self.finished.map(|(outcome, _)| outcome)
    }

    /// The failure that ended the run, if one did.
    #[must_use]
    pub fn failure(&self) -> Option<&Failure> {
        self.results
            .iter()
            .rev()
            .find_map(|result| match &result.state {
                StepState::Failed { failure, .. } => Some(failure.as_ref()),
                _ => None,
            })
    }

    /// The latency of every expect step that measured one (it followed a send), in step order.
    #[must_use]
    pub fn latencies(&self) -> Vec<Latency> {
        self.steps
            .iter()
            .enumerate()
            .filter(|(_, summary)| !summary.latencies.is_empty())
            .map(|(index, summary)| {
                let mut sorted = summary.latencies.clone();
                sorted.sort_unstable();
                Latency {
                    step: StepId(index as u32),
                    samples: sorted.len(),
                    min: sorted[0],
                    median: sorted[(sorted.len() - 1) / 2],
                    max: sorted[sorted.len() - 1],
                }
            })
            .collect()
    }

    /// The step `id`, if the check has it.
    #[must_use]
    pub fn step(&self, id: StepId) -> Option<&StepSummary> {
        self.steps.get(id.0 as usize)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::check::event::StepEvent;

    fn event(kind: CheckEventKind) -> CheckEvent {
        CheckEvent {
            check: Arc::from("c"),
            at: SystemTime::UNIX_EPOCH,
            kind,
        }
    }

    fn passed(step: u32, round: u32, ms: u64) -> CheckEvent {
        event(CheckEventKind::Step(StepEvent {
            step: StepId(step),
            round: Some(round),
            state: StepState::Passed {
                took: Duration::from_millis(ms),
                latency: Some(Duration::from_millis(ms)),
            },
        }))
    }

    #[test]
    fn latency_is_min_median_and_max_over_rounds() {
        let check = Check {
            name: "c".to_owned(),
            steps: vec![Step::Repeat {
                times: 4,
                steps: vec![Step::Disconnect],
            }],
        };
        let mut report = Report::new(&check);
        report.apply(&event(CheckEventKind::Started));
        for (round, ms) in [(1, 40), (2, 10), (3, 30), (4, 20)] {
            report.apply(&passed(1, round, ms));
        }
        let latency = report.latencies();
        assert_eq!(
            latency,
            [Latency {
                step: StepId(1),
                samples: 4,
                min: Duration::from_millis(10),
                median: Duration::from_millis(20),
                max: Duration::from_millis(40),
            }]
        );
        assert_eq!(report.steps[1].passed, 4);
        assert_eq!(report.steps[1].total, Duration::from_millis(100));
        assert_eq!(report.results.len(), 4);
        assert_eq!(report.outcome(), None);
        report.apply(&event(CheckEventKind::Finished {
            outcome: Outcome::Passed,
            took: Duration::from_millis(100),
        }));
        assert_eq!(report.outcome(), Some(Outcome::Passed));
    }

    #[test]
    fn a_long_repeat_keeps_its_newest_results_and_counts_them_all() {
        let check = Check {
            name: "c".to_owned(),
            steps: vec![Step::Repeat {
                times: 1_000_000,
                steps: vec![Step::Disconnect],
            }],
        };
        let mut report = Report::new(&check);
        let total = RESULTS_KEPT as u32 + 5;
        for round in 1..=total {
            report.apply(&passed(1, round, 1));
        }
        assert_eq!(report.results.len(), RESULTS_KEPT);
        assert_eq!(report.results_dropped, 5);
        assert_eq!(report.results[0].round, Some(6));
        assert_eq!(report.steps[1].passed, u64::from(total));
        assert_eq!(report.latencies()[0].samples, total as usize);
    }
}
