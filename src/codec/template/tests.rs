use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;
use crate::codec::{InputMode, LineEnding, TextEncoding};

fn text() -> SendOptions {
    SendOptions::default()
}

fn escaped(encoding: TextEncoding) -> SendOptions {
    SendOptions {
        escapes: true,
        encoding,
        ..SendOptions::default()
    }
}

fn hex() -> SendOptions {
    SendOptions {
        input: InputMode::Hex,
        ..SendOptions::default()
    }
}

/// 2001-09-09 01:46:40.250 UTC: 1,000,000,000 s and 250 ms after 1970.
fn moment() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_000_000_000_250)
}

fn render(input: &str, options: SendOptions, counter: u64) -> Vec<u8> {
    Template::parse(input, &options, Scope::SEND)
        .unwrap_or_else(|error| panic!("{input:?}: {error}"))
        .render(Values::new(counter, moment()))
        .to_vec()
}

fn fail(input: &str, options: SendOptions, scope: Scope) -> SendError {
    Template::parse(input, &options, scope).expect_err(input)
}

/// `data` with `checksum` over all of it appended.
fn with_checksum(data: &[u8], checksum: Checksum) -> Vec<u8> {
    let mut out = data.to_vec();
    checksum.append(&mut out);
    out
}

#[test]
fn counter_in_text_counts_and_pads() {
    assert_eq!(render("n={counter}", text(), 1), b"n=1");
    assert_eq!(render("n={counter}", text(), 12345), b"n=12345");
    assert_eq!(render("{counter:3}", text(), 7), b"007");
    // Wrapping keeps the field its width.
    assert_eq!(render("{counter:2}", text(), 99), b"99");
    assert_eq!(render("{counter:2}", text(), 100), b"00");
    assert_eq!(render("{counter:2}", text(), 101), b"01");
    assert_eq!(
        render("{counter:20}", text(), u64::MAX),
        b"18446744073709551615"
    );
}

#[test]
fn near_misses_are_errors_that_say_how_the_variable_is_written() {
    for (typed, written) in [
        ("{counter: 3}", "{counter:3}"),
        ("{counter:+3}", "{counter:3}"),
        ("{rand:3 }", "{rand:3}"),
        ("{counter:3:4}", "{counter:3}"),
        ("{counter }", "{counter}"),
        ("{ counter }", "{counter}"),
        ("{TIME}", "{time}"),
        ("{Time:3}", "{time}"),
        ("{Counter}", "{counter}"),
        ("{crc16_modbus}", "{crc16modbus}"),
        ("{crc16-modbus}", "{crc16modbus}"),
        ("{CRC16_CCITT_FALSE:2}", "{crc16-ccitt-false:2}"),
        ("{BCC}", "{bcc}"),
        ("{unixMs}", "{unix_ms}"),
    ] {
        let input = format!("ab{typed}cd");
        assert_eq!(
            fail(&input, text(), Scope::SEND),
            SendError::Variable(VariableError::NearMiss {
                position: 3,
                typed: typed.to_owned(),
                written: written.to_owned()
            }),
            "{typed}"
        );
    }
    let error = fail("at {Time}", text(), Scope::SEND);
    assert_eq!(
        error.to_string(),
        "position 4: {Time} is not how a variable is written; did you mean {time}? (names are exact; to \
         send it as typed, write {{Time}})"
    );
    assert_eq!(
        error.zh(),
        "第 4 个字符：{Time} 不是变量的写法；是否要写 {time}？（变量名须照写；要原样发送请写 {{Time}}）"
    );
    // As it says: a device's own {Time} is sent as typed so.
    assert_eq!(render("{{Time}}", text(), 1), b"{Time}");
    // Rule variables are near misses only in rules.
    let rules = Scope {
        captures: Some(0),
        rules: Some(1),
    };
    assert!(matches!(
        fail("{Peer}", text(), rules),
        SendError::Variable(VariableError::NearMiss { .. })
    ));
    assert!(matches!(
        fail("{Peer}", text(), Scope::SEND),
        SendError::Variable(VariableError::Unknown { .. })
    ));
    // Unquoted JSON keys are unknown variables that say how to write a brace; words after a name and
    // other braces are text.
    let error = fail("{cmd:1}", text(), Scope::SEND).to_string();
    assert!(error.contains("unknown variable 'cmd'"), "{error}");
    assert!(error.ends_with("write {{ for a literal {"), "{error}");
    for typed in ["{time is up}", "{ a }", "{counter", "{counter:3"] {
        assert_eq!(render(typed, text(), 1), typed.as_bytes(), "{typed}");
    }
    assert!(matches!(
        fail("{countdown}", text(), Scope::SEND),
        SendError::Variable(VariableError::Unknown { .. })
    ));
}

