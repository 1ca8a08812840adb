//! Reply rules run by the engine, per mode, against real std sockets on loopback: the answers leave from the
//! worker (no caller drains events while they do), show as sent data, and follow the rules' framing.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::time::{Duration, Instant};

use common::{WAIT, client, connected, data, read_n, server_config, start, tcp_server};
use netassist::codec::{FramerConfig, Framing, TextEncoding};
use netassist::engine::{Command, Direction, Mode, SessionConfig};
use netassist::rules::{Rule, Rules};

fn rules(list: &[&str], framing: Framing) -> Rules {
    rules_in(list, TextEncoding::Utf8, framing)
}

fn rules_in(list: &[&str], encoding: TextEncoding, framing: Framing) -> Rules {
    let list: Vec<Rule> = list.iter().map(|rule| rule.parse().unwrap()).collect();
    Rules::new(&list, encoding, FramerConfig::from(framing)).unwrap()
}

fn hash() -> Framing {
    Framing::Delimiter {
        delimiter: b"#".to_vec(),
        keep: false,
    }
}

#[test]
fn a_server_answers_framed_messages_and_counts() {
    let config = server_config("127.0.0.1:0").with_rules(rules(
        &["exact:look=>look {n}#", "regex:^say (.*)$=>you said $1#"],
        hash(),
    ));
    let (running, addr) = tcp_server(config);
    let mut board = client(addr);
    let (peer, _, _) = connected(&running.session);
    // Glued and split messages: the rules see each one whole, once.
    board.write_all(b"look#lo").unwrap();
    assert_eq!(read_n(&mut board, 7), b"look 1#");
    board.write_all(b"ok#say hi#nothing#").unwrap();
    assert_eq!(read_n(&mut board, 7 + 12), b"look 2#you said hi#");
    // The replies are reported as sent data, like an echo.
    assert_eq!(
        data(&running.session, peer, Direction::Tx, 26),
        b"look 1#look 2#you said hi#"
    );
}

#[test]
fn a_delayed_reply_waits_and_new_rules_apply_at_once() {
    let config =
        server_config("127.0.0.1:0").with_rules(rules(&["exact:ping=>[150ms]pong"], hash()));
    let (running, addr) = tcp_server(config);
    let mut board = client(addr);
    connected(&running.session);
    let sent = Instant::now();
    board.write_all(b"ping#").unwrap();
    assert_eq!(read_n(&mut board, 4), b"pong");
    assert!(
        sent.elapsed() >= Duration::from_millis(150),
        "{:?}",
        sent.elapsed()
    );

    assert!(running.session.send(Command::SetRules(rules(
        &["contains:i=>hex:21"],
        Framing::Raw
    ))));
    // The command and the message may race; send until the new rule answers, a bounded number of times.
    let mut reply = [0u8; 1];
    board
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let answered = (0..50).any(|_| {
        board.write_all(b"hi").unwrap();
        board.read_exact(&mut reply).is_ok() && reply == *b"!"
    });
    assert!(answered, "the new rule never answered");
}

#[test]
fn a_client_answers_its_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = SessionConfig::new(Mode::TcpClient {
        host: "127.0.0.1".to_owned(),
        port,
        local: None,
        timeout: WAIT,
    })
    .with_rules(rules(
        &[r"hex:AA ?? 55=>hex:BB $1 {n}"],
        Framing::FixedLength { len: 3 },
    ));
    let running = start(config);
    let (mut server, _) = listener.accept().unwrap();
    server.set_read_timeout(Some(WAIT)).unwrap();
    connected(&running.session);
    server.write_all(&[0xAA, 0x07, 0x55, 0xAA]).unwrap();
    server.write_all(&[0x08, 0x55]).unwrap();
    let mut replies = [0u8; 6];
    server.read_exact(&mut replies).unwrap();
    assert_eq!(replies, [0xBB, 0x07, b'1', 0xBB, 0x08, b'2']);
}

#[test]
fn udp_answers_each_datagram_to_its_sender() {
    let running = start(
        SessionConfig::new(Mode::Udp {
            bind: "127.0.0.1:0".parse().unwrap(),
            remote: None,
            broadcast: false,
            multicast: Vec::new(),
        })
        .with_rules(rules(&["contains:hello=>hi {peer}"], hash())),
    );
    let addr = common::listening(&running.session);
    let device = UdpSocket::bind("127.0.0.1:0").unwrap();
    device.set_read_timeout(Some(WAIT)).unwrap();
    // A datagram is framed on its own: its last message needs no delimiter.
    device.send_to(b"x#hello there", addr).unwrap();
    let mut buf = [0u8; 100];
    let (n, from) = device.recv_from(&mut buf).unwrap();
    assert_eq!(from, addr);
    assert_eq!(
        String::from_utf8_lossy(&buf[..n]),
        format!("hi {}", device.local_addr().unwrap())
    );
}

#[test]
fn an_idle_gap_ends_a_message_without_more_bytes() {
    let config = server_config("127.0.0.1:0").with_rules(rules(
        &["exact:abc=>got $0"],
        Framing::IdleGap { gap_ms: 30 },
    ));
    let (running, addr) = tcp_server(config);
    let mut board = client(addr);
    connected(&running.session);
    board.write_all(b"ab").unwrap();
    board.write_all(b"c").unwrap();
    assert_eq!(read_n(&mut board, 7), b"got abc");
}

#[test]
fn a_gbk_device_gets_regex_replies_with_its_own_bytes_captured() {
    let config = server_config("127.0.0.1:0").with_rules(rules_in(
        &[
            "regex:^(.+) (.+)$=>ok $2#",
            "regex:^(?-u:\\xFF)(.)=>raw $1#",
        ],
        TextEncoding::Gbk,
        hash(),
    ));
    let (running, addr) = tcp_server(config);
    let mut board = client(addr);
    connected(&running.session);
    // 查询 温度 in GBK: the reply's $2 is 温度 as the board wrote it.
    board
        .write_all(&[0xB2, 0xE9, 0xD1, 0xAF, 0x20, 0xCE, 0xC2, 0xB6, 0xC8, b'#'])
        .unwrap();
    assert_eq!(read_n(&mut board, 8), b"ok \xCE\xC2\xB6\xC8#");
    // A message that is not GBK text is matched as bytes.
    board.write_all(b"\xFFA#").unwrap();
    assert_eq!(read_n(&mut board, 6), b"raw A#");
}
