//! The status bar: session state, local address, counters, connections, the last message in plain words,
//! the offer of a diagnosis when a server has waited long for a client, and the language and theme switches.

use super::app::{NetAssistApp, UiAction};
use crate::i18n::Lang;
use crate::preset::ModeKind;
use crate::traffic::{PeerStats, RelaySide, TrafficLog};

/// Widths of the bar's controls, the same in both languages, so they stay where they are whatever the
/// language and however the counters grow.
const RESET_WIDTH: f32 = 104.0;
const LANG_WIDTH: f32 = 76.0;
const THEME_WIDTH: f32 = 120.0;

/// Draws the bar: the controls at fixed places on the right, the state and counters in the room left of
/// them (cut short, with the whole text on hover, when it is too narrow), and the last message below.
pub fn ui(ui: &mut egui::Ui, app: &mut NetAssistApp, actions: &mut Vec<UiAction>) {
    let lang = app.settings.lang;
    // One row high, whatever the panel's height was last frame.
    let row = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
    let right_to_left = egui::Layout::right_to_left(egui::Align::Center);
    ui.allocate_ui_with_layout(row, right_to_left, |ui| {
        theme_choice(ui, &mut app.settings.theme, lang);
        let switch = egui::Button::new(lang.switch_label()).min_size(egui::vec2(LANG_WIDTH, 0.0));
        if ui.add(switch).clicked() {
            app.settings.lang = lang.other();
        }
        let reset = egui::Button::new(lang.pick("Reset counters", "计数清零"))
            .min_size(egui::vec2(RESET_WIDTH, 0.0));
        if ui.add(reset).clicked() {
            actions.push(UiAction::ResetCounters);
        }
        ui.separator();
        // On the bar's own row, which has its height already: a line more would show cut off until the
        // next frame, and the offer comes at a scheduled frame with none after it.
        if app.waiting_without_clients().is_some() {
            let offer = lang.pick("No client yet — diagnose?", "还没有客户端连接——诊断一下？");
            let offer = egui::RichText::new(offer).color(ui.visuals().warn_fg_color);
            if ui.link(offer).clicked() {
                actions.push(UiAction::DiagnoseWaiting);
            }
            ui.separator();
        }
        ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
            figures_ui(ui, app, lang);
        });
    });
    if app.cjk_font == Some(false) {
        // Both languages: Chinese text is what cannot be drawn.
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "No Chinese font found: Chinese text shows as boxes. Install one (Linux: fonts-wqy-microhei). \
             未找到中文字体，中文会显示为方框。",
        );
    }
    if let Some(notice) = app.notice() {
        let color = if notice.is_error {
            ui.visuals().error_fg_color
        } else {
            ui.visuals().text_color()
        };
        ui.colored_label(color, notice.text(lang));
    }
}

/// The session's state, the totals, the connections and what the OS dropped, each cut short to fit.
fn figures_ui(ui: &mut egui::Ui, app: &NetAssistApp, lang: Lang) {
    let (state, open) = state_text(app, lang);
    let color = if open {
        ui.visuals().strong_text_color()
    } else {
        ui.visuals().weak_text_color()
    };
    let totals = app.log().totals();
    let counters = format!(
        "RX {} B / {} {} · TX {} B / {} {}",
        totals.rx_bytes,
        totals.rx_messages,
        lang.pick("msgs", "条"),
        totals.tx_bytes,
        totals.tx_messages,
        lang.pick("msgs", "条"),
    );
    let connections = if app.open_mode() == Some(ModeKind::Relay) {
        relay_text(app.log(), lang)
    } else {
        format!(
            "{} {}",
            lang.pick("Connections:", "连接数："),
            app.log().connected_peers()
        )
    };
    ui.add(egui::Label::new(egui::RichText::new(state).color(color)).truncate());
    ui.separator();
    ui.add(egui::Label::new(counters).truncate());
    ui.separator();
    ui.add(egui::Label::new(connections).truncate());
    let dropped = app.log().dropped_datagrams();
    if dropped > 0 {
        ui.separator();
        ui.add(
            egui::Label::new(
                egui::RichText::new(format!(
                    "{} {dropped}",
                    lang.pick("Dropped by the OS:", "被系统丢弃：")
                ))
                .color(ui.visuals().warn_fg_color),
            )
            .truncate(),
        )
        .on_hover_text(lang.pick(
            "UDP datagrams the OS dropped because the socket's receive buffer was full. \
             A larger receive buffer in the preset, or a sender that pauses, loses fewer.",
            "接收缓冲区已满时被系统丢弃的 UDP 数据报。在预设中调大接收缓冲区，或让发送方放慢，可减少丢失。",
        ));
    }
}

