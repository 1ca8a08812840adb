//! What the doctor found, as data: one [`Finding`] per fact, with its [`Status`], the [`Check`] it belongs
//! to, a plain explanation (its [`Text`]) and what to do about it ([`Finding::advice`]), in English and
//! Chinese. The checks build findings; the window and the command line only show them.

use std::fmt::Write as _;
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

/// One finding of each kind, for the test that reads every message in both languages. A new variant
/// belongs here too.
#[cfg(test)]
#[allow(clippy::too_many_lines)] // a list, one entry per variant
pub(crate) fn one_of_each() -> Vec<Finding> {
    use super::adapters::AdapterAddr;
    use crate::engine::Operation;
    use std::io::ErrorKind;

    let target: SocketAddr = "192.168.4.10:5000"
        .parse()
        .unwrap_or(SocketAddr::from(([0; 4], 0)));
    let ip = target.ip();
    let (tool, protocol, port, rule) = (
        Tool::Ufw,
        Protocol::Tcp,
        5000,
        "5000/tcp DENY IN Anywhere".to_owned(),
    );
    let net =
        |kind: ErrorKind| NetError::io(Operation::Bind, Some(target.to_string()), &kind.into());
    let adapter = Adapter {
        name: "eth0".to_owned(),
        index: 2,
        kind: AdapterKind::Ethernet,
        up: true,
        default_route: true,
        addrs: vec![AdapterAddr {
            ip,
            prefix: 24,
            scope_id: 0,
        }],
    };
    let owner = Owner {
        pid: 42,
        name: "python3".to_owned(),
    };
    vec![
        Finding::Adapter {
            adapter: adapter.clone(),
        },
        Finding::Adapter {
            adapter: Adapter {
                up: false,
                addrs: vec![],
                ..adapter
            },
        },
        Finding::NoAdapters,
        Finding::BindLoopback { ip },
        Finding::BindAll {
            ip,
            reachable_at: vec![ip],
        },
        Finding::BindAll {
            ip,
            reachable_at: vec![],
        },
        Finding::BindOn {
            ip,
            adapter: "eth0".to_owned(),
        },
        Finding::TargetHere { target },
        Finding::TargetOnSubnet {
            target,
            adapter: "eth0".to_owned(),
            network: "192.168.4.0/24".to_owned(),
        },
        Finding::TargetAdapterDown {
            target,
            adapter: "eth0".to_owned(),
            adapter_kind: AdapterKind::Ethernet,
            network: "192.168.4.0/24".to_owned(),
        },
        Finding::TargetAdapterDown {
            target,
            adapter: "WLAN".to_owned(),
            adapter_kind: AdapterKind::WiFi,
            network: "192.168.4.0/24".to_owned(),
        },
        Finding::TargetOffSubnet {
            target,
            via: "WLAN".to_owned(),
            networks: vec!["192.168.1.0/24 (192.168.1.23)".to_owned()],
        },
        Finding::TargetOffSubnet {
            target,
            via: "WLAN".to_owned(),
            networks: vec![],
        },
        Finding::TargetViaRouter {
            target,
            via: "WLAN".to_owned(),
        },
        Finding::TargetNoRoute { target },
        Finding::PortAny { protocol },
        Finding::PortFree {
            addr: target,
            protocol,
        },
        Finding::PortThisSession {
            addr: target,
            protocol,
        },
        Finding::PortTaken {
            addr: target,
            protocol,
            owners: vec![owner],
        },
        Finding::PortTaken {
            addr: target,
            protocol,
            owners: vec![],
        },
        Finding::PortPrivileged {
            addr: target,
            protocol,
            first_unprivileged: 1024,
        },
        Finding::BindNotHere { ip },
        Finding::BindFailed {
            error: net(ErrorKind::Other),
        },
        Finding::NoFirewall,
        Finding::FirewallUnreadable {
            tool: Tool::Nftables,
            detail: "Operation not permitted".to_owned(),
        },
        Finding::FirewallOff { tool },
        Finding::FirewallAllows {
            tool,
            protocol,
            port,
            rule: rule.clone(),
        },
        Finding::FirewallDrops {
            tool,
            protocol,
            port,
            rule: rule.clone(),
        },
        Finding::FirewallDrops {
            tool: Tool::WindowsFirewall,
            protocol,
            port,
            rule: rule.clone(),
        },
        Finding::FirewallMayDrop {
            tool: Tool::Iptables,
            protocol,
            port,
            rule,
        },
        Finding::FirewallNoAllow {
            tool: Tool::WindowsFirewall,
            protocol,
            port,
            program: r"C:\netassist.exe".to_owned(),
        },
        Finding::FirewallOpen { tool },
        Finding::Connected { target, millis: 1 },
        Finding::Refused { target, millis: 1 },
        Finding::TimedOut {
            target,
            millis: 3000,
        },
        Finding::Unreachable { target, millis: 1 },
        Finding::UdpNothingListening { target },
        Finding::UdpAnswered { target, millis: 1 },
        Finding::UdpSilent {
            target,
            millis: 3000,
        },
        Finding::TargetUnresolved {
            error: NetError::invalid(
                Operation::Resolve,
                Some("board.local".to_owned()),
                "not found",
            ),
        },
        Finding::ProbeFailed {
            error: net(ErrorKind::Other),
        },
    ]
}

/// What to do about a finding, in either language ([`Finding::advice`]).
#[derive(Clone, Copy, Debug)]
pub struct Advice<'a>(&'a Finding);

impl Text for Advice<'_> {
    fn text(&self, lang: Lang) -> String {
        self.0.advice_in(lang).unwrap_or_default()
    }
}

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
