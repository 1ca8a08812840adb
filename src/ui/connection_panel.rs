//! The left panel: the session's mode and addresses with the Open/Close button, then how received data is
//! shown and split into messages.

use egui::RichText;

use super::app::{NetAssistApp, UiAction};
use crate::codec::{
    ControlStyle, Framing, InputMode, LengthPrefix, SendError, SendOptions, TextEncoding,
    decode_for_display,
};
use crate::i18n::{Lang, Text};
use crate::preset::{DataView, Field, FieldError, ModeKind};

/// Draws the panel; what needs more than a settings change goes into `actions`.
pub fn ui(ui: &mut egui::Ui, app: &mut NetAssistApp, actions: &mut Vec<UiAction>) {
    let lang = app.settings.lang;
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.heading(lang.pick("Network", "网络设置"));
        let open = app.is_open();
        ui.add_enabled_ui(!open, |ui| network_fields(ui, app, lang));
        // Open stays right under the addresses, where a 1024x768 screen shows it whatever TLS options
        // follow.
        open_close_button(ui, app, lang, actions);
        let wrong = app.field_error.as_ref().map(|(e, _)| e.field);
        if let Some((error, _)) = &app.field_error {
            ui.colored_label(ui.visuals().error_fg_color, error.text(lang));
        }
        if let Some(certificate) = app.log().certificate().filter(|_| open) {
            super::tls_options::presented_ui(ui, certificate, lang);
        }
        ui.add_enabled_ui(!open, |ui| {
            super::tls_options::tls_ui(ui, app, wrong, lang, actions);
        });
        ui.horizontal_wrapped(|ui| {
            if ui.button(lang.pick("Reply rules…", "回复规则…")).clicked() {
                app.rules_panel.open = true;
            }
            let on = app
                .settings
                .preset
                .rules
                .iter()
                .filter(|r| r.enabled)
                .count();
            ui.label(format!("{on} {}", lang.pick("on", "条启用")));
        });
        if app.settings.preset.mode == ModeKind::TcpServer {
            ui.horizontal_wrapped(|ui| {
                let label = ui.label(lang.pick(
                    "No client after (s): offer a diagnosis",
                    "多少秒无客户端时提示诊断",
                ));
                ui.add(egui::DragValue::new(&mut app.settings.no_client_secs).range(0..=3600))
                    .labelled_by(label.id)
                    .on_hover_text(lang.pick("0: never", "0：不提示"));
            });
        }
        ui.separator();
        receive_options(ui, app, lang, actions);
    });
}