/// A relay's pairs with a side still connected, and the bytes relayed each way: what the devices sent
/// (device → server) and what the servers sent (server → device), read from each side's RX counter.
fn relay_text(log: &TrafficLog, lang: Lang) -> String {
    let (mut pairs, mut up, mut down) = (0, 0, 0);
    for peer in log.peers() {
        if peer
            .pairing
            .is_some_and(|pairing| pairing.side == RelaySide::Server)
        {
            down += peer.counters.rx_bytes;
            continue;
        }
        // A device: counted as a pair while it or its server side is connected.
        up += peer.counters.rx_bytes;
        let server = peer.pairing.and_then(|pairing| log.peer(pairing.partner));
        if peer.is_connected() || server.is_some_and(PeerStats::is_connected) {
            pairs += 1;
        }
    }
    format!(
        "{} {pairs} · {} {up} B · {} {down} B",
        lang.pick("Pairs:", "中继对："),
        lang.pick("device → server", "设备 → 服务器"),
        lang.pick("server → device", "服务器 → 设备"),
    )
}

/// The session's state in words, and whether a session is open.
fn state_text(app: &NetAssistApp, lang: Lang) -> (String, bool) {
    let Some(mode) = app.open_mode() else {
        return (lang.pick("● Closed", "● 未打开").to_owned(), false);
    };
    let local = app
        .log()
        .local_addr()
        .map_or_else(String::new, |a| a.to_string());
    let text = match mode {
        ModeKind::TcpServer if !local.is_empty() => {
            format!("{} {local}", lang.pick("● Listening on", "● 正在监听"))
        }
        ModeKind::Relay if !local.is_empty() => {
            format!("{} {local}", lang.pick("● Relaying on", "● 正在中继，监听"))
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
    (text + &tls_text(app, mode, lang), true)
}

/// Where the open session speaks TLS, after its state: ` · TLS` for a server, the version a client
/// agreed on, which sides for a relay; nothing without TLS.
fn tls_text(app: &NetAssistApp, mode: ModeKind, lang: Lang) -> String {
    let tls = app.ctl.tls();
    let text = match mode {
        ModeKind::TcpServer if tls.accepts => "TLS".to_owned(),
        ModeKind::TcpClient if tls.makes => app
            .log()
            .peers()
            .filter(|peer| peer.is_connected())
            .find_map(|peer| peer.tls.as_ref().map(|info| info.version.clone()))
            .unwrap_or_else(|| "TLS".to_owned()),
        ModeKind::Relay => match (tls.accepts, tls.makes) {
            (true, true) => lang.pick("TLS both sides", "两端 TLS").to_owned(),
            (true, false) => lang.pick("TLS to devices", "设备端 TLS").to_owned(),
            (false, true) => lang.pick("TLS to target", "目标端 TLS").to_owned(),
            (false, false) => return String::new(),
        },
        _ => return String::new(),
    };
    format!(" · {text}")
}

/// Light, dark, or following the system, as a drop-down of a fixed width.
fn theme_choice(ui: &mut egui::Ui, theme: &mut egui::ThemePreference, lang: Lang) {
    let choices = [
        (
            egui::ThemePreference::System,
            lang.pick("System theme", "跟随系统"),
        ),
        (egui::ThemePreference::Light, lang.pick("Light", "浅色")),
        (egui::ThemePreference::Dark, lang.pick("Dark", "深色")),
    ];
    let current = choices
        .iter()
        .find(|(choice, _)| choice == theme)
        .map_or("", |(_, label)| label);
    egui::ComboBox::from_id_salt("theme")
        .width(THEME_WIDTH)
        .selected_text(current)
        .show_ui(ui, |ui| {
            for (choice, label) in choices {
                ui.selectable_value(theme, choice, label);
            }
        })
        .response
        .on_hover_text(lang.pick("Theme", "主题"));
}
