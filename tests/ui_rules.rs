//! The reply rules window while a session is open: an edit reaches the device only when it is committed,
//! and while the rules have a mistake the window says which rules still answer. Traffic stays on loopback.
#![allow(clippy::unwrap_used)]

mod window;

use std::io::{Read, Write};
use std::net::TcpStream;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use netassist::preset::Preset;
use netassist::ui::NetAssistApp;
use window::*;

/// A server whose one rule answers `ping` with `reply`, its rules window open, and a client.
fn server_with_rule(reply: &str) -> (Harness<'static, NetAssistApp>, TcpStream) {
    let rule = format!("exact:ping=>{reply}").parse().unwrap();
    let mut harness = harness(with(Preset {
        rules: vec![rule],
        ..preset()
    }));
    let client = server_with_client(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Reply rules…")
        .click();
    harness.run();
    (harness, client)
}

/// Sends `ping` and reads the answer, up to and with its `;`.
fn ping(client: &mut TcpStream) -> String {
    client.write_all(b"ping").unwrap();
    let mut answer = Vec::new();
    let mut byte = [0];
    while answer.last() != Some(&b';') {
        client.read_exact(&mut byte).unwrap();
        answer.push(byte[0]);
    }
    String::from_utf8(answer).unwrap()
}

/// Empties the reply field of rule 1 and leaves the focus in it.
fn clear_reply(harness: &mut Harness<'_, NetAssistApp>) {
    harness
        .get_by_role_and_label(Role::TextInput, "Reply 1")
        .focus();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    harness.run();
}

/// Types `text` into the focused field one character at a time, a frame after each.
fn type_slowly(harness: &mut Harness<'_, NetAssistApp>, text: &str, mut between: impl FnMut()) {
    for ch in text.chars() {
        harness
            .get_by_role_and_label(Role::TextInput, "Reply 1")
            .type_text(&ch.to_string());
        harness.run();
        between();
    }
}

#[test]
fn a_reply_reaches_the_device_when_its_edit_is_committed_not_while_it_is_typed() {
    let (mut harness, mut client) = server_with_rule("pong;");
    assert_eq!(ping(&mut client), "pong;");
    clear_reply(&mut harness);
    // Every half-typed reply (empty, `p`, `pong{conte`, …) stays in the window.
    let mut answers = Vec::new();
    type_slowly(&mut harness, "pong{counter};", || {
        answers.push(ping(&mut client));
    });
    assert!(answers.iter().all(|a| a == "pong;"), "{answers:?}");
    harness.get_by_label_contains(
        "Not applied yet: the open session answers with the rules it was last given",
    );

    // Enter commits it. The rules reach the session's thread beside the next ping, so ping until it
    // answers by them (a bounded number of times); their counts start again.
    harness.key_press(egui::Key::Enter);
    harness.run();
    assert!(harness.query_by_label_contains("Not applied yet").is_none());
    let answer = (0..50)
        .map(|_| ping(&mut client))
        .find(|answer| answer != "pong;")
        .expect("the committed reply never answered");
    assert_eq!(answer, "pong1;");
}

#[test]
fn while_the_rules_have_a_mistake_the_window_names_the_rules_that_still_answer() {
    let (mut harness, mut client) = server_with_rule("pong{counter};");
    assert_eq!(ping(&mut client), "pong1;");
    clear_reply(&mut harness);
    type_slowly(&mut harness, "pong{conter};", || {});
    harness.key_press(egui::Key::Enter);
    harness.run();
    harness.get_by_label_contains("position 5: unknown variable 'conter'");
    harness.get_by_label(
        "Because of this mistake the open session still answers with the rules it was last given:",
    );
    harness.get_by_label("1. exact:ping=>pong{counter};");
    // It does: its count goes on.
    assert_eq!(ping(&mut client), "pong2;");
    // In Chinese too.
    harness.state_mut().settings.lang = netassist::ui::Lang::Zh;
    harness.run();
    harness.get_by_label("由于这个错误，已打开的连接仍按上次生效的规则回复：");
}

#[test]
fn the_window_lists_every_variable_a_reply_may_hold() {
    let (mut harness, _client) = server_with_rule("pong;");
    // The rules' own, then every send variable, as the send box's help and the error messages list them.
    let send = netassist::codec::template::known(false);
    assert!(send.contains("{rand:N}, {sum8}"), "{send}");
    harness.get_by_label_contains(&format!(
        "{{reset}} counts back to 0, {{peer}} the sender; and the send variables: {send}."
    ));
    harness.get_by_label_contains("$0 the message, $1… regex groups or hex wildcards ($$ writes $), {n} this rule's count, {n:K} rule K's count");
    harness.state_mut().settings.lang = netassist::ui::Lang::Zh;
    harness.run();
    harness.get_by_label_contains(&format!("以及发送变量：{send}。"));
}
