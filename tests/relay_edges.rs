//! Relay mode at its edges, on loopback: a target that is the relay itself is refused before anything
//! opens; delayed rule answers go out before the half-close they were scheduled ahead of; a side the
//! relay resets is recorded as reset, with what it sent that never went on; and `netassist relay` takes
//! only the flags a relay uses. What a device does while its target connect is pending is in
//! `relay_connecting.rs`.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use common::cli::Netassist;
use common::{WAIT, client, close_reason, listening, read_to_close, start, wait_for};
use netassist::codec::{FramerConfig, Framing, TextEncoding};
use netassist::engine::{
    CloseReason, Command, Event, HostPort, Mode, PeerId, Problem, Session, SessionConfig, Target,
};
use netassist::rules::{Rule, Rules};

/// A relay on `bind` to `target`.
fn relay(bind: &str, target: &str) -> SessionConfig {
    let (host, port) = target.rsplit_once(':').unwrap();
    SessionConfig::new(Mode::Relay {
        bind: bind.parse().unwrap(),
        target: HostPort {
            host: host.trim_matches(['[', ']']).to_owned(),
            port: port.parse().unwrap(),
        },
        max_clients: None,
        timeout: Duration::from_secs(5),
    })
}

/// A loopback port free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_target_that_is_the_relay_itself_is_refused_before_listening() {
    let port = free_port();
    for (bind, target) in [
        (format!("127.0.0.1:{port}"), format!("127.0.0.1:{port}")),
        (format!("0.0.0.0:{port}"), format!("127.0.0.1:{port}")),
        (format!("0.0.0.0:{port}"), format!("localhost:{port}")),
        (format!("[::]:{port}"), format!("127.0.0.1:{port}")),
    ] {
        let running = start(relay(&bind, &target));
        let error = wait_for(&running.session, "the refusal", |event| match event {
            Event::Listening { addr, .. } => panic!("{bind} → {target}: listening on {addr}"),
            Event::Error { error, .. } => Some(error.clone()),
            _ => None,
        });
        assert_eq!(error.problem(), Problem::SelfTarget, "{bind} → {target}");
        let en = error.to_string();
        assert!(
            en.contains(&target) && en.contains("this relay itself"),
            "{en}"
        );
        assert!(error.zh().contains("就是本中继自己"), "{}", error.zh());
        // Nothing listens: the relay refused before opening its port.
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "{bind}");
    }
}

#[test]
fn another_port_on_the_same_address_is_relayed_to() {
    let running = start(relay("127.0.0.1:0", "127.0.0.1:9"));
    let addr: SocketAddr = common::listening(&running.session);
    assert_ne!(addr.port(), 9);
}

#[test]
fn netassist_relay_to_itself_exits_2_saying_why() {
    let port = free_port().to_string();
    let bind = format!("0.0.0.0:{port}");
    let to = format!("localhost:{port}");
    let ended = Netassist::start(&["relay", "--bind", &bind, "--to", &to, "--seconds", "5"]).end();
    assert_eq!(ended.code, 2, "{:#?} {}", ended.stdout, ended.stderr);
    assert!(
        ended
            .stderr
            .contains(&format!("The target {to} is this relay itself")),
        "{}",
        ended.stderr
    );
    assert!(ended.took < WAIT);
    assert!(
        !ended.stdout.iter().any(|line| line.contains("Listening")),
        "{:#?}",
        ended.stdout
    );
}

/// Rules for the relay, as typed after `--rule`.
fn rules(typed: &[&str]) -> Rules {
    let rules: Vec<Rule> = typed.iter().map(|rule| rule.parse().unwrap()).collect();
    Rules::new(&rules, TextEncoding::Utf8, FramerConfig::from(Framing::Raw)).unwrap()
}

/// A std listener standing for the server, on a free loopback port, and a relay to it with `rules`.
fn relayed(typed_rules: &[&str]) -> (TcpListener, common::Running) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let running = start(relay("127.0.0.1:0", &target).with_rules(rules(typed_rules)));
    (listener, running)
}

