//! Send variables in the window: a typo is named with its position while it is typed and nothing is sent;
//! the send box, each quick command and the periodic send count on their own; a checksum covers the bytes
//! before it. Traffic stays on loopback.
#![allow(clippy::unwrap_used)]

mod window;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use netassist::codec::{Checksum, InputMode};
use netassist::ui::{Lang, NetAssistApp};
use window::*;

/// Types `text` into the (empty) send box.
fn type_message(harness: &mut Harness<'_, NetAssistApp>, text: &str) {
    let message = harness.get_by_role_and_label(Role::MultilineTextInput, "Message");
    message.focus();
    message.type_text(text);
    harness.run();
}

fn click(harness: &mut Harness<'_, NetAssistApp>, role: Role, label: &str) {
    harness.get_by_role_and_label(role, label).click();
    harness.run();
}

/// A window with a quick command added from the send box holding `text`, open in its editor with the
/// focus in what it sends.
fn quick_command_in_its_window(text: &str) -> Harness<'static, NetAssistApp> {
    let mut harness = harness(settings());
    type_message(&mut harness, text);
    click(&mut harness, Role::Button, "+ Add from send box");
    harness
        .get_by_role_and_label(Role::Button, text)
        .click_secondary();
    harness.run();
    click(&mut harness, Role::Button, "Edit…");
    harness
        .get_by_role_and_label(Role::MultilineTextInput, "Sends")
        .focus();
    harness.run();
    harness
}

#[test]
fn a_variable_typo_is_named_with_its_position_and_nothing_is_sent() {
    let mut harness = harness(settings());
    let _client = server_with_client(&mut harness);
    type_message(&mut harness, "n={conter};");
    // Named while typing, before any send.
    harness.get_by_label_contains("position 3: unknown variable 'conter'; known: {counter}");
    click(&mut harness, Role::Button, "Send");
    assert_eq!(harness.state().log().totals().tx_bytes, 0, "nothing sent");
    harness.get_by_label_contains("position 3: unknown variable 'conter'");
    // A quick command cannot be made of it either.
    click(&mut harness, Role::Button, "+ Add from send box");
    assert!(harness.state().settings.preset.quick.is_empty());
    // In Chinese too.
    harness.state_mut().settings.lang = Lang::Zh;
    harness.run();
    harness.get_by_label_contains("第 3 个字符：未知变量 'conter'");
    harness.state_mut().settings.lang = Lang::En;
    harness.run();
    // Fixed, the message goes, and so does the error.
    harness.state_mut().settings.send_text = "n={counter};".to_owned();
    harness.run();
    assert!(
        harness
            .query_by_label_contains("unknown variable")
            .is_none()
    );
    click(&mut harness, Role::Button, "Send");
    step_until(&mut harness, "the send", |app| {
        app.log().totals().tx_bytes == 4
    });
}

#[test]
fn the_send_box_and_each_quick_command_count_on_their_own() {
    let mut harness = harness(settings());
    let mut client = server_with_client(&mut harness);
    type_message(&mut harness, "n{counter};");
    click(&mut harness, Role::Button, "Send");
    click(&mut harness, Role::Button, "Send");
    assert_eq!(read_exactly(&mut client, 6), b"n1;n2;");

    // A Modbus request whose last register byte counts, with its CRC over the bytes before it.
    let send = &mut harness.state_mut().settings;
    send.preset.send.input = InputMode::Hex;
    send.send_text = "01 03 00 {counter:2} {crc16modbus}".to_owned();
    harness.run();
    click(&mut harness, Role::Button, "+ Add from send box");
    harness.state_mut().settings.preset.quick[0].name = "read".to_owned();
    harness.run();
    let modbus = |n: u8| {
        let mut frame = vec![0x01, 0x03, 0x00, 0x00, n];
        Checksum::Crc16Modbus.append(&mut frame);
        frame
    };
    for n in 1..=2 {
        click(&mut harness, Role::Button, "HEX read");
        assert_eq!(read_exactly(&mut client, 7), modbus(n), "quick send {n}");
    }
    // The send box's own count went on from where it was.
    click(&mut harness, Role::Button, "Send");
    assert_eq!(read_exactly(&mut client, 7), modbus(3));
}

#[test]
fn a_periodic_send_counts_its_sends_from_1_each_time_it_starts() {
    let mut harness = harness(settings());
    let mut client = server_with_client(&mut harness);
    let settings = &mut harness.state_mut().settings;
    settings.preset.periodic_ms = "1".to_owned();
    settings.preset.periodic_count = "3".to_owned();
    type_message(&mut harness, "t{counter};");
    // Its ticks come while the click's frames run, each asking for one more frame: one frame takes the
    // click, and the sends need no other.
    harness
        .get_by_role_and_label(Role::Button, "Start periodic")
        .click();
    harness.step();
    assert_eq!(read_exactly(&mut client, 9), b"t1;t2;t3;");
    // Started again in the same session, it counts from 1 again, as the README says.
    let deadline = std::time::Instant::now() + WAIT;
    while harness
        .query_by_role_and_label(Role::Button, "Start periodic")
        .is_none()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the periodic send never ended"
        );
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    harness
        .get_by_role_and_label(Role::Button, "Start periodic")
        .click();
    harness.step();
    assert_eq!(read_exactly(&mut client, 9), b"t1;t2;t3;");
}

