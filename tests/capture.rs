//! Traffic on disk: a capture of a loopback session matches the bytes on the wire, a capture that cannot
//! write says so while the session goes on, exports parse back to the log's rows, and a relay's server
//! side that never connected is named by the address it was connecting to.
// Helpers here are test code too; a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use common::{client, read_n, server_config, tcp_server, wait_for};
use netassist::capture::{self, CSV_HEADER, CaptureOptions, export_csv, export_text, raw_path};
use netassist::codec::{ControlStyle, FramerConfig, Framing, LengthPrefix, TextEncoding, hex};
use netassist::engine::{CloseReason, Direction, Event, NetError, Operation, PeerId, Session};
use netassist::format::Display;
use netassist::i18n::{Lang, Text};
use netassist::preset::DataView;
use netassist::recording::Recording;
use netassist::traffic::{LogConfig, RowKind, TrafficLog};

fn options(view: DataView, raw_per_peer: bool) -> CaptureOptions {
    CaptureOptions {
        display: Display {
            view,
            encoding: TextEncoding::Utf8,
            control: ControlStyle::Escapes,
        },
        raw_per_peer,
    }
}

/// Bytes no text encoding would pass through unchanged.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// Sends `bytes` from a client to the echoing server and reads the echo back, while the session's events
/// go to `capture`; returns the peer's id and address once it has closed.
fn echo_through(
    session: &Session,
    addr: SocketAddr,
    capture: &Recording,
    bytes: &[u8],
) -> (PeerId, SocketAddr) {
    let mut device = client(addr);
    let mut writer = device.try_clone().unwrap();
    let sent = bytes.to_vec();
    let sender = std::thread::spawn(move || {
        for chunk in sent.chunks(1000) {
            writer.write_all(chunk).unwrap();
        }
    });
    assert_eq!(read_n(&mut device, bytes.len()), bytes);
    sender.join().unwrap();
    drop(device);
    let (mut rx, mut tx) = (0, 0);
    let mut who = None;
    wait_for(session, "the echo and the close", |event| {
        assert!(capture.record(event), "the capture is still writing");
        match event {
            Event::Connected { peer, addr, .. } => who = Some((*peer, *addr)),
            Event::Data {
                dir: Direction::Rx,
                bytes,
                ..
            } => rx += bytes.len(),
            Event::Data { bytes, .. } => tx += bytes.len(),
            Event::Closed { .. } => return Some(()),
            _ => {}
        }
        None
    });
    assert_eq!((rx, tx), (bytes.len(), bytes.len()));
    who.expect("the client connected")
}

#[test]
fn raw_capture_matches_the_wire_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.log");
    let (running, addr) = tcp_server(server_config("127.0.0.1:0").with_echo(true));
    let capture = capture::start(&path, options(DataView::Text, true)).unwrap();
    let bytes = payload(300_000);
    let (peer, peer_addr) = echo_through(&running.session, addr, &capture, &bytes);
    capture.stop().unwrap();

    let rx = std::fs::read(raw_path(
        &path,
        Some(&peer_addr.into()),
        peer,
        Direction::Rx,
    ))
    .unwrap();
    let tx = std::fs::read(raw_path(
        &path,
        Some(&peer_addr.into()),
        peer,
        Direction::Tx,
    ))
    .unwrap();
    assert!(
        rx == bytes,
        "received bytes differ from what the client sent"
    );
    assert!(
        tx == bytes,
        "sent bytes differ from the echo the client read"
    );
    let lines = std::fs::read_to_string(&path).unwrap();
    assert!(lines.contains(&format!("{peer_addr} Connected")), "{lines}");
    assert!(
        lines.contains(&format!("{peer_addr} Closed: the peer closed")),
        "{lines}"
    );
}

