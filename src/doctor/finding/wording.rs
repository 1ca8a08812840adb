//! What each finding says: its explanation in English and Chinese ([`Text`] for [`Finding`]).

use std::fmt::Write as _;

use super::{Adapter, Finding, listed};
use crate::i18n::{Lang, Text};

/// An adapter in a line: `eth0 (Ethernet): up, default route, 192.168.1.5/24, fe80::1/64`.
fn adapter_line(adapter: &Adapter, lang: Lang) -> String {
    let mut line = format!("{} ({}): ", adapter.name, adapter.kind.text(lang));
    line += if adapter.up {
        lang.pick("up", "已连接")
    } else {
        lang.pick("down", "未连接")
    };
    if adapter.default_route {
        line += lang.pick(", default route", "，默认路由");
    }
    for addr in &adapter.addrs {
        let _ = write!(line, ", {addr}");
    }
    if adapter.addrs.is_empty() {
        line += lang.pick(", no address", "，无地址");
    }
    line
}

impl Text for Finding {
    #[allow(clippy::too_many_lines)] // one sentence pair per variant
    fn text(&self, lang: Lang) -> String {
        match self {
            Self::Adapter { adapter } => adapter_line(adapter, lang),
            Self::NoAdapters => say!(
                lang,
                "The system listed no network adapters.",
                "系统没有列出任何网卡。"
            ),
            Self::BindLoopback { ip } => say!(
                lang,
                "The server listens on {ip}, a loopback address: only programs on this PC can reach it, \
                 no board can.",
                "服务器监听在 {ip}，这是回环地址：只有本机上的程序能连上，开发板连不上。"
            ),
            Self::BindAll { ip, reachable_at } => {
                let at = listed(reachable_at);
                if reachable_at.is_empty() {
                    say!(
                        lang,
                        "The server listens on {ip}, every adapter, but no adapter other than loopback is up.",
                        "服务器监听在 {ip}（全部网卡），但除回环外没有已连接的网卡。"
                    )
                } else {
                    say!(
                        lang,
                        "The server listens on {ip}, every adapter: boards reach it at {at}.",
                        "服务器监听在 {ip}（全部网卡）：开发板可以通过 {at} 连接。"
                    )
                }
            }
            Self::BindOn { ip, adapter } => say!(
                lang,
                "The server listens on {ip}, on adapter '{adapter}' only: boards on other adapters' \
                 networks cannot reach it.",
                "服务器只监听在网卡“{adapter}”的 {ip} 上：其他网卡所在网络的开发板连不上。"
            ),
            Self::TargetHere { target } => {
                say!(lang, "{target} is this PC.", "{target} 就是本机。")
            }
            Self::TargetOnSubnet {
                target,
                adapter,
                network,
            } => {
                let ip = target.ip();
                say!(
                    lang,
                    "{ip} is on the subnet of adapter '{adapter}' ({network}), which reaches it directly.",
                    "{ip} 与网卡“{adapter}”在同一网段（{network}），可直接到达。"
                )
            }
            Self::TargetAdapterDown {
                target,
                adapter,
                network,
                ..
            } => {
                let ip = target.ip();
                say!(
                    lang,
                    "{ip} is on the subnet of adapter '{adapter}' ({network}), but that adapter is down.",
                    "{ip} 与网卡“{adapter}”在同一网段（{network}），但该网卡未连接。"
                )
            }
            Self::TargetOffSubnet { target, via, .. } => {
                let ip = target.ip();
                say!(
                    lang,
                    "No adapter of this PC is on the subnet of {ip}, a local-network address: traffic to \
                     it goes out through '{via}' to the router, which rarely knows the board. The board \
                     is probably on another cable or Wi-Fi, or one of the two addresses is wrong.",
                    "本机没有任何网卡与 {ip}（局域网地址）在同一网段：发往它的数据会经“{via}”交给路由器，\
                     而路由器通常找不到开发板。开发板很可能接在另一根网线或另一个 Wi-Fi 上，或者两边有一个地址设错了。"
                )
            }
            Self::TargetViaRouter { target, via } => {
                let ip = target.ip();
                say!(
                    lang,
                    "{ip} is reached through the router on '{via}' (the default route).",
                    "{ip} 经“{via}”上的路由器（默认路由）到达。"
                )
            }
            Self::TargetNoRoute { target } => {
                let ip = target.ip();
                say!(
                    lang,
                    "No adapter is on the subnet of {ip}, and this PC has no default route: nothing \
                     reaches it.",
                    "没有网卡与 {ip} 在同一网段，本机也没有默认路由：无法到达它。"
                )
            }
            Self::PortAny { protocol } => say!(
                lang,
                "Port 0: the system picks a free {protocol} port when the session opens.",
                "端口 0：打开会话时由系统选择一个空闲的 {protocol} 端口。"
            ),
            Self::PortFree { addr, protocol } => say!(
                lang,
                "{protocol} {addr} is free: the session can open it.",
                "{protocol} {addr} 空闲：会话可以打开它。"
            ),
            Self::PortThisSession { addr, protocol } => say!(
                lang,
                "This session is listening on {protocol} {addr}.",
                "本会话正在 {protocol} {addr} 上监听。"
            ),
            Self::PortTaken {
                addr,
                protocol,
                owners,
            } => {
                let port = addr.port();
                if owners.is_empty() {
                    say!(
                        lang,
                        "{protocol} port {port} is already in use by another program (the system did not \
                         say which).",
                        "{protocol} 端口 {port} 已被其他程序占用（系统未告知是哪个）。"
                    )
                } else {
                    let who = listed(owners);
                    say!(
                        lang,
                        "{protocol} port {port} is already in use by {who}.",
                        "{protocol} 端口 {port} 已被 {who} 占用。"
                    )
                }
            }
            Self::PortPrivileged {
                addr,
                protocol,
                first_unprivileged,
            } => {
                let port = addr.port();
                say!(
                    lang,
                    "{protocol} port {port} is below {first_unprivileged}: on Linux only root, or a program \
                     given the right, may open it.",
                    "{protocol} 端口 {port} 小于 {first_unprivileged}：在 Linux 上只有 root 或已授权的程序才能打开。"
                )
            }
            Self::BindNotHere { ip } => say!(
                lang,
                "{ip} is not an address of this PC, so nothing can listen on it.",
                "{ip} 不是本机的地址，无法在它上面监听。"
            ),
            Self::BindFailed { error }
            | Self::ProbeFailed { error }
            | Self::TargetUnresolved { error } => error.text(lang),
            Self::NoFirewall => say!(
                lang,
                "No firewall tool (nftables, iptables, ufw) is installed.",
                "未安装防火墙工具（nftables、iptables、ufw）。"
            ),
            Self::FirewallUnreadable { tool, detail } => {
                let name = tool.text(lang);
                say!(
                    lang,
                    "{name}: its rules could not be read ({detail}).",
                    "{name}：无法读取其规则（{detail}）。"
                )
            }
            Self::FirewallOff { tool } => {
                let name = tool.text(lang);
                say!(lang, "{name} is off.", "{name} 已关闭。")
            }
            Self::FirewallAllows {
                tool,
                protocol,
                port,
                rule,
            } => {
                let name = tool.text(lang);
                say!(
                    lang,
                    "{name} lets {protocol} port {port} in: {rule}",
                    "{name} 放行了 {protocol} 端口 {port}：{rule}"
                )
            }
            Self::FirewallDrops {
                tool,
                protocol,
                port,
                rule,
            } => {
                let name = tool.text(lang);
                say!(
                    lang,
                    "{name} drops {protocol} port {port} coming in: {rule}",
                    "{name} 会丢弃发往 {protocol} 端口 {port} 的数据：{rule}"
                )
            }
            Self::FirewallMayDrop {
                tool,
                protocol,
                port,
                rule,
            } => {
                let name = tool.text(lang);
                say!(
                    lang,
                    "{name} has a rule that may drop {protocol} port {port} coming in, depending on its \
                     conditions: {rule}",
                    "{name} 有一条规则可能丢弃发往 {protocol} 端口 {port} 的数据（取决于其条件）：{rule}"
                )
            }
            Self::FirewallNoAllow {
                tool,
                protocol,
                port,
                program,
            } => {
                let name = tool.text(lang);
                say!(
                    lang,
                    "{name} is on and blocks incoming connections by default, and no rule lets {protocol} \
                     port {port} or {program} in.",
                    "{name} 已开启并默认阻止入站连接，且没有规则放行 {protocol} 端口 {port} 或 {program}。"
                )
            }
            Self::FirewallOpen { tool } => {
                let name = tool.text(lang);
                say!(
                    lang,
                    "{name} has no rule that drops incoming traffic.",
                    "{name} 没有丢弃入站数据的规则。"
                )
            }
            Self::Connected { target, millis } => say!(
                lang,
                "TCP connection to {target} made in {millis} ms.",
                "已在 {millis} 毫秒内建立到 {target} 的 TCP 连接。"
            ),
            Self::Refused { target, millis } => {
                let ip = target.ip();
                let port = target.port();
                say!(
                    lang,
                    "{target} refused the connection after {millis} ms: the host {ip} is up, but nothing \
                     listens on port {port}.",
                    "{target} 在 {millis} 毫秒后拒绝了连接：主机 {ip} 在线，但端口 {port} 上没有程序在监听。"
                )
            }
            Self::TimedOut { target, millis } => say!(
                lang,
                "{target} did not answer within {millis} ms: a firewall drops the connection, or the host \
                 is switched off or not on this network.",
                "{target} 在 {millis} 毫秒内没有响应：可能被防火墙丢弃，或主机未开机、不在本网络中。"
            ),
            Self::Unreachable { target, millis } => say!(
                lang,
                "{target} is unreachable (no route, found in {millis} ms): this PC has no way to that \
                 network, or no device answers at that address on it.",
                "{target} 不可达（没有路由，用时 {millis} 毫秒）：本机没有通往该网络的路径，或该网络上没有设备使用这个地址。"
            ),
            Self::UdpNothingListening { target } => say!(
                lang,
                "Nothing is listening at {target}: the host answered a UDP datagram with \"port \
                 unreachable\".",
                "{target} 上没有程序在监听：主机对 UDP 数据报回复了“端口不可达”。"
            ),
            Self::UdpAnswered { target, millis } => say!(
                lang,
                "{target} answered a UDP datagram in {millis} ms.",
                "{target} 在 {millis} 毫秒内回复了 UDP 数据报。"
            ),
            Self::UdpSilent { target, millis } => say!(
                lang,
                "No answer from {target} within {millis} ms. UDP has no handshake: a program may be \
                 listening and not answer an empty datagram, or a firewall may drop it.",
                "{millis} 毫秒内 {target} 没有回复。UDP 没有握手：可能有程序在监听但不回复空数据报，也可能被防火墙丢弃。"
            ),
        }
    }
}
