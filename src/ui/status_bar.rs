//! The status bar: session state, local address, counters, connections, the last message in plain words,
//! and the language and theme switches.

use egui::Color32;

use super::app::{NetAssistApp, UiAction};
use crate::i18n::Lang;
use crate::preset::ModeKind;

/// Draws the bar.
pub fn ui(ui: &mut egui::Ui, app: &mut NetAssistApp, actions: &mut Vec<UiAction>) {
    let lang = app.settings.lang;
    ui.horizontal_wrapped(|ui| {
        let (state, color) = state_text(app, lang);
        ui.colored_label(color, state);
        ui.separator();
        let totals = app.log().totals();
        ui.label(format!(
            "RX {} B / {} {} · TX {} B / {} {}",
            totals.rx_bytes,
            totals.rx_messages,
            lang.pick("msgs", "条"),
            totals.tx_bytes,
            totals.tx_messages,
            lang.pick("msgs", "条"),
        ));
        ui.separator();
        ui.label(format!("{} {}", lang.pick("Connections:", "连接数："), app.log().connected_peers()));
        let dropped = app.log().dropped_datagrams();
        if dropped > 0 {
            ui.separator();
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("{} {dropped}", lang.pick("Dropped by the OS:", "被系统丢弃：")),
            )
            .on_hover_text(lang.pick(
                "UDP datagrams the OS dropped because the socket's receive buffer was full. \
                 A larger receive buffer in the preset, or a sender that pauses, loses fewer.",
                "接收缓冲区已满时被系统丢弃的 UDP 数据报。在预设中调大接收缓冲区，或让发送方放慢，可减少丢失。",
            ));
        }
        if ui.small_button(lang.pick("Reset counters", "计数清零")).clicked() {
            actions.push(UiAction::ResetCounters);
        }
        ui.separator();
        if ui.small_button(lang.switch_label()).clicked() {
            app.settings.lang = lang.other();
        }
        theme_choice(ui, &mut app.settings.theme, lang);
        if app.cjk_font == Some(false) {
            ui.colored_label(
                Color32::from_rgb(0xE0, 0x90, 0x20),
                "No Chinese font found: Chinese text shows as boxes. Install one (Linux: fonts-wqy-microhei).",
            );
        }
    });
    if let Some(notice) = app.notice() {
        let color = if notice.is_error {
            Color32::from_rgb(0xE0, 0x40, 0x40)
        } else {
            ui.visuals().text_color()
        };
        ui.colored_label(color, notice.text(lang));
    }
}

fn state_text(app: &NetAssistApp, lang: Lang) -> (String, Color32) {
    let green = Color32::from_rgb(0x3C, 0xB0, 0x4C);
    let Some(mode) = app.open_mode() else {
        return (lang.pick("● Closed", "● 未打开").to_owned(), Color32::GRAY);
    };
    let local = app
        .log()
        .local_addr()
        .map_or_else(String::new, |a| a.to_string());
    let text = match mode {
        ModeKind::TcpServer if !local.is_empty() => {
            format!("{} {local}", lang.pick("● Listening on", "● 正在监听"))
        }
        ModeKind::Udp if !local.is_empty() => {
            format!("{} {local}", lang.pick("● UDP open on", "● UDP 已打开"))
        }
        ModeKind::TcpClient if app.log().connected_peers() > 0 => {
            format!(
                "{} {local}",
                lang.pick("● Connected from", "● 已连接，本地")
            )
        }
        ModeKind::TcpClient => lang.pick("● Connecting…", "● 正在连接…").to_owned(),
        _ => lang.pick("● Opening…", "● 正在打开…").to_owned(),
    };
    (text, green)
}

/// Light, dark, or following the system, as three small toggles.
fn theme_choice(ui: &mut egui::Ui, theme: &mut egui::ThemePreference, lang: Lang) {
    for (choice, label) in [
        (
            egui::ThemePreference::System,
            lang.pick("System theme", "跟随系统"),
        ),
        (egui::ThemePreference::Light, lang.pick("Light", "浅色")),
        (egui::ThemePreference::Dark, lang.pick("Dark", "深色")),
    ] {
        ui.selectable_value(theme, choice, label);
    }
}
