//! The peers panel in relay mode: each pair (a device and its server side, the relay's connection to the
//! target) as one entry. Each side can be chosen as the send target and finished sending to; the pair is
//! disconnected as one; its state says whether it is connecting, relaying, half-closed which way, or
//! closed and why (with the same *why?* as any peer).

use egui::RichText;

use super::app::{NetAssistApp, SendTarget, UiAction};
use super::peers_panel::close_reason_ui;
use crate::engine::CloseReason;
use crate::i18n::Lang;
use crate::traffic::{PeerStats, RelaySide, TrafficLog};

/// Text lines one pair takes: its device, its server side, its state, its buttons, and room for the
/// buttons' padding.
pub const PAIR_LINES: f32 = 4.6;

/// A pair as the log knows it: the device, and its server side once paired (`None` while the target is
/// being connected, or when it could not be).
pub struct Pair<'a> {
    /// The accepted client.
    pub device: &'a PeerStats,
    /// The relay's connection to the target.
    pub server: Option<&'a PeerStats>,
}

impl<'a> Pair<'a> {
    /// The pair `peer` heads in the panel: a device with its server side, or a server side whose device
    /// the log no longer knows (shown alone as its device). `None` for a server side whose device is
    /// listed, since it is shown in its device's entry.
    pub fn of(log: &'a TrafficLog, peer: &'a PeerStats) -> Option<Self> {
        match peer.pairing {
            Some(pairing) if pairing.side == RelaySide::Server => {
                log.peer(pairing.partner).is_none().then_some(Self {
                    device: peer,
                    server: None,
                })
            }
            Some(pairing) => Some(Self {
                device: peer,
                server: log.peer(pairing.partner),
            }),
            None => Some(Self {
                device: peer,
                server: None,
            }),
        }
    }

    /// Whether a side of it is still connected.
    pub fn is_connected(&self) -> bool {
        self.device.is_connected() || self.server.is_some_and(PeerStats::is_connected)
    }

    /// Whether its device's or its target's address, or its server side's local port, contains `filter`.
    pub fn matches(&self, filter: &str) -> bool {
        // From its first connect to the target on, the device is named by both addresses.
        self.device.addr.to_string().contains(filter)
            || self
                .device
                .addr
                .pair
                .and_then(|pair| pair.server_local)
                .is_some_and(|local| local.port().to_string().contains(filter))
    }
}

/// Draws one pair: a line per side (choose it as the send target; its counters), its state, and its
/// buttons.
pub fn pair_ui(
    ui: &mut egui::Ui,
    app: &NetAssistApp,
    pair: &Pair<'_>,
    actions: &mut Vec<UiAction>,
) {
    let lang = app.settings.lang;
    side_ui(ui, app, pair.device, RelaySide::Device, actions);
    match pair.server {
        Some(server) => side_ui(ui, app, server, RelaySide::Server, actions),
        None => {
            ui.weak(lang.pick("→ target: no connection", "→ 目标：无连接"));
        }
    }
    state_ui(ui, pair, lang);
    ui.horizontal(|ui| {
        if let Some(connected) = [Some(pair.device), pair.server]
            .into_iter()
            .flatten()
            .find(|side| side.is_connected())
            && ui
                .small_button(lang.pick("Disconnect pair", "断开这对"))
                .on_hover_text(lang.pick(
                    "Close both sides (FIN): the device and the relay's connection to the target.",
                    "关闭两端（FIN）：设备连接和中继到目标的连接。",
                ))
                .clicked()
        {
            actions.push(UiAction::Kick(connected.id));
        }
        for (side, text, tip) in [
            (
                Some(pair.device),
                lang.pick("End → device", "结束→设备"),
                lang.pick(
                    "Finish sending to the device (TCP FIN) once what is queued has gone out; \
                     the device can still send to the server.",
                    "在排队的数据发完后结束向设备发送（TCP FIN）；设备仍可向服务器发送。",
                ),
            ),
            (
                pair.server,
                lang.pick("End → server", "结束→服务器"),
                lang.pick(
                    "Finish sending to the server (TCP FIN) once what is queued has gone out; \
                     the server can still send to the device.",
                    "在排队的数据发完后结束向服务器发送（TCP FIN）；服务器仍可向设备发送。",
                ),
            ),
        ] {
            if let Some(side) = side.filter(|side| side.is_connected() && !side.local_finished)
                && ui.small_button(text).on_hover_text(tip).clicked()
            {
                actions.push(UiAction::HalfClose(side.id));
            }
        }
    });
}

