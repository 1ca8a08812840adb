//! The window driven like a person would, without a GPU: `egui_kittest` finds widgets by their label and role,
//! clicks and types, and the tests check what the app did. Network traffic stays on loopback.
#![allow(clippy::unwrap_used)]

#[path = "common/tshark.rs"]
mod tshark;
mod window;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use netassist::codec::{InputMode, TextEncoding};
use netassist::engine::Direction;
use netassist::preset::{ModeKind, Preset, QuickCommand};
use netassist::traffic::RowKind;
use netassist::ui::files::Pending;
use netassist::ui::{Lang, NetAssistApp, Settings};
use window::*;

fn rows_text(app: &NetAssistApp, dir: Direction) -> Vec<String> {
    let log = app.log();
    (0..log.len())
        .filter_map(|i| log.row(i))
        .filter_map(|row| match &row.kind {
            RowKind::Data { dir: d, bytes, .. } if *d == dir => {
                Some(String::from_utf8_lossy(bytes).into_owned())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn main_story_board_connects_greets_and_echoes() {
    let mut harness = harness(settings());
    let addr = open(&mut harness);

    // The board: connects, greets, then echoes what it reads, like board_client.py.
    let board = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.write_all(b"Hello 01Studio!").unwrap();
        let mut buf = [0u8; 128];
        let n = stream.read(&mut buf).unwrap();
        stream.write_all(&buf[..n]).unwrap();
        // The session's Close reaches the board as end of stream.
        stream.read(&mut buf).unwrap()
    });
    step_until(&mut harness, "the greeting", |app| {
        rows_text(app, Direction::Rx) == ["Hello 01Studio!"]
    });
    let peer_addr = harness
        .state()
        .log()
        .peers()
        .next()
        .unwrap()
        .addr
        .to_string();
    harness
        .get_by_role_and_label(Role::Button, &peer_addr)
        .click();
    harness.run();

    let message = harness.get_by_role_and_label(Role::MultilineTextInput, "Message");
    message.focus();
    message.type_text("hello");
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    harness.run();
    step_until(&mut harness, "the echo", |app| {
        rows_text(app, Direction::Rx) == ["Hello 01Studio!", "hello"]
    });
    let app = harness.state();
    assert_eq!(rows_text(app, Direction::Tx), ["hello"]);
    let totals = app.log().totals();
    assert_eq!((totals.rx_bytes, totals.tx_bytes), (20, 5));
    let history: Vec<&str> = app
        .settings
        .history
        .iter()
        .map(|h| h.text.as_str())
        .collect();
    assert_eq!(history, ["hello"]);

    harness.get_by_role_and_label(Role::Button, "Close").click();
    harness.run();
    assert!(!harness.state().is_open());
    assert_eq!(
        board.join().unwrap(),
        0,
        "the board sees the connection close"
    );
}

#[test]
fn bad_port_and_bad_ip_are_refused_at_the_field() {
    let mut harness = harness(with(Preset {
        local_port: "70000".to_owned(),
        ..preset()
    }));
    harness.get_by_role_and_label(Role::Button, "Open").click();
    harness.run();
    assert!(!harness.state().is_open());
    harness.get_by_label_contains("Port '70000' is not a number from 0 to 65535");

    harness.state_mut().settings.preset.local_port = "0".to_owned();
    harness.state_mut().settings.preset.local_ip = "192.168.1.300".to_owned();
    harness.get_by_role_and_label(Role::Button, "Open").click();
    harness.run();
    assert!(!harness.state().is_open());
    harness.get_by_label_contains("'192.168.1.300' is not an IP address");
}

#[test]
fn a_port_in_use_says_so_and_the_app_goes_on() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut harness = harness(with(Preset {
        local_port: port.to_string(),
        ..preset()
    }));
    harness.get_by_role_and_label(Role::Button, "Open").click();
    harness.run();
    step_until(&mut harness, "the session to end", |app| !app.is_open());
    // In the status bar and as a row of the log.
    let message = format!("Port {port} is already in use");
    assert!(harness.get_all_by_label_contains(&message).count() >= 1);
    // Still usable: the Open button is back.
    harness.get_by_role_and_label(Role::Button, "Open");
}

#[test]
fn a_hex_typo_names_its_position_and_sends_nothing() {
    let mut harness = harness(settings());
    let addr = open(&mut harness);
    let _client = TcpStream::connect(addr).unwrap();
    step_until(&mut harness, "the client", |app| {
        app.log().connected_peers() == 1
    });
    harness
        .get_by_role_and_label(Role::RadioButton, "HEX")
        .click();
    harness.run();
    let message = harness.get_by_role_and_label(Role::MultilineTextInput, "Message");
    message.focus();
    message.type_text("AA 5G");
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    harness.get_by_label_contains("position 5: 'G' is not a hex digit");
    assert_eq!(harness.state().log().totals().tx_bytes, 0);

    harness.state_mut().settings.send_text.clear();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    harness.get_by_label_contains("Nothing to send");
}

/// Clicks the Text or HEX switch of the send box.
fn switch_input(harness: &mut Harness<'_, NetAssistApp>, to: &str) {
    harness.get_by_role_and_label(Role::RadioButton, to).click();
    harness.run();
}

#[test]
fn switching_text_and_hex_converts_the_send_box_in_its_encoding() {
    let mut gbk = preset();
    gbk.send.encoding = TextEncoding::Gbk;
    let mut harness = harness(with(gbk));
    let message = harness.get_by_role_and_label(Role::MultilineTextInput, "Message");
    message.focus();
    message.type_text("你好");
    harness.run();
    switch_input(&mut harness, "HEX");
    let app = harness.state();
    assert_eq!(app.settings.send_text, "C4 E3 BA C3");
    assert_eq!(app.settings.preset.send.input, InputMode::Hex);
    switch_input(&mut harness, "Text");
    assert_eq!(harness.state().settings.send_text, "你好");
    assert_eq!(harness.state().settings.preset.send.input, InputMode::Text);

    // A Modbus request is no text: it stays hex, and the window says why, in either language.
    switch_input(&mut harness, "HEX");
    harness.state_mut().settings.send_text = "01 03 00 00 00 01".to_owned();
    harness.run();
    switch_input(&mut harness, "Text");
    let app = harness.state();
    assert_eq!(app.settings.send_text, "01 03 00 00 00 01");
    assert_eq!(app.settings.preset.send.input, InputMode::Hex);
    harness.get_by_label_contains("Still hex: byte 1 (01) is a control character");
    harness.get_by_role_and_label(Role::Button, "中文").click();
    harness.run();
    harness.get_by_label_contains("仍为十六进制：第 1 个字节（01）是控制字符");
}

#[test]
fn a_hex_typo_is_named_while_typing_and_goes_when_fixed() {
    let mut harness = harness(settings());
    switch_input(&mut harness, "HEX");
    let message = harness.get_by_role_and_label(Role::MultilineTextInput, "Message");
    message.focus();
    message.type_text("AA 5G");
    harness.run();
    // Nothing was sent or opened: the field says it by itself.
    harness.get_by_label_contains("position 5: 'G' is not a hex digit");
    harness.key_press(egui::Key::Backspace);
    harness.run();
    harness
        .get_by_role_and_label(Role::MultilineTextInput, "Message")
        .type_text("5");
    harness.run();
    assert_eq!(harness.state().settings.send_text, "AA 55");
    assert!(
        harness
            .query_by_label_contains("is not a hex digit")
            .is_none()
    );
}

#[test]
fn a_history_entry_comes_back_in_the_mode_and_encoding_it_was_sent_in() {
    let mut harness = harness(settings());
    let mut client = server_with_client(&mut harness);
    switch_input(&mut harness, "HEX");
    harness.state_mut().settings.send_text = "01 03".to_owned();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    assert_eq!(read_exactly(&mut client, 2), [1, 3]);

    harness.state_mut().settings.send_text = "68 69".to_owned();
    switch_input(&mut harness, "Text");
    assert_eq!(harness.state().settings.send_text, "hi");
    harness.state_mut().settings.preset.send.encoding = TextEncoding::Gbk;
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    assert_eq!(read_exactly(&mut client, 2), b"hi");
    // The log is shown in an encoding of its own, which recalling does not touch.
    harness.state_mut().settings.preset.encoding = TextEncoding::Latin1;

    harness.get_by_value("History").click();
    harness.run();
    harness.get_by_label("HEX  01 03").click();
    harness.run();
    let app = harness.state();
    assert_eq!(app.settings.send_text, "01 03");
    assert_eq!(app.settings.preset.send.input, InputMode::Hex);
    assert_eq!(app.settings.preset.send.encoding, TextEncoding::Utf8);
    assert_eq!(app.settings.preset.encoding, TextEncoding::Latin1);
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    assert_eq!(read_exactly(&mut client, 2), [1, 3]);
}

#[test]
fn quick_commands_send_in_the_mode_and_encoding_they_were_added_with() {
    let mut harness = harness(settings());
    let mut client = server_with_client(&mut harness);
    let add = |harness: &mut Harness<'_, NetAssistApp>, input, encoding, text: &str| {
        let send = &mut harness.state_mut().settings.preset.send;
        send.input = input;
        send.encoding = encoding;
        harness.state_mut().settings.send_text = text.to_owned();
        harness
            .get_by_role_and_label(Role::Button, "+ Add from send box")
            .click();
        harness.run();
    };
    add(&mut harness, InputMode::Hex, TextEncoding::Utf8, "AA 55");
    add(&mut harness, InputMode::Text, TextEncoding::Gbk, "你好");
    add(&mut harness, InputMode::Text, TextEncoding::Utf8, "hi");

    // The send box is UTF-8 text now: each command still sends its own bytes.
    harness.state_mut().settings.send_text.clear();
    harness.state_mut().settings.preset.send.encoding = TextEncoding::Utf8;
    switch_input(&mut harness, "Text");
    // The hex command's button says it is hex.
    harness
        .get_by_role_and_label(Role::Button, "HEX AA 55")
        .click();
    harness.run();
    assert_eq!(read_exactly(&mut client, 2), [0xAA, 0x55]);
    harness.get_by_role_and_label(Role::Button, "你好").click();
    harness.run();
    assert_eq!(read_exactly(&mut client, 4), [0xC4, 0xE3, 0xBA, 0xC3]);
    // A text command from a hex send box: its text, and no hex error.
    switch_input(&mut harness, "HEX");
    harness.get_by_role_and_label(Role::Button, "hi").click();
    harness.run();
    assert_eq!(read_exactly(&mut client, 2), b"hi");
    assert!(harness.state().send_error().is_none());

    // Its window shows how it is read, and changes it.
    harness
        .get_by_role_and_label(Role::Button, "hi")
        .click_secondary();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Edit…").click();
    harness.run();
    let read_as = harness.get_by_role_and_label(Role::ComboBox, "Read as");
    assert_eq!(read_as.value().as_deref(), Some("Text, UTF-8"));
    read_as.click();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "HEX").click();
    harness.run();
    // "hi" is no hex: the window names the typo at once.
    harness.get_by_label_contains("position 1: 'h' is not a hex digit");
    harness
        .get_by_role_and_label(Role::TextInput, "Name")
        .focus();
    let sends = harness.get_by_role_and_label(Role::MultilineTextInput, "Sends");
    sends.focus();
    harness.key_press(egui::Key::Backspace);
    harness.key_press(egui::Key::Backspace);
    harness
        .get_by_role_and_label(Role::MultilineTextInput, "Sends")
        .type_text("0D 0A");
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Done").click();
    harness.run();
    let quick = &harness.state().settings.preset.quick[2];
    assert_eq!(
        (quick.input, quick.text.as_str()),
        (InputMode::Hex, "0D 0A")
    );
    harness
        .get_by_role_and_label(Role::Button, "HEX hi")
        .click();
    harness.run();
    assert_eq!(read_exactly(&mut client, 2), b"\r\n");
}