fn accept(listener: &TcpListener) -> TcpStream {
    let (stream, _) = listener.accept().unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream
}

/// Every event until both sides of the pair closed, in order.
fn until_both_closed(session: &Session) -> Vec<Event> {
    let mut seen = Vec::new();
    let mut closed = 0;
    wait_for(session, "both sides closed", |event| {
        seen.push(event.clone());
        if matches!(event, Event::Closed { .. }) {
            closed += 1;
        }
        (closed == 2).then_some(())
    });
    seen
}

/// Closes `stream` with an RST, not a FIN (`SO_LINGER` 0).
fn reset(stream: TcpStream) {
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(stream);
}

/// Whether any of `events` reports bytes not sent.
fn any_unsent(events: &[Event]) -> bool {
    events
        .iter()
        .any(|event| matches!(event, Event::Unsent { .. } | Event::SendDropped { .. }))
}

#[test]
fn a_delayed_injection_goes_out_before_the_fin_it_was_scheduled_ahead_of() {
    let (listener, running) = relayed(&["exact:AT=>[200ms]onward:INJ"]);
    let mut device = client(listening(&running.session));
    let mut server = accept(&listener);
    device.write_all(b"AT").unwrap();
    device.shutdown(Shutdown::Write).unwrap();
    // The server reads the message, then the injection, then the device's FIN passed on.
    assert_eq!(read_to_close(&mut server), b"ATINJ");
    drop(server);
    let events = until_both_closed(&running.session);
    assert!(!any_unsent(&events), "{events:#?}");
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, Event::Error { .. })),
        "{events:#?}"
    );
}

#[test]
fn a_delayed_reply_to_the_device_goes_out_before_the_servers_fin() {
    let (listener, running) = relayed(&["exact:AT=>[200ms]OK"]);
    let mut device = client(listening(&running.session));
    let mut server = accept(&listener);
    device.write_all(b"AT").unwrap();
    let mut got = [0; 2];
    std::io::Read::read_exact(&mut server, &mut got).unwrap();
    assert_eq!(&got, b"AT");
    server.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_close(&mut device), b"OK");
    drop(device);
    let events = until_both_closed(&running.session);
    assert!(!any_unsent(&events), "{events:#?}");
}

#[test]
fn a_delayed_reply_the_stop_overtakes_is_not_sent_row() {
    let (listener, running) = relayed(&["exact:AT=>[30000ms]onward:INJ"]);
    let mut device = client(listening(&running.session));
    let _server = accept(&listener);
    device.write_all(b"AT").unwrap();
    device.shutdown(Shutdown::Write).unwrap();
    let device_id: PeerId = wait_for(&running.session, "the FIN", |event| match event {
        Event::HalfClosed { peer, .. } => Some(*peer),
        _ => None,
    });
    running.session.send(netassist::engine::Command::Stop);
    let events = until_both_closed(&running.session);
    let unsent = events.iter().find_map(|event| match event {
        Event::Unsent { peer, bytes, .. } => Some((*peer, *bytes)),
        _ => None,
    });
    assert_eq!(unsent, Some((device_id, 3)), "{events:#?}");
    assert!(events.iter().all(|event| !matches!(
        event,
        Event::Closed {
            reason: CloseReason::PeerClosed,
            ..
        }
    )));
}

