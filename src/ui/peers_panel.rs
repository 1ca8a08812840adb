//! The right panel: who the session talks to. Pick the send target ("All" or one peer), see each peer's
//! counters and rate, disconnect one (UDP: forget it) or finish sending to it (TCP), see which side
//! finished sending, why a closed one ended (and what that usually means), or show only its rows in the log.
//!
//! Thousands of peers cost no more than ten: connected peers come first, closed ones are folded into a
//! count until asked for, and only the rows on screen are laid out.

use std::time::{Instant, SystemTime};

use egui::RichText;

use super::app::{NetAssistApp, SendTarget, UiAction};
use super::relay_pairs::{PAIR_LINES, Pair, pair_ui};
use crate::doctor::closed::explain;
use crate::engine::CloseReason;
use crate::i18n::{Lang, Text};
use crate::preset::ModeKind;
use crate::traffic::PeerStats;

/// Text lines one peer takes: its address, its figures, its buttons.
const PEER_LINES: f32 = 3.0;

/// The panel's own state (not saved): its filter and whether closed peers are listed.
#[derive(Default)]
pub struct PeersView {
    /// Only peers whose address contains this are listed.
    pub filter: String,
    /// List closed peers after the connected ones, instead of only counting them.
    pub show_closed: bool,
}

/// Draws the panel.
pub fn ui(
    ui: &mut egui::Ui,
    app: &NetAssistApp,
    view: &mut PeersView,
    actions: &mut Vec<UiAction>,
) {
    let lang = app.settings.lang;
    let mode = app.open_mode().unwrap_or(app.settings.preset.mode);
    ui.heading(match mode {
        ModeKind::TcpServer => lang.pick("Clients", "客户端列表"),
        ModeKind::TcpClient => lang.pick("Server", "服务器"),
        ModeKind::Udp => lang.pick("Remotes seen", "已知远程主机"),
        ModeKind::Relay => lang.pick("Devices and servers", "设备与服务器"),
    });
    ui.label(lang.pick("Send to:", "发送目标："));
    targets_ui(ui, app, mode, lang, actions);
    ui.separator();

    let log = app.log();
    let connected = log.connected_peers();
    let closed = log.peer_count() - connected;
    // This frame's filter: the field below may change it for the next one.
    let filter = view.filter.trim().to_owned();
    let filter = filter.as_str();
    let show_closed = view.show_closed;
    // Connected peers first, newest first within each group. The rows are counted without looking at
    // each peer unless a filter is typed, and only the rows on screen are taken below, so a frame costs
    // about the same with 10 or 10,000 peers.
    let rows = || {
        let newest_first = || log.peers().rev();
        newest_first()
            .filter(|peer| peer.is_connected())
            .chain(newest_first().filter(move |peer| show_closed && !peer.is_connected()))
            .filter(move |peer| filter.is_empty() || peer.addr.to_string().contains(filter))
    };
    let count = if filter.is_empty() {
        connected + if show_closed { closed } else { 0 }
    } else {
        rows().count()
    };

    let label = ui.label(lang.pick("Find", "查找"));
    ui.add(
        egui::TextEdit::singleline(&mut view.filter)
            .hint_text(lang.pick("address or port", "地址或端口"))
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    if closed > 0 {
        ui.checkbox(
            &mut view.show_closed,
            format!("{} ({closed})", lang.pick("Show closed", "显示已断开")),
        );
    }
    if connected == 0 && !(view.show_closed && closed > 0) {
        ui.weak(lang.pick("Nobody connected.", "暂无连接。"));
    }

    let now = Instant::now();
    let line = ui.text_style_height(&egui::TextStyle::Button) + ui.spacing().item_spacing.y;
    if mode == ModeKind::Relay {
        // Pairs are listed whole, so they are gathered first: a relay has few enough of them.
        let pairs: Vec<Pair<'_>> = rows()
            .filter_map(|peer| Pair::of(log, peer))
            .filter(|pair| filter.is_empty() || pair.matches(filter))
            .collect();
        let row_height = line * PAIR_LINES + ui.spacing().item_spacing.y;
        egui::ScrollArea::vertical()
            .auto_shrink([false, true])
            .show_rows(ui, row_height, pairs.len(), |ui, range| {
                for pair in &pairs[range] {
                    entry(ui, row_height, |ui| pair_ui(ui, app, pair, actions));
                }
            });
        return;
    }
    let row_height = line * PEER_LINES + ui.spacing().item_spacing.y;
    egui::ScrollArea::vertical()
        .auto_shrink([false, true])
        .show_rows(ui, row_height, count, |ui, range| {
            for peer in rows().skip(range.start).take(range.len()) {
                entry(ui, row_height, |ui| peer_ui(ui, app, peer, now, actions));
            }
        });
}

/// One entry of the list, `height` high and clipped to it, so the rows of the scroll area line up.
fn entry(ui: &mut egui::Ui, height: f32, add: impl FnOnce(&mut egui::Ui)) {
    let size = egui::vec2(ui.available_width(), height);
    ui.allocate_ui_with_layout(size, egui::Layout::top_down(egui::Align::Min), |ui| {
        ui.set_min_size(size);
        ui.set_clip_rect(ui.max_rect().intersect(ui.clip_rect()));
        add(ui);
    });
}

/// The send targets of the session's mode besides single peers.
fn targets_ui(
    ui: &mut egui::Ui,
    app: &NetAssistApp,
    mode: ModeKind,
    lang: Lang,
    actions: &mut Vec<UiAction>,
) {
    match mode {
        ModeKind::TcpServer => target_choice(
            ui,
            app,
            SendTarget::All,
            lang.pick("All clients", "所有客户端"),
            actions,
        ),
        ModeKind::Relay => target_choice(
            ui,
            app,
            SendTarget::All,
            lang.pick("All devices", "所有设备"),
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
}

/// One peer in three lines: its address (click to send to it); its counters and rate, or which side
/// finished sending; disconnect (UDP: forget), finish sending and the log filter.
fn peer_ui(
    ui: &mut egui::Ui,
    app: &NetAssistApp,
    peer: &PeerStats,
    now: Instant,
    actions: &mut Vec<UiAction>,
) {
    let lang = app.settings.lang;
    let udp = app.open_mode() == Some(ModeKind::Udp);
    let connected = peer.is_connected();
    let title = if connected {
        RichText::new(peer.addr.to_string()).strong()
    } else {
        RichText::new(format!("{} ({})", peer.addr, lang.pick("closed", "已断开"))).weak()
    };
    let selected = app.target == SendTarget::Peer(peer.id);
    if ui
        .add_enabled(
            connected,
            egui::Button::selectable(selected, title).truncate(),
        )
        .clicked()
    {
        actions.push(UiAction::Target(SendTarget::Peer(peer.id)));
    }

    let figures = figures_text(peer, udp, now, lang);
    match half_close_text(peer, lang).filter(|_| connected) {
        Some(state) => {
            let color = ui.visuals().warn_fg_color;
            ui.add(egui::Label::new(RichText::new(state).color(color)).truncate())
                .on_hover_text(figures);
        }
        None => {
            ui.add(egui::Label::new(RichText::new(figures.as_str()).weak()).truncate())
                .on_hover_text(figures);
        }
    }

    ui.horizontal(|ui| {
        let (drop_text, drop_tip) = if udp {
            (
                lang.pick("Forget", "忘记"),
                lang.pick(
                    "UDP has no connection: stop counting this remote as one. It comes back with its next datagram.",
                    "UDP 没有连接：不再把它算作已知远程主机。它再发数据报时会重新出现。",
                ),
            )
        } else {
            (
                lang.pick("Disconnect", "断开"),
                lang.pick("Close this connection", "关闭这个连接"),
            )
        };
        if connected
            && ui
                .small_button(drop_text)
                .on_hover_text(drop_tip)
                .clicked()
        {
            actions.push(UiAction::Kick(peer.id));
        }
        if connected
            && !udp
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
        let mut only = app.view.filter.peer == Some(peer.id);
        if ui
            .checkbox(&mut only, lang.pick("Only its rows", "只看它"))
            .on_hover_text(lang.pick(
                "Show only this peer's rows in the log",
                "日志中只显示它的记录",
            ))
            .changed()
        {
            actions.push(UiAction::ShowOnly(only.then_some(peer.id)));
        }
        if let Some(reason) = &peer.closed {
            close_reason_ui(ui, reason, lang);
        }
    });
}

/// Why a peer's connection ended, with a "why?" that explains what that usually means, when it needs it.
pub(super) fn close_reason_ui(ui: &mut egui::Ui, reason: &CloseReason, lang: Lang) {
    if let Some(why) = explain(reason) {
        let button = ui.small_button(lang.pick("why?", "为什么？"));
        egui::Popup::from_toggle_button_response(&button)
            .width(280.0)
            .show(|ui| ui.label(why.text(lang)));
    }
    ui.add(egui::Label::new(RichText::new(reason.text(lang)).weak()).truncate());
}

/// A peer's counters and rates: how long since it connected (UDP: since its first datagram), bytes and
/// messages each way, and bytes a second each way.
fn figures_text(peer: &PeerStats, udp: bool, now: Instant, lang: Lang) -> String {
    let since = SystemTime::now()
        .duration_since(peer.since)
        .map_or(0, |d| d.as_secs());
    let since = if udp {
        format!("{} {since}s", lang.pick("first datagram", "首个数据报"))
    } else {
        format!("{} {since}s", lang.pick("for", "已连接"))
    };
    // A TLS peer says so first, with the version it agreed on.
    let tls = peer
        .tls
        .as_ref()
        .map_or_else(String::new, |info| format!("{} · ", info.version));
    format!(
        "{tls}RX {} B / {} · TX {} B / {} · {:.0} B/s {} · {:.0} B/s {} · {since}",
        peer.counters.rx_bytes,
        peer.counters.rx_messages,
        peer.counters.tx_bytes,
        peer.counters.tx_messages,
        peer.rx_rate(now),
        lang.pick("in", "收"),
        peer.tx_rate(now),
        lang.pick("out", "发"),
    )
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
