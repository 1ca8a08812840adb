//! The device checks window: the preset's checks (`check_list`: new, duplicate, remove with undo),
//! the chosen check's steps (`check_steps`) with each mistake under its step as it is typed, and
//! Run / Stop with each step's state and time and the run's result as it goes (`check_run`).
//!
//! The checks live in the preset ([`crate::preset::Preset::checks`]): every edit marks it changed and is
//! saved with it. A run's steps run in the session's worker ([`crate::check`]); the window draws the report
//! the session controller keeps as it takes the run's events. Run on a closed session opens it with the
//! check running from its start, so a device's greeting as it connects is seen.

use super::app::{NetAssistApp, Notice, UiAction};
use super::check_list::{self, Removed};
use super::check_run;
use super::check_steps::{self, StepsView};
use crate::check::{self, Check, CheckError, CheckProblem, Context};
use crate::i18n::{Lang, Text};
use crate::preset::ModeKind;

/// Width of the list of checks on the window's left.
const LIST_WIDTH: f32 = 110.0;

/// The window's own state; the checks themselves are the preset's.
#[derive(Default)]
pub struct ChecksPanel {
    /// The window is shown.
    pub open: bool,
    /// The chosen check, by its index in the preset's checks.
    pub(super) chosen: usize,
    /// The last check or step removed, until it is put back or another goes.
    pub(super) removed: Option<Removed>,
    /// The chosen check's mistakes, with what they were found in, so it is checked again only after a
    /// change (a run wakes the window often).
    problems: Option<(ProblemsSource, Vec<CheckError>)>,
    /// Why the last Run did not start, until the next.
    message: Option<Notice>,
}

/// What a check's mistakes were found in: the check, its session, and whether another check has its name.
type ProblemsSource = (Check, Context, bool);

/// Run or stop a check: the window's requests to the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckAction {
    /// Run the preset's check at this index on the open session, opening it first when none is open.
    Run(usize),
    /// Stop the check that runs.
    Stop,
}

impl ChecksPanel {
    /// `check`'s mistakes in `context`, with one for a name that another check has too.
    fn problems(&mut self, check: &Check, context: &Context, same_name: bool) -> Vec<CheckError> {
        if let Some(((from, in_context, same), problems)) = &self.problems
            && from == check
            && in_context == context
            && *same == same_name
        {
            return problems.clone();
        }
        let mut problems = check::problems(check, context);
        if same_name {
            problems.insert(
                0,
                CheckError {
                    check: check.name.clone(),
                    step: None,
                    problem: CheckProblem::SameName,
                },
            );
        }
        let source = (check.clone(), context.clone(), same_name);
        self.problems = Some((source, problems.clone()));
        problems
    }
}

/// Draws the window, if it is open; Run and Stop go into `actions`.
pub fn ui(ctx: &egui::Context, app: &mut NetAssistApp, actions: &mut Vec<UiAction>) {
    if !app.checks_panel.open {
        return;
    }
    let lang = app.settings.lang;
    let mut open = true;
    egui::Window::new(lang.pick("Device checks", "设备检查"))
        .id(egui::Id::unique("checks window"))
        .open(&mut open)
        .default_width(900.0)
        // Under the menu bar, over the log; on a 1024-wide screen, its right edge still on it.
        .default_pos(ctx.content_rect().left_top() + egui::vec2(110.0, 40.0))
        .show(ctx, |ui| {
            ui.horizontal_top(|ui| {
                // A frame rather than a separator, which would stretch the window to the screen's height.
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.vertical(|ui| {
                        ui.set_width(LIST_WIDTH);
                        check_list::list_ui(ui, app);
                    });
                });
                ui.vertical(|ui| check_ui(ui, app, actions));
            });
        });
    app.checks_panel.open = open;
}

