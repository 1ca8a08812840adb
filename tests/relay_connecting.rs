//! A relay while its connect to the target is pending, on loopback (a target whose accept queue is full
//! does not answer; a port nobody listens on refuses): the connect is announced at once; what the device
//! sends meanwhile is recorded when it comes, held within the back-pressure threshold and passed on
//! byte-exact, FIN included, once the target answers, with a rule's answer sent on meanwhile after
//! them; a device reset ends it at once and nothing reaches the target; an unreachable target leaves
//! the device's bytes as not sent and closes it with a FIN, as the record says, each failed connect
//! an event, a row and a SYN (with the target's RST/ACK for a refusal) in the pcapng of its own; and
//! the rows of a pair still connecting name it by its pair in JSON lines.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, ToSocketAddrs};
use std::time::{Duration, Instant, SystemTime};

use common::cli::Netassist;
use common::tshark;
use common::{
    Unanswered, WAIT, client, connecting, listening, read_to_close, relay_to, start, wait_for,
};
use netassist::codec::{FramerConfig, Framing, TextEncoding};
use netassist::engine::{
    CloseReason, Command, Direction, Event, Mode, PeerId, Problem, Session, Side,
};
use netassist::rules::{Rule, Rules};
use socket2::SockRef;

/// The bytes the relay reads at most at once.
const READ: usize = 64 << 10;

/// Every event up to the first that `last` picks, that one included.
fn events_until(session: &Session, what: &str, last: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut seen = Vec::new();
    wait_for(session, what, |event| {
        seen.push(event.clone());
        last(event).then_some(())
    });
    seen
}

fn is_closed(event: &Event, of: PeerId) -> bool {
    matches!(event, Event::Closed { peer, .. } if *peer == of)
}

/// The bytes `peer` received in `events`, in order, with the time of the last read.
fn received(events: &[Event], of: PeerId) -> (Vec<u8>, Option<SystemTime>) {
    let mut bytes = Vec::new();
    let mut last = None;
    for event in events {
        if let Event::Data {
            peer,
            dir: Direction::Rx,
            bytes: read,
            at,
        } = event
            && *peer == of
        {
            bytes.extend_from_slice(read);
            last = Some(*at);
        }
    }
    (bytes, last)
}

/// The failed connects to the target in `events`: the server side's id, the address, the local
/// address and the problem.
fn attempts_failed(events: &[Event]) -> Vec<(PeerId, SocketAddr, Option<SocketAddr>, Problem)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::ConnectFailed {
                server,
                addr,
                local,
                error,
                ..
            } => Some((*server, *addr, *local, error.problem())),
            _ => None,
        })
        .collect()
}

/// The bytes and sends reported not sent to `of` in `events`.
fn unsent(events: &[Event], of: PeerId) -> (usize, usize) {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Unsent {
                peer, bytes, sends, ..
            } if *peer == of => Some((*bytes, *sends)),
            _ => None,
        })
        .fold((0, 0), |(b, s), (bytes, sends)| (b + bytes, s + sends))
}

#[test]
fn what_a_device_sends_while_the_connect_hangs_is_recorded_when_it_comes_and_passed_on_whole() {
    let mut target = Unanswered::listen();
    let running = start(relay_to(target.addr, Duration::from_secs(8)));
    let mut device = client(listening(&running.session));
    let (device_id, server_id, tried) = connecting(&running.session);
    assert_eq!(tried, target.addr);
    device.write_all(b"sent early").unwrap();
    device.shutdown(Shutdown::Write).unwrap();
    // Both the bytes and the FIN are recorded while the connect still hangs: before any pairing.
    let early = events_until(&running.session, "the device's FIN", |event| {
        assert!(!matches!(event, Event::Paired { .. }), "paired too soon");
        matches!(event, Event::HalfClosed { peer, side: Side::Peer, .. } if *peer == device_id)
    });
    let (bytes, read_at) = received(&early, device_id);
    assert_eq!(bytes, b"sent early");
    // The target answers: the held bytes arrive byte-exact, then the device's FIN.
    let mut server = target.answer_within(WAIT).expect("the relay's connect");
    assert_eq!(read_to_close(&mut server), b"sent early");
    let paired_at = wait_for(&running.session, "Paired", |event| match event {
        Event::Paired { server, at, .. } if *server == server_id => Some(*at),
        _ => None,
    });
    assert!(read_at.unwrap() < paired_at);
    drop(server);
    assert_eq!(read_to_close(&mut device), b"");
    let events = events_until(&running.session, "the device's close", |event| {
        is_closed(event, device_id)
    });
    assert_eq!(unsent(&events, server_id), (0, 0), "{events:#?}");
}

