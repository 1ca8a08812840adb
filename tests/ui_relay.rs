//! The window in relay mode, driven through `egui_kittest` on loopback: a Python board relayed to a
//! Python echo server, each pair one entry in the peers panel, rows that name their pair, sends to
//! either side, a pair disconnected, an unreachable target and its why, Chinese labels, and the rules'
//! onward choice.
#![allow(clippy::unwrap_used)]

mod common;
mod window;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use netassist::engine::{CloseReason, Direction, PeerId};
use netassist::preset::{ModeKind, Preset};
use netassist::rules::Rule;
use netassist::traffic::{RelaySide, RowKind};
use netassist::ui::app::NetAssistApp;
use netassist::ui::diagnose::DiagnoseFields;
use window::*;

/// A relay on a free loopback port to `target`.
fn relay_to(target: SocketAddr) -> Preset {
    Preset {
        mode: ModeKind::Relay,
        remote_host: target.ip().to_string(),
        remote_port: target.port().to_string(),
        ..preset()
    }
}

/// A Python program from the peers folder, killed when dropped.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The echo server on a free port, and that port.
fn echo_server() -> Option<(Peer, SocketAddr)> {
    let program = common::peer_program("echo_server.py")?;
    let mut child = Command::new("python3")
        .arg(program)
        .args(["--port", "0", "--prefix", "echo ", "--seconds", "20"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let listening: serde_json::Value = serde_json::from_str(&first).unwrap();
    let port = u16::try_from(listening["listening"][1].as_u64().unwrap()).unwrap();
    Some((Peer(child), SocketAddr::from(([127, 0, 0, 1], port))))
}

/// The board connecting to the relay at `relay`.
fn board(relay: SocketAddr) -> Option<Peer> {
    let program = common::peer_program("board_client.py")?;
    let child = Command::new("python3")
        .arg(program)
        .args(["--port", &relay.port().to_string(), "--seconds", "20"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    Some(Peer(child))
}

/// The first pair's device and server side, once both are connected.
fn pair(app: &NetAssistApp) -> Option<(PeerId, PeerId)> {
    let device = app
        .log()
        .peers()
        .find(|peer| peer.pairing.is_some_and(|p| p.side == RelaySide::Device))?;
    let server = app.log().peer(device.pairing?.partner)?;
    Some((device.id, server.id))
}

/// Whether the log holds a data row of `peer` going `dir` whose bytes contain `text`.
fn has_row(app: &NetAssistApp, peer: PeerId, dir: Direction, text: &[u8]) -> bool {
    let log = app.log();
    (0..log.len()).filter_map(|i| log.row(i)).any(|row| {
        row.peer == Some(peer)
            && matches!(&row.kind, RowKind::Data { dir: d, bytes, .. }
                if *d == dir && bytes.windows(text.len()).any(|w| w == text))
    })
}

/// A few frames, for a click or a change to be drawn, where [`Harness::run`] would wait for the window to
/// settle: the board and the echo server keep answering each other, so rows keep coming, and on a loaded
/// machine enough of them come between frames that the window never does.
fn frames(harness: &mut Harness<'_, NetAssistApp>) {
    harness.run_steps(12);
}

#[test]
fn a_board_and_its_echo_server_are_one_pair_sent_to_on_either_side_and_disconnected() {
    let Some((_echo, target)) = echo_server() else {
        return;
    };
    let mut harness = harness_sized(
        NetAssistApp::new(with(relay_to(target)), Box::<Scripted>::default()),
        egui::vec2(1024.0, 768.0),
    );
    let relay = open(&mut harness);
    let Some(_board) = board(relay) else { return };
    step_until(&mut harness, "the pair", |app| {
        pair(app).is_some_and(|(device, _)| app.log().peer(device).unwrap().counters.rx_bytes > 0)
    });
    let (device, server) = pair(harness.state()).unwrap();
    step_until(&mut harness, "the echo back", |app| {
        has_row(app, server, Direction::Rx, b"echo Hello 01Studio!")
    });
    frames(&mut harness);
    let log = harness.state().log();
    let device_addr = log.peer(device).unwrap().addr.socket;
    let server_local = log
        .peer(server)
        .unwrap()
        .addr
        .pair
        .unwrap()
        .server_local
        .unwrap();

    // At 1024x768 the peers panel starts folded into a strip that opens it.
    harness.get_by_role_and_label(Role::Button, "◀").click();
    frames(&mut harness);
    // One entry for the pair: the device, and the server side with the relay's own port.
    harness.get_by_label("Devices and servers");
    harness.get_by_label_contains(&format!("Device {device_addr} · RX "));
    harness.get_by_label_contains(&format!("Server {target} :{} · RX ", server_local.port()));
    harness.get_by_label("Relaying both ways");
    assert!(
        harness.query_by_label("Disconnect").is_none(),
        "no per-peer entries"
    );
    // The log's rows read as directions of the pair.
    assert!(
        harness
            .query_all_by_label(&format!("{device_addr}→{target}"))
            .next()
            .is_some()
    );
    assert!(
        harness
            .query_all_by_label(&format!("{target}→{device_addr}"))
            .next()
            .is_some()
    );
    harness.get_by_label_contains("Pairs: 1 · device → server ");

    // Send to the server side: its TX row, and the echo server's answer to it.
    harness
        .get_by_label_contains(&format!("Server {target} :"))
        .click();
    frames(&mut harness);
    harness.state_mut().settings.send_text = "to-server".to_owned();
    frames(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Send").click();
    step_until(&mut harness, "the server's echo of it", |app| {
        has_row(app, server, Direction::Tx, b"to-server")
            && has_row(app, server, Direction::Rx, b"echo to-server")
    });
    // Send to the device: the board echoes it, so it comes back as the device's RX.
    harness
        .get_by_label_contains(&format!("Device {device_addr}"))
        .click();
    frames(&mut harness);
    harness.state_mut().settings.send_text = "to-device".to_owned();
    frames(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Send").click();
    step_until(&mut harness, "the board's echo of it", |app| {
        has_row(app, device, Direction::Tx, b"to-device")
            && has_row(app, device, Direction::Rx, b"to-device")
    });
    // What the board sent back went on to the server without a row of its own there.
    assert!(!has_row(
        harness.state(),
        server,
        Direction::Tx,
        b"to-device"
    ));

    // Disconnect the pair: both sides close.
    harness
        .get_by_role_and_label(Role::Button, "Disconnect pair")
        .click();
    step_until(&mut harness, "both sides closed", |app| {
        app.log().connected_peers() == 0
    });
    let log = harness.state().log();
    assert_eq!(log.peer(device).unwrap().closed, Some(CloseReason::Kicked));
    assert!(log.peer(server).unwrap().closed.is_some());
    harness.get_by_label_contains("Pairs: 0 · ");
}

#[test]
fn an_unreachable_target_closes_the_device_with_a_why() {
    // A port nobody listens on any more: the connection is refused.
    let target = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut harness = harness(with(relay_to(target)));
    let relay = open(&mut harness);
    let _device = TcpStream::connect(relay).unwrap();
    step_until(&mut harness, "the device closed", |app| {
        app.log()
            .peers()
            .any(|peer| matches!(peer.closed, Some(CloseReason::Unreachable(_))))
    });
    harness.run();
    harness.get_by_label_contains("Show closed (1)").click();
    harness.run();
    // The close in the pair's entry and the log's row.
    assert_eq!(
        harness
            .query_all_by_label_contains(
                "Closed: the relay could not reach its target, so it closed the device (FIN): "
            )
            .count(),
        1
    );
    assert!(
        harness
            .query_all_by_label_contains("the relay could not reach its target, so it closed")
            .count()
            >= 2
    );
    harness.get_by_label("→ target: no connection");
    harness.get_by_role_and_label(Role::Button, "why?").click();
    harness.run();
    harness.get_by_label_contains("The relay could not connect this device on to its target");
    harness.get_by_label_contains("Refused: the host is up");
}

#[test]
fn relay_labels_in_chinese() {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut harness = harness(with(relay_to(target.local_addr().unwrap())));
    let relay = open(&mut harness);
    harness.state_mut().settings.lang = netassist::ui::Lang::Zh;
    let _device = TcpStream::connect(relay).unwrap();
    let _server = target.accept().unwrap();
    step_until(&mut harness, "the pair", |app| pair(app).is_some());
    harness.run();
    harness.get_by_label("设备与服务器");
    harness.get_by_label("所有设备");
    harness.get_by_label_contains("设备 127.0.0.1:");
    harness.get_by_label_contains("服务器 127.0.0.1:");
    harness.get_by_label("双向中继中");
    harness.get_by_role_and_label(Role::Button, "断开这对");
    harness.get_by_role_and_label(Role::Button, "结束→设备");
    harness.get_by_role_and_label(Role::Button, "结束→服务器");
    harness.get_by_label_contains("中继对： 1 · 设备 → 服务器 0 B");
}

#[test]
fn a_rules_answer_goes_on_to_the_other_side_only_in_relay_mode() {
    let mut preset = relay_to(SocketAddr::from(([127, 0, 0, 1], 9)));
    preset.rules = vec![Rule::default()];
    let mut harness = harness(with(preset));
    harness.state_mut().rules_panel.open = true;
    harness.run();
    harness.get_by_label("Answer of rule 1");
    harness
        .get_by_role_and_label(Role::RadioButton, "on to the other side")
        .click();
    harness.run();
    assert!(harness.state().settings.preset.rules[0].onward);

    // Outside relay the choice is gone, and the rule says why a session refuses it.
    harness.state_mut().settings.preset.mode = ModeKind::TcpServer;
    harness.run();
    assert!(harness.query_by_label("Answer of rule 1").is_none());
    harness.get_by_label_contains("which only relay mode has");
    harness
        .get_by_role_and_label(Role::Button, "Answer the sender instead")
        .click();
    harness.run();
    assert!(!harness.state().settings.preset.rules[0].onward);

    // The same choice in Chinese.
    harness.state_mut().settings.preset.mode = ModeKind::Relay;
    harness.state_mut().settings.lang = netassist::ui::Lang::Zh;
    harness.run();
    harness.get_by_label("规则应答 1");
    harness.get_by_role_and_label(Role::RadioButton, "回复发送方");
    harness.get_by_role_and_label(Role::RadioButton, "转发到另一端");
}

#[test]
fn diagnose_checks_a_relays_listening_side_and_its_target_over_tcp() {
    let preset = Preset {
        local_port: "9000".to_owned(),
        remote_host: "192.168.1.50".to_owned(),
        remote_port: "8883".to_owned(),
        ..relay_to(SocketAddr::from(([127, 0, 0, 1], 9)))
    };
    let fields = DiagnoseFields::for_preset(&preset, None);
    assert_eq!(
        (
            fields.local_ip.as_str(),
            fields.local_port.as_str(),
            fields.remote_host.as_str(),
            fields.remote_port.as_str(),
            fields.udp
        ),
        ("127.0.0.1", "9000", "192.168.1.50", "8883", false)
    );
}

#[test]
fn relay_mode_starts_with_no_target_and_refuses_itself_as_one() {
    let mut harness = harness(with(Preset {
        local_ip: "127.0.0.1".to_owned(),
        ..Preset::default()
    }));
    harness
        .get_by_role_and_label(Role::ComboBox, "Mode")
        .click();
    harness.run();
    harness.get_by_label("Relay").click();
    harness.run();
    // The client's default target (this PC, port 10000) is the relay's own default listening port.
    assert_eq!(harness.state().settings.preset.remote_host, "");
    let target = harness.get_by_role_and_label(Role::TextInput, "Target host");
    assert_eq!(target.value().as_deref(), Some(""));
    harness.get_by_role_and_label(Role::Button, "Open").click();
    harness.run();
    harness.get_by_label("Type the server's IP address or host name.");
    assert!(!harness.state().is_open());

    // Typed as the relay's own address, it is refused when the session opens; nothing listens.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let preset = &mut harness.state_mut().settings.preset;
    preset.local_port = port.to_string();
    preset.remote_host = "localhost".to_owned();
    preset.remote_port = port.to_string();
    harness.get_by_role_and_label(Role::Button, "Open").click();
    step_until(&mut harness, "the session to end", |app| {
        app.log().is_stopped()
    });
    harness.run();
    let says = format!(
        "The target localhost:{port} is this relay itself: 127.0.0.1:{port} reaches it, listening on \
         127.0.0.1:{port}."
    );
    assert!(harness.query_all_by_label_contains(&says).count() >= 1);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    harness.state_mut().settings.lang = netassist::ui::Lang::Zh;
    harness.run();
    assert!(
        harness
            .query_all_by_label_contains("就是本中继自己")
            .count()
            >= 1
    );
}
