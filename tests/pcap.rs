//! The pcapng recording against real sockets on loopback, read back with the real `tshark`: TCP on
//! `127.0.0.1` and `::1` (both directions, a half-close, a reset), UDP with the largest datagram, the packet
//! count, "Follow TCP Stream" byte for byte, and no expert complaint (segments not captured, bad
//! checksums). Without `tshark` each test says it is skipped and passes.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{WAIT, server_config, tshark};
use netassist::engine::{Command, Event, Mode, PeerId, SessionConfig, Target};
use netassist::pcap::PcapOptions;
use netassist::pcap::packets::MSS;
use netassist::session::Controller;
use netassist::traffic::{LogConfig, TrafficLog};

fn controller() -> Controller {
    Controller::new(TrafficLog::new(LogConfig::default()))
}

/// Takes events, keeping each, until `done` holds for those seen so far; fails after [`WAIT`].
fn until(
    controller: &mut Controller,
    events: &mut Vec<Event>,
    what: &str,
    done: impl Fn(&[Event]) -> bool,
) {
    let deadline = Instant::now() + WAIT;
    while !done(events) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        events.extend(controller.wait_event(Duration::from_millis(50)));
    }
}

fn listening(events: &[Event]) -> Option<SocketAddr> {
    events.iter().find_map(|e| match e {
        Event::Listening { addr, .. } => Some(*addr),
        _ => None,
    })
}

fn peers(events: &[Event]) -> Vec<PeerId> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Connected { peer, .. } => Some(*peer),
            _ => None,
        })
        .collect()
}

/// The packets the events must make: for TCP the handshake, each read or send as segments of at most
/// [`MSS`] bytes and an ACK, a FIN and its ACK for each side's FIN, an RST for a reset; for UDP one per
/// datagram.
fn expected_packets(events: &[Event], tcp: bool) -> usize {
    let mut fins = std::collections::HashSet::new();
    events
        .iter()
        .map(|e| match e {
            Event::Connected { .. } if tcp => 3,
            Event::Data { bytes, .. } if tcp => bytes.len().div_ceil(MSS) + 1,
            Event::Data { .. } => 1,
            Event::HalfClosed { peer, side, .. } => {
                fins.insert((*peer, *side == netassist::engine::Side::Local));
                2
            }
            Event::Closed { peer, reason, .. } if tcp => match reason {
                netassist::engine::CloseReason::Reset => 1,
                _ if fins.insert((*peer, true)) => 2,
                _ => 0,
            },
            _ => 0,
        })
        .sum()
}

/// A byte pattern that shows any shift or gap.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A TCP server session on `bind`, recorded to `file`: one client sends 300 KiB and finishes sending
/// (FIN) while the server sends it 200 KiB; a second client says a word and resets. Returns the events
/// and the two clients' addresses.
fn tcp_session(bind: &str, file: &Path) -> (Vec<Event>, SocketAddr, SocketAddr, Vec<u8>, Vec<u8>) {
    let mut c = controller();
    c.start_pcap(file, PcapOptions::default()).unwrap();
    c.start(server_config(bind), || {}).unwrap();
    let mut events = Vec::new();
    until(&mut c, &mut events, "listening", |e| listening(e).is_some());
    let server = listening(&events).unwrap();

    let (up, down) = (pattern(300 * 1024, 1), pattern(200 * 1024, 7));
    let mut first = TcpStream::connect(server).unwrap();
    first.set_read_timeout(Some(WAIT)).unwrap();
    until(&mut c, &mut events, "the client", |e| peers(e).len() == 1);
    c.command(Command::Send {
        to: Target::Peer(peers(&events)[0]),
        bytes: Bytes::from(down.clone()),
    });
    let writer = {
        let mut stream = first.try_clone().unwrap();
        let up = up.clone();
        std::thread::spawn(move || {
            stream.write_all(&up).unwrap();
            stream.shutdown(std::net::Shutdown::Write).unwrap();
        })
    };
    let mut got = vec![0; down.len()];
    first.read_exact(&mut got).unwrap();
    assert_eq!(got, down);
    writer.join().unwrap();
    until(&mut c, &mut events, "the client's FIN", |e| {
        e.iter().any(|e| matches!(e, Event::HalfClosed { .. }))
    });

    let mut second = TcpStream::connect(server).unwrap();
    until(&mut c, &mut events, "the second client", |e| {
        peers(e).len() == 2
    });
    let second_peer = peers(&events)[1];
    second.write_all(b"bye").unwrap();
    until(&mut c, &mut events, "its word", |e| {
        e.iter().any(|e| {
            matches!(e, Event::Data { peer, bytes, .. } if *peer == second_peer && bytes.as_ref() == b"bye")
        })
    });
    socket2::SockRef::from(&second)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    let second_addr = second.local_addr().unwrap();
    drop(second);
    until(&mut c, &mut events, "the reset", |e| {
        e.iter().any(|e| {
            matches!(
                e,
                Event::Closed {
                    reason: netassist::engine::CloseReason::Reset,
                    ..
                }
            )
        })
    });
    let first_addr = first.local_addr().unwrap();
    c.stop(|e| events.push(e.clone()));
    assert_eq!(c.stop_pcap().unwrap().unwrap(), file);
    (events, first_addr, second_addr, up, down)
}