#[test]
fn a_long_message_scrolls_in_its_box_and_the_controls_stay_in_the_window() {
    let mut settings = settings();
    settings.send_text = "0123456789".repeat(12_000);
    let app = NetAssistApp::new(settings, Box::new(Scripted::default()));
    let mut harness = harness_sized(app, egui::vec2(1024.0, 768.0));
    harness.run();
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1024.0, 768.0));
    for (role, label) in [
        (Role::Button, "Send"),
        (Role::Button, "Reset counters"),
        (Role::Button, "Start periodic"),
        (Role::Button, "Preset"),
    ] {
        let rect = harness.get_by_role_and_label(role, label).rect();
        assert!(window.contains_rect(rect), "{label}: {rect:?}");
    }
    // The box shows at most 30% of the window; what is below it starts right after.
    let message = harness
        .get_by_role_and_label(Role::MultilineTextInput, "Message")
        .rect();
    let below = harness
        .get_by_role_and_label(Role::Button, "+ Add from send box")
        .rect();
    assert!(
        below.min.y - message.min.y <= 768.0 * 0.3 + 60.0,
        "{message:?} {below:?}"
    );
}

#[test]
fn a_target_that_disconnected_stays_the_target_and_nothing_goes_to_the_others() {
    let mut harness = harness(settings());
    let first = server_with_client(&mut harness);
    let addr = harness.state().log().local_addr().unwrap();
    let mut second = TcpStream::connect(addr).unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    step_until(&mut harness, "two clients", |app| {
        app.log().connected_peers() == 2
    });
    let first_addr = first.local_addr().unwrap().to_string();
    harness
        .get_by_role_and_label(Role::Button, &first_addr)
        .click();
    harness.run();
    drop(first);
    step_until(&mut harness, "the first client to leave", |app| {
        app.log().connected_peers() == 1
    });
    harness.state_mut().settings.send_text = "secret".to_owned();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    harness.get_by_label_contains(&format!(
        "{first_addr} is no longer connected: nothing sent"
    ));
    let mut buf = [0; 1];
    assert!(second.read(&mut buf).is_err(), "the other client got data");
    assert_eq!(harness.state().log().totals().tx_bytes, 0);
    harness.get_by_role_and_label(Role::Button, "中文").click();
    harness.run();
    harness.get_by_label_contains(&format!("{first_addr} 已断开连接：未发送"));
}

