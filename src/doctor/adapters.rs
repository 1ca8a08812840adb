//! This PC's network adapters (name, kind, state, addresses with prefix lengths, which one carries the
//! default route), read through `netdev`; and what they say about a bind address (loopback, every adapter,
//! one adapter) and a target (this PC, on an adapter's subnet, behind the router, no route). The reading
//! is [`adapters`]; the reasoning ([`bind_findings`], [`target_findings`]) is pure over a list of adapters.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use netdev::interface::types::InterfaceType;
use netdev::ipnet::IpNet;
use serde::Serialize;

use super::Finding;
use crate::i18n::{Lang, Text};

/// What an adapter is, as far as a person plugging in a board cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdapterKind {
    /// The loopback adapter (`lo`, `Loopback Pseudo-Interface 1`).
    Loopback,
    /// A wired Ethernet port.
    Ethernet,
    /// Wi-Fi.
    WiFi,
    /// Anything else (virtual adapters, tunnels, Bluetooth, cellular).
    Other,
}

impl Text for AdapterKind {
    fn text(&self, lang: Lang) -> String {
        match self {
            Self::Loopback => lang.pick("loopback", "回环"),
            Self::Ethernet => lang.pick("Ethernet", "有线网卡"),
            Self::WiFi => "Wi-Fi",
            Self::Other => lang.pick("other", "其他"),
        }
        .to_owned()
    }
}

/// One address of an adapter with its prefix length: `192.168.1.5/24`, `fe80::1/64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AdapterAddr {
    /// The address.
    pub ip: IpAddr,
    /// The prefix length in bits (24 for a 255.255.255.0 mask).
    pub prefix: u8,
    /// The IPv6 scope id (the adapter's index) for a link-local address, without which it cannot be
    /// bound; 0 otherwise.
    pub scope_id: u32,
}

impl AdapterAddr {
    /// The subnet this address is on, as an address and prefix.
    fn net(&self) -> Option<IpNet> {
        IpNet::new(self.ip, self.prefix).ok().map(|net| net.trunc())
    }

    /// Whether `ip` is on this address's subnet.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.net().is_some_and(|net| net.contains(&ip))
    }

    /// The subnet, such as `192.168.1.0/24`.
    #[must_use]
    pub fn network(&self) -> String {
        self.net()
            .map_or_else(|| self.to_string(), |net| net.to_string())
    }
}

impl fmt::Display for AdapterAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.ip, self.prefix)
    }
}

/// A network adapter of this PC as it is now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Adapter {
    /// The name people see: the friendly name on Windows (`Ethernet 2`, `WLAN`), the interface name on
    /// Linux (`eth0`, `wlp2s0`).
    pub name: String,
    /// The OS's interface index.
    pub index: u32,
    /// What kind of adapter it is.
    pub kind: AdapterKind,
    /// Whether it is enabled and has a link (a cable in, joined to a Wi-Fi).
    pub up: bool,
    /// Whether it carries the default route (where traffic to other networks goes).
    pub default_route: bool,
    /// Its IPv4 and IPv6 addresses.
    pub addrs: Vec<AdapterAddr>,
}

impl Adapter {
    fn from_netdev(interface: netdev::Interface) -> Self {
        let kind = if interface.is_loopback() {
            AdapterKind::Loopback
        } else {
            match interface.if_type {
                InterfaceType::Wireless80211 => AdapterKind::WiFi,
                InterfaceType::Ethernet
                | InterfaceType::FastEthernetT
                | InterfaceType::FastEthernetFx
                | InterfaceType::GigabitEthernet => AdapterKind::Ethernet,
                _ => AdapterKind::Other,
            }
        };
        let v4 = interface.ipv4.iter().map(|net| AdapterAddr {
            ip: IpAddr::V4(net.addr()),
            prefix: net.prefix_len(),
            scope_id: 0,
        });
        let v6 = interface
            .ipv6
            .iter()
            .enumerate()
            .map(|(i, net)| AdapterAddr {
                ip: IpAddr::V6(net.addr()),
                prefix: net.prefix_len(),
                scope_id: if net.addr().is_unicast_link_local() {
                    interface
                        .ipv6_scope_ids
                        .get(i)
                        .copied()
                        .unwrap_or(interface.index)
                } else {
                    0
                },
            });
        let addrs = v4.chain(v6).collect();
        Self {
            up: interface.is_up() && interface.is_running(),
            default_route: interface.default,
            name: interface.friendly_name.clone().unwrap_or(interface.name),
            index: interface.index,
            kind,
            addrs,
        }
    }
}

/// This PC's adapters, loopback first, then by the OS's index. Empty when the OS would not say.
#[must_use]
pub fn adapters() -> Vec<Adapter> {
    let mut list: Vec<Adapter> = netdev::get_interfaces()
        .into_iter()
        .map(Adapter::from_netdev)
        .collect();
    list.sort_by_key(|adapter| (adapter.kind != AdapterKind::Loopback, adapter.index));
    list
}

