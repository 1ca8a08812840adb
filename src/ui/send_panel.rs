//! The bottom panel: the send box with its options (text or hex, escapes, line ending, checksum), Send and
//! Ctrl+Enter, history, quick commands, periodic send and file send; and the window that edits a quick
//! command.

use std::borrow::Cow;

use egui::{Key, KeyboardShortcut, Modifiers};

use super::app::{NetAssistApp, SendTarget, UiAction};
use crate::codec::{
    Checksum, InputMode, LineEnding, Scope, SendError, SendOptions, Template, TextEncoding,
};
use crate::i18n::{Lang, Text};
use crate::preset::QuickCommand;

/// The keyboard shortcut that sends.
pub const SEND_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter);

/// The most of the window's height the send box takes; longer input scrolls inside it, so the controls
/// below it, the status bar and the menu stay in the window.
const SEND_BOX_SHARE: f32 = 0.3;

/// The most characters a quick command's button shows of its name; a longer name loses its middle.
const QUICK_LABEL_CHARS: usize = 24;

/// Draws the panel.
pub fn ui(ui: &mut egui::Ui, app: &mut NetAssistApp, actions: &mut Vec<UiAction>) {
    let lang = app.settings.lang;
    options_row(ui, app, lang, actions);
    // A typo (hex, escape, a character the encoding cannot write, a variable) is named while it is typed.
    let typo = typo(&app.settings.send_text, app.settings.preset.send);
    let max_height = ui.ctx().content_rect().height() * SEND_BOX_SHARE;
    ui.horizontal(|ui| {
        let send_width = 110.0;
        let label = ui
            .label(lang.pick("Message", "发送内容"))
            .on_hover_text(variables_help(lang));
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
        let width = ui.available_width() - send_width;
        let edit = egui::TextEdit::multiline(&mut app.settings.send_text)
            .id_salt("send_text")
            .hint_text(hint)
            .desired_rows(3)
            .desired_width(width)
            .font(egui::TextStyle::Monospace);
        let response = ui
            .scope(|ui| {
                if typo.is_some() {
                    super::outline_as_error(ui);
                }
                egui::ScrollArea::vertical()
                    .id_salt("send_text scroll")
                    .max_height(max_height)
                    .max_width(width)
                    .show(ui, |ui| ui.add(edit))
                    .inner
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
    // One line, there with or without a message, so the controls below do not move when one appears and
    // stay in view on a small screen; a longer message ends in … and shows whole on hover.
    let message = match (&typo, &app.send_error) {
        (Some(typo), _) => Some((typo.text(lang), error_color)),
        // Not a failure: a warning about what a switch between text and hex changed.
        (None, Some((notice, _))) if !notice.is_error => {
            Some((notice.text(lang).to_owned(), ui.visuals().warn_fg_color))
        }
        (None, Some((notice, _))) => Some((notice.text(lang).to_owned(), error_color)),
        (None, None) => None,
    };
    match message {
        Some((text, color)) => {
            ui.add(egui::Label::new(egui::RichText::new(text).color(color)).truncate());
        }
        None => {
            ui.label("");
        }
    }
    quick_row(ui, app, lang, typo.is_none(), actions);
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
        let label = ui.label(lang.pick("Send encoding", "发送编码"));
        encoding_combo(ui, "send_encoding", &mut send.encoding)
            .on_hover_text(lang.pick(
                "How text is written as bytes when sent; the log is shown in the Encoding of the \
                 settings panel",
                "发送时文本转换为字节所用的编码；日志按设置面板中的“编码”显示",
            ))
            .labelled_by(label.id);
        escapes_checkbox(ui, send.input, &mut send.escapes, lang);
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

/// The encoding combo box, with `id` to tell it from others.
fn encoding_combo(ui: &mut egui::Ui, id: &str, encoding: &mut TextEncoding) -> egui::Response {
    egui::ComboBox::from_id_salt(id)
        .selected_text(encoding.label())
        .width(80.0)
        .show_ui(ui, |ui| {
            for choice in TextEncoding::ALL {
                ui.selectable_value(encoding, choice, choice.label());
            }
        })
        .response
}

/// The escapes switch, which only text reads.
fn escapes_checkbox(ui: &mut egui::Ui, input: InputMode, escapes: &mut bool, lang: Lang) {
    ui.add_enabled(
        input == InputMode::Text,
        egui::Checkbox::new(
            escapes,
            lang.pick(r"Escapes (\r \n \x..)", r"转义（\r \n \x..）"),
        ),
    );
}

/// What is wrong with `text` read with `options`, if anything: a hex or escape typo, a character the
/// encoding cannot write, a variable that does not exist (with its position), or text that makes no bytes.
/// An empty box is not a typo: there is nothing typed yet.
fn typo(text: &str, options: SendOptions) -> Option<SendError> {
    if text.is_empty() {
        return None;
    }
    Template::parse_send(text, &options, Scope::SEND).err()
}

/// What the send box's label says about variables when hovered.
fn variables_help(lang: Lang) -> String {
    let known = crate::codec::template::known(false);
    lang.pick_owned(
        &format!(
            "Variables, filled in for each send: {known}. A checksum covers the bytes before it; \
             {{sum8:2}} starts at byte 2. {{{{ writes {{."
        ),
        &format!(
            "变量，每次发送时填入：{known}。校验覆盖它前面的字节；{{sum8:2}} 从第 2 个字节起算。{{{{ 表示字面的 {{。"
        ),
    )
}

/// The typo in `error`, if any, in the theme's error colour.
fn typo_ui(ui: &mut egui::Ui, error: Option<SendError>, lang: Lang) {
    if let Some(error) = error {
        ui.colored_label(ui.visuals().error_fg_color, error.text(lang));
    }
}

/// `name` as a button shows it: whole when short, otherwise its start and end around an ellipsis, so
/// names that differ only at the end (`LONG_COMMAND_NAME_01`, `…_02`) still read apart.
#[must_use]
pub fn short_label(name: &str) -> Cow<'_, str> {
    let count = name.chars().count();
    if count <= QUICK_LABEL_CHARS {
        return Cow::Borrowed(name);
    }
    let tail = (QUICK_LABEL_CHARS - 1) / 2;
    let head = QUICK_LABEL_CHARS - 1 - tail;
    let mut short: String = name.chars().take(head).collect();
    short.push('…');
    short.extend(name.chars().skip(count - tail));
    Cow::Owned(short)
}

fn target_text(app: &NetAssistApp, lang: Lang) -> String {
    let to = lang.pick("to", "目标");
    match app.target {
        SendTarget::All => format!("→ {to}: {}", lang.pick("all", "全部")),
        SendTarget::Default => format!("→ {to}: {}", lang.pick("the remote", "远程")),
        SendTarget::Peer(peer) => match app.log().peer(peer) {
            Some(stats) if stats.closed.is_some() => format!(
                "→ {to}: {} ({})",
                stats.addr,
                lang.pick("disconnected", "已断开")
            ),
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

/// The quick command buttons, and the button that adds the send box as one (only while it holds no typo,
/// so a quick command never holds a mistake).
fn quick_row(
    ui: &mut egui::Ui,
    app: &mut NetAssistApp,
    lang: Lang,
    send_box_ok: bool,
    actions: &mut Vec<UiAction>,
) {
    // Wrapped: however many there are, they take more rows, not more width.
    ui.horizontal_wrapped(|ui| {
        ui.label(lang.pick("Quick:", "快捷指令："));
        let count = app.settings.preset.quick.len();
        for (index, quick) in app.settings.preset.quick.iter().enumerate() {
            let name = short_label(&quick.name);
            let (button, read_as) = match quick.input {
                InputMode::Hex => (
                    egui::Button::new((egui::RichText::new("HEX").small().weak(), name.as_ref())),
                    "HEX",
                ),
                InputMode::Text => (egui::Button::new(name.as_ref()), quick.encoding.label()),
            };
            let response = ui
                .add(button)
                .on_hover_text(format!("{}  ({read_as})\n{}", quick.name, quick.text));
            if response.clicked() {
                actions.push(UiAction::SendQuick(index));
            }
            response.context_menu(|ui| {
                if ui.button(lang.pick("Edit…", "编辑…")).clicked() {
                    actions.push(UiAction::EditQuick(index));
                }
                order_buttons(ui, index, count, lang, actions);
            });
        }
        if ui
            .add_enabled(
                send_box_ok,
                egui::Button::new(lang.pick("+ Add from send box", "+ 用发送框内容添加")).small(),
            )
            .on_hover_text(lang.pick(
                "Right-click a quick button to edit, move or remove it",
                "右键快捷按钮可编辑、移动或删除",
            ))
            .on_disabled_hover_text(lang.pick(
                "Fix the send box first: its error is shown under it",
                "请先修正发送框：错误显示在其下方",
            ))
            .clicked()
            && !app.settings.send_text.is_empty()
        {
            let text = app.settings.send_text.clone();
            let first_line = text.lines().next().unwrap_or_default();
            let name = short_label(first_line).into_owned();
            let send = app.settings.preset.send;
            app.settings.preset.quick.push(QuickCommand {
                name,
                text,
                input: send.input,
                encoding: send.encoding,
                escapes: send.escapes,
            });
        }
    });
}

/// The window that edits one quick command: its name, what it sends and how that is read (text in an
/// encoding, or hex), with moving and removing. A window of its own, so clicking into its fields does not
/// close it as a menu would.
pub fn quick_edit_window(ctx: &egui::Context, app: &mut NetAssistApp, actions: &mut Vec<UiAction>) {
    let Some(index) = app.quick_edit else {
        return;
    };
    let lang = app.settings.lang;
    let count = app.settings.preset.quick.len();
    let send = app.settings.preset.send;
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
            ui.horizontal(|ui| {
                let label = ui.label(lang.pick("Read as", "读作"));
                read_as_combo(
                    ui,
                    "quick_read_as",
                    &mut quick.input,
                    &mut quick.encoding,
                    lang,
                )
                .labelled_by(label.id);
                escapes_checkbox(ui, quick.input, &mut quick.escapes, lang);
            });
            // A quick command sends something: empty, it has nothing to send.
            let typo = if quick.text.is_empty() {
                Some(SendError::Nothing)
            } else {
                typo(&quick.text, quick.options(send))
            };
            let label = ui.label(lang.pick("Sends", "发送内容"));
            ui.scope(|ui| {
                if typo.is_some() {
                    super::outline_as_error(ui);
                }
                ui.text_edit_multiline(&mut quick.text)
            })
            .inner
            .labelled_by(label.id);
            let ok = typo.is_none();
            typo_ui(ui, typo, lang);
            ui.horizontal(|ui| {
                order_buttons(ui, index, count, lang, actions);
                // A quick command never holds a mistake, as one added from the send box cannot.
                done = ui
                    .add_enabled(ok, egui::Button::new(lang.pick("Done", "完成")))
                    .on_disabled_hover_text(lang.pick(
                        "Fix what it sends first: the error is shown above",
                        "请先修正发送内容：错误显示在上方",
                    ))
                    .clicked();
            });
        });
    if !open || done {
        app.quick_edit = None;
    }
}

/// How a quick command's or a check's send step's text is read: text in one of the encodings, or hex.
/// Choosing hex keeps the encoding, so choosing text again comes back to it.
pub(crate) fn read_as_combo(
    ui: &mut egui::Ui,
    id_salt: impl egui::AsIdSalt,
    input: &mut InputMode,
    encoding: &mut TextEncoding,
    lang: Lang,
) -> egui::Response {
    egui::ComboBox::from_id_salt(id_salt)
        .selected_text(read_as_text(*input, *encoding, lang))
        .show_ui(ui, |ui| {
            for choice in TextEncoding::ALL {
                let text = read_as_text(InputMode::Text, choice, lang);
                let chosen = *input == InputMode::Text && *encoding == choice;
                if ui.selectable_label(chosen, text).clicked() {
                    *input = InputMode::Text;
                    *encoding = choice;
                }
            }
            let text = read_as_text(InputMode::Hex, *encoding, lang);
            if ui
                .selectable_label(*input == InputMode::Hex, text)
                .clicked()
            {
                *input = InputMode::Hex;
            }
        })
        .response
}

/// How text to send is read, as its choice shows it: "Text, GBK" or "HEX".
fn read_as_text(input: InputMode, encoding: TextEncoding, lang: Lang) -> String {
    match input {
        InputMode::Text => format!("{}, {}", lang.pick("Text", "文本"), encoding.label()),
        InputMode::Hex => "HEX".to_owned(),
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

/// Move left, Move right and Remove for quick command `index` of `count`, in its context menu and its edit
/// window alike.
fn order_buttons(
    ui: &mut egui::Ui,
    index: usize,
    count: usize,
    lang: Lang,
    actions: &mut Vec<UiAction>,
) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_label_keeps_its_start_and_end() {
        assert_eq!(short_label("LONG_COMMAND_NAME_01"), "LONG_COMMAND_NAME_01");
        let long = "A_MUCH_LONGER_COMMAND_THAT_DOES_NOT_FIT_08";
        let short = short_label(long);
        assert_eq!(short, "A_MUCH_LONGE…_NOT_FIT_08");
        assert_eq!(short.chars().count(), QUICK_LABEL_CHARS);
        assert_eq!(
            short_label("查询温度和湿度的命令查询温度和湿度的命令查询温度和湿度的命令"),
            "查询温度和湿度的命令查询…令查询温度和湿度的命令"
        );
    }
}