#[test]
fn an_answer_sent_on_while_the_connect_hangs_waits_behind_what_the_device_sent() {
    let mut target = Unanswered::listen();
    let rule: Rule = "exact:AT=>[200ms]onward:INJ".parse().unwrap();
    let raw = FramerConfig::from(Framing::Raw);
    let rules = Rules::new(&[rule], TextEncoding::Utf8, raw).unwrap();
    let running = start(relay_to(target.addr, Duration::from_secs(8)).with_rules(rules));
    let mut device = client(listening(&running.session));
    let (device_id, server_id, _) = connecting(&running.session);
    device.write_all(b"AT").unwrap();
    device.shutdown(Shutdown::Write).unwrap();
    // The connect can end no sooner than the kernel sends its SYN again, 1 s after the first: the
    // answer, due after 200 ms, comes while it still hangs.
    let mut server = target.answer_within(WAIT).expect("the relay's connect");
    assert_eq!(read_to_close(&mut server), b"ATINJ");
    drop(server);
    let events = events_until(&running.session, "the device's close", |event| {
        is_closed(event, device_id)
    });
    assert!(
        events.iter().any(|event| matches!(
            event,
            Event::Data { peer, dir: Direction::Tx, bytes, .. } if *peer == server_id && bytes == "INJ"
        )),
        "{events:#?}"
    );
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, Event::Error { .. })),
        "{events:#?}"
    );
}

#[test]
fn a_device_reset_while_the_connect_hangs_ends_it_at_once_and_nothing_reaches_the_target() {
    let mut target = Unanswered::listen();
    let running = start(relay_to(target.addr, Duration::from_secs(8)));
    let mut device = client(listening(&running.session));
    let (device_id, server_id, _) = connecting(&running.session);
    device.write_all(b"lost").unwrap();
    let events = events_until(
        &running.session,
        "the device's bytes",
        |event| matches!(event, Event::Data { peer, .. } if *peer == device_id),
    );
    assert_eq!(received(&events, device_id).0, b"lost");
    let reset = Instant::now();
    SockRef::from(&device)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(device);
    let events = events_until(&running.session, "the device's close", |event| {
        is_closed(event, device_id)
    });
    // Recorded when it happened, not at the end of the 8 s connect time-out.
    assert!(
        reset.elapsed() < Duration::from_secs(2),
        "{:?}",
        reset.elapsed()
    );
    assert!(matches!(
        events.last(),
        Some(Event::Closed {
            reason: CloseReason::Reset,
            ..
        })
    ));
    assert_eq!(unsent(&events, server_id), (4, 1), "{events:#?}");
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, Event::Paired { .. }))
    );
    // The connect was dropped: with room in the target's queue, a connect still trying would land
    // with the next SYN (1 s after the first, then 3 s); none comes.
    assert!(target.answer_within(Duration::from_secs(4)).is_none());
}

