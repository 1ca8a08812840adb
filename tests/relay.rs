//! Relay mode against real sockets on loopback: each device is connected on to the target and both
//! directions arrive byte for byte; half-closes, resets and an unreachable target pass through with a row
//! saying why; a side that stops reading keeps the relay's queues bounded; rules answer and inject in
//! either direction; `netassist relay` prints the pairs.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use common::{WAIT, client, close_reason, listening, peer_program, read_n, start, wait_for};
use netassist::codec::{FramerConfig, Framing, TextEncoding};
use netassist::engine::{
    CloseReason, Direction, Event, PeerId, Problem, Session, SessionConfig, Side,
};
use netassist::rules::{Rule, Rules};

/// A relay on a free loopback port to `target`.
fn relay_config(target: SocketAddr) -> SessionConfig {
    common::relay_to(target, Duration::from_secs(5))
}

/// A std listener standing for the server, on a free loopback port.
fn server() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

fn accept(listener: &TcpListener) -> TcpStream {
    let (stream, _) = listener.accept().unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream
}

/// Waits for the pair: (device, server side).
fn paired(session: &Session) -> (PeerId, PeerId) {
    wait_for(session, "Paired", |event| match event {
        Event::Paired { device, server, .. } => Some((*device, *server)),
        _ => None,
    })
}

/// Every event until both `peers` closed, in order.
fn until_closed(session: &Session, peers: &[PeerId]) -> Vec<Event> {
    let mut seen = Vec::new();
    let mut open = peers.to_vec();
    wait_for(session, &format!("Closed for {peers:?}"), |event| {
        seen.push(event.clone());
        if let Event::Closed { peer, .. } = event {
            open.retain(|p| p != peer);
        }
        open.is_empty().then_some(())
    });
    seen
}

#[test]
fn a_board_talks_to_its_echo_server_through_the_relay() {
    let (Some(echo_server), Some(board)) = (
        peer_program("echo_server.py"),
        peer_program("board_client.py"),
    ) else {
        return;
    };
    let mut server = Process::new("python3")
        .arg(echo_server)
        .args(["--port", "0", "--prefix", "echo ", "--seconds", "8"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let listening_on: serde_json::Value = serde_json::from_str(&first).unwrap();
    let port = u16::try_from(listening_on["listening"][1].as_u64().unwrap()).unwrap();
    let running = start(relay_config(SocketAddr::from(([127, 0, 0, 1], port))));
    let relay = listening(&running.session);
    let board = Process::new("python3")
        .arg(board)
        .args(["--port", &relay.port().to_string(), "--seconds", "1.5"])
        .args(["--interval", "0.05"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The board may speak before its pair is connected: its bytes are recorded from the start.
    let (device, server_side, _) = common::connecting(&running.session);
    let mut from_device = Vec::new();
    let mut from_server = Vec::new();
    wait_for(&running.session, "the echo's echo", |event| {
        if let Event::Data {
            peer,
            dir: Direction::Rx,
            bytes,
            ..
        } = event
        {
            if *peer == device {
                from_device.extend_from_slice(bytes);
            } else if *peer == server_side {
                from_server.extend_from_slice(bytes);
            }
        }
        from_server
            .windows(20)
            .any(|w| w == b"echo echo Hello 01St")
            .then_some(())
    });
    assert!(from_device.starts_with(b"Hello 01Studio!echo Hello 01Studio!"));
    assert!(from_server.starts_with(b"echo Hello 01Studio!echo echo Hello 01Studio!"));
    let output = board.wait_with_output().unwrap();
    let report: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&output.stdout).trim()).unwrap();
    let echoed: String = report["echoed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|piece| piece.as_str().unwrap())
        .collect();
    assert!(echoed.starts_with("echo Hello 01Studio!"), "{report}");
    // The board closed: with echoes still unread its close is a reset, which resets the server side
    // too; with none, its FIN reached the server, which closed too, and the pair ended cleanly.
    let events = until_closed(&running.session, &[device, server_side]);
    let expected = match close_reason(&events, device) {
        CloseReason::PeerClosed => CloseReason::PeerClosed,
        CloseReason::Reset => CloseReason::PartnerReset(device),
        other => panic!("the board's close read as {other:?}"),
    };
    assert_eq!(close_reason(&events, server_side), expected);
    let _ = server.kill();
    let _ = server.wait();
}

/// The bytes a peer of the byte-exact test sends: a pseudo-random stream (xorshift), so a lost, repeated
/// or reordered piece shows, from `seed`.
struct Stream(u64);

impl Stream {
    fn fill(&mut self, buf: &mut [u8]) {
        for byte in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *byte = (self.0 >> 24) as u8;
        }
    }
}

/// Writes `len` bytes of `Stream(seed)` to `stream` in a thread of its own, then finishes sending.
fn send_stream(mut stream: TcpStream, seed: u64, len: usize) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut source = Stream(seed);
        let mut buf = vec![0; 256 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(buf.len());
            source.fill(&mut buf[..n]);
            stream.write_all(&buf[..n]).unwrap();
            left -= n;
        }
        stream.shutdown(Shutdown::Write).unwrap();
    })
}

