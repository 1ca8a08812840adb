//! Whether a relay's target is the relay itself. A relay that connects each device on to its own
//! listening address accepts that connection as a new device, connects it on again, and so on until the
//! PC runs out of sockets; so such a target is refused before anything opens.
//!
//! A target reaches the listener when the ports match and the target's IP is one the listener accepts on:
//! the same IP, or, for a listener on every address (`0.0.0.0`, `[::]`), any of this PC's own addresses
//! (loopback, an adapter's, or the unspecified address, which the OS takes as this PC). A `[::]` listener
//! is dual-stack, so it takes IPv4 targets too.

use std::net::{IpAddr, SocketAddr};

/// The first of `targets` that reaches a listener on `listen`, with `local` giving this PC's addresses
/// (asked only for a listener on every address).
pub(crate) fn self_target(
    listen: SocketAddr,
    targets: &[SocketAddr],
    local: impl FnOnce() -> Vec<IpAddr>,
) -> Option<SocketAddr> {
    let mut on_port = targets
        .iter()
        .filter(|target| target.port() == listen.port() && listen.port() != 0)
        .peekable();
    on_port.peek()?;
    let listen_ip = unmapped(listen.ip());
    if !listen_ip.is_unspecified() {
        return on_port
            .find(|target| unmapped(target.ip()) == listen_ip)
            .copied();
    }
    let local: Vec<IpAddr> = local().into_iter().map(unmapped).collect();
    on_port
        .find(|target| {
            let ip = unmapped(target.ip());
            let family = listen_ip.is_ipv6() || ip.is_ipv4();
            family && (ip.is_loopback() || ip.is_unspecified() || local.contains(&ip))
        })
        .copied()
}

/// An IPv4 address written as IPv6 (`::ffff:127.0.0.1`) as the IPv4 address it is.
fn unmapped(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// This PC's interface addresses, as the OS lists them.
pub(crate) fn local_addresses() -> Vec<IpAddr> {
    netdev::get_interfaces()
        .into_iter()
        .flat_map(|interface| {
            let v4 = interface.ipv4.iter().map(|net| IpAddr::V4(net.addr()));
            let v6 = interface.ipv6.iter().map(|net| IpAddr::V6(net.addr()));
            v4.chain(v6).collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn lan() -> Vec<IpAddr> {
        vec!["192.168.1.20".parse().unwrap(), "fe80::1".parse().unwrap()]
    }

    #[test]
    fn the_listening_address_itself_is_refused() {
        let listen = addr("127.0.0.1:9000");
        assert_eq!(
            self_target(listen, &[addr("127.0.0.1:9000")], lan),
            Some(addr("127.0.0.1:9000"))
        );
        assert_eq!(
            self_target(addr("[::1]:9000"), &[addr("[::1]:9000")], lan),
            Some(addr("[::1]:9000"))
        );
    }

    #[test]
    fn another_port_or_address_is_a_target() {
        let listen = addr("127.0.0.1:9000");
        for target in ["127.0.0.1:9001", "127.0.0.2:9000", "192.168.1.20:9000"] {
            assert_eq!(self_target(listen, &[addr(target)], lan), None, "{target}");
        }
        // A listener on one adapter's address is not reached through loopback.
        let listen = addr("192.168.1.20:9000");
        assert_eq!(self_target(listen, &[addr("127.0.0.1:9000")], lan), None);
    }

    #[test]
    fn every_address_listener_is_reached_by_any_local_address() {
        let listen = addr("0.0.0.0:9000");
        for target in [
            "127.0.0.1:9000",
            "127.1.2.3:9000",
            "0.0.0.0:9000",
            "192.168.1.20:9000",
        ] {
            assert_eq!(
                self_target(listen, &[addr(target)], lan),
                Some(addr(target)),
                "{target}"
            );
        }
        for target in ["192.168.1.21:9000", "[::1]:9000", "127.0.0.1:9001"] {
            assert_eq!(self_target(listen, &[addr(target)], lan), None, "{target}");
        }
    }

    #[test]
    fn a_dual_stack_listener_is_reached_by_either_family() {
        let listen = addr("[::]:9000");
        for target in [
            "[::1]:9000",
            "127.0.0.1:9000",
            "[::ffff:127.0.0.1]:9000",
            "192.168.1.20:9000",
            "[fe80::1]:9000",
        ] {
            assert_eq!(
                self_target(listen, &[addr(target)], lan),
                Some(addr(target)),
                "{target}"
            );
        }
    }

    #[test]
    fn any_of_a_names_addresses_counts() {
        let listen = addr("127.0.0.1:9000");
        let targets = [addr("[::1]:9000"), addr("127.0.0.1:9000")];
        assert_eq!(
            self_target(listen, &targets, lan),
            Some(addr("127.0.0.1:9000"))
        );
    }

    #[test]
    fn local_addresses_are_only_asked_for_an_every_address_listener() {
        let asked = |listen: &str| {
            let mut asked = false;
            self_target(addr(listen), &[addr("127.0.0.1:9000")], || {
                asked = true;
                Vec::new()
            });
            asked
        };
        assert!(!asked("127.0.0.1:9000"));
        assert!(!asked("0.0.0.0:9001"));
        assert!(asked("0.0.0.0:9000"));
    }

    #[test]
    fn this_pc_has_its_loopback_address() {
        let local = local_addresses();
        assert!(local.iter().any(IpAddr::is_loopback), "{local:?}");
    }
}
