//! Property tests of the codec: round trips for any input, the same messages however a stream is cut into
//! reads, and fuzz-style runs on arbitrary bytes and text showing no panic and no unbounded growth.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant, SystemTime};

use netassist::codec::escape::{self, escape_into};
use netassist::codec::template::{self, Scope, Template, Values};
use netassist::codec::{
    Checksum, ControlStyle, DisplayDecoder, Framer, FramerConfig, Framing, InputMode, LengthPrefix,
    LineEnding, Message, MessageKind, SendOptions, TextEncoding, decode_for_display, hex,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};

type Outcome = Vec<(MessageKind, Vec<u8>)>;

fn outcome(messages: Vec<Message>) -> Outcome {
    messages
        .into_iter()
        .map(|message| (message.kind, message.bytes.to_vec()))
        .collect()
}

/// Cuts `stream` into reads at the given points.
fn cut<'a>(stream: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|cut| cut.index(stream.len() + 1)).collect();
    points.sort_unstable();
    let mut reads = Vec::with_capacity(points.len() + 1);
    let mut start = 0;
    for point in points {
        reads.push(&stream[start..point]);
        start = point;
    }
    reads.push(&stream[start..]);
    reads
}

/// Pushes every read at one instant and ends the stream, checking the memory bound as it goes.
fn frame(config: &FramerConfig, reads: &[&[u8]]) -> Outcome {
    let mut framer = Framer::new(config.clone()).unwrap();
    let max = framer.max_message();
    let now = Instant::now();
    let mut out = Vec::new();
    for read in reads {
        framer.push(read, now, &mut out);
        assert!(
            framer.buffered() <= max,
            "holds {} of max {max}",
            framer.buffered()
        );
    }
    out.extend(framer.finish());
    assert_eq!(framer.buffered(), 0);
    assert!(out.iter().all(|message| message.bytes.len() <= max));
    outcome(out)
}

fn header(prefix: LengthPrefix, len: usize) -> Vec<u8> {
    match prefix {
        LengthPrefix::U8 => vec![u8::try_from(len).unwrap()],
        LengthPrefix::U16Be => u16::try_from(len).unwrap().to_be_bytes().to_vec(),
        LengthPrefix::U16Le => u16::try_from(len).unwrap().to_le_bytes().to_vec(),
        LengthPrefix::U32Be => u32::try_from(len).unwrap().to_be_bytes().to_vec(),
        LengthPrefix::U32Le => u32::try_from(len).unwrap().to_le_bytes().to_vec(),
        LengthPrefix::I32Be => i32::try_from(len).unwrap().to_be_bytes().to_vec(),
        LengthPrefix::I32Le => i32::try_from(len).unwrap().to_le_bytes().to_vec(),
    }
}

/// Bytes that make delimiters and odd headers likely, mixed with any byte.
fn stream_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => select(vec![b'#', b'a', b'\r', b'\n', 0x00, 0x03, 0xFF]),
        1 => any::<u8>(),
    ]
}

