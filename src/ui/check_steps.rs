//! The steps of the check chosen in the checks window ([`super::checks_panel`]): one row each, repeats'
//! steps indented under their repeat, with the step's fields to edit in place, buttons to move it among
//! its neighbours or remove it, menus to add a step of any kind at the end or inside a repeat, each
//! mistake ([`check::problems`]) under its step, and, once the check has run, each step's state and time
//! from [`super::check_run`].
//!
//! Fields change the steps as they are edited; adding, moving and removing are returned as an [`Edit`]
//! and applied after drawing ([`apply`]), so the list is not changed while it is walked.

use crate::check::{self, CheckError, Report, Step, StepId};
use crate::i18n::{Lang, Text};

use super::check_run;

/// How far a repeat's steps are indented under it, in points.
const INDENT: f32 = 22.0;

/// Where a step is: its index in the check's steps, then in each repeat's steps down to it.
pub(super) type StepPlace = Vec<usize>;

/// A change to the list of steps asked for while it was drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Edit {
    /// Add `step` at the end of the steps of the repeat at `inside`, or of the check's when it is empty.
    Add {
        /// The repeat, or the check itself when empty.
        inside: StepPlace,
        /// The new step.
        step: Step,
    },
    /// Swap the step with the one before it (`up`) or after it.
    Move {
        /// The step.
        at: StepPlace,
        /// Towards the start.
        up: bool,
    },
    /// Remove the step (and a repeat's steps with it).
    Remove(StepPlace),
}

/// What the rows show besides the steps themselves.
pub(super) struct StepsView<'a> {
    /// The window's language.
    pub lang: Lang,
    /// The check's mistakes, each under its step.
    pub problems: &'a [CheckError],
    /// The last run of this check as it is, if it ran.
    pub report: Option<&'a Report>,
    /// The steps may be edited (the check is not running).
    pub editable: bool,
}

/// The words a step's kind goes by in the window: its row and the add menus.
pub(super) fn kind_name(step: &Step, lang: Lang) -> &'static str {
    match step {
        Step::WaitClient { .. } => lang.pick("Wait for client", "等待客户端"),
        Step::Connect { .. } => lang.pick("Connect", "连接"),
        Step::Send { .. } => lang.pick("Send", "发送"),
        Step::Expect { .. } => lang.pick("Expect", "期望收到"),
        Step::Wait { .. } => lang.pick("Wait", "等待"),
        Step::Repeat { .. } => lang.pick("Repeat", "重复"),
        Step::Disconnect => lang.pick("Disconnect", "断开连接"),
        Step::ExpectClose { .. } => lang.pick("Expect close", "等待对方关闭"),
    }
}

/// Draws the steps, editable unless the check runs; returns the edit asked for, if any.
pub(super) fn steps_ui(
    ui: &mut egui::Ui,
    steps: &mut [Step],
    view: &StepsView<'_>,
) -> Option<Edit> {
    let mut edit = None;
    let mut next_id = 0;
    rows_ui(ui, steps, &[], &mut next_id, view, &mut edit);
    ui.add_enabled_ui(view.editable, |ui| {
        add_menu(
            ui,
            view.lang.pick("+ Add step", "+ 添加步骤"),
            None,
            &[],
            view.lang,
            &mut edit,
        );
    });
    edit
}