/// Reads `stream` to its end and says whether it was exactly `len` bytes of `Stream(seed)`.
fn check_stream(stream: &mut TcpStream, seed: u64, len: usize) -> Result<(), String> {
    let mut source = Stream(seed);
    let mut got = vec![0; 256 * 1024];
    let mut wanted = vec![0; got.len()];
    let mut total = 0;
    loop {
        let n = stream
            .read(&mut got)
            .map_err(|e| format!("at {total}: {e}"))?;
        if n == 0 {
            break;
        }
        if total + n > len {
            return Err(format!("more than {len} bytes"));
        }
        source.fill(&mut wanted[..n]);
        if got[..n] != wanted[..n] {
            return Err(format!("bytes differ within {total}..{}", total + n));
        }
        total += n;
    }
    if total == len {
        Ok(())
    } else {
        Err(format!("{total} bytes of {len}"))
    }
}

/// How much each way the byte-exact test sends: 100 MiB, under a second on loopback in a debug build.
const STREAM_LEN: usize = 100 << 20;

#[test]
fn a_stream_each_way_arrives_byte_exact() {
    let len = STREAM_LEN;
    let (listener, target) = server();
    let running = start(relay_config(target));
    let relay = listening(&running.session);
    let mut device = client(relay);
    let mut server = accept(&listener);
    let device_sends = send_stream(device.try_clone().unwrap(), 1, len);
    let server_sends = send_stream(server.try_clone().unwrap(), 2, len);
    let server_reads = std::thread::spawn(move || check_stream(&mut server, 1, len));
    // The caller takes the events as they come, as the window and the command line do.
    let session = &running.session;
    let taker = std::thread::scope(|scope| {
        let taker = scope.spawn(|| {
            let (mut rx, mut forwarded) = (0, 0);
            let mut closed = 0;
            let deadline = Instant::now() + WAIT;
            while closed < 2 && Instant::now() < deadline {
                match session.recv_timeout(Duration::from_millis(100)) {
                    Some(Event::Data {
                        dir: Direction::Rx,
                        bytes,
                        ..
                    }) => rx += bytes.len(),
                    Some(Event::Forwarded { bytes, .. }) => forwarded += bytes.len(),
                    Some(Event::Closed { reason, .. }) => {
                        assert_eq!(reason, CloseReason::PeerClosed);
                        closed += 1;
                    }
                    _ => {}
                }
            }
            (rx, forwarded, closed)
        });
        assert_eq!(check_stream(&mut device, 2, len), Ok(()));
        taker.join().unwrap()
    });
    assert_eq!(server_reads.join().unwrap(), Ok(()));
    device_sends.join().unwrap();
    server_sends.join().unwrap();
    // Every byte read is one received row's, and was forwarded once: none counted twice, none missing.
    assert_eq!(taker, (2 * len, 2 * len, 2));
}

#[test]
fn half_closes_pass_through_both_ways() {
    for device_first in [true, false] {
        let (listener, target) = server();
        let running = start(relay_config(target));
        let mut device = client(listening(&running.session));
        let mut server = accept(&listener);
        let (device_id, server_id) = paired(&running.session);
        let (first, second) = if device_first {
            (&mut device, &mut server)
        } else {
            (&mut server, &mut device)
        };
        first.write_all(b"last words").unwrap();
        first.shutdown(Shutdown::Write).unwrap();
        // The FIN arrives after the bytes sent before it, and the other direction still flows.
        let mut got = Vec::new();
        second.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"last words");
        second.write_all(b"the answer").unwrap();
        assert_eq!(read_n(first, 10), b"the answer");
        second.shutdown(Shutdown::Write).unwrap();
        assert_eq!(first.read(&mut [0; 8]).unwrap(), 0, "the second FIN passes");
        let events = until_closed(&running.session, &[device_id, server_id]);
        let (first_id, second_id) = if device_first {
            (device_id, server_id)
        } else {
            (server_id, device_id)
        };
        let half_closes: Vec<(PeerId, Side)> = events
            .iter()
            .filter_map(|event| match event {
                Event::HalfClosed { peer, side, .. } => Some((*peer, *side)),
                _ => None,
            })
            .collect();
        assert_eq!(
            half_closes,
            [
                (first_id, Side::Peer),
                (second_id, Side::Local),
                (second_id, Side::Peer),
                (first_id, Side::Local),
            ]
        );
        assert_eq!(close_reason(&events, device_id), CloseReason::PeerClosed);
        assert_eq!(close_reason(&events, server_id), CloseReason::PeerClosed);
    }
}