#[test]
fn line_capture_in_hex_reads_back_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hex.log");
    let (running, addr) = tcp_server(server_config("127.0.0.1:0").with_echo(true));
    let capture = capture::start(&path, options(DataView::Hex, false)).unwrap();
    let bytes = payload(20_000);
    let (_, peer_addr) = echo_through(&running.session, addr, &capture, &bytes);
    capture.stop().unwrap();

    let lines = std::fs::read_to_string(&path).unwrap();
    let mut received = Vec::new();
    for line in lines.lines() {
        // `2026-11-23 12:00:01.234 RX 127.0.0.1:59842 15B 68 65 ...`
        let fields: Vec<&str> = line.splitn(6, ' ').collect();
        if fields[2] == "RX" {
            assert_eq!(fields[3], peer_addr.to_string());
            let data = hex::parse(fields[5]).unwrap();
            assert_eq!(format!("{}B", data.len()), fields[4]);
            received.extend(data);
        }
    }
    assert!(
        received == bytes,
        "the RX lines do not add up to what was sent"
    );
}

#[test]
fn a_capture_that_cannot_write_says_so_and_the_session_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no such folder").join("cap.log");
    let error = capture::start(&missing, options(DataView::Text, false))
        .err()
        .expect("a capture into a missing folder fails at once");
    assert!(error.to_string().contains("no such folder"), "{error}");
    assert!(error.to_string().contains("The session goes on"), "{error}");
    assert!(error.zh().contains("会话仍在继续"), "{}", error.zh());

    // The session is untouched by the failed capture.
    let (running, addr) = tcp_server(server_config("127.0.0.1:0").with_echo(true));
    let mut device = client(addr);
    device.write_all(b"still here").unwrap();
    assert_eq!(read_n(&mut device, 10), b"still here");
    drop(running);
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_stops_the_capture_with_the_reason() {
    use common::WAIT;
    use std::path::Path;
    // Every write to /dev/full fails as a full disk does.
    let capture = capture::start(Path::new("/dev/full"), options(DataView::Text, false)).unwrap();
    let event = Event::Data {
        peer: PeerId(1),
        dir: Direction::Rx,
        bytes: Bytes::from_static(b"hello"),
        at: SystemTime::now(),
    };
    let deadline = Instant::now() + WAIT;
    // The first write fails; the writer then ends and refuses more.
    while capture.record(&event) && Instant::now() < deadline {
        if capture.has_failed() {
            break;
        }
    }
    let error = capture.stop().unwrap_err();
    assert_eq!(
        error.error.kind(),
        std::io::ErrorKind::StorageFull,
        "{error}"
    );
    assert!(error.to_string().contains("/dev/full"), "{error}");
}

/// A log with every kind of row: notes, text with a comma, quotes and CRLF, GBK, and binary.
fn sample_log() -> TrafficLog {
    let mut log = TrafficLog::new(LogConfig::default());
    let at = SystemTime::now();
    let now = Instant::now();
    let peer = PeerId(3);
    let addr: SocketAddr = "127.0.0.1:50123".parse().unwrap();
    let data = |dir, bytes: &[u8]| Event::Data {
        peer,
        dir,
        bytes: Bytes::copy_from_slice(bytes),
        at,
    };
    for event in [
        Event::Listening {
            addr: "127.0.0.1:10000".parse().unwrap(),
            at,
        },
        Event::Connected {
            peer,
            addr,
            local: "127.0.0.1:10000".parse().unwrap(),
            at,
        },
        data(Direction::Rx, b"Hello, \"01Studio\"!\r\n"),
        data(Direction::Tx, &[0xC4, 0xE3, 0xBA, 0xC3]),
        data(Direction::Rx, &[0, 1, 0xFF, b',', b'\n']),
        Event::Closed {
            peer,
            reason: CloseReason::PeerClosed,
            at,
        },
    ] {
        log.apply(&event, now);
    }
    log
}

#[test]
fn csv_export_parses_back_to_the_rows() {
    let log = sample_log();
    let mut out = Vec::new();
    export_csv(&log, 0..log.len(), TextEncoding::Gbk, &mut out).unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    assert_eq!(reader.headers().unwrap(), CSV_HEADER.as_slice());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), log.len());
    for (i, record) in records.iter().enumerate() {
        let row = log.row(i).unwrap();
        let time = chrono::DateTime::parse_from_rfc3339(&record[0]).unwrap();
        let millis = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_millis()
        };
        assert_eq!(
            u128::try_from(time.timestamp_millis()).unwrap(),
            millis(row.at)
        );
        match &row.kind {
            RowKind::Data { dir, bytes, .. } => {
                assert_eq!(&record[1], if *dir == Direction::Rx { "RX" } else { "TX" });
                assert_eq!(&record[2], "127.0.0.1:50123");
                assert_eq!(record[3].parse::<usize>().unwrap(), bytes.len());
                assert_eq!(hex::parse(&record[4]).unwrap(), bytes.as_ref());
            }
            RowKind::Note(note) => {
                assert_eq!(&record[1], "");
                assert_eq!(&record[5], note.text(Lang::En));
            }
        }
    }
    assert_eq!(&records[2][5], r#"Hello, "01Studio"!\r\n"#);
    assert_eq!(&records[3][5], "你好");
}

