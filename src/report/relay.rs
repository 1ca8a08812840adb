//! How the report names a relay's peers: each side by its pair (the device, the relay's local port
//! toward the target, and the target), so two pairs to one target are told apart; a server side that
//! never connected (so is in no table) by its device and the address it tried; and a relay session's
//! peer count split into devices and their connections to the target.

use crate::engine::CloseReason;
use crate::history::SessionSpan;
use crate::i18n::{Lang, Text};
use crate::traffic::{Pairing, PeerAddr, PeerStats, RelaySide, Row, TrafficLog};

/// A relay side's address cell: `DEVICE ⇄ :LOCAL_PORT → TARGET (device)`, or `(server side)`, and
/// `DEVICE ⇄ TARGET (device)` for a device whose server side never connected (the target address it
/// tried last); `None` for a peer in no pair (any other mode's).
pub(super) fn pair_cell(addr: &PeerAddr, lang: Lang) -> Option<String> {
    let pair = addr.pair?;
    let (device, target, side) = match pair.side {
        RelaySide::Device => (addr.socket, pair.partner, lang.pick("device", "设备")),
        RelaySide::Server => (
            pair.partner,
            addr.socket,
            lang.pick("server side", "服务器端"),
        ),
    };
    Some(match pair.server_local {
        Some(local) => format!("{device} ⇄ :{} → {target} ({side})", local.port()),
        None => format!("{device} ⇄ {target} ({side})"),
    })
}

/// How a row of a relay server side that never connected names it: such a side is no peer of the
/// Peers table, so it is named by what it was, `#7 (server side of device #6 DEVICE, to TARGET, never
/// connected: WHY)`, the why being its device's close (the unreachable target's error). `None` for
/// any other row.
pub(super) fn unconnected_server(log: &TrafficLog, row: &Row, lang: Lang) -> Option<String> {
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
    let device = log.peers().find(|peer| peer.pairing == pairing);
    let device_name = device.map_or_else(
        || pair.partner.to_string(),
        |device| format!("{} {}", device.id, pair.partner),
    );
    // An unreachable target's error says it all; a device closed otherwise meanwhile says how.
    let why = device
        .and_then(|device| device.closed.as_ref())
        .map_or_else(String::new, |reason| {
            let why = match reason {
                CloseReason::Unreachable(error) => error.text(lang),
                reason => reason.text(lang),
            };
            format!("{}{why}", lang.pick(": ", "："))
        });
    let target = addr.socket;
    Some(match lang {
        Lang::En => format!(
            "{server} (server side of device {device_name}, to {target}, never connected{why})"
        ),
        Lang::Zh => {
            format!("{server}（设备 {device_name} 的服务器端，到 {target}，从未连上{why}）")
        }
    })
}

/// A relay session's peer count, `N (D devices, S to the target)`: each pair is two peers. `None` for
/// the other modes.
pub(super) fn sides_cell<'a>(
    span: &SessionSpan,
    peers: impl Iterator<Item = &'a PeerStats>,
    lang: Lang,
) -> Option<String> {
    if !matches!(span.mode, crate::engine::Mode::Relay { .. }) {
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