/// Closes `stream` with an RST: `SO_LINGER` 0, then drop.
fn reset(stream: TcpStream) {
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(stream);
}

#[test]
fn a_reset_passes_through_both_ways() {
    for device_resets in [true, false] {
        let (listener, target) = server();
        let running = start(relay_config(target));
        let device = client(listening(&running.session));
        let server = accept(&listener);
        let (device_id, server_id) = paired(&running.session);
        let (resetting, mut other, reset_id, other_id) = if device_resets {
            (device, server, device_id, server_id)
        } else {
            (server, device, server_id, device_id)
        };
        reset(resetting);
        let error = other.read(&mut [0; 8]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ConnectionReset);
        let events = until_closed(&running.session, &[device_id, server_id]);
        assert_eq!(close_reason(&events, reset_id), CloseReason::Reset);
        assert_eq!(
            close_reason(&events, other_id),
            CloseReason::PartnerReset(reset_id)
        );
    }
}

#[test]
fn an_unreachable_target_closes_the_device_and_says_why() {
    let (listener, target) = server();
    // Nothing listens there any more: the connect is refused.
    drop(listener);
    let running = start(relay_config(target));
    let mut device = client(listening(&running.session));
    assert_eq!(device.read(&mut [0; 8]).unwrap(), 0, "the device is closed");
    let reason = wait_for(
        &running.session,
        "the device's close",
        |event| match event {
            Event::Closed { reason, .. } => Some(reason.clone()),
            Event::Paired { .. } => panic!("nothing to pair with"),
            _ => None,
        },
    );
    let CloseReason::Unreachable(error) = reason else {
        panic!("closed for {reason:?}");
    };
    assert_eq!(error.problem(), Problem::Refused);
    assert_eq!(error.addr, Some(target.to_string()));
}

#[test]
fn a_side_that_stops_reading_keeps_the_relay_bounded() {
    const LIMIT: usize = 1 << 20;
    const SENT: usize = 100 << 20;
    let (listener, target) = server();
    let mut config = relay_config(target);
    config.max_queue_bytes = LIMIT;
    let running = start(config);
    let device = client(listening(&running.session));
    let mut server = accept(&listener);
    let (device_id, _) = paired(&running.session);
    // The device sends 100 MiB while the server reads nothing: it gets as far as the buffers let it.
    device
        .set_write_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let writer = std::thread::spawn(move || {
        let mut device = device;
        let chunk = vec![7u8; 64 * 1024];
        let mut written = 0;
        while written < SENT {
            match device.write(&chunk[..chunk.len().min(SENT - written)]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                    break;
                }
                Err(e) => panic!("{e}"),
            }
        }
        (device, written)
    });
    // While the device is stalled, what the relay holds is what it read less what it wrote on.
    let (mut read, mut forwarded) = (0usize, 0usize);
    let mut held_most = 0;
    let mut count = |event: &Event| {
        match event {
            Event::Data {
                peer,
                dir: Direction::Rx,
                bytes,
                ..
            } if *peer == device_id => read += bytes.len(),
            Event::Forwarded { bytes, .. } => forwarded += bytes.len(),
            _ => {}
        }
        held_most = held_most.max(read - forwarded);
        (read, held_most)
    };
    while !writer.is_finished() {
        if let Some(event) = running.session.recv_timeout(Duration::from_millis(50)) {
            count(&event);
        }
    }
    let (device, written) = writer.join().unwrap();
    assert!(
        written < SENT,
        "a server that reads nothing stalls the device"
    );
    for event in running.session.drain() {
        count(&event);
    }
    let (read, held_most) = count(&Event::Stopped {
        at: std::time::SystemTime::now(),
    });
    // Half the limit, plus one read turn (4 reads of 64 KiB) over it.
    let bound = LIMIT / 2 + 4 * 64 * 1024;
    assert!(held_most <= bound, "held {held_most} bytes, bound {bound}");
    assert!(read > 0 && read <= written);
    // The server reads again: everything written arrives.
    device.shutdown(Shutdown::Write).unwrap();
    let mut got = 0;
    let mut buf = vec![0; 256 * 1024];
    loop {
        let n = server.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        got += n;
    }
    assert_eq!(got, written);
}

