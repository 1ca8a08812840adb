//! UDP sessions against real std sockets on loopback.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::{IpAddr, SocketAddr, UdpSocket};

use bytes::Bytes;
use common::{WAIT, connected, data, start, wait_for};
use netassist::engine::{
    Command, Direction, Event, Mode, Operation, Problem, Session, SessionConfig, Target,
};

fn udp_config(bind: &str, remote: Option<SocketAddr>, broadcast: bool) -> SessionConfig {
    SessionConfig::new(Mode::Udp {
        bind: bind.parse().unwrap(),
        remote,
        broadcast,
        multicast: Vec::new(),
    })
}

fn socket(bind: &str) -> UdpSocket {
    let socket = UdpSocket::bind(bind).unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    socket
}

fn recv(socket: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = vec![0; 70_000];
    let (n, from) = socket.recv_from(&mut buf).expect("a datagram arrives");
    buf.truncate(n);
    (buf, from)
}

fn send(session: &Session, to: Target, bytes: Vec<u8>) {
    assert!(session.send(Command::Send {
        to,
        bytes: Bytes::from(bytes),
    }));
}

fn next_error(session: &Session) -> netassist::engine::NetError {
    wait_for(session, "Error", |e| match e {
        Event::Error { error, .. } => Some(error.clone()),
        _ => None,
    })
}

#[test]
fn a_sender_becomes_a_peer_that_can_be_answered() {
    let running = start(udp_config("127.0.0.1:0", None, false));
    let addr = common::listening(&running.session);
    let device = socket("127.0.0.1:0");
    device.send_to("你好 hello".as_bytes(), addr).unwrap();
    let (peer, from, local) = connected(&running.session);
    assert_eq!((from, local), (device.local_addr().unwrap(), addr));
    assert_eq!(
        data(&running.session, peer, Direction::Rx, 12),
        "你好 hello".as_bytes()
    );
    send(&running.session, Target::Peer(peer), b"reply".to_vec());
    assert_eq!(recv(&device), (b"reply".to_vec(), addr));
    assert_eq!(data(&running.session, peer, Direction::Tx, 5), b"reply");
}

#[test]
fn sends_to_the_default_remote_and_to_any_address() {
    let default = socket("127.0.0.1:0");
    let other = socket("127.0.0.1:0");
    let running = start(udp_config(
        "127.0.0.1:0",
        Some(default.local_addr().unwrap()),
        false,
    ));
    let addr = common::listening(&running.session);
    send(&running.session, Target::Default, b"to default".to_vec());
    assert_eq!(recv(&default), (b"to default".to_vec(), addr));
    send(
        &running.session,
        Target::Addr(other.local_addr().unwrap()),
        b"to other".to_vec(),
    );
    assert_eq!(recv(&other), (b"to other".to_vec(), addr));
    send(&running.session, Target::All, b"to all".to_vec());
    assert_eq!(recv(&default).0, b"to all");
    assert_eq!(recv(&other).0, b"to all");
}

#[test]
fn the_largest_datagram_arrives_whole_both_ways() {
    let running = start(udp_config("127.0.0.1:0", None, false));
    let addr = common::listening(&running.session);
    let device = socket("127.0.0.1:0");
    let big: Vec<u8> = (0..65_507u32).map(|i| (i % 251) as u8).collect();
    // A large datagram first: the biggest one must not land in what it left of the read buffer.
    device.send_to(&big[..20_000], addr).unwrap();
    device.send_to(&big, addr).unwrap();
    let (peer, _, _) = connected(&running.session);
    for len in [20_000, 65_507] {
        let got = wait_for(&running.session, "a large datagram", |e| match e {
            Event::Data {
                dir: Direction::Rx,
                bytes,
                ..
            } => Some(bytes.clone()),
            _ => None,
        });
        assert_eq!(got.len(), len, "one event, one whole datagram");
        assert_eq!(&got[..], &big[..len]);
    }
    send(&running.session, Target::Peer(peer), big.clone());
    assert_eq!(recv(&device).0, big);
}

#[test]
fn echo_answers_each_sender() {
    let running = start(udp_config("127.0.0.1:0", None, false).with_echo(true));
    let addr = common::listening(&running.session);
    let a = socket("127.0.0.1:0");
    let b = socket("127.0.0.1:0");
    a.send_to(b"from a", addr).unwrap();
    b.send_to(b"from b", addr).unwrap();
    assert_eq!(recv(&a), (b"from a".to_vec(), addr));
    assert_eq!(recv(&b), (b"from b".to_vec(), addr));
}

