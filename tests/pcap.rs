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
use netassist::engine::{Command, Event, Mode, Operation, PeerId, SessionConfig, Target};
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

/// Every block of a pcapng file, owned.
fn blocks(file: &Path) -> Vec<pcap_file::pcapng::Block<'static>> {
    let mut reader =
        pcap_file::pcapng::PcapNgReader::new(std::fs::File::open(file).unwrap()).unwrap();
    let mut blocks = vec![pcap_file::pcapng::Block::SectionHeader(
        reader.section().clone().into_owned(),
    )];
    while let Some(block) = reader.next_block() {
        blocks.push(block.unwrap().into_owned());
    }
    blocks
}

fn comments(block: &pcap_file::pcapng::Block<'_>) -> Vec<String> {
    use pcap_file::pcapng::blocks::section_header::SectionHeaderOption;
    match block {
        pcap_file::pcapng::Block::SectionHeader(shb) => shb
            .options
            .iter()
            .filter_map(|o| match o {
                SectionHeaderOption::Comment(c) => Some(c.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn at(ms: u64) -> std::time::SystemTime {
    std::time::SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + ms)
}

/// A server session with one client that sends `hello`, as events.
fn hello_session(recording: &netassist::recording::Recording, port: u16) {
    let mode = Mode::TcpServer {
        bind: format!("0.0.0.0:{port}").parse().unwrap(),
        max_clients: None,
    };
    assert!(recording.session(&mode, at(0)));
    for event in [
        Event::Connected {
            peer: PeerId(1),
            addr: "127.0.0.1:40000".parse().unwrap(),
            local: format!("127.0.0.1:{port}").parse().unwrap(),
            at: at(1),
        },
        Event::Data {
            peer: PeerId(1),
            dir: netassist::engine::Direction::Rx,
            bytes: Bytes::from_static(b"hello"),
            at: at(2),
        },
    ] {
        assert!(recording.record(&event));
    }
}

#[test]
fn the_file_says_where_it_came_from_and_names_each_session() {
    use pcap_file::pcapng::Block;
    use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
    use pcap_file::pcapng::blocks::section_header::SectionHeaderOption;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.pcapng");
    let recording = netassist::pcap::start(&file, PcapOptions::default()).unwrap();
    // The section header is there before any event.
    assert!(recording.settle(WAIT).unwrap() > 0);
    let head = std::fs::read(&file).unwrap();
    assert_eq!(head[..4], netassist::pcap::SECTION_HEADER.to_le_bytes());
    hello_session(&recording, 5000);
    hello_session(&recording, 6000);
    recording.stop().unwrap();

    let blocks = blocks(&file);
    let Block::SectionHeader(shb) = &blocks[0] else {
        panic!("a section header first");
    };
    assert!(shb.options.contains(&SectionHeaderOption::UserApplication(
        format!("NetAssist {}", env!("CARGO_PKG_VERSION")).into()
    )));
    assert!(comments(&blocks[0])[0].contains("not captured from a network interface"));
    let interfaces: Vec<_> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::InterfaceDescription(idb) => Some(idb),
            _ => None,
        })
        .collect();
    assert_eq!(interfaces.len(), 2, "one per session");
    for (idb, port) in interfaces.iter().zip([5000, 6000]) {
        assert_eq!(idb.linktype, pcap_file::DataLink::RAW);
        assert!(
            idb.options
                .contains(&InterfaceDescriptionOption::IfTsResol(9))
        );
        assert!(
            idb.options
                .contains(&InterfaceDescriptionOption::IfDescription(
                    format!("Session opened: TCP server on 0.0.0.0:{port}").into()
                ))
        );
    }
    let packets: Vec<_> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::EnhancedPacket(epb) => Some(epb),
            _ => None,
        })
        .collect();
    // Each session: the handshake, then hello and its ACK.
    assert_eq!(packets.len(), 10);
    assert_eq!(
        packets[0].timestamp,
        at(1).duration_since(std::time::UNIX_EPOCH).unwrap()
    );
    assert_eq!(
        packets[3].timestamp,
        at(2).duration_since(std::time::UNIX_EPOCH).unwrap()
    );
    assert_eq!(
        packets.iter().map(|p| p.interface_id).collect::<Vec<_>>(),
        [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    );
    assert!(packets[3].data.ends_with(b"hello"));
}

#[test]
fn a_recording_stops_at_its_limit_with_every_block_before_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("limited.pcapng");
    let recording = netassist::pcap::start(&file, PcapOptions { limit: Some(1500) }).unwrap();
    for port in 5000..5010 {
        hello_session(&recording, port);
    }
    let error = recording.stop().unwrap_err();
    assert_eq!(error.limit(), Some(1500));
    assert!(error.to_string().contains("limit"), "{error}");
    assert!(error.zh().contains("上限"), "{}", error.zh());
    let len = std::fs::metadata(&file).unwrap().len();
    assert_eq!(error.written, len, "all that was written is whole");
    // The entry that crossed the limit is the last in: a handshake is a few hundred bytes.
    assert!((1500..2000).contains(&len), "{len}");
    // Whole blocks only: the file reads to its end.
    let packets = blocks(&file)
        .iter()
        .filter(|b| matches!(b, pcap_file::pcapng::Block::EnhancedPacket(_)))
        .count();
    assert!(packets > 0 && packets < 10 * 5, "{packets}");
}

