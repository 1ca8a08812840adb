//! Record and replay on loopback, with the real binary and the real board program: a server session
//! records its conversation with `board_client.py` as pcapng (`--pcap`); replayed as the device against
//! a fresh server session, that server receives the board's bytes, the same and in the same order; replayed
//! as the PC against a fresh `board_client.py`, the board receives the PC's; both with the original gaps
//! and waiting for the other side, and over TLS with the TLS flags. A file that is not pcapng, or holds no conversation, exits 2 with a
//! message in English (and in Chinese in the window). Skipped, saying so, without `python3`.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};

use common::cli::{Netassist, json_lines};
use common::peer_program;
use netassist::codec::hex;
use netassist::replay::{self, Options, Side};
use serde_json::Value;

/// What the board said it did: its greeting and each chunk it echoed.
struct Board {
    greeting: String,
    echoed: Vec<String>,
}

impl Board {
    /// The bytes the board sent: its greeting, then its echoes.
    fn sent(&self) -> Vec<u8> {
        format!("{}{}", self.greeting, self.echoed.concat()).into_bytes()
    }
}

fn board(program: &Path, port: u16, seconds: &str) -> Child {
    Process::new("python3")
        .arg(program)
        .args(["--port", &port.to_string(), "--seconds", seconds])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits for the board to end and reads its closing JSON line.
fn board_said(child: Child) -> Board {
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let line: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    Board {
        greeting: line["sent_greeting"].as_str().unwrap().to_owned(),
        echoed: line["echoed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
    }
}

/// A server session that pings the board every 300 ms for 2 s, recorded to `dir/board.pcapng`; what the
/// board said it did.
fn record(program: &Path, dir: &Path) -> (PathBuf, Board) {
    let file = dir.join("board.pcapng");
    let mut server = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--send",
        "ping {counter}",
        "--every",
        "300",
        "--seconds",
        "2",
        "--pcap",
        file.to_str().unwrap(),
    ]);
    let port = server.port();
    let child = board(program, port, "4");
    assert_eq!(server.end().code, 0);
    let board = board_said(child);
    assert!(board.echoed.len() >= 3, "{:?}", board.echoed);
    (file, board)
}

/// The bytes a session's JSON lines say it received, in order.
fn received(lines: &[String]) -> Vec<u8> {
    json_lines(lines)
        .iter()
        .filter(|o| o["event"] == "data" && o["dir"] == "rx")
        .flat_map(|o| hex::parse(o["hex"].as_str().unwrap()).unwrap())
        .collect()
}

/// Replays `file` as the device against a fresh server session (which pings as the recorded one did when
/// the replay waits for them), the server with `server_flags` and the replay with `replay_flags`
/// added; returns what the fresh server received.
fn replay_as_device(
    file: &Path,
    board: &Board,
    timing: &str,
    server_flags: &[&str],
    replay_flags: &[&str],
) -> Vec<u8> {
    let last = board.echoed.last().unwrap();
    let mut args = vec![
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--json",
        "--seconds",
        "8",
        "--expect",
        last.as_str(),
    ];
    if timing == "wait" {
        args.extend(["--send", "ping {counter}", "--every", "300"]);
    }
    args.extend(server_flags);
    let mut server = Netassist::start(&args);
    let to = format!("127.0.0.1:{}", server.port());
    let mut replay = vec![
        "replay",
        file.to_str().unwrap(),
        "--as",
        "device",
        "--connect",
        &to,
        "--timing",
        timing,
    ];
    replay.extend(replay_flags);
    let replayed = Netassist::start(&replay).end();
    assert_eq!(
        replayed.code, 0,
        "{timing}: {:#?}\n{}",
        replayed.stdout, replayed.stderr
    );
    let fresh = server.end();
    assert_eq!(fresh.code, 0, "{}", fresh.stderr);
    received(&fresh.stdout)
}

