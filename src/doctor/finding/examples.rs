//! One finding of each kind, for the tests that read every message in both languages.

use super::*;

/// One finding of each kind, for the test that reads every message in both languages. A new variant
/// belongs here too.
#[allow(clippy::too_many_lines)] // a list, one entry per variant
pub(crate) fn one_of_each() -> Vec<Finding> {
    use crate::doctor::adapters::AdapterAddr;
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
