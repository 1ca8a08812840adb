//! The packets made from events, parsed back with etherparse: handshake, sequence and acknowledgement
//! numbers, segmentation, FIN and RST, the wrap at 2^32, IPv6, UDP, and every checksum.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use etherparse::{NetSlice, SlicedPacket, TransportSlice};

use super::{Connection, Flow, MSS, Packets, Synthesizer, Tcp, initial_sequence};
use crate::engine::{
    CloseReason, Direction, Event, Mode, NetError, Operation, PeerId, Side, TlsClose, TlsFailure,
};

/// One packet, read back.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    from: SocketAddr,
    to: SocketAddr,
    /// TCP only.
    seq: u32,
    ack: Option<u32>,
    flags: String,
    payload: Vec<u8>,
    comment: Option<String>,
    at: SystemTime,
}

/// Parses every packet, checking the IPv4 header checksum and the TCP or UDP checksum as it goes.
fn seen(packets: &Packets) -> Vec<Seen> {
    packets
        .iter()
        .map(|packet| {
            let sliced = SlicedPacket::from_ip(packet.data).unwrap();
            let (from_ip, to_ip, v4, v6) = match sliced.net.as_ref().unwrap() {
                NetSlice::Ipv4(ip) => {
                    let header = ip.header().to_header();
                    assert_eq!(
                        header.header_checksum,
                        header.calc_header_checksum(),
                        "IPv4 header checksum"
                    );
                    assert_eq!(usize::from(header.total_len), packet.data.len());
                    let h = ip.header();
                    (
                        h.source_addr().into(),
                        h.destination_addr().into(),
                        Some((h.source(), h.destination())),
                        None,
                    )
                }
                NetSlice::Ipv6(ip) => {
                    let h = ip.header();
                    assert_eq!(usize::from(h.payload_length()) + 40, packet.data.len());
                    (
                        h.source_addr().into(),
                        h.destination_addr().into(),
                        None,
                        Some((h.source(), h.destination())),
                    )
                }
                NetSlice::Arp(_) => panic!("not IP"),
            };
            let transport = sliced.transport.unwrap();
            let (from_port, to_port, seq, ack, flags, payload) = match &transport {
                TransportSlice::Tcp(tcp) => {
                    let sum = match (v4, v6) {
                        (Some((s, d)), _) => tcp.calc_checksum_ipv4(s, d).unwrap(),
                        (_, Some((s, d))) => tcp.calc_checksum_ipv6(s, d).unwrap(),
                        _ => unreachable!(),
                    };
                    assert_eq!(tcp.checksum(), sum, "TCP checksum");
                    let mut flags = String::new();
                    for (on, name) in [
                        (tcp.syn(), "S"),
                        (tcp.ack(), "A"),
                        (tcp.psh(), "P"),
                        (tcp.fin(), "F"),
                        (tcp.rst(), "R"),
                    ] {
                        if on {
                            flags.push_str(name);
                        }
                    }
                    (
                        tcp.source_port(),
                        tcp.destination_port(),
                        tcp.sequence_number(),
                        tcp.ack().then(|| tcp.acknowledgment_number()),
                        flags,
                        tcp.payload().to_vec(),
                    )
                }
                TransportSlice::Udp(udp) => {
                    let header = udp.to_header();
                    let sum = match (v4, v6) {
                        (Some((s, d)), _) => {
                            header.calc_checksum_ipv4_raw(s, d, udp.payload()).unwrap()
                        }
                        (_, Some((s, d))) => {
                            header.calc_checksum_ipv6_raw(s, d, udp.payload()).unwrap()
                        }
                        _ => unreachable!(),
                    };
                    assert_eq!(header.checksum, sum, "UDP checksum");
                    (
                        udp.source_port(),
                        udp.destination_port(),
                        0,
                        None,
                        "UDP".to_owned(),
                        udp.payload().to_vec(),
                    )
                }
                _ => panic!("not TCP or UDP"),
            };
            Seen {
                from: SocketAddr::new(from_ip, from_port),
                to: SocketAddr::new(to_ip, to_port),
                seq,
                ack,
                flags,
                payload,
                comment: packet.comment.map(str::to_owned),
                at: packet.at,
            }
        })
        .collect()
}

const PEER: PeerId = PeerId(7);

fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_millis(ms)
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn server(bind: &str) -> Mode {
    Mode::TcpServer {
        bind: addr(bind),
        max_clients: None,
    }
}

fn client() -> Mode {
    Mode::TcpClient {
        host: "127.0.0.1".to_owned(),
        port: 5000,
        local: None,
        timeout: Duration::from_secs(3),
    }
}

/// A synthesizer in a session of `mode` after `events`, and the packets they made.
fn synthesize(mode: &Mode, events: &[Event]) -> (Synthesizer, Packets) {
    let mut synthesizer = Synthesizer::default();
    synthesizer.session(mode);
    let mut packets = Packets::default();
    for event in events {
        synthesizer.event(event, &mut packets).unwrap();
    }
    (synthesizer, packets)
}

/// The packets of `events` in a session of `mode`, read back.
fn run(mode: &Mode, events: &[Event]) -> Vec<Seen> {
    seen(&synthesize(mode, events).1)
}

fn connected(local: &str, remote: &str) -> Event {
    Event::Connected {
        peer: PEER,
        addr: addr(remote),
        local: addr(local),
        at: at(0),
    }
}

fn data(dir: Direction, bytes: &[u8], ms: u64) -> Event {
    Event::Data {
        peer: PEER,
        dir,
        bytes: Bytes::copy_from_slice(bytes),
        at: at(ms),
    }
}

fn closed(reason: CloseReason) -> Event {
    Event::Closed {
        peer: PEER,
        reason,
        at: at(100),
    }
}

const LOCAL: &str = "127.0.0.1:5000";
const REMOTE: &str = "127.0.0.1:40000";

#[test]
fn a_client_of_our_server_opens_with_syn_syn_ack_ack_at_the_connect_time() {
    let packets = run(&server("0.0.0.0:5000"), &[connected(LOCAL, REMOTE)]);
    let (us, them) = (initial_sequence(PEER, true), initial_sequence(PEER, false));
    let summary: Vec<_> = packets
        .iter()
        .map(|p| (p.from, p.to, p.flags.as_str(), p.seq, p.ack, p.at))
        .collect();
    assert_eq!(
        summary,
        [
            (addr(REMOTE), addr(LOCAL), "S", them, None, at(0)),
            (
                addr(LOCAL),
                addr(REMOTE),
                "SA",
                us,
                Some(them.wrapping_add(1)),
                at(0)
            ),
            (
                addr(REMOTE),
                addr(LOCAL),
                "A",
                them.wrapping_add(1),
                Some(us.wrapping_add(1)),
                at(0)
            ),
        ]
    );
    // The SYNs announce the segment size and the window scale.
    let (_, made) = synthesize(&server("0.0.0.0:5000"), &[connected(LOCAL, REMOTE)]);
    let syn = made.iter().next().unwrap();
    let Some(TransportSlice::Tcp(tcp)) = SlicedPacket::from_ip(syn.data).unwrap().transport else {
        panic!("a TCP packet");
    };
    let options: Vec<_> = tcp.options_iterator().map(Result::unwrap).collect();
    assert!(
        options.contains(&etherparse::TcpOptionElement::MaximumSegmentSize(
            MSS as u16
        ))
    );
    assert!(options.contains(&etherparse::TcpOptionElement::WindowScale(14)));
}

#[test]
fn our_client_sends_the_syn() {
    let packets = run(&client(), &[connected("127.0.0.1:40000", "127.0.0.1:5000")]);
    assert_eq!(packets[0].flags, "S");
    assert_eq!(packets[0].from, addr("127.0.0.1:40000"));
    assert_eq!(packets[1].flags, "SA");
    assert_eq!(packets[1].from, addr("127.0.0.1:5000"));
}

/// Checks that every segment of each side starts where that side's last one ended (a SYN or FIN
/// counting one), and that each acknowledgement is the other side's next number; returns each side's
/// payload in order.
fn streams(packets: &[Seen], local: SocketAddr) -> (Vec<u8>, Vec<u8>) {
    let mut next: [Option<u32>; 2] = [None, None];
    let mut payloads = (Vec::new(), Vec::new());
    for p in packets {
        let side = usize::from(p.from == local);
        if let Some(expected) = next[side] {
            assert_eq!(p.seq, expected, "sequence continues: {p:?}");
        }
        if let Some(ack) = p.ack {
            assert_eq!(Some(ack), next[1 - side], "acknowledges all: {p:?}");
        }
        let len = p.payload.len() as u32
            + u32::from(p.flags.contains('S'))
            + u32::from(p.flags.contains('F'));
        next[side] = Some(p.seq.wrapping_add(len));
        let out = if side == 1 {
            &mut payloads.1
        } else {
            &mut payloads.0
        };
        out.extend_from_slice(&p.payload);
    }
    payloads
}

