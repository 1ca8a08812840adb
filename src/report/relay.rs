//! How the report names a relay's peers, the same in the Peers table and in the rows about them (with
//! their ids there): each side by its pair (the device, the relay's local port toward the target, and
//! the target), so two pairs to one target are told apart; a device that never got a server side as a
//! device; a server side that never connected (so is in no table) by its pair and why; and a relay
//! session's peer count split into devices and their connections to the target.

use crate::engine::{CloseReason, Mode, PeerId};
use crate::history::{History, SessionSpan};
use crate::i18n::{Lang, Text};
use crate::traffic::{PairEnds, Pairing, PeerAddr, PeerStats, RelaySide, Row, TrafficLog};

/// A relay side's address cell: `DEVICE ⇄ :LOCAL_PORT → TARGET (device)`, or `(server side)`, and
/// `DEVICE ⇄ TARGET (device)` for a device whose server side never connected (the target address it
/// tried last); `None` for a peer in no pair (any other mode's, or a relay's device that never got a
/// server side).
fn pair_cell(addr: &PeerAddr, lang: Lang) -> Option<String> {
    let pair = addr.pair?;
    let side = match pair.side {
        RelaySide::Device => lang.pick("device", "设备"),
        RelaySide::Server => lang.pick("server side", "服务器端"),
    };
    Some(format!("{} ({side})", pair_ends(addr, pair)))
}

/// A pair's addresses, device first: `DEVICE ⇄ :LOCAL_PORT → TARGET`, or `DEVICE ⇄ TARGET` before
/// (or without) its server side's connection.
fn pair_ends(addr: &PeerAddr, pair: PairEnds) -> String {
    let (device, target) = match pair.side {
        RelaySide::Device => (addr.socket, pair.partner),
        RelaySide::Server => (pair.partner, addr.socket),
    };
    match pair.server_local {
        Some(local) => format!("{device} ⇄ :{} → {target}", local.port()),
        None => format!("{device} ⇄ {target}"),
    }
}

/// How the report names a peer, in the Peers table and in every row about it: a relay side by its
/// pair ([`pair_cell`]); a relay's device in no pair as `DEVICE (device)` (its TLS handshake failed, so
/// it never got a server side); any other peer by its address. `relay`: the peer is a relay's.
pub(super) fn peer_cell(addr: &PeerAddr, relay: bool, lang: Lang) -> String {
    match pair_cell(addr, lang) {
        Some(cell) => cell,
        None if relay => format!("{} ({})", addr.socket, lang.pick("device", "设备")),
        None => addr.to_string(),
    }
}

/// Whether `peer` was a relay's, as far as the kept sessions tell.
pub(super) fn in_relay(history: &History, peer: PeerId) -> bool {
    history
        .sessions()
        .any(|span| span.has_peer(peer) && matches!(span.mode, Mode::Relay { .. }))
}

/// How a row about a peer names it: `#ID NAME`, as the Peers table names it ([`peer_cell`]), with the
/// name the row was logged with once the log has forgotten the peer. A relay server side that never
/// connected is in no table: `#7 DEVICE ⇄ TARGET (server side, never connected: WHY)`, the why
/// being its device's close (the unreachable target's error, or the device's own end first).
pub(super) fn row_peer(log: &TrafficLog, history: &History, row: &Row, lang: Lang) -> String {
    let Some(id) = row.peer else {
        return String::new();
    };
    if let Some(name) = unconnected_server(log, row, lang) {
        return format!("{id} {name}");
    }
    let relay = in_relay(history, id);
    match log.peer(id).map(|peer| &*peer.addr).or(row.addr.as_deref()) {
        Some(addr) => format!("{id} {}", peer_cell(addr, relay, lang)),
        None => id.to_string(),
    }
}

/// The name of a row's relay server side that never connected (see [`row_peer`]); `None` for any
/// other row.
fn unconnected_server(log: &TrafficLog, row: &Row, lang: Lang) -> Option<String> {
    let server = row.peer?;
    let addr = row.addr.as_deref()?;
    let pair = addr.pair?;
    if pair.side != RelaySide::Server || pair.server_local.is_some() {
        return None;
    }
    let pairing = Some(Pairing {
        side: RelaySide::Device,
        partner: server,
    });
    let why = log
        .peers()
        .find(|peer| peer.pairing == pairing)
        .and_then(|device| device.closed.as_ref())
        .map_or_else(String::new, |reason| {
            let why = match reason {
                // An unreachable target's error says it all.
                CloseReason::Unreachable(error) => error.text(lang),
                // The connect was dropped with the device, which the user or the stop ended.
                CloseReason::Kicked | CloseReason::SessionStopped => format!(
                    "{}{}",
                    lang.pick("the connect was dropped: ", "连接尝试被放弃："),
                    reason.text(lang)
                ),
                // The device ended by itself first: the target did nothing.
                reason => format!(
                    "{}{}",
                    lang.pick(
                        "the device's connection ended before the connect to the target finished: ",
                        "设备的连接在连上目标之前就结束了："
                    ),
                    reason.text(lang)
                ),
            };
            format!("{}{why}", lang.pick(": ", "："))
        });
    let ends = pair_ends(addr, pair);
    Some(match lang {
        Lang::En => format!("{ends} (server side, never connected{why})"),
        Lang::Zh => format!("{ends} (服务器端，从未连上{why})"),
    })
}

/// A relay session's peer count, `N (D devices, S to the target)`: each pair is two peers. `None` for
/// the other modes.
pub(super) fn sides_cell<'a>(
    span: &SessionSpan,
    peers: impl Iterator<Item = &'a PeerStats>,
    lang: Lang,
) -> Option<String> {
    if !matches!(span.mode, Mode::Relay { .. }) {
        return None;
    }
    let (mut devices, mut servers) = (0, 0);
    for peer in peers.filter(|peer| span.has_peer(peer.id)) {
        match peer.pairing.map(|pairing| pairing.side) {
            Some(RelaySide::Server) => servers += 1,
            Some(RelaySide::Device) | None => devices += 1,
        }
    }
    let total = span.connections;
    Some(match lang {
        Lang::En => format!("{total} ({devices} devices, {servers} to the target)"),
        Lang::Zh => format!("{total}（{devices} 个设备，{servers} 个到目标的连接）"),
    })
}