fn network_fields(ui: &mut egui::Ui, app: &mut NetAssistApp, lang: Lang) {
    let wrong = app.field_error.as_ref().map(|(e, _)| e.field);
    let settings = &mut app.settings;
    let label = ui.label(lang.pick("Mode", "协议类型"));
    let before = settings.preset.mode;
    egui::ComboBox::from_id_salt("mode")
        .selected_text(settings.preset.mode.label(lang))
        .show_ui(ui, |ui| {
            for mode in ModeKind::ALL {
                ui.selectable_value(&mut settings.preset.mode, mode, mode.label(lang));
            }
        })
        .response
        .labelled_by(label.id);
    if before != ModeKind::Relay && settings.preset.mode == ModeKind::Relay {
        clear_default_target(&mut settings.preset);
    }

    let local_label = match settings.preset.mode {
        ModeKind::TcpClient => lang.pick("Local IP (optional)", "本地 IP（可选）"),
        ModeKind::TcpServer | ModeKind::Udp | ModeKind::Relay => lang.pick("Local IP", "本地 IP"),
    };
    local_ip_choices(ui, &app.interfaces, &mut settings.preset.local_ip, lang);
    field(
        ui,
        &mut settings.preset.local_ip,
        local_label,
        wrong == Some(Field::LocalIp),
    );
    if settings.preset.mode != ModeKind::TcpClient {
        let label = lang.pick("Local port", "本地端口");
        field(
            ui,
            &mut settings.preset.local_port,
            label,
            wrong == Some(Field::LocalPort),
        );
    }
    if settings.preset.mode != ModeKind::TcpServer {
        let (host, port) = match settings.preset.mode {
            ModeKind::TcpClient => (
                lang.pick("Server host", "服务器地址"),
                lang.pick("Server port", "服务器端口"),
            ),
            ModeKind::Relay => (
                lang.pick("Target host", "目标地址"),
                lang.pick("Target port", "目标端口"),
            ),
            _ => (
                lang.pick("Remote IP (optional)", "远程 IP（可选）"),
                lang.pick("Remote port", "远程端口"),
            ),
        };
        let hint = (settings.preset.mode == ModeKind::Relay)
            .then(|| lang.pick("the server the device talks to", "设备原本连接的服务器"));
        hinted_field(
            ui,
            &mut settings.preset.remote_host,
            host,
            hint,
            wrong == Some(Field::RemoteHost),
        );
        field(
            ui,
            &mut settings.preset.remote_port,
            port,
            wrong == Some(Field::RemotePort),
        );
    }
    match settings.preset.mode {
        ModeKind::TcpServer | ModeKind::Relay => {
            let label = lang.pick("Max clients (empty: no limit)", "最大客户端数（空为不限）");
            field(
                ui,
                &mut settings.preset.max_clients,
                label,
                wrong == Some(Field::MaxClients),
            );
        }
        ModeKind::Udp => {
            ui.checkbox(
                &mut settings.preset.broadcast,
                lang.pick("Broadcast", "广播"),
            );
            let label = lang.pick("Multicast group (optional)", "组播地址（可选）");
            field(
                ui,
                &mut settings.preset.multicast_group,
                label,
                wrong == Some(Field::Multicast),
            );
        }
        ModeKind::TcpClient => {}
    }
    if matches!(settings.preset.mode, ModeKind::TcpServer | ModeKind::Udp) {
        ui.checkbox(
            &mut settings.preset.echo,
            lang.pick("Echo back what is received", "回显（收到即原样发回）"),
        );
    }
}

/// A drop-down of this PC's addresses that fills the local IP field.
fn local_ip_choices(
    ui: &mut egui::Ui,
    interfaces: &[(String, crate::addr::ScopedIp)],
    local_ip: &mut String,
    lang: Lang,
) {
    let label = lang.pick("This PC's addresses", "本机地址");
    egui::ComboBox::from_id_salt("local_ip_choices")
        .selected_text(label)
        .show_ui(ui, |ui| {
            for (name, ip) in interfaces {
                let text = ip.to_string();
                if ui
                    .selectable_label(*local_ip == text, format!("{text}  ({name})"))
                    .clicked()
                {
                    *local_ip = text;
                }
            }
        })
        .response
        .on_hover_text(label);
}

/// A labelled single-line field, outlined in the theme's error colour when `wrong`.
fn field(ui: &mut egui::Ui, text: &mut String, label: &str, wrong: bool) {
    hinted_field(ui, text, label, None, wrong);
}

/// A labelled text field, showing `hint` while it is empty.
fn hinted_field(
    ui: &mut egui::Ui,
    text: &mut String,
    label: &str,
    hint: Option<&str>,
    wrong: bool,
) {
    let label = ui.label(label);
    ui.scope(|ui| {
        if wrong {
            super::outline_as_error(ui);
        }
        let edit = egui::TextEdit::singleline(text).desired_width(f32::INFINITY);
        ui.add(match hint {
            Some(hint) => edit.hint_text(hint),
            None => edit,
        })
    })
    .inner
    .labelled_by(label.id);
}

/// Switching to relay mode: a target still at the client's default (this PC, port 10000) would relay
/// to this PC, and with the default listening port to the relay itself; the user types the server
/// instead.
fn clear_default_target(preset: &mut crate::preset::Preset) {
    let default = crate::preset::Preset::default();
    if preset.remote_host == default.remote_host && preset.remote_port == default.remote_port {
        preset.remote_host.clear();
    }
}

fn open_close_button(
    ui: &mut egui::Ui,
    app: &NetAssistApp,
    lang: Lang,
    actions: &mut Vec<UiAction>,
) {
    ui.add_space(6.0);
    // The theme's colours: the selection's for Open (the main action), the error's for Close.
    let visuals = ui.visuals();
    let (text, fill, text_color, action) = if app.is_open() {
        (
            lang.pick("Close", "关闭"),
            visuals.error_fg_color,
            visuals.extreme_bg_color,
            UiAction::Close,
        )
    } else {
        (
            lang.pick("Open", "打开"),
            visuals.selection.bg_fill,
            visuals.selection.stroke.color,
            UiAction::Open,
        )
    };
    let button = egui::Button::new(RichText::new(text).color(text_color).strong())
        .fill(fill)
        .min_size(egui::vec2(ui.available_width(), 32.0));
    if ui.add(button).clicked() {
        actions.push(action);
    }
}

