//! A relay while its connect to the target is pending, on loopback (a target whose accept queue is full
//! does not answer; a port nobody listens on refuses): the connect is announced at once; what the device
//! sends meanwhile is recorded when it comes, held within the back-pressure threshold and passed on
//! byte-exact, FIN included, once the target answers, with a rule's answer sent on meanwhile after
//! them; a device reset ends it at once and nothing reaches the target; an unreachable target leaves
//! the device's bytes as not sent and closes it with a FIN, as the record says; and the rows of a pair
//! still connecting name it by its pair in JSON lines.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::time::{Duration, Instant, SystemTime};

use common::cli::Netassist;
use common::{
    Unanswered, WAIT, client, connecting, listening, read_to_close, relay_to, start, wait_for,
};
use netassist::codec::{FramerConfig, Framing, TextEncoding};
use netassist::engine::{CloseReason, Command, Direction, Event, PeerId, Problem, Session, Side};
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

#[test]
fn netassist_relay_prints_the_connect_and_a_close_with_a_fin() {
    // A port nobody listens on any more: the connect is refused.
    let refused = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let mut relay = Netassist::start(&[
        "relay",
        "--bind",
        "127.0.0.1:0",
        "--to",
        &refused,
        "--json",
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
    let closed = lines.iter().find(|line| line["event"] == "closed").unwrap();
    let reason = closed["reason"].as_str().unwrap();
    assert!(reason.contains("closed the device (FIN)"), "{reason}");
    // From its connect on, the device is a relay device whose partner is the address tried.
    for line in [connecting, closed] {
        assert_pair(line, "device", &refused);
    }
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