#[test]
fn escape_typos_and_characters_the_encoding_cannot_write_are_named_while_typing() {
    let mut harness = harness(settings());
    harness.state_mut().settings.preset.send.escapes = true;
    let message = harness.get_by_role_and_label(Role::MultilineTextInput, "Message");
    message.focus();
    message.type_text("go\\q");
    harness.run();
    harness.get_by_label_contains("position 3: '\\q' is not an escape");
    harness.state_mut().settings.send_text = "\\x4".to_owned();
    harness.run();
    harness.get_by_label_contains("position 1: \\x needs two hex digits");
    harness.state_mut().settings.send_text = "a你".to_owned();
    harness.state_mut().settings.preset.send.encoding = TextEncoding::Ascii;
    harness.run();
    harness.get_by_label_contains("position 2");
    harness.state_mut().settings.preset.send.encoding = TextEncoding::Gbk;
    harness.run();
    assert!(harness.query_by_label_contains("position").is_none());
}

#[test]
fn quick_commands_with_long_names_read_apart() {
    let mut harness = harness(settings());
    for i in 1..=7 {
        harness.state_mut().settings.send_text = format!("LONG_COMMAND_NAME_{i:02}");
        harness
            .get_by_role_and_label(Role::Button, "+ Add from send box")
            .click();
        harness.run();
    }
    harness.state_mut().settings.send_text =
        "A_MUCH_LONGER_COMMAND_THAT_DOES_NOT_FIT_08".to_owned();
    harness
        .get_by_role_and_label(Role::Button, "+ Add from send box")
        .click();
    harness.run();
    for i in 1..=7 {
        harness.get_by_role_and_label(Role::Button, &format!("LONG_COMMAND_NAME_{i:02}"));
    }
    harness.get_by_role_and_label(Role::Button, "A_MUCH_LONGE…_NOT_FIT_08");
}

#[test]
fn sending_to_nobody_says_so_and_the_notice_goes_when_that_changes() {
    let mut harness = harness(settings());
    harness.state_mut().settings.send_text = "hello".to_owned();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    harness.get_by_label("Open a session first.");

    let addr = open(&mut harness);
    assert!(harness.query_by_label("Open a session first.").is_none());
    // "All clients" with no client: a notice, in both languages, and nothing sent.
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    harness.get_by_label_contains("No client is connected, so nothing was sent.");
    harness.get_by_role_and_label(Role::Button, "中文").click();
    harness.run();
    harness.get_by_label_contains("没有已连接的客户端，未发送。");
    assert_eq!(harness.state().log().totals().tx_bytes, 0);

    let _client = TcpStream::connect(addr).unwrap();
    step_until(&mut harness, "the client", |app| {
        app.log().connected_peers() == 1
    });
    assert!(
        harness
            .query_by_label_contains("没有已连接的客户端")
            .is_none()
    );
}

#[test]
fn a_field_error_goes_when_the_field_is_fixed_and_a_client_host_is_marked_at_its_field() {
    let mut harness = harness(with(Preset {
        local_ip: "999.1.1.1".to_owned(),
        ..preset()
    }));
    harness.get_by_role_and_label(Role::Button, "Open").click();
    harness.run();
    harness.get_by_label_contains("'999.1.1.1' is not an IP address");
    let field = harness.get_by_role_and_label(Role::TextInput, "Local IP");
    field.focus();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness
        .get_by_role_and_label(Role::TextInput, "Local IP")
        .type_text("127.0.0.1");
    harness.run();
    assert!(
        harness
            .query_by_label_contains("is not an IP address")
            .is_none()
    );
    open(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Close").click();
    harness.run();

    // A client's server host, in Chinese: the field says it, in Chinese.
    harness.state_mut().settings.preset.mode = ModeKind::TcpClient;
    harness.state_mut().settings.preset.remote_host = "192.168.1.300".to_owned();
    harness.state_mut().settings.lang = Lang::Zh;
    harness.run();
    harness.get_by_role_and_label(Role::Button, "打开").click();
    harness.run();
    assert!(!harness.state().is_open());
    harness.get_by_label_contains("“192.168.1.300”既不是 IP 地址也不是主机名");
}

#[test]
fn quick_commands_are_edited_in_a_window_moved_and_removed() {
    let mut settings = settings();
    for name in ["first", "second"] {
        settings.preset.quick.push(QuickCommand {
            name: name.to_owned(),
            text: name.to_owned(),
            ..QuickCommand::default()
        });
    }
    let mut harness = harness(settings);
    harness
        .get_by_role_and_label(Role::Button, "first")
        .click_secondary();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Edit…").click();
    harness.run();
    // Clicking into the name field keeps the editor open.
    let name = harness.get_by_role_and_label(Role::TextInput, "Name");
    name.click();
    harness.run();
    harness
        .get_by_role_and_label(Role::TextInput, "Name")
        .type_text(" query");
    harness.run();
    assert_eq!(harness.state().settings.preset.quick[0].name, "first query");
    harness
        .get_by_role_and_label(Role::Button, "Move right")
        .click();
    harness.run();
    let names = |app: &NetAssistApp| -> Vec<String> {
        app.settings
            .preset
            .quick
            .iter()
            .map(|q| q.name.clone())
            .collect()
    };
    assert_eq!(names(harness.state()), ["second", "first query"]);
    harness.get_by_role_and_label(Role::Button, "Done").click();
    harness.run();
    assert!(
        harness
            .query_by_role_and_label(Role::TextInput, "Name")
            .is_none()
    );

    harness
        .get_by_role_and_label(Role::Button, "second")
        .click_secondary();
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Remove")
        .click();
    harness.run();
    assert_eq!(names(harness.state()), ["first query"]);
}

#[test]
fn many_quick_commands_wrap_onto_more_rows_inside_the_window() {
    let mut settings = settings();
    for i in 0..30 {
        settings.preset.quick.push(QuickCommand {
            name: format!("command {i}"),
            text: format!("{i}"),
            ..QuickCommand::default()
        });
    }
    let app = NetAssistApp::new(settings, Box::new(Scripted::default()));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1024.0, 768.0))
        .with_context_setup(|ctx| {
            ctx.add_font_provider(Arc::new(netassist::ui::fonts::SystemFonts::new()));
        })
        .build_eframe(|_| app);
    harness.run();
    let mut rows = Vec::new();
    for i in 0..30 {
        let rect = harness
            .get_by_role_and_label(Role::Button, &format!("command {i}"))
            .rect();
        assert!(rect.max.x <= 1024.0 && rect.max.y <= 768.0, "{i}: {rect:?}");
        if !rows.contains(&rect.min.y) {
            rows.push(rect.min.y);
        }
    }
    assert!(rows.len() > 1, "{rows:?}");
}

#[test]
fn menus_say_none_in_chinese() {
    let mut harness = harness(Settings {
        lang: Lang::Zh,
        ..settings()
    });
    for combo in ["行尾", "校验"] {
        let value = harness.get_by_role_and_label(Role::ComboBox, combo).value();
        assert_eq!(value.as_deref(), Some("无"), "{combo}");
    }
    harness.run();
}

#[test]
fn language_switches_at_runtime() {
    let mut harness = harness(settings());
    harness.get_by_role_and_label(Role::Button, "中文").click();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "打开");
    assert_eq!(harness.state().settings.lang, Lang::Zh);
    harness
        .get_by_role_and_label(Role::Button, "English")
        .click();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Open");
}

