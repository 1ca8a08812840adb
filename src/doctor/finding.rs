//! What the doctor found, as data: one [`Finding`] per fact, with its [`Status`], the [`Check`] it belongs
//! to, a plain explanation (its [`Text`]) and what to do about it ([`Finding::advice`]), in English and
//! Chinese (its wording in `wording.rs`). The checks build findings; the window and the command line only
//! show them.

use std::net::{IpAddr, SocketAddr};

use serde::{Serialize, Serializer};

use super::Protocol;
use super::adapters::{Adapter, AdapterKind};
use super::firewall::Tool;
use super::port::Owner;
use crate::engine::NetError;
use crate::i18n::{Lang, Text};

/// How a finding bears on the connection, from fine to broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Fine, or only information.
    Ok,
    /// Could not be found out (a tool missing, not enough rights, no answer where silence is normal).
    Unknown,
    /// May stop the board from connecting; worth a look.
    Warning,
    /// Stops the board from connecting, or the session from opening.
    Problem,
}

impl Text for Status {
    fn text(&self, lang: Lang) -> String {
        match self {
            Self::Ok => lang.pick("ok", "正常"),
            Self::Unknown => lang.pick("unknown", "未知"),
            Self::Warning => lang.pick("warning", "注意"),
            Self::Problem => lang.pick("problem", "问题"),
        }
        .to_owned()
    }
}

/// Which check a finding comes from, in the order they are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// This PC's adapters, and which of them a bind address or a target is on.
    Adapters,
    /// Whether the bind port can be opened, and who holds it if not.
    Port,
    /// Whether a firewall lets the port in.
    Firewall,
    /// Whether the target answers.
    Reachability,
}

impl Text for Check {
    fn text(&self, lang: Lang) -> String {
        match self {
            Self::Adapters => lang.pick("Adapters", "网卡"),
            Self::Port => lang.pick("Port", "端口"),
            Self::Firewall => lang.pick("Firewall", "防火墙"),
            Self::Reachability => lang.pick("Reachability", "连通性"),
        }
        .to_owned()
    }
}

