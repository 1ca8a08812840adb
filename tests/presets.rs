//! Preset files: every field round-trips, a version-1 file keeps loading, broken files give their line and
//! column and no preset, and the example presets a newcomer opens load as they say.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use netassist::codec::{
    Checksum, ControlStyle, Framing, InputMode, LengthPrefix, LineEnding, Scope, Template,
    TextEncoding, Values,
};
use netassist::engine::Mode;
use netassist::preset::{
    DataView, FORMAT_VERSION, Field, ModeKind, Preset, PresetError, QuickCommand, Warning,
};

/// The checked-in version-1 preset, as it must load forever: brought up to this version, its quick
/// commands read as its send box was (hex), as version 1 sent them.
fn version_one() -> Preset {
    let quick = |name: &str, text: &str| QuickCommand {
        name: name.to_owned(),
        text: text.to_owned(),
        input: InputMode::Hex,
        encoding: TextEncoding::Gbk,
        escapes: true,
    };
    let mut preset = Preset {
        version: FORMAT_VERSION,
        mode: ModeKind::Udp,
        local_ip: "192.168.1.20".to_owned(),
        local_port: "7088".to_owned(),
        remote_host: "192.168.1.255".to_owned(),
        remote_port: "7089".to_owned(),
        broadcast: true,
        multicast_group: "239.1.2.3".to_owned(),
        max_clients: "8".to_owned(),
        echo: true,
        view: DataView::Both,
        encoding: TextEncoding::Gbk,
        control_style: ControlStyle::Symbols,
        framing: Framing::LengthPrefix {
            prefix: LengthPrefix::I32Le,
            counts_header: true,
        },
        quick: vec![quick("查询", "AA 55 01"), quick("reset", "AA 55 FF")],
        periodic_ms: "250".to_owned(),
        periodic_count: "10".to_owned(),
        ..Preset::default()
    };
    preset.send.input = InputMode::Hex;
    preset.send.encoding = TextEncoding::Gbk;
    preset.send.escapes = true;
    preset.send.line_ending = LineEnding::CrLf;
    preset.send.checksum = Checksum::Crc16Modbus;
    preset
}

fn syntax_error(text: &str) -> (usize, usize, String) {
    match Preset::from_ron(text) {
        Err(PresetError::Syntax { line, col, message }) => (line, col, message),
        other => panic!("expected a syntax error for {text:?}, got {other:?}"),
    }
}

#[test]
fn every_field_round_trips_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("every field.ron");
    let preset = version_one();
    // Each field differs from its default, so a field lost on the way would show.
    let default = Preset::default();
    assert_ne!(preset.mode, default.mode);
    assert_ne!(preset.send, default.send);
    preset.save(&path).unwrap();
    let loaded = Preset::load(&path).unwrap();
    assert_eq!(loaded.preset, preset);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    // Saving leaves no temporary file behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn the_checked_in_version_one_preset_keeps_loading() {
    let loaded = Preset::load(Path::new("tests/data/preset-v1.ron")).unwrap();
    assert_eq!(loaded.preset, version_one());
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn a_version_one_preset_sends_the_same_bytes_in_this_version() {
    // Version 1 sent in the display's encoding, whatever `send.encoding` said, and read quick commands
    // with the send box's options.
    let old = r#"(version: 1, encoding: Gbk, send: (input: Text, encoding: Utf8),
        quick: [(name: "hello", text: "你好")])"#;
    let preset = Preset::from_ron(old).unwrap().preset;
    assert_eq!(preset.version, FORMAT_VERSION);
    assert_eq!(preset.send.encoding, TextEncoding::Gbk);
    let quick = &preset.quick[0];
    assert_eq!(
        quick.options(preset.send).build("你好").unwrap(),
        [0xC4, 0xE3, 0xBA, 0xC3]
    );
    // Written by this version, a quick command without its mode is UTF-8 text, and the send box keeps
    // its own encoding.
    let new = r#"(version: 2, encoding: Gbk, send: (input: Hex, encoding: Utf8),
        quick: [(name: "hello", text: "你好")])"#;
    let preset = Preset::from_ron(new).unwrap().preset;
    assert_eq!(preset.send.encoding, TextEncoding::Utf8);
    let quick = &preset.quick[0];
    assert_eq!(
        (quick.input, quick.encoding, quick.escapes),
        (InputMode::Text, TextEncoding::Utf8, false)
    );
    assert_eq!(
        quick.options(preset.send).build("你好").unwrap(),
        "你好".as_bytes()
    );
}