/// The rows of `steps`, which sit at `inside`; `next_id` is the [`StepId`] of the first of them, and goes
/// past them and everything inside them (the order [`check::outline`] numbers steps in).
fn rows_ui(
    ui: &mut egui::Ui,
    steps: &mut [Step],
    inside: &[usize],
    next_id: &mut u32,
    view: &StepsView<'_>,
    edit: &mut Option<Edit>,
) {
    let count = steps.len();
    for (index, step) in steps.iter_mut().enumerate() {
        let mut at = inside.to_vec();
        at.push(index);
        let id = StepId(*next_id);
        *next_id += 1;
        let row = Row {
            id,
            path: path_text(&at),
            first: index == 0,
            last: index + 1 == count,
            depth: inside.len(),
        };
        ui.horizontal(|ui| {
            if let Some(report) = view.report {
                check_run::state_cell(ui, report, id, view.lang);
            }
            ui.add_space(row.depth as f32 * INDENT);
            ui.vertical(|ui| {
                // Only the fields: the state beside them keeps its colours while the check runs.
                ui.add_enabled_ui(view.editable, |ui| {
                    ui.horizontal_wrapped(|ui| row_ui(ui, step, &row, &at, view, edit));
                });
                for problem in view
                    .problems
                    .iter()
                    .filter(|problem| problem.step.as_ref().is_some_and(|(step, _)| *step == id))
                {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        format!("⚠ {}", problem.text(view.lang)),
                    );
                }
            });
        });
        if let Step::Repeat { steps, .. } = step {
            rows_ui(ui, steps, &at, next_id, view, edit);
        }
    }
}

/// A step's place for people: `3.2` for the second step inside step 3.
pub(super) fn path_text(at: &[usize]) -> String {
    at.iter()
        .map(|index| (index + 1).to_string())
        .collect::<Vec<_>>()
        .join(".")
}

/// What a row needs to know of its step besides the step.
struct Row {
    id: StepId,
    path: String,
    first: bool,
    last: bool,
    depth: usize,
}

/// One step's fields and buttons.
fn row_ui(
    ui: &mut egui::Ui,
    step: &mut Step,
    row: &Row,
    at: &StepPlace,
    view: &StepsView<'_>,
    edit: &mut Option<Edit>,
) {
    let lang = view.lang;
    let wrong = view
        .problems
        .iter()
        .any(|problem| problem.step.as_ref().is_some_and(|(id, _)| *id == row.id));
    // The label names every field of the row for screen readers and tests: "3.2 Expect".
    let label = ui
        .strong(format!("{} {}", row.path, kind_name(step, lang)))
        .on_hover_text(check::step_text(step, lang))
        .id;
    let salt = ("check step", row.id);
    match step {
        Step::WaitClient { within_ms }
        | Step::Connect { within_ms }
        | Step::ExpectClose { within_ms } => within_ui(ui, within_ms, label, lang),
        Step::Send {
            text,
            input,
            encoding,
            escapes,
        } => {
            super::send_panel::read_as_combo(ui, (salt, "read as"), input, encoding, lang)
                .labelled_by(label);
            ui.add_enabled(
                *input == crate::codec::InputMode::Text,
                egui::Checkbox::new(escapes, lang.pick("Escapes", "转义")),
            )
            .on_hover_text(lang.pick(
                r"Read backslash escapes: \r \n \t \\ \x..",
                r"识别反斜杠转义：\r \n \t \\ \x..",
            ));
            text_ui(ui, text, wrong, label, variables_hint(lang));
        }
        Step::Expect { matcher, within_ms } => {
            super::rules_panel::kind_ui(ui, matcher, (salt, "match"), lang, label);
            let hint = lang.pick(
                "what arrives; hex: ?? any byte, * any bytes",
                "收到的内容；十六进制：?? 任一字节，* 任意多个字节",
            );
            text_ui(ui, matcher.pattern_mut(), wrong, label, hint);
            within_ui(ui, within_ms, label, lang);
        }
        Step::Wait { ms } => {
            ui.add(
                egui::DragValue::new(ms)
                    .range(0..=86_400_000)
                    .suffix(lang.pick(" ms", " 毫秒")),
            )
            .labelled_by(label);
        }
        Step::Repeat { times, .. } => {
            ui.add(egui::DragValue::new(times).range(1..=1_000_000))
                .labelled_by(label);
            ui.label(lang.pick("times", "次"));
            add_menu(
                ui,
                lang.pick("+ Inside", "+ 内部步骤"),
                Some(&row.path),
                at,
                lang,
                edit,
            );
        }
        Step::Disconnect => {}
    }
    order_buttons(ui, row, at, lang, edit);
}

