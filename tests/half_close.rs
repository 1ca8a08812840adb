//! What the engine reports about sends and the ends of TCP connections, against real std sockets on
//! loopback: a half-close (FIN) is not a close, a sent row is one send as written, nothing queued goes
//! without an event that says so, and peer ids never repeat across sessions.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{
    WAIT, client, connected, read_n, read_to_close, server_config, start, tcp_server, wait_for,
};
use netassist::codec::{FramerConfig, Framing, TextEncoding};
use netassist::engine::{
    CloseReason, Command, Direction, Event, Mode, PeerId, Session, SessionConfig, Side, Target,
};
use netassist::rules::{Rule, Rules};

/// Everything the session reports about `peer` until it closes, in order.
fn events_until_closed(session: &Session, peer: PeerId) -> Vec<Event> {
    let mut seen = Vec::new();
    wait_for(session, &format!("Closed for {peer}"), |event| {
        let ours = match event {
            Event::Data { peer: p, .. }
            | Event::HalfClosed { peer: p, .. }
            | Event::Unsent { peer: p, .. }
            | Event::SendDropped { peer: p, .. } => *p == peer,
            Event::Closed { peer: p, .. } => {
                if *p == peer {
                    seen.push(event.clone());
                    return Some(());
                }
                false
            }
            _ => false,
        };
        if ours {
            seen.push(event.clone());
        }
        None
    });
    seen
}

/// Events without their payloads, for failure messages.
fn outline(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|event| match event {
            Event::Data { dir, bytes, .. } => format!("{dir:?} {}B", bytes.len()),
            Event::Unsent {
                written,
                bytes,
                sends,
                ..
            } => format!(
                "Unsent written {}B, {bytes}B of {sends} sends",
                written.len()
            ),
            other => format!("{other:?}"),
        })
        .collect()
}

/// More than loopback's socket buffers on both sides can hold, so some of it stays queued with us.
const BEYOND_BUFFERS: usize = 40 << 20;

/// A server that may queue [`BEYOND_BUFFERS`] for one peer.
fn roomy_server() -> SessionConfig {
    let mut config = server_config("127.0.0.1:0");
    config.max_queue_bytes = 64 << 20;
    config
}

fn tx_total(events: &[Event]) -> usize {
    events
        .iter()
        .map(|event| match event {
            Event::Data {
                dir: Direction::Tx,
                bytes,
                ..
            } => bytes.len(),
            Event::Unsent { written, .. } => written.len(),
            _ => 0,
        })
        .sum()
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn a_peer_that_finishes_sending_still_gets_its_whole_echo_then_the_connection_closes() {
    const LEN: usize = 8 << 20;
    let (server, addr) = tcp_server(server_config("127.0.0.1:0").with_echo(true));
    let mut board = client(addr);
    let (peer, _, _) = connected(&server.session);
    let mut reader = board.try_clone().unwrap();
    // The peer reads on its own thread while it sends, as `nc -N` does, then half-closes.
    let echo = std::thread::spawn(move || read_to_close(&mut reader));
    let sent = pattern(LEN);
    board.write_all(&sent).unwrap();
    board.shutdown(Shutdown::Write).unwrap();
    let echoed = echo.join().unwrap();
    assert_eq!(echoed.len(), LEN, "the whole echo arrived before our FIN");
    assert!(echoed == sent);

    let events = events_until_closed(&server.session, peer);
    let half = events
        .iter()
        .position(|e| {
            matches!(
                e,
                Event::HalfClosed {
                    side: Side::Peer,
                    ..
                }
            )
        })
        .expect("the peer's FIN is an event of its own");
    assert!(
        matches!(
            events.last(),
            Some(Event::Closed {
                reason: CloseReason::PeerClosed,
                ..
            })
        ),
        "{:?}",
        outline(&events)
    );
    // The FIN was not taken for a close: the whole echo went out, nothing dropped or left unsent.
    assert!(half < events.len() - 1);
    assert_eq!(tx_total(&events), LEN);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::SendDropped { .. } | Event::Unsent { .. }))
    );
}