#[test]
fn replayed_as_the_device_a_fresh_server_receives_the_boards_bytes_in_order() {
    let Some(program) = peer_program("board_client.py") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (file, board) = record(&program, dir.path());
    // The recording itself holds what the board sent, byte for byte.
    let recording = netassist::pcap::read::read(&file).unwrap();
    let conversation = &recording.conversations[0];
    let device: Vec<u8> = conversation
        .chunks
        .iter()
        .filter(|c| c.from == 0)
        .flat_map(|c| c.bytes.clone())
        .collect();
    assert_eq!(device, board.sent());
    for timing in ["original", "wait"] {
        let got = replay_as_device(&file, &board, timing, &[], &[]);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&board.sent()),
            "{timing}"
        );
    }
}

#[test]
fn replayed_over_tls_a_fresh_tls_server_receives_the_boards_bytes_in_order() {
    let Some(program) = peer_program("board_client.py") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (file, board) = record(&program, dir.path());
    let cert = dir.path().join("server.cert.pem");
    let key = dir.path().join("server.key.pem");
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    // The fresh server is a TLS server with a certificate of its own; the replayed device trusts it.
    let got = replay_as_device(
        &file,
        &board,
        "original",
        &["--self-signed", "--cert", cert, "--key", key],
        &["--tls", "--ca", cert],
    );
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&board.sent())
    );
}

#[test]
fn replayed_as_the_pc_a_fresh_board_receives_the_pcs_bytes_in_order() {
    let Some(program) = peer_program("board_client.py") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (file, recorded) = record(&program, dir.path());
    for timing in ["original", "wait"] {
        let mut replay = Netassist::start(&[
            "replay",
            file.to_str().unwrap(),
            "--as",
            "pc",
            "--bind",
            "127.0.0.1:0",
            "--timing",
            timing,
            "--traffic",
        ]);
        let child = board(&program, replay.port(), "6");
        let ended = replay.end();
        let fresh = board_said(child);
        assert_eq!(
            ended.code, 0,
            "{timing}: {:#?}\n{}",
            ended.stdout, ended.stderr
        );
        // The board echoes what reaches it: the PC's pings, in order.
        assert_eq!(fresh.echoed.concat(), recorded.echoed.concat(), "{timing}");
        if timing == "wait" {
            // The greeting is awaited where the recording has it: right after connecting, or after the
            // first ping when the server's first tick beat the board's greeting.
            let greeting = ended
                .stdout
                .iter()
                .find(|l| l.contains(r"\AHello 01Studio!"))
                .unwrap_or_else(|| panic!("no step awaits the greeting: {:#?}", ended.stdout));
            assert!(greeting.trim_start().starts_with("PASS"), "{greeting}");
        }
    }
}

#[test]
fn a_file_that_is_not_pcapng_or_holds_no_conversation_exits_2_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("capture.log");
    std::fs::write(&text, "12:00:01.234 RX 127.0.0.1:5000 5B hello\n").unwrap();
    let ended = Netassist::start(&["replay", text.to_str().unwrap(), "--as", "device"]).end();
    assert_eq!(ended.code, 2);
    assert!(
        ended.stderr.contains("is not a pcapng file"),
        "{}",
        ended.stderr
    );
    let options = Options {
        side: Side::Device,
        ..Options::default()
    };
    let error = replay::load(&text, &options).unwrap_err();
    assert!(error.zh().contains("不是 pcapng 文件"), "{}", error.zh());

    // A session nobody connected to: a pcapng file with an interface and no packets.
    let empty = dir.path().join("empty.pcapng");
    let recorded = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--seconds",
        "0.2",
        "--pcap",
        empty.to_str().unwrap(),
    ])
    .end();
    assert_eq!(recorded.code, 0);
    let ended = Netassist::start(&["replay", empty.to_str().unwrap(), "--as", "pc"]).end();
    assert_eq!(ended.code, 2);
    assert!(
        ended
            .stderr
            .contains("holds no TCP connection or UDP datagram to replay"),
        "{}",
        ended.stderr
    );
    let error = replay::load(&empty, &options).unwrap_err();
    assert!(
        error.zh().contains("没有可回放的 TCP 连接或 UDP 数据报"),
        "{}",
        error.zh()
    );
    let bad = Netassist::start(&["replay", empty.to_str().unwrap(), "--as", "board"]).end();
    assert_eq!(bad.code, 2);
}
