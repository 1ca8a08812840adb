use std::borrow::Cow;

use etherparse::PacketBuilder;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;

use super::*;

const BOARD: &str = "192.168.1.50:40000";
const PC: &str = "192.168.1.2:10000";

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// A TCP segment's flags.
#[allow(clippy::struct_excessive_bools)] // TCP's own flags
#[derive(Clone, Copy, Default)]
struct Flags {
    syn: bool,
    ack: bool,
    fin: bool,
    rst: bool,
}

const SYN: Flags = Flags {
    syn: true,
    ack: false,
    fin: false,
    rst: false,
};
const ACK: Flags = Flags {
    syn: false,
    ack: true,
    fin: false,
    rst: false,
};

fn tcp(link: DataLink, from: &str, to: &str, seq: u32, flags: Flags, payload: &[u8]) -> Vec<u8> {
    let (from, to) = (addr(from), addr(to));
    let (IpAddr::V4(s), IpAddr::V4(d)) = (from.ip(), to.ip()) else {
        unreachable!("IPv4 in these tests")
    };
    let step = match link {
        DataLink::ETHERNET => {
            PacketBuilder::ethernet2([0; 6], [0; 6]).ipv4(s.octets(), d.octets(), 64)
        }
        _ => PacketBuilder::ipv4(s.octets(), d.octets(), 64),
    };
    let mut step = step.tcp(from.port(), to.port(), seq, 1000);
    if flags.syn {
        step = step.syn();
    }
    if flags.ack {
        step = step.ack(1);
    }
    if flags.fin {
        step = step.fin();
    }
    if flags.rst {
        step = step.rst();
    }
    let mut out = Vec::new();
    step.write(&mut out, payload).unwrap();
    out
}

/// A pcapng file of `packets` (microseconds since the epoch, bytes) on one interface of `link`, with
/// microsecond times (no `if_tsresol`).
fn file(link: DataLink, packets: &[(u64, Vec<u8>)]) -> tempfile::NamedTempFile {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut writer = PcapNgWriter::new(out.reopen().unwrap()).unwrap();
    writer
        .write_pcapng_block(InterfaceDescriptionBlock {
            linktype: link,
            snaplen: 0,
            options: vec![],
        })
        .unwrap();
    for (micros, data) in packets {
        writer
            .write_pcapng_block(EnhancedPacketBlock {
                interface_id: 0,
                // Written as the raw count, which is microseconds here.
                timestamp: Duration::from_nanos(*micros),
                original_len: data.len() as u32,
                data: Cow::Borrowed(data),
                options: vec![],
            })
            .unwrap();
    }
    out
}

fn at(micros: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_micros(micros)
}

/// What each end sent, joined, as (end, text) in order.
fn said(conversation: &Conversation) -> Vec<(usize, String)> {
    conversation
        .chunks
        .iter()
        .map(|c| (c.from, String::from_utf8_lossy(&c.bytes).into_owned()))
        .collect()
}

#[test]
fn a_connection_is_reassembled_once_whatever_was_retransmitted_or_came_out_of_order() {
    let link = DataLink::ETHERNET;
    let packets = vec![
        (1, tcp(link, BOARD, PC, 99, SYN, b"")),
        (
            2,
            tcp(link, PC, BOARD, 499, Flags { syn: true, ..ACK }, b""),
        ),
        (3, tcp(link, BOARD, PC, 100, ACK, b"")),
        (10, tcp(link, BOARD, PC, 100, ACK, b"Hello")),
        // Retransmitted, and overlapping with new bytes.
        (11, tcp(link, BOARD, PC, 100, ACK, b"Hello")),
        (12, tcp(link, BOARD, PC, 103, ACK, b"lo 01")),
        (20, tcp(link, PC, BOARD, 500, ACK, b"ping")),
        // Out of order: " world" before "Studio!".
        (30, tcp(link, BOARD, PC, 115, ACK, b" world")),
        (31, tcp(link, BOARD, PC, 108, ACK, b"Studio!")),
        (
            40,
            tcp(link, BOARD, PC, 121, Flags { fin: true, ..ACK }, b""),
        ),
        (
            41,
            tcp(link, PC, BOARD, 504, Flags { rst: true, ..ACK }, b""),
        ),
    ];
    let recording = read(file(link, &packets).path()).unwrap();
    assert_eq!(recording.conversations.len(), 1);
    let c = &recording.conversations[0];
    assert_eq!(c.transport, Transport::Tcp);
    assert_eq!(c.ends, [addr(BOARD), addr(PC)]);
    assert!(c.opened);
    assert_eq!(c.started, at(1));
    assert_eq!(
        said(c),
        [
            (0, "Hello".to_owned()),
            (0, " 01".to_owned()),
            (1, "ping".to_owned()),
            (0, "Studio!".to_owned()),
            (0, " world".to_owned()),
        ]
    );
    // The bytes that waited for the gap are delivered when it filled.
    assert_eq!(c.chunks[4].at, at(31));
    assert_eq!(
        c.closes,
        [Some((Close::Fin, at(40))), Some((Close::Reset, at(41)))]
    );
    assert_eq!(c.missing, 0);
}

