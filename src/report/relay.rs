//! How the report names a relay's peers: each side by its pair (the device, the relay's local port
//! toward the target, and the target), so two pairs to one target are told apart, and a relay
//! session's peer count split into devices and their connections to the target.

use crate::history::SessionSpan;
use crate::i18n::Lang;
use crate::traffic::{PeerAddr, PeerStats, RelaySide};

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