fn rules(list: &[&str]) -> Rules {
    let list: Vec<Rule> = list.iter().map(|rule| rule.parse().unwrap()).collect();
    Rules::new(&list, TextEncoding::Utf8, FramerConfig::from(Framing::Raw)).unwrap()
}

#[test]
fn a_delayed_reply_reaches_a_peer_that_finished_sending() {
    let config = server_config("127.0.0.1:0").with_rules(rules(&["exact:ping=>[200ms]pong"]));
    let (server, addr) = tcp_server(config);
    let mut board = client(addr);
    let (peer, _, _) = connected(&server.session);
    board.write_all(b"ping").unwrap();
    board.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_close(&mut board), b"pong");
    let events = events_until_closed(&server.session, peer);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Event::Data {
                dir: Direction::Rx, ..
            } => "rx",
            Event::Data {
                dir: Direction::Tx, ..
            } => "tx",
            Event::HalfClosed { .. } => "fin",
            Event::Closed { .. } => "closed",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["rx", "fin", "tx", "closed"]);
}

#[test]
fn a_client_session_keeps_echoing_after_its_server_finished_sending() {
    const LEN: usize = 1 << 20;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client_session = start(
        SessionConfig::new(Mode::TcpClient {
            host: "127.0.0.1".to_owned(),
            port: addr.port(),
            local: None,
            timeout: WAIT,
        })
        .with_echo(true),
    );
    let (mut device, _) = listener.accept().unwrap();
    device.set_read_timeout(Some(WAIT)).unwrap();
    let (peer, _, _) = connected(&client_session.session);
    let mut reader = device.try_clone().unwrap();
    let echo = std::thread::spawn(move || read_to_close(&mut reader));
    let sent = pattern(LEN);
    device.write_all(&sent).unwrap();
    device.shutdown(Shutdown::Write).unwrap();
    assert!(echo.join().unwrap() == sent);
    let events = events_until_closed(&client_session.session, peer);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::HalfClosed {
            side: Side::Peer,
            ..
        }
    )));
    assert_eq!(tx_total(&events), LEN);
}

#[test]
fn finishing_sending_to_a_peer_sends_a_fin_after_the_queue_and_still_reads() {
    let (server, addr) = tcp_server(server_config("127.0.0.1:0"));
    let mut board = client(addr);
    let (peer, _, _) = connected(&server.session);
    server.session.send(Command::Send {
        to: Target::Peer(peer),
        bytes: Bytes::from_static(b"bye"),
    });
    server.session.send(Command::HalfClose(peer));
    // The board sees our bytes, then our FIN, and can still talk to us.
    assert_eq!(read_to_close(&mut board), b"bye");
    board.write_all(b"after").unwrap();
    let mut order = Vec::new();
    wait_for(&server.session, "the board's bytes after our FIN", |e| {
        match e {
            Event::Data {
                dir: Direction::Tx,
                bytes,
                ..
            } => order.push(format!("tx {}", String::from_utf8_lossy(bytes))),
            Event::HalfClosed {
                side: Side::Local, ..
            } => order.push("fin".to_owned()),
            Event::Data {
                dir: Direction::Rx,
                bytes,
                ..
            } => {
                order.push(format!("rx {}", String::from_utf8_lossy(bytes)));
                return Some(());
            }
            _ => {}
        }
        None
    });
    assert_eq!(order, ["tx bye", "fin", "rx after"]);
    // A send after our FIN is refused with an error, not silently dropped.
    server.session.send(Command::Send {
        to: Target::Peer(peer),
        bytes: Bytes::from_static(b"late"),
    });
    wait_for(&server.session, "the refused send", |e| match e {
        Event::Error { error, .. } if error.detail.contains("finished sending") => Some(()),
        _ => None,
    });
    // Then the board closes: the connection ends.
    drop(board);
    let events = events_until_closed(&server.session, peer);
    assert!(matches!(
        events.last(),
        Some(Event::Closed {
            reason: CloseReason::PeerClosed,
            ..
        })
    ));
}