#[test]
fn an_open_idle_session_asks_for_no_repaints() {
    let mut harness = harness(settings());
    open(&mut harness);
    // `run` fails if the app keeps asking for frames: idle must be idle.
    harness.run();
}

#[test]
fn traffic_view_filters_pauses_and_clears() {
    let mut harness = harness(settings());
    let mut client = server_with_client(&mut harness);
    client.write_all(b"alpha").unwrap();
    step_until(&mut harness, "alpha", |app| {
        rows_text(app, Direction::Rx) == ["alpha"]
    });

    // A filter that matches nothing hides the row; clearing the filter shows it again.
    let filter = harness.get_by_role_and_label(Role::TextInput, "Filter");
    filter.focus();
    filter.type_text("zzz");
    harness.run();
    assert!(harness.query_by_label("alpha").is_none());
    harness.state_mut().view.filter.text.clear();
    harness.run();
    // Clicking a row selects it and shows its hex dump.
    harness.get_by_label("alpha").click();
    harness.run();
    harness.get_by_label_contains("61 6C 70 68 61");
    // The detail pane under the table shows the text too; the table's row comes first.
    harness.get_all_by_label("alpha").next().unwrap().click();
    harness.run();
    assert!(harness.query_by_label_contains("61 6C 70 68 61").is_none());

    // Paused: new rows are logged and counted but not shown.
    harness
        .get_by_role_and_label(Role::Button, "Pause display")
        .click();
    harness.run();
    client.write_all(b"beta").unwrap();
    step_until(&mut harness, "beta logged", |app| {
        app.log().totals().rx_bytes == 9
    });
    assert!(harness.query_by_label("beta").is_none());
    harness
        .get_by_role_and_label(Role::Button, "Resume display")
        .click();
    harness.run();
    harness.get_by_label("beta");

    // Hex view re-renders the same rows as hex.
    harness
        .get_by_role_and_label(Role::RadioButton, "Show hex")
        .click();
    harness.run();
    harness.get_by_label("62 65 74 61");

    harness.get_by_role_and_label(Role::Button, "Clear").click();
    harness.run();
    assert!(harness.state().log().is_empty());
    assert_eq!(
        harness.state().log().totals().rx_bytes,
        9,
        "clearing keeps the counters"
    );
    harness
        .get_by_role_and_label(Role::Button, "Reset counters")
        .click();
    harness.run();
    assert_eq!(harness.state().log().totals().rx_bytes, 0);
}

#[test]
fn peers_panel_targets_and_disconnects() {
    let mut harness = harness(settings());
    let mut first = server_with_client(&mut harness);
    let addr = harness.state().log().local_addr().unwrap();
    let mut second = TcpStream::connect(addr).unwrap();
    second.set_read_timeout(Some(WAIT)).unwrap();
    step_until(&mut harness, "two clients", |app| {
        app.log().connected_peers() == 2
    });

    // Sending to the one selected peer, then to all.
    let second_addr = second.local_addr().unwrap().to_string();
    harness
        .get_by_role_and_label(Role::Button, &second_addr)
        .click();
    harness.run();
    harness.state_mut().settings.send_text = "one".to_owned();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    assert_eq!(read_exactly(&mut second, 3), b"one");
    harness.get_by_label("All clients").click();
    harness.run();
    harness.state_mut().settings.send_text = "all".to_owned();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    assert_eq!(
        read_exactly(&mut first, 3),
        b"all",
        "the first client got only the broadcast"
    );
    assert_eq!(read_exactly(&mut second, 3), b"all");

    // Disconnect the second client (the newest is listed first): it sees end of stream, the app shows
    // one connection.
    harness
        .get_all_by_role_and_label(Role::Button, "Disconnect")
        .next()
        .unwrap()
        .click();
    harness.run();
    step_until(&mut harness, "one client left", |app| {
        app.log().connected_peers() == 1
    });
    let mut rest = Vec::new();
    second.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

#[test]
fn quick_commands_history_and_periodic_send() {
    let mut harness = harness(settings());
    let mut client = server_with_client(&mut harness);

    harness.state_mut().settings.send_text = "ping".to_owned();
    harness
        .get_by_role_and_label(Role::Button, "+ Add from send box")
        .click();
    harness.run();
    harness.state_mut().settings.send_text.clear();
    harness.get_by_role_and_label(Role::Button, "ping").click();
    harness.run();
    assert_eq!(read_exactly(&mut client, 4), b"ping");

    // Three sends, 1 ms apart, run by the engine; the count shows in the panel.
    harness.state_mut().settings.send_text = "t".to_owned();
    harness.state_mut().settings.preset.periodic_ms = "1".to_owned();
    harness.state_mut().settings.preset.periodic_count = "3".to_owned();
    harness
        .get_by_role_and_label(Role::Button, "Start periodic")
        .click();
    harness.step();
    assert_eq!(read_exactly(&mut client, 3), b"ttt");
    step_until(&mut harness, "the periodic send to end", |app| {
        app.log().totals().tx_bytes == 7
    });
    harness.get_by_label("sent 3");

    // A typed message goes into the history; Alt+Up brings it back.
    harness.state_mut().settings.send_text = "again".to_owned();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    assert_eq!(read_exactly(&mut client, 5), b"again");
    harness.state_mut().settings.send_text.clear();
    harness
        .get_by_role_and_label(Role::MultilineTextInput, "Message")
        .focus();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::ALT, egui::Key::ArrowUp);
    harness.run();
    assert_eq!(harness.state().settings.send_text, "again");
}

#[test]
fn without_a_chinese_font_the_window_says_so() {
    // No system fonts at all: only egui's own, which have no Chinese.
    let app = NetAssistApp::new(settings(), Box::new(Scripted::default()));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .allow_missing_glyphs()
        .build_eframe(|_| app);
    harness.run();
    harness.get_by_label_contains("No Chinese font found");
}

/// Where `℃` lands when laid out after Chinese text, as a received `温度25℃` is, in each family: its
/// glyph's width in the font atlas (0: blank space). The system's fonts, symbol fonts first if `prefer`.
fn celsius_width_after_chinese(prefer: bool) -> Vec<f32> {
    let ctx = egui::Context::default();
    ctx.add_font_provider(Arc::new(netassist::ui::fonts::SystemFonts::new()));
    let mut output = ctx.run_ui(egui::RawInput::default(), |_| {});
    output.textures_delta.clear();
    if prefer {
        netassist::ui::fonts::prefer_symbol_fonts(&ctx);
    }
    ctx.fonts_mut(|fonts| {
        [egui::FontFamily::Monospace, egui::FontFamily::Proportional]
            .into_iter()
            .map(|family| {
                let font = egui::FontId::new(14.0, family);
                let galley = fonts.layout_no_wrap("温度25℃".to_owned(), font, egui::Color32::WHITE);
                let glyph = galley.rows[0].glyphs.last().unwrap();
                assert_eq!(glyph.chr, '℃');
                glyph.uv_rect.size.x
            })
            .collect()
    })
}

#[test]
fn a_symbol_after_chinese_text_is_drawn() {
    // As the system gives them, a CJK font brought in by Chinese text may draw ℃ as nothing (WenQuanYi
    // Micro Hei does).
    let plain = celsius_width_after_chinese(false);
    let preferred = celsius_width_after_chinese(true);
    assert!(
        preferred.iter().all(|&width| width > 0.0),
        "{preferred:?} (without: {plain:?})"
    );
}