/// One finding per adapter, or [`Finding::NoAdapters`].
#[must_use]
pub fn adapter_findings(adapters: &[Adapter]) -> Vec<Finding> {
    if adapters.is_empty() {
        return vec![Finding::NoAdapters];
    }
    adapters
        .iter()
        .map(|adapter| Finding::Adapter {
            adapter: adapter.clone(),
        })
        .collect()
}

/// What a board can reach on this PC: the addresses of up adapters that are not loopback, in `ip`'s
/// family (both for `::`, which takes IPv4 too), without IPv6 link-local ones, which need a scope.
fn reachable_addresses(adapters: &[Adapter], wildcard: IpAddr) -> Vec<IpAddr> {
    adapters
        .iter()
        .filter(|adapter| adapter.up && adapter.kind != AdapterKind::Loopback)
        .flat_map(|adapter| &adapter.addrs)
        .map(|addr| addr.ip)
        .filter(|ip| match (wildcard, ip) {
            (_, IpAddr::V4(_)) => true,
            (IpAddr::V6(_), IpAddr::V6(v6)) => !v6.is_unicast_link_local(),
            (IpAddr::V4(_), IpAddr::V6(_)) => false,
        })
        .collect()
}

/// What the adapters say about listening on `ip`. An address no adapter holds gets nothing here: opening
/// the port tells that ([`Finding::BindNotHere`]).
#[must_use]
pub fn bind_findings(adapters: &[Adapter], ip: IpAddr) -> Option<Finding> {
    if ip.is_loopback() {
        return Some(Finding::BindLoopback { ip });
    }
    if ip.is_unspecified() {
        return Some(Finding::BindAll {
            ip,
            reachable_at: reachable_addresses(adapters, ip),
        });
    }
    adapters
        .iter()
        .find(|adapter| adapter.addrs.iter().any(|addr| addr.ip == ip))
        .map(|adapter| Finding::BindOn {
            ip,
            adapter: adapter.name.clone(),
        })
}

/// Whether `ip` is an address of a local network (private IPv4, link-local, IPv6 unique-local), where a
/// board usually is, rather than one reached through the internet.
fn is_local_network(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_unicast_link_local() || v6.is_unique_local(),
    }
}