#[test]
fn switching_text_and_hex_names_the_variables_whose_bytes_change() {
    let mut gbk = preset();
    gbk.send.encoding = netassist::codec::TextEncoding::Gbk;
    let mut harness = harness(with(gbk));
    type_message(&mut harness, "温度{counter}℃{sum8}");
    click(&mut harness, Role::RadioButton, "HEX");
    assert_eq!(
        harness.state().settings.send_text,
        "CE C2 B6 C8 {counter} A1 E6 {sum8}"
    );
    // {counter} sent 31 as text and sends 01 now; {sum8} is the same either way.
    let warning = harness
        .state()
        .send_error()
        .expect("the switch is explained")
        .en
        .clone();
    assert!(
        warning.starts_with("Now hex: {counter} writes bytes here, not decimal digits"),
        "{warning}"
    );
    assert!(!warning.contains("{sum8}"), "{warning}");
    harness.get_by_label_contains("Now hex: {counter}");
    // Back to text: named again, as its bytes change back.
    click(&mut harness, Role::RadioButton, "Text");
    assert_eq!(harness.state().settings.send_text, "温度{counter}℃{sum8}");
    harness.get_by_label_contains("Now text: {counter} writes decimal digits here");
    harness.state_mut().settings.lang = Lang::Zh;
    harness.run();
    harness.get_by_label_contains("已切换为文本：{counter} 在文本中写入十进制数字");
    // Typing on puts the warning away; a box without such variables switches without one.
    harness.state_mut().settings.lang = Lang::En;
    harness.state_mut().settings.send_text = "温度{time}".to_owned();
    harness.run();
    assert!(harness.state().send_error().is_none());
    click(&mut harness, Role::RadioButton, "HEX");
    assert_eq!(harness.state().settings.send_text, "CE C2 B6 C8 {time}");
    assert!(harness.state().send_error().is_none());
}

#[test]
fn a_quick_command_with_a_typo_cannot_be_done() {
    let mut harness = quick_command_in_its_window("ok {counter}");
    // Edited into a typo: named in its window, and Done waits for the fix.
    harness
        .get_by_role_and_label(Role::MultilineTextInput, "Sends")
        .type_text("{conter}");
    harness.run();
    harness.get_by_label_contains("position 13: unknown variable 'conter'");
    let done = harness.get_by_role_and_label(Role::Button, "Done");
    assert!(done.accesskit_node().is_disabled());
    done.click();
    harness.run();
    harness.get_by_role_and_label(Role::MultilineTextInput, "Sends");
    // Fixed, Done closes the window.
    harness
        .get_by_role_and_label(Role::MultilineTextInput, "Sends")
        .focus();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness
        .get_by_role_and_label(Role::MultilineTextInput, "Sends")
        .type_text("ok {time}");
    harness.run();
    click(&mut harness, Role::Button, "Done");
    assert!(
        harness
            .query_by_role_and_label(Role::MultilineTextInput, "Sends")
            .is_none()
    );
    assert_eq!(harness.state().settings.preset.quick[0].text, "ok {time}");
}

#[test]
fn a_quick_command_that_cannot_be_sent_is_named_under_the_send_box() {
    // A preset written by hand may hold a typo in a quick command.
    let mut preset = preset();
    preset.quick.push(netassist::preset::QuickCommand {
        name: "read".to_owned(),
        text: "ok {conter}".to_owned(),
        ..Default::default()
    });
    let mut harness = harness(with(preset));
    let _client = server_with_client(&mut harness);
    type_message(&mut harness, "fine");
    click(&mut harness, Role::Button, "read");
    assert_eq!(harness.state().log().totals().tx_bytes, 0, "nothing sent");
    harness.get_by_label_contains(
        "Quick command \"read\" not sent: position 4: unknown variable 'conter'",
    );
    harness.state_mut().settings.lang = Lang::Zh;
    harness.run();
    harness.get_by_label_contains("快捷指令“read”未发送：第 4 个字符");
}

#[test]
fn a_message_of_no_bytes_is_nothing_to_send_once_or_periodically() {
    let mut harness = harness(settings());
    let _client = server_with_client(&mut harness);
    harness.state_mut().settings.preset.send.input = InputMode::Hex;
    harness.state_mut().settings.preset.periodic_ms = "1".to_owned();
    type_message(&mut harness, "   ");
    // Said while typed, and nothing goes: no send, no periodic send counting sends of nothing.
    harness.get_by_label_contains("nothing to send: it makes no bytes");
    click(&mut harness, Role::Button, "Start periodic");
    click(&mut harness, Role::Button, "Send");
    for _ in 0..20 {
        harness.step();
    }
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Stop periodic")
            .is_none()
    );
    assert!(harness.query_by_label_contains("sent 0").is_none());
    assert_eq!(harness.state().log().totals().tx_messages, 0);
    harness.state_mut().settings.lang = Lang::Zh;
    harness.run();
    harness.get_by_label_contains("没有可发送的内容：它不产生任何字节");
}

#[test]
fn a_quick_command_emptied_cannot_be_done() {
    let mut harness = quick_command_in_its_window("ok");
    harness.key_press(egui::Key::Backspace);
    harness.key_press(egui::Key::Backspace);
    harness.run();
    assert_eq!(harness.state().settings.preset.quick[0].text, "");
    harness.get_by_label_contains("nothing to send");
    let done = harness.get_by_role_and_label(Role::Button, "Done");
    assert!(done.accesskit_node().is_disabled());
}