/// The chosen check: its name, Run or Stop, its mistakes, its steps and its last run.
fn check_ui(ui: &mut egui::Ui, app: &mut NetAssistApp, actions: &mut Vec<UiAction>) {
    let lang = app.settings.lang;
    check_list::undo_ui(ui, app);
    let count = app.settings.preset.checks.len();
    if count == 0 {
        ui.label(lang.pick(
            "This preset has no checks yet: New makes one.",
            "此预设还没有检查：点“新建”创建一个。",
        ));
        return;
    }
    let index = app.checks_panel.chosen.min(count - 1);
    app.checks_panel.chosen = index;
    let context = app.settings.preset.check_context();
    let checks = &app.settings.preset.checks;
    let same_name = checks
        .iter()
        .enumerate()
        .any(|(other, check)| other != index && check.name.trim() == checks[index].name.trim());
    let problems = app
        .checks_panel
        .problems(&checks[index], &context, same_name);
    let report = check_run::report_of(app.ctl.check_report(), &checks[index]);
    let running = report.is_some_and(|report| report.finished.is_none());
    let blocked = run_blocker(app, &problems);
    let preset = &mut app.settings.preset;
    let check = &mut preset.checks[index];

    ui.horizontal_wrapped(|ui| {
        let label = ui.label(lang.pick("Name", "名称"));
        ui.add_enabled(
            !running,
            egui::TextEdit::singleline(&mut check.name).desired_width(180.0),
        )
        .labelled_by(label.id);
        let run = RunState {
            index,
            running: app.ctl.check_running(),
            open: app.ctl.is_open(),
            blocked,
        };
        if let Some(action) = run_button(ui, run, lang) {
            actions.push(UiAction::Check(action));
        }
    });
    ui.weak(session_text(
        app.ctl.is_open(),
        preset.mode,
        app.ctl.log().local_addr(),
        lang,
    ));
    ui.weak(lang.pick(
        "An expect sees only what arrives after Run: a greeting the device sent before is not seen \
         (the log shows it above the check's start row).",
        "“期望收到”只看运行之后收到的数据：设备在运行之前发来的问候看不到（日志中它在检查开始行之前）。",
    ));
    if let Some(message) = &app.checks_panel.message {
        ui.colored_label(ui.visuals().error_fg_color, message.text(lang));
    }
    for problem in problems.iter().filter(|problem| problem.step.is_none()) {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!("⚠ {}", problem.text(lang)),
        );
    }
    ui.separator();
    let view = StepsView {
        lang,
        problems: &problems,
        report,
        editable: !running,
    };
    let edit = egui::ScrollArea::vertical()
        .id_salt("check steps")
        .max_height((ui.available_height() - 90.0).max(120.0))
        .auto_shrink([false, true])
        .show(ui, |ui| check_steps::steps_ui(ui, &mut check.steps, &view))
        .inner;
    if let Some(edit) = edit
        && let Some((at, step)) = check_steps::apply(&mut check.steps, edit)
    {
        app.checks_panel.removed = Some(Removed::step(
            app.settings.preset_file.clone(),
            (index, check.name.clone()),
            at,
            step,
        ));
    }
    if let Some(report) = report {
        ui.separator();
        check_run::summary_ui(ui, report, lang);
    }
    if running {
        // The worker's events wake the window as steps end; only the running step's clock needs more.
        ui.ctx().request_repaint_after(check_run::CLOCK_TICK);
    }
}

/// What the Run button depends on.
struct RunState {
    /// The chosen check.
    index: usize,
    /// A check runs (this one or another).
    running: bool,
    /// A session is open.
    open: bool,
    /// Why the chosen check cannot run, if it cannot.
    blocked: Option<String>,
}

/// Run (or Open and run), or Stop while a check runs; disabled with the reason when it cannot run.
fn run_button(ui: &mut egui::Ui, state: RunState, lang: Lang) -> Option<CheckAction> {
    let RunState {
        index,
        running,
        open,
        blocked,
    } = state;
    if running {
        let stop = ui
            .button(lang.pick("■ Stop", "■ 停止"))
            .on_hover_text(lang.pick("Stop the check that runs", "停止正在运行的检查"));
        return stop.clicked().then_some(CheckAction::Stop);
    }
    let (text, hover) = if open {
        (
            lang.pick("▶ Run", "▶ 运行"),
            lang.pick(
                "Run this check on the open session",
                "在已打开的会话上运行此检查",
            ),
        )
    } else {
        (
            lang.pick("▶ Open and run", "▶ 打开并运行"),
            lang.pick(
                "No session is open: open one with the settings and run this check from its start, \
                 before any device connects",
                "没有打开的会话：按当前设置打开会话，并从一开始（在设备连接之前）运行此检查",
            ),
        )
    };
    let button = ui.add_enabled(blocked.is_none(), egui::Button::new(text));
    let button = match blocked {
        Some(reason) => button.on_disabled_hover_text(reason),
        None => button.on_hover_text(hover),
    };
    button.clicked().then_some(CheckAction::Run(index))
}

