//! Traffic log benchmark: each figure beside a baseline measured in the same run, because only ratios
//! compare across machines. Run with `cargo bench --bench traffic`.
//!
//! 1. applying 1,000,000 data events of 64 bytes (one `#`-ended line each) to a log with delimiter
//!    framing and the default 64 MiB budget, vs framing the same bytes with a bare `Framer`;
//! 2. a `FilteredView` of 1,000,000 rows under a text filter, built from scratch, vs the obvious loop
//!    (decode each row, lower-case it, `contains`);
//! 3. the same view brought up to date after 1,000 more rows, vs building it from scratch.
//!
//! Every figure is the best of a few runs, to keep a busy machine's noise out.

mod common;

use common::{RUNS, best_of};

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use netassist::codec::{ControlStyle, Framer, FramerConfig, Framing, TextEncoding};
use netassist::engine::{Direction, Event, PeerId};
use netassist::traffic::{Filter, FilteredView, LogConfig, RowKind, TrafficLog};

// The same allocator as the app, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Data events applied, and rows filtered.
const EVENTS: usize = 1_000_000;
/// Bytes per data event, the delimiter included.
const LINE: usize = 64;
/// Rows appended before an incremental refresh.
const APPENDED: usize = 1_000;
/// What the filter looks for: one reading in 99,991, so about ten rows.
const NEEDLE: &str = "SENSOR=00042";

const PEER: PeerId = PeerId(1);

/// `count` lines of [`LINE`] bytes, each ending with `#`, as one buffer the events are views of (as the
/// engine hands over its reads).
fn lines(first: usize, count: usize) -> Bytes {
    let mut stream = Vec::with_capacity(count * LINE);
    for index in first..first + count {
        let mut line =
            format!("seq {index:08} sensor={:05} status=OK", index % 99_991).into_bytes();
        line.resize(LINE - 1, b'.');
        line.push(b'#');
        stream.extend(line);
    }
    Bytes::from(stream)
}

/// One data event per line of `stream`, a microsecond apart.
fn data_events(stream: &Bytes) -> Vec<Event> {
    let start = SystemTime::now();
    (0..stream.len() / LINE)
        .map(|index| Event::Data {
            peer: PEER,
            dir: Direction::Rx,
            bytes: stream.slice(index * LINE..(index + 1) * LINE),
            at: start + Duration::from_micros(index as u64),
        })
        .collect()
}

fn hash_framing() -> FramerConfig {
    Framing::Delimiter {
        delimiter: b"#".to_vec(),
        keep: false,
    }
    .into()
}

/// A log that has seen its peer connect.
fn new_log(byte_budget: usize) -> TrafficLog {
    let mut log = TrafficLog::new(LogConfig {
        byte_budget,
        framer: hash_framing(),
        datagrams: false,
        rates: false,
    });
    let addr = SocketAddr::from(([192, 168, 1, 20], 50_000));
    let connected = Event::Connected {
        peer: PEER,
        addr,
        local: addr,
        at: SystemTime::now(),
    };
    log.apply(&connected, Instant::now());
    log
}

/// Applies `events` as if seen a microsecond apart; returns the messages counted.
fn apply_all(log: &mut TrafficLog, events: &[Event]) -> usize {
    let start = Instant::now();
    for (index, event) in events.iter().enumerate() {
        log.apply(event, start + Duration::from_micros(index as u64));
    }
    log.totals().rx_messages as usize
}

/// Frames the events' bytes with a bare framer; returns the messages out.
fn frame_all(events: &[Event]) -> usize {
    let mut framer = Framer::new(hash_framing()).expect("bench framing is valid");
    let now = Instant::now();
    let mut out = Vec::new();
    let mut messages = 0;
    for event in events {
        if let Event::Data { bytes, .. } = event {
            framer.push(bytes, now, &mut out);
            messages += out.len();
            out.clear();
        }
    }
    messages
}

