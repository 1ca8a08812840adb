//! Multicast delivery, tested inside a private network namespace whose only interface is its own loopback,
//! so group traffic cannot reach any real network. Needs `unshare` and `ip` (iproute2) and the right to
//! create namespaces (root in CI); without them the test says so and passes without running.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::{IpAddr, SocketAddr, UdpSocket};

use bytes::Bytes;
use common::{WAIT, connected, data, in_private_namespace, start, wait_for};
use netassist::engine::{Command, Direction, Event, Mode, SessionConfig, Target};

const GROUP: &str = "239.255.70.77";

#[test]
fn multicast_groups_deliver_both_ways_in_a_private_namespace() {
    // Loopback in a new namespace is down and has no multicast route: bring it up and route 224/4 to it.
    in_private_namespace(
        "multicast_groups_deliver_both_ways_in_a_private_namespace",
        "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo",
        inside_namespace,
    );
}

fn inside_namespace() {
    let group: IpAddr = GROUP.parse().unwrap();
    let config = SessionConfig::new(Mode::Udp {
        bind: "0.0.0.0:0".parse().unwrap(),
        remote: None,
        broadcast: false,
        multicast: vec![group],
    });
    let running = start(config);
    let port = common::listening(&running.session).port();
    let joined = wait_for(&running.session, "Joined", |e| match e {
        Event::Joined { group, .. } => Some(*group),
        Event::Error { error, .. } => panic!("join failed: {error}"),
        _ => None,
    });
    assert_eq!(joined, group);

    // A device sends to the group; the session, a member, receives it.
    let device = UdpSocket::bind("0.0.0.0:0").unwrap();
    device.set_read_timeout(Some(WAIT)).unwrap();
    device
        .send_to(b"to the group", SocketAddr::new(group, port))
        .unwrap();
    let (peer, from, _) = connected(&running.session);
    assert_eq!(from.port(), device.local_addr().unwrap().port());
    assert_eq!(
        data(&running.session, peer, Direction::Rx, 12),
        b"to the group"
    );

    // The session sends to the group; a member device receives it.
    let member = UdpSocket::bind(("0.0.0.0", 0)).unwrap();
    member.set_read_timeout(Some(WAIT)).unwrap();
    member
        .join_multicast_v4(&GROUP.parse().unwrap(), &"0.0.0.0".parse().unwrap())
        .unwrap();
    let to = SocketAddr::new(group, member.local_addr().unwrap().port());
    assert!(running.session.send(Command::Send {
        to: Target::Addr(to),
        bytes: Bytes::from_static(b"from the session"),
    }));
    let mut buf = [0u8; 64];
    let (n, _) = member.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"from the session");
}