#[test]
fn the_report_names_each_pair_and_counts_devices_and_their_server_sides() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("relay.md");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let mut relay = Netassist::start(&[
        "relay",
        "--bind",
        "127.0.0.1:0",
        "--to",
        &target,
        "--json",
        "--seconds",
        "2",
        "--report",
        report.to_str().unwrap(),
    ]);
    let port = relay.port();
    let devices: Vec<TcpStream> = (0..2)
        .map(|_| client(SocketAddr::from(([127, 0, 0, 1], port))))
        .collect();
    let servers: Vec<TcpStream> = (0..2).map(|_| accept(&listener)).collect();
    // The relay's local port toward the target, for each pair, as the target sees it.
    let pairs: Vec<String> = devices
        .iter()
        .map(|device| device.local_addr().unwrap().to_string())
        .collect();
    let locals: Vec<u16> = servers
        .iter()
        .map(|server| server.peer_addr().unwrap().port())
        .collect();
    drop(devices);
    drop(servers);
    let ended = relay.end();
    let lines = common::cli::json_lines(&ended.stdout);
    // The session opened before anything in it happened.
    let times: Vec<&str> = lines
        .iter()
        .filter_map(|line| line["time"].as_str())
        .collect();
    assert_eq!(lines[0]["event"], "opened", "{:#?}", ended.stdout);
    assert!(times.windows(2).all(|two| two[0] <= two[1]), "{times:#?}");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        text.contains("| 4 (2 devices, 2 to the target) |"),
        "{text}"
    );
    // Each pair is named whole on both of its rows, whichever local port the target saw it from.
    for device in &pairs {
        let cell = locals.iter().find_map(|local| {
            let cell = format!("{device} ⇄ :{local} → {target}");
            text.contains(&format!("{cell} (device)")).then_some(cell)
        });
        let cell = cell.unwrap_or_else(|| panic!("no pair for {device}: {text}"));
        assert!(text.contains(&format!("{cell} (server side)")), "{text}");
    }
}

#[test]
fn netassist_relay_takes_only_the_flags_a_relay_uses() {
    let help = Netassist::start(&["relay", "--help"]).end();
    assert_eq!(help.code, 0);
    let help = help.stdout.join("\n");
    for flag in [
        "--bind",
        "--to",
        "--rule",
        "--pcap",
        "--report",
        "--max-clients",
        "--tls-device",
        "--tls-target",
    ] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
    for flag in [
        "--send",
        "--every",
        "--half-close",
        "--echo",
        "--escapes",
        "--checksum",
    ] {
        assert!(!help.contains(flag), "{flag}: {help}");
        let ended = Netassist::start(&[
            "relay",
            "--bind",
            "127.0.0.1:0",
            "--to",
            "127.0.0.1:9",
            flag,
            "--seconds",
            "3",
        ])
        .end();
        assert_eq!(ended.code, 2, "{flag}: {}", ended.stderr);
        assert!(ended.stderr.contains(flag), "{flag}: {}", ended.stderr);
    }
    // TLS is chosen per side: plain --tls does not say which.
    let ended = Netassist::start(&[
        "relay",
        "--bind",
        "127.0.0.1:0",
        "--to",
        "127.0.0.1:9",
        "--tls",
    ])
    .end();
    assert_eq!(ended.code, 2, "{}", ended.stderr);
    assert!(ended.stderr.contains("two sides"), "{}", ended.stderr);
}

#[test]
fn a_relay_to_port_0_exits_2_and_one_that_reached_no_target_exits_3() {
    let ended = Netassist::start(&["relay", "--bind", "127.0.0.1:0", "--to", "127.0.0.1:0"]).end();
    assert_eq!(ended.code, 2, "{}", ended.stderr);
    assert!(
        ended.stderr.contains("Port 0 cannot be connected to"),
        "{}",
        ended.stderr
    );

    // A port nobody listens on any more: every device's target connect is refused.
    let refused = free_port().to_string();
    let mut relay = Netassist::relay(&format!("127.0.0.1:{refused}"), &["--seconds", "1"]);
    let port = relay.port();
    let _device = client(SocketAddr::from(([127, 0, 0, 1], port)));
    relay.line("the refusal", |line| {
        line.contains("could not reach its target")
    });
    exits_3_saying(relay, "no device could be connected on to the target");
}

/// `relay` ends with exit 3, its stderr saying `why`.
fn exits_3_saying(relay: Netassist, why: &str) {
    let ended = relay.end();
    assert_eq!(ended.code, 3, "{:#?} {}", ended.stdout, ended.stderr);
    assert!(ended.stderr.contains(why), "{}", ended.stderr);
}

