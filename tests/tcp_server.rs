//! TCP server sessions against real std-socket clients on loopback.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{client, connected, data, read_n, read_to_close, server_config, tcp_server, wait_for};
use netassist::codec::{Checksum, InputMode, Scope, SendOptions, Template};
use netassist::engine::{
    CloseReason, Command, Direction, Event, Mode, PeerId, Problem, SessionConfig, Target,
};
use socket2::SockRef;

fn send(session: &netassist::engine::Session, to: Target, bytes: &'static [u8]) {
    assert!(session.send(Command::Send {
        to,
        bytes: Bytes::from_static(bytes),
    }));
}

fn closed(session: &netassist::engine::Session, peer: PeerId) -> CloseReason {
    wait_for(session, &format!("Closed for {peer}"), |e| match e {
        Event::Closed {
            peer: p, reason, ..
        } if *p == peer => Some(reason.clone()),
        _ => None,
    })
}

#[test]
fn serves_200_clients_at_once_and_keeps_their_data_apart() {
    let (server, addr) = tcp_server(server_config("127.0.0.1:0"));
    let mut clients: Vec<_> = (0..200).map(|_| client(addr)).collect();
    for (i, stream) in clients.iter_mut().enumerate() {
        writeln!(stream, "client {i}").unwrap();
    }
    let by_local: HashMap<SocketAddr, usize> = clients
        .iter()
        .enumerate()
        .map(|(i, s)| (s.local_addr().unwrap(), i))
        .collect();
    let mut peers = HashMap::new();
    let mut received: HashMap<PeerId, Vec<u8>> = HashMap::new();
    let expected_bytes: usize = (0..200).map(|i| format!("client {i}\n").len()).sum();
    let mut total = 0;
    wait_for(&server.session, "200 clients and their lines", |e| {
        match e {
            Event::Connected { peer, addr, .. } => {
                peers.insert(*peer, by_local[addr]);
            }
            Event::Data {
                peer,
                dir: Direction::Rx,
                bytes,
                ..
            } => {
                total += bytes.len();
                received.entry(*peer).or_default().extend_from_slice(bytes);
            }
            _ => {}
        }
        (peers.len() == 200 && total == expected_bytes).then_some(())
    });
    for (peer, text) in received {
        assert_eq!(text, format!("client {}\n", peers[&peer]).into_bytes());
    }
}

#[test]
fn targeted_send_reaches_only_its_peer_and_send_to_all_reaches_everyone() {
    let (server, addr) = tcp_server(server_config("127.0.0.1:0"));
    let mut clients: Vec<_> = (0..3).map(|_| client(addr)).collect();
    let mut peer_of = HashMap::new();
    for _ in 0..3 {
        let (peer, remote, _) = connected(&server.session);
        peer_of.insert(remote, peer);
    }
    let target = peer_of[&clients[1].local_addr().unwrap()];
    send(&server.session, Target::Peer(target), b"only you;");
    send(&server.session, Target::All, b"everyone;");
    // TCP keeps order, so a client that got the targeted bytes reads them before the broadcast.
    assert_eq!(read_n(&mut clients[1], 18), b"only you;everyone;");
    assert_eq!(read_n(&mut clients[0], 9), b"everyone;");
    assert_eq!(read_n(&mut clients[2], 9), b"everyone;");
    let sent = data(&server.session, target, Direction::Tx, 18);
    assert_eq!(sent, b"only you;everyone;");
}

#[test]
fn kicked_client_sees_a_clean_close_and_the_others_stay() {
    let (server, addr) = tcp_server(server_config("127.0.0.1:0"));
    let mut first = client(addr);
    let (first_peer, _, _) = connected(&server.session);
    let mut second = client(addr);
    let (second_peer, _, _) = connected(&server.session);
    assert!(server.session.send(Command::Disconnect(first_peer)));
    assert_eq!(closed(&server.session, first_peer), CloseReason::Kicked);
    assert!(read_to_close(&mut first).is_empty());
    send(&server.session, Target::Peer(second_peer), b"still here");
    assert_eq!(read_n(&mut second, 10), b"still here");
}

#[test]
fn reports_clean_close_and_reset_apart() {
    let (server, addr) = tcp_server(server_config("127.0.0.1:0"));
    let polite = client(addr);
    let (polite_peer, _, _) = connected(&server.session);
    drop(polite);
    assert_eq!(
        closed(&server.session, polite_peer),
        CloseReason::PeerClosed
    );

    let rude = client(addr);
    let (rude_peer, _, _) = connected(&server.session);
    // Linger 0 makes close() send RST instead of FIN.
    SockRef::from(&rude)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(rude);
    assert_eq!(closed(&server.session, rude_peer), CloseReason::Reset);
}