#[test]
fn text_export_writes_a_line_per_row_as_shown() {
    let log = sample_log();
    let mut out = Vec::new();
    let display = Display {
        view: DataView::Both,
        encoding: TextEncoding::Gbk,
        control: ControlStyle::Escapes,
    };
    export_text(&log, [2, 3], &display, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].ends_with(r#"RX 127.0.0.1:50123 20B Hello, "01Studio"!\r\n  │  48 65 6C 6C 6F 2C 20 22 30 31 53 74 75 64 69 6F 22 21 0D 0A"#), "{}", lines[0]);
    assert!(
        lines[1].ends_with("TX 127.0.0.1:50123 4B 你好  │  C4 E3 BA C3"),
        "{}",
        lines[1]
    );
}

/// A log of one peer framed by `framer`, fed `reads` and then the peer's close.
fn framed_log(framer: FramerConfig, reads: &[&[u8]]) -> TrafficLog {
    let mut log = TrafficLog::new(LogConfig {
        framer,
        ..LogConfig::default()
    });
    let at = SystemTime::now();
    let now = Instant::now();
    let peer = PeerId(5);
    log.apply(
        &Event::Connected {
            peer,
            addr: "127.0.0.1:50124".parse().unwrap(),
            local: "127.0.0.1:10000".parse().unwrap(),
            at,
        },
        now,
    );
    for read in reads {
        let event = Event::Data {
            peer,
            dir: Direction::Rx,
            bytes: Bytes::copy_from_slice(read),
            at,
        };
        log.apply(&event, now);
    }
    log.apply(
        &Event::Closed {
            peer,
            reason: CloseReason::PeerClosed,
            at,
        },
        now,
    );
    log
}

/// Each CSV record of the whole log as (length, hex, kind).
fn csv_kinds(log: &TrafficLog) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    export_csv(log, 0..log.len(), TextEncoding::Utf8, &mut out).unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    assert_eq!(reader.headers().unwrap(), CSV_HEADER.as_slice());
    // The columns older readers know keep their places; `kind` comes after them.
    assert_eq!(
        CSV_HEADER,
        ["time", "dir", "peer", "length", "hex", "text", "kind"]
    );
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            (
                record[3].to_owned(),
                record[4].to_owned(),
                record[6].to_owned(),
            )
        })
        .collect()
}

#[test]
fn csv_export_says_what_kind_each_row_is() {
    // Messages end at `#` and may be at most 4 bytes with it: "abcdefg#" comes in two pieces, and the
    // close cuts "xy" short.
    let delimited = framed_log(
        FramerConfig {
            framing: Framing::Delimiter {
                delimiter: b"#".to_vec(),
                keep: false,
            },
            max_message: 4,
        },
        &[b"ok#abc", b"defg#xy"],
    );
    let kind = |length: &str, hex: &str, kind: &str| (length.into(), hex.into(), kind.into());
    assert_eq!(
        csv_kinds(&delimited),
        [
            kind("", "", ""),
            kind("2", "6F 6B", "message"),
            kind("4", "61 62 63 64", "piece"),
            kind("3", "65 66 67", "piece"),
            kind("2", "78 79", "partial"),
            kind("", "", ""),
        ]
    );

    // A header announcing 2 GiB is skipped, its bytes shown; the message after it is whole.
    let prefixed = framed_log(
        Framing::LengthPrefix {
            prefix: LengthPrefix::I32Le,
            counts_header: false,
        }
        .into(),
        &[&[0xFF, 0xFF, 0xFF, 0x7F, 2, 0, 0, 0, b'o', b'k']],
    );
    assert_eq!(
        csv_kinds(&prefixed)[1..3],
        [
            kind("4", "FF FF FF 7F", "skipped"),
            kind("2", "6F 6B", "message")
        ]
    );
}