#[test]
fn rules_answer_the_sender_or_inject_toward_the_other_side() {
    let rules = Rules::new(
        &[
            "exact:ping=>pong".parse::<Rule>().unwrap(),
            "exact:AT=>onward:+injected".parse::<Rule>().unwrap(),
            "exact:hello=>onward:!".parse::<Rule>().unwrap(),
        ],
        TextEncoding::Utf8,
        FramerConfig::from(Framing::Raw),
    )
    .unwrap();
    let (listener, target) = server();
    let running = start(relay_config(target).with_rules(rules));
    let mut device = client(listening(&running.session));
    let mut server = accept(&listener);
    let (device_id, server_id) = paired(&running.session);
    // A device's message answered to the device; it still reaches the server.
    device.write_all(b"ping").unwrap();
    assert_eq!(read_n(&mut device, 4), b"pong");
    assert_eq!(read_n(&mut server, 4), b"ping");
    // A device's message with bytes injected toward the server, after it.
    device.write_all(b"AT").unwrap();
    assert_eq!(read_n(&mut server, 11), b"AT+injected");
    // The server's message with bytes injected toward the device.
    server.write_all(b"hello").unwrap();
    assert_eq!(read_n(&mut device, 6), b"hello!");
    // Rule answers and injections are the rows of the side they were written to; forwarded bytes are not.
    let mut sent = Vec::new();
    wait_for(&running.session, "the injection to the device", |event| {
        if let Event::Data {
            peer,
            dir: Direction::Tx,
            bytes,
            ..
        } = event
        {
            sent.push((*peer, bytes.clone()));
        }
        (sent.len() == 3).then_some(())
    });
    assert_eq!(
        sent,
        [
            (device_id, "pong".into()),
            (server_id, "+injected".into()),
            (device_id, "!".into()),
        ]
    );
}

#[test]
fn netassist_relay_prints_each_pair_as_json() {
    let (listener, target) = server();
    let mut relay = common::cli::Netassist::start(&[
        "relay",
        "--bind",
        "127.0.0.1:0",
        "--to",
        &target.to_string(),
        "--json",
        "--seconds",
        "3",
    ]);
    let port = relay.port();
    let mut device = client(SocketAddr::from(([127, 0, 0, 1], port)));
    let mut server = accept(&listener);
    // Once paired, each side's rows name the pair (what the device sends before is its own row).
    relay.line("the server side", |line| {
        line.contains(r#""side":"server""#)
    });
    device.write_all(b"up").unwrap();
    assert_eq!(read_n(&mut server, 2), b"up");
    server.write_all(b"down").unwrap();
    assert_eq!(read_n(&mut device, 4), b"down");
    // The relay's end of its connection to the target, as the target sees it.
    let server_local = server.peer_addr().unwrap().to_string();
    drop(device);
    drop(server);
    let ended = relay.end();
    let lines = common::cli::json_lines(&ended.stdout);
    let events: Vec<(&str, &str)> = lines
        .iter()
        .filter(|line| line["event"] != "listening" && line["event"] != "opened")
        .map(|line| {
            (
                line["event"].as_str().unwrap(),
                line["text"].as_str().unwrap_or(""),
            )
        })
        .take(6)
        .collect();
    assert_eq!(
        events,
        [
            ("connected", ""),
            ("connecting", ""),
            ("paired", ""),
            ("connected", ""),
            ("data", "up"),
            ("data", "down"),
        ],
        "{:#?}",
        ended.stdout
    );
    let device = format!("127.0.0.1:{}", device_port(&lines));
    let paired = lines.iter().find(|line| line["event"] == "paired").unwrap();
    assert_eq!(paired["peer"], device);
    // Each data line keeps `peer` as the side's own address and names its pair: the side, its
    // partner, and the server side's local address (its own port, which tells pairs apart).
    let data: Vec<_> = lines
        .iter()
        .filter(|line| line["event"] == "data")
        .collect();
    let pairs: Vec<(&str, &str, &str, &str)> = data
        .iter()
        .map(|line| {
            let field = |name: &str| line[name].as_str().unwrap_or("");
            (
                field("peer"),
                field("side"),
                field("partner"),
                field("server_local"),
            )
        })
        .collect();
    let target = target.to_string();
    assert_eq!(
        pairs,
        [
            (
                device.as_str(),
                "device",
                target.as_str(),
                server_local.as_str()
            ),
            (
                target.as_str(),
                "server",
                device.as_str(),
                server_local.as_str()
            ),
        ]
    );
}

/// The device's port, from the first `connected` line's peer.
fn device_port(lines: &[serde_json::Value]) -> String {
    let connected = lines
        .iter()
        .find(|line| line["event"] == "connected")
        .unwrap();
    connected["peer"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned()
}