/// One fact the doctor found, with what it needs to be explained. Serialized (for `--json`) with a
/// `"kind"` naming the variant in kebab-case and the variant's fields.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Finding {
    /// An adapter of this PC, as it is now.
    Adapter {
        /// The adapter.
        adapter: Adapter,
    },
    /// The OS listed no adapters at all.
    NoAdapters,
    /// The bind address is a loopback address: only programs on this PC can reach it.
    BindLoopback {
        /// The bind address.
        ip: IpAddr,
    },
    /// The bind address is a wildcard (`0.0.0.0`, `::`): every adapter listens.
    BindAll {
        /// The wildcard.
        ip: IpAddr,
        /// The addresses a board can use to reach this PC (up adapters, not loopback or link-local).
        reachable_at: Vec<IpAddr>,
    },
    /// The bind address belongs to one adapter: only boards on that adapter's network reach it.
    BindOn {
        /// The bind address.
        ip: IpAddr,
        /// The adapter's name.
        adapter: String,
    },
    /// The target is this PC.
    TargetHere {
        /// The target.
        target: SocketAddr,
    },
    /// The target is on the subnet of an adapter that is up.
    TargetOnSubnet {
        /// The target.
        target: SocketAddr,
        /// The adapter that reaches it.
        adapter: String,
        /// That adapter's subnet, such as `192.168.1.0/24`.
        network: String,
    },
    /// The target is on the subnet of an adapter that is down.
    TargetAdapterDown {
        /// The target.
        target: SocketAddr,
        /// The adapter that would reach it.
        adapter: String,
        /// The adapter's kind, to name a cable or a Wi-Fi.
        adapter_kind: AdapterKind,
        /// That adapter's subnet.
        network: String,
    },
    /// The target is a local-network address, but no adapter is on its subnet: traffic goes to the router
    /// of the default route, which is rarely where a board is.
    TargetOffSubnet {
        /// The target.
        target: SocketAddr,
        /// The adapter of the default route, which the traffic takes.
        via: String,
        /// This PC's subnets that are up (not loopback), to compare with the target's address.
        networks: Vec<String>,
    },
    /// The target is outside the local networks and is reached through the default route.
    TargetViaRouter {
        /// The target.
        target: SocketAddr,
        /// The adapter of the default route.
        via: String,
    },
    /// No adapter is on the target's subnet and there is no default route.
    TargetNoRoute {
        /// The target.
        target: SocketAddr,
    },
    /// Port 0: the OS picks a free port when the session opens.
    PortAny {
        /// TCP or UDP.
        protocol: Protocol,
    },
    /// The port could be opened.
    PortFree {
        /// The bind address and port.
        addr: SocketAddr,
        /// TCP or UDP.
        protocol: Protocol,
    },
    /// This program's own session listens (TCP) or is bound (UDP) here: the port is in use, as it should be.
    PortThisSession {
        /// The address the session holds.
        addr: SocketAddr,
        /// TCP or UDP.
        protocol: Protocol,
    },
    /// Another socket holds the port.
    PortTaken {
        /// The bind address and port.
        addr: SocketAddr,
        /// TCP or UDP.
        protocol: Protocol,
        /// The processes that hold it, when the OS tells (it may not, without administrator rights).
        owners: Vec<Owner>,
    },
    /// The port is below the first port a normal user may open on Linux.
    PortPrivileged {
        /// The bind address and port.
        addr: SocketAddr,
        /// TCP or UDP.
        protocol: Protocol,
        /// The first port a normal user may open (`net.ipv4.ip_unprivileged_port_start`, usually 1024).
        first_unprivileged: u16,
    },
    /// The bind address is not one of this PC's addresses.
    BindNotHere {
        /// The bind address.
        ip: IpAddr,
    },
    /// Opening the port failed for another reason.
    BindFailed {
        /// What the OS said.
        #[serde(serialize_with = "english")]
        error: NetError,
    },
    /// No firewall tool (nftables, iptables, ufw) is installed.
    NoFirewall,
    /// A firewall's rules could not be read.
    FirewallUnreadable {
        /// The firewall.
        tool: Tool,
        /// Why, as the tool or the OS said it.
        detail: String,
    },
    /// A firewall is installed but switched off.
    FirewallOff {
        /// The firewall.
        tool: Tool,
    },
    /// A firewall rule lets the port in.
    FirewallAllows {
        /// The firewall.
        tool: Tool,
        /// TCP or UDP.
        protocol: Protocol,
        /// The port.
        port: u16,
        /// The rule, as the tool shows it.
        rule: String,
    },
    /// A firewall drops or rejects the port for everyone.
    FirewallDrops {
        /// The firewall.
        tool: Tool,
        /// TCP or UDP.
        protocol: Protocol,
        /// The port.
        port: u16,
        /// The rule or policy that does it, as the tool shows it.
        rule: String,
    },
    /// A firewall rule with conditions (an interface, a source, a connection state) may drop the port.
    FirewallMayDrop {
        /// The firewall.
        tool: Tool,
        /// TCP or UDP.
        protocol: Protocol,
        /// The port.
        port: u16,
        /// The rule, as the tool shows it.
        rule: String,
    },
    /// A firewall that blocks incoming traffic by default has no rule letting the port or this program in.
    FirewallNoAllow {
        /// The firewall.
        tool: Tool,
        /// TCP or UDP.
        protocol: Protocol,
        /// The port.
        port: u16,
        /// This program, as a rule would name it.
        program: String,
    },
    /// A firewall's rules let everything in that is not otherwise dropped.
    FirewallOpen {
        /// The firewall.
        tool: Tool,
    },
    /// A TCP connection to the target was made.
    Connected {
        /// The target.
        target: SocketAddr,
        /// How long the connection took, in milliseconds.
        millis: u64,
    },
    /// The target refused the connection: the host is up, nothing listens on the port.
    Refused {
        /// The target.
        target: SocketAddr,
        /// How long the refusal took, in milliseconds.
        millis: u64,
    },
    /// The target did not answer in time.
    TimedOut {
        /// The target.
        target: SocketAddr,
        /// How long the doctor waited, in milliseconds.
        millis: u64,
    },
    /// There is no route to the target.
    Unreachable {
        /// The target.
        target: SocketAddr,
        /// How long it took to find out, in milliseconds.
        millis: u64,
    },
    /// A UDP datagram to the target came back as ICMP "port unreachable".
    UdpNothingListening {
        /// The target.
        target: SocketAddr,
    },
    /// The target answered a UDP datagram.
    UdpAnswered {
        /// The target.
        target: SocketAddr,
        /// How long the answer took, in milliseconds.
        millis: u64,
    },
    /// Neither an answer nor an ICMP error came back from the target.
    UdpSilent {
        /// The target.
        target: SocketAddr,
        /// How long the doctor waited, in milliseconds.
        millis: u64,
    },
    /// The target's host name could not be resolved.
    TargetUnresolved {
        /// What the resolver said.
        #[serde(serialize_with = "english")]
        error: NetError,
    },
    /// Testing the target failed for another reason.
    ProbeFailed {
        /// What the OS said.
        #[serde(serialize_with = "english")]
        error: NetError,
    },
}