/// A framing and the messages it should yield, with the stream that carries them. Raw and idle gap are
/// left out: they do not carry boundaries in the bytes; they have their own properties below.
fn messages_in_a_stream() -> impl Strategy<Value = (Framing, Vec<Vec<u8>>, Vec<u8>)> {
    let delimited = (vec(stream_byte(), 1..4), any::<bool>())
        .prop_flat_map(|(delimiter, keep)| {
            // A message holds none of its delimiter's bytes, so the delimiter first occurs where it is put.
            let allowed = delimiter.clone();
            let message = vec(stream_byte(), 0..40).prop_map(move |bytes| {
                bytes.into_iter().filter(|b| !allowed.contains(b)).collect()
            });
            (Just(delimiter), Just(keep), vec(message, 0..8))
        })
        .prop_map(
            |(delimiter, keep, messages): (Vec<u8>, bool, Vec<Vec<u8>>)| {
                let stream = messages
                    .iter()
                    .flat_map(|message| message.iter().chain(&delimiter).copied())
                    .collect();
                let expected = messages
                    .into_iter()
                    .map(|mut message| {
                        if keep {
                            message.extend(&delimiter);
                        }
                        message
                    })
                    .collect();
                (Framing::Delimiter { delimiter, keep }, expected, stream)
            },
        );
    let fixed = (1_usize..16)
        .prop_flat_map(|len| (Just(len), vec(vec(any::<u8>(), len), 0..8)))
        .prop_map(|(len, messages)| {
            let stream = messages.concat();
            (Framing::FixedLength { len }, messages, stream)
        });
    let prefixed = (
        select(LengthPrefix::ALL.to_vec()),
        any::<bool>(),
        vec(vec(any::<u8>(), 0..200), 0..8),
    )
        .prop_map(|(prefix, counts_header, messages)| {
            let mut stream = Vec::new();
            for message in &messages {
                let counted = message.len() + if counts_header { prefix.width() } else { 0 };
                stream.extend(header(prefix, counted));
                stream.extend(message);
            }
            let framing = Framing::LengthPrefix {
                prefix,
                counts_header,
            };
            (framing, messages, stream)
        });
    prop_oneof![delimited, fixed, prefixed]
}

/// Any framing mode but raw, which shows reads as they came rather than anything in the bytes.
fn stream_framing() -> impl Strategy<Value = Framing> {
    prop_oneof![
        (vec(stream_byte(), 1..4), any::<bool>())
            .prop_map(|(delimiter, keep)| Framing::Delimiter { delimiter, keep }),
        (1_usize..20).prop_map(|len| Framing::FixedLength { len }),
        (select(LengthPrefix::ALL.to_vec()), any::<bool>()).prop_map(|(prefix, counts_header)| {
            Framing::LengthPrefix {
                prefix,
                counts_header,
            }
        }),
        (1_u32..50).prop_map(|gap_ms| Framing::IdleGap { gap_ms }),
    ]
}

/// A working setting of `framing`, with small limits so oversize handling is exercised.
fn with_small_limit(
    framing: impl Strategy<Value = Framing>,
) -> impl Strategy<Value = FramerConfig> {
    (framing, 1_usize..64).prop_filter_map(
        "the limit is below what the framing needs",
        |(framing, max_message)| {
            let config = FramerConfig {
                framing,
                max_message,
            };
            Framer::new(config.clone()).ok().map(|_| config)
        },
    )
}

/// One step of a peer's life for the fuzz run.
#[derive(Clone, Debug)]
enum Step {
    /// Bytes read this many milliseconds after the previous step.
    Read(Vec<u8>, u64),
    /// An idle-gap poll this many milliseconds after the previous step.
    Poll(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (vec(stream_byte(), 0..200), 0_u64..60).prop_map(|(bytes, ms)| Step::Read(bytes, ms)),
        (0_u64..60).prop_map(Step::Poll),
    ]
}

fn any_encoding() -> impl Strategy<Value = TextEncoding> {
    select(TextEncoding::ALL.to_vec())
}

/// Encodings in which every byte sequence displays and reads back exactly. GBK and GB18030 decode a few
/// sequences to characters that encode differently (the WHATWG mappings are not one to one), so they are
/// checked from the text side instead.
fn exact_encoding() -> impl Strategy<Value = TextEncoding> {
    select(vec![
        TextEncoding::Utf8,
        TextEncoding::Ascii,
        TextEncoding::Latin1,
    ])
}

fn text_with_escapes(encoding: TextEncoding) -> SendOptions {
    SendOptions {
        encoding,
        escapes: true,
        ..SendOptions::default()
    }
}