#[test]
fn data_continues_the_sequence_each_way_split_at_the_mss_and_each_read_or_send_is_acknowledged() {
    let big: Vec<u8> = (0..2 * MSS + 10).map(|i| (i % 251) as u8).collect();
    let packets = run(
        &server("127.0.0.1:5000"),
        &[
            connected(LOCAL, REMOTE),
            data(Direction::Rx, b"hello", 1),
            data(Direction::Tx, b"world!", 2),
            data(Direction::Rx, &big, 3),
        ],
    );
    let (received, sent) = streams(&packets, addr(LOCAL));
    assert_eq!(received, [b"hello".as_slice(), &big].concat());
    assert_eq!(sent, b"world!");
    // hello + its ACK, world! + its ACK, three segments + one ACK.
    let flags: Vec<_> = packets[3..].iter().map(|p| p.flags.as_str()).collect();
    assert_eq!(flags, ["AP", "A", "AP", "A", "A", "A", "AP", "A"]);
    let sizes: Vec<_> = packets[7..10].iter().map(|p| p.payload.len()).collect();
    assert_eq!(sizes, [MSS, MSS, 10]);
    assert!(packets[7..].iter().all(|p| p.at == at(3)));
    // The largest segment fills an IPv4 packet: 65,535 bytes.
    let (mut synthesizer, mut made) =
        synthesize(&server("127.0.0.1:5000"), &[connected(LOCAL, REMOTE)]);
    made.clear();
    synthesizer
        .event(&data(Direction::Tx, &big, 3), &mut made)
        .unwrap();
    assert_eq!(made.iter().next().unwrap().data.len(), 65_535);
}

#[test]
fn each_sides_fin_as_it_happened_then_ours_when_it_closes() {
    let packets = run(
        &server("127.0.0.1:5000"),
        &[
            connected(LOCAL, REMOTE),
            data(Direction::Rx, b"last words", 1),
            Event::HalfClosed {
                peer: PEER,
                side: Side::Peer,
                tls: None,
                at: at(2),
            },
            data(Direction::Tx, b"reply after your FIN", 3),
            closed(CloseReason::PeerClosed),
        ],
    );
    let (received, sent) = streams(&packets, addr(LOCAL));
    assert_eq!(received, b"last words");
    assert_eq!(sent, b"reply after your FIN");
    let tail: Vec<_> = packets[5..]
        .iter()
        .map(|p| (p.from == addr(LOCAL), p.flags.as_str(), p.at))
        .collect();
    assert_eq!(
        tail,
        [
            (false, "AF", at(2)),
            (true, "A", at(2)),
            (true, "AP", at(3)),
            (false, "A", at(3)),
            (true, "AF", at(100)),
            (false, "A", at(100)),
        ]
    );
    assert_eq!(
        packets[9].comment.as_deref(),
        Some("Closed: the peer closed the connection (FIN)")
    );
}

#[test]
fn our_half_close_is_our_fin_and_the_peer_can_still_send() {
    let packets = run(
        &client(),
        &[
            connected("127.0.0.1:40000", "127.0.0.1:5000"),
            Event::HalfClosed {
                peer: PEER,
                side: Side::Local,
                tls: None,
                at: at(1),
            },
            data(Direction::Rx, b"more", 2),
            Event::HalfClosed {
                peer: PEER,
                side: Side::Peer,
                tls: None,
                at: at(3),
            },
            closed(CloseReason::PeerClosed),
        ],
    );
    let local = addr("127.0.0.1:40000");
    let (received, sent) = streams(&packets, local);
    assert_eq!(
        (received.as_slice(), sent.as_slice()),
        (b"more".as_slice(), b"".as_slice())
    );
    let fins: Vec<_> = packets
        .iter()
        .filter(|p| p.flags.contains('F'))
        .map(|p| (p.from == local, p.at))
        .collect();
    // Our FIN was already sent: closing adds none.
    assert_eq!(fins, [(true, at(1)), (false, at(3))]);
}