#[test]
fn a_large_send_is_one_sent_event_and_what_a_close_cut_off_is_reported() {
    const LEN: usize = 3 << 20;
    let (server, addr) = tcp_server(roomy_server());
    let mut board = client(addr);
    let (peer, _, _) = connected(&server.session);
    // Two sends the board reads whole: two events, each the whole send, though the OS took each in
    // several writes.
    server.session.send(Command::Send {
        to: Target::Peer(peer),
        bytes: Bytes::from(pattern(LEN)),
    });
    server.session.send(Command::Send {
        to: Target::Peer(peer),
        bytes: Bytes::from_static(b"tail"),
    });
    let got = read_n(&mut board, LEN + 4);
    assert!(got[..LEN] == pattern(LEN)[..] && &got[LEN..] == b"tail");
    let sends: Vec<usize> = (0..2)
        .map(|_| {
            wait_for(&server.session, "a sent event", |e| match e {
                Event::Data {
                    dir: Direction::Tx,
                    bytes,
                    ..
                } => Some(bytes.len()),
                _ => None,
            })
        })
        .collect();
    assert_eq!(sends, [LEN, 4]);

    // Now the board stops reading; two more sends queue up behind its full buffers, and we disconnect.
    server.session.send(Command::Send {
        to: Target::Peer(peer),
        bytes: Bytes::from(pattern(BEYOND_BUFFERS)),
    });
    server.session.send(Command::Send {
        to: Target::Peer(peer),
        bytes: Bytes::from_static(b"never"),
    });
    // The first of them goes out in part only: wait until the OS has taken what it will.
    let deadline = Instant::now() + WAIT;
    let mut last = 0;
    loop {
        std::thread::sleep(Duration::from_millis(20));
        let queued = board_unread(&board);
        if queued == last && queued > 0 {
            break;
        }
        last = queued;
        assert!(Instant::now() < deadline, "the board's buffer never filled");
    }
    server.session.send(Command::Disconnect(peer));
    let events = events_until_closed(&server.session, peer);
    let Some(Event::Unsent {
        written,
        bytes,
        sends,
        ..
    }) = events.iter().find(|e| matches!(e, Event::Unsent { .. }))
    else {
        panic!("no Unsent event in {:?}", outline(&events));
    };
    assert_eq!(*sends, 2);
    assert_eq!(written.len() + bytes, BEYOND_BUFFERS + 5);
    assert!(written[..] == pattern(BEYOND_BUFFERS)[..written.len()]);
    // What the board can still read is exactly what we say went out.
    let rest = read_to_close(&mut board);
    assert_eq!(rest.len(), written.len());
}

/// Bytes waiting in the board's receive buffer (a peek that does not take them).
fn board_unread(board: &std::net::TcpStream) -> usize {
    board.set_nonblocking(true).unwrap();
    let mut buf = vec![0; 16 << 20];
    let n = board.peek(&mut buf).unwrap_or(0);
    board.set_nonblocking(false).unwrap();
    n
}

#[test]
fn stop_when_sent_lets_a_delayed_reply_go_out_first_and_is_bounded() {
    let config = server_config("127.0.0.1:0").with_rules(rules(&["exact:ping=>[300ms]pong"]));
    let (server, addr) = tcp_server(config);
    let mut board = client(addr);
    connected(&server.session);
    board.write_all(b"ping").unwrap();
    wait_for(&server.session, "the ping", |e| match e {
        Event::Data {
            dir: Direction::Rx, ..
        } => Some(()),
        _ => None,
    });
    server.session.send(Command::StopWhenSent { within: WAIT });
    let mut buf = Vec::new();
    board.read_to_end(&mut buf).unwrap();
    assert_eq!(buf, b"pong", "the reply went out before the session closed");
    wait_for(&server.session, "Stopped", |e| {
        matches!(e, Event::Stopped { .. }).then_some(())
    });

    // A peer that never reads: the wait ends at the bound and says what was not sent.
    let (server, addr) = tcp_server(roomy_server());
    let _sleepy = client(addr);
    let (peer, _, _) = connected(&server.session);
    server.session.send(Command::Send {
        to: Target::Peer(peer),
        bytes: Bytes::from(pattern(BEYOND_BUFFERS)),
    });
    let asked = Instant::now();
    server.session.send(Command::StopWhenSent {
        within: Duration::from_millis(200),
    });
    let events = events_until_closed(&server.session, peer);
    assert!(asked.elapsed() < WAIT);
    assert!(
        events.iter().any(|e| matches!(e, Event::Unsent { .. })),
        "{:?}",
        outline(&events)
    );
    assert!(matches!(
        events.last(),
        Some(Event::Closed {
            reason: CloseReason::SessionStopped,
            ..
        })
    ));
}

