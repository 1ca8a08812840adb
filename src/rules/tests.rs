use super::*;
use crate::codec::{Framing, FramingError, SendError, VariableError};

const PEER: &str = "192.168.1.50:4001";

fn rules(list: &[&str]) -> Rules {
    let parsed: Vec<Rule> = list.iter().map(|r| r.parse().unwrap()).collect();
    Rules::new(&parsed, TextEncoding::Utf8, FramerConfig::default()).unwrap()
}

fn answer(rules: &mut Rules, message: &[u8]) -> Option<Vec<u8>> {
    rules
        .respond(message, PEER.parse().unwrap(), SystemTime::now())
        .map(|r| r.bytes.to_vec())
}

#[test]
fn exact_matches_the_whole_message_only() {
    let mut r = rules(&["exact:look=>seen"]);
    assert_eq!(answer(&mut r, b"look").as_deref(), Some(&b"seen"[..]));
    assert_eq!(answer(&mut r, b"looking"), None);
    assert_eq!(answer(&mut r, b"Look"), None);
}

#[test]
fn contains_finds_text_anywhere_with_escapes() {
    let mut r = rules(&[r"contains:\x02go=>ok\r\n"]);
    assert_eq!(
        answer(&mut r, b"..\x02go..").as_deref(),
        Some(&b"ok\r\n"[..])
    );
    assert_eq!(answer(&mut r, b"go"), None);
}

#[test]
fn regex_captures_and_the_whole_message() {
    let mut r = rules(&[r"regex:^set (\w+)=(\d+)$=>$1 is now $2 ($0)"]);
    assert_eq!(
        answer(&mut r, b"set speed=42").as_deref(),
        Some(&b"speed is now 42 (set speed=42)"[..])
    );
    // Non-UTF-8 messages are matched as bytes.
    let mut bytes = rules(&[r"regex:(?-u:\xFF)(.)=>got $1"]);
    assert_eq!(
        answer(&mut bytes, b"\x00\xFFA").as_deref(),
        Some(&b"got A"[..])
    );
}

#[test]
fn hex_patterns_match_whole_messages_with_wildcards() {
    let mut r = rules(&["hex:01 03 ?? *=>hex:01 83 $1 $2"]);
    assert_eq!(
        answer(&mut r, &[1, 3, 0xAA, 7, 8]).as_deref(),
        Some(&[1, 0x83, 0xAA, 7, 8][..])
    );
    assert_eq!(answer(&mut r, &[1, 3]), None, "?? needs a byte");
    assert_eq!(answer(&mut r, &[0, 1, 3, 9]), None, "anchored at the start");
    let mut plain = rules(&["hex:AA55=>hex:01"]);
    assert_eq!(answer(&mut plain, &[0xAA, 0x55]).as_deref(), Some(&[1][..]));
    assert_eq!(
        answer(&mut plain, &[0xAA, 0x55, 0]),
        None,
        "anchored at the end"
    );
}

#[test]
fn counters_time_and_peer() {
    let mut r = rules(&["exact:look=>look {n}", "exact:who=>{peer} at {time}"]);
    assert_eq!(answer(&mut r, b"look").as_deref(), Some(&b"look 1"[..]));
    assert_eq!(answer(&mut r, b"look").as_deref(), Some(&b"look 2"[..]));
    let who = String::from_utf8(answer(&mut r, b"who").unwrap()).unwrap();
    assert!(who.starts_with("192.168.1.50:4001 at "), "{who}");
    // HH:MM:SS.mmm
    assert_eq!(who.len(), "192.168.1.50:4001 at ".len() + 12, "{who}");
    assert_eq!(r.counts(), [2, 1]);
}