#[test]
fn stopping_closes_every_client_and_ends_promptly() {
    let (mut server, addr) = tcp_server(server_config("127.0.0.1:0"));
    let mut clients: Vec<_> = (0..5).map(|_| client(addr)).collect();
    for _ in 0..5 {
        connected(&server.session);
    }
    let started = Instant::now();
    server.session.stop();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "stop took {:?}",
        started.elapsed()
    );
    assert!(server.session.is_finished());
    let events: Vec<Event> = server.session.drain().collect();
    let stopped_closes = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::Closed {
                    reason: CloseReason::SessionStopped,
                    ..
                }
            )
        })
        .count();
    assert_eq!(stopped_closes, 5);
    assert!(matches!(events.last(), Some(Event::Stopped { .. })));
    for stream in &mut clients {
        assert!(read_to_close(stream).is_empty());
    }
}

#[test]
fn dropping_the_session_closes_the_port() {
    let (server, addr) = tcp_server(server_config("127.0.0.1:0"));
    let mut stream = client(addr);
    connected(&server.session);
    drop(server);
    assert!(read_to_close(&mut stream).is_empty());
    // The port is free again for the next session.
    let (_again, again_addr) = tcp_server(server_config(&addr.to_string()));
    assert_eq!(again_addr, addr);
}

#[test]
fn port_in_use_is_an_error_then_stopped() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let running = common::start(server_config(&addr.to_string()));
    let error = wait_for(&running.session, "Error", |e| match e {
        Event::Error { error, .. } => Some(error.clone()),
        _ => None,
    });
    assert_eq!(error.problem(), Problem::AddrInUse);
    assert_eq!(error.kind, std::io::ErrorKind::AddrInUse);
    assert!(
        error.to_string().contains(&format!("Port {}", addr.port())),
        "{error}"
    );
    wait_for(&running.session, "Stopped", |e| {
        matches!(e, Event::Stopped { .. }).then_some(())
    });
}

#[test]
fn an_address_this_pc_does_not_have_is_reported() {
    // 192.0.2.0/24 is reserved for documentation; no PC has it, and binding sends nothing.
    let running = common::start(server_config("192.0.2.1:0"));
    let error = wait_for(&running.session, "Error", |e| match e {
        Event::Error { error, .. } => Some(error.clone()),
        _ => None,
    });
    assert_eq!(error.problem(), Problem::AddrNotAvailable);
}

#[test]
fn serves_ipv6_loopback_and_the_ipv6_wildcard_takes_ipv4_too() {
    let (server, addr) = tcp_server(server_config("[::1]:0"));
    let mut stream = client(addr);
    let (peer, _, _) = connected(&server.session);
    stream.write_all(b"v6").unwrap();
    assert_eq!(data(&server.session, peer, Direction::Rx, 2), b"v6");

    let (dual, dual_addr) = tcp_server(server_config("[::]:0"));
    let mut v4 = client(SocketAddr::from(([127, 0, 0, 1], dual_addr.port())));
    let (peer, _, _) = connected(&dual.session);
    send(&dual.session, Target::Peer(peer), b"hi v4");
    assert_eq!(read_n(&mut v4, 5), b"hi v4");
}

#[test]
fn echo_sends_everything_back_and_reports_it_as_sent() {
    let (server, addr) = tcp_server(server_config("127.0.0.1:0").with_echo(true));
    let mut stream = client(addr);
    connected(&server.session);
    stream.write_all("Hello 01Studio! 你好".as_bytes()).unwrap();
    let n = "Hello 01Studio! 你好".len();
    assert_eq!(read_n(&mut stream, n), "Hello 01Studio! 你好".as_bytes());
    let mut order = Vec::new();
    let mut rx = 0;
    let mut tx = 0;
    wait_for(&server.session, "RX and TX of the echo", |e| {
        if let Event::Data { dir, bytes, .. } = e {
            order.push(*dir);
            match dir {
                Direction::Rx => rx += bytes.len(),
                Direction::Tx => tx += bytes.len(),
            }
        }
        (rx == n && tx == n).then_some(())
    });
    assert_eq!(
        order.first(),
        Some(&Direction::Rx),
        "received is reported before its echo"
    );
}

#[test]
fn clients_beyond_the_limit_are_closed_and_reported() {
    let config = SessionConfig::new(Mode::TcpServer {
        bind: "127.0.0.1:0".parse().unwrap(),
        max_clients: Some(2),
    });
    let (server, addr) = tcp_server(config);
    let _a = client(addr);
    let _b = client(addr);
    connected(&server.session);
    connected(&server.session);
    let mut extra = client(addr);
    let extra_addr = extra.local_addr().unwrap();
    let (rejected, limit) = wait_for(&server.session, "Rejected", |e| match e {
        Event::Rejected {
            addr, max_clients, ..
        } => Some((*addr, *max_clients)),
        _ => None,
    });
    assert_eq!((rejected, limit), (extra_addr, 2));
    assert!(read_to_close(&mut extra).is_empty());
}