/// Chooses delimiter framing in the receive settings and types `delimiter` over what the field shows.
fn split_by_delimiter(harness: &mut Harness<'_, NetAssistApp>, delimiter: &str) {
    harness
        .get_by_role_and_label(Role::ComboBox, "Split messages by")
        .click();
    harness.run();
    harness.get_by_label("Delimiter").click();
    harness.run();
    let field = harness.get_by_role_and_label(
        Role::TextInput,
        r"Delimiter (text, escapes like \r\n or \x03)",
    );
    field.focus();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness
        .get_by_role_and_label(
            Role::TextInput,
            r"Delimiter (text, escapes like \r\n or \x03)",
        )
        .type_text(delimiter);
    harness.run();
}

#[test]
fn framing_choice_splits_the_stream_into_rows() {
    let mut harness = harness(settings());
    let mut client = server_with_client(&mut harness);
    split_by_delimiter(&mut harness, "#");
    // Glued and split writes, as TCP delivers them: "look#lo" then "ok#".
    client.write_all(b"look#lo").unwrap();
    step_until(&mut harness, "the first message", |app| {
        rows_text(app, Direction::Rx) == ["look"]
    });
    client.write_all(b"ok#").unwrap();
    step_until(&mut harness, "the second message", |app| {
        rows_text(app, Direction::Rx) == ["look", "look"]
    });
}

#[test]
fn a_delimiter_picked_again_is_the_one_typed_and_the_one_used() {
    let mut harness = harness(settings());
    let mut client = server_with_client(&mut harness);
    split_by_delimiter(&mut harness, "#");
    harness
        .get_by_role_and_label(Role::ComboBox, "Split messages by")
        .click();
    harness.run();
    harness.get_by_label("As received (raw)").click();
    harness.run();
    harness
        .get_by_role_and_label(Role::ComboBox, "Split messages by")
        .click();
    harness.run();
    harness.get_by_label("Delimiter").click();
    harness.run();
    let field = harness.get_by_role_and_label(
        Role::TextInput,
        r"Delimiter (text, escapes like \r\n or \x03)",
    );
    assert_eq!(field.value().as_deref(), Some("#"));
    client.write_all(b"look#pass#").unwrap();
    step_until(&mut harness, "two messages split on #", |app| {
        rows_text(app, Direction::Rx) == ["look", "pass"]
    });
}

#[test]
fn an_empty_delimiter_stops_open_at_its_field() {
    let mut harness = harness(settings());
    split_by_delimiter(&mut harness, "#");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    harness.run();
    harness.get_by_label("A delimiter needs at least one byte.");
    harness.get_by_role_and_label(Role::Button, "Open").click();
    harness.run();
    assert!(!harness.state().is_open(), "opened with the old delimiter");
    // The field and the Open button both say it.
    assert_eq!(
        harness
            .get_all_by_label("A delimiter needs at least one byte.")
            .count(),
        2
    );
    let field = r"Delimiter (text, escapes like \r\n or \x03)";
    harness
        .get_by_role_and_label(Role::TextInput, field)
        .focus();
    harness.run();
    harness
        .get_by_role_and_label(Role::TextInput, field)
        .type_text("#");
    harness.run();
    assert!(
        harness
            .query_by_label("A delimiter needs at least one byte.")
            .is_none()
    );
    open(&mut harness);
}

#[test]
fn send_file_streams_the_whole_file_with_progress() {
    let path = std::env::temp_dir().join(format!("netassist-ui-test-{}.bin", std::process::id()));
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let mut harness = harness_for(NetAssistApp::new(
        settings(),
        Box::new(Scripted::with(&[&path])),
    ));
    let mut client = server_with_client(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Send file…")
        .click();
    harness.step();
    let reader = std::thread::spawn(move || read_exactly(&mut client, 3_000_000));
    step_until(&mut harness, "the whole file written", |app| {
        app.log().totals().tx_bytes == 3_000_000
    });
    assert_eq!(reader.join().unwrap(), data);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn tcp_client_mode_connects_sends_and_receives() {
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let mut harness = harness(with(Preset {
        mode: ModeKind::TcpClient,
        local_ip: String::new(),
        remote_host: "127.0.0.1".to_owned(),
        remote_port: port.to_string(),
        ..preset()
    }));
    harness.get_by_role_and_label(Role::Button, "Open").click();
    harness.run();
    let (mut device, _) = server.accept().unwrap();
    device.set_read_timeout(Some(WAIT)).unwrap();
    step_until(&mut harness, "the connection", |app| {
        app.log().connected_peers() == 1
    });
    let message = harness.get_by_role_and_label(Role::MultilineTextInput, "Message");
    message.focus();
    message.type_text(r"AT\r\n");
    harness.run();
    harness
        .get_by_role_and_label(Role::CheckBox, r"Escapes (\r \n \x..)")
        .click();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    assert_eq!(read_exactly(&mut device, 4), b"AT\r\n");
    device.write_all("你好".as_bytes()).unwrap();
    step_until(&mut harness, "the reply", |app| {
        rows_text(app, Direction::Rx) == ["你好"]
    });
    harness.get_by_label("你好");
    // The server hanging up ends the client session.
    drop(device);
    step_until(&mut harness, "the session to end", |app| !app.is_open());
}

#[test]
fn udp_mode_answers_a_sender() {
    let mut harness = harness(with(Preset {
        mode: ModeKind::Udp,
        remote_host: String::new(),
        ..preset()
    }));
    let addr = open(&mut harness);
    let device = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    device.set_read_timeout(Some(WAIT)).unwrap();
    device.send_to(b"ping", addr).unwrap();
    step_until(&mut harness, "the datagram", |app| {
        rows_text(app, Direction::Rx) == ["ping"]
    });
    let sender = device.local_addr().unwrap().to_string();
    harness.get_by_role_and_label(Role::Button, &sender).click();
    harness.run();
    harness.state_mut().settings.send_text = "pong".to_owned();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    let mut buf = [0u8; 16];
    let (n, from) = device.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"pong"[..], addr));
}

fn udp_preset() -> Preset {
    Preset {
        mode: ModeKind::Udp,
        local_port: "7088".to_owned(),
        echo: true,
        ..preset()
    }
}

