//! UDP sessions against real std sockets on loopback.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{WAIT, connected, data, start, wait_for};
use netassist::codec::Template;
use netassist::engine::{
    Command, Direction, Event, HostPort, Mode, Operation, Problem, Session, SessionConfig, Target,
};
use netassist::i18n::{Lang, Text};

fn udp_config(bind: &str, remote: Option<SocketAddr>, broadcast: bool) -> SessionConfig {
    SessionConfig::new(Mode::Udp {
        bind: bind.parse().unwrap(),
        remote: remote.map(HostPort::from),
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

fn receive_buffer(session: &Session) -> (usize, usize, bool) {
    wait_for(session, "ReceiveBuffer", |e| match e {
        Event::ReceiveBuffer {
            asked,
            granted,
            drops_reported,
            ..
        } => Some((*asked, *granted, *drops_reported)),
        _ => None,
    })
}

#[test]
fn the_receive_buffer_granted_is_reported() {
    let running = start(udp_config("127.0.0.1:0", None, false));
    let (asked, granted, drops_reported) = receive_buffer(&running.session);
    assert_eq!(asked, netassist::engine::DEFAULT_UDP_RECEIVE_BUFFER);
    assert!(granted > 0);
    if cfg!(target_os = "linux") {
        assert!(drops_reported);
        // Linux caps what an unprivileged socket may ask for at net.core.rmem_max.
        let cap: usize = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
            .map_or(usize::MAX, |text| text.trim().parse().unwrap());
        assert!(
            granted >= asked.min(cap),
            "granted {granted}, asked {asked}, rmem_max {cap}"
        );
    } else {
        assert!(!drops_reported, "only Linux says when it drops datagrams");
    }
}

/// A burst into a 4 KiB receive buffer while the worker may not read (the caller leaves its one read
/// unread): the OS drops most of it, and the session counts every datagram it did not deliver.
#[cfg(target_os = "linux")]
#[test]
fn datagrams_the_os_drops_are_counted() {
    let mut config = udp_config("127.0.0.1:0", None, false);
    config.udp_receive_buffer = 4 << 10;
    // One unread byte is too many: the worker reads one datagram, then waits for the test to take it.
    config.max_backlog_bytes = 0;
    let running = start(config);
    let addr = common::listening(&running.session);
    let sender = socket("127.0.0.1:0");
    let mut sent = 0_u64;
    for _ in 0..200 {
        sender.send_to(&[b'x'; 1000], addr).unwrap();
        sent += 1;
    }
    // The OS tells of drops on the next datagram it delivers, so a probe follows the burst; a probe that
    // finds the buffer still full is dropped (and counted) too, and another one follows.
    let (mut received, mut dropped, mut events) = (0_u64, 0_u64, 0);
    let deadline = Instant::now() + common::WAIT;
    while received + dropped != sent || dropped == 0 {
        assert!(
            Instant::now() < deadline,
            "sent {sent}, received {received}, dropped {dropped}"
        );
        sender.send_to(b"probe", addr).unwrap();
        sent += 1;
        while let Some(event) = running.session.recv_timeout(Duration::from_millis(100)) {
            match event {
                Event::Data {
                    dir: Direction::Rx, ..
                } => received += 1,
                Event::Dropped {
                    datagrams_total,
                    new,
                    ..
                } => {
                    assert_eq!(datagrams_total, dropped + new);
                    dropped = datagrams_total;
                    events += 1;
                }
                _ => {}
            }
            if received + dropped == sent && dropped > 0 {
                break;
            }
        }
    }
    assert!(dropped > 0 && received > 0, "received {received}");
    // One event per read turn at most, not one per datagram.
    assert!(
        events <= received,
        "{events} drop events for {received} reads"
    );
}

#[test]
fn an_ipv4_sender_on_a_dual_stack_socket_shows_as_ipv4() {
    let running = start(udp_config("[::]:0", None, false));
    let port = common::listening(&running.session).port();
    let device = socket("127.0.0.1:0");
    device
        .send_to(b"hello", SocketAddr::from(([127, 0, 0, 1], port)))
        .unwrap();
    let (peer, from, _) = connected(&running.session);
    assert_eq!(from, device.local_addr().unwrap());
    assert_eq!(data(&running.session, peer, Direction::Rx, 5), b"hello");
    // Replies go out through the IPv4-mapped form the IPv6 socket needs, to the peer and to an address.
    send(&running.session, Target::Peer(peer), b"reply".to_vec());
    assert_eq!(recv(&device).0, b"reply");
    send(
        &running.session,
        Target::Addr(device.local_addr().unwrap()),
        b"again".to_vec(),
    );
    assert_eq!(recv(&device).0, b"again");
    assert_eq!(data(&running.session, peer, Direction::Tx, 5), b"reply");
}

#[test]
fn the_default_remote_may_be_a_host_name() {
    let device = socket("127.0.0.1:0");
    let mut config = udp_config("127.0.0.1:0", None, false);
    if let Mode::Udp { remote, .. } = &mut config.mode {
        *remote = Some(HostPort {
            host: "localhost".to_owned(),
            port: device.local_addr().unwrap().port(),
        });
    }
    let running = start(config);
    let addr = common::listening(&running.session);
    send(&running.session, Target::Default, b"by name".to_vec());
    assert_eq!(recv(&device), (b"by name".to_vec(), addr));
}

#[test]
fn a_default_remote_that_is_no_host_stops_the_session_with_a_clear_error() {
    let mut config = udp_config("127.0.0.1:0", None, false);
    if let Mode::Udp { remote, .. } = &mut config.mode {
        *remote = Some(HostPort {
            host: "my board".to_owned(),
            port: 7,
        });
    }
    let running = start(config);
    let error = next_error(&running.session);
    assert_eq!(error.problem(), Problem::BadAddress);
    assert!(error.to_string().contains("'my board'"), "{error}");
    assert!(
        error.zh().contains("“my board”不是有效的地址或主机名"),
        "{}",
        error.zh()
    );
    wait_for(&running.session, "Stopped", |e| {
        matches!(e, Event::Stopped { .. }).then_some(())
    });
}

#[test]
fn the_log_counts_drops_and_says_so_in_both_languages() {
    use netassist::traffic::{LogConfig, Note, RowKind, TrafficLog};
    use std::time::{Instant, SystemTime};

    let mut log = TrafficLog::new(LogConfig::default());
    let at = SystemTime::now();
    for event in [
        Event::ReceiveBuffer {
            asked: 4 << 20,
            granted: 208 << 10,
            drops_reported: false,
            at,
        },
        Event::Dropped {
            datagrams_total: 5,
            new: 5,
            at,
        },
        Event::Dropped {
            datagrams_total: 12,
            new: 7,
            at,
        },
    ] {
        log.apply(&event, Instant::now());
    }
    assert_eq!(log.dropped_datagrams(), 12);
    let notes: Vec<&Note> = (0..log.len())
        .filter_map(|i| match &log.row(i).unwrap().kind {
            RowKind::Note(note) => Some(note),
            RowKind::Data { .. } => None,
        })
        .collect();
    let buffer = notes[0];
    assert!(
        buffer.text(Lang::En).contains("208 KiB"),
        "{}",
        buffer.text(Lang::En)
    );
    assert!(
        buffer.text(Lang::En).contains("cannot be counted"),
        "{}",
        buffer.text(Lang::En)
    );
    assert!(
        buffer.text(Lang::Zh).contains("无法统计"),
        "{}",
        buffer.text(Lang::Zh)
    );
    assert_eq!(
        notes[2].text(Lang::En),
        "The OS dropped 7 datagram(s) (12 in all): the receive buffer was full"
    );
    assert!(
        notes[2].text(Lang::Zh).contains("共 12 个"),
        "{}",
        notes[2].text(Lang::Zh)
    );
    log.reset_counters();
    assert_eq!(log.dropped_datagrams(), 0);
}

#[test]
fn a_periodic_send_keeps_its_period_and_its_progress_adds_up() {
    let device = socket("127.0.0.1:0");
    let running = start(udp_config(
        "127.0.0.1:0",
        Some(device.local_addr().unwrap()),
        false,
    ));
    common::listening(&running.session);
    let every = Duration::from_millis(2);
    assert!(running.session.send(Command::SendEvery {
        to: Target::Default,
        messages: vec![Template::from(Bytes::from_static(b"tick"))],
        every,
        count: None,
    }));
    // Arrivals in the second after the first: the ticks at 0, 2, ... 998 ms, so 500 when the period is
    // kept. A rate that falls short (late wake-ups whose ticks are lost) shows here.
    let mut buf = [0u8; 16];
    device.recv_from(&mut buf).expect("the first tick arrives");
    let window_end = Instant::now() + Duration::from_secs(1);
    let mut in_window = 1;
    let mut received = 1;
    while Instant::now() < window_end {
        device.recv_from(&mut buf).expect("ticks keep arriving");
        received += 1;
        if Instant::now() <= window_end {
            in_window += 1;
        }
    }
    assert!(running.session.send(Command::StopPeriodic));
    let mut tx_rows = 0u64;
    let (sent, skipped) = wait_for(&running.session, "Periodic done after the stop", |e| {
        match e {
            Event::Data {
                dir: Direction::Tx, ..
            } => tx_rows += 1,
            Event::Periodic {
                sent,
                skipped,
                done: true,
                ..
            } => return Some((*sent, *skipped)),
            _ => {}
        }
        None
    });
    // Every send is written before its progress event, so what is left is already in the socket's queue.
    device.set_nonblocking(true).unwrap();
    while device.recv_from(&mut buf).is_ok() {
        received += 1;
    }
    assert!(
        (485..=515).contains(&in_window),
        "{in_window} ticks arrived in 1 s at a 2 ms period (500 expected), {skipped} skipped"
    );
    assert_eq!(sent, received, "each send counted arrived, and no other");
    assert_eq!(sent, tx_rows, "one TX row per send");
    // Skipped ticks only come from wake-ups more than CATCH_UP periods late; the ticks asked for in the
    // run (sent + skipped) stay on the grid.
    assert!(
        skipped <= sent / 20,
        "{skipped} of {} ticks skipped on an idle loopback",
        sent + skipped
    );
}

#[test]
fn a_session_keeps_receiving_after_a_port_unreachable() {
    let running = start(udp_config("127.0.0.1:0", None, false));
    let addr = common::listening(&running.session);
    // A port where nothing listens: it answers datagrams with ICMP "port unreachable", as the doctor
    // confirms (Linux reports it on a connected socket, Windows as a reset on the next receive).
    let closed = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    assert_eq!(
        netassist::doctor::reachability::probe(closed, netassist::doctor::Protocol::Udp, WAIT),
        netassist::doctor::Finding::UdpNothingListening { target: closed }
    );
    for _ in 0..3 {
        send(&running.session, Target::Addr(closed), b"anyone?".to_vec());
        wait_for(&running.session, "the send", |e| match e {
            Event::Data {
                dir: Direction::Tx, ..
            } => Some(()),
            Event::Error { error, .. } => panic!("the send failed: {error}"),
            _ => None,
        });
    }
    // A device sends afterwards, and the session still receives it.
    let device = socket("127.0.0.1:0");
    device.send_to(b"still there?", addr).unwrap();
    let received = wait_for(&running.session, "a datagram after the ICMP", |e| match e {
        Event::Data {
            dir: Direction::Rx,
            bytes,
            ..
        } => Some(bytes.clone()),
        Event::Error { error, .. } => panic!("the session reported {error}"),
        Event::Stopped { .. } => panic!("the session stopped"),
        _ => None,
    });
    assert_eq!(&received[..], b"still there?");
}
