//! Capture benchmark: how fast a capture takes events, beside a baseline measured in the same run (these
//! machines are noisy and disks differ, so only the ratio compares). Run with `cargo bench --bench capture`.
//!
//! The baseline writes the same bytes straight to a buffered file, which is the most any capture can do.
//! Each capture mode then takes the same bytes as data events, from handing them over to the file being
//! flushed and closed: raw bytes per peer, lines in hex, and lines as text; and the pcapng recording
//! (a TCP stream: segments, ACKs, checksums). Events of 64 KiB stand for a fast bulk sender (the engine
//! reads up to that at once), events of 64 bytes for a chatty device.
// A bench that cannot write its files has nothing to measure: failing loudly is right.
#![allow(clippy::unwrap_used)]

mod common;

use common::best_of;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use netassist::capture::{self, CaptureOptions};
use netassist::codec::{ControlStyle, TextEncoding};
use netassist::engine::{Direction, Event, Mode, PeerId};
use netassist::format::Display;
use netassist::pcap::PcapOptions;
use netassist::preset::DataView;

// The same allocator as the app, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Bytes each measurement moves.
const TOTAL: usize = 32 << 20;

/// Printable text with a line break now and then, as a device sends.
fn payload() -> Bytes {
    let line = b"seq 00000042 sensor=00042 temperature=23.5 humidity=41 status=OK\r\n";
    line.iter()
        .copied()
        .cycle()
        .take(TOTAL)
        .collect::<Vec<u8>>()
        .into()
}

fn events(bytes: &Bytes, size: usize) -> Vec<Event> {
    let at = SystemTime::now();
    (0..bytes.len())
        .step_by(size)
        .map(|start| Event::Data {
            peer: PeerId(1),
            dir: Direction::Rx,
            bytes: bytes.slice(start..(start + size).min(bytes.len())),
            at,
        })
        .collect()
}

fn baseline(dir: &Path, events: &[Event]) -> usize {
    let mut out =
        BufWriter::with_capacity(1 << 18, File::create(dir.join("baseline.bin")).unwrap());
    let mut written = 0;
    for event in events {
        if let Event::Data { bytes, .. } = event {
            out.write_all(bytes).unwrap();
            written += bytes.len();
        }
    }
    out.flush().unwrap();
    written
}

fn capture(dir: &Path, events: &[Event], view: DataView, raw_per_peer: bool) -> usize {
    let options = CaptureOptions {
        display: Display {
            view,
            encoding: TextEncoding::Utf8,
            control: ControlStyle::Escapes,
        },
        raw_per_peer,
    };
    let capture = capture::start(&dir.join("capture.log"), options).unwrap();
    for event in events {
        assert!(capture.record(event));
    }
    capture.stop().unwrap();
    events.len()
}

fn pcapng(dir: &Path, events: &[Event]) -> usize {
    let recording =
        netassist::pcap::start(&dir.join("capture.pcapng"), PcapOptions::default()).unwrap();
    let mode = Mode::TcpServer {
        bind: "127.0.0.1:5000".parse().unwrap(),
        max_clients: None,
    };
    assert!(recording.session(&mode, SystemTime::now()));
    assert!(recording.record(&Event::Connected {
        peer: PeerId(1),
        addr: "127.0.0.1:40000".parse().unwrap(),
        local: "127.0.0.1:5000".parse().unwrap(),
        at: SystemTime::now(),
    }));
    for event in events {
        assert!(recording.record(event));
    }
    recording.stop().unwrap();
    events.len()
}

fn rate(time: Duration) -> f64 {
    TOTAL as f64 / time.as_secs_f64() / 1e6
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = payload();
    println!(
        "capture: {} MiB per run, best of {} runs",
        TOTAL >> 20,
        common::RUNS
    );
    println!(
        "{:<22} {:>12} {:>12} {:>8}",
        "case", "baseline MB/s", "written MB/s", "ratio"
    );
    for size in [64 * 1024, 64] {
        let events = events(&bytes, size);
        let (base, _) = best_of(|| baseline(dir.path(), &events));
        for (name, case) in [
            ("raw per peer", Some((DataView::Text, true))),
            ("lines, hex", Some((DataView::Hex, false))),
            ("lines, text", Some((DataView::Text, false))),
            ("pcapng", None),
        ] {
            let (time, _) = best_of(|| match case {
                Some((view, raw)) => capture(dir.path(), &events, view, raw),
                None => pcapng(dir.path(), &events),
            });
            println!(
                "{:<22} {:>12.0} {:>12.0} {:>8.2}",
                format!("{name}, {size} B"),
                rate(base),
                rate(time),
                base.as_secs_f64() / time.as_secs_f64()
            );
        }
    }
}