#[test]
fn a_send_to_a_side_that_is_gone_is_not_sent_and_the_relay_goes_on() {
    let (listener, running) = relayed(&[]);
    let session = &running.session;
    let relay = listening(session);
    assert!(session.send(Command::Send {
        to: Target::Peer(PeerId(99)),
        bytes: bytes::Bytes::from_static(b"xyz"),
    }));
    let unsent = wait_for(session, "Unsent", |event| match event {
        Event::Unsent {
            peer, bytes, sends, ..
        } => Some((*peer, *bytes, *sends)),
        _ => None,
    });
    assert_eq!(unsent, (PeerId(99), 3, 1));
    // A device still gets through to the target afterwards.
    let mut device = client(relay);
    let mut server = accept(&listener);
    device.write_all(b"ok").unwrap();
    assert_eq!(common::read_n(&mut server, 2), b"ok");
}

#[test]
fn a_device_reset_while_it_was_not_read_is_recorded_as_its_reset_when_the_servers_fin_goes_on() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let mut config = relay("127.0.0.1:0", &target);
    config.max_queue_bytes = 64 * 1024;
    let running = start(config);
    let device = client(listening(&running.session));
    let server = accept(&listener);
    let (device_peer, server_peer) = wait_for(&running.session, "the pair", |event| match event {
        Event::Paired { device, server, .. } => Some((*device, *server)),
        _ => None,
    });
    // The server reads nothing: the device writes until the relay stops reading it (back-pressure),
    // and a write blocked for a second says it has.
    device
        .set_write_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let mut stalled = false;
    for _ in 0..1024 {
        match (&device).write(&chunk) {
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                stalled = true;
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(stalled, "a server that reads nothing stalls the device");
    // The device resets; the relay, not reading it, does not see that until it passes on the
    // server's FIN.
    reset(device);
    server.shutdown(Shutdown::Write).unwrap();
    let events = until_both_closed(&running.session);
    // The device's own reset, not a failed send of ours; the server is reset on its account.
    assert_eq!(
        close_reason(&events, device_peer),
        CloseReason::Reset,
        "{events:?}"
    );
    assert_eq!(
        close_reason(&events, server_peer),
        CloseReason::PartnerReset(device_peer)
    );
}

#[test]
fn a_tls_relay_whose_every_target_handshake_failed_exits_3_saying_why() {
    // A plain server where a TLS one is expected: it answers the relay's greeting with a line of text.
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let to = target.local_addr().unwrap().to_string();
    let mut relay = Netassist::relay(&to, &["--tls-target", "--tls-insecure", "--seconds", "2"]);
    let port = relay.port();
    let _device = client(SocketAddr::from(([127, 0, 0, 1], port)));
    // SO_RCVTIMEO bounds the accept (Linux).
    socket2::SockRef::from(&target)
        .set_read_timeout(Some(WAIT))
        .unwrap();
    let (mut server, _) = target.accept().unwrap();
    server.write_all(b"220 plain text here\r\n").unwrap();
    exits_3_saying(
        relay,
        "no device's connection to the target finished its TLS handshake",
    );
}

#[test]
fn a_tls_relay_whose_target_handshake_finished_exits_0() {
    let mut target = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--tls",
        "--self-signed",
        "--seconds",
        "3",
    ]);
    let to = format!("127.0.0.1:{}", target.port());
    let mut relay = Netassist::relay(&to, &["--tls-target", "--tls-insecure", "--seconds", "2"]);
    let port = relay.port();
    let mut device = client(SocketAddr::from(([127, 0, 0, 1], port)));
    device.write_all(b"through").unwrap();
    target.line("the device's bytes", |line| line.contains("through"));
    let ended = relay.end();
    assert_eq!(ended.code, 0, "{:#?} {}", ended.stdout, ended.stderr);
}