#[test]
fn a_version_two_preset_sends_the_same_bytes_with_send_variables() {
    let loaded = Preset::load(Path::new("tests/data/preset-v2.ron")).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let preset = loaded.preset;
    assert_eq!(preset.version, FORMAT_VERSION);
    // What version 2 sent for each quick command: its text as typed, through the send pipeline.
    let old_text = [
        r#"{"cmd":{"id":1}}"#,
        "{counter} {cmd} $1",
        "{{x}} {{",
        r"\u{E9}{sum8}\r\n",
        "AA 55 01",
    ];
    let now = SystemTime::now();
    for (quick, old) in preset.quick.iter().zip(old_text) {
        let options = quick.options(preset.send);
        let sent = Template::parse(&quick.text, &options, Scope::SEND)
            .unwrap_or_else(|error| panic!("{}: {error}", quick.name))
            .render(Values::new(7, now));
        assert_eq!(
            sent,
            options.build(old).unwrap(),
            "{}: {}",
            quick.name,
            quick.text
        );
    }
    // JSON needed no change.
    assert_eq!(preset.quick[0].text, old_text[0]);
    // Replies keep the substitutions they had and send every other brace as before.
    let mut rules = preset.rules().unwrap();
    let peer = "127.0.0.1:5000".parse().unwrap();
    let reply = |rules: &mut netassist::rules::Rules, message: &[u8]| {
        rules.respond(message, peer, now).map(|r| r.bytes.to_vec())
    };
    assert_eq!(
        reply(&mut rules, b"ping").as_deref(),
        Some(&br#"{"seq":1,"of":0,"x":{y}} {{z}} {crc32}"#[..])
    );
    assert_eq!(
        reply(&mut rules, b"get speed").as_deref(),
        Some(&b"speed={N} {n:x}"[..])
    );
}

/// What the checked-in version-4 preset sends, as version 4 sent it. The bytes were printed by the last
/// build that read texts as version 4 did (commit 2cfa3a7's parent), loading this very file, with send
/// number 7 for quick commands, the rules' own counts, a check step's sends 1 and 2 after `v=42` matched,
/// peer 127.0.0.1:5000, and the time below.
#[test]
fn a_version_four_preset_sends_the_same_bytes() {
    let loaded = Preset::load(Path::new("tests/data/preset-v4.ron")).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let preset = loaded.preset;
    assert_eq!(preset.version, FORMAT_VERSION);
    let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
    // `{TIME}` wrote the local time of day, as `{time}` does.
    let clock = netassist::timestamp::clock_text(now);
    let upper_case = [b"at ", clock.as_bytes(), b" #007"].concat();
    let quick: [(&str, &[u8]); 11] = [
        ("doubled json", br#"{"a":1}}"#),
        ("doubled empty", b"{}}"),
        ("counter in braces", b"{7}}"),
        ("doubled name", b"{x}"),
        ("upper case", &upper_case),
        // CRC-16/MODBUS of "AB", low byte first, then the XOR of all four bytes.
        ("spelled", b"AB\xB1\xD1\x63"),
        ("json", br#"{"a":1}"#),
        ("plain", b"hello"),
        ("dollars", b"$$1 $2"),
        ("modbus", b"\x01\x03\x00\x00\x00\x01\x84\x0A"),
        ("escaped", b"A{x}{\n}}\r\n"),
    ];
    for ((name, old), command) in quick.iter().zip(&preset.quick) {
        assert_eq!(command.name, *name);
        let sent = Template::parse(&command.text, &command.options(preset.send), Scope::SEND)
            .unwrap_or_else(|error| panic!("{name}: {} gives {error}", command.text))
            .render(Values::new(7, now));
        assert_eq!(sent, old, "{name}: {}", command.text);
    }
    // A mistake then is a mistake now.
    let typo = &preset.quick[11];
    assert_eq!(typo.text, "{conter}");
    assert!(Template::parse(&typo.text, &typo.options(preset.send), Scope::SEND).is_err());

    let mut rules = preset.rules().unwrap();
    let peer = "127.0.0.1:5000".parse().unwrap();
    let replies: [(&[u8], &[u8]); 4] = [
        (b"get speed", br#"{"v":"speed"}} $speed 1 127.0.0.1:5000"#),
        (b"ping", br#"{1}} {}} {x} 1700000000123 {"a":1}"#),
        (b"ping", br#"{2}} {}} {x} 1700000000123 {"a":1}"#),
        (b"\x01\x03\xAA\xBB", b"\x01\x03\xAA\xBB\xCF\x0B"),
    ];
    for (message, old) in replies {
        let reply = rules.respond(message, peer, now).map(|r| r.bytes.to_vec());
        assert_eq!(reply.as_deref(), Some(old), "{}", message.escape_ascii());
    }

    let steps = netassist::check::outline(&preset.checks[0].steps);
    let sends: Vec<&netassist::check::Step> = steps
        .iter()
        .map(|item| item.step)
        .filter(|step| step.kind() == "send")
        .collect();
    let captures: [&[u8]; 2] = [b"v=42", b"42"];
    let old: [[&[u8]; 2]; 2] = [
        [
            b"{1}} $42=42 {\"a\":1}} {}} {x} \xDD",
            b"{2}} $42=42 {\"a\":1}} {}} {x} \xDE",
        ],
        [b"{\"a\":1} hello"; 2],
    ];
    assert_eq!(sends.len(), old.len());
    for (step, old) in sends.into_iter().zip(old) {
        let netassist::check::Step::Send { text, .. } = step else {
            unreachable!()
        };
        let options = step.send_options(preset.send).unwrap();
        let template = Template::parse(text, &options, Scope::with_captures(1))
            .unwrap_or_else(|error| panic!("{text}: {error}"));
        for (counter, old) in (1..).zip(old) {
            let values = Values::new(counter, now).with_captures(&captures);
            assert_eq!(template.render(values), old, "{text} #{counter}");
        }
    }
    // The check compiles for the preset, as it did.
    preset.compile_check(&preset.checks[0]).unwrap();
}

#[test]
fn an_upgraded_preset_saves_as_this_version_and_reloads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upgraded.ron");
    let upgraded = Preset::load(Path::new("tests/data/preset-v4.ron"))
        .unwrap()
        .preset;
    upgraded.save(&path).unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        saved.contains(&format!("version: {FORMAT_VERSION},")),
        "{saved}"
    );
    assert_eq!(FORMAT_VERSION, 6);
    // Loaded again, nothing is rewritten a second time.
    let reloaded = Preset::load(&path).unwrap();
    assert!(reloaded.warnings.is_empty(), "{:?}", reloaded.warnings);
    assert_eq!(reloaded.preset, upgraded);
    assert_eq!(reloaded.preset.quick[2].text, "{{{counter}}}}");
}

#[test]
fn a_version_two_reply_keeps_its_dollar_signs() {
    // Version 2 read `$$1` as a `$` and capture 1, and `$$` as two dollar signs.
    let old =
        r#"(version: 2, rules: [(matcher: Regex("^get (\\w+)$"), reply: Text("$$1 costs $$"))])"#;
    let preset = Preset::from_ron(old).unwrap().preset;
    let mut rules = preset.rules().unwrap();
    let peer = "127.0.0.1:5000".parse().unwrap();
    let reply = rules.respond(b"get tea", peer, SystemTime::now()).unwrap();
    assert_eq!(reply.bytes.as_ref(), b"$tea costs $$");
}

#[test]
fn missing_fields_take_defaults_and_numbers_may_be_bare() {
    let loaded = Preset::from_ron("(mode: TcpClient, remote_port: 8080)").unwrap();
    assert_eq!(loaded.preset.mode, ModeKind::TcpClient);
    assert_eq!(loaded.preset.remote_port, "8080");
    assert_eq!(loaded.preset.local_ip, Preset::default().local_ip);
    assert_eq!(loaded.preset.version, FORMAT_VERSION);
}

#[test]
fn unknown_fields_are_skipped_and_named() {
    let loaded = Preset::from_ron("(local_prot: \"10001\", echo: true, colour: Blue)").unwrap();
    assert!(loaded.preset.echo);
    assert_eq!(loaded.preset.local_port, Preset::default().local_port);
    assert_eq!(
        loaded.warnings,
        [
            Warning::UnknownField("local_prot".to_owned()),
            Warning::UnknownField("colour".to_owned())
        ]
    );
    assert!(loaded.warnings[0].to_string().contains("local_prot"));
    assert!(loaded.warnings[0].zh().contains("local_prot"));
}

#[test]
fn a_newer_version_loads_with_a_warning() {
    let loaded = Preset::from_ron("(version: 9, local_port: \"1234\")").unwrap();
    assert_eq!(loaded.preset.local_port, "1234");
    assert_eq!(loaded.warnings, [Warning::NewerVersion(9)]);
    assert!(loaded.warnings[0].to_string().contains("newer"));
    // Saving stamps this build's version.
    let again = Preset::from_ron(&loaded.preset.to_ron()).unwrap();
    assert_eq!(again.preset.version, FORMAT_VERSION);
}

#[test]
fn broken_files_give_line_and_column_and_no_preset() {
    // Malformed: a missing comma between fields on line 3.
    let (line, col, _) =
        syntax_error("Preset(\n    mode: Udp,\n    echo: true\n    broadcast: true,\n)");
    assert_eq!((line, col), (4, 5));
    // Truncated mid-way.
    let (line, _, _) = syntax_error("Preset(\n    mode: Udp,\n    local_ip: \"10.0");
    assert_eq!(line, 3);
    // A wrong type: a list where text belongs.
    let (line, col, message) = syntax_error("Preset(\n  local_ip: [1, 2],\n)");
    assert_eq!(line, 2);
    assert!(
        (12..=13).contains(&col),
        "column {col} should point at the list"
    );
    assert!(!message.is_empty());
    // A wrong enum value.
    let (line, _, message) = syntax_error("(mode: TcpSever)");
    assert_eq!(line, 1);
    assert!(message.contains("TcpSever"), "{message}");

    let error = Preset::from_ron("Preset(\n  echo: maybe,\n)").unwrap_err();
    let en = error.to_string();
    assert!(en.contains("line 2, column"), "{en}");
    assert!(en.contains("Nothing was changed"), "{en}");
    assert!(error.zh().contains("第 2 行"), "{}", error.zh());
}

#[test]
fn an_empty_or_missing_file_says_so() {
    assert!(matches!(Preset::from_ron(""), Err(PresetError::Empty)));
    assert!(matches!(Preset::from_ron(" \n\t"), Err(PresetError::Empty)));
    let error = Preset::load(Path::new("tests/data/no such preset.ron")).unwrap_err();
    assert!(matches!(error, PresetError::Io { .. }));
    assert!(error.to_string().contains("no such preset.ron"), "{error}");
}

#[test]
fn a_failed_save_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.ron");
    Preset::default().save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    // A directory where the temporary file would go makes the save fail.
    std::fs::create_dir(dir.path().join("board.ron.saving")).unwrap();
    let error = version_one().save(&path).unwrap_err();
    assert!(matches!(error, PresetError::Io { .. }), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn the_example_presets_load_as_they_say() {
    let board = Preset::load(Path::new("assets/presets/board-check.ron")).unwrap();
    assert!(board.warnings.is_empty());
    let config = board.preset.session().unwrap();
    assert_eq!(
        config.mode,
        Mode::TcpServer {
            bind: "0.0.0.0:10000".parse().unwrap(),
            max_clients: None
        }
    );
    assert!(!config.echo);
    assert_eq!(board.preset.framing, Framing::Raw);

    let udp = Preset::load(Path::new("assets/presets/udp-echo-7088.ron")).unwrap();
    assert!(udp.warnings.is_empty());
    let config = udp.preset.session().unwrap();
    assert!(config.echo);
    assert!(
        matches!(config.mode, Mode::Udp { bind, remote: None, .. } if bind.port() == 7088),
        "{:?}",
        config.mode
    );
}

#[test]
fn rules_round_trip_and_reach_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.ron");
    let mut preset = version_one();
    preset.rules = ["regex:^look$=>OK {n}", "hex:01 03 *=>[20ms]hex:01 83 02"]
        .iter()
        .map(|rule| rule.parse().unwrap())
        .collect();
    preset.rules[1].enabled = false;
    preset.save(&path).unwrap();
    let loaded = Preset::load(&path).unwrap();
    assert_eq!(loaded.preset, preset);
    let config = loaded.preset.session().unwrap();
    assert_eq!(config.rules.rules(), preset.rules.as_slice());

    preset.rules[0] = "regex:^(look$=>x".parse().unwrap();
    let error = preset.session().unwrap_err();
    assert_eq!(error.field, Field::Rules);
    assert!(
        error
            .en
            .starts_with("Rule 1: the regular expression does not compile"),
        "{}",
        error.en
    );
}

#[test]
fn the_seed_exercise_preset_counts_clears_and_shows() {
    let loaded = Preset::load(Path::new("assets/presets/look-pass-counter.ron")).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let mut rules = loaded.preset.session().unwrap().rules;
    let peer = "127.0.0.1:5000".parse().unwrap();
    let mut answer = |message: &str| {
        let response = rules.respond(message.as_bytes(), peer, SystemTime::now());
        String::from_utf8(response.unwrap().bytes.to_vec()).unwrap()
    };
    for message in ["look", "pass", "look"] {
        answer(message);
    }
    assert_eq!(answer("show"), "look 2, pass 1");
    assert_eq!(answer("clear"), "cleared");
    assert_eq!(answer("show"), "look 0, pass 0");
}

#[test]
fn presets_from_before_checks_load_with_none_and_checks_round_trip() {
    for old in ["tests/data/preset-v1.ron", "tests/data/preset-v2.ron"] {
        let loaded = Preset::load(Path::new(old)).unwrap();
        assert!(loaded.warnings.is_empty(), "{old}: {:?}", loaded.warnings);
        assert!(loaded.preset.checks.is_empty(), "{old}");
        assert_eq!(loaded.preset.version, FORMAT_VERSION);
    }
    let version_three = Preset::from_ron("(version: 3, mode: TcpClient)").unwrap();
    assert!(version_three.warnings.is_empty());
    assert!(version_three.preset.checks.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checks.ron");
    let mut preset = Preset::load(Path::new("assets/presets/board-check.ron"))
        .unwrap()
        .preset;
    preset.checks.push(netassist::check::Check {
        name: "every step".to_owned(),
        steps: netassist::check::Step::kinds().to_vec(),
    });
    preset.save(&path).unwrap();
    let loaded = Preset::load(&path).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.preset.checks, preset.checks);
    // A mistyped step field is named, not silently lost.
    let typo = Preset::from_ron(
        r#"(checks: [(name: "c", steps: [Expect(matcher: Contains("x"), withn_ms: 5)])])"#,
    )
    .unwrap();
    assert_eq!(typo.warnings.len(), 1, "{:?}", typo.warnings);
}

/// The examples are what users copy: each is written in this build's format, so saving one changes nothing
/// but what the user changed (raise their version with the format, after checking what their texts send).
#[test]
fn the_example_presets_are_written_in_this_format() {
    for entry in std::fs::read_dir("assets/presets").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let written = Preset::from_ron(&text).unwrap();
        assert!(
            written.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            written.warnings
        );
        assert!(
            text.contains(&format!("version: {FORMAT_VERSION},")),
            "{} is not stamped with format {FORMAT_VERSION}",
            path.display()
        );
    }
}

#[test]
fn every_example_check_compiles_for_its_preset() {
    for (file, names) in [
        ("board-check.ron", &["board"][..]),
        ("look-pass-check.ron", &["counter"]),
        ("hash-echo-check.ron", &["echo"]),
        ("length-prefix-check.ron", &["messages"]),
    ] {
        let loaded = Preset::load(&Path::new("assets/presets").join(file)).unwrap();
        assert!(loaded.warnings.is_empty(), "{file}: {:?}", loaded.warnings);
        let preset = loaded.preset;
        let found: Vec<&str> = preset.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(found, names, "{file}");
        for check in &preset.checks {
            preset
                .compile_check(check)
                .unwrap_or_else(|e| panic!("{file}: {e}"));
        }
        preset
            .session()
            .unwrap_or_else(|e| panic!("{file}: {}", e.en));
    }
}
