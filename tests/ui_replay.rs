//! Log → Replay… in the window: a recording of a loopback session replayed as the device against a test
//! server (waiting for the PC's reply), the window saying PASS; the same over TLS with the connection panel's TLS
//! settings; and a file that is not pcapng refused in English and Chinese.
#![allow(clippy::unwrap_used)]

mod window;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use netassist::engine::{Command, Target};
use netassist::pcap::PcapOptions;
use netassist::session::Controller;
use netassist::traffic::{LogConfig, TrafficLog};
use netassist::ui::{Lang, NetAssistApp};
use window::*;

/// Takes a controller's events until `done` holds, failing after [`WAIT`].
fn until(controller: &mut Controller, done: impl Fn(&Controller) -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done(controller) {
        assert!(Instant::now() < deadline, "timed out");
        controller.wait_event(Duration::from_millis(50));
    }
}

/// Records to `file` a server session whose client sends `Hello`, gets `ping` back and closes.
fn record(file: &Path) {
    let mut controller = Controller::new(TrafficLog::new(LogConfig::default()));
    controller.start_pcap(file, PcapOptions::default()).unwrap();
    controller
        .start(preset().session().unwrap(), || {})
        .unwrap();
    until(&mut controller, |c| c.log().local_addr().is_some());
    let mut client = std::net::TcpStream::connect(controller.log().local_addr().unwrap()).unwrap();
    client.set_read_timeout(Some(WAIT)).unwrap();
    client.write_all(b"Hello").unwrap();
    until(&mut controller, |c| c.log().totals().rx_bytes == 5);
    let peer = controller.log().peers().next().unwrap().id;
    controller.command(Command::Send {
        to: Target::Peer(peer),
        bytes: bytes::Bytes::from_static(b"ping"),
    });
    assert_eq!(read_exactly(&mut client, 4), b"ping");
    drop(client);
    until(&mut controller, |c| c.log().connected_peers() == 0);
    controller.stop(|_| {});
    controller.stop_pcap().unwrap().unwrap();
}

/// The Replay window with a fresh recording (in the folder returned) picked, a test server that is not
/// accepting yet, and the window set up by `prepare` first.
fn replay_window_with_recording(
    prepare: impl FnOnce(&mut NetAssistApp),
) -> (
    tempfile::TempDir,
    TcpListener,
    Harness<'static, NetAssistApp>,
) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("board.pcapng");
    record(&file);
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let dialogs = Scripted::with(&[&file]);
    let mut harness = harness_for(NetAssistApp::new(settings(), Box::new(dialogs)));
    prepare(harness.state_mut());
    menu(&mut harness, "Log", "Replay…");
    harness.get_by_label("File…").click();
    harness.run();
    (dir, server, harness)
}

#[test]
fn a_recording_replays_as_the_device_and_the_window_says_pass() {
    let (_dir, server, mut harness) = replay_window_with_recording(|_| {});
    assert!(harness.query_by_label_contains("(1 connections)").is_some());
    harness
        .get_by_role_and_label(Role::RadioButton, "As the device")
        .click();
    harness
        .get_by_role_and_label(Role::RadioButton, "Wait for the other side")
        .click();
    harness.run();
    // The device connected to NetAssist: its replay connects, here to the test's server.
    assert!(harness.query_by_label("Connect to").is_some());
    harness.state_mut().replay.target = server.local_addr().unwrap().to_string();
    harness.run();
    harness.get_by_label("Start").click();
    harness.run();
    let (mut pc, _) = server.accept().unwrap();
    pc.set_read_timeout(Some(WAIT)).unwrap();
    assert_eq!(read_exactly(&mut pc, 5), b"Hello");
    pc.write_all(b"ping").unwrap();
    // The device closed first in the recording: the replay closes once the ping came.
    let mut rest = Vec::new();
    pc.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    step_until(&mut harness, "the replay to end", |app| !app.is_open());
    harness.run();
    assert!(
        harness.query_by_label_contains("PASS (").is_some(),
        "the window shows the result"
    );
    assert_eq!(harness.state().log().totals().tx_bytes, 5);
    assert_eq!(harness.state().log().totals().rx_bytes, 4);
}

#[test]
fn a_file_that_is_not_pcapng_is_refused_in_the_windows_language() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("capture.log");
    std::fs::write(&text, "12:00:01.234 RX 127.0.0.1:5000 5B hello\n").unwrap();
    for (lang, log, replay, file, said) in [
        (Lang::En, "Log", "Replay…", "File…", "is not a pcapng file"),
        (Lang::Zh, "记录", "回放…", "文件…", "不是 pcapng 文件"),
    ] {
        let mut settings = settings();
        settings.lang = lang;
        let dialogs = Scripted::with(&[&text]);
        let mut harness = harness_for(NetAssistApp::new(settings, Box::new(dialogs)));
        menu(&mut harness, log, replay);
        harness.get_by_label(file).click();
        harness.run();
        assert!(harness.query_by_label_contains(said).is_some(), "{said}");
        // Nothing to start, and the window goes on.
        assert!(!harness.state().is_open());
    }
}

#[test]
fn over_tls_the_replay_connects_with_the_connection_panels_tls_settings() {
    let (_dir, server, mut harness) = replay_window_with_recording(|app| {
        app.settings.preset.tls.accept_any = true;
    });
    harness
        .get_by_role_and_label(Role::RadioButton, "As the device")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(Role::CheckBox, "Over TLS, as set in the connection panel")
        .click();
    harness.state_mut().replay.target = server.local_addr().unwrap().to_string();
    harness.run();
    assert!(harness.state().replay.tls);
    harness.get_by_label("Start").click();
    harness.run();
    let (mut pc, _) = server.accept().unwrap();
    pc.set_read_timeout(Some(WAIT)).unwrap();
    // The replay's first bytes are a TLS handshake record (its ClientHello), not the board's Hello.
    let head = read_exactly(&mut pc, 3);
    assert_eq!(head[0], 0x16, "{head:?}");
    assert_eq!(head[1], 0x03, "{head:?}");
}