#[test]
fn replies_use_the_send_variables() {
    let mut r = rules(&[
        "hex:01 03 *=>hex:01 03 $1 {crc16modbus}",
        r#"exact:json=>{"seq":{counter:3},"ok":true}"#,
    ]);
    let mut expected = vec![0x01, 0x03, 0x00, 0x0A];
    crate::codec::Checksum::Crc16Modbus.append(&mut expected);
    assert_eq!(
        answer(&mut r, &[0x01, 0x03, 0x00, 0x0A]),
        Some(expected),
        "the checksum covers the reply's bytes before it, capture included"
    );
    assert_eq!(
        answer(&mut r, b"json").as_deref(),
        Some(&br#"{"seq":001,"ok":true}"#[..])
    );
    assert_eq!(
        answer(&mut r, b"json").as_deref(),
        Some(&br#"{"seq":002,"ok":true}"#[..]),
        "{{counter}} is the rule's count"
    );
}

#[test]
fn counter_and_n_are_the_same_live_count_around_a_reset() {
    let mut r = rules(&["exact:a=>[{n}|{counter}|{reset}|{n}|{counter}|{counter:2}]"]);
    assert_eq!(answer(&mut r, b"a").as_deref(), Some(&b"[1|1||0|0|00]"[..]));
    assert_eq!(answer(&mut r, b"a").as_deref(), Some(&b"[1|1||0|0|00]"[..]));
    let mut r = rules(&["exact:a=>hex:{counter} {reset} {counter}"]);
    assert_eq!(answer(&mut r, b"a").as_deref(), Some(&[1, 0][..]));
}

#[test]
fn a_variable_typo_is_named_with_its_rule_and_position() {
    let rule: Rule = "exact:look=>seen {conter}".parse().unwrap();
    let error = Rules::new(&[rule], TextEncoding::Utf8, FramerConfig::default()).unwrap_err();
    assert_eq!(error.rule, Some(1));
    let message = error.to_string();
    assert!(
        message.starts_with(
            "Rule 1: 'seen {conter}' in the reply is not valid: position 6: unknown variable 'conter'"
        ),
        "{message}"
    );
    assert!(
        message.contains("{peer}"),
        "rule variables are listed: {message}"
    );
    assert!(
        error
            .zh()
            .starts_with("规则 1：回复中的“seen {conter}”无效：第 6 个字符：未知变量 'conter'"),
        "{}",
        error.zh()
    );
}

#[test]
fn first_enabled_match_wins() {
    let mut list: Vec<Rule> = [
        "contains:a=>first",
        "contains:ab=>second",
        "contains:b=>third",
    ]
    .iter()
    .map(|r| r.parse().unwrap())
    .collect();
    let mut r = Rules::new(&list, TextEncoding::Utf8, FramerConfig::default()).unwrap();
    assert_eq!(answer(&mut r, b"ab").as_deref(), Some(&b"first"[..]));
    list[0].enabled = false;
    let mut r = Rules::new(&list, TextEncoding::Utf8, FramerConfig::default()).unwrap();
    assert_eq!(answer(&mut r, b"ab").as_deref(), Some(&b"second"[..]));
    assert_eq!(answer(&mut r, b"xyz"), None);
}

#[test]
fn the_seed_exercise_counts_clears_and_shows() {
    let mut r = rules(&[
        "exact:look=>",
        "exact:pass=>",
        "exact:clear=>{reset}cleared",
        "exact:show=>look={n:1} pass={n:2}",
    ]);
    for message in ["look", "look", "pass"] {
        assert_eq!(
            answer(&mut r, message.as_bytes()).as_deref(),
            Some(&b""[..])
        );
    }
    assert_eq!(
        answer(&mut r, b"show").as_deref(),
        Some(&b"look=2 pass=1"[..])
    );
    assert_eq!(answer(&mut r, b"clear").as_deref(), Some(&b"cleared"[..]));
    assert_eq!(answer(&mut r, b"pass").as_deref(), Some(&b""[..]));
    assert_eq!(
        answer(&mut r, b"show").as_deref(),
        Some(&b"look=0 pass=1"[..])
    );
}

#[test]
fn a_regex_that_cannot_compile_is_reported_with_its_rule() {
    let list: Vec<Rule> = ["exact:a=>b", "regex:^(look$=>x"]
        .iter()
        .map(|r| r.parse().unwrap())
        .collect();
    let error = Rules::new(&list, TextEncoding::Utf8, FramerConfig::default()).unwrap_err();
    assert!(
        matches!(error.problem, RuleProblem::Regex(_)) && error.rule == Some(2),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with("Rule 2: the regular expression does not compile"),
        "{message}"
    );
    assert!(message.contains("unclosed group"), "{message}");
    assert!(
        error.zh().starts_with("规则 2：正则表达式无法编译"),
        "{}",
        error.zh()
    );
}

#[test]
fn bad_pieces_and_missing_captures_are_reported() {
    assert!(matches!(
        bad("hex:AA G1=>x"),
        RuleError {
            problem: RuleProblem::Piece { pattern: true, .. },
            ..
        }
    ));
    assert!(matches!(
        bad("hex:AA ?=>x"),
        RuleError {
            problem: RuleProblem::Piece { pattern: true, .. },
            ..
        }
    ));
    assert!(matches!(
        bad(r"exact:a=>\q"),
        RuleError {
            problem: RuleProblem::Piece { pattern: false, .. },
            ..
        }
    ));
    assert!(matches!(
        bad("exact:a=>hex:A"),
        RuleError {
            problem: RuleProblem::Piece { pattern: false, .. },
            ..
        }
    ));
    let missing = bad("regex:(a)=>got $2");
    assert_eq!(
        missing,
        RuleError::from(RuleProblem::Piece {
            pattern: false,
            piece: "got $2".into(),
            error: SendError::Variable(VariableError::NoSuchCapture {
                position: 5,
                typed: "$2".into(),
                available: 1
            })
        })
        .in_rule(1)
    );
    assert!(matches!(
        bad("exact:a=>{n:2}").problem,
        RuleProblem::Piece {
            error: SendError::Variable(VariableError::NoSuchRule { rule: 2, .. }),
            ..
        }
    ));
    let framing = Rules::new(
        &[],
        TextEncoding::Utf8,
        Framing::FixedLength { len: 0 }.into(),
    );
    assert_eq!(
        framing.unwrap_err(),
        RuleError::from(RuleProblem::Framing(FramingError::ZeroLength))
    );
}

#[test]
fn the_command_line_form_round_trips() {
    for text in [
        "exact:look=>OK",
        "contains:a b=>[250ms]later",
        "regex:^x=>y$=>$0",
        "hex:01 ?? *=>hex:$1 FF",
        "exact:=>",
    ] {
        let rule: Rule = text.parse().unwrap();
        assert_eq!(rule.to_string(), text);
    }
    let regex: Rule = "regex:^x=>y$=>$0".parse().unwrap();
    assert_eq!(
        regex.matcher,
        Match::Regex("^x".into()),
        "the pattern ends at the first =>"
    );
    for bad in ["look=>OK", "fuzzy:a=>b", "exact:a", "exact:a=>[xms]b"] {
        let error = bad.parse::<Rule>().unwrap_err();
        assert!(error.to_string().contains("KIND:PATTERN=>REPLY"), "{error}");
    }
}

#[test]
fn text_is_written_in_the_session_encoding() {
    let rule: Rule = "exact:你好=>好".parse().unwrap();
    let mut gbk = Rules::new(&[rule], TextEncoding::Gbk, FramerConfig::default()).unwrap();
    let reply = gbk.respond(
        &[0xC4, 0xE3, 0xBA, 0xC3],
        PEER.parse().unwrap(),
        SystemTime::now(),
    );
    assert_eq!(reply.unwrap().bytes.as_ref(), [0xBA, 0xC3]);
}

#[test]
fn delays_and_equality_ignore_counts() {
    let mut r = rules(&["exact:a=>[40ms]b"]);
    let reply = r
        .respond(b"a", PEER.parse().unwrap(), SystemTime::now())
        .unwrap();
    assert_eq!(reply.delay, Duration::from_millis(40));
    assert_eq!(r, rules(&["exact:a=>[40ms]b"]));
    assert_ne!(r, rules(&["exact:a=>b"]));
}

/// `text` in `encoding`.
fn encoded(text: &str, encoding: TextEncoding) -> Vec<u8> {
    let mut out = Vec::new();
    encoding.encode_into(text, &mut out).unwrap();
    out
}

fn rules_in(list: &[&str], encoding: TextEncoding) -> Rules {
    let parsed: Vec<Rule> = list.iter().map(|r| r.parse().unwrap()).collect();
    Rules::new(&parsed, encoding, FramerConfig::default()).unwrap()
}

#[test]
fn a_regex_sees_gbk_and_gb18030_text_as_text() {
    let gbk = TextEncoding::Gbk;
    let mut r = rules_in(&["regex:^(.+) (.+)$=>ok $2", "regex:查询=>ok"], gbk);
    // 查询 温度 in GBK: the groups are whole characters, and the reply writes them as the device sent them.
    let message = [0xB2, 0xE9, 0xD1, 0xAF, 0x20, 0xCE, 0xC2, 0xB6, 0xC8];
    assert_eq!(message.to_vec(), encoded("查询 温度", gbk));
    assert_eq!(
        answer(&mut r, &message),
        Some([b"ok ".as_slice(), &[0xCE, 0xC2, 0xB6, 0xC8]].concat())
    );
    assert_eq!(
        answer(&mut r, &encoded("查询", gbk)).as_deref(),
        Some(&b"ok"[..])
    );

    // GB18030 writes 😀 in four bytes; `.` takes it whole.
    let gb18030 = TextEncoding::Gb18030;
    let mut r = rules_in(&["regex:^(.)(.)=(.*)$=>$2$1 温度$3"], gb18030);
    let reply = answer(&mut r, &encoded("😀温=25℃", gb18030)).unwrap();
    assert_eq!(reply, encoded("温😀 温度25℃", gb18030));
}

#[test]
fn a_message_that_is_not_text_in_the_encoding_is_matched_as_bytes() {
    // FF is no GBK byte, so the regex sees the bytes, as with UTF-8.
    let mut r = rules_in(&[r"regex:(?-u:\xFF)(.)=>got $1"], TextEncoding::Gbk);
    assert_eq!(answer(&mut r, b"\x00\xFFA").as_deref(), Some(&b"got A"[..]));
    // A character cut off at the end is not text either; the literal 查 (UTF-8) is not in its bytes.
    let mut r = rules_in(&["regex:查=>found"], TextEncoding::Gbk);
    assert_eq!(answer(&mut r, &[0xB2, 0xE9, 0xD1]), None);
    assert_eq!(
        answer(&mut r, &[0xB2, 0xE9, 0xD1, 0xAF]).as_deref(),
        Some(&b"found"[..])
    );
}

#[test]
fn an_expect_finds_gbk_text_and_its_groups_in_the_bytes() {
    let gbk = TextEncoding::Gbk;
    let pattern = Pattern::new(&Match::Regex("温度=(\\d+)".into()), gbk).unwrap();
    let mut stream = encoded("状态 温度=25℃", gbk);
    let (end, groups) = pattern.find(&stream).unwrap();
    // 状态 and a space are 5 bytes, 温度= 5 more.
    assert_eq!(end, 12);
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0], 10..12);
    assert_eq!(pattern.match_end(&stream), Some(12));
    assert!(pattern.is_match(&stream));
    assert_eq!(pattern.groups(), 1);
    // The same regex in a UTF-8 session looks at the bytes and does not find GBK text.
    let utf8 = Pattern::new(&Match::Regex("温度=(\\d+)".into()), TextEncoding::Utf8).unwrap();
    assert!(!utf8.is_match(&stream));
    // Hex patterns stay about bytes whatever the encoding.
    let hex = Pattern::new(&Match::Hex("CE C2 *".into()), gbk).unwrap();
    stream = vec![0xCE, 0xC2, 0xFF];
    let (end, groups) = hex.find(&stream).unwrap();
    assert_eq!((end, groups.len(), groups[0].clone()), (3, 1, 2..3));
}