#[test]
fn a_reset_is_an_rst_from_the_peer_and_an_error_of_ours_an_rst_from_us() {
    let error = NetError::invalid(Operation::Send, None, "test");
    for (reason, from_local, flags) in [
        (CloseReason::Reset, Some(false), "AR"),
        (CloseReason::Error(error), Some(true), "AR"),
        (CloseReason::Kicked, Some(true), "AF"),
        (CloseReason::SessionStopped, Some(true), "AF"),
        (CloseReason::TimedOut, None, ""),
    ] {
        let packets = run(
            &server("127.0.0.1:5000"),
            &[connected(LOCAL, REMOTE), closed(reason.clone())],
        );
        let closing = packets.get(3);
        assert_eq!(
            closing.map(|p| (p.from == addr(LOCAL), p.flags.as_str())),
            from_local.map(|local| (local, flags)),
            "{reason:?}"
        );
        if let Some(p) = closing {
            assert!(p.comment.as_deref().unwrap().starts_with("Closed: "));
            streams(&packets, addr(LOCAL));
        }
    }
}

#[test]
fn a_tls_failure_ends_in_order_unless_the_connection_was_reset() {
    let tls = |failure: TlsFailure, reset: bool| {
        let mut error = NetError::tls(Operation::Tls, Some(REMOTE.to_owned()), failure);
        error.reset = reset;
        CloseReason::Error(error)
    };
    let plain = TlsFailure::PlainClient {
        first: b"hello".to_vec(),
    };
    for (reason, flags) in [
        (tls(plain.clone(), false), vec![(true, "AF"), (false, "A")]),
        (tls(plain, true), vec![(true, "AR")]),
        // The peer's FIN ended the handshake: it comes first.
        (
            tls(TlsFailure::ClosedInHandshake, false),
            vec![(false, "AF"), (true, "A"), (true, "AF"), (false, "A")],
        ),
    ] {
        let raw = |dir, bytes: &'static [u8], records| Event::TlsRaw {
            peer: PEER,
            dir,
            bytes: Bytes::from_static(bytes),
            records,
            at: at(5),
        };
        let packets = run(
            &server(LOCAL),
            &[
                connected(LOCAL, REMOTE),
                raw(Direction::Rx, b"hello", false),
                raw(Direction::Tx, b"\x15\x03\x03\x00\x02\x02\x32", true),
                closed(reason.clone()),
            ],
        );
        // The peer's bytes and our alert, each acknowledged, say what they are.
        assert_eq!(packets[3].payload, b"hello");
        assert!(
            packets[3]
                .comment
                .as_deref()
                .unwrap()
                .starts_with("Not TLS")
        );
        assert_eq!(packets[5].payload.len(), 7);
        assert!(
            packets[5]
                .comment
                .as_deref()
                .unwrap()
                .starts_with("Raw TLS records NetAssist sent")
        );
        let (theirs, ours) = streams(&packets, addr(LOCAL));
        assert_eq!((theirs.as_slice(), ours.len()), (&b"hello"[..], 7));
        let closing: Vec<(bool, &str)> = packets[7..]
            .iter()
            .map(|p| (p.from == addr(LOCAL), p.flags.as_str()))
            .collect();
        assert_eq!(closing, flags, "{reason:?}");
    }
}

#[test]
fn a_fin_without_close_notify_says_whether_data_was_cut_off() {
    for (how, says) in [
        (TlsClose::Truncated, "may be cut off"),
        (
            TlsClose::MidRecord { discarded: 21 },
            "middle of a TLS record: what it sent was cut off, and the 21 bytes",
        ),
    ] {
        let packets = run(
            &client(),
            &[
                connected("127.0.0.1:40000", "127.0.0.1:5000"),
                Event::HalfClosed {
                    peer: PEER,
                    side: Side::Peer,
                    tls: Some(how),
                    at: at(9),
                },
            ],
        );
        let fin = &packets[3];
        assert_eq!(fin.flags, "AF");
        assert!(fin.comment.as_deref().unwrap().contains(says), "{fin:?}");
    }
}

