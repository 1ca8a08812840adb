//! The log table driven like a person would: selecting rows with click, Ctrl+click and Shift+click, copying
//! them with Ctrl+C, and a row's context menu. Traffic stays on loopback.
#![allow(clippy::unwrap_used)]

mod window;

use std::io::Write;
use std::net::TcpStream;

use egui::accesskit::Role;
use egui::{Modifiers, OutputCommand};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use netassist::format::{Display, row_line};
use netassist::i18n::{Lang, Text};
use netassist::preset::Preset;
use netassist::traffic::RowKind;
use netassist::ui::NetAssistApp;
use window::*;

/// A server that received `one`, `two`, `three` and `four` as separate lines from one client.
fn with_four_rows() -> (Harness<'static, NetAssistApp>, TcpStream) {
    let mut harness = harness(with(Preset {
        framing: netassist::codec::Framing::Delimiter {
            delimiter: b"\n".to_vec(),
            keep: false,
        },
        ..preset()
    }));
    let addr = open(&mut harness);
    let mut client = TcpStream::connect(addr).unwrap();
    client.write_all(b"one\ntwo\nthree\nfour\n").unwrap();
    step_until(&mut harness, "four rows", |app| data_rows(app).len() == 4);
    harness.run();
    (harness, client)
}

/// The log's data rows, as the text export writes them.
fn data_rows(app: &NetAssistApp) -> Vec<String> {
    let log = app.log();
    let display = Display::of(&app.settings.preset);
    (0..log.len())
        .filter_map(|i| log.row(i))
        .filter(|row| matches!(row.kind, RowKind::Data { .. }))
        .map(|row| row_line(row, &display))
        .collect()
}

/// What the last frame put on the clipboard.
fn copied(harness: &Harness<'_, NetAssistApp>) -> Option<String> {
    harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|command| match command {
            OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
}

/// Ctrl+C as the window receives it, and what it copied.
fn ctrl_c(harness: &mut Harness<'_, NetAssistApp>) -> Option<String> {
    harness.event(egui::Event::Copy);
    harness.step();
    copied(harness)
}

#[test]
fn rows_picked_by_click_ctrl_click_and_shift_click_copy_as_export_lines() {
    let (mut harness, _client) = with_four_rows();
    let lines = data_rows(harness.state());
    assert_eq!(
        ctrl_c(&mut harness),
        None,
        "nothing selected, nothing copied"
    );

    harness.get_by_label("two").click();
    harness.run();
    assert_eq!(ctrl_c(&mut harness).unwrap(), lines[1]);

    // Ctrl+click adds a row; the copy keeps the log's order.
    harness
        .get_by_label("four")
        .click_modifiers(Modifiers::COMMAND);
    harness.run();
    assert_eq!(
        ctrl_c(&mut harness).unwrap(),
        [lines[1].as_str(), &lines[3]].join("\n")
    );

    // Shift+click selects the run from the row clicked last.
    harness
        .get_by_label("one")
        .click_modifiers(Modifiers::SHIFT);
    harness.run();
    assert_eq!(ctrl_c(&mut harness).unwrap(), lines.join("\n"));

    // Ctrl+click takes one out again; the toolbar's button copies the same.
    harness
        .get_by_label("three")
        .click_modifiers(Modifiers::COMMAND);
    harness.run();
    let expected = [lines[0].as_str(), &lines[1], &lines[3]].join("\n");
    assert_eq!(ctrl_c(&mut harness).unwrap(), expected);
    harness
        .get_by_role_and_label(Role::Button, "Copy rows")
        .click();
    harness.step();
    assert_eq!(copied(&harness).unwrap(), expected);

    // In a text field, Ctrl+C is the field's.
    harness
        .get_by_role_and_label(Role::MultilineTextInput, "Message")
        .focus();
    harness.run();
    assert_eq!(ctrl_c(&mut harness), None);
    harness.run();
}

#[test]
fn a_rows_context_menu_copies_its_text_or_hex_and_shows_only_its_peer() {
    let (mut harness, _client) = with_four_rows();
    // A second client, whose row the peer filter hides.
    let mut other = TcpStream::connect(harness.state().log().local_addr().unwrap()).unwrap();
    other.write_all(b"other\n").unwrap();
    step_until(&mut harness, "the other client's row", |app| {
        data_rows(app).len() == 5
    });
    harness.run();

    let context_menu = |harness: &mut Harness<'_, NetAssistApp>, row: &str, entry: &str| {
        harness.get_by_label(row).click_secondary();
        harness.run();
        harness.get_by_role_and_label(Role::Button, entry).click();
        harness.step();
    };
    context_menu(&mut harness, "three", "Copy text");
    assert_eq!(copied(&harness).unwrap(), "three");
    harness.run();
    context_menu(&mut harness, "three", "Copy hex");
    assert_eq!(copied(&harness).unwrap(), "74 68 72 65 65");
    harness.run();

    context_menu(&mut harness, "other", "Show only this peer");
    harness.run();
    assert!(harness.query_by_label("other").is_some());
    assert!(harness.query_by_label("three").is_none());
}

#[test]
fn a_wrapped_row_keeps_its_text_inside_its_own_height() {
    let (mut harness, mut client) = with_four_rows();
    // Words that leave room at each line's end, so a count of characters alone would give too few lines.
    let long = "abcdefghijklmnopqrstuvwxyz ".repeat(5);
    client
        .write_all(format!("{}\nafter\n", long.trim_end()).as_bytes())
        .unwrap();
    step_until(&mut harness, "the long row", |app| {
        data_rows(app).len() == 6
    });
    harness
        .get_by_role_and_label(egui::accesskit::Role::CheckBox, "Wrap")
        .click();
    harness.run();
    let wrapped = harness
        .get_by_label_contains("abcdefghijklmnopqrstuvwxyz")
        .rect();
    let next = harness.get_by_label("after").rect();
    assert!(
        wrapped.height() > 2.0 * next.height(),
        "the long row takes several lines: {wrapped:?}"
    );
    assert!(
        wrapped.bottom() <= next.top(),
        "the long row {wrapped:?} runs into the next {next:?}"
    );
}

#[test]
fn a_closed_rows_context_menu_says_what_its_reason_usually_means() {
    let (mut harness, client) = with_four_rows();
    // Closed with an RST: lingering for no time resets the connection.
    let client = socket2::Socket::from(client);
    client.set_linger(Some(std::time::Duration::ZERO)).unwrap();
    drop(client);
    step_until(&mut harness, "the reset row", |app| {
        let log = app.log();
        (0..log.len()).filter_map(|i| log.row(i)).any(
            |row| matches!(&row.kind, RowKind::Note(note) if note.text(Lang::En).contains("RST")),
        )
    });
    harness.run();
    assert!(
        harness
            .query_by_label_contains("Reset by the peer")
            .is_none()
    );
    harness
        .get_by_label("Closed: reset (RST)")
        .click_secondary();
    harness.run();
    harness.get_by_label_contains("Reset by the peer (TCP RST)");
}
