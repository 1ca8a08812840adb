//! The bottom panel: the send box with its options (text or hex, escapes, line ending, checksum), Send and
//! Ctrl+Enter, history, quick commands, periodic send and file send; and the window that edits a quick
//! command.

use egui::{Key, KeyboardShortcut, Modifiers};

use super::app::{NetAssistApp, SendTarget, UiAction};
use crate::codec::{Checksum, InputMode, LineEnding, hex};
use crate::i18n::{Lang, Text};
use crate::preset::QuickCommand;

/// The keyboard shortcut that sends.
pub const SEND_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter);

/// Draws the panel.
pub fn ui(ui: &mut egui::Ui, app: &mut NetAssistApp, actions: &mut Vec<UiAction>) {
    let lang = app.settings.lang;
    options_row(ui, app, lang, actions);
    // A hex typo is named while it is typed, before anything is sent.
    let hex_typo = match app.settings.preset.send.input {
        InputMode::Hex => hex::parse(&app.settings.send_text).err(),
        InputMode::Text => None,
    };
    ui.horizontal(|ui| {
        let send_width = 110.0;
        let label = ui.label(lang.pick("Message", "发送内容"));
        let hint = match app.settings.preset.send.input {
            InputMode::Text => lang.pick(
                "Text to send (Ctrl+Enter sends)",
                "要发送的文本（Ctrl+Enter 发送）",
            ),
            InputMode::Hex => lang.pick(
                "Hex to send, e.g. AA 55 01 (Ctrl+Enter sends)",
                "要发送的十六进制，如 AA 55 01（Ctrl+Enter 发送）",
            ),
        };
        let edit = egui::TextEdit::multiline(&mut app.settings.send_text)
            .id_salt("send_text")
            .hint_text(hint)
            .desired_rows(3)
            .desired_width(ui.available_width() - send_width)
            .font(egui::TextStyle::Monospace);
        let response = ui
            .scope(|ui| {
                if hex_typo.is_some() {
                    super::outline_as_error(ui);
                }
                ui.add(edit)
            })
            .inner
            .labelled_by(label.id);
        if response.has_focus() && ui.input_mut(|i| i.consume_shortcut(&SEND_SHORTCUT)) {
            actions.push(UiAction::Send);
        }
        if response.has_focus() {
            history_keys(ui, app, actions);
        }
        ui.vertical(|ui| {
            let button = egui::Button::new(lang.pick("Send", "发送"))
                .min_size(egui::vec2(send_width - 10.0, 40.0));
            if ui
                .add(button)
                .on_hover_text(target_text(app, lang))
                .clicked()
            {
                actions.push(UiAction::Send);
            }
            history_menu(ui, app, lang, actions);
        });
    });
    let error_color = ui.visuals().error_fg_color;
    if let Some(typo) = hex_typo {
        ui.colored_label(error_color, typo.text(lang));
    } else if let Some((error, _)) = &app.send_error {
        ui.colored_label(error_color, error.text(lang));
    }
    quick_row(ui, app, lang, actions);
    periodic_and_file_row(ui, app, lang, actions);
}

