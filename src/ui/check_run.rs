//! A check's run as the checks window shows it, from the [`Report`] the session controller keeps: each
//! step's state (running, PASS, FAIL, stopped, not reached) with its time, a repeat's round, and the
//! result: PASS or FAIL with the total time, each expect's latency (min, median, max) and the first
//! failure with what arrived instead.
//!
//! The steps run in the session's worker; the report changes as its events are taken, which already
//! wakes the window. Only the clock of a running step needs more frames: [`CLOCK_TICK`] apart, while a
//! check runs and the window shows it.

use std::time::{Duration, SystemTime};

use egui::{Color32, RichText};

use super::palette::Palette;
use crate::check::{
    self, Check, Outcome, Report, Step, StepId, StepState, StepSummary, duration_text,
};
use crate::i18n::{Lang, Text};

/// How often the clock of a running step moves on.
pub(super) const CLOCK_TICK: Duration = Duration::from_millis(250);

/// Width of the state column in front of the steps.
const STATE_WIDTH: f32 = 130.0;

/// The report of `check`'s last run, when the last run was of this check as it is now (its name and
/// steps), so an edited check shows no results of what it was.
pub(super) fn report_of<'a>(report: Option<&'a Report>, check: &Check) -> Option<&'a Report> {
    let report = report?;
    let outline = check::outline(&check.steps);
    let same = report.name == check.name
        && report.steps.len() == outline.len()
        && report
            .steps
            .iter()
            .zip(&outline)
            .all(|(summary, item)| summary.step == *item.step);
    same.then_some(report)
}

/// What a step's state looks like: a symbol and a word (so it reads without colour), a time, a colour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Look {
    /// Symbol and word: `✔ PASS`.
    pub text: String,
    /// Its time (or a repeat's round), if any.
    pub detail: String,
    /// Its colour in the current theme.
    pub color: Color32,
}

/// How step `id` of `report` looks now (`now` for the clock of a running step); `None` before it first
/// ran while the run goes on.
pub(super) fn look(
    report: &Report,
    id: StepId,
    now: SystemTime,
    lang: Lang,
    visuals: &egui::Visuals,
) -> Option<Look> {
    let palette = Palette::of(visuals);
    let summary = report.step(id)?;
    let Some((_, state)) = &summary.latest else {
        return report.finished.is_some().then(|| Look {
            text: lang.pick("– not reached", "– 未执行").to_owned(),
            detail: String::new(),
            color: visuals.weak_text_color(),
        });
    };
    let (text, color, took) = match state {
        StepState::Running => {
            let detail = match &summary.step {
                Step::Repeat { times, .. } => round_text(report, id, *times),
                _ => clock_text(now.duration_since(last_news(report)).unwrap_or_default()),
            };
            return Some(Look {
                text: lang.pick("▶ running", "▶ 进行中").to_owned(),
                detail,
                color: visuals.strong_text_color(),
            });
        }
        StepState::Passed { took, .. } => (lang.pick("✔ PASS", "✔ 通过"), palette.good, took),
        StepState::Failed { took, .. } => (lang.pick("✖ FAIL", "✖ 失败"), palette.bad, took),
        StepState::Stopped { took } => (lang.pick("■ stopped", "■ 已停止"), palette.info, took),
    };
    Some(Look {
        text: text.to_owned(),
        detail: duration_text(*took),
        color,
    })
}

/// A repeat's round while it runs: `7/10`, from the steps inside it (a repeat's own events carry the
/// round of the repeat around it).
fn round_text(report: &Report, repeat: StepId, times: u32) -> String {
    let round = report
        .step(StepId(repeat.0 + 1))
        .and_then(|first| first.latest.as_ref())
        .and_then(|(round, _)| *round)
        .unwrap_or(1);
    format!("{round}/{times}")
}

/// When the run last had news: a step ended, or it started. The running step started then.
fn last_news(report: &Report) -> SystemTime {
    let ended = report.results.back().map(|result| result.at);
    match (ended, report.started) {
        (Some(ended), Some(started)) => ended.max(started),
        (ended, started) => ended.or(started).unwrap_or(SystemTime::UNIX_EPOCH),
    }
}