#[test]
fn counter_in_hex_is_big_endian_bytes() {
    assert_eq!(render("AA {counter}", hex(), 1), [0xAA, 0x01]);
    assert_eq!(
        render("AA {counter}", hex(), 256),
        [0xAA, 0x00],
        "one byte wraps"
    );
    assert_eq!(render("{counter:2}", hex(), 0x1234), [0x12, 0x34]);
    assert_eq!(render("{counter:2}", hex(), 0x1_0001), [0x00, 0x01]);
    assert_eq!(render("{counter:8}", hex(), 1), [0, 0, 0, 0, 0, 0, 0, 1]);
    // Between hex digits, with or without spaces.
    assert_eq!(
        render("AA55{counter:2}01", hex(), 3),
        [0xAA, 0x55, 0x00, 0x03, 0x01]
    );
}

#[test]
fn widths_out_of_range_are_errors() {
    for (input, options, range) in [
        ("{counter:0}", text(), (1, 20)),
        ("{counter:21}", text(), (1, 20)),
        ("{counter:9}", hex(), (1, 8)),
        ("{counter:x}", text(), (1, 20)),
        ("{rand}", text(), (1, 1024)),
        ("{rand:0}", hex(), (1, 1024)),
        ("{rand:1025}", text(), (1, 1024)),
    ] {
        let error = fail(input, options, Scope::SEND);
        assert_eq!(
            error,
            SendError::Variable(VariableError::Argument {
                position: 1,
                typed: input.to_owned(),
                range: Some(range)
            }),
            "{input}"
        );
    }
    let error = fail("ok {time:3}", text(), Scope::SEND);
    assert_eq!(
        error.to_string(),
        "position 4: {time:3} takes nothing after ':'"
    );
    assert_eq!(error.zh(), "第 4 个字符：{time:3} 的冒号后面不能有内容");
    let error = fail("{rand:x}", text(), Scope::SEND);
    assert_eq!(
        error.to_string(),
        "position 1: {rand:x} needs a whole number from 1 to 1024 after ':'"
    );
}

#[test]
fn time_and_unix_time() {
    let time = render("at {time}", text(), 1);
    assert_eq!(
        time,
        format!("at {}", clock_text(moment())).as_bytes(),
        "the time as the log shows it"
    );
    assert_eq!(time.len(), "at 12:00:00.250".len());
    assert_eq!(render("{unix}", text(), 1), b"1000000000");
    assert_eq!(render("{unix_ms}", text(), 1), b"1000000000250");
    assert_eq!(render("{unix}", hex(), 1), 1_000_000_000_u32.to_be_bytes());
    assert_eq!(
        render("{unix_ms}", hex(), 1),
        1_000_000_000_250_u64.to_be_bytes()
    );
    // `{time}` is text in hex input too.
    assert_eq!(render("{time}", hex(), 1), clock_text(moment()).as_bytes());
}

#[test]
fn random_digits_and_bytes() {
    let digits = render("{rand:12}", text(), 1);
    assert_eq!(digits.len(), 12);
    assert!(digits.iter().all(u8::is_ascii_digit), "{digits:?}");
    let bytes = render("AA {rand:16} 55", hex(), 1);
    assert_eq!(bytes.len(), 18);
    assert_eq!((bytes[0], bytes[17]), (0xAA, 0x55));
    // New each time: 128 random bits twice the same would be a broken generator.
    let template = Template::parse("{rand:16}", &hex(), Scope::SEND).unwrap();
    assert_ne!(
        template.render(Values::new(1, moment())),
        template.render(Values::new(1, moment()))
    );
    assert_eq!(template.fixed(), None);
}

