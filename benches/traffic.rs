//! Traffic log benchmark: each figure beside a baseline measured in the same run, because only ratios
//! compare across machines. Run with `cargo bench --bench traffic`.
//!
//! 1. applying 1,000,000 data events of 64 bytes (one `#`-ended line each) to a log with delimiter
//!    framing and the default 64 MiB budget, vs framing the same bytes with a bare `Framer`;
//! 2. a `FilteredView` of 1,000,000 rows under a text filter, built from scratch, vs the obvious loop
//!    (decode each row, lower-case it, `contains`);
//! 3. the same view brought up to date after 1,000 more rows, vs building it from scratch;
//! 4. applying the events of (1) to a log that keeps rates over time for the plots, vs one that does not;
//! 5. the same with the events spread over 10,000 connected peers a millisecond apart (so each event is
//!    weighed against the tracked busiest peers, and the one-second ring turns over), and the memory such
//!    a log holds with and without rates, counted by the allocator.
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

// The same allocator as the app, so the bench measures what users run, counting the bytes it holds.
#[global_allocator]
static ALLOCATOR: cap::Cap<mimalloc::MiMalloc> = cap::Cap::new(mimalloc::MiMalloc, usize::MAX);

/// Data events applied, and rows filtered.
const EVENTS: usize = 1_000_000;
/// Bytes per data event, the delimiter included.
const LINE: usize = 64;
/// Rows appended before an incremental refresh.
const APPENDED: usize = 1_000;
/// What the filter looks for: one reading in 99,991, so about ten rows.
const NEEDLE: &str = "SENSOR=00042";

const PEER: PeerId = PeerId(1);

/// Peers the events are spread over in the many-peer figures.
const PEERS: u64 = 10_000;

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

/// A log that has seen `peers` connect, keeping rates over time or not.
fn new_log(byte_budget: usize, rates: bool, peers: u64) -> TrafficLog {
    let mut log = TrafficLog::new(LogConfig {
        byte_budget,
        framer: hash_framing(),
        datagrams: false,
        rates,
    });
    for id in 1..=peers {
        let addr = SocketAddr::from(([192, 168, 1, 20], 50_000 - id as u16));
        let connected = Event::Connected {
            peer: PeerId(id),
            addr,
            local: addr,
            at: SystemTime::now(),
        };
        log.apply(&connected, Instant::now());
    }
    log
}

/// The data events of `stream` as [`data_events`] gives them, but from [`PEERS`] peers in turn, a
/// millisecond apart.
fn many_peer_events(stream: &Bytes) -> Vec<Event> {
    let start = SystemTime::now();
    (0..stream.len() / LINE)
        .map(|index| Event::Data {
            peer: PeerId(index as u64 % PEERS + 1),
            dir: Direction::Rx,
            bytes: stream.slice(index * LINE..(index + 1) * LINE),
            at: start + Duration::from_millis(index as u64),
        })
        .collect()
}

/// Times applying `events` to a log of `peers` with and without rates, and prints the row.
fn rates_row(what: &str, events: &[Event], peers: u64) {
    let time = |rates: bool| {
        best_of(|| {
            let mut log = new_log(netassist::traffic::DEFAULT_BYTE_BUDGET, rates, peers);
            apply_all(&mut log, black_box(events))
        })
    };
    let (without, counted) = time(false);
    let (with, counted_with) = time(true);
    assert_eq!(
        (counted, counted_with),
        (EVENTS, EVENTS),
        "every line counted"
    );
    events_row(what, ("without rates", without), ("with rates", with));
}

/// Prints a table row of two timings of [`EVENTS`] events, each with its rate, and their ratio.
fn events_row(what: &str, (base_name, base): (&str, Duration), (name, time): (&str, Duration)) {
    let rate = |time: Duration| EVENTS as f64 / time.as_secs_f64() / 1e6;
    println!(
        "| {what} | {base_name} {} ({:.1} M events/s) | {name} {} ({:.1} M events/s) | {:.2} |",
        millis(base),
        rate(base),
        millis(time),
        rate(time),
        time.as_secs_f64() / base.as_secs_f64()
    );
}

/// The bytes a log of `peers` holds after `events`, with rates or without, and its rate history's own.
fn log_memory(events: &[Event], peers: u64, rates: bool) -> (usize, usize) {
    let before = ALLOCATOR.allocated();
    let mut log = new_log(netassist::traffic::DEFAULT_BYTE_BUDGET, rates, peers);
    apply_all(&mut log, events);
    let held = ALLOCATOR.allocated() - before;
    let history = log
        .rates()
        .map_or(0, netassist::traffic::RateHistory::heap_bytes);
    (held, history)
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
        let mut log = new_log(netassist::traffic::DEFAULT_BYTE_BUDGET, false, 1);
        let messages = apply_all(&mut log, black_box(&events));
        kept = (log.len(), log.dropped_rows(), log.used_bytes());
        messages
    });
    assert_eq!((framed, logged), (EVENTS, EVENTS), "every line framed");
    events_row(
        &format!("apply {EVENTS} data events of {LINE} B, delimiter `#`, 64 MiB budget"),
        ("bare Framer", framer_time),
        ("TrafficLog", log_time),
    );

    let mut log = new_log(usize::MAX, false, 1);
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

    drop(log);
    rates_row(
        &format!("apply {EVENTS} data events of {LINE} B, one peer"),
        &events,
        1,
    );
    let spread = many_peer_events(&stream);
    rates_row(
        &format!("the same from {PEERS} peers in turn, 1 ms apart"),
        &spread,
        PEERS,
    );

    let (rows, dropped, used) = kept;
    println!(
        "\nThe 64 MiB log kept {rows} rows ({:.1} MiB counted) and dropped {dropped}.",
        used as f64 / f64::from(1 << 20)
    );

    let (without, _) = log_memory(&spread, PEERS, false);
    let (with, history) = log_memory(&spread, PEERS, true);
    let (_, one_peer) = log_memory(&events, 1, true);
    let mib = |bytes: usize| bytes as f64 / f64::from(1 << 20);
    println!(
        "\nMemory with {PEERS} peers after those events (allocator): log without rates {:.2} MiB, with rates \
         {:.2} MiB: {:.0} KiB more. The rate history holds {:.0} KiB of it ({:.0} KiB with one peer).",
        mib(without),
        mib(with),
        (with as f64 - without as f64) / 1024.0,
        history as f64 / 1024.0,
        one_peer as f64 / 1024.0,
    );
}