/// A message serialized as its English text.
fn english<S: Serializer>(message: &NetError, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&message.text(Lang::En))
}

/// `format!` in the language asked for, each text with its own arguments.
macro_rules! say {
    ($lang:expr, $en:literal, $zh:literal $(,)?) => {
        match $lang {
            Lang::En => format!($en),
            Lang::Zh => format!($zh),
        }
    };
}

/// A list of names for a sentence: `a, b, c`.
fn listed<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Finding {
    /// How this finding bears on the connection.
    #[must_use]
    pub fn status(&self) -> Status {
        match self {
            Self::Adapter { .. }
            | Self::BindAll { .. }
            | Self::BindOn { .. }
            | Self::TargetHere { .. }
            | Self::TargetOnSubnet { .. }
            | Self::TargetViaRouter { .. }
            | Self::PortAny { .. }
            | Self::PortFree { .. }
            | Self::PortThisSession { .. }
            | Self::NoFirewall
            | Self::FirewallOff { .. }
            | Self::FirewallAllows { .. }
            | Self::FirewallOpen { .. }
            | Self::Connected { .. }
            | Self::UdpAnswered { .. } => Status::Ok,
            Self::NoAdapters
            | Self::FirewallUnreadable { .. }
            | Self::UdpSilent { .. }
            | Self::ProbeFailed { .. } => Status::Unknown,
            Self::BindLoopback { .. }
            | Self::TargetOffSubnet { .. }
            | Self::FirewallMayDrop { .. } => Status::Warning,
            // Windows blocks what no rule allows; on Linux the hint reads only the rules it understands.
            Self::FirewallNoAllow { tool, .. } if *tool != Tool::WindowsFirewall => Status::Warning,
            Self::TargetAdapterDown { .. }
            | Self::TargetNoRoute { .. }
            | Self::PortTaken { .. }
            | Self::PortPrivileged { .. }
            | Self::BindNotHere { .. }
            | Self::BindFailed { .. }
            | Self::FirewallDrops { .. }
            | Self::FirewallNoAllow { .. }
            | Self::Refused { .. }
            | Self::TimedOut { .. }
            | Self::Unreachable { .. }
            | Self::UdpNothingListening { .. }
            | Self::TargetUnresolved { .. } => Status::Problem,
        }
    }

    /// The check this finding belongs to.
    #[must_use]
    pub fn check(&self) -> Check {
        match self {
            Self::Adapter { .. }
            | Self::NoAdapters
            | Self::BindLoopback { .. }
            | Self::BindAll { .. }
            | Self::BindOn { .. }
            | Self::TargetHere { .. }
            | Self::TargetOnSubnet { .. }
            | Self::TargetAdapterDown { .. }
            | Self::TargetOffSubnet { .. }
            | Self::TargetViaRouter { .. }
            | Self::TargetNoRoute { .. } => Check::Adapters,
            Self::PortAny { .. }
            | Self::PortFree { .. }
            | Self::PortThisSession { .. }
            | Self::PortTaken { .. }
            | Self::PortPrivileged { .. }
            | Self::BindNotHere { .. }
            | Self::BindFailed { .. } => Check::Port,
            Self::NoFirewall
            | Self::FirewallUnreadable { .. }
            | Self::FirewallOff { .. }
            | Self::FirewallAllows { .. }
            | Self::FirewallDrops { .. }
            | Self::FirewallMayDrop { .. }
            | Self::FirewallNoAllow { .. }
            | Self::FirewallOpen { .. } => Check::Firewall,
            Self::Connected { .. }
            | Self::Refused { .. }
            | Self::TimedOut { .. }
            | Self::Unreachable { .. }
            | Self::UdpNothingListening { .. }
            | Self::UdpAnswered { .. }
            | Self::UdpSilent { .. }
            | Self::TargetUnresolved { .. }
            | Self::ProbeFailed { .. } => Check::Reachability,
        }
    }

    /// What to do about it, when there is something to do.
    #[must_use]
    pub fn advice(&self) -> Option<Advice<'_>> {
        self.advice_in(Lang::En).map(|_| Advice(self))
    }

    #[allow(clippy::too_many_lines)] // one sentence pair per variant
    fn advice_in(&self, lang: Lang) -> Option<String> {
        Some(match self {
            Self::NoAdapters => say!(
                lang,
                "Check that the network adapters are enabled in the system's network settings.",
                "请在系统的网络设置里确认网卡已启用。"
            ),
            Self::BindLoopback { .. } => say!(
                lang,
                "Listen on 0.0.0.0 (every adapter) or on the address of the adapter the board is on.",
                "请改为监听 0.0.0.0（全部网卡），或监听开发板所在网卡的地址。"
            ),
            Self::BindAll { reachable_at, .. } if !reachable_at.is_empty() => {
                let at = listed(reachable_at);
                say!(
                    lang,
                    "Give the board one of these as the server's IP: {at}.",
                    "在开发板上把服务器 IP 设为其中之一：{at}。"
                )
            }
            Self::TargetAdapterDown {
                adapter,
                adapter_kind,
                ..
            } => match adapter_kind {
                AdapterKind::WiFi => say!(
                    lang,
                    "Turn on Wi-Fi on '{adapter}' and join the board's network.",
                    "请打开“{adapter}”的 Wi-Fi 并连上开发板所在的网络。"
                ),
                _ => say!(
                    lang,
                    "Plug the cable into '{adapter}' (check its link light), or enable the adapter.",
                    "请把网线插到“{adapter}”（看网口指示灯是否亮），或启用该网卡。"
                ),
            },
            Self::TargetOffSubnet {
                target, networks, ..
            } => {
                let ip = target.ip();
                let ours = if networks.is_empty() {
                    lang.pick("none", "无").to_owned()
                } else {
                    listed(networks)
                };
                say!(
                    lang,
                    "Check that the board is on the cable or Wi-Fi this PC uses, and that {ip} is right. \
                     This PC's networks: {ours}. Give the PC's adapter an address in the board's subnet, \
                     or the board one in the PC's.",
                    "请确认开发板与本机接在同一根网线或同一个 Wi-Fi 上，并核对 {ip} 是否正确。本机的网段：\
                     {ours}。请给本机网卡设一个与开发板同网段的地址，或给开发板设一个本机网段的地址。"
                )
            }
            Self::TargetNoRoute { target } => {
                let ip = target.ip();
                say!(
                    lang,
                    "Connect this PC to the board's network (cable or Wi-Fi), or check {ip}.",
                    "请把本机接入开发板所在的网络（网线或 Wi-Fi），或核对 {ip}。"
                )
            }
            Self::PortTaken {
                addr,
                protocol,
                owners,
            } => {
                let port = addr.port();
                if owners.is_empty() {
                    say!(
                        lang,
                        "Close the program that uses {protocol} port {port} (run this check as \
                         administrator or root to see which one), or pick another port.",
                        "请关闭占用 {protocol} 端口 {port} 的程序（以管理员或 root 身份运行本检查可看到是哪个），\
                         或换一个端口。"
                    )
                } else {
                    let who = listed(owners);
                    say!(
                        lang,
                        "Close {who}, or pick another port.",
                        "请关闭 {who}，或换一个端口。"
                    )
                }
            }
            Self::PortPrivileged {
                first_unprivileged, ..
            } => say!(
                lang,
                "Pick a port from {first_unprivileged} up, or give the program the right once: \
                 sudo setcap cap_net_bind_service=+ep $(command -v netassist)",
                "请换一个 {first_unprivileged} 及以上的端口，或给程序授权一次：\
                 sudo setcap cap_net_bind_service=+ep $(command -v netassist)"
            ),
            Self::BindNotHere { .. } => say!(
                lang,
                "Pick one of this PC's addresses (see Adapters), or 0.0.0.0 for all of them.",
                "请选择本机的一个地址（见“网卡”），或用 0.0.0.0 监听全部地址。"
            ),
            Self::FirewallUnreadable { tool, .. } => {
                let command = tool.show_command();
                say!(
                    lang,
                    "Run `{command}` as administrator or root to see its rules.",
                    "请以管理员或 root 身份运行 `{command}` 查看规则。"
                )
            }
            Self::FirewallDrops {
                tool: Tool::WindowsFirewall,
                rule,
                ..
            } => say!(
                lang,
                "A block rule wins over every allow rule, so allowing the port does not help: open wf.msc \
                 (Windows Defender Firewall with Advanced Security) as administrator, Inbound Rules, and \
                 disable or delete {rule}. Windows asks again the next time NetAssist listens.",
                "阻止规则优先于所有允许规则，单独放行端口无效：以管理员身份打开 wf.msc（高级安全 Windows \
                 Defender 防火墙），在“入站规则”中禁用或删除 {rule}。NetAssist 下次监听时 Windows 会再次询问。"
            ),
            Self::FirewallDrops {
                tool,
                protocol,
                port,
                ..
            }
            | Self::FirewallMayDrop {
                tool,
                protocol,
                port,
                ..
            }
            | Self::FirewallNoAllow {
                tool,
                protocol,
                port,
                ..
            } => {
                let command = tool.allow_command(*protocol, *port);
                match tool {
                    Tool::WindowsFirewall => say!(
                        lang,
                        "In a terminal run as administrator: {command} — or: Windows Security > Firewall & \
                         network protection > Allow an app through firewall > Change settings > tick \
                         NetAssist for Private and Public.",
                        "在以管理员身份运行的终端中执行：{command}；或者：Windows 安全中心 > 防火墙和网络保护 > \
                         允许应用通过防火墙 > 更改设置 > 勾选 NetAssist 的“专用”和“公用”。"
                    ),
                    _ => say!(lang, "To let it in: {command}", "放行该端口：{command}"),
                }
            }
            Self::Refused { target, .. } => {
                let port = target.port();
                say!(
                    lang,
                    "Start the server on the target, or check the port: is it really {port}?",
                    "请先在目标上启动服务器，或核对端口：确实是 {port} 吗？"
                )
            }
            Self::TimedOut { target, .. } => {
                let ip = target.ip();
                say!(
                    lang,
                    "Check that {ip} is switched on and on this network, and that its firewall lets the \
                     port in.",
                    "请确认 {ip} 已开机并在本网络中，且它的防火墙放行了该端口。"
                )
            }
            Self::Unreachable { .. } => say!(
                lang,
                "Check the IP address and that this PC and the target are on the same network.",
                "请核对 IP 地址，并确认本机与目标在同一网络。"
            ),
            Self::UdpNothingListening { target } => {
                let port = target.port();
                say!(
                    lang,
                    "Start the program on the target, or check the port: is it really {port}?",
                    "请先在目标上启动程序，或核对端口：确实是 {port} 吗？"
                )
            }
            Self::UdpSilent { .. } => say!(
                lang,
                "Send it something it answers, and watch the log.",
                "请发送一条它会回复的数据，并查看日志。"
            ),
            Self::TargetUnresolved { .. } => say!(
                lang,
                "Use the board's IP address, or check the host name.",
                "请使用开发板的 IP 地址，或核对主机名。"
            ),
            Self::Adapter { .. }
            | Self::BindAll { .. }
            | Self::BindOn { .. }
            | Self::TargetHere { .. }
            | Self::TargetOnSubnet { .. }
            | Self::TargetViaRouter { .. }
            | Self::PortAny { .. }
            | Self::PortFree { .. }
            | Self::PortThisSession { .. }
            | Self::BindFailed { .. }
            | Self::NoFirewall
            | Self::FirewallOff { .. }
            | Self::FirewallAllows { .. }
            | Self::FirewallOpen { .. }
            | Self::Connected { .. }
            | Self::UdpAnswered { .. }
            | Self::ProbeFailed { .. } => return None,
        })
    }
}

#[cfg(test)]
mod examples;
#[cfg(test)]
pub(crate) use examples::one_of_each;

/// What to do about a finding, in either language ([`Finding::advice`]).
#[derive(Clone, Copy, Debug)]
pub struct Advice<'a>(&'a Finding);

impl Text for Advice<'_> {
    fn text(&self, lang: Lang) -> String {
        self.0.advice_in(lang).unwrap_or_default()
    }
}

mod wording;