fn options_row(ui: &mut egui::Ui, app: &mut NetAssistApp, lang: Lang, actions: &mut Vec<UiAction>) {
    let target = target_text(app, lang);
    let send = &mut app.settings.preset.send;
    ui.horizontal_wrapped(|ui| {
        // Switching converts what the box holds, so the app does it.
        for (input, name) in [
            (InputMode::Text, lang.pick("Text", "文本")),
            (InputMode::Hex, "HEX"),
        ] {
            if ui.radio(send.input == input, name).clicked() {
                actions.push(UiAction::SwitchInput(input));
            }
        }
        ui.add_enabled(
            send.input == InputMode::Text,
            egui::Checkbox::new(
                &mut send.escapes,
                lang.pick(r"Escapes (\r \n \x..)", r"转义（\r \n \x..）"),
            ),
        );
        let label = ui.label(lang.pick("Line end", "行尾"));
        egui::ComboBox::from_id_salt("line_ending")
            .selected_text(send.line_ending.text(lang))
            .show_ui(ui, |ui| {
                for ending in LineEnding::ALL {
                    ui.selectable_value(&mut send.line_ending, ending, ending.text(lang));
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label(lang.pick("Checksum", "校验"));
        egui::ComboBox::from_id_salt("checksum")
            .selected_text(send.checksum.text(lang))
            .show_ui(ui, |ui| {
                for checksum in Checksum::ALL {
                    ui.selectable_value(&mut send.checksum, checksum, checksum.text(lang));
                }
            })
            .response
            .labelled_by(label.id);
        ui.label(target);
    });
}

fn target_text(app: &NetAssistApp, lang: Lang) -> String {
    let to = lang.pick("to", "目标");
    match app.target {
        SendTarget::All => format!("→ {to}: {}", lang.pick("all", "全部")),
        SendTarget::Default => format!("→ {to}: {}", lang.pick("the remote", "远程")),
        SendTarget::Peer(peer) => match app.log().peer(peer) {
            Some(stats) => format!("→ {to}: {}", stats.addr),
            None => format!("→ {to}: {peer}"),
        },
    }
}

/// Alt+Up and Alt+Down in the send box walk the history, like a shell; an entry comes back as it was sent.
fn history_keys(ui: &egui::Ui, app: &NetAssistApp, actions: &mut Vec<UiAction>) {
    let history = &app.settings.history;
    if history.is_empty() {
        return;
    }
    let (up, down) = ui.input(|i| {
        (
            i.modifiers.alt && i.key_pressed(Key::ArrowUp),
            i.modifiers.alt && i.key_pressed(Key::ArrowDown),
        )
    });
    if !(up || down) {
        return;
    }
    let position = history
        .iter()
        .rposition(|h| h.text == app.settings.send_text);
    let next = match (position, up) {
        (None, true) => Some(history.len() - 1),
        (Some(i), true) => Some(i.saturating_sub(1)),
        (Some(i), false) if i + 1 < history.len() => Some(i + 1),
        _ => None,
    };
    if let Some(i) = next {
        actions.push(UiAction::Recall(i));
    }
}

fn history_menu(ui: &mut egui::Ui, app: &NetAssistApp, lang: Lang, actions: &mut Vec<UiAction>) {
    egui::ComboBox::from_id_salt("history")
        .selected_text(lang.pick("History", "历史"))
        .width(90.0)
        .show_ui(ui, |ui| {
            for (index, entry) in app.settings.history.iter().enumerate().rev() {
                let mut shown: String = entry.text.chars().take(40).collect();
                if entry.input == InputMode::Hex {
                    shown.insert_str(0, "HEX  ");
                }
                if ui
                    .selectable_label(false, shown)
                    .on_hover_text(entry.encoding.label())
                    .clicked()
                {
                    actions.push(UiAction::Recall(index));
                }
            }
        })
        .response
        .on_hover_text(lang.pick(
            "Alt+Up / Alt+Down in the send box",
            "在发送框中按 Alt+↑ / Alt+↓",
        ));
}

fn quick_row(ui: &mut egui::Ui, app: &mut NetAssistApp, lang: Lang, actions: &mut Vec<UiAction>) {
    // Wrapped: however many there are, they take more rows, not more width.
    ui.horizontal_wrapped(|ui| {
        ui.label(lang.pick("Quick:", "快捷指令："));
        let count = app.settings.preset.quick.len();
        for (index, quick) in app.settings.preset.quick.iter().enumerate() {
            let response = ui
                .button(quick.name.as_str())
                .on_hover_text(quick.text.as_str());
            if response.clicked() {
                actions.push(UiAction::SendQuick(index));
            }
            response.context_menu(|ui| {
                if ui.button(lang.pick("Edit…", "编辑…")).clicked() {
                    actions.push(UiAction::EditQuick(index));
                }
                if ui
                    .add_enabled(index > 0, egui::Button::new(lang.pick("Move left", "左移")))
                    .clicked()
                {
                    actions.push(UiAction::MoveQuick {
                        from: index,
                        to: index - 1,
                    });
                }
                if ui
                    .add_enabled(
                        index + 1 < count,
                        egui::Button::new(lang.pick("Move right", "右移")),
                    )
                    .clicked()
                {
                    actions.push(UiAction::MoveQuick {
                        from: index,
                        to: index + 1,
                    });
                }
                if ui.button(lang.pick("Remove", "删除")).clicked() {
                    actions.push(UiAction::RemoveQuick(index));
                }
            });
        }
        if ui
            .small_button(lang.pick("+ Add from send box", "+ 用发送框内容添加"))
            .on_hover_text(lang.pick(
                "Right-click a quick button to edit, move or remove it",
                "右键快捷按钮可编辑、移动或删除",
            ))
            .clicked()
            && !app.settings.send_text.is_empty()
        {
            let text = app.settings.send_text.clone();
            let name: String = text.chars().take(12).collect();
            app.settings.preset.quick.push(QuickCommand { name, text });
        }
    });
}

/// The window that edits one quick command: its name and what it sends, with moving and removing. A
/// window of its own, so clicking into its fields does not close it as a menu would.
pub fn quick_edit_window(ctx: &egui::Context, app: &mut NetAssistApp, actions: &mut Vec<UiAction>) {
    let Some(index) = app.quick_edit else {
        return;
    };
    let lang = app.settings.lang;
    let count = app.settings.preset.quick.len();
    let Some(quick) = app.settings.preset.quick.get_mut(index) else {
        app.quick_edit = None;
        return;
    };
    let mut open = true;
    let mut done = false;
    egui::Window::new(lang.pick("Quick command", "快捷指令"))
        .id(egui::Id::unique("quick_edit"))
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            let label = ui.label(lang.pick("Name", "名称"));
            ui.text_edit_singleline(&mut quick.name)
                .labelled_by(label.id);
            let label = ui.label(lang.pick("Sends", "发送内容"));
            ui.text_edit_multiline(&mut quick.text)
                .labelled_by(label.id);
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(index > 0, egui::Button::new(lang.pick("Move left", "左移")))
                    .clicked()
                {
                    actions.push(UiAction::MoveQuick {
                        from: index,
                        to: index - 1,
                    });
                }
                if ui
                    .add_enabled(
                        index + 1 < count,
                        egui::Button::new(lang.pick("Move right", "右移")),
                    )
                    .clicked()
                {
                    actions.push(UiAction::MoveQuick {
                        from: index,
                        to: index + 1,
                    });
                }
                if ui.button(lang.pick("Remove", "删除")).clicked() {
                    actions.push(UiAction::RemoveQuick(index));
                }
                done = ui.button(lang.pick("Done", "完成")).clicked();
            });
        });
    if !open || done {
        app.quick_edit = None;
    }
}