#[test]
fn a_client_that_stops_reading_overflows_only_its_own_queue() {
    let mut config = server_config("127.0.0.1:0");
    config.max_queue_bytes = 256 * 1024;
    let (server, addr) = tcp_server(config);
    let _sleeper = client(addr);
    let (sleeper, _, _) = connected(&server.session);
    let mut reader = client(addr);
    let (awake, _, _) = connected(&server.session);
    let chunk = Bytes::from(vec![0x55; 64 * 1024]);
    // Far more than the kernel's buffers and the queue hold together.
    for _ in 0..1024 {
        assert!(server.session.send(Command::Send {
            to: Target::Peer(sleeper),
            bytes: chunk.clone(),
        }));
    }
    let (len, queued) = wait_for(&server.session, "SendDropped", |e| match e {
        Event::SendDropped {
            peer, len, queued, ..
        } if *peer == sleeper => Some((*len, *queued)),
        _ => None,
    });
    assert_eq!(len, chunk.len());
    assert!(
        queued + len > 256 * 1024 && queued <= 256 * 1024,
        "queued {queued}"
    );
    send(&server.session, Target::Peer(awake), b"not blocked");
    assert_eq!(read_n(&mut reader, 11), b"not blocked");
}

#[test]
fn wakes_the_caller_when_something_happens_and_not_once_per_packet() {
    let (server, addr) = tcp_server(server_config("127.0.0.1:0"));
    let mut stream = client(addr);
    let (peer, _, _) = connected(&server.session);
    let before = server.wakes();
    let started = Instant::now();
    let mut total = 0;
    for i in 0..20_000u32 {
        stream.write_all(&i.to_le_bytes()).unwrap();
        total += 4;
    }
    data(&server.session, peer, Direction::Rx, total);
    let elapsed = started.elapsed();
    let wakes = server.wakes() - before;
    assert!(wakes >= 1, "the caller was never woken");
    // At most 120 a second, plus the first wake and one owed after the last event.
    let allowed = (elapsed.as_millis() as usize * 120).div_ceil(1000) + 2;
    assert!(
        wakes <= allowed,
        "{wakes} wakes in {elapsed:?} (allowed {allowed})"
    );
}

#[test]
fn sends_to_gone_peers_are_not_sent_and_the_session_goes_on() {
    let (server, addr) = tcp_server(server_config("127.0.0.1:0"));
    send(&server.session, Target::Peer(PeerId(99)), b"xyz");
    let unsent = wait_for(&server.session, "Unsent", |e| match e {
        Event::Unsent {
            peer, bytes, sends, ..
        } => Some((*peer, *bytes, *sends)),
        _ => None,
    });
    assert_eq!(unsent, (PeerId(99), 3, 1));
    // Nothing to disconnect: no error either (a peer that is gone has its own close row).
    server
        .session
        .send(netassist::engine::Command::Disconnect(PeerId(99)));
    let mut stream = client(addr);
    let peer = wait_for(&server.session, "Connected", |e| match e {
        Event::Error { error, .. } => panic!("{error}"),
        Event::Connected { peer, .. } => Some(*peer),
        _ => None,
    });
    send(&server.session, Target::Peer(peer), b"ok");
    assert_eq!(read_n(&mut stream, 2), b"ok");
}

#[test]
fn a_periodic_send_renders_each_tick_anew() {
    let (server, addr) = tcp_server(server_config("127.0.0.1:0"));
    let mut stream = client(addr);
    let (peer, _, _) = connected(&server.session);
    let options = SendOptions {
        input: InputMode::Hex,
        ..SendOptions::default()
    };
    // Each tick: AA, its number as two bytes, and a CRC over those three bytes.
    let message = Template::parse("AA {counter:2} {crc16modbus}", &options, Scope::SEND).unwrap();
    assert!(server.session.send(Command::SendEvery {
        to: Target::Peer(peer),
        messages: vec![message],
        every: Duration::from_millis(1),
        count: Some(4),
    }));
    let mut expected = Vec::new();
    for tick in 1..=4_u16 {
        let mut frame = vec![0xAA];
        frame.extend_from_slice(&tick.to_be_bytes());
        Checksum::Crc16Modbus.append(&mut frame);
        expected.extend_from_slice(&frame);
    }
    assert_eq!(read_n(&mut stream, expected.len()), expected, "1, 2, 3, 4");
    // The log records each tick's own bytes.
    let mut sent = Vec::new();
    wait_for(&server.session, "four Tx rows", |e| match e {
        Event::Data {
            dir: Direction::Tx,
            bytes,
            ..
        } => {
            sent.push(bytes.to_vec());
            (sent.len() == 4).then_some(())
        }
        _ => None,
    });
    assert_eq!(sent.concat(), expected);
}

