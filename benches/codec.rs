//! Codec throughput: framing a stream against a `memchr` scan of the same bytes, hex formatting, and making
//! the bytes of a send (the send pipeline against send templates with and without variables).
//!
//! `cargo bench --bench codec` prints a table. Each framing case feeds a 64 MiB stream in 64 KiB reads,
//! as the engine delivers them, and is printed beside a baseline measured in the same run: `memchr`
//! counting the delimiter byte in the same buffer, which is about as fast as any pass over those bytes
//! can be. Every figure is the best of a few runs, to keep a busy machine's noise out.

mod common;

use common::{RUNS, best_of};

use std::hint::black_box;
use std::time::{Duration, Instant};

use netassist::codec::{
    Checksum, Framer, Framing, InputMode, LengthPrefix, Scope, SendOptions, Template, Values, hex,
};

/// Bytes per framing stream.
const STREAM: usize = 64 << 20;
/// Bytes per read, as the engine reads a socket.
const READ: usize = 64 << 10;
/// Bytes formatted or parsed as hex per run.
const HEX: usize = 16 << 20;
/// Sends made per run of the send figures.
const SENDS: usize = 200_000;

fn rate(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / time.as_secs_f64()
}

/// Printable payload bytes that never contain the delimiter `#`.
fn payload(len: usize) -> impl Iterator<Item = u8> {
    (b'a'..=b'z').cycle().take(len)
}

/// Messages of `message_len` bytes, each ending with `#`, filling [`STREAM`].
fn delimited_stream(message_len: usize) -> Vec<u8> {
    let mut stream = Vec::with_capacity(STREAM);
    while stream.len() + message_len <= STREAM {
        stream.extend(payload(message_len - 1));
        stream.push(b'#');
    }
    stream
}

/// Messages of `message_len` bytes, each a 4-byte big-endian length and its payload, filling [`STREAM`].
fn prefixed_stream(message_len: usize) -> Vec<u8> {
    let body = message_len - 4;
    let header = u32::try_from(body)
        .expect("bench messages fit a u32")
        .to_be_bytes();
    let mut stream = Vec::with_capacity(STREAM);
    while stream.len() + message_len <= STREAM {
        stream.extend(header);
        stream.extend(payload(body));
    }
    stream
}

/// Builds a stream of messages of the given length.
type StreamMaker = fn(usize) -> Vec<u8>;

/// Frames `stream` read by read, as a peer's reads arrive; returns how many messages came out.
fn frame(framing: &Framing, stream: &[u8]) -> usize {
    let mut framer = Framer::new(framing.clone()).expect("bench framing is valid");
    let now = Instant::now();
    let mut out = Vec::new();
    let mut messages = 0;
    for read in stream.chunks(READ) {
        framer.push(read, now, &mut out);
        messages += out.len();
        out.clear();
    }
    messages + usize::from(framer.finish().is_some())
}

fn main() {
    println!(
        "codec benchmark: {} MiB streams in {} KiB reads, best of {RUNS} runs",
        STREAM >> 20,
        READ >> 10
    );
    println!();
    println!(
        "{:<22} {:>9} {:>12} {:>12} {:>15} {:>13}",
        "framing", "message", "framer GB/s", "memchr GB/s", "framer/memchr", "messages/s"
    );
    let delimiter = Framing::Delimiter {
        delimiter: b"#".to_vec(),
        keep: false,
    };
    let prefix = Framing::LengthPrefix {
        prefix: LengthPrefix::U32Be,
        counts_header: false,
    };
    let cases: [(&str, &Framing, StreamMaker); 2] = [
        ("delimiter '#'", &delimiter, delimited_stream),
        ("length prefix u32 BE", &prefix, prefixed_stream),
    ];
    for (name, framing, make_stream) in cases {
        for message_len in [64, 4096] {
            let stream = make_stream(message_len);
            let (framer_time, messages) = best_of(|| frame(framing, black_box(&stream)));
            assert_eq!(messages, stream.len() / message_len, "every message framed");
            let (memchr_time, _) =
                best_of(|| memchr::memchr_iter(b'#', black_box(&stream)).count());
            let framer = rate(stream.len(), framer_time);
            let memchr = rate(stream.len(), memchr_time);
            println!(
                "{name:<22} {:>7} B {:>12.2} {:>12.2} {:>15.2} {:>12.1}M",
                message_len,
                framer / 1e9,
                memchr / 1e9,
                framer / memchr,
                messages as f64 / framer_time.as_secs_f64() / 1e6
            );
        }
    }

    println!();
    println!("{:<22} {:>9}", "hex", "MB/s");
    let bytes: Vec<u8> = (0..HEX).map(|index| (index * 131 % 251) as u8).collect();
    let mut text = String::new();
    let (format_time, _) = best_of(|| {
        text.clear();
        hex::format_into(black_box(&bytes), &mut text);
        text.len()
    });
    let (dump_time, _) = best_of(|| hex::dump(black_box(&bytes)).len());
    let (parse_time, parsed) = best_of(|| hex::parse(black_box(&text)).map_or(0, |b| b.len()));
    assert_eq!(parsed, HEX, "the formatted text parses back");
    // Rates count the binary bytes formatted or produced, so the three rows compare directly.
    for (name, time) in [
        ("format (AA 55 ..)", format_time),
        ("dump (offset|hex|text)", dump_time),
        ("parse", parse_time),
    ] {
        println!("{name:<22} {:>9.0}", rate(HEX, time) / 1e6);
    }

    sends();
}

/// The bytes of one Modbus request per send, as each send path makes them: the send pipeline reading the
/// typed text (how every send was made before templates), a template read and rendered (a click), a
/// template rendered (a periodic tick), and one with a counter and a CRC variable rendered per send.
fn sends() {
    println!();
    println!(
        "{:<38} {:>9} {:>14}",
        "send (Modbus request, 8 B)", "ns/send", "vs pipeline"
    );
    let options = SendOptions {
        input: InputMode::Hex,
        checksum: Checksum::Crc16Modbus,
        ..SendOptions::default()
    };
    let typed = "01 03 00 00 00 0A";
    let fixed = Template::parse(typed, &options, Scope::SEND).expect("bench input is valid");
    let plain = SendOptions {
        checksum: Checksum::None,
        ..options
    };
    let counting = Template::parse("01 03 00 00 {counter:2} {crc16modbus}", &plain, Scope::SEND)
        .expect("bench input is valid");
    let now = std::time::SystemTime::now();
    let run = |make: &dyn Fn(usize) -> usize| {
        best_of(|| (0..SENDS).map(|send| make(black_box(send))).sum())
    };
    let (pipeline, _) = run(&|_| options.build(black_box(typed)).map_or(0, |b| b.len()));
    let (parse_render, _) = run(&|send| {
        Template::parse(black_box(typed), &options, Scope::SEND)
            .map_or(0, |t| t.render(Values::new(send as u64, now)).len())
    });
    let (render_fixed, _) = run(&|send| fixed.render(Values::new(send as u64, now)).len());
    let (render_counting, _) = run(&|send| counting.render(Values::new(send as u64, now)).len());
    for (name, time) in [
        ("pipeline: build from typed text", pipeline),
        ("template: read and render (a click)", parse_render),
        ("template: render, no variables (tick)", render_fixed),
        ("template: render {counter:2} {crc16}", render_counting),
    ] {
        println!(
            "{name:<38} {:>9.1} {:>13.2}x",
            time.as_nanos() as f64 / SENDS as f64,
            time.as_secs_f64() / pipeline.as_secs_f64()
        );
    }
}