#[test]
fn presets_open_save_save_as_and_recent_with_an_unsaved_marker() {
    let dir = tempfile::tempdir().unwrap();
    let udp = dir.path().join("udp7088.ron");
    udp_preset().save(&udp).unwrap();
    let dialogs = Scripted::with(&[&udp]);
    let mut harness = harness_for(NetAssistApp::new(settings(), Box::new(dialogs.clone())));

    menu(&mut harness, "Preset", "Open…");
    assert_eq!(harness.state().settings.preset, udp_preset());
    assert_eq!(
        harness.state().window_title(),
        "udp7088 - NetAssist 网络调试助手"
    );
    harness.get_by_label_contains("Opened udp7088.");

    // An edit marks the title until it is saved.
    let port = harness.get_by_role_and_label(Role::TextInput, "Local port");
    port.focus();
    port.type_text("1");
    harness.run();
    let typed = harness.state().settings.preset.local_port.clone();
    assert!(typed.contains('1') && typed != "7088", "{typed}");
    assert!(harness.state().window_title().starts_with("udp7088* - "));
    menu(&mut harness, "Preset", "Save");
    assert!(!harness.state().window_title().contains('*'));
    assert_eq!(Preset::load(&udp).unwrap().preset.local_port, typed);

    // Save as: the extension is added when the user leaves it out.
    dialogs.queue(&dir.path().join("copy"));
    menu(&mut harness, "Preset", "Save as…");
    let copy = dir.path().join("copy.ron");
    assert_eq!(Preset::load(&copy).unwrap().preset.local_port, typed);
    assert_eq!(harness.state().settings.recent, [copy.clone(), udp.clone()]);
    assert_eq!(
        harness.state().window_title(),
        "copy - NetAssist 网络调试助手"
    );

    // Recent presets open from the menu.
    harness
        .get_by_role_and_label(Role::Button, "Preset")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Recent")
        .click();
    harness.run();
    harness.get_by_label(&udp.display().to_string()).click();
    harness.run();
    assert_eq!(
        harness.state().settings.preset_file.as_deref(),
        Some(udp.as_path())
    );
}

#[test]
fn a_broken_preset_says_where_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.ron");
    std::fs::write(&broken, "Preset(\n  local_port: \"9\",\n  echo: maybe,\n)").unwrap();
    let mut harness = harness_for(NetAssistApp::new(
        settings(),
        Box::new(Scripted::with(&[&broken])),
    ));
    let before = harness.state().settings.clone();
    menu(&mut harness, "Preset", "Open…");
    harness.get_by_label_contains("damaged at line 3, column");
    assert_eq!(harness.state().settings, before);
    harness.get_by_role_and_label(Role::Button, "OK").click();
    harness.run();
    assert!(harness.state().pending().is_none());
    assert_eq!(harness.state().settings, before);
}

#[test]
fn opening_a_preset_during_a_session_asks_before_closing_it() {
    let dir = tempfile::tempdir().unwrap();
    let udp = dir.path().join("udp.ron");
    udp_preset().save(&udp).unwrap();
    let dialogs = Scripted::with(&[&udp, &udp]);
    let mut harness = harness_for(NetAssistApp::new(settings(), Box::new(dialogs)));
    open(&mut harness);

    menu(&mut harness, "Preset", "Open…");
    assert!(matches!(
        harness.state().pending(),
        Some(Pending::Load { .. })
    ));
    harness.get_by_label_contains("Opening it closes the open session.");
    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click();
    harness.run();
    assert!(harness.state().is_open());
    assert_eq!(harness.state().settings.preset.mode, ModeKind::TcpServer);

    menu(&mut harness, "Preset", "Open…");
    harness.get_by_role_and_label(Role::Button, "Open").click();
    harness.run();
    assert!(!harness.state().is_open());
    assert_eq!(harness.state().settings.preset, udp_preset());
}

#[test]
fn closing_the_window_with_unsaved_changes_asks_to_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.ron");
    preset().save(&path).unwrap();
    let mut harness = harness_for(NetAssistApp::new(
        settings(),
        Box::new(Scripted::with(&[&path])),
    ));
    menu(&mut harness, "Preset", "Open…");
    harness.state_mut().settings.preset.echo = true;
    harness.run();

    let close = |harness: &mut Harness<'_, NetAssistApp>| {
        harness
            .input_mut()
            .viewports
            .entry(egui::ViewportId::ROOT)
            .or_default()
            .events
            .push(egui::ViewportEvent::Close);
        harness.run();
    };
    close(&mut harness);
    assert_eq!(harness.state().pending(), Some(&Pending::Quit));
    harness.get_by_label_contains("Save changes to board");
    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click();
    harness.run();
    assert!(harness.state().pending().is_none());

    close(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Save").click();
    harness.run();
    assert!(
        Preset::load(&path).unwrap().preset.echo,
        "saved before closing"
    );
    assert!(!harness.state().settings.is_modified());
}

/// A file dropped on the window, as the windowing system reports it.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_preset_dropped_on_the_window_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dropped.ron");
    udp_preset().save(&path).unwrap();
    let mut harness = harness(settings());
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(dir.path().join("notes.txt"))));
    harness.run();
    harness.get_by_label_contains("Only preset files (.ron)");
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.clone())));
    harness.run();
    assert_eq!(harness.state().settings.preset, udp_preset());
    assert_eq!(harness.state().settings.recent, [path]);
}

#[test]
fn the_log_exports_as_csv_and_captures_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("capture.log");
    let csv_path = dir.path().join("log.csv");
    let dialogs = Scripted::with(&[&capture]);
    let mut harness = harness_for(NetAssistApp::new(settings(), Box::new(dialogs.clone())));
    menu(&mut harness, "Log", "Capture to file…");
    assert!(harness.state().capture().is_some());
    assert!(harness.get_all_by_label_contains("Capturing to").count() >= 1);

    let mut client = server_with_client(&mut harness);
    client.write_all(b"Hello 01Studio!").unwrap();
    step_until(&mut harness, "the greeting", |app| {
        rows_text(app, Direction::Rx) == ["Hello 01Studio!"]
    });
    menu(&mut harness, "Log", "Stop capture");
    assert!(harness.state().capture().is_none());
    let lines = std::fs::read_to_string(&capture).unwrap();
    assert!(lines.contains("RX 127.0.0.1:"), "{lines}");
    assert!(lines.contains("15B Hello 01Studio!"), "{lines}");

    dialogs.queue(&csv_path);
    menu(&mut harness, "Log", "Export as CSV…");
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), harness.state().log().len());
    assert!(
        records
            .iter()
            .any(|r| &r[1] == "RX" && &r[5] == "Hello 01Studio!")
    );
}

#[test]
fn export_as_pcapng_writes_every_session_so_far_as_packets() {
    let dir = tempfile::tempdir().unwrap();
    // Typed without its extension, as people do.
    let typed = dir.path().join("board");
    let dialogs = Scripted::default();
    let mut harness = harness_for(NetAssistApp::new(settings(), Box::new(dialogs.clone())));
    // Before any session there is nothing to export.
    harness.get_by_role_and_label(Role::Button, "Log").click();
    harness.run();
    assert!(
        harness
            .get_by_label("Export as pcapng…")
            .accesskit_node()
            .is_disabled()
    );
    harness.key_press(egui::Key::Escape);
    harness.run();

    let mut client = server_with_client(&mut harness);
    client.write_all(b"Hello 01Studio!").unwrap();
    step_until(&mut harness, "the greeting", |app| {
        rows_text(app, Direction::Rx) == ["Hello 01Studio!"]
    });
    dialogs.queue(&typed);
    menu(&mut harness, "Log", "Export as pcapng…");
    let file = typed.with_extension("pcapng");
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(
        bytes[..4],
        netassist::pcap::SECTION_HEADER.to_le_bytes(),
        "a pcapng section header block"
    );
    harness.get_by_label_contains("Exported the traffic recorded so far to");
    if tshark::available() {
        let stream = tshark::follow_tcp(&file, 0);
        assert_eq!(stream[&client.local_addr().unwrap()], b"Hello 01Studio!");
    }

    harness.state_mut().settings.lang = Lang::Zh;
    harness.run();
    harness.get_by_role_and_label(Role::Button, "记录").click();
    harness.run();
    assert!(
        !harness
            .get_by_label("导出为 pcapng…")
            .accesskit_node()
            .is_disabled()
    );
}