#[test]
fn a_send_cut_short_is_a_partial_line_in_the_capture() {
    let dir = tempfile::tempdir().unwrap();
    let peer = PeerId(7);
    let addr: SocketAddr = "127.0.0.1:50125".parse().unwrap();
    let at = SystemTime::now();
    let events = [
        Event::Connected {
            peer,
            addr,
            local: "127.0.0.1:10000".parse().unwrap(),
            at,
        },
        Event::Data {
            peer,
            dir: Direction::Tx,
            bytes: Bytes::from_static(b"first"),
            at,
        },
        // "abc" of a 10-byte send went out, the other 7 and one more send of 4 did not.
        Event::Unsent {
            peer,
            written: Bytes::from_static(b"abc"),
            written_at: at,
            bytes: 11,
            sends: 2,
            at,
        },
        Event::Closed {
            peer,
            reason: CloseReason::Reset,
            at,
        },
    ];
    for raw_per_peer in [false, true] {
        let path = dir.path().join(format!("cut-{raw_per_peer}.log"));
        let capture = capture::start(&path, options(DataView::Text, raw_per_peer)).unwrap();
        for event in &events {
            assert!(capture.record(event));
        }
        capture.stop().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        // Drop the date and time.
        let lines: Vec<&str> = text
            .lines()
            .map(|l| l.splitn(3, ' ').nth(2).unwrap())
            .collect();
        let data = |line: &str| {
            if raw_per_peer {
                line.rsplit_once(' ').unwrap().0.to_owned()
            } else {
                line.to_owned()
            }
        };
        assert_eq!(
            lines[1..4],
            [
                data(&format!("TX {addr} 5B first")),
                data(&format!("TX {addr} 3B [partial] abc")),
                format!(
                    "{addr} Not sent: 11 bytes of 2 send(s) were still queued when the connection ended"
                ),
            ],
            "{text}"
        );
        if raw_per_peer {
            // The raw file holds what went out, the cut-short part included.
            let tx =
                std::fs::read(raw_path(&path, Some(&addr.into()), peer, Direction::Tx)).unwrap();
            assert_eq!(tx, b"firstabc");
        }
    }
}

#[test]
fn what_a_device_sent_to_a_target_never_reached_is_named_by_the_address_tried_and_its_device() {
    let dir = tempfile::tempdir().unwrap();
    let (device, server) = (PeerId(1), PeerId(2));
    let device_addr: SocketAddr = "127.0.0.1:50125".parse().unwrap();
    let target: SocketAddr = "127.0.0.1:8883".parse().unwrap();
    let at = SystemTime::now();
    let timed_out = std::io::Error::from(std::io::ErrorKind::TimedOut);
    let error = NetError::io(Operation::Connect, Some(target.to_string()), &timed_out);
    let events = [
        Event::Connected {
            peer: device,
            addr: device_addr,
            local: "127.0.0.1:9000".parse().unwrap(),
            at,
        },
        Event::Connecting {
            device,
            server,
            target: target.into(),
            addr: target,
            at,
        },
        Event::Unsent {
            peer: server,
            written: Bytes::new(),
            written_at: at,
            bytes: 5,
            sends: 1,
            at,
        },
        Event::Closed {
            peer: device,
            reason: CloseReason::Unreachable(error),
            at,
        },
    ];
    let path = dir.path().join("unreached.log");
    let capture = capture::start(&path, options(DataView::Text, false)).unwrap();
    for event in &events {
        assert!(capture.record(event));
    }
    capture.stop().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(&format!(
            "{device_addr}⇄{target} Connecting on to the target {target}; what the device sends"
        )),
        "{text}"
    );
    // From the connect on, both sides are named by the pair they are to form.
    assert!(
        text.contains(&format!(
            "{target}⇄{device_addr} Not sent: 5 bytes of 1 send(s)"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{device_addr}⇄{target} Closed: the relay could not reach its target"
        )),
        "{text}"
    );
}