#[test]
fn an_unreachable_target_or_a_disconnect_leaves_the_device_bytes_not_sent_and_closes_it_with_a_fin()
{
    // The same for a device disconnected by the user while the connect hangs.
    for disconnect in [false, true] {
        let target = Unanswered::listen();
        let mut config = relay_to(target.addr, Duration::from_millis(1500));
        // A threshold of 4 KiB: most of what the device sends is still unread when it is closed.
        config.max_queue_bytes = 8 << 10;
        let running = start(config);
        let mut device = client(listening(&running.session));
        let (device_id, server_id, _) = connecting(&running.session);
        let sent: Vec<u8> = (0..32 << 10).map(|i: u32| (i % 251) as u8).collect();
        device.write_all(&sent[..8 << 10]).unwrap();
        let events = events_until(
            &running.session,
            "the device's first bytes",
            |event| matches!(event, Event::Data { peer, .. } if *peer == device_id),
        );
        let mut before = received(&events, device_id).0;
        // Over the threshold now: the rest waits in the relay's socket.
        device.write_all(&sent[8 << 10..]).unwrap();
        if disconnect {
            running.session.send(Command::Disconnect(device_id));
        }
        let mut events = events_until(&running.session, "the device's close", |event| {
            is_closed(event, device_id)
        });
        match events.pop() {
            Some(Event::Closed {
                reason: CloseReason::Kicked,
                ..
            }) if disconnect => {}
            Some(Event::Closed {
                reason: CloseReason::Unreachable(error),
                ..
            }) if !disconnect => assert_eq!(error.problem(), Problem::TimedOut),
            other => panic!("{other:?}"),
        }
        // Everything was read before the close, so the device gets a FIN, not an RST.
        let mut rest = Vec::new();
        assert_eq!(device.read_to_end(&mut rest).unwrap(), 0, "{disconnect}");
        before.extend(received(&events, device_id).0);
        assert!(before == sent, "all {} bytes are RX rows", sent.len());
        // The connect given up at its deadline is a failed attempt of its own, from the port it had;
        // one the user ended is none.
        let failed = attempts_failed(&events);
        if disconnect {
            assert!(failed.is_empty(), "{failed:?}");
        } else {
            assert_eq!(failed.len(), 1, "{events:#?}");
            let (server, addr, local, problem) = failed[0];
            assert_eq!(
                (server, addr, problem),
                (server_id, target.addr, Problem::TimedOut)
            );
            assert!(local.is_some_and(|local| local.ip() == target.addr.ip() && local.port() != 0));
        }
        assert_eq!(unsent(&events, server_id).0, sent.len(), "{events:#?}");
    }
}

#[test]
fn a_device_sending_while_the_connect_hangs_is_held_to_the_threshold() {
    const LIMIT: usize = 16 << 10;
    // What the relay may read past the threshold: one read.
    const HELD_AT_MOST: usize = LIMIT / 2 + READ;
    let target = Unanswered::listen();
    let mut config = relay_to(target.addr, Duration::from_secs(30));
    config.max_queue_bytes = LIMIT;
    let running = start(config);
    let mut device = client(listening(&running.session));
    let (device_id, server_id, _) = connecting(&running.session);
    // The device sends until the buffers on the way are full: the relay stopped reading it.
    device.set_nonblocking(true).unwrap();
    let chunk = vec![0x5a; READ];
    let deadline = Instant::now() + WAIT;
    let mut written = 0;
    let blocked = loop {
        if written > 256 << 20 || Instant::now() > deadline {
            break false;
        }
        match device.write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break true,
            Err(e) => panic!("{e}"),
        }
    };
    assert!(blocked, "the relay read all {written} bytes");
    assert!(written > 2 * HELD_AT_MOST, "{written}");
    // Stopping reads what the device still has (so its close is a FIN): rows from then on.
    let stopped_at = SystemTime::now();
    running.session.send(Command::Stop);
    let events = events_until(&running.session, "Stopped", |event| {
        matches!(event, Event::Stopped { .. })
    });
    let held: usize = events
        .iter()
        .filter_map(|event| match event {
            Event::Data {
                peer, bytes, at, ..
            } if *peer == device_id && *at < stopped_at => Some(bytes.len()),
            _ => None,
        })
        .sum();
    assert!(held <= HELD_AT_MOST, "{held} bytes read of {written}");
    // What was read never reached the target: it is not sent.
    let read = received(&events, device_id).0.len();
    assert_eq!(unsent(&events, server_id).0, read, "{events:#?}");
}

/// Set in the environment of a test binary run again where `localhost` names both loopbacks.
const IN_HOSTS: &str = "NETASSIST_TEST_LOCALHOST_BOTH";

/// `localhost`'s first address, and its address of the other IP version. Where it resolves to one
/// only, the test named `test` runs again in a mount namespace of its own, whose hosts file names both
/// (`None` then: that run did the test); where none can be made, the test says it is skipped.
fn localhost_both(test: &str) -> Option<(SocketAddr, SocketAddr)> {
    let resolved: Vec<SocketAddr> = ("localhost", 0).to_socket_addrs().unwrap().collect();
    let other = resolved
        .iter()
        .find(|a| a.is_ipv4() != resolved[0].is_ipv4());
    if let Some(other) = other {
        return Some((resolved[0], *other));
    }
    assert!(std::env::var_os(IN_HOSTS).is_none(), "{resolved:?}");
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "::1 localhost\n127.0.0.1 localhost\n").unwrap();
    let script = format!(
        "mount --bind '{}' /etc/hosts && exec \"$0\" --exact {test} --nocapture",
        hosts.display()
    );
    let status = std::process::Command::new("unshare")
        .args(["--map-root-user", "--mount", "sh", "-c", &script])
        .arg(std::env::current_exe().unwrap())
        .env(IN_HOSTS, "1")
        .status();
    match status {
        Ok(status) if status.success() => {}
        Ok(status) if status.code() == Some(101) => panic!("the test failed in its namespace"),
        other => eprintln!(
            "skipped: localhost resolves to {resolved:?} only, and no mount namespace can be made \
             to name both ({other:?})"
        ),
    }
    None
}