/// The obvious filter loop: decode each row, lower-case it, look for the lower-cased needle.
fn naive_filter(log: &TrafficLog, needle: &str) -> usize {
    let needle = needle.to_lowercase();
    (0..log.len())
        .filter(|&index| match log.row(index).map(|row| &row.kind) {
            Some(RowKind::Data { bytes, .. }) => netassist::codec::decode_for_display(
                bytes,
                TextEncoding::Utf8,
                ControlStyle::Escapes,
            )
            .to_lowercase()
            .contains(&needle),
            _ => false,
        })
        .count()
}

fn millis(time: Duration) -> String {
    format!("{:.1} ms", time.as_secs_f64() * 1e3)
}

fn main() {
    println!("NetAssist traffic log benchmark (best of {RUNS} runs)\n");
    println!("| figure | baseline | traffic | traffic / baseline |");
    println!("|---|---|---|---|");

    let stream = lines(0, EVENTS);
    let events = data_events(&stream);

    let (framer_time, framed) = best_of(|| frame_all(black_box(&events)));
    let mut kept = (0, 0, 0);
    let (log_time, logged) = best_of(|| {
        let mut log = new_log(netassist::traffic::DEFAULT_BYTE_BUDGET);
        let messages = apply_all(&mut log, black_box(&events));
        kept = (log.len(), log.dropped_rows(), log.used_bytes());
        messages
    });
    assert_eq!((framed, logged), (EVENTS, EVENTS), "every line framed");
    println!(
        "| apply {EVENTS} data events of {LINE} B, delimiter `#`, 64 MiB budget | bare Framer {} ({:.1} M events/s) | TrafficLog {} ({:.1} M events/s) | {:.2} |",
        millis(framer_time),
        EVENTS as f64 / framer_time.as_secs_f64() / 1e6,
        millis(log_time),
        EVENTS as f64 / log_time.as_secs_f64() / 1e6,
        log_time.as_secs_f64() / framer_time.as_secs_f64()
    );

    let mut log = new_log(usize::MAX);
    apply_all(&mut log, &events);
    let filter = Filter {
        text: NEEDLE.to_owned(),
        ..Filter::default()
    };
    let (naive_time, naive_count) = best_of(|| naive_filter(black_box(&log), NEEDLE));
    let (view_time, view_count) = best_of(|| {
        let mut view = FilteredView::new();
        view.refresh(black_box(&log), &filter);
        view.len()
    });
    assert_eq!(view_count, naive_count, "the view and the loop agree");
    println!(
        "| FilteredView of {} rows, text filter (full rebuild) | decode + lowercase + contains {} | {} | {:.2} |",
        log.len(),
        millis(naive_time),
        millis(view_time),
        view_time.as_secs_f64() / naive_time.as_secs_f64()
    );

    // Each run appends more rows to the same log; only bringing the view up to date is timed.
    let mut view = FilteredView::new();
    view.refresh(&log, &filter);
    let mut refresh_time = Duration::MAX;
    for run in 0..RUNS {
        let more = data_events(&lines(EVENTS + run * APPENDED, APPENDED));
        apply_all(&mut log, &more);
        let start = Instant::now();
        view.refresh(black_box(&log), &filter);
        refresh_time = refresh_time.min(start.elapsed());
    }
    assert_eq!(view.len(), naive_filter(&log, NEEDLE), "the view kept up");
    println!(
        "| FilteredView after {APPENDED} more rows (incremental) | full rebuild {} | {:.1} µs | {:.5} |",
        millis(view_time),
        refresh_time.as_secs_f64() * 1e6,
        refresh_time.as_secs_f64() / view_time.as_secs_f64()
    );

    let (rows, dropped, used) = kept;
    println!(
        "\nThe 64 MiB log kept {rows} rows ({:.1} MiB counted) and dropped {dropped}.",
        used as f64 / f64::from(1 << 20)
    );
}