fn receive_options(
    ui: &mut egui::Ui,
    app: &mut NetAssistApp,
    lang: Lang,
    actions: &mut Vec<UiAction>,
) {
    let NetAssistApp {
        settings,
        earlier_framings,
        delimiter_typed,
        ..
    } = app;
    ui.heading(lang.pick("Receive", "接收设置"));
    ui.horizontal_wrapped(|ui| {
        ui.radio_value(
            &mut settings.preset.view,
            DataView::Text,
            lang.pick("Show text", "显示文本"),
        );
        ui.radio_value(
            &mut settings.preset.view,
            DataView::Hex,
            lang.pick("Show hex", "显示 HEX"),
        );
        ui.radio_value(
            &mut settings.preset.view,
            DataView::Both,
            lang.pick("Both", "两者"),
        );
    });
    let label = ui.label(lang.pick("Encoding", "编码"));
    let before = settings.preset.encoding;
    egui::ComboBox::from_id_salt("encoding")
        .selected_text(settings.preset.encoding.label())
        .show_ui(ui, |ui| {
            for encoding in TextEncoding::ALL {
                ui.selectable_value(&mut settings.preset.encoding, encoding, encoding.label());
            }
        })
        .response
        .labelled_by(label.id);
    // Rules match and reply in the session's encoding, so the open session gets them again.
    if settings.preset.encoding != before && !settings.preset.rules.is_empty() {
        actions.push(UiAction::RulesChanged);
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(lang.pick("Control characters", "控制字符"));
        ui.radio_value(
            &mut settings.preset.control_style,
            ControlStyle::Escapes,
            lang.pick("Escapes", "转义"),
        );
        ui.radio_value(
            &mut settings.preset.control_style,
            ControlStyle::Symbols,
            lang.pick("Symbols", "符号"),
        );
    });

    let before = settings.preset.framing.clone();
    let label = ui.label(lang.pick("Split messages by", "分包方式"));
    egui::ComboBox::from_id_salt("framing")
        .selected_text(framing_label(&settings.preset.framing, lang))
        .show_ui(ui, |ui| {
            for mode in Framing::modes() {
                let selected = std::mem::discriminant(&mode)
                    == std::mem::discriminant(&settings.preset.framing);
                if ui
                    .selectable_label(selected, framing_label(&mode, lang))
                    .clicked()
                    && !selected
                {
                    // A mode picked again comes back as it was left (the delimiter typed before).
                    let earlier = earlier_framings
                        .iter()
                        .position(|f| std::mem::discriminant(f) == std::mem::discriminant(&mode))
                        .map(|index| earlier_framings.swap_remove(index));
                    let left =
                        std::mem::replace(&mut settings.preset.framing, earlier.unwrap_or(mode));
                    earlier_framings.push(left);
                }
            }
        })
        .response
        .labelled_by(label.id);
    framing_parameters(ui, settings, delimiter_typed, lang);
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(lang.pick("Log memory (MiB)", "记录内存上限（MiB）"));
        ui.add(egui::DragValue::new(&mut settings.log_mib).range(1..=4096))
            .labelled_by(label.id)
            .on_hover_text(lang.pick(
                "The oldest rows are dropped beyond this; counters stay exact. Takes effect at the next start.",
                "超过后丢弃最旧的记录，计数仍准确。下次启动时生效。",
            ));
    });
    if settings.preset.framing != before {
        actions.push(UiAction::Reframe);
    }
}

fn framing_label(framing: &Framing, lang: Lang) -> &'static str {
    match framing {
        Framing::Raw => lang.pick("As received (raw)", "按接收（不分包）"),
        Framing::Delimiter { .. } => lang.pick("Delimiter", "分隔符"),
        Framing::FixedLength { .. } => lang.pick("Fixed length", "固定长度"),
        Framing::LengthPrefix { .. } => lang.pick("Length prefix", "长度前缀"),
        Framing::IdleGap { .. } => lang.pick("Idle gap", "空闲间隔"),
    }
}