#[test]
fn a_name_whose_first_address_refuses_is_one_failed_connect_then_the_pair() {
    // `localhost` with one listener, on its address of the other IP version: the first refuses.
    let Some((first, second)) =
        localhost_both("a_name_whose_first_address_refuses_is_one_failed_connect_then_the_pair")
    else {
        return;
    };
    let listener = TcpListener::bind(SocketAddr::new(second.ip(), 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let refusing = SocketAddr::new(first.ip(), port);
    let mut config = relay_to(listener.local_addr().unwrap(), WAIT);
    let Mode::Relay { target, .. } = &mut config.mode else {
        unreachable!()
    };
    target.host = "localhost".to_owned();
    let running = start(config);
    let _device = client(listening(&running.session));
    let (device_id, first_server, tried) = connecting(&running.session);
    assert_eq!(tried, refusing);
    let events = events_until(&running.session, "the failed connect", |event| {
        matches!(event, Event::ConnectFailed { .. })
    });
    let failed = attempts_failed(&events);
    assert_eq!(failed.len(), 1, "{events:#?}");
    let (server, addr, local, problem) = failed[0];
    assert_eq!(
        (server, addr, problem),
        (first_server, refusing, Problem::Refused)
    );
    assert!(local.is_some_and(|local| local.ip() == first.ip() && local.port() != 0));
    // Then the next address, with a server side of its own, which is the one paired.
    let (device, next_server, next_addr) = connecting(&running.session);
    assert_eq!(
        (device, next_addr),
        (device_id, SocketAddr::new(second.ip(), port))
    );
    assert_ne!(next_server, first_server);
    let _server = listener.accept().unwrap();
    let paired = wait_for(&running.session, "Paired", |event| match event {
        Event::Paired { device, server, .. } => Some((*device, *server)),
        _ => None,
    });
    assert_eq!(paired, (device_id, next_server));
}

#[test]
fn netassist_relay_prints_the_connect_its_failure_and_a_close_with_a_fin_and_draws_them() {
    // A port nobody listens on any more: the connect is refused.
    let refused = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("relay.pcapng");
    let report = dir.path().join("report.md");
    let mut relay = Netassist::start(&[
        "relay",
        "--bind",
        "127.0.0.1:0",
        "--to",
        &refused,
        "--json",
        "--pcap",
        pcap.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--seconds",
        "1",
    ]);
    let port = relay.port();
    let device = client(SocketAddr::from(([127, 0, 0, 1], port)));
    let device_addr = device.local_addr().unwrap().to_string();
    relay.line("the device's close", |line| line.contains("\"closed\""));
    let ended = relay.end();
    let lines = common::cli::json_lines(&ended.stdout);
    let connecting = lines
        .iter()
        .find(|line| line["event"] == "connecting")
        .unwrap_or_else(|| panic!("{:#?}", ended.stdout));
    assert_eq!(connecting["peer"], device_addr.as_str());
    assert_eq!(connecting["target"], refused.as_str());
    assert_eq!(connecting["addr"], refused.as_str());
    let reason = connecting["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("Connecting on to the target {refused};")),
        "{reason}"
    );
    // The refusal is a row of its own, before the device's close, with the attempt's local address.
    let events: Vec<&str> = lines.iter().filter_map(|l| l["event"].as_str()).collect();
    let failed_at = events.iter().position(|event| *event == "connect_failed");
    let closed_at = events.iter().position(|event| *event == "closed");
    assert!(failed_at.is_some() && failed_at < closed_at, "{events:?}");
    let failed = &lines[failed_at.unwrap()];
    assert_eq!(failed["peer"], device_addr.as_str());
    assert_eq!(failed["addr"], refused.as_str());
    assert_eq!(failed["problem"], "refused");
    let local: SocketAddr = failed["local"].as_str().unwrap().parse().unwrap();
    let reason = failed["reason"].as_str().unwrap();
    assert_eq!(
        reason,
        format!(
            "Could not connect on to the target at {refused}: refused (nothing listens on that port)"
        )
    );
    let closed = &lines[closed_at.unwrap()];
    let reason = closed["reason"].as_str().unwrap();
    assert!(reason.contains("closed the device (FIN)"), "{reason}");
    // From its connect on, the device is a relay device whose partner is the address tried.
    for line in [connecting, failed, closed] {
        assert_pair(line, "device", &refused);
    }
    // The report lists it under the peers, whose table has only the device's close, naming the
    // device as the table does.
    let report = std::fs::read_to_string(&report).unwrap();
    let named = format!(
        " {device_addr} ⇄ {refused} (device) {}",
        failed["reason"].as_str().unwrap()
    );
    let line = report
        .lines()
        .find(|line| line.contains(&named))
        .unwrap_or_else(|| panic!("{report}"));
    let before = line.split(&named).next().unwrap();
    assert!(
        before.rsplit(' ').next().unwrap().starts_with('#'),
        "{line}"
    );
    // The pcapng: our SYN from the attempt's port, and the target's RST/ACK.
    if !tshark::available() {
        return;
    }
    assert!(
        tshark::complaints(&pcap).is_empty(),
        "{:?}",
        tshark::complaints(&pcap)
    );
    let target_port: u16 = refused.rsplit_once(':').unwrap().1.parse().unwrap();
    assert_eq!(
        flags_between(&pcap, local.port(), target_port),
        [
            format!("{}\t1\t0\t0", local.port()),
            format!("{target_port}\t0\t1\t1"),
        ]
    );
}

/// The TCP packets in `pcap` between ports `a` and `b`: each one's source port and its SYN, ACK and
/// RST flags (`1` or `0`), tab-separated, as tshark reads them.
fn flags_between(pcap: &std::path::Path, a: u16, b: u16) -> Vec<String> {
    let filter = format!("tcp.port == {a} && tcp.port == {b}");
    let fields = [
        "-Y",
        &filter,
        "-T",
        "fields",
        "-e",
        "tcp.srcport",
        "-e",
        "tcp.flags.syn",
        "-e",
        "tcp.flags.ack",
        "-e",
        "tcp.flags.reset",
    ];
    let packets = tshark::read(pcap, &fields);
    packets.lines().map(str::to_owned).collect()
}

/// A JSON line names a relay side of a pair whose server side never connected: its side and partner,
/// and no server side's local address (there was none).
fn assert_pair(line: &serde_json::Value, side: &str, partner: &str) {
    assert_eq!(line["side"], side, "{line}");
    assert_eq!(line["partner"], partner, "{line}");
    assert!(line.get("server_local").is_none(), "{line}");
}

#[test]
fn netassist_relay_names_the_rows_of_a_pair_still_connecting_by_their_pair() {
    let target = Unanswered::listen();
    let target_addr = target.addr.to_string();
    let mut relay = Netassist::start(&[
        "relay",
        "--bind",
        "127.0.0.1:0",
        "--to",
        &target_addr,
        "--json",
        "--seconds",
        "2",
    ]);
    let port = relay.port();
    let mut device = client(SocketAddr::from(([127, 0, 0, 1], port)));
    let device_addr = device.local_addr().unwrap().to_string();
    device.write_all(b"hello").unwrap();
    relay.line("the device's data", |line| line.contains("\"data\""));
    // The session ends with the connect still pending: what the device sent was never sent on.
    let ended = relay.end();
    let lines = common::cli::json_lines(&ended.stdout);
    let find = |event: &str| {
        lines
            .iter()
            .find(|line| line["event"] == event)
            .unwrap_or_else(|| panic!("no {event}: {:#?}", ended.stdout))
    };
    let data = find("data");
    assert_eq!(data["peer"], device_addr.as_str(), "{data}");
    assert_eq!(data["text"], "hello", "{data}");
    assert_pair(data, "device", &target_addr);
    // The server side is named by the address it tried, and its device.
    let unsent = find("unsent");
    assert_eq!(unsent["peer"], target_addr.as_str(), "{unsent}");
    assert_pair(unsent, "server", &device_addr);
    assert_pair(find("closed"), "device", &target_addr);
    drop(target);
}