#[test]
fn checksums_cover_exactly_the_bytes_before_them() {
    let modbus = [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A];
    assert_eq!(
        render("01 03 00 00 00 0A {crc16modbus}", hex(), 1),
        [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD]
    );
    for (name, checksum) in [
        ("sum8", Checksum::Sum8),
        ("xor8", Checksum::Xor8),
        ("bcc", Checksum::Xor8),
        ("crc16modbus", Checksum::Crc16Modbus),
        ("crc16-ccitt-false", Checksum::Crc16CcittFalse),
        ("crc32", Checksum::Crc32),
    ] {
        let input = format!("01 03 00 00 00 0A {{{name}}}");
        assert_eq!(
            render(&input, hex(), 1),
            with_checksum(&modbus, checksum),
            "{name}"
        );
    }
    // Counter bytes before it are covered; bytes after it are not.
    let sent = render("AA 55 {counter:2} 01 {crc16modbus} 0D", hex(), 2);
    let mut expected = with_checksum(&[0xAA, 0x55, 0x00, 0x02, 0x01], Checksum::Crc16Modbus);
    expected.push(0x0D);
    assert_eq!(sent, expected);
    // From byte K: the header is left out.
    assert_eq!(
        render("AA 55 01 02 {sum8:2}", hex(), 1),
        [0xAA, 0x55, 0x01, 0x02, 0x03]
    );
    // Where the length before it varies, a start past the end checks nothing, as it says.
    assert_eq!(render("{counter}{sum8:3}", text(), 7), [b'7', 0x00]);
    assert_eq!(render("{counter}{sum8:3}", text(), 700), *b"700\x00");
    assert_eq!(render("{counter}{sum8:2}", text(), 700), *b"700\x30");
}

#[test]
fn a_checksum_that_would_check_nothing_is_an_error() {
    for (input, options, position, before) in [
        ("{crc16modbus}", hex(), 1, 0),
        ("AB{sum8:5}", text(), 3, 2),
        ("AB{sum8:2}", text(), 3, 2),
        ("AA 55 {sum8:2}", hex(), 7, 2),
        // Fixed-length variables count: a time is 12 characters, {rand:4} 4, a hex counter 1 byte.
        ("{time}{xor8:12}", text(), 7, 12),
        ("{rand:4}{sum8:4}", hex(), 9, 4),
        ("{counter}{sum8}{crc32:2}", hex(), 16, 2),
    ] {
        assert_eq!(
            fail(input, options, Scope::SEND),
            SendError::Variable(VariableError::ChecksumOfNothing {
                position,
                typed: input[position - 1..]
                    .split_inclusive('}')
                    .next()
                    .unwrap()
                    .to_owned(),
                before
            }),
            "{input}"
        );
    }
    let error = fail("AB{sum8:5}", text(), Scope::SEND);
    assert_eq!(
        error.to_string(),
        "position 3: {sum8:5} would check nothing: only 2 bytes (0 to 1) come before it; its start byte \
         must be less than 2"
    );
    assert_eq!(
        error.zh(),
        "第 3 个字符：{sum8:5} 前面只有 2 个字节（第 0 到第 1 个），从它指定的字节起没有可校验的内容；起始字节须小于 2"
    );
    let error = fail("{crc16modbus}", text(), Scope::SEND);
    assert_eq!(
        error.to_string(),
        "position 1: {crc16modbus} has no bytes before it to check; put it after the bytes it covers"
    );
    assert_eq!(
        error.zh(),
        "第 1 个字符：{crc16modbus} 前面没有字节可校验；请把它放在要校验的字节之后"
    );
    let error = fail("A{sum8:1}", text(), Scope::SEND);
    assert!(
        error
            .to_string()
            .contains("only 1 byte (0) comes before it"),
        "{error}"
    );
    // Enough before it, or a length that varies: no error.
    for (input, options) in [
        ("AB{sum8:1}", text()),
        ("{counter}{sum8}", text()),
        ("{unix}{sum8:3}", text()),
        ("{time}{xor8:11}", text()),
    ] {
        Template::parse(input, &options, Scope::SEND).unwrap_or_else(|e| panic!("{input}: {e}"));
    }
    let replies = Scope::with_captures(1);
    Template::parse("$1{sum8}", &text(), replies).unwrap();
}