/// A running clock, to the tenth of a second: it moves [`CLOCK_TICK`] apart.
fn clock_text(elapsed: Duration) -> String {
    format!("{:.1} s", elapsed.as_secs_f64())
}

/// The state column of step `id`'s row: empty until the step first runs.
pub(super) fn state_cell(ui: &mut egui::Ui, report: &Report, id: StepId, lang: Lang) {
    let look = look(report, id, SystemTime::now(), lang, ui.visuals());
    let size = egui::vec2(STATE_WIDTH, ui.spacing().interact_size.y);
    ui.allocate_ui_with_layout(
        size,
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.set_min_width(STATE_WIDTH);
            if let Some(look) = look {
                ui.label(RichText::new(look.text).color(look.color).strong());
                ui.label(RichText::new(look.detail).color(look.color).monospace());
            }
        },
    );
}

/// The run's result under the steps: running with its clock, or PASS / FAIL / STOPPED with the steps
/// run and the total time, the first failure with what arrived, and each expect's latency.
pub(super) fn summary_ui(ui: &mut egui::Ui, report: &Report, lang: Lang) {
    let palette = Palette::of(ui.visuals());
    let steps = report.results.len() as u64 + report.results_dropped;
    let Some((outcome, took)) = report.finished else {
        let elapsed = report
            .started
            .and_then(|started| SystemTime::now().duration_since(started).ok())
            .unwrap_or_default();
        ui.strong(format!(
            "{} {}",
            lang.pick("▶ Running…", "▶ 正在运行…"),
            clock_text(elapsed)
        ));
        return;
    };
    let took = duration_text(took);
    let name = &report.name;
    let (line, color) = match (outcome, lang) {
        (Outcome::Passed, Lang::En) => (
            format!("✔ PASS  {name}: {steps} steps in {took}"),
            palette.good,
        ),
        (Outcome::Passed, Lang::Zh) => (
            format!("✔ 通过  {name}：{steps} 步，用时 {took}"),
            palette.good,
        ),
        (Outcome::Failed(step), _) => {
            let path = report
                .step(step)
                .map_or("?", |summary| summary.path.as_str());
            let line = match lang {
                Lang::En => format!("✖ FAIL  {name} at step {path} after {took}"),
                Lang::Zh => format!("✖ 失败  {name}：第 {path} 步失败，用时 {took}"),
            };
            (line, palette.bad)
        }
        (Outcome::Stopped, Lang::En) => (format!("■ STOPPED  {name} after {took}"), palette.info),
        (Outcome::Stopped, Lang::Zh) => (format!("■ 已停止  {name}：用时 {took}"), palette.info),
    };
    ui.label(RichText::new(line).color(color).strong().size(16.0));
    if let Some(failure) = report.failure() {
        ui.add(
            egui::Label::new(RichText::new(failure.text(lang)).color(palette.bad)).selectable(true),
        );
    }
    for latency in report.latencies() {
        let Some(summary) = report.step(latency.step) else {
            continue;
        };
        ui.label(latency_text(summary, &latency, lang));
    }
}