#[test]
fn peer_ids_never_repeat_across_sessions() {
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (server, addr) = tcp_server(server_config("127.0.0.1:0"));
        let _board = client(addr);
        seen.push(connected(&server.session).0);
    }
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "{seen:?}");
}

#[test]
fn a_delayed_reply_that_never_goes_out_is_reported_as_not_sent() {
    let config = server_config("127.0.0.1:0").with_rules(rules(&["exact:ping=>[60000ms]pong"]));
    let (server, addr) = tcp_server(config);
    let mut first = client(addr);
    let (first_peer, _, _) = connected(&server.session);
    let mut second = client(addr);
    let (second_peer, _, _) = connected(&server.session);
    let pinged = |session: &Session, board: &mut std::net::TcpStream, peer| {
        board.write_all(b"ping").unwrap();
        wait_for(session, "the ping", |e| match e {
            Event::Data {
                peer: p,
                dir: Direction::Rx,
                ..
            } if *p == peer => Some(()),
            _ => None,
        });
    };
    let unsent = |session: &Session, peer| {
        wait_for(session, "the unsent reply", |e| match e {
            Event::Unsent {
                peer: p,
                bytes,
                sends,
                ..
            } if *p == peer => Some((*bytes, *sends)),
            _ => None,
        })
    };
    // Disconnected while its reply waits.
    pinged(&server.session, &mut first, first_peer);
    server.session.send(Command::Disconnect(first_peer));
    assert_eq!(unsent(&server.session, first_peer), (4, 1));
    // New rules cancel the replies still waiting.
    pinged(&server.session, &mut second, second_peer);
    server.session.send(Command::SetRules(rules(&[])));
    assert_eq!(unsent(&server.session, second_peer), (4, 1));
}

/// With [`SessionConfig::sends_on_connect`], a peer that sends and finishes sending at once is held open
/// until the caller says it made its sends on connect: they reach the peer, then the FIN ends the
/// connection as ever. Nothing else holds it: the stop ends a connection still held.
#[test]
fn a_connection_held_for_the_sends_on_connect_ends_on_the_fin_once_they_were_made_or_at_the_stop() {
    let mut config = server_config("127.0.0.1:0");
    config.sends_on_connect = true;
    let (mut server, addr) = tcp_server(config);
    let finished = |session: &Session, peer| {
        wait_for(session, "the peer's FIN", |e| match e {
            Event::HalfClosed {
                peer: p,
                side: Side::Peer,
                ..
            } if *p == peer => Some(()),
            _ => None,
        });
    };
    let mut board = client(addr);
    board.write_all(b"ping").unwrap();
    board.shutdown(Shutdown::Write).unwrap();
    let (peer, _, _) = connected(&server.session);
    finished(&server.session, peer);
    server.session.send(Command::Send {
        to: Target::Peer(peer),
        bytes: Bytes::from_static(b"hi"),
    });
    server.session.send(Command::SentOnConnect(peer));
    assert_eq!(read_to_close(&mut board), b"hi");
    let events = events_until_closed(&server.session, peer);
    assert!(
        matches!(
            events.as_slice(),
            [
                Event::Data {
                    dir: Direction::Tx,
                    ..
                },
                Event::Closed {
                    reason: CloseReason::PeerClosed,
                    ..
                }
            ]
        ),
        "{:?}",
        outline(&events)
    );

    let mut held = client(addr);
    held.shutdown(Shutdown::Write).unwrap();
    let (peer, _, _) = connected(&server.session);
    finished(&server.session, peer);
    server.session.stop();
    let closed: Vec<CloseReason> = server
        .session
        .drain()
        .filter_map(|e| match e {
            Event::Closed {
                peer: p, reason, ..
            } if p == peer => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(closed, [CloseReason::SessionStopped]);
    assert_eq!(read_to_close(&mut held), b"");
}