/// One side: a button that makes it the send target, titled with its address (the server side's with
/// the relay's local port, which tells two pairs to one target apart) and its counters.
fn side_ui(
    ui: &mut egui::Ui,
    app: &NetAssistApp,
    peer: &PeerStats,
    side: RelaySide,
    actions: &mut Vec<UiAction>,
) {
    let lang = app.settings.lang;
    let c = &peer.counters;
    let (who, own) = match side {
        RelaySide::Device => (lang.pick("Device", "设备"), peer.addr.socket.to_string()),
        RelaySide::Server => {
            let via = peer
                .addr
                .pair
                .and_then(|pair| pair.server_local)
                .map_or_else(String::new, |local| format!(" :{}", local.port()));
            (
                lang.pick("Server", "服务器"),
                format!("{}{via}", peer.addr.socket),
            )
        }
    };
    let tls = peer
        .tls
        .as_ref()
        .map_or_else(String::new, |info| format!(" · {}", info.version));
    let title = format!(
        "{who} {own}{tls} · RX {} B / {} · TX {} B / {}",
        c.rx_bytes, c.rx_messages, c.tx_bytes, c.tx_messages
    );
    let tip = match side {
        RelaySide::Device => lang.pick(
            "The device that connected to the relay. RX: what it sent (device → server); TX: what was \
             written to it. Click to send to it.",
            "连接到中继的设备。RX：它发出的（设备 → 服务器）；TX：写给它的。点击以向它发送。",
        ),
        RelaySide::Server => lang.pick(
            "The relay's connection to the target, from the local port shown. RX: what the server sent \
             (server → device); TX: what was written to it. Click to send to it.",
            "中继到目标的连接，本地端口如图。RX：服务器发出的（服务器 → 设备）；TX：写给它的。点击以向它发送。",
        ),
    };
    let selected = app.target == SendTarget::Peer(peer.id);
    let text = if peer.is_connected() {
        RichText::new(title).strong()
    } else {
        RichText::new(title).weak()
    };
    if ui
        .add_enabled(
            peer.is_connected(),
            egui::Button::selectable(selected, text).truncate(),
        )
        .on_hover_text(tip)
        .clicked()
    {
        actions.push(UiAction::Target(SendTarget::Peer(peer.id)));
    }
}

/// The pair's state: connecting to the target, relaying, half-closed which way, or closed and why.
fn state_ui(ui: &mut egui::Ui, pair: &Pair<'_>, lang: Lang) {
    let device = pair.device;
    let Some(server) = pair.server else {
        match &device.closed {
            None => {
                ui.weak(lang.pick("Connecting to the target…", "正在连接目标…"));
            }
            Some(reason) => {
                ui.horizontal(|ui| close_reason_ui(ui, reason, lang));
            }
        }
        return;
    };
    if !pair.is_connected() {
        // The side that ended first says why; the other one was closed or reset for it.
        let reason = [&device.closed, &server.closed]
            .into_iter()
            .flatten()
            .find(|reason| !matches!(reason, CloseReason::PartnerReset(_)))
            .or(device.closed.as_ref());
        if let Some(reason) = reason {
            ui.horizontal(|ui| close_reason_ui(ui, reason, lang));
        }
        return;
    }
    // A direction is finished when its sender sent a FIN, or the relay passed one on (or the user asked).
    let up = device.peer_finished || server.local_finished;
    let down = server.peer_finished || device.local_finished;
    let text = match (up, down) {
        (false, false) => lang.pick("Relaying both ways", "双向中继中"),
        (true, false) => lang.pick(
            "Half-closed: device → server finished (FIN)",
            "半关闭：设备 → 服务器 已结束 (FIN)",
        ),
        (false, true) => lang.pick(
            "Half-closed: server → device finished (FIN)",
            "半关闭：服务器 → 设备 已结束 (FIN)",
        ),
        (true, true) => lang.pick("Both ways finished (FIN)", "双向均已结束 (FIN)"),
    };
    if up || down {
        ui.colored_label(ui.visuals().warn_fg_color, text);
    } else {
        ui.weak(text);
    }
}