/// Why the chosen check cannot run now: a mistake in it, or an open session of another kind.
fn run_blocker(app: &NetAssistApp, problems: &[CheckError]) -> Option<String> {
    let lang = app.settings.lang;
    if let Some(first) = problems.first() {
        return Some(match lang {
            Lang::En => format!(
                "Fix the {} mistake(s) marked in red first: {}",
                problems.len(),
                first.text(lang)
            ),
            Lang::Zh => format!(
                "请先改正标红的 {} 处错误：{}",
                problems.len(),
                first.text(lang)
            ),
        });
    }
    let mode = app.settings.preset.mode;
    let open = app.open_mode().filter(|open| *open != mode)?;
    Some(match lang {
        Lang::En => format!(
            "The open session is a {}, and this check is for a {}: close the session first.",
            open.label(lang),
            mode.label(lang)
        ),
        Lang::Zh => format!(
            "已打开的会话是{}，而此检查用于{}：请先关闭会话。",
            open.label(lang),
            mode.label(lang)
        ),
    })
}

/// Where Run runs: the open session, or one it opens.
fn session_text(
    open: bool,
    mode: ModeKind,
    local: Option<std::net::SocketAddr>,
    lang: Lang,
) -> String {
    let mode = mode.label(lang);
    match (open, local) {
        (true, Some(local)) => match lang {
            Lang::En => format!("Runs on the open session: {mode} on {local}."),
            Lang::Zh => format!("在已打开的会话上运行：{mode}，{local}。"),
        },
        (true, None) => match lang {
            Lang::En => format!("Runs on the open session: {mode}."),
            Lang::Zh => format!("在已打开的会话上运行：{mode}。"),
        },
        (false, _) => match lang {
            Lang::En => {
                format!("No session is open: Open and run opens a {mode} with the settings.")
            }
            Lang::Zh => format!("没有打开的会话：“打开并运行”按当前设置打开{mode}。"),
        },
    }
}

impl NetAssistApp {
    /// The last check run in this window, or the one running: each step's state and time, the latency,
    /// how it ended.
    #[must_use]
    pub fn check_report(&self) -> Option<&crate::check::Report> {
        self.ctl.check_report()
    }

    /// Runs or stops a check, as the checks window asked.
    pub(crate) fn apply_check(&mut self, action: CheckAction) {
        let index = match action {
            CheckAction::Stop => {
                self.ctl.stop_check();
                return;
            }
            CheckAction::Run(index) => index,
        };
        self.checks_panel.message = None;
        let Some(check) = self.settings.preset.checks.get(index) else {
            return;
        };
        let compiled = match self.settings.preset.compile_check(check) {
            Ok(compiled) => compiled,
            Err(error) => {
                self.checks_panel.message = Some(Notice::error(error.to_string(), error.zh()));
                return;
            }
        };
        if self.is_open() {
            self.ctl.run_check(compiled);
            return;
        }
        self.open_with(Some(compiled));
        if self.is_open() {
            return;
        }
        // Why it did not open is said at its field or in the status bar; the window says it too.
        let reason = match (&self.field_error, &self.notice) {
            (Some((error, _)), _) => (error.text(Lang::En), error.text(Lang::Zh)),
            (None, Some(notice)) => (notice.en.clone(), notice.zh.clone()),
            (None, None) => return,
        };
        self.checks_panel.message = Some(Notice::error(
            format!("The session did not open: {}", reason.0),
            format!("会话未能打开：{}", reason.1),
        ));
    }
}