#[test]
fn sequence_numbers_wrap_at_two_to_the_32_without_a_gap() {
    // Both sides start just before the wrap; over 4 GiB of sequence space is the same arithmetic.
    let flow = Flow::new(addr(LOCAL), addr(REMOTE));
    let mut connection = Connection {
        flow,
        tcp: Some(Tcp::new(u32::MAX - 100, u32::MAX - 3, true)),
        first: false,
        tls: None,
    };
    let mut packets = Packets::default();
    connection.opened(at(0), &mut packets).unwrap();
    let chunk: Vec<u8> = (0..MSS + 500).map(|i| (i % 13) as u8).collect();
    for ms in 1..4 {
        connection.data(true, &chunk, at(ms), &mut packets).unwrap();
        connection
            .data(false, &chunk[..7], at(ms), &mut packets)
            .unwrap();
    }
    let seen = seen(&packets);
    let (received, sent) = streams(&seen, addr(LOCAL));
    assert_eq!(sent, chunk.repeat(3));
    assert_eq!(received, chunk[..7].repeat(3));
    let ours: Vec<u32> = seen
        .iter()
        .filter(|p| p.from == addr(LOCAL) && !p.payload.is_empty())
        .map(|p| p.seq)
        .collect();
    assert_eq!(ours[0], u32::MAX - 99);
    assert!(ours[1] < 1 << 16, "wrapped: {ours:?}");
    // The peer's numbers wrap on its second byte.
    assert_eq!(seen[1].ack, Some(u32::MAX - 2));
    assert!(
        seen.iter()
            .any(|p| p.from == addr(REMOTE) && p.seq < 100 && !p.payload.is_empty())
    );
}

#[test]
fn ipv6_connections_are_ipv6_packets() {
    let (local, remote) = ("[::1]:5000", "[::1]:40000");
    let packets = run(
        &server("[::]:5000"),
        &[
            connected(local, remote),
            data(Direction::Rx, b"over IPv6", 1),
            closed(CloseReason::Reset),
        ],
    );
    assert!(packets.iter().all(|p| p.from.is_ipv6() && p.to.is_ipv6()));
    let (received, _) = streams(&packets, addr(local));
    assert_eq!(received, b"over IPv6");
    // An IPv4 client of a dual-stack server is IPv4, on both ends.
    let packets = run(
        &server("[::]:5000"),
        &[connected("[::ffff:127.0.0.1]:5000", "127.0.0.1:40000")],
    );
    assert!(packets.iter().all(|p| p.from.is_ipv4() && p.to.is_ipv4()));
    assert_eq!(packets[0].to, addr(LOCAL));
}

#[test]
fn each_udp_datagram_is_one_packet_even_the_largest() {
    let udp = Mode::Udp {
        bind: addr("0.0.0.0:7088"),
        remote: None,
        broadcast: false,
        multicast: Vec::new(),
    };
    let largest = vec![0x5A; 65_507];
    let packets = run(
        &udp,
        &[
            connected("0.0.0.0:7088", "127.0.0.1:40000"),
            data(Direction::Rx, b"ping", 1),
            data(Direction::Tx, &largest, 2),
            closed(CloseReason::Forgotten),
        ],
    );
    assert_eq!(packets.len(), 2);
    assert_eq!(packets[0].flags, "UDP");
    assert_eq!(packets[0].payload, b"ping");
    assert_eq!(packets[0].to, addr("0.0.0.0:7088"));
    // The wildcard stands for an address that is not known, and the first packet says so.
    assert!(packets[0].comment.as_deref().unwrap().contains("not known"));
    assert_eq!(packets[1].payload, largest);
    assert_eq!(packets[1].from, addr("0.0.0.0:7088"));
    assert_eq!(packets[1].comment, None);
}

#[test]
fn the_part_of_a_send_cut_short_went_out_at_its_own_time() {
    let packets = run(
        &server("127.0.0.1:5000"),
        &[
            connected(LOCAL, REMOTE),
            Event::Unsent {
                peer: PEER,
                written: Bytes::from_static(b"half"),
                written_at: at(5),
                bytes: 4,
                sends: 1,
                at: at(9),
            },
            closed(CloseReason::Reset),
        ],
    );
    let (_, sent) = streams(&packets, addr(LOCAL));
    assert_eq!(sent, b"half");
    assert_eq!(packets[3].at, at(5));
}