/// Up, down and remove, each named with the step's place.
fn order_buttons(
    ui: &mut egui::Ui,
    row: &Row,
    at: &StepPlace,
    lang: Lang,
    edit: &mut Option<Edit>,
) {
    let buttons = [
        (
            "↑",
            !row.first,
            lang.pick("Move step {} up", "上移第 {} 步"),
            Edit::Move {
                at: at.clone(),
                up: true,
            },
        ),
        (
            "↓",
            !row.last,
            lang.pick("Move step {} down", "下移第 {} 步"),
            Edit::Move {
                at: at.clone(),
                up: false,
            },
        ),
        (
            "✖",
            true,
            lang.pick("Remove step {}", "删除第 {} 步"),
            Edit::Remove(at.clone()),
        ),
    ];
    for (symbol, enabled, name, wanted) in buttons {
        let name = name.replace("{}", &row.path);
        if ui
            .add_enabled(enabled, egui::Button::new(symbol))
            .on_hover_text(&name)
            .accessible_name(name)
            .clicked()
        {
            *edit = Some(wanted);
        }
    }
}

/// What a send's text may hold, as its field's hint.
fn variables_hint(lang: Lang) -> &'static str {
    lang.pick(
        "text or hex; {counter}, $1…, {crc16modbus}…",
        "文本或十六进制；{counter}、$1…、{crc16modbus}…",
    )
}

/// A step's typed text, outlined in the error colour while the step has a mistake.
fn text_ui(ui: &mut egui::Ui, text: &mut String, wrong: bool, label: egui::Id, hint: &str) {
    ui.scope(|ui| {
        if wrong {
            super::outline_as_error(ui);
        }
        ui.add(
            egui::TextEdit::singleline(text)
                .hint_text(hint)
                .desired_width(150.0)
                .font(egui::TextStyle::Monospace),
        )
    })
    .inner
    .labelled_by(label);
}

/// The longest wait of a step, in milliseconds.
fn within_ui(ui: &mut egui::Ui, within_ms: &mut u64, label: egui::Id, lang: Lang) {
    ui.label(lang.pick("within", "时限"));
    ui.add(
        egui::DragValue::new(within_ms)
            .range(0..=86_400_000)
            .suffix(lang.pick(" ms", " 毫秒")),
    )
    .labelled_by(label);
}

/// A menu of every kind of step; the one clicked is added at the end of `inside`'s steps. `repeat` is the
/// repeat's place for people, when the steps go inside one.
fn add_menu(
    ui: &mut egui::Ui,
    text: &str,
    repeat: Option<&str>,
    inside: &[usize],
    lang: Lang,
    edit: &mut Option<Edit>,
) {
    let response = ui.menu_button(text, |ui| {
        for kind in Step::kinds() {
            let name = kind_name(&kind, lang);
            let entry = match lang {
                Lang::En => format!("Add step: {name}"),
                Lang::Zh => format!("添加步骤：{name}"),
            };
            if ui
                .button(name)
                .on_hover_text(check::step_text(&kind, lang))
                .accessible_name(entry)
                .clicked()
            {
                *edit = Some(Edit::Add {
                    inside: inside.to_vec(),
                    step: kind,
                });
            }
        }
    });
    if let Some(path) = repeat {
        let name = match lang {
            Lang::En => format!("Add a step inside step {path}"),
            Lang::Zh => format!("在第 {path} 步内添加步骤"),
        };
        response.response.on_hover_text(&name).accessible_name(name);
    }
}