/// Which adapter reaches `target`, and whether it is on that adapter's subnet.
#[must_use]
pub fn target_findings(adapters: &[Adapter], target: SocketAddr) -> Finding {
    let ip = target.ip();
    let ours = adapters
        .iter()
        .any(|adapter| adapter.addrs.iter().any(|addr| addr.ip == ip));
    if ip.is_loopback() || ip.is_unspecified() || ours {
        return Finding::TargetHere { target };
    }
    let on_subnet = |adapter: &&Adapter| {
        adapter.kind != AdapterKind::Loopback && adapter.addrs.iter().any(|addr| addr.contains(ip))
    };
    let network = |adapter: &Adapter| {
        adapter
            .addrs
            .iter()
            .find(|addr| addr.contains(ip))
            .map(AdapterAddr::network)
            .unwrap_or_default()
    };
    if let Some(adapter) = adapters.iter().filter(on_subnet).find(|a| a.up) {
        return Finding::TargetOnSubnet {
            target,
            adapter: adapter.name.clone(),
            network: network(adapter),
        };
    }
    if let Some(adapter) = adapters.iter().find(on_subnet) {
        return Finding::TargetAdapterDown {
            target,
            adapter: adapter.name.clone(),
            adapter_kind: adapter.kind,
            network: network(adapter),
        };
    }
    let Some(via) = adapters.iter().find(|a| a.up && a.default_route) else {
        return Finding::TargetNoRoute { target };
    };
    if !is_local_network(ip) {
        return Finding::TargetViaRouter {
            target,
            via: via.name.clone(),
        };
    }
    let networks = adapters
        .iter()
        .filter(|adapter| adapter.up && adapter.kind != AdapterKind::Loopback)
        .flat_map(|adapter| &adapter.addrs)
        .filter(|addr| addr.ip.is_ipv4() == ip.is_ipv4())
        .map(|addr| format!("{} ({})", addr.network(), addr.ip))
        .collect();
    Finding::TargetOffSubnet {
        target,
        via: via.name.clone(),
        networks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> AdapterAddr {
        let (ip, prefix) = text.split_once('/').unwrap_or((text, "32"));
        AdapterAddr {
            ip: ip.parse().unwrap(),
            prefix: prefix.parse().unwrap(),
            scope_id: 0,
        }
    }

    fn adapter(name: &str, kind: AdapterKind, up: bool, addrs: &[&str]) -> Adapter {
        Adapter {
            name: name.to_owned(),
            index: 1,
            kind,
            up,
            default_route: false,
            addrs: addrs.iter().map(|a| addr(a)).collect(),
        }
    }

    /// A laptop: loopback, Wi-Fi with the default route on the home network, and an Ethernet port to a
    /// board's network that is unplugged.
    fn laptop() -> Vec<Adapter> {
        let mut wifi = adapter("WLAN", AdapterKind::WiFi, true, &["192.168.1.23/24"]);
        wifi.default_route = true;
        vec![
            adapter(
                "Loopback",
                AdapterKind::Loopback,
                true,
                &["127.0.0.1/8", "::1/128"],
            ),
            wifi,
            adapter("Ethernet", AdapterKind::Ethernet, false, &["10.0.0.1/24"]),
        ]
    }

    fn target(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn subnets_contain_their_hosts_only() {
        let a = addr("192.168.1.23/24");
        assert!(a.contains("192.168.1.200".parse().unwrap()));
        assert!(!a.contains("192.168.4.10".parse().unwrap()));
        assert_eq!(a.network(), "192.168.1.0/24");
        assert_eq!(a.to_string(), "192.168.1.23/24");
        assert!(addr("fe80::1/64").contains("fe80::abcd".parse().unwrap()));
    }

    #[test]
    fn a_loopback_bind_is_a_warning() {
        let finding = bind_findings(&laptop(), "127.0.0.1".parse().unwrap()).unwrap();
        assert_eq!(
            finding,
            Finding::BindLoopback {
                ip: "127.0.0.1".parse().unwrap()
            }
        );
        assert_eq!(finding.status(), super::super::Status::Warning);
        assert!(bind_findings(&laptop(), "::1".parse().unwrap()).is_some());
    }

    #[test]
    fn a_wildcard_bind_names_the_addresses_boards_can_use() {
        assert_eq!(
            bind_findings(&laptop(), "0.0.0.0".parse().unwrap()),
            Some(Finding::BindAll {
                ip: "0.0.0.0".parse().unwrap(),
                reachable_at: vec!["192.168.1.23".parse().unwrap()],
            })
        );
    }

    #[test]
    fn a_bind_on_one_adapter_names_it_and_others_are_left_to_the_port_check() {
        assert_eq!(
            bind_findings(&laptop(), "192.168.1.23".parse().unwrap()),
            Some(Finding::BindOn {
                ip: "192.168.1.23".parse().unwrap(),
                adapter: "WLAN".to_owned(),
            })
        );
        assert_eq!(bind_findings(&laptop(), "10.9.9.9".parse().unwrap()), None);
    }

    #[test]
    fn a_target_on_an_up_subnet_names_its_adapter() {
        assert_eq!(
            target_findings(&laptop(), target("192.168.1.50:5000")),
            Finding::TargetOnSubnet {
                target: target("192.168.1.50:5000"),
                adapter: "WLAN".to_owned(),
                network: "192.168.1.0/24".to_owned(),
            }
        );
        assert!(matches!(
            target_findings(&laptop(), target("127.0.0.1:5000")),
            Finding::TargetHere { .. }
        ));
        assert!(matches!(
            target_findings(&laptop(), target("192.168.1.23:5000")),
            Finding::TargetHere { .. }
        ));
    }

    #[test]
    fn a_target_behind_an_unplugged_cable_says_plug_it_in() {
        let finding = target_findings(&laptop(), target("10.0.0.7:5000"));
        assert_eq!(
            finding,
            Finding::TargetAdapterDown {
                target: target("10.0.0.7:5000"),
                adapter: "Ethernet".to_owned(),
                adapter_kind: AdapterKind::Ethernet,
                network: "10.0.0.0/24".to_owned(),
            }
        );
        let advice = finding.advice().unwrap().text(Lang::En);
        assert!(
            advice.contains("cable") && advice.contains("Ethernet"),
            "{advice}"
        );
    }

    #[test]
    fn a_local_target_on_no_subnet_is_a_warning_naming_the_route_and_networks() {
        let finding = target_findings(&laptop(), target("192.168.4.10:5000"));
        assert_eq!(
            finding,
            Finding::TargetOffSubnet {
                target: target("192.168.4.10:5000"),
                via: "WLAN".to_owned(),
                networks: vec!["192.168.1.0/24 (192.168.1.23)".to_owned()],
            }
        );
        assert_eq!(finding.status(), super::super::Status::Warning);
        // An internet address goes through the router, as it should.
        assert!(matches!(
            target_findings(&laptop(), target("8.8.8.8:53")),
            Finding::TargetViaRouter { .. }
        ));
    }

    #[test]
    fn no_subnet_and_no_default_route_is_no_route() {
        let only_loopback = &laptop()[..1];
        assert_eq!(
            target_findings(only_loopback, target("192.168.4.10:5000")),
            Finding::TargetNoRoute {
                target: target("192.168.4.10:5000")
            }
        );
    }

    #[test]
    fn this_pc_lists_its_loopback_adapter() {
        let list = adapters();
        let lo = list
            .iter()
            .find(|a| a.kind == AdapterKind::Loopback)
            .expect("a loopback adapter");
        assert!(
            lo.addrs
                .iter()
                .any(|a| a.ip == IpAddr::from([127, 0, 0, 1]) && a.prefix == 8),
            "{lo:?}"
        );
        assert!(lo.up, "{lo:?}");
        assert_eq!(adapter_findings(&list).len(), list.len());
        assert_eq!(adapter_findings(&[]), vec![Finding::NoAdapters]);
    }
}