#[test]
fn events_of_peers_not_seen_connecting_make_nothing() {
    // Before any session, and for a peer whose connection came before the recording.
    let mut synthesizer = Synthesizer::default();
    let mut packets = Packets::default();
    synthesizer
        .event(&connected(LOCAL, REMOTE), &mut packets)
        .unwrap();
    synthesizer.session(&server("127.0.0.1:5000"));
    synthesizer
        .event(&data(Direction::Rx, b"x", 1), &mut packets)
        .unwrap();
    assert!(packets.is_empty());
}

/// A relay's failed connect on to the target `to` from `local`: the events from its start at 0 ms to
/// its failure with `error` at 40 ms.
fn failed_connect(to: &str, local: Option<&str>, error: NetError) -> Vec<Event> {
    let (device, server) = (PeerId(1), PeerId(2));
    vec![
        Event::Connecting {
            device,
            server,
            target: crate::engine::HostPort {
                host: "target.example".to_owned(),
                port: addr(to).port(),
            },
            addr: addr(to),
            at: at(0),
        },
        Event::ConnectFailed {
            device,
            server,
            addr: addr(to),
            local: local.map(addr),
            error,
            at: at(40),
        },
    ]
}

fn relay() -> Mode {
    Mode::Relay {
        bind: addr("127.0.0.1:9000"),
        target: crate::engine::HostPort {
            host: "target.example".to_owned(),
            port: 5000,
        },
        max_clients: None,
        timeout: Duration::from_secs(3),
    }
}

#[test]
fn a_refused_relay_connect_is_our_syn_then_the_targets_rst_ack() {
    let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    let error = NetError::io(Operation::Connect, Some("[::1]:5000".to_owned()), &refused);
    let packets = run(
        &relay(),
        &failed_connect("[::1]:5000", Some("[::1]:40000"), error),
    );
    let isn = initial_sequence(PeerId(2), true);
    let shown: Vec<_> = packets
        .iter()
        .map(|p| (p.from, p.to, p.seq, p.ack, p.flags.as_str(), p.at))
        .collect();
    let (local, target) = (addr("[::1]:40000"), addr("[::1]:5000"));
    assert_eq!(
        shown,
        [
            (local, target, isn, None, "S", at(0)),
            (target, local, 0, Some(isn.wrapping_add(1)), "AR", at(40)),
        ]
    );
    assert_eq!(packets[0].comment, None);
    let comment = packets[1].comment.as_deref().unwrap();
    assert!(
        comment.starts_with("Could not connect on to the target at [::1]:5000: refused"),
        "{comment}"
    );
}

#[test]
fn a_timed_out_relay_connect_is_our_syn_alone_saying_what_is_not_drawn() {
    let error = NetError::connect_timeout("127.0.0.1:5000".to_owned(), Duration::from_secs(3));
    let packets = run(
        &relay(),
        &failed_connect("127.0.0.1:5000", Some("127.0.0.1:40000"), error),
    );
    assert_eq!(packets.len(), 1, "{packets:?}");
    let syn = &packets[0];
    assert_eq!(
        (syn.from, syn.to, syn.flags.as_str(), syn.at),
        (addr("127.0.0.1:40000"), addr("127.0.0.1:5000"), "S", at(0))
    );
    let comment = syn.comment.as_deref().unwrap();
    assert_eq!(
        comment,
        "Could not connect on to the target at 127.0.0.1:5000: timed out (no answer within 3000 \
         ms). Only this first SYN is drawn: the SYNs the kernel sent again while no answer came \
         are not."
    );
}

#[test]
fn a_relay_connect_that_failed_otherwise_or_before_it_began_draws_nothing() {
    let no_route = std::io::Error::from(std::io::ErrorKind::HostUnreachable);
    let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    for (local, io) in [(Some("127.0.0.1:40000"), no_route), (None, refused)] {
        let error = NetError::io(Operation::Connect, Some("127.0.0.1:5000".to_owned()), &io);
        let packets = run(&relay(), &failed_connect("127.0.0.1:5000", local, error));
        assert!(packets.is_empty(), "{local:?} {io}: {packets:?}");
    }
}