#[test]
fn checksums_over_escapes_and_gbk_cover_the_encoded_bytes() {
    // STX, text, ETX, then BCC: the checksum covers the escaped bytes, not the backslashes typed.
    let sent = render(r"\x02温度\x03{bcc}", escaped(TextEncoding::Gbk), 1);
    let data = [0x02, 0xCE, 0xC2, 0xB6, 0xC8, 0x03];
    assert_eq!(sent, with_checksum(&data, Checksum::Xor8));
    let sent = render("温度{crc32}", escaped(TextEncoding::Utf8), 1);
    assert_eq!(sent, with_checksum("温度".as_bytes(), Checksum::Crc32));
    // The braces of `\u{..}` are an escape's, not a variable's.
    assert_eq!(
        render(r"\u{E9}{sum8}", escaped(TextEncoding::Latin1), 1),
        [0xE9, 0xE9]
    );
}

#[test]
fn the_send_options_checksum_and_line_ending_come_after_the_variables() {
    let options = SendOptions {
        checksum: Checksum::Sum8,
        line_ending: LineEnding::CrLf,
        ..SendOptions::default()
    };
    assert_eq!(
        render("n{counter}", options, 3),
        [b'n', b'3', b'n'.wrapping_add(b'3'), b'\r', b'\n']
    );
    // Without variables: the same bytes as `build`, fixed.
    let template = Template::parse("AT", &options, Scope::SEND).unwrap();
    assert_eq!(
        template.fixed().map(|b| b.to_vec()),
        Some(options.build("AT").unwrap())
    );
}

#[test]
fn json_and_other_braces_send_as_typed() {
    for typed in [
        r#"{"cmd":1}"#,
        r#"{"a":{"b":[1,2]}}"#,
        "{ a }",
        "{a: 1}",
        "{}",
        "{1}",
        "}{",
        "{计数}",
        "$1 costs $",
    ] {
        let template = Template::parse(typed, &text(), Scope::SEND).unwrap();
        assert_eq!(
            template.fixed().map(|b| b.to_vec()),
            Some(typed.as_bytes().to_vec()),
            "{typed}"
        );
    }
}

