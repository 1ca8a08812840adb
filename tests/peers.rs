//! The engine against the real peer programs users run on their boards (Python, standard library only).
//! They live in `../shared/peers` beside this repository, or where `NETASSIST_PEERS` points; without them
//! or without `python3` these tests say so and pass without running.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command as Process, Stdio};

use bytes::Bytes;
use common::{connected, data, peer_program, server_config, tcp_server};
use netassist::engine::{CloseReason, Command, Direction, Event, Target};

#[test]
fn board_client_greets_and_echoes_through_a_server_session() {
    let Some(board) = peer_program("board_client.py") else {
        return;
    };
    let (mut server, addr) = tcp_server(server_config("127.0.0.1:0"));
    let child = Process::new("python3")
        .arg(board)
        .args(["--host", "127.0.0.1", "--port", &addr.port().to_string()])
        .args(["--seconds", "10"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (peer, _, _) = connected(&server.session);
    let greeting = b"Hello 01Studio!";
    assert_eq!(
        data(&server.session, peer, Direction::Rx, greeting.len()),
        greeting
    );
    assert!(server.session.send(Command::Send {
        to: Target::Peer(peer),
        bytes: Bytes::from_static(b"hello"),
    }));
    assert_eq!(data(&server.session, peer, Direction::Rx, 5), b"hello");
    server.session.stop();
    let closed = server.session.drain().find_map(|e| match e {
        Event::Closed {
            peer: p, reason, ..
        } if p == peer => Some(reason),
        _ => None,
    });
    assert_eq!(closed, Some(CloseReason::SessionStopped));

    let output = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    let last = report.lines().last().unwrap_or_default();
    assert!(last.contains(r#""echoed": ["hello"]"#), "{report}");
    assert!(last.contains(r#""closed_by_peer": true"#), "{report}");
}