proptest! {
    #[test]
    fn any_messages_come_back_however_the_stream_is_cut(
        (framing, expected, stream) in messages_in_a_stream(),
        cuts in vec(any::<Index>(), 0..8),
    ) {
        let expected: Outcome = expected.into_iter().map(|m| (MessageKind::Complete, m)).collect();
        prop_assert_eq!(frame(&framing.into(), &cut(&stream, &cuts)), expected);
    }

    #[test]
    fn raw_gives_back_each_read(reads in vec(vec(any::<u8>(), 0..100), 0..8)) {
        let slices: Vec<&[u8]> = reads.iter().map(Vec::as_slice).collect();
        let expected: Outcome = reads.iter().map(|r| (MessageKind::Complete, r.clone())).collect();
        prop_assert_eq!(frame(&Framing::Raw.into(), &slices), expected);
    }

    #[test]
    fn idle_gap_gives_back_each_burst(
        bursts in vec(vec(any::<u8>(), 1..60), 0..6),
        cuts in vec(any::<Index>(), 0..4),
        gap_ms in 1_u32..100,
    ) {
        let gap = Duration::from_millis(u64::from(gap_ms));
        let mut framer = Framer::new(Framing::IdleGap { gap_ms }).unwrap();
        let mut now = Instant::now();
        let mut out = Vec::new();
        for burst in &bursts {
            // A burst's reads, empty ones included, all come within one gap of each other.
            let reads = cut(burst, &cuts);
            let step = gap / u32::try_from(reads.len() + 1).unwrap();
            for read in reads {
                framer.push(read, now, &mut out);
                now += step;
            }
            now += gap;
        }
        out.extend(framer.poll_idle(now));
        prop_assert_eq!(framer.deadline(), None);
        let expected: Outcome = bursts.into_iter().map(|b| (MessageKind::Complete, b)).collect();
        prop_assert_eq!(outcome(out), expected);
    }

    #[test]
    fn how_a_stream_is_cut_never_changes_what_comes_out(
        config in with_small_limit(stream_framing()),
        stream in vec(stream_byte(), 0..300),
        cuts in vec(any::<Index>(), 1..8),
    ) {
        let whole = frame(&config, &[&stream]);
        prop_assert_eq!(frame(&config, &cut(&stream, &cuts)), whole.clone());
        // Nothing is lost where the framing removes nothing.
        let removes_bytes = matches!(
            config.framing,
            Framing::Delimiter { keep: false, .. } | Framing::LengthPrefix { .. }
        );
        if !removes_bytes {
            prop_assert_eq!(whole.iter().map(|(_, bytes)| bytes.len()).sum::<usize>(), stream.len());
        }
    }

    #[test]
    fn fuzz_a_framer_never_panics_or_grows(
        config in with_small_limit(prop_oneof![Just(Framing::Raw), stream_framing()]),
        steps in vec(step(), 0..30),
    ) {
        let mut framer = Framer::new(config).unwrap();
        let max = framer.max_message();
        let mut now = Instant::now();
        let mut out = Vec::new();
        for step in steps {
            match step {
                Step::Read(bytes, ms) => {
                    now += Duration::from_millis(ms);
                    framer.push(&bytes, now, &mut out);
                }
                Step::Poll(ms) => {
                    now += Duration::from_millis(ms);
                    out.extend(framer.poll_idle(now));
                }
            }
            prop_assert!(framer.buffered() <= max);
            // A deadline only while bytes wait for the gap.
            prop_assert!(framer.deadline().is_none() || framer.buffered() > 0);
        }
        out.extend(framer.finish());
        prop_assert_eq!(framer.buffered(), 0);
        framer.push_datagram(b"#a\x00\x03\r\n", now, &mut out);
        prop_assert_eq!(framer.buffered(), 0);
        prop_assert!(out.iter().all(|message| message.bytes.len() <= max));
    }

    #[test]
    fn hex_parses_what_it_formats(bytes in vec(any::<u8>(), 0..512)) {
        prop_assert_eq!(hex::parse(&hex::format(&bytes)), Ok(bytes));
    }

    #[test]
    fn fuzz_hex_parse(input in prop_oneof![any::<String>(), "[0-9a-fA-FxX\\\\ ,:;\\-\n\t好G]{0,40}"]) {
        let chars = input.chars().count();
        match hex::parse(&input) {
            // Every byte takes at least two characters.
            Ok(bytes) => prop_assert!(bytes.len() * 2 <= chars),
            Err(error) => prop_assert!((1..=chars).contains(&error.position())),
        }
    }

    #[test]
    fn escaped_text_sends_the_same_text(text in any::<String>()) {
        let mut escaped = String::new();
        escape_into(&text, &mut escaped);
        prop_assert_eq!(text_with_escapes(TextEncoding::Utf8).build(&escaped), Ok(text.into_bytes()));
    }

    #[test]
    fn displayed_bytes_send_the_same_bytes(bytes in vec(any::<u8>(), 0..200), encoding in exact_encoding()) {
        let shown = decode_for_display(&bytes, encoding, ControlStyle::Escapes);
        prop_assert_eq!(text_with_escapes(encoding).build(&shown), Ok(bytes));
    }

    #[test]
    fn encodable_text_displays_as_typed(text in any::<String>(), encoding in any_encoding()) {
        let mut bytes = Vec::new();
        if encoding.encode_into(&text, &mut bytes).is_ok() {
            let mut escaped = String::new();
            escape_into(&text, &mut escaped);
            let shown = decode_for_display(&bytes, encoding, ControlStyle::Escapes);
            prop_assert_eq!(&shown, &escaped);
            prop_assert_eq!(text_with_escapes(encoding).build(&shown), Ok(bytes));
        }
    }

    #[test]
    fn a_stream_decodes_the_same_however_it_is_cut(
        bytes in vec(any::<u8>(), 0..200),
        cuts in vec(any::<Index>(), 0..8),
        encoding in any_encoding(),
        style in select(ControlStyle::ALL.to_vec()),
    ) {
        let mut decoder = DisplayDecoder::new(encoding, style);
        let mut shown = String::new();
        for read in cut(&bytes, &cuts) {
            decoder.decode(read, &mut shown);
        }
        decoder.finish(&mut shown);
        prop_assert_eq!(shown, decode_for_display(&bytes, encoding, style));
    }

    #[test]
    fn fuzz_escape_parse(input in prop_oneof![any::<String>(), "(\\\\|[xu{}0-9a-fA-FgrntZ好 ])*"]) {
        let chars = input.chars().count();
        let mut produced = 0;
        for piece in escape::parse(&input) {
            match piece {
                Ok(escape::Piece::Text { text, position }) => {
                    prop_assert!(position <= chars);
                    produced += text.len();
                }
                Ok(escape::Piece::Char { ch, .. }) => produced += ch.len_utf8(),
                Ok(escape::Piece::Byte(_)) => produced += 1,
                Err(error) => prop_assert!((1..=chars).contains(&error.position())),
            }
        }
        prop_assert!(produced <= input.len());
    }

    #[test]
    fn fuzz_send_options(
        input in prop_oneof![any::<String>(), "[0-9a-fA-Fx\\\\u{} 好😀é]{0,30}"],
        hex_input in any::<bool>(),
        encoding in any_encoding(),
        escapes in any::<bool>(),
    ) {
        let options = SendOptions {
            input: if hex_input { InputMode::Hex } else { InputMode::Text },
            encoding,
            escapes,
            ..SendOptions::default()
        };
        if let Err(error) = options.build(&input) {
            prop_assert!((1..=input.chars().count()).contains(&error.position()));
            prop_assert!(!error.to_string().is_empty() && !error.zh().is_empty());
        }
    }

    #[test]
    fn protected_text_sends_itself(
        text in prop_oneof![
            any::<String>(),
            "[{}a-zT:0-9_$\"\\\\ 好+-]{0,30}",
            "([{} :+_-]|time|Time|counter|COUNTER|sum8|crc16_modbus|rand|3|x){0,12}",
        ]
    ) {
        // Text typed before variables existed, protected, sends exactly what it sent then.
        let protected = template::protect(&text, false, false, |_| false);
        let sent = Template::parse(&protected, &SendOptions::default(), Scope::SEND)
            .map(|t| t.render(Values::new(1, SystemTime::now())));
        prop_assert_eq!(sent.as_deref(), Ok(text.as_bytes()), "protected as {}", protected);
    }

    #[test]
    fn hex_switched_to_text_sends_the_same_bytes_around_variables(
        pieces in vec(vec(select(b"{}{}ab:\\ \x01".to_vec()), 0..6), 1..4),
        variable in select(vec!["{time}", "{sum8}", "{crc32:1}"]),
        escapes in any::<bool>(),
    ) {
        // Bytes rich in braces, with a variable that writes the same in both modes between each piece: as
        // text they send what the hex sent.
        let typed_hex = pieces
            .iter()
            .map(|piece| hex::format(piece))
            .collect::<Vec<_>>()
            .join(&format!(" {variable} "));
        let hex = SendOptions { input: InputMode::Hex, ..SendOptions::default() };
        let text = SendOptions { escapes, ..SendOptions::default() };
        let now = SystemTime::now();
        let sent = |typed: &str, options: &SendOptions| {
            Template::parse(typed, options, Scope::SEND).map(|t| t.render(Values::new(1, now)))
        };
        if let Ok(as_text) = netassist::codec::hex_to_text(&typed_hex, &text) {
            // An error (a checksum of nothing) is at another position in the other mode.
            prop_assert_eq!(sent(&as_text, &text).ok(), sent(&typed_hex, &hex).ok(), "as {}", as_text);
        }
    }

    #[test]
    fn without_braces_a_template_sends_what_the_pipeline_builds(
        input in prop_oneof![any::<String>(), "[0-9a-fA-Fx\\\\u$ 好😀é]{0,30}"],
        hex_input in any::<bool>(),
        encoding in any_encoding(),
        escapes in any::<bool>(),
    ) {
        prop_assume!(!input.contains('{'));
        let options = SendOptions {
            input: if hex_input { InputMode::Hex } else { InputMode::Text },
            encoding,
            escapes,
            line_ending: LineEnding::CrLf,
            checksum: Checksum::Crc16Modbus,
        };
        let template = Template::parse(&input, &options, Scope::SEND);
        match options.build(&input) {
            Ok(bytes) => prop_assert_eq!(
                template.map(|t| t.fixed().map(|fixed| fixed.to_vec())),
                Ok(Some(bytes))
            ),
            Err(error) => prop_assert_eq!(template.map(|_| ()), Err(error)),
        }
    }

    #[test]
    fn a_checksum_variable_covers_every_byte_before_it(
        bytes in vec(any::<u8>(), 0..64),
        checksum in select(&Checksum::ALL[1..]),
        counter in any::<u64>(),
    ) {
        let typed = format!("{} {{counter:8}} {{{}}}", hex::format(&bytes), Checksum::NAMES[Checksum::ALL.iter().position(|c| *c == checksum).unwrap()]);
        let options = SendOptions { input: InputMode::Hex, ..SendOptions::default() };
        let sent = Template::parse(&typed, &options, Scope::SEND).unwrap().render(Values::new(counter, SystemTime::now()));
        let mut expected = bytes.clone();
        expected.extend_from_slice(&counter.to_be_bytes());
        checksum.append(&mut expected);
        prop_assert_eq!(sent.as_ref(), expected.as_slice());
    }

    #[test]
    fn fuzz_templates(
        input in prop_oneof![any::<String>(), "([{}$]|[a-z:0-9_\\-]|\\\\|好| ){0,40}"],
        hex_input in any::<bool>(),
        escapes in any::<bool>(),
        captures in prop::option::of(0_usize..4),
        rules in prop::option::of(0_usize..4),
    ) {
        let options = SendOptions {
            input: if hex_input { InputMode::Hex } else { InputMode::Text },
            escapes,
            ..SendOptions::default()
        };
        match Template::parse(&input, &options, Scope { captures, rules }) {
            Ok(template) => {
                let whole: [&[u8]; 1] = [b"x"];
                let _ = template.render(Values::new(7, SystemTime::now()).with_captures(&whole));
            }
            Err(error) => {
                prop_assert!((1..=input.chars().count()).contains(&error.position()), "{error}");
                prop_assert!(!error.to_string().is_empty() && !error.zh().is_empty());
            }
        }
    }
}