/// What is wrong with a delimiter as typed, as an error at its field; `None` when it is a delimiter.
pub(crate) fn delimiter_error(typed: &str) -> Option<FieldError> {
    match parse_delimiter(typed) {
        Ok(bytes) if !bytes.is_empty() => None,
        Ok(_) => Some(FieldError::new(
            Field::Delimiter,
            "A delimiter needs at least one byte.".to_owned(),
            "分隔符至少一个字节。".to_owned(),
        )),
        Err(error) => Some(FieldError::new(
            Field::Delimiter,
            format!("Delimiter: {error}"),
            format!("分隔符：{}", error.zh()),
        )),
    }
}

/// Reads a delimiter as typed: text with escapes (`\r\n`, `\x03`), at least one byte.
fn parse_delimiter(typed: &str) -> Result<Vec<u8>, SendError> {
    SendOptions {
        input: InputMode::Text,
        escapes: true,
        ..SendOptions::default()
    }
    .build(typed)
}

/// The delimiter's bytes as they are typed: the escapes style reads back as the same bytes.
fn delimiter_shown(delimiter: &[u8]) -> String {
    decode_for_display(delimiter, TextEncoding::Utf8, ControlStyle::Escapes)
}

fn framing_parameters(
    ui: &mut egui::Ui,
    settings: &mut super::settings::Settings,
    delimiter_typed: &mut Option<(String, Vec<u8>)>,
    lang: Lang,
) {
    match &mut settings.preset.framing {
        Framing::Raw => {}
        Framing::Delimiter { delimiter, keep } => {
            let label = ui.label(lang.pick(
                r"Delimiter (text, escapes like \r\n or \x03)",
                r"分隔符（文本，可用 \r\n、\x03 等转义）",
            ));
            // The framing's bytes are the delimiter; the field shows them, or what is being typed while
            // it is not (yet) a delimiter or is written another way.
            if delimiter_typed
                .as_ref()
                .is_some_and(|(_, bytes)| bytes != delimiter)
            {
                *delimiter_typed = None;
            }
            let mut text = delimiter_typed
                .as_ref()
                .map_or_else(|| delimiter_shown(delimiter), |(typed, _)| typed.clone());
            let wrong = delimiter_error(&text).is_some();
            let response = ui
                .scope(|ui| {
                    if wrong {
                        super::outline_as_error(ui);
                    }
                    ui.add(egui::TextEdit::singleline(&mut text).desired_width(f32::INFINITY))
                })
                .inner
                .labelled_by(label.id);
            if response.changed()
                && let Ok(bytes) = parse_delimiter(&text)
                && !bytes.is_empty()
            {
                *delimiter = bytes;
            }
            if let Some(error) = delimiter_error(&text) {
                ui.colored_label(ui.visuals().error_fg_color, error.text(lang));
            }
            let settled = !response.has_focus() && !wrong;
            *delimiter_typed =
                (!settled && text != delimiter_shown(delimiter)).then(|| (text, delimiter.clone()));
            ui.checkbox(keep, lang.pick("Keep the delimiter", "保留分隔符"));
        }
        Framing::FixedLength { len } => {
            ui.horizontal_wrapped(|ui| {
                ui.label(lang.pick("Bytes per message", "每包字节数"));
                ui.add(egui::DragValue::new(len).range(1..=1 << 20));
            });
        }
        Framing::LengthPrefix {
            prefix,
            counts_header,
        } => {
            egui::ComboBox::from_id_salt("prefix")
                .selected_text(prefix.label())
                .show_ui(ui, |ui| {
                    for choice in LengthPrefix::ALL {
                        ui.selectable_value(prefix, choice, choice.label());
                    }
                });
            ui.checkbox(
                counts_header,
                lang.pick("Length includes the header", "长度包含头部"),
            );
        }
        Framing::IdleGap { gap_ms } => {
            ui.horizontal_wrapped(|ui| {
                ui.label(lang.pick("Silence ends a message (ms)", "静默多久算一包（毫秒）"));
                ui.add(egui::DragValue::new(gap_ms).range(1..=60_000));
            });
        }
    }
}