fn periodic_and_file_row(
    ui: &mut egui::Ui,
    app: &mut NetAssistApp,
    lang: Lang,
    actions: &mut Vec<UiAction>,
) {
    ui.horizontal_wrapped(|ui| {
        let running = app.periodic.is_some_and(|p| p.running);
        let label = ui.label(lang.pick("Every (ms)", "间隔（毫秒）"));
        ui.add(
            egui::TextEdit::singleline(&mut app.settings.preset.periodic_ms).desired_width(60.0),
        )
        .labelled_by(label.id);
        let label = ui.label(lang.pick("Times (empty: endless)", "次数（空为一直）"));
        ui.add(
            egui::TextEdit::singleline(&mut app.settings.preset.periodic_count).desired_width(60.0),
        )
        .labelled_by(label.id);
        if running {
            if ui
                .button(lang.pick("Stop periodic", "停止定时发送"))
                .clicked()
            {
                actions.push(UiAction::StopPeriodic);
            }
        } else if ui
            .button(lang.pick("Start periodic", "开始定时发送"))
            .clicked()
        {
            actions.push(UiAction::StartPeriodic);
        }
        if let Some(periodic) = app.periodic {
            ui.label(format!("{} {}", lang.pick("sent", "已发送"), periodic.sent));
            // Ticks not sent are shown, never only missing from the count.
            if periodic.skipped > 0 {
                ui.label(
                    egui::RichText::new(format!(
                        "{} {}",
                        lang.pick("skipped", "跳过"),
                        periodic.skipped
                    ))
                    .color(ui.visuals().warn_fg_color),
                )
                .on_hover_text(lang.pick(
                    "Ticks not sent: the network thread woke too many periods late to catch up (a busy \
                     or suspended computer), and they were not sent all at once.",
                    "未发送的次数：网络线程醒来时已迟了太多个周期（电脑繁忙或休眠），无法补发，也没有一次集中发出。",
                ));
            }
        }
        ui.separator();
        match &app.file {
            Some(file) => {
                ui.add(
                    egui::ProgressBar::new(file.progress())
                        .desired_width(160.0)
                        .show_percentage()
                        .text(file.name.clone()),
                );
                if ui.button(lang.pick("Cancel", "取消")).clicked() {
                    actions.push(UiAction::CancelFile);
                }
            }
            None => {
                if ui.button(lang.pick("Send file…", "发送文件…")).clicked() {
                    actions.push(UiAction::SendFile);
                }
            }
        }
    });
}