#[test]
fn ctrl_s_exports_the_log_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.txt");
    let mut harness = harness_for(NetAssistApp::new(
        settings(),
        Box::new(Scripted::with(&[&path])),
    ));
    open(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("Session opened: TCP server on 127.0.0.1:0"),
        "{text}"
    );
    assert!(text.contains("Listening on 127.0.0.1:"), "{text}");
    harness.get_by_label_contains("Exported 2 rows to");
}

#[cfg(target_os = "linux")]
#[test]
fn a_capture_that_fails_says_why_and_the_session_goes_on() {
    // Every write to /dev/full fails as a full disk does.
    let dialogs = Scripted::with(&[Path::new("/dev/full")]);
    let mut harness = harness_for(NetAssistApp::new(settings(), Box::new(dialogs)));
    menu(&mut harness, "Log", "Capture to file…");
    let mut client = server_with_client(&mut harness);
    step_until(&mut harness, "the capture to fail", |app| {
        app.capture().is_none()
    });
    harness.get_by_label_contains("Capture to /dev/full stopped");
    assert!(harness.state().is_open());
    client.write_all(b"still logged").unwrap();
    step_until(&mut harness, "the message", |app| {
        rows_text(app, Direction::Rx) == ["still logged"]
    });
}

#[test]
fn reply_rules_are_added_tried_reordered_switched_and_answer_a_client() {
    let mut harness = harness(settings());
    let mut client = server_with_client(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Reply rules…")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Add rule")
        .click();
    harness.run();
    // A new rule answers "ping" with "pong"; a sample message tries it without the network.
    let sample =
        harness.get_by_role_and_label(Role::TextInput, r"Test a message (text, escapes like \r\n)");
    sample.focus();
    sample.type_text("ping");
    harness.run();
    harness.get_by_label_contains("Rule 1 answers: pong");
    // The open session answers by it from its own thread.
    client.write_all(b"ping").unwrap();
    assert_eq!(read_exactly(&mut client, 4), b"pong");

    // A second rule, moved to the top, answers first.
    harness
        .get_by_role_and_label(Role::Button, "Add rule")
        .click();
    harness.run();
    let reply = harness.get_by_role_and_label(Role::TextInput, "Reply 2");
    reply.focus();
    reply.type_text(" {n}");
    harness.run();
    harness
        .get_all_by_role_and_label(Role::Button, "Up")
        .nth(1)
        .unwrap()
        .click();
    harness.run();
    harness.get_by_label_contains("Rule 1 answers: pong 1");
    client.write_all(b"ping").unwrap();
    assert_eq!(read_exactly(&mut client, 6), b"pong 1");

    // Switched off, it lets the other answer again.
    harness
        .get_by_role_and_label(Role::CheckBox, "Rule 1")
        .click();
    harness.run();
    harness.get_by_label_contains("Rule 2 answers: pong");
    client.write_all(b"ping").unwrap();
    assert_eq!(read_exactly(&mut client, 4), b"pong");
    let rules = &harness.state().settings.preset.rules;
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].to_string(), "exact:ping=>pong {n}");
    assert!(!rules[0].enabled);
}

#[test]
fn changing_the_encoding_hands_the_rules_to_the_open_session_again() {
    let rule = "exact:你好=>收到".parse().unwrap();
    let mut harness = harness(with(Preset {
        rules: vec![rule],
        ..preset()
    }));
    let mut client = server_with_client(&mut harness);
    // The device speaks GBK: 你好 is C4 E3 BA C3, 收到 is CA D5 B5 BD.
    harness
        .get_by_role_and_label(Role::ComboBox, "Encoding")
        .click();
    harness.run();
    harness.get_by_label("GBK").click();
    harness.run();
    client.write_all(&[0xC4, 0xE3, 0xBA, 0xC3]).unwrap();
    assert_eq!(read_exactly(&mut client, 4), [0xCA, 0xD5, 0xB5, 0xBD]);
}

/// The data row whose text is `text`: its place in the log and the row itself.
fn data_row<'a>(app: &'a NetAssistApp, text: &str) -> (usize, &'a netassist::traffic::Row) {
    let log = app.log();
    (0..log.len())
        .filter_map(|i| Some((i, log.row(i)?)))
        .find(|(_, row)| matches!(&row.kind, RowKind::Data { bytes, .. } if bytes[..] == *text.as_bytes()))
        .unwrap_or_else(|| panic!("no row {text:?}"))
}

/// The address the log gives the peer of the data row `text`.
fn row_addr(app: &NetAssistApp, text: &str) -> std::net::SocketAddr {
    let peer = data_row(app, text).1.peer.unwrap();
    app.log().peer(peer).unwrap().addr.socket
}

#[test]
fn rows_keep_their_peer_across_sessions_in_the_log_export_filter_and_detail() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("log.txt");
    let mut harness = harness_for(NetAssistApp::new(
        settings(),
        Box::new(Scripted::with(&[&export])),
    ));

    // First session: a client connects, sends, and closes.
    let server = open(&mut harness);
    let mut first = TcpStream::connect(server).unwrap();
    let first_addr = first.local_addr().unwrap();
    first.write_all(b"first").unwrap();
    drop(first);
    step_until(
        &mut harness,
        "the first client's message and close",
        |app| rows_text(app, Direction::Rx) == ["first"] && app.log().connected_peers() == 0,
    );
    harness.get_by_role_and_label(Role::Button, "Close").click();
    harness.run();

    // Second session, on the port the OS picks this time: another client.
    let server = open(&mut harness);
    let mut second = TcpStream::connect(server).unwrap();
    let second_addr = second.local_addr().unwrap();
    second.write_all(b"second").unwrap();
    step_until(&mut harness, "the second client's message", |app| {
        rows_text(app, Direction::Rx) == ["first", "second"]
    });
    harness.get_by_role_and_label(Role::Button, "Close").click();
    harness.run();
    assert_eq!(row_addr(harness.state(), "first"), first_addr);
    assert_eq!(row_addr(harness.state(), "second"), second_addr);

    // The text export: each row with its own peer, each session's start and end a row.
    menu(&mut harness, "Log", "Export as text…");
    let text = std::fs::read_to_string(&export).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let lines_where = |wanted: fn(&str) -> bool| -> Vec<usize> {
        (0..lines.len()).filter(|&i| wanted(lines[i])).collect()
    };
    let [first_line] = lines_where(|line| line.ends_with(" first"))[..] else {
        panic!("one line for the first message:\n{text}")
    };
    let [second_line] = lines_where(|line| line.ends_with(" second"))[..] else {
        panic!("one line for the second message:\n{text}")
    };
    assert!(
        lines[first_line].contains(&format!("RX {first_addr} ")),
        "{text}"
    );
    assert!(
        lines[second_line].contains(&format!("RX {second_addr} ")),
        "{text}"
    );
    let opened = lines_where(|line| line.contains("Session opened: TCP server"));
    let closed = lines_where(|line| line.ends_with(" Session closed"));
    assert_eq!(opened.len(), 2, "{text}");
    assert_eq!(closed.len(), 2, "{text}");
    assert!(
        opened[0] < first_line
            && first_line < closed[0]
            && closed[0] < opened[1]
            && opened[1] < second_line
            && second_line < closed[1],
        "{text}"
    );

    // Show only the first client's rows (closed peers are folded until asked for; the newest peer is
    // listed first, so it is the last).
    harness.get_by_label("Show closed (2)").click();
    harness.run();
    harness
        .get_all_by_role_and_label(Role::CheckBox, "Only its rows")
        .last()
        .unwrap()
        .click();
    harness.run();
    let app = harness.state();
    let first_peer = data_row(app, "first").1.peer;
    let shown: Vec<usize> = app.view.shown_indices().collect();
    assert!(shown.contains(&data_row(app, "first").0));
    // Notes about a whole session (opened, listening, closed) show too; no other peer's rows do.
    assert!(
        shown
            .iter()
            .all(|&i| [None, first_peer].contains(&app.log().row(i).unwrap().peer)),
        "only the first client's rows"
    );
    harness.get_by_label(&format!("{first_addr} ✖"));
    assert!(harness.query_by_label("second").is_none());

    // The detail pane of the selected old row names its own peer.
    harness.get_by_label("first").click();
    harness.run();
    let at = data_row(harness.state(), "first").1.at;
    harness.get_by_label(&format!(
        "{} {first_addr}",
        netassist::timestamp::clock_text(at)
    ));
}

