//! The checks window's list of the preset's checks (New, Duplicate, Remove, choose one) and the Undo of the
//! last check or step removed, which puts it back where it was while the same preset file is open.

use std::path::PathBuf;

use super::app::NetAssistApp;
use super::check_steps::{self, StepPlace};
use crate::check::{self, Check, Step};
use crate::i18n::Lang;
use crate::preset::ModeKind;

/// A check or step removed, and the preset file it was removed from.
pub(super) struct Removed {
    /// The preset file open then.
    file: Option<PathBuf>,
    /// What it was, and where.
    what: RemovedItem,
}

/// A removed check and its place in the list, or a removed step and its place in its check.
enum RemovedItem {
    Check {
        index: usize,
        check: Check,
    },
    Step {
        /// The check it was in, by index and name.
        check: (usize, String),
        at: StepPlace,
        step: Step,
    },
}

impl Removed {
    /// A step removed from the check at `check` (its index and name), which was at `at` in it.
    pub(super) fn step(
        file: Option<PathBuf>,
        check: (usize, String),
        at: StepPlace,
        step: Step,
    ) -> Self {
        Self {
            file,
            what: RemovedItem::Step { check, at, step },
        }
    }
}

/// The list of checks, and New, Duplicate, Remove.
pub(super) fn list_ui(ui: &mut egui::Ui, app: &mut NetAssistApp) {
    let lang = app.settings.lang;
    let mode = app.settings.preset.mode;
    let file = app.settings.preset_file.clone();
    let panel = &mut app.checks_panel;
    let checks = &mut app.settings.preset.checks;
    ui.strong(lang.pick("Checks", "检查列表"));
    for (index, check) in checks.iter().enumerate() {
        let name = if check.name.trim().is_empty() {
            lang.pick("(no name)", "（无名称）")
        } else {
            check.name.as_str()
        };
        if ui.selectable_label(index == panel.chosen, name).clicked() {
            panel.chosen = index;
        }
    }
    if checks.is_empty() {
        ui.weak(lang.pick("None yet", "暂无"));
    }
    ui.horizontal_wrapped(|ui| {
        if ui.button(lang.pick("New", "新建")).clicked() {
            let stem = lang.pick("check", "检查");
            let name = free_name(checks, (1..).map(|n| format!("{stem} {n}")));
            // A check starts where every check of its session starts: with the device there.
            let first = match mode {
                ModeKind::TcpClient => Step::Connect {
                    within_ms: check::DEFAULT_WITHIN_MS,
                },
                ModeKind::TcpServer | ModeKind::Udp | ModeKind::Relay => Step::WaitClient {
                    within_ms: check::DEFAULT_WAIT_CLIENT_MS,
                },
            };
            checks.push(Check {
                name,
                steps: vec![first],
            });
            panel.chosen = checks.len() - 1;
        }
        let chosen = checks.get(panel.chosen).cloned();
        let duplicate = egui::Button::new(lang.pick("Duplicate", "复制"));
        if ui.add_enabled(chosen.is_some(), duplicate).clicked()
            && let Some(mut copy) = chosen.clone()
        {
            let copy_word = lang.pick("copy", "副本");
            let stem = format!("{} {copy_word}", copy.name.trim());
            copy.name = free_name(
                checks,
                std::iter::once(stem.clone()).chain((2..).map(|n| format!("{stem} {n}"))),
            );
            checks.insert(panel.chosen + 1, copy);
            panel.chosen += 1;
        }
        let remove = egui::Button::new(lang.pick("Remove", "删除"));
        if ui.add_enabled(chosen.is_some(), remove).clicked()
            && let Some(check) = chosen
        {
            checks.remove(panel.chosen);
            panel.removed = Some(Removed {
                file,
                what: RemovedItem::Check {
                    index: panel.chosen,
                    check,
                },
            });
            panel.chosen = panel.chosen.min(checks.len().saturating_sub(1));
        }
    });
}

/// The first of `names` that no check has.
fn free_name(checks: &[Check], mut names: impl Iterator<Item = String>) -> String {
    names
        .find(|name| checks.iter().all(|check| check.name.trim() != name))
        .unwrap_or_default()
}

/// The last removal, with Undo, while it is of the preset file open now.
pub(super) fn undo_ui(ui: &mut egui::Ui, app: &mut NetAssistApp) {
    let lang = app.settings.lang;
    let panel = &mut app.checks_panel;
    let Some(removed) = &panel.removed else {
        return;
    };
    if removed.file != app.settings.preset_file {
        panel.removed = None;
        return;
    }
    let text = match &removed.what {
        RemovedItem::Check { check, .. } => match lang {
            Lang::En => format!("Removed check '{}'.", check.name),
            Lang::Zh => format!("已删除检查“{}”。", check.name),
        },
        RemovedItem::Step { at, step, .. } => {
            let path = check_steps::path_text(at);
            let what = check::step_text(step, lang);
            match lang {
                Lang::En => format!("Removed step {path} ({what})."),
                Lang::Zh => format!("已删除第 {path} 步（{what}）。"),
            }
        }
    };
    let mut undo = false;
    ui.horizontal_wrapped(|ui| {
        ui.label(text);
        undo = ui.button(lang.pick("Undo", "撤销")).clicked();
    });
    if !undo {
        return;
    }
    let checks = &mut app.settings.preset.checks;
    match panel.removed.take().map(|removed| removed.what) {
        Some(RemovedItem::Check { index, check }) => {
            let index = index.min(checks.len());
            checks.insert(index, check);
            panel.chosen = index;
        }
        Some(RemovedItem::Step {
            check: (index, name),
            at,
            step,
        }) => {
            if let Some(check) = checks.get_mut(index).filter(|check| check.name == name) {
                check_steps::put_back(&mut check.steps, &at, step);
                panel.chosen = index;
            }
        }
        None => {}
    }
}