/// `Latency of 3.2 (expect "pong" within 1 s): min 0.3 ms, median 100.3 ms, max 103.8 ms over 10`.
fn latency_text(summary: &StepSummary, latency: &check::Latency, lang: Lang) -> String {
    let (path, step) = (&summary.path, check::step_text(&summary.step, lang));
    let (min, median, max) = (
        duration_text(latency.min),
        duration_text(latency.median),
        duration_text(latency.max),
    );
    let samples = latency.samples;
    match lang {
        Lang::En => format!(
            "Latency of {path} ({step}): min {min}, median {median}, max {max} over {samples}"
        ),
        Lang::Zh => {
            format!(
                "第 {path} 步（{step}）的延迟：最小 {min}，中位 {median}，最大 {max}，共 {samples} 次"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::check::{Arrived, CheckEvent, CheckEventKind, FailReason, Failure, StepEvent};

    fn board() -> Check {
        Check {
            name: "board".to_owned(),
            steps: vec![
                Step::WaitClient { within_ms: 1000 },
                Step::Repeat {
                    times: 10,
                    steps: vec![Step::Wait { ms: 1 }],
                },
                Step::Disconnect,
            ],
        }
    }

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn event(ms: u64, kind: CheckEventKind) -> CheckEvent {
        CheckEvent {
            check: Arc::from("board"),
            at: at(ms),
            kind,
        }
    }

    fn step(ms: u64, id: u32, round: Option<u32>, state: StepState) -> CheckEvent {
        event(
            ms,
            CheckEventKind::Step(StepEvent {
                step: StepId(id),
                round,
                state,
            }),
        )
    }

    fn passed(ms: u64) -> StepState {
        StepState::Passed {
            took: Duration::from_millis(ms),
            latency: None,
        }
    }

    #[test]
    fn each_state_has_a_symbol_a_word_a_time_and_its_colour() {
        let mut report = Report::new(&board());
        report.apply(&event(0, CheckEventKind::Started));
        report.apply(&step(0, 0, None, StepState::Running));
        report.apply(&step(500, 0, None, passed(500)));
        report.apply(&step(500, 1, None, StepState::Running));
        report.apply(&step(500, 2, Some(7), StepState::Running));
        let visuals = egui::Visuals::light();
        let look = |report: &Report, id| look(report, StepId(id), at(1700), Lang::En, &visuals);
        let pass = look(&report, 0).unwrap();
        assert_eq!(
            (pass.text.as_str(), pass.detail.as_str()),
            ("✔ PASS", "500.0 ms")
        );
        assert_eq!(pass.color, Palette::of(&visuals).good);
        // A repeat gives its round; the step running in it, its clock since the last step ended.
        assert_eq!(look(&report, 1).unwrap().detail, "7/10");
        let running = look(&report, 2).unwrap();
        assert_eq!(
            (running.text.as_str(), running.detail.as_str()),
            ("▶ running", "1.2 s")
        );
        // Not reached yet while it runs; said once the run ended.
        assert_eq!(look(&report, 3), None);

        let failure = Failure {
            path: "2.1".to_owned(),
            step: Step::Wait { ms: 1 },
            reason: FailReason::SessionEnded,
            arrived: Arrived::default(),
            peer: None,
        };
        let failed = StepState::Failed {
            took: Duration::from_millis(2),
            failure: Box::new(failure),
        };
        report.apply(&step(1800, 2, Some(7), failed));
        report.apply(&step(
            1800,
            1,
            None,
            StepState::Stopped {
                took: Duration::from_secs(1),
            },
        ));
        report.apply(&event(
            1800,
            CheckEventKind::Finished {
                outcome: Outcome::Failed(StepId(2)),
                took: Duration::from_millis(1800),
            },
        ));
        let fail = look(&report, 2).unwrap();
        assert_eq!(fail.text, "✖ FAIL");
        assert_eq!(fail.color, visuals.error_fg_color);
        assert_eq!(look(&report, 1).unwrap().text, "■ stopped");
        let not_reached = look(&report, 3).unwrap();
        assert_eq!(not_reached.text, "– not reached");
        let zh = super::look(&report, StepId(3), at(1800), Lang::Zh, &visuals).unwrap();
        assert_eq!(zh.text, "– 未执行");
    }

    #[test]
    fn results_show_only_for_the_check_as_it_ran() {
        let mut check = board();
        let report = Report::new(&check);
        assert!(report_of(Some(&report), &check).is_some());
        check.steps[1] = Step::Wait { ms: 2 };
        assert!(report_of(Some(&report), &check).is_none());
        let mut renamed = board();
        renamed.name = "other".to_owned();
        assert!(report_of(Some(&report), &renamed).is_none());
        assert!(report_of(None, &board()).is_none());
    }
}
