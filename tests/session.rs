//! The session controller both front ends use, against real sockets on loopback: it meets expectations in
//! a stream that arrives in pieces, sends on connect, reports a capture that fails, and stops honestly.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{WAIT, server_config};
use netassist::codec::{Framing, Template, TextEncoding};
use netassist::engine::Direction;
use netassist::expect::{Expectation, Expectations};
use netassist::rules::{Match, Pattern};
use netassist::session::{Controller, OnConnect};
use netassist::traffic::{LogConfig, TrafficLog};

fn controller() -> Controller {
    Controller::new(TrafficLog::new(LogConfig::default()))
}

/// Takes events until `done` holds, failing after [`WAIT`].
fn until(controller: &mut Controller, what: &str, done: impl Fn(&Controller) -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done(controller) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        controller.wait_event(Duration::from_millis(50));
    }
}

fn listening(controller: &mut Controller) -> SocketAddr {
    until(controller, "the session to listen", |c| {
        c.log().local_addr().is_some()
    });
    controller.log().local_addr().unwrap()
}

/// How many received rows the log holds.
fn rx_rows(controller: &Controller) -> usize {
    let log = controller.log();
    (0..log.len())
        .filter_map(|i| log.row(i))
        .filter(|row| {
            matches!(
                row.kind,
                netassist::traffic::RowKind::Data {
                    dir: Direction::Rx,
                    ..
                }
            )
        })
        .count()
}

#[test]
fn a_greeting_in_pieces_meets_its_expectation_and_the_reply_goes_on_connect() {
    let mut c = controller();
    let hello = Pattern::new(
        &Match::Contains("Hello 01Studio!".to_owned()),
        TextEncoding::Utf8,
    )
    .unwrap();
    c.set_expectations(Expectations::new(
        vec![Expectation::new("hello", hello)],
        &Framing::Raw,
    ));
    c.set_on_connect(OnConnect {
        sends: vec![Template::from(Bytes::from_static(b"hi"))],
        every: None,
        half_close: false,
    });
    c.start(server_config("127.0.0.1:0"), || {}).unwrap();
    let addr = listening(&mut c);
    let mut board = TcpStream::connect(addr).unwrap();
    board.set_read_timeout(Some(WAIT)).unwrap();
    board.set_nodelay(true).unwrap();
    // The controller sends when it takes the connection in.
    until(&mut c, "the board to connect", |c| {
        c.log().connected_peers() == 1
    });
    let mut greeting = [0; 2];
    board.read_exact(&mut greeting).unwrap();
    assert_eq!(&greeting, b"hi", "sent when the board connected");
    for (i, piece) in ["Hel", "lo 01St", "udio!"].into_iter().enumerate() {
        assert!(!c.expectations().all_met());
        board.write_all(piece.as_bytes()).unwrap();
        // Each piece is a read of its own before the next is sent.
        until(&mut c, "the piece", |c| rx_rows(c) == i + 1);
    }
    assert!(c.expectations().all_met());
    // Stopping after what is sent does not wait: the caller takes events until the session ends.
    c.stop_when_sent(Duration::from_secs(2));
    until(&mut c, "the session to stop", |c| !c.is_open());
    assert!(c.log().is_stopped());
}

#[cfg(target_os = "linux")]
#[test]
fn a_capture_or_pcapng_file_that_fails_is_reported_once_and_the_session_goes_on() {
    use netassist::engine::Event;
    use netassist::recording::Kind;
    for kind in [Kind::Capture, Kind::Pcapng] {
        let mut c = controller();
        c.start(server_config("127.0.0.1:0"), || {}).unwrap();
        let addr = listening(&mut c);
        // Every write to /dev/full fails as a full disk does.
        let full = std::path::Path::new("/dev/full");
        match kind {
            Kind::Capture => {
                let options = netassist::capture::CaptureOptions {
                    display: netassist::format::Display::of(&netassist::preset::Preset::default()),
                    raw_per_peer: false,
                };
                c.start_capture(full, options).unwrap();
            }
            Kind::Pcapng => {
                c.start_pcap(full, netassist::pcap::PcapOptions::default())
                    .unwrap();
            }
        }
        let failed = |c: &Controller| match kind {
            Kind::Capture => c.capture_failed(),
            Kind::Pcapng => c.pcap_failed(),
        };
        let stop = |c: &mut Controller| match kind {
            Kind::Capture => c.stop_capture(),
            Kind::Pcapng => c.stop_pcap(),
        };
        let mut board = TcpStream::connect(addr).unwrap();
        let line = vec![b'x'; 64 * 1024];
        let deadline = Instant::now() + WAIT;
        while !failed(&c) {
            assert!(Instant::now() < deadline, "the {kind:?} never failed");
            board.write_all(&line).unwrap();
            let _ = c.take_events(Duration::from_millis(20), |_| {});
        }
        let error = stop(&mut c).unwrap().unwrap_err();
        assert_eq!(error.path, full);
        assert_eq!(error.kind, kind);
        assert!(!failed(&c));
        assert!(stop(&mut c).is_none(), "reported once");
        assert!(c.is_open(), "the session goes on");
        let mut seen = Vec::new();
        c.stop(|event| seen.push(matches!(event, Event::Stopped { .. })));
        assert_eq!(seen.last(), Some(&true));
    }
}