#[test]
fn double_braces_write_literal_braces() {
    // `{{` writes `{`; the first `}}` after it writes `}`; any other brace is written as typed.
    for (typed, sent) in [
        ("{{", "{"),
        ("{{counter}}", "{counter}"),
        ("{{counter}", "{counter}"),
        ("a{{{counter}}}", "a{5}"),
        (r#"{{"a":1}}"#, r#"{"a":1}"#),
        ("{{}}", "{}"),
        ("{{x}}}", "{x}}"),
        ("{{ {{ }} }}", "{ { } }"),
        ("}}", "}}"),
        ("}} {{x}}", "}} {x}"),
        (r#"{"a":{"b":1}}"#, r#"{"a":{"b":1}}"#),
        ("{{a}} }}", "{a} }}"),
    ] {
        assert_eq!(render(typed, text(), 5), sent.as_bytes(), "{typed}");
    }
}

#[test]
fn unknown_variables_are_errors_with_their_position() {
    let error = fail("ab {conter}", text(), Scope::SEND);
    assert_eq!(error.position(), 4);
    let message = error.to_string();
    assert!(
        message.starts_with(
            "position 4: unknown variable 'conter'; known: {counter}, {counter:W}, {time}, {unix}, \
             {unix_ms}, {rand:N}, {sum8}, {xor8}, {bcc}, {crc16modbus}, {crc16-ccitt-false}, {crc32}"
        ),
        "{message}"
    );
    assert!(message.ends_with("write {{ for a literal {"), "{message}");
    assert!(!message.contains("{peer}"), "rule variables only in rules");
    let zh = error.zh();
    assert!(
        zh.starts_with("第 4 个字符：未知变量 'conter'；可用：{counter}"),
        "{zh}"
    );
    assert!(std::error::Error::source(&error).is_some());
    // Positions count characters, after multi-byte text and escapes.
    assert_eq!(fail("你好{x}", text(), Scope::SEND).position(), 3);
    assert_eq!(
        fail(r"\r\n{x}", escaped(TextEncoding::Utf8), Scope::SEND).position(),
        5
    );
    assert_eq!(fail("AA 55 {crc8}", hex(), Scope::SEND).position(), 7);
    assert_eq!(fail("{none}", text(), Scope::SEND).position(), 1);
}

#[test]
fn literal_errors_keep_their_place_in_the_whole_input() {
    // After a variable, a hex typo is named where it was typed.
    let error = fail("AA {counter} G1", hex(), Scope::SEND);
    assert!(matches!(error, SendError::Hex(_)), "{error:?}");
    assert_eq!(error.position(), 14);
    assert_eq!(fail("{counter} 5", hex(), Scope::SEND).position(), 11);
    let error = fail(r"{counter}\q", escaped(TextEncoding::Utf8), Scope::SEND);
    assert!(matches!(error, SendError::Escape(_)), "{error:?}");
    assert_eq!(error.position(), 10);
    let error = fail(
        "{time} é",
        SendOptions {
            encoding: TextEncoding::Ascii,
            ..text()
        },
        Scope::SEND,
    );
    assert!(matches!(error, SendError::Encode(_)), "{error:?}");
    assert_eq!(error.position(), 8);
    // The first mistake is named, whichever kind it is.
    assert!(matches!(
        fail("G1 {conter}", hex(), Scope::SEND),
        SendError::Hex(_)
    ));
    assert!(matches!(
        fail("{conter} G1", hex(), Scope::SEND),
        SendError::Variable(_)
    ));
    // A lone brace in hex is a hex typo at its place; `{{` is text's way to write one.
    assert_eq!(fail("AA {", hex(), Scope::SEND).position(), 4);
    assert!(matches!(
        fail("AA {", hex(), Scope::SEND),
        SendError::Hex(_)
    ));
    let error = fail("AA {{", hex(), Scope::SEND);
    assert_eq!(
        error,
        SendError::Variable(VariableError::BraceInHex { position: 4 })
    );
    assert_eq!(
        error.to_string(),
        "position 4: {{ writes a brace only in text input; in hex, write its byte: 7B for {, 7D for }"
    );
    assert_eq!(
        error.zh(),
        "第 4 个字符：{{ 只在文本输入中表示一个大括号；十六进制中请写它的字节：{ 为 7B，} 为 7D"
    );
    assert_eq!(render("AA 7B 7D", hex(), 1), [0xAA, b'{', b'}']);
}

#[test]
fn captures_only_where_the_scope_has_them() {
    let scope = Scope::with_captures(2);
    let template = Template::parse("got $1/$2 of [$0] $", &text(), scope).unwrap();
    assert_eq!(template.max_capture(), Some(2));
    let captures: [&[u8]; 3] = [b"set a=1", b"a", b"1"];
    let values = Values::new(1, moment()).with_captures(&captures);
    assert_eq!(template.render(values).as_ref(), b"got a/1 of [set a=1] $");
    // A capture missing when rendering writes nothing.
    assert_eq!(
        template.render(Values::new(1, moment())).as_ref(),
        b"got / of [] $"
    );
    let hex_template = Template::parse("01 $1 {crc16modbus}", &hex(), scope).unwrap();
    let captures: [&[u8]; 2] = [&[9, 9], &[0x03, 0x00]];
    assert_eq!(
        hex_template
            .render(Values::new(1, moment()).with_captures(&captures))
            .as_ref(),
        with_checksum(&[0x01, 0x03, 0x00], Checksum::Crc16Modbus)
    );
    let error = fail("x $3", text(), scope);
    assert_eq!(
        error.to_string(),
        "position 3: there is no $3: the pattern captures 2 parts, $1 to $2 (a regex's groups or a hex \
         pattern's wildcards); $0 is the whole message, and $$ writes a $"
    );
    assert_eq!(
        error.zh(),
        "第 3 个字符：没有 $3：模式只捕获了 2 个部分（$1…$2：正则的分组或十六进制模式的通配符）；$0 为整条消息；$$ 表示字面的 $"
    );
    // Elsewhere `$1` is two characters.
    assert_eq!(render("$1", text(), 1), b"$1");
    assert_eq!(
        Template::parse("x", &text(), scope).unwrap().max_capture(),
        None
    );
}

#[test]
fn rule_variables_only_in_rules() {
    let scope = Scope {
        captures: Some(0),
        rules: Some(2),
    };
    let template = Template::parse("{n} {n:2} {reset}{n} {peer}", &text(), scope).unwrap();
    let mut counts = [3, 5];
    let peer: SocketAddr = "192.168.1.50:4001".parse().unwrap();
    let values = Values {
        rule: Some(RuleValues {
            counts: &mut counts,
            rule: 0,
            peer,
        }),
        ..Values::new(3, moment())
    };
    assert_eq!(template.render(values).as_ref(), b"3 5 0 192.168.1.50:4001");
    assert_eq!(counts, [0, 0], "{{reset}} sets every count back");
    let error = fail("ok {peer}", text(), Scope::SEND);
    assert_eq!(
        error.to_string(),
        "position 4: {peer} works only in a reply rule's reply"
    );
    assert_eq!(
        error.zh(),
        "第 4 个字符：{peer} 只能用在自动回复规则的回复中"
    );
    for typed in ["{n}", "{reset}", "{n:1}"] {
        assert!(
            matches!(
                fail(typed, text(), Scope::SEND),
                SendError::Variable(VariableError::OnlyInRules { .. })
            ),
            "{typed}"
        );
    }
    let error = fail("{n:3}", text(), scope);
    assert_eq!(
        error.to_string(),
        "position 1: there is no {n:3}: there are only 2 rules"
    );
    assert_eq!(error.zh(), "第 1 个字符：没有 {n:3}：只有 2 条规则");
    // The list of known names includes the rule variables where they exist.
    assert!(error_text("{x}", scope).contains("{n}, {n:K}, {reset}, {peer}"));
}

fn error_text(input: &str, scope: Scope) -> String {
    fail(input, text(), scope).to_string()
}

#[test]
fn a_checksum_covers_only_what_its_render_writes() {
    let mut out = b"before".to_vec();
    Template::parse("01 {sum8}", &hex(), Scope::SEND)
        .unwrap()
        .render_into(Values::new(1, moment()), &mut out);
    assert_eq!(out, b"before\x01\x01");
}

#[test]
fn text_without_variables_is_fixed_and_shared() {
    let template = Template::parse("AA 55 01", &hex(), Scope::SEND).unwrap();
    let fixed = template.fixed().unwrap().clone();
    let sent = template.render(Values::new(9, moment()));
    assert_eq!(sent, fixed);
    assert_eq!(sent.as_ptr(), fixed.as_ptr(), "shared, not copied");
    assert_eq!(
        Template::parse("", &text(), Scope::SEND)
            .unwrap()
            .fixed()
            .map(Bytes::len),
        Some(0)
    );
}

#[test]
fn a_send_of_no_bytes_is_nothing_to_send() {
    for (input, options) in [("", text()), ("  ", hex()), (" , ", hex())] {
        assert_eq!(
            Template::parse_send(input, &options, Scope::SEND),
            Err(SendError::Nothing),
            "{input:?}"
        );
    }
    let error = SendError::Nothing;
    assert_eq!(error.to_string(), "nothing to send: it makes no bytes");
    assert_eq!(error.zh(), "没有可发送的内容：它不产生任何字节");
    // Something on the wire: a variable, a line ending, a checksum option.
    let crlf = SendOptions {
        line_ending: LineEnding::CrLf,
        ..text()
    };
    let sum8 = SendOptions {
        checksum: Checksum::Sum8,
        ..hex()
    };
    for (input, options) in [("{time}", text()), ("", crlf), (" ", sum8), ("00", hex())] {
        assert!(
            Template::parse_send(input, &options, Scope::SEND).is_ok(),
            "{input:?}"
        );
    }
    // Not a send: a rule's empty reply answers nothing.
    assert!(Template::parse("", &text(), Scope::SEND).is_ok());
}

#[test]
fn protected_text_reads_back_as_itself() {
    for typed in [
        "{counter}",
        "{{",
        "{{a}}",
        "{{{a}}}",
        r#"{"cmd":{"x":1}}"#,
        "{a:1}}{b}",
        "{n}{time}",
        "{{x}} }}",
        "}}{{",
        "{{{",
        "{x}}}}",
        "{ time }",
        "{Counter: 3}}",
        "{crc16-modbus}",
    ] {
        let protected = protect(typed, false, false, |_| false);
        assert_eq!(
            render(&protected, text(), 1),
            typed.as_bytes(),
            "{typed} as {protected}"
        );
    }
}