#[test]
fn an_export_is_the_recording_under_a_header_of_its_own_with_its_notes() {
    let dir = tempfile::tempdir().unwrap();
    let (file, copy) = (dir.path().join("r.pcapng"), dir.path().join("copy.pcapng"));
    let recording = netassist::pcap::start(&file, PcapOptions::default()).unwrap();
    hello_session(&recording, 5000);
    let len = recording.settle(WAIT).unwrap();
    // What comes after the export is not in it.
    hello_session(&recording, 6000);
    recording.stop().unwrap();
    let note = "Exported while the session was open.".to_owned();
    netassist::pcap::export(&file, len, &copy, std::slice::from_ref(&note)).unwrap();
    let (recorded, exported) = (blocks(&file), blocks(&copy));
    assert_eq!(comments(&exported[0]).last(), Some(&note));
    assert_eq!(exported[1..], recorded[1..exported.len()]);
    assert_eq!(
        exported.len(),
        1 + 1 + 5,
        "the header, the first session, its packets"
    );
    let error = netassist::pcap::export(&copy.with_extension("none"), 0, &file, &[]).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn a_tls_connection_says_in_the_capture_that_its_payload_is_decrypted_application_data() {
    use netassist::engine::{TlsAccept, TlsConnect, TlsIdentity, TlsVerify};
    if !tshark::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tls.pcapng");
    let mut server = controller();
    server.start_pcap(&file, PcapOptions::default()).unwrap();
    let mut config = server_config("127.0.0.1:0");
    config.tls_accept = Some(TlsAccept::new(TlsIdentity::SelfSigned { save: None }));
    server.start(config, || {}).unwrap();
    let mut events = Vec::new();
    until(&mut server, &mut events, "the certificate", |e| {
        e.iter().any(|e| matches!(e, Event::TlsCertificate { .. }))
    });
    let fingerprint = events
        .iter()
        .find_map(|e| match e {
            Event::TlsCertificate { certificate, .. } => Some(certificate.fingerprint()),
            _ => None,
        })
        .unwrap();
    let port = listening(&events).unwrap().port();

    let mut client = controller();
    let mut config = SessionConfig::new(Mode::TcpClient {
        host: "127.0.0.1".to_owned(),
        port,
        local: None,
        timeout: WAIT,
    });
    config.tls_connect = Some(TlsConnect {
        verify: TlsVerify::AcceptAny,
        server_name: None,
    });
    client.start(config, || {}).unwrap();
    let mut client_events = Vec::new();
    until(&mut client, &mut client_events, "the handshake", |e| {
        e.iter().any(|e| matches!(e, Event::TlsEstablished { .. }))
    });
    client.command(Command::Send {
        to: Target::Peer(peers(&client_events)[0]),
        bytes: Bytes::from_static(b"GET / HTTP/1.1\r\n\r\n"),
    });
    until(&mut server, &mut events, "the request", |e| {
        e.iter().any(|e| matches!(e, Event::Data { .. }))
    });
    client.stop(|_| {});
    server.stop(|e| events.push(e.clone()));
    server.stop_pcap().unwrap().unwrap();

    // The packet details say it, in what they show of a long comment.
    let verbose = tshark::read(&file, &["-V"]);
    let shown = verbose
        .lines()
        .filter(|l| {
            l.contains("This connection is TLS: its payloads in this file are the decrypted")
        })
        .count();
    assert!(shown >= 1, "{verbose}");
    // The whole comment is on the request's packet, the connection's first after the handshake, and
    // only there.
    let fields = tshark::read(
        &file,
        &[
            "-Y",
            "frame.comment",
            "-T",
            "fields",
            "-e",
            "tcp.len",
            "-e",
            "frame.comment",
        ],
    );
    let tls: Vec<&str> = fields.lines().filter(|l| l.contains("TLS 1.3")).collect();
    assert_eq!(tls.len(), 1, "{fields}");
    let (len, comment) = tls[0].split_once('\t').unwrap();
    assert_eq!(len, "18", "{comment}");
    assert!(
        comment.contains("TLS established: TLS 1.3, TLS_"),
        "{comment}"
    );
    assert!(comment.contains(&fingerprint), "{comment}");
}

/// A relay whose device waits while a connect to `[::1]:5000` times out (the device's bytes come
/// meanwhile), then one to `127.0.0.1:5000` is refused, as events: the session's mode and its events.
fn relay_failed_connects() -> (Mode, Vec<Event>) {
    let target = netassist::engine::HostPort {
        host: "localhost".to_owned(),
        port: 5000,
    };
    let mode = Mode::Relay {
        bind: "127.0.0.1:9000".parse().unwrap(),
        target: target.clone(),
        max_clients: None,
        timeout: Duration::from_secs(3),
    };
    let (device, timed_out, refused) = (PeerId(1), PeerId(2), PeerId(3));
    let (v6, v4) = (
        "[::1]:5000".parse().unwrap(),
        "127.0.0.1:5000".parse().unwrap(),
    );
    let problem = |addr: &str, kind| {
        let error = std::io::Error::from(kind);
        netassist::engine::NetError::io(Operation::Connect, Some(addr.to_owned()), &error)
    };
    let events = vec![
        Event::Connected {
            peer: device,
            addr: "127.0.0.1:40000".parse().unwrap(),
            local: "127.0.0.1:9000".parse().unwrap(),
            at: at(1),
        },
        Event::Connecting {
            device,
            server: timed_out,
            target: target.clone(),
            addr: v6,
            at: at(2),
        },
        // The device's bytes come while the connect hangs: the SYN follows them in the file.
        Event::Data {
            peer: device,
            dir: netassist::engine::Direction::Rx,
            bytes: Bytes::from_static(b"early"),
            at: at(100),
        },
        Event::ConnectFailed {
            device,
            server: timed_out,
            addr: v6,
            local: Some("[::1]:41000".parse().unwrap()),
            error: problem("[::1]:5000", std::io::ErrorKind::TimedOut),
            at: at(3002),
        },
        Event::Connecting {
            device,
            server: refused,
            target,
            addr: v4,
            at: at(3003),
        },
        Event::ConnectFailed {
            device,
            server: refused,
            addr: v4,
            local: Some("127.0.0.1:42000".parse().unwrap()),
            error: problem("127.0.0.1:5000", std::io::ErrorKind::ConnectionRefused),
            at: at(3004),
        },
    ];
    (mode, events)
}

#[test]
fn a_relays_failed_connects_read_back_as_syns_and_a_refusals_rst_without_complaint() {
    if !tshark::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("relay.pcapng");
    let recording = netassist::pcap::start(&file, PcapOptions::default()).unwrap();
    let (mode, events) = relay_failed_connects();
    assert!(recording.session(&mode, at(0)));
    for event in &events {
        assert!(recording.record(event));
    }
    recording.stop().unwrap();
    assert!(
        tshark::complaints(&file).is_empty(),
        "{:?}",
        tshark::complaints(&file)
    );
    let attempts = tshark::read(
        &file,
        &[
            "-Y",
            "tcp.port == 5000",
            "-T",
            "fields",
            "-e",
            "tcp.srcport",
            "-e",
            "tcp.dstport",
            "-e",
            "tcp.flags.str",
            "-e",
            "frame.comment",
        ],
    );
    let lines: Vec<Vec<&str>> = attempts.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 3, "{attempts}");
    assert_eq!(
        lines[0][..3],
        ["41000", "5000", "··········S·"],
        "{attempts}"
    );
    assert!(
        lines[0][3].contains("SYNs the kernel sent again"),
        "{attempts}"
    );
    assert_eq!(
        lines[1][..3],
        ["42000", "5000", "··········S·"],
        "{attempts}"
    );
    assert_eq!(
        lines[2][..3],
        ["5000", "42000", "·······A·R··"],
        "{attempts}"
    );
    assert!(lines[2][3].contains("refused"), "{attempts}");
}