#[test]
fn a_gap_that_never_fills_is_missing_and_a_new_syn_is_a_new_connection() {
    let link = DataLink::RAW;
    let packets = vec![
        (1, tcp(link, BOARD, PC, 0, SYN, b"")),
        (2, tcp(link, BOARD, PC, 0, SYN, b"")),
        (3, tcp(link, BOARD, PC, 1, ACK, b"ab")),
        (4, tcp(link, BOARD, PC, 10, ACK, b"zz")),
        (5, tcp(link, BOARD, PC, 1000, SYN, b"")),
        (6, tcp(link, BOARD, PC, 1001, ACK, b"again")),
    ];
    let recording = read(file(link, &packets).path()).unwrap();
    let c = &recording.conversations;
    assert_eq!(c.len(), 2, "a retransmitted SYN is the same connection");
    assert_eq!(said(&c[0]), [(0, "ab".to_owned())]);
    assert_eq!(c[0].missing, 7);
    assert_eq!(said(&c[1]), [(0, "again".to_owned())]);
    assert_eq!(c[1].started, at(5));
}

#[test]
fn udp_datagrams_are_kept_whole_and_in_order() {
    let udp = |from: &str, to: &str, payload: &[u8]| {
        let (IpAddr::V4(s), IpAddr::V4(d)) = (addr(from).ip(), addr(to).ip()) else {
            unreachable!()
        };
        let mut out = Vec::new();
        PacketBuilder::ipv4(s.octets(), d.octets(), 64)
            .udp(addr(from).port(), addr(to).port())
            .write(&mut out, payload)
            .unwrap();
        out
    };
    let packets = vec![
        (5, udp(PC, BOARD, b"AA 55")),
        (6, udp(BOARD, PC, b"ok")),
        (7, udp(PC, BOARD, b"")),
    ];
    let recording = read(file(DataLink::IPV4, &packets).path()).unwrap();
    let c = &recording.conversations[0];
    assert_eq!(c.transport, Transport::Udp);
    assert_eq!(c.ends, [addr(PC), addr(BOARD)]);
    assert_eq!(
        said(c),
        [
            (0, "AA 55".to_owned()),
            (1, "ok".to_owned()),
            (0, String::new())
        ]
    );
}

#[test]
fn files_that_are_not_pcapng_are_named_and_a_cut_file_keeps_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("capture.log");
    std::fs::write(&text, "12:00:01.234 RX 127.0.0.1:5000 5B hello\n").unwrap();
    let error = read(&text).unwrap_err();
    assert!(matches!(error, ReadError::NotPcapng { pcap: false, .. }));
    assert!(
        error.to_string().contains("is not a pcapng file"),
        "{error}"
    );
    assert!(error.zh().contains("不是 pcapng 文件"), "{}", error.zh());
    let pcap = dir.path().join("old.pcap");
    std::fs::write(&pcap, 0xA1B2_C3D4u32.to_le_bytes()).unwrap();
    let error = read(&pcap).unwrap_err();
    assert!(error.to_string().contains("save it as pcapng"), "{error}");
    assert!(read(&dir.path().join("missing.pcapng")).is_err());

    let link = DataLink::RAW;
    let whole = file(
        link,
        &[
            (1, tcp(link, BOARD, PC, 1, ACK, b"kept")),
            (2, tcp(link, BOARD, PC, 5, ACK, b"cut")),
        ],
    );
    let bytes = std::fs::read(whole.path()).unwrap();
    let cut = dir.path().join("cut.pcapng");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let recording = read(&cut).unwrap();
    assert!(recording.truncated);
    assert_eq!(said(&recording.conversations[0]), [(0, "kept".to_owned())]);
}

#[test]
fn time_resolutions_are_read_as_the_interface_says() {
    assert_eq!(units_per_second(None), 1_000_000);
    assert_eq!(units_per_second(Some(9)), 1_000_000_000);
    assert_eq!(units_per_second(Some(0x80 | 0x0A)), 1024);
}