/// Why the one rule `rule` cannot be used.
fn bad(rule: &str) -> RuleError {
    let rule: Rule = rule.parse().unwrap();
    Rules::new(&[rule], TextEncoding::Utf8, FramerConfig::default()).unwrap_err()
}

/// Checks that the message of why `rule` cannot be used ends with `end`.
fn says_at_the_end(rule: &str, end: &str) {
    let error = bad(rule).to_string();
    assert!(error.ends_with(end), "{error}");
}

#[test]
fn missing_captures_and_counts_are_named_with_their_position_and_what_there_is() {
    let error = bad("regex:^(a)$=>got $2");
    assert_eq!(
        error.to_string(),
        "Rule 1: 'got $2' in the reply is not valid: position 5: there is no $2: the pattern captures \
         one part, $1 (a regex's group or a hex pattern's wildcard); $0 is the whole message, and $$ \
         writes a $"
    );
    assert_eq!(
        error.zh(),
        "规则 1：回复中的“got $2”无效：第 5 个字符：没有 $2：模式只捕获了 1 个部分（$1：正则的分组或十六进制模式的通配符）；$0 为整条消息；$$ 表示字面的 $"
    );
    says_at_the_end(
        "hex:01 ?? *=>hex:$3",
        "there is no $3: the pattern captures 2 parts, $1 to $2 (a regex's groups or a hex pattern's \
         wildcards); $0 is the whole message, and $$ writes a $",
    );
    says_at_the_end(
        "exact:a=>$1",
        "position 1: there is no $1: the pattern captures nothing (a regex's groups and a hex \
         pattern's wildcards are captures); $0 is the whole message, and $$ writes a $",
    );
    // Rules count from 1.
    let error = bad("exact:a=>{n:0}");
    assert_eq!(
        error.to_string(),
        "Rule 1: '{n:0}' in the reply is not valid: position 1: there is no {n:0}: rules count from 1 \
         ({n:1} is the first rule's count)"
    );
    assert!(error.zh().contains("规则从 1 开始编号"), "{}", error.zh());
    says_at_the_end(
        "exact:a=>n={n:2}",
        "position 3: there is no {n:2}: there is only 1 rule",
    );
    says_at_the_end(
        "exact:a=>{n:x}",
        "{n:x} needs a whole number from 1 to 1 after ':'",
    );
}

#[test]
fn two_dollars_write_one_in_a_reply() {
    let mut r = rules(&["regex:^price (\\d+)$=>$$1 costs $$$1, $$$$ is $$$$"]);
    assert_eq!(
        answer(&mut r, b"price 5").as_deref(),
        Some(&b"$1 costs $5, $$ is $$"[..])
    );
    // Where there are no captures a $ is a $, two are two.
    assert_eq!(
        Template::parse("$$1", &SendOptions::default(), Scope::SEND)
            .unwrap()
            .fixed()
            .map(|b| b.to_vec()),
        Some(b"$$1".to_vec())
    );
}