#[test]
fn client_mode_after_a_server_session_shows_its_own_local_address() {
    let mut harness = harness(settings());
    open(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Close").click();
    harness.run();
    assert!(harness.state().log().is_stopped());

    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    harness
        .get_by_role_and_label(Role::ComboBox, "Mode")
        .click();
    harness.run();
    harness.get_by_label("TCP Client").click();
    harness.run();
    harness.state_mut().settings.preset.remote_host = "127.0.0.1".to_owned();
    harness.state_mut().settings.preset.remote_port =
        server.local_addr().unwrap().port().to_string();
    harness.get_by_role_and_label(Role::Button, "Open").click();
    harness.run();
    let (_device, client_addr) = server.accept().unwrap();
    step_until(&mut harness, "the connection", |app| {
        app.log().connected_peers() == 1
    });
    harness.get_by_label(&format!("● Connected from {client_addr}"));
    assert_eq!(harness.state().log().local_addr(), Some(client_addr));
    assert!(!harness.state().log().is_stopped());
}

#[test]
fn a_send_is_its_own_row_at_once_whatever_the_receive_framing() {
    let mut harness = harness(settings());
    let mut client = server_with_client(&mut harness);
    split_by_delimiter(&mut harness, "#");

    let message = harness.get_by_role_and_label(Role::MultilineTextInput, "Message");
    message.focus();
    message.type_text("GG");
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    // No delimiter in it, and nothing sent after it: a row all the same.
    step_until(&mut harness, "the sent row", |app| {
        rows_text(app, Direction::Tx) == ["GG"]
    });
    assert_eq!(read_exactly(&mut client, 2), b"GG");
    let gg_at = data_row(harness.state(), "GG").1.at;

    harness
        .get_by_role_and_label(Role::RadioButton, "HEX")
        .click();
    harness.run();
    harness.state_mut().settings.send_text = "41 42 23".to_owned();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    step_until(&mut harness, "the second sent row", |app| {
        rows_text(app, Direction::Tx) == ["GG", "AB#"]
    });
    assert_eq!(read_exactly(&mut client, 3), b"AB#");
    let app = harness.state();
    assert_eq!(
        data_row(app, "GG").1.at,
        gg_at,
        "the first row kept its time"
    );
    assert!(data_row(app, "AB#").1.at > gg_at);
}

#[test]
fn finish_sending_sends_a_fin_after_what_is_queued_and_the_peer_can_still_send() {
    let mut harness = harness(settings());
    let mut client = server_with_client(&mut harness);
    harness.state_mut().settings.send_text = "last words".to_owned();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    let finish = harness.get_by_role_and_label(Role::Button, "Finish sending");
    finish.hover();
    harness.run();
    harness.get_by_label_contains("(TCP FIN)");
    harness
        .get_by_role_and_label(Role::Button, "Finish sending")
        .click();
    harness.run();

    // What was sent before arrives, then end of stream.
    let mut got = Vec::new();
    client.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"last words");
    step_until(&mut harness, "our FIN noted", |app| {
        app.log().peers().next().unwrap().local_finished
    });
    harness.get_by_label("you finished sending");
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Finish sending")
            .is_none()
    );
    harness.get_by_label_contains("You finished sending (FIN sent)");

    // The peer can still send.
    client.write_all(b"still talking").unwrap();
    step_until(&mut harness, "the peer's message", |app| {
        rows_text(app, Direction::Rx) == ["still talking"]
    });
    assert_eq!(harness.state().log().connected_peers(), 1);
}

#[test]
fn a_peer_that_finished_sending_shows_so_and_stays_connected_until_it_closes() {
    // A delayed reply keeps the connection open after the peer's FIN, until it has gone out.
    let rule = "exact:ping=>[1500ms]pong".parse().unwrap();
    let mut harness = harness(with(Preset {
        rules: vec![rule],
        ..preset()
    }));
    let mut client = server_with_client(&mut harness);
    client.write_all(b"ping").unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    step_until(&mut harness, "the peer's FIN", |app| {
        app.log().peers().next().unwrap().peer_finished
    });
    harness.get_by_label("finished sending (FIN)");
    harness.get_by_label_contains("The peer finished sending (FIN)");
    assert_eq!(harness.state().log().connected_peers(), 1);
    harness.get_by_role_and_label(Role::Button, "Disconnect");

    assert_eq!(read_exactly(&mut client, 4), b"pong");
    step_until(&mut harness, "the close after the reply", |app| {
        app.log().connected_peers() == 0
    });
    assert_eq!(client.read(&mut [0; 8]).unwrap(), 0);
    assert!(harness.query_by_label("finished sending (FIN)").is_none());
}

/// Runs only the app's `logic`, as eframe does while the window is minimised or covered, until `done`
/// holds; fails after [`WAIT`]. No frame is drawn.
fn logic_until(
    harness: &mut Harness<'_, NetAssistApp>,
    what: &str,
    done: impl Fn(&NetAssistApp) -> bool,
) {
    let ctx = harness.ctx.clone();
    let deadline = Instant::now() + WAIT;
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.state_mut().logic(&ctx);
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn an_undrawn_window_keeps_logging_and_capturing() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("capture.log");
    let mut harness = harness_for(NetAssistApp::new(
        settings(),
        Box::new(Scripted::with(&[&capture])),
    ));
    menu(&mut harness, "Log", "Capture to file…");
    let mut client = server_with_client(&mut harness);
    let frames = harness.ctx.cumulative_pass_nr();

    for i in 0..5 {
        let line = format!("line {i}");
        client.write_all(format!("{line}\n").as_bytes()).unwrap();
        logic_until(&mut harness, &line, |app| {
            rows_text(app, Direction::Rx).len() == i + 1
                && std::fs::read_to_string(&capture).unwrap().contains(&line)
        });
    }
    assert_eq!(
        harness.ctx.cumulative_pass_nr(),
        frames,
        "nothing was drawn"
    );
}