/// Applies `edit` to `steps`; returns the step it removed, with where it was, so it can be put back.
pub(super) fn apply(steps: &mut Vec<Step>, edit: Edit) -> Option<(StepPlace, Step)> {
    match edit {
        Edit::Add { inside, step } => {
            if let Some(list) = list_at(steps, &inside) {
                list.push(step);
            }
            None
        }
        Edit::Move { at, up } => {
            let (&index, parent) = at.split_last()?;
            let list = list_at(steps, parent)?;
            let other = if up { index.checked_sub(1)? } else { index + 1 };
            if index < list.len() && other < list.len() {
                list.swap(index, other);
            }
            None
        }
        Edit::Remove(at) => {
            let (&index, parent) = at.split_last()?;
            let list = list_at(steps, parent)?;
            (index < list.len()).then(|| (at.clone(), list.remove(index)))
        }
    }
}

/// Puts a removed `step` back where it was, or as near as the steps now allow: at the end of the nearest
/// list that still exists on its way.
pub(super) fn put_back(steps: &mut Vec<Step>, at: &[usize], step: Step) {
    let Some((&index, parent)) = at.split_last() else {
        return;
    };
    let depth = (0..=parent.len())
        .rev()
        .find(|&depth| list_at(steps, &parent[..depth]).is_some())
        .unwrap_or(0);
    if let Some(list) = list_at(steps, &parent[..depth]) {
        let index = if depth == parent.len() {
            index.min(list.len())
        } else {
            list.len()
        };
        list.insert(index, step);
    }
}

/// The steps of the repeat at `at` (the check's own when `at` is empty); `None` when no repeat is there.
fn list_at<'a>(steps: &'a mut Vec<Step>, at: &[usize]) -> Option<&'a mut Vec<Step>> {
    let mut list = steps;
    for &index in at {
        match list.get_mut(index)? {
            Step::Repeat { steps, .. } => list = steps,
            _ => return None,
        }
    }
    Some(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(ms: u64) -> Step {
        Step::Wait { ms }
    }

    fn repeat(steps: Vec<Step>) -> Step {
        Step::Repeat { times: 2, steps }
    }

    #[test]
    fn edits_reach_steps_inside_repeats() {
        let mut steps = vec![wait(1), repeat(vec![wait(2), wait(3)])];
        apply(
            &mut steps,
            Edit::Add {
                inside: vec![1],
                step: wait(4),
            },
        );
        assert_eq!(steps[1].children(), [wait(2), wait(3), wait(4)]);
        apply(
            &mut steps,
            Edit::Move {
                at: vec![1, 2],
                up: true,
            },
        );
        assert_eq!(steps[1].children(), [wait(2), wait(4), wait(3)]);
        // Past either end nothing moves.
        for at in [vec![1, 0], vec![1, 2]] {
            let before = steps.clone();
            let up = at[1] == 0;
            apply(&mut steps, Edit::Move { at, up });
            assert_eq!(steps, before);
        }
        let removed = apply(&mut steps, Edit::Remove(vec![1, 0]));
        assert_eq!(removed, Some((vec![1, 0], wait(2))));
        assert_eq!(steps[1].children(), [wait(4), wait(3)]);
        // A place that is not a repeat takes nothing.
        let before = steps.clone();
        apply(
            &mut steps,
            Edit::Add {
                inside: vec![0],
                step: wait(9),
            },
        );
        assert_eq!(steps, before);
    }

    #[test]
    fn a_removed_step_goes_back_where_it_was_or_as_near_as_remains() {
        let mut steps = vec![wait(1), repeat(vec![wait(2), wait(3)])];
        let (at, step) = apply(&mut steps, Edit::Remove(vec![1, 0])).unwrap();
        put_back(&mut steps, &at, step);
        assert_eq!(steps, [wait(1), repeat(vec![wait(2), wait(3)])]);
        // Its repeat went meanwhile: it goes at the end of the check.
        let (at, step) = apply(&mut steps, Edit::Remove(vec![1, 1])).unwrap();
        steps.truncate(1);
        put_back(&mut steps, &at, step);
        assert_eq!(steps, [wait(1), wait(3)]);
    }

    #[test]
    fn places_read_as_people_count() {
        assert_eq!(path_text(&[2, 1]), "3.2");
        assert_eq!(path_text(&[0]), "1");
    }
}