fn check_tcp(bind: &str) {
    if !tshark::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tcp.pcapng");
    let (events, first, second, up, down) = tcp_session(bind, &file);
    assert_eq!(
        tshark::count(&file, None),
        expected_packets(&events, true),
        "{events:#?}"
    );
    assert_eq!(tshark::count(&file, Some("tcp.flags.syn == 1")), 4);
    assert_eq!(tshark::count(&file, Some("tcp.flags.reset == 1")), 1);
    assert_eq!(tshark::complaints(&file), Vec::<String>::new());
    let stream = tshark::follow_tcp(&file, 0);
    assert_eq!(stream[&first].len(), up.len());
    assert!(stream[&first] == up, "the client's bytes, in order");
    let server = *stream.keys().find(|a| **a != first).unwrap();
    assert!(stream[&server] == down, "the server's bytes, in order");
    let stream = tshark::follow_tcp(&file, 1);
    assert_eq!(stream[&second], b"bye");
}

#[test]
fn a_tcp_session_on_ipv4_reads_back_in_tshark_byte_for_byte() {
    check_tcp("127.0.0.1:0");
}

#[test]
fn a_tcp_session_on_ipv6_reads_back_in_tshark_byte_for_byte() {
    check_tcp("[::1]:0");
}

#[test]
fn udp_datagrams_read_back_whole_even_the_largest() {
    if !tshark::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("udp.pcapng");
    let mut c = controller();
    c.start_pcap(&file, PcapOptions::default()).unwrap();
    let mut config = SessionConfig::new(Mode::Udp {
        bind: "127.0.0.1:0".parse().unwrap(),
        remote: None,
        broadcast: false,
        multicast: Vec::new(),
    });
    config.echo = true;
    c.start(config, || {}).unwrap();
    let mut events = Vec::new();
    until(&mut c, &mut events, "listening", |e| listening(e).is_some());
    let session = listening(&events).unwrap();
    let largest = pattern(65_507, 3);
    let remote = UdpSocket::bind("127.0.0.1:0").unwrap();
    remote.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = vec![0; 70_000];
    for datagram in [b"ping".as_slice(), &largest] {
        remote.send_to(datagram, session).unwrap();
        let (n, _) = remote.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], datagram, "the echo");
    }
    until(&mut c, &mut events, "both echoes", |e| {
        e.iter().filter(|e| matches!(e, Event::Data { .. })).count() == 4
    });
    c.stop(|e| events.push(e.clone()));
    c.stop_pcap().unwrap().unwrap();

    assert_eq!(tshark::count(&file, None), expected_packets(&events, false));
    assert_eq!(tshark::count(&file, Some("udp")), 4);
    assert_eq!(tshark::complaints(&file), Vec::<String>::new());
    let out = tshark::read(
        &file,
        &["-Y", "udp.length > 1000", "-T", "fields", "-e", "data.data"],
    );
    let payloads: Vec<Vec<u8>> = out
        .lines()
        .map(|hex| {
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect();
    assert_eq!(payloads.len(), 2, "received and echoed");
    assert!(payloads.iter().all(|p| *p == largest));
}