#[test]
fn works_over_ipv6_loopback() {
    let running = start(udp_config("[::1]:0", None, true));
    let addr = common::listening(&running.session);
    let device = socket("[::1]:0");
    device.send_to(b"v6", addr).unwrap();
    let (peer, _, _) = connected(&running.session);
    send(&running.session, Target::Peer(peer), b"v6 back".to_vec());
    assert_eq!(recv(&device), (b"v6 back".to_vec(), addr));
}

#[test]
fn broadcast_needs_the_option_and_then_reaches_listeners() {
    // 127.255.255.255 is loopback's own broadcast address: the datagram never leaves this machine.
    let listener = socket("0.0.0.0:0");
    let target: SocketAddr = ([127, 255, 255, 255], listener.local_addr().unwrap().port()).into();

    let plain = start(udp_config("127.0.0.1:0", Some(target), false));
    common::listening(&plain.session);
    send(&plain.session, Target::Default, b"refused".to_vec());
    let error = next_error(&plain.session);
    assert_eq!(
        (error.op, error.problem()),
        (Operation::Send, Problem::PermissionDenied)
    );
    assert!(error.to_string().contains("Broadcast option"), "{error}");

    let running = start(udp_config("0.0.0.0:0", Some(target), true));
    common::listening(&running.session);
    send(&running.session, Target::Default, b"to everyone".to_vec());
    assert_eq!(recv(&listener).0, b"to everyone");
}

#[test]
fn joins_and_leaves_multicast_groups() {
    let running = start(udp_config("0.0.0.0:0", None, false));
    common::listening(&running.session);
    let group: IpAddr = "239.255.70.77".parse().unwrap();
    // Joined on the loopback interface, so no membership report goes to a real network.
    let interface = Some("127.0.0.1".parse().unwrap());
    assert!(
        running
            .session
            .send(Command::JoinMulticast { group, interface })
    );
    let joined = wait_for(&running.session, "Joined", |e| match e {
        Event::Joined { group, .. } => Some(*group),
        Event::Error { error, .. } => panic!("join failed: {error}"),
        _ => None,
    });
    assert_eq!(joined, group);
    assert!(
        running
            .session
            .send(Command::LeaveMulticast { group, interface })
    );
    let left = wait_for(&running.session, "Left", |e| match e {
        Event::Left { group, .. } => Some(*group),
        _ => None,
    });
    assert_eq!(left, group);
    // Leaving again is an error the session survives.
    assert!(
        running
            .session
            .send(Command::LeaveMulticast { group, interface })
    );
    assert_eq!(next_error(&running.session).op, Operation::Multicast);
}

#[test]
fn a_port_in_use_is_reported_even_between_two_sessions() {
    let first = start(udp_config("127.0.0.1:0", None, false));
    let taken = common::listening(&first.session);
    let second = start(udp_config(&taken.to_string(), None, false));
    let error = next_error(&second.session);
    assert_eq!(error.problem(), Problem::AddrInUse);
    wait_for(&second.session, "Stopped", |e| {
        matches!(e, Event::Stopped { .. }).then_some(())
    });
}

#[test]
fn forgetting_a_peer_makes_the_next_datagram_a_new_peer() {
    let running = start(udp_config("127.0.0.1:0", None, false));
    let addr = common::listening(&running.session);
    let device = socket("127.0.0.1:0");
    device.send_to(b"1", addr).unwrap();
    let (first, _, _) = connected(&running.session);
    assert!(running.session.send(Command::Disconnect(first)));
    wait_for(&running.session, "Closed", |e| {
        matches!(e, Event::Closed { peer, .. } if *peer == first).then_some(())
    });
    device.send_to(b"2", addr).unwrap();
    let (second, from, _) = connected(&running.session);
    assert_ne!(first, second);
    assert_eq!(from, device.local_addr().unwrap());

    // Stopping reports the remotes still known as closed by the stop, like a server's clients.
    let mut running = running;
    running.session.stop();
    let closed: Vec<_> = running
        .session
        .drain()
        .filter_map(|e| match e {
            Event::Closed { peer, reason, .. } => Some((peer, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        closed,
        [(second, netassist::engine::CloseReason::SessionStopped)]
    );
}
