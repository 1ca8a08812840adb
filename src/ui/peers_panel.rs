//! The right panel: who the session talks to. Pick the send target ("All" or one peer), see each peer's
//! counters and rate, disconnect one or finish sending to it (TCP), see which side finished sending, or
//! show only its rows in the log.

use std::time::{Instant, SystemTime};

use egui::{Color32, RichText};

use super::app::{NetAssistApp, SendTarget, UiAction};
use crate::i18n::Lang;
use crate::preset::ModeKind;
use crate::traffic::PeerStats;

/// Draws the panel.
pub fn ui(ui: &mut egui::Ui, app: &NetAssistApp, actions: &mut Vec<UiAction>) {
    let lang = app.settings.lang;
    let mode = app.open_mode().unwrap_or(app.settings.preset.mode);
    ui.heading(match mode {
        ModeKind::TcpServer => lang.pick("Clients", "客户端列表"),
        ModeKind::TcpClient => lang.pick("Server", "服务器"),
        ModeKind::Udp => lang.pick("Remotes", "远程主机"),
    });
    ui.label(lang.pick("Send to:", "发送目标："));
    match mode {
        ModeKind::TcpServer => target_choice(
            ui,
            app,
            SendTarget::All,
            lang.pick("All clients", "所有客户端"),
            actions,
        ),
        ModeKind::TcpClient => target_choice(
            ui,
            app,
            SendTarget::Default,
            lang.pick("The server", "服务器"),
            actions,
        ),
        ModeKind::Udp => {
            let remote = if app.settings.preset.remote_host.trim().is_empty() {
                lang.pick(
                    "Remote in the settings (none set)",
                    "设置中的远程地址（未设置）",
                )
                .to_owned()
            } else {
                format!(
                    "{}:{}",
                    app.settings.preset.remote_host.trim(),
                    app.settings.preset.remote_port.trim()
                )
            };
            target_choice(ui, app, SendTarget::Default, &remote, actions);
            target_choice(
                ui,
                app,
                SendTarget::All,
                lang.pick("All remotes seen", "所有已知远程主机"),
                actions,
            );
        }
    }
    ui.separator();
    let now = Instant::now();
    let peers: Vec<_> = app.log().peers().collect();
    if peers.is_empty() {
        ui.weak(lang.pick("Nobody yet.", "暂无。"));
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        for peer in peers.into_iter().rev() {
            peer_ui(ui, app, peer, now, actions);
            ui.separator();
        }
    });
}

/// One peer: its address (click to send to it), disconnect and finish sending, which side finished
/// sending, counters and rate, and the log filter.
fn peer_ui(
    ui: &mut egui::Ui,
    app: &NetAssistApp,
    peer: &PeerStats,
    now: Instant,
    actions: &mut Vec<UiAction>,
) {
    let lang = app.settings.lang;
    let selected = app.target == SendTarget::Peer(peer.id);
    let connected = peer.is_connected();
    let title = if connected {
        RichText::new(peer.addr.to_string()).strong()
    } else {
        RichText::new(format!("{} ({})", peer.addr, lang.pick("closed", "已断开"))).weak()
    };
    // Wrapped, so the buttons go under a long address instead of widening the panel.
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(connected, egui::Button::selectable(selected, title))
            .clicked()
        {
            actions.push(UiAction::Target(SendTarget::Peer(peer.id)));
        }
        if connected && ui.small_button(lang.pick("Disconnect", "断开")).clicked() {
            actions.push(UiAction::Kick(peer.id));
        }
        let tcp = matches!(
            app.open_mode(),
            Some(ModeKind::TcpServer | ModeKind::TcpClient)
        );
        if connected
            && tcp
            && !peer.local_finished
            && ui
                .small_button(lang.pick("Finish sending", "结束发送"))
                .on_hover_text(lang.pick(
                    "Shut down our sending side (TCP FIN) once what is queued has gone out. \
                     The peer can still send, and what it sends still arrives.",
                    "在排队的数据发完后关闭本方的发送方向（TCP FIN）。对方仍可发送，它发来的数据照常接收。",
                ))
                .clicked()
        {
            actions.push(UiAction::HalfClose(peer.id));
        }
    });
    if connected && let Some(state) = half_close_text(peer, lang) {
        let color = ui.visuals().warn_fg_color;
        ui.colored_label(color, state);
    }
    let since = SystemTime::now()
        .duration_since(peer.since)
        .map_or(0, |d| d.as_secs());
    ui.label(
        RichText::new(format!(
            "{} {}s · RX {} B / {} · TX {} B / {}\n{:.0} B/s {} · {:.0} B/s {}",
            lang.pick("for", "已连接"),
            since,
            peer.counters.rx_bytes,
            peer.counters.rx_messages,
            peer.counters.tx_bytes,
            peer.counters.tx_messages,
            peer.rx_rate(now),
            lang.pick("in", "收"),
            peer.tx_rate(now),
            lang.pick("out", "发"),
        ))
        .small()
        .color(if connected {
            Color32::GRAY
        } else {
            Color32::DARK_GRAY
        }),
    );
    let mut only = app.view.filter.peer == Some(peer.id);
    if ui
        .checkbox(&mut only, lang.pick("Show only its rows", "只看它的记录"))
        .changed()
    {
        actions.push(UiAction::ShowOnly(only.then_some(peer.id)));
    }
}

/// Which sides of a connected peer finished sending, if any did.
fn half_close_text(peer: &PeerStats, lang: Lang) -> Option<String> {
    let sides: Vec<&str> = [
        (
            peer.peer_finished,
            lang.pick("finished sending (FIN)", "对方已结束发送 (FIN)"),
        ),
        (
            peer.local_finished,
            lang.pick("you finished sending", "你已结束发送"),
        ),
    ]
    .into_iter()
    .filter_map(|(finished, text)| finished.then_some(text))
    .collect();
    (!sides.is_empty()).then(|| sides.join(" · "))
}

fn target_choice(
    ui: &mut egui::Ui,
    app: &NetAssistApp,
    target: SendTarget,
    label: &str,
    actions: &mut Vec<UiAction>,
) {
    if ui.selectable_label(app.target == target, label).clicked() {
        actions.push(UiAction::Target(target));
    }
}