/// Whether the packets `events` make (as a pcapng of the session in `mode` has them) hold an RST to
/// or from `port`.
fn rst_drawn(mode: &Mode, events: &[Event], port: u16) -> bool {
    use etherparse::{SlicedPacket, TransportSlice};
    let mut synthesizer = netassist::pcap::packets::Synthesizer::default();
    synthesizer.session(mode);
    let mut packets = netassist::pcap::packets::Packets::default();
    let mut rst = false;
    for event in events {
        synthesizer.event(event, &mut packets).unwrap();
        for packet in packets.iter() {
            let sliced = SlicedPacket::from_ip(packet.data).unwrap();
            if let Some(TransportSlice::Tcp(tcp)) = sliced.transport {
                rst |= tcp.rst() && (tcp.source_port() == port || tcp.destination_port() == port);
            }
        }
        packets.clear();
    }
    rst
}

#[test]
fn a_server_side_closed_both_ways_ends_in_order_when_the_device_is_found_reset() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap();
    let config = relay("127.0.0.1:0", &target.to_string());
    let mode = config.mode.clone();
    let running = start(config);
    let mut events = Vec::new();
    let relay_addr = wait_for(&running.session, "Listening", |event| {
        events.push(event.clone());
        match event {
            Event::Listening { addr, .. } => Some(*addr),
            _ => None,
        }
    });
    let mut device = client(relay_addr);
    let mut server = accept(&listener);
    let (device_peer, server_peer) = wait_for(&running.session, "the pair", |event| {
        events.push(event.clone());
        match event {
            Event::Paired { device, server, .. } => Some((*device, *server)),
            _ => None,
        }
    });
    // The device sends and finishes; the relay passes both on, so the target sees the relay's FIN.
    device.write_all(b"hello").unwrap();
    device.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_close(&mut server), b"hello");
    // The device resets (its RST is in the relay's socket before the target's FIN goes on), then the
    // target finishes too: passing its FIN on to the device finds the device reset, while the server
    // side is closed both ways.
    reset(device);
    server.shutdown(Shutdown::Write).unwrap();
    events.extend(until_both_closed(&running.session));
    // No RST could go to the target: it saw a normal end, and so does the record.
    let reasons = [device_peer, server_peer].map(|peer| close_reason(&events, peer));
    assert_eq!(
        reasons,
        [CloseReason::Reset, CloseReason::PeerClosed],
        "{events:?}"
    );
    assert!(!rst_drawn(&mode, &events, target.port()), "{events:?}");
    assert!(
        rst_drawn(&mode, &events, relay_addr.port()),
        "the device's reset is drawn"
    );
}

#[test]
fn what_a_device_sent_before_the_reset_a_write_found_is_its_data_and_the_server_sides_unsent() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let mut config = relay("127.0.0.1:0", &target);
    config.max_queue_bytes = 32 << 20;
    let running = start(config);
    let session = &running.session;
    let mut device = client(listening(session));
    let _server = accept(&listener);
    let (device_peer, server_peer) = wait_for(session, "the pair", |event| match event {
        Event::Paired { device, server, .. } => Some((*device, *server)),
        _ => None,
    });
    // The target reads nothing: more than the socket buffers hold stays queued to it, and the relay
    // stops reading the device (back-pressure).
    common::send_taken(session, server_peer, vec![b'x'; 32 << 20]);
    // What the device sends now stays unread on the socket; then it resets, and a send to it finds
    // that.
    device.write_all(b"PEERDATA").unwrap();
    reset(device);
    assert!(session.send(Command::Send {
        to: Target::Peer(device_peer),
        bytes: bytes::Bytes::from_static(b"AAA"),
    }));
    let events = until_both_closed(session);
    assert_eq!(close_reason(&events, device_peer), CloseReason::Reset);
    let closed = events
        .iter()
        .position(|e| matches!(e, Event::Closed { peer, .. } if *peer == device_peer))
        .unwrap();
    let read = events.iter().position(|e| {
        matches!(e, Event::Data { peer, bytes, .. } if *peer == device_peer && bytes[..] == b"PEERDATA"[..])
    });
    assert!(
        read.is_some_and(|read| read < closed),
        "the device's data is read before its close"
    );
    // Never forwarded: the server side's unsent, apart from what was queued to it.
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Unsent { peer, bytes: 8, sends: 1, .. } if *peer == server_peer
        )),
        "the device's data is the server side's unsent"
    );
}