#[test]
fn periodic_send_keeps_going_until_its_count_or_a_stop() {
    let (server, addr) = tcp_server(server_config("127.0.0.1:0"));
    let mut stream = client(addr);
    let (peer, _, _) = connected(&server.session);
    assert!(server.session.send(Command::SendEvery {
        to: Target::Peer(peer),
        messages: vec![Template::from(Bytes::from_static(b"tick;"))],
        every: Duration::from_millis(1),
        count: Some(5),
    }));
    assert_eq!(read_n(&mut stream, 25), b"tick;".repeat(5));
    let sent = wait_for(&server.session, "the last Periodic", |e| match e {
        Event::Periodic {
            sent, done: true, ..
        } => Some(*sent),
        _ => None,
    });
    assert_eq!(sent, 5);

    assert!(server.session.send(Command::SendEvery {
        to: Target::All,
        messages: vec![Template::from(Bytes::from_static(b"."))],
        every: Duration::from_millis(1),
        count: None,
    }));
    assert_eq!(read_n(&mut stream, 3), b"...");
    assert!(server.session.send(Command::StopPeriodic));
    let sent = wait_for(
        &server.session,
        "Periodic done after the stop",
        |e| match e {
            Event::Periodic {
                sent, done: true, ..
            } => Some(*sent),
            _ => None,
        },
    );
    assert!(sent >= 3);
}

#[test]
fn a_half_close_or_disconnect_for_a_client_that_is_gone_is_no_error() {
    let (server, addr) = tcp_server(server_config("127.0.0.1:0"));
    let client = client(addr);
    let (peer, _, _) = connected(&server.session);
    // The client resets at once, as a board that is switched off mid-connect.
    SockRef::from(&client)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(client);
    assert_eq!(closed(&server.session, peer), CloseReason::Reset);
    // A half-close on connect, or a click, that comes after: nothing left to do, nothing wrong.
    assert!(server.session.send(Command::HalfClose(peer)));
    assert!(server.session.send(Command::Disconnect(peer)));
    assert!(server.session.send(Command::Stop));
    wait_for(&server.session, "Stopped", |event| match event {
        Event::Error { error, .. } => panic!("an error for a peer that is gone: {error}"),
        Event::Stopped { .. } => Some(()),
        _ => None,
    });
}

#[test]
fn what_a_peer_sent_before_the_reset_a_write_found_is_recorded_with_its_fin_if_it_came() {
    for fin in [false, true] {
        let mut config = server_config("127.0.0.1:0").with_echo(true);
        config.max_queue_bytes = 32 << 20;
        let (server, addr) = tcp_server(config);
        let session = &server.session;
        // A client that reads nothing, with a small receive buffer.
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        socket.connect(&addr.into()).unwrap();
        let mut stream = std::net::TcpStream::from(socket);
        let (peer, ..) = connected(session);
        // More than the socket buffers hold stays queued, and the echo then stops reading the client
        // (its echo would overfill the queue): what the client sends now stays unread on the socket.
        common::send_taken(session, peer, vec![b'x'; 32 << 20]);
        stream.write_all(b"PEERDATA").unwrap();
        if fin {
            stream.shutdown(std::net::Shutdown::Write).unwrap();
        }
        // Closed with bytes unread, the client resets the connection; the next write finds it.
        drop(stream);
        send(session, Target::Peer(peer), b"AAA");
        let mut events = Vec::new();
        let reason = wait_for(session, "the close", |e| {
            events.push(e.clone());
            match e {
                Event::Closed {
                    peer: p, reason, ..
                } if *p == peer => Some(reason.clone()),
                _ => None,
            }
        });
        assert_eq!(reason, CloseReason::Reset);
        let received: Vec<&[u8]> = events
            .iter()
            .filter_map(|e| match e {
                Event::Data {
                    peer: p,
                    dir: Direction::Rx,
                    bytes,
                    ..
                } if *p == peer => Some(&bytes[..]),
                _ => None,
            })
            .collect();
        assert_eq!(received, [b"PEERDATA"], "read before the close");
        let fin_read = events.iter().any(|e| {
            matches!(e, Event::HalfClosed { peer: p, side: netassist::engine::Side::Peer, .. } if *p == peer)
        });
        assert_eq!(fin_read, fin, "the FIN is recorded when it came");
    }
}
