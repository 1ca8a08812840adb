//! The headless command line as scripts use it: the real `netassist` binary in a process of its own, on
//! loopback, against the real peer programs (skipped, saying so, without them or `python3`). Every wait is
//! on an output line or the process's exit, bounded by [`WAIT`].
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use common::cli::{Ended, Netassist, json_lines};
use common::{WAIT, peer_program, read_n};
use netassist::codec::Checksum;
use serde_json::Value;
use socket2::{Domain, Socket, Type};

/// Runs a peer program with `args` and returns its last stdout line as JSON.
fn run_peer(program: &PathBuf, args: &[&str]) -> Value {
    let output = Process::new("python3")
        .arg(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
}

/// The `text` of each received data object.
fn received(objects: &[Value]) -> Vec<&str> {
    objects
        .iter()
        .filter(|o| o["event"] == "data" && o["dir"] == "rx")
        .map(|o| o["text"].as_str().unwrap())
        .collect()
}

/// Runs `netassist tcp-server --bind 127.0.0.1:0` with `flags` while `board_client.py` connects to it,
/// greets and echoes; `during` runs before waiting for the server to end. `None` without the board.
fn server_with_board(flags: &[&str], during: impl FnOnce(&mut Netassist)) -> Option<Ended> {
    let board = peer_program("board_client.py")?;
    let mut args = vec!["tcp-server", "--bind", "127.0.0.1:0"];
    args.extend(flags);
    let mut server = Netassist::start(&args);
    let port = server.port().to_string();
    let mut child = Process::new("python3")
        .arg(board)
        .args(["--port", &port, "--seconds", "3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    during(&mut server);
    let ended = server.end();
    let _ = child.kill();
    let _ = child.wait();
    Some(ended)
}

#[test]
fn a_board_meets_the_expectation_and_exits_0() {
    let flags = ["--expect", "Hello 01Studio!", "--seconds", "10"];
    let Some(ended) = server_with_board(&flags, |_| {}) else {
        return;
    };
    assert_eq!(ended.code, 0, "{}\n{:#?}", ended.stderr, ended.stdout);
    let rx = ended.stdout.iter().find(|l| l.contains(" RX ")).unwrap();
    assert!(rx.ends_with(" 15B Hello 01Studio!"), "{rx}");
    let summary = ended.stdout.last().unwrap();
    assert!(
        summary.starts_with("expectation 1 met at ")
            && summary.ends_with("--expect 'Hello 01Studio!'"),
        "{summary}"
    );
}

#[test]
fn a_wrong_expectation_exits_1_within_the_time() {
    let flags = ["--expect", "Goodbye", "--seconds", "1.5"];
    let Some(ended) = server_with_board(&flags, |server| {
        server.line("the greeting", |l| l.contains("Hello 01Studio!"));
    }) else {
        return;
    };
    assert_eq!(ended.code, 1, "{}", ended.stderr);
    // The run ends 1.5 s after it starts, so less than that after the greeting; the slack is for a
    // loaded machine, and still tells a run that ends at its time from one that waits for ever.
    assert!(ended.took < Duration::from_secs(4), "{:?}", ended.took);
    assert!(
        ended
            .stderr
            .contains("expectation 1 of 1 not met: --expect 'Goodbye'"),
        "{}",
        ended.stderr
    );
}

#[test]
fn json_lines_parse_and_name_the_events() {
    let flags = ["--json", "--expect-hex", "30 31 53", "--seconds", "10"];
    let Some(ended) = server_with_board(&flags, |_| {}) else {
        return;
    };
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    let objects = json_lines(&ended.stdout);
    let events: Vec<&str> = objects
        .iter()
        .map(|o| o["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "opened",
            "listening",
            "connected",
            "data",
            "closed",
            "stopped",
            "summary"
        ]
    );
    // The session's opening is a row of its own, naming the mode and address.
    assert!(
        objects[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("Session opened: TCP server on 127.0.0.1:"),
        "{}",
        objects[0]
    );
    let data = &objects[3];
    assert_eq!(data["dir"], "rx");
    assert_eq!(data["len"], 15);
    assert_eq!(data["text"], "Hello 01Studio!");
    assert_eq!(data["hex"], "48 65 6C 6C 6F 20 30 31 53 74 75 64 69 6F 21");
    assert!(data["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
    // ISO 8601 with milliseconds and the offset.
    let time = data["time"].as_str().unwrap();
    assert_eq!(time.len(), "2026-01-01T12:00:01.234+08:00".len(), "{time}");
    assert!(objects[5]["reason"].is_string());
}

/// Starts a server with `framing`, runs `sticky_sender.py` with `sender_args` and the messages, and
/// returns the received messages as the server printed them.
fn framed_messages(framing: &str, sender_args: &[&str], messages: &[&str]) -> Option<Vec<String>> {
    let sender = peer_program("sticky_sender.py")?;
    let mut args = vec![
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--json",
        "--framing",
        framing,
    ];
    args.extend(["--seconds", "10"]);
    // Each message expected in turn: the run ends as soon as the last has come.
    for message in messages {
        args.extend(["--expect", message]);
    }
    let mut server = Netassist::start(&args);
    let port = server.port().to_string();
    let mut peer_args = vec!["--port", port.as_str()];
    peer_args.extend(sender_args);
    peer_args.extend(messages);
    run_peer(&sender, &peer_args);
    let ended = server.end();
    assert_eq!(ended.code, 0, "{}\n{:#?}", ended.stderr, ended.stdout);
    let objects = json_lines(&ended.stdout);
    Some(received(&objects).into_iter().map(str::to_owned).collect())
}

#[test]
fn delimiter_framing_prints_one_line_per_message() {
    let messages = ["look", "pass", "你好 hello", "show"];
    if let Some(got) = framed_messages("delim:#", &["--delim", "#"], &messages) {
        assert_eq!(got, messages);
    }
}

#[test]
fn python_length_prefix_framing_prints_one_line_per_message() {
    let messages = ["first", "a longer second message", "3"];
    if let Some(got) = framed_messages("prefix:i32le", &["--prefix", "i32le"], &messages) {
        assert_eq!(got, messages);
    }
}

#[test]
fn udp_echo_answers_the_peer() {
    let Some(peer) = peer_program("udp_peer.py") else {
        return;
    };
    let mut udp = Netassist::start(&[
        "udp",
        "--bind",
        "127.0.0.1:0",
        "--echo",
        "--expect",
        "ping 1",
        "--expect",
        "ping 2",
        "--seconds",
        "10",
    ]);
    let port = udp.port().to_string();
    let report = run_peer(
        &peer,
        &["--port", &port, "--seconds", "1", "ping 1", "ping 2"],
    );
    let ended = udp.end();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    let replies: Vec<&str> = report["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert_eq!(replies, ["ping 1", "ping 2"]);
    assert_eq!(
        ended.stdout.iter().filter(|l| l.contains(" TX ")).count(),
        2,
        "{:#?}",
        ended.stdout
    );
}

#[test]
fn bad_arguments_exit_2_with_the_reason() {
    for (args, says) in [
        (&["tcp-server"][..], "--bind"),
        (
            &[
                "tcp-server",
                "--bind",
                "127.0.0.1:0",
                "--framing",
                "fixed:0",
            ],
            "fixed length is 0",
        ),
        (
            &["udp", "--bind", "127.0.0.1:0", "--encoding", "big5"],
            "not a text encoding",
        ),
        (
            &[
                "tcp-server",
                "--bind",
                "127.0.0.1:0",
                "--rule",
                "regex:^(look=>x",
            ],
            "does not compile",
        ),
        (
            &["tcp-server", "--bind", "127.0.0.1:0", "--send-hex", "AA G1"],
            "not a hex digit",
        ),
        (
            &[
                "tcp-server",
                "--bind",
                "127.0.0.1:0",
                "--send",
                "n={conter}",
            ],
            "--send 'n={conter}': position 3: unknown variable 'conter'",
        ),
        (&["tcp-client", "--connect", "no-port"], "HOST:PORT"),
        (&["udp", "--bind", "127.0.0.1:0", "--send", "x"], "--to"),
        (&["run", "no such preset.ron"], "no such preset.ron"),
    ] {
        let ended = Netassist::start(args).end();
        assert_eq!(ended.code, 2, "{args:?}: {}", ended.stderr);
        assert!(ended.stderr.contains(says), "{args:?}: {}", ended.stderr);
    }
}

#[test]
fn a_port_in_use_exits_3_with_the_message() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let ended = Netassist::start(&["tcp-server", "--bind", &addr, "--seconds", "10"]).end();
    assert_eq!(ended.code, 3, "{:#?}", ended.stdout);
    let port = addr.rsplit(':').next().unwrap();
    let message =
        format!("Port {port} is already in use by another program. Close it or pick another port.");
    assert!(ended.stderr.contains(&message), "{}", ended.stderr);
}

#[test]
fn a_preset_runs_with_flags_overriding_it() {
    // The seed exercise's preset listens on 0.0.0.0:10000 with raw framing; the flags move it to a free
    // loopback port and split messages on newlines.
    let preset = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/presets/look-pass-counter.ron"
    );
    let mut server = Netassist::start(&[
        "run",
        preset,
        "--bind",
        "127.0.0.1:0",
        "--framing",
        r"delim:\n",
        "--expect",
        "show",
        "--seconds",
        "10",
    ]);
    let port = server.port();
    let mut board = common::client(format!("127.0.0.1:{port}").parse().unwrap());
    board.write_all(b"look\npass\nlook\nshow\nclear\n").unwrap();
    assert_eq!(read_n(&mut board, 14), b"look 2, pass 1");
    let ended = server.end();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
}

#[test]
fn a_client_sends_and_answers_by_rule() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let client = Netassist::start(&[
        "tcp-client",
        "--connect",
        &addr,
        "--send",
        "hello",
        "--framing",
        r"delim:\n",
        "--rule",
        r"regex:^ping (\d+)$=>pong $1;",
        "--expect",
        "ping 2",
        "--seconds",
        "10",
    ]);
    let (mut server, _): (TcpStream, _) = listener.accept().unwrap();
    server.set_read_timeout(Some(WAIT)).unwrap();
    assert_eq!(read_n(&mut server, 5), b"hello");
    server.write_all(b"ping 1\nping 2\n").unwrap();
    assert_eq!(read_n(&mut server, 14), b"pong 1;pong 2;");
    let ended = client.end();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
}

/// Sends `pieces` to a server one at a time, each only once the server has printed the one before as a
/// read of its own, so they really arrive apart; returns the client, still connected.
fn send_in_reads(netassist: &mut Netassist, port: u16, pieces: &[&str]) -> TcpStream {
    let mut board = TcpStream::connect(("127.0.0.1", port)).unwrap();
    board.set_nodelay(true).unwrap();
    for piece in pieces {
        board.write_all(piece.as_bytes()).unwrap();
        let wanted = format!("\"text\":\"{piece}\"");
        netassist.line(&wanted, |l| l.contains(&wanted));
    }
    board
}

#[test]
fn the_main_story_holds_with_a_greeting_that_arrives_in_pieces() {
    let mut netassist = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--json",
        "--expect",
        "Hello 01Studio!",
        "--seconds",
        "10",
    ]);
    let port = netassist.port();
    let _board = send_in_reads(&mut netassist, port, &["Hel", "lo 01St", "udio!"]);
    let ended = netassist.end();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    assert!(
        ended.took < Duration::from_secs(5),
        "met at once, not at the deadline"
    );
    let summary = json_lines(&ended.stdout).pop().unwrap();
    assert_eq!(summary["event"], "summary");
    assert!(summary["expectations"][0]["met"].is_string(), "{summary}");
}

#[test]
fn a_rule_reply_is_its_own_sent_row_at_once_under_a_receive_framing() {
    let mut netassist = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--json",
        "--framing",
        "delim:\\n",
        "--rule",
        "exact:PING=>PONG",
        "--seconds",
        "4",
    ]);
    let port = netassist.port();
    let mut board = common::client(([127, 0, 0, 1], port).into());
    // Each PONG has no line ending, so under the receive framing it would never end a message: each
    // must still be a sent row of its own, printed while the board is connected.
    for _ in 0..5 {
        board.write_all(b"PING\n").unwrap();
        assert_eq!(read_n(&mut board, 4), b"PONG");
        netassist.line("a sent PONG row", |l| {
            l.contains("\"dir\":\"tx\"") && l.contains("\"text\":\"PONG\"")
        });
    }
    drop(board);
    let ended = netassist.end();
    let sent: Vec<Value> = json_lines(&ended.stdout)
        .into_iter()
        .filter(|o| o["dir"] == "tx")
        .collect();
    assert_eq!(sent.len(), 5, "{sent:?}");
}

#[test]
fn json_data_says_its_kind_and_an_impossible_header_comes_at_once() {
    let mut server = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--json",
        "--framing",
        "prefix:i32le",
        "--expect",
        "ok",
        "--seconds",
        "10",
    ]);
    let port = server.port();
    let mut board = common::client(format!("127.0.0.1:{port}").parse().unwrap());
    // A header announcing 2 GiB, far beyond any message allowed. The connection stays open until the
    // line has come, so it can only have come when the header arrived, not at the close.
    board.write_all(&[0xFF, 0xFF, 0xFF, 0x7F]).unwrap();
    let skipped = server.line("the skipped header", |l| l.contains(r#""event":"data""#));
    let skipped: Value = serde_json::from_str(&skipped).unwrap();
    assert_eq!(skipped["kind"], "skipped", "{skipped}");
    assert_eq!(skipped["hex"], "FF FF FF 7F", "{skipped}");
    assert_eq!(skipped["len"], 4, "{skipped}");
    // The next header is read as one: a whole message of 2 bytes.
    board.write_all(&[2, 0, 0, 0, b'o', b'k']).unwrap();
    let message = server.line("the message", |l| l.contains(r#""event":"data""#));
    let message: Value = serde_json::from_str(&message).unwrap();
    assert_eq!(message["kind"], "message", "{message}");
    assert_eq!(message["text"], "ok", "{message}");
    let ended = server.end();
    drop(board);
    assert_eq!(ended.code, 0, "{}\n{:#?}", ended.stderr, ended.stdout);
}

#[test]
fn stopping_lets_a_delayed_reply_go_out_first() {
    let mut netassist = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--rule",
        "exact:ping=>[300ms]pong",
        "--expect",
        "ping",
        "--seconds",
        "10",
    ]);
    let port = netassist.port();
    let mut board = common::client(([127, 0, 0, 1], port).into());
    board.write_all(b"ping").unwrap();
    // The expectation is met at once; the reply is due 300 ms later and still arrives before the close.
    let mut got = Vec::new();
    board.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"pong");
    let ended = netassist.end();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    assert!(
        ended
            .stdout
            .iter()
            .any(|l| l.contains(" TX ") && l.ends_with(" 4B pong")),
        "{:#?}",
        ended.stdout
    );
}

#[test]
fn the_deadline_holds_when_nobody_reads_the_output() {
    let receiver = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    receiver
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let to = receiver.local_addr().unwrap().to_string();
    // stdout is a pipe nobody reads: with lines of a kilobyte it is full after about 64 of them.
    let tick = "t".repeat(1000);
    let started = Instant::now();
    let mut child = Process::new(env!("CARGO_BIN_EXE_netassist"))
        .args([
            "udp",
            "--bind",
            "127.0.0.1:0",
            "--to",
            &to,
            "--send",
            &tick,
            "--every",
            "1",
        ])
        .args(["--seconds", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut datagrams = 0;
    let mut buf = [0; 2048];
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < WAIT, "netassist did not stop on time");
        if receiver.recv(&mut buf).is_ok() {
            datagrams += 1;
        }
    };
    let took = started.elapsed();
    while receiver.recv(&mut buf).is_ok() {
        datagrams += 1;
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    // About one a millisecond for two seconds, not for as long as the pipe stays unread.
    assert!(
        datagrams > 100 && datagrams < 3_000,
        "{datagrams} datagrams"
    );
    assert!(stderr.contains("lines could not be printed"), "{stderr}");
}

#[test]
fn a_send_the_os_refuses_is_an_error_row_and_exit_3() {
    let receiver = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = receiver.local_addr().unwrap().to_string();
    // Longer than any UDP datagram can be: the OS refuses it (message too long), nothing is sent.
    let too_long = "a".repeat(70_000);
    let netassist = Netassist::start(&[
        "udp",
        "--bind",
        "127.0.0.1:0",
        "--to",
        &to,
        "--send",
        &too_long,
        "--json",
        "--seconds",
        "1",
    ]);
    let ended = netassist.end();
    assert_eq!(ended.code, 3, "{}", ended.stderr);
    assert!(
        ended.stderr.contains("a send did not go out"),
        "{}",
        ended.stderr
    );
    let objects = json_lines(&ended.stdout);
    assert!(
        objects.iter().any(|o| o["event"] == "error"),
        "{:#?}",
        ended.stdout
    );
    assert!(
        !objects.iter().any(|o| o["dir"] == "tx"),
        "nothing was sent"
    );
}

#[test]
fn a_repeated_send_renders_its_variables_each_time() {
    let device = TcpListener::bind("127.0.0.1:0").unwrap();
    let connect = format!("127.0.0.1:{}", device.local_addr().unwrap().port());
    let client = Netassist::start(&[
        "tcp-client",
        "--connect",
        &connect,
        "--send-hex",
        "AA {counter} {crc16modbus}",
        "--send",
        "#{counter:2}",
        "--every",
        "5",
        "--seconds",
        "10",
    ]);
    let (mut stream, _) = device.accept().unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut expected = Vec::new();
    for tick in 1..=3_u8 {
        // Each send keeps its own checksum: over AA and the count, not the text after it.
        let mut frame = vec![0xAA, tick];
        Checksum::Crc16Modbus.append(&mut frame);
        expected.extend_from_slice(&frame);
        expected.extend_from_slice(format!("#{tick:02}").as_bytes());
    }
    let mut got = vec![0; expected.len()];
    stream.read_exact(&mut got).unwrap();
    assert_eq!(got, expected);
    // The device hangs up: the run ends.
    drop(stream);
    let ended = client.end();
    assert_ne!(ended.code, 2, "{}", ended.stderr);
}

#[test]
fn the_send_options_escapes_line_end_and_checksum_are_flags() {
    let device = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = device.local_addr().unwrap().port().to_string();
    let connect = format!("127.0.0.1:{port}");
    let client = Netassist::start(&[
        "tcp-client",
        "--connect",
        &connect,
        "--send",
        "AT\\r\\n",
        "--escapes",
        "--send",
        "AT",
        "--line-end",
        "crlf",
        "--checksum",
        "sum8",
        "--half-close",
        "--expect",
        "late",
        "--seconds",
        "10",
    ]);
    let (mut stream, _) = device.accept().unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    // The escapes are read in both sends; the line ending and the sum come after each (the sum
    // before the line ending); then the client's FIN, and it still reads.
    let mut got = Vec::new();
    stream.read_to_end(&mut got).unwrap();
    let sum = b'A' + b'T' + b'\r' + b'\n';
    let mut expected = b"AT\r\n".to_vec();
    expected.extend([sum, b'\r', b'\n']);
    expected.extend(b"AT");
    expected.extend([b'A'.wrapping_add(b'T'), b'\r', b'\n']);
    assert_eq!(got, expected);
    stream.write_all(b"late").unwrap();
    let ended = client.end();
    assert_eq!(ended.code, 0, "{}\n{:#?}", ended.stderr, ended.stdout);
    assert!(
        ended
            .stdout
            .iter()
            .any(|l| l.contains("You finished sending (FIN sent)")),
        "{:#?}",
        ended.stdout
    );
}

#[test]
fn udp_sends_to_a_host_name_and_reports_its_receive_buffer() {
    let device = UdpSocket::bind("127.0.0.1:0").unwrap();
    device.set_read_timeout(Some(WAIT)).unwrap();
    let to = format!("localhost:{}", device.local_addr().unwrap().port());
    let udp = Netassist::start(&[
        "udp",
        "--bind",
        "127.0.0.1:0",
        "--to",
        &to,
        "--send",
        "hi",
        "--expect",
        "ok",
        "--json",
        "--seconds",
        "10",
    ]);
    let mut buf = [0; 16];
    let (n, from) = device.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hi");
    device.send_to(b"ok", from).unwrap();
    let ended = udp.end();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    let objects = json_lines(&ended.stdout);
    let buffer = objects
        .iter()
        .find(|o| o["event"] == "receive_buffer")
        .unwrap_or_else(|| panic!("{:#?}", ended.stdout));
    assert!(buffer["granted"].as_u64().unwrap() > 0, "{buffer}");
    assert_eq!(
        buffer["drops_reported"],
        cfg!(target_os = "linux"),
        "{buffer}"
    );
    let summary = objects.iter().find(|o| o["event"] == "summary").unwrap();
    assert_eq!(summary["dropped"], 0, "{summary}");
}

#[test]
fn a_delayed_reply_still_waiting_when_the_run_ends_is_a_not_sent_row() {
    let mut netassist = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--rule",
        "exact:ping=>[8000ms]pong",
        "--expect",
        "ping",
        "--seconds",
        "10",
    ]);
    let port = netassist.port();
    let mut board = TcpStream::connect(("127.0.0.1", port)).unwrap();
    board.write_all(b"ping").unwrap();
    let ended = netassist.end();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    // The run waits its 2 s for the reply, then says it did not go out.
    assert!(ended.took < Duration::from_secs(6), "took {:?}", ended.took);
    assert!(
        ended
            .stdout
            .iter()
            .any(|l| l.contains("Not sent: 4 bytes of 1 send(s)")),
        "{:#?}",
        ended.stdout
    );
}

#[test]
fn pcap_writes_the_session_for_tshark_and_a_path_that_cannot_be_written_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("board.pcapng");
    let mut netassist = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--echo",
        "--pcap",
        file.to_str().unwrap(),
        "--expect",
        "Hello 01Studio!",
        "--seconds",
        "10",
    ]);
    let port = netassist.port();
    let mut board = TcpStream::connect(("127.0.0.1", port)).unwrap();
    board.set_read_timeout(Some(WAIT)).unwrap();
    board.write_all(b"Hello 01Studio!").unwrap();
    assert_eq!(read_n(&mut board, 15), b"Hello 01Studio!");
    let ended = netassist.end();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    assert_eq!(ended.stderr, "");
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(bytes[..4], netassist::pcap::SECTION_HEADER.to_le_bytes());
    if common::tshark::available() {
        // The handshake, the greeting and its echo with their ACKs, and the close.
        assert!(common::tshark::count(&file, None) >= 3 + 2 + 2 + 2);
        assert_eq!(common::tshark::complaints(&file), Vec::<String>::new());
        let stream = common::tshark::follow_tcp(&file, 0);
        let board_addr = board.local_addr().unwrap();
        for (addr, bytes) in &stream {
            assert_eq!(
                bytes, b"Hello 01Studio!",
                "{addr} (the board is {board_addr})"
            );
        }
        assert!(stream.contains_key(&board_addr));
    }

    let missing = dir.path().join("no such folder").join("x.pcapng");
    let ended = Netassist::start(&[
        "udp",
        "--bind",
        "127.0.0.1:0",
        "--pcap",
        missing.to_str().unwrap(),
    ])
    .end();
    assert_eq!(ended.code, 2);
    assert!(ended.stderr.contains("cannot write"), "{}", ended.stderr);
}

#[test]
fn each_send_is_a_message_of_its_own_once_or_every_so_often() {
    // Over UDP each message is a datagram, so the device sees where one ends.
    let device = UdpSocket::bind("127.0.0.1:0").unwrap();
    device.set_read_timeout(Some(WAIT)).unwrap();
    let to = device.local_addr().unwrap().to_string();
    let datagrams = |count: usize| -> Vec<Vec<u8>> {
        let mut buf = [0; 64];
        (0..count)
            .map(|_| {
                let (n, _) = device.recv_from(&mut buf).unwrap();
                buf[..n].to_vec()
            })
            .collect()
    };
    let sends = ["--send", "A{counter}{sum8}", "--send-hex", "42 {sum8}"];
    let once = Netassist::start(
        &[
            &[
                "udp",
                "--bind",
                "127.0.0.1:0",
                "--to",
                &to,
                "--seconds",
                "1",
            ][..],
            &sends,
        ]
        .concat(),
    );
    // Each checksum covers its own message only.
    assert_eq!(datagrams(2), [b"A1\x72".to_vec(), vec![0x42, 0x42]]);
    assert_ne!(once.end().code, 2);

    let every = Netassist::start(
        &[
            &[
                "udp",
                "--bind",
                "127.0.0.1:0",
                "--to",
                &to,
                "--every",
                "5",
                "--seconds",
                "1",
            ][..],
            &sends,
        ]
        .concat(),
    );
    assert_eq!(
        datagrams(4),
        [
            b"A1\x72".to_vec(),
            vec![0x42, 0x42],
            b"A2\x73".to_vec(),
            vec![0x42, 0x42]
        ],
        "a tick sends each message, all with its count"
    );
    assert_ne!(every.end().code, 2);
}

/// How many sends a `send_dropped` row tells of: one, or the count since the last row.
fn drops_in(reason: &str) -> u64 {
    match reason.split_once(": ") {
        Some((head, rest)) if head.starts_with("Sends dropped since") => rest
            .split_once(' ')
            .and_then(|(count, _)| count.parse().ok())
            .unwrap_or_else(|| panic!("no count in {reason:?}")),
        _ => 1,
    }
}

#[test]
fn sends_to_a_peer_that_does_not_read_are_a_row_a_second_and_counted_exactly_in_the_summary() {
    let payload = ["{rand:1024}"; 60].join(" ");
    let mut netassist = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--send-hex",
        &payload,
        "--every",
        "1",
        "--seconds",
        "3",
        "--json",
    ]);
    let port = netassist.port();
    // Connected and never read: the server's queue fills and its sends are dropped. A small receive
    // window keeps what the kernels hold small, so the queue's 4 MiB are most of what is sent (and
    // printed, text and hex, before the first drop: slow in a debug build on a loaded machine).
    let device = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    device.set_recv_buffer_size(4096).unwrap();
    device
        .connect(&SocketAddr::from(([127, 0, 0, 1], port)).into())
        .unwrap();
    netassist.line_within("a dropped send", WAIT * 3, |l| l.contains("send_dropped"));
    let ended = netassist.end();
    drop(device);
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    let objects = json_lines(&ended.stdout);
    let rows: Vec<u64> = objects
        .iter()
        .filter(|o| o["event"] == "send_dropped")
        .map(|o| drops_in(o["reason"].as_str().unwrap()))
        .collect();
    // At most one a second over the run and its stop: the first row, one a second, and the last.
    let allowed = ended.took.as_secs() as usize + 2;
    assert!(rows.len() <= allowed, "{rows:?} in {:?}", ended.took);
    let summary = objects.iter().find(|o| o["event"] == "summary").unwrap();
    let dropped = summary["send_dropped"]["sends"].as_u64().unwrap();
    assert!(dropped > 0, "{summary}");
    // The run keeps its deadline: on a machine too loaded to format every row in time, rows are left
    // unprinted (stderr says how many), and the summary still counts every drop.
    if ended.stderr.contains("could not be printed") {
        assert!(rows.iter().sum::<u64>() <= dropped, "{summary} {rows:?}");
        return;
    }
    assert_eq!(dropped, rows.iter().sum::<u64>(), "{summary} {rows:?}");
    assert!(rows.iter().sum::<u64>() > rows.len() as u64, "{rows:?}");
    // What was still queued when the run closed the connection is not sent, and counted so too.
    let not_sent: u64 = objects
        .iter()
        .filter(|o| o["event"] == "unsent")
        .map(|o| {
            let reason = o["reason"].as_str().unwrap();
            let sends = reason
                .split(" of ")
                .nth(1)
                .and_then(|r| r.split(' ').next());
            sends.and_then(|n| n.parse::<u64>().ok()).unwrap()
        })
        .sum();
    assert!(not_sent > 0, "{:#?}", ended.stdout);
    assert_eq!(
        summary["not_sent"]["sends"].as_u64(),
        Some(not_sent),
        "{summary}"
    );
}

#[test]
fn a_send_to_a_server_that_closes_at_once_is_a_tx_or_not_sent_row_every_time() {
    for _ in 0..5 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let to = listener.local_addr().unwrap().to_string();
        let netassist = Netassist::start(&[
            "tcp-client",
            "--connect",
            &to,
            "--send",
            "sensor=21.5",
            "--seconds",
            "0.5",
        ]);
        drop(listener.accept().unwrap());
        let ended = netassist.end();
        let told: Vec<&String> = ended
            .stdout
            .iter()
            .filter(|l| {
                l.contains(&format!("TX {to} 11B sensor=21.5"))
                    || l.contains(&format!("{to} Not sent: 11 bytes of 1 send(s)"))
            })
            .collect();
        assert_eq!(told.len(), 1, "{:#?}\n{}", ended.stdout, ended.stderr);
    }
}

#[test]
fn a_json_run_that_lost_nothing_still_ends_with_a_summary_of_zeros() {
    let ended = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--json",
        "--seconds",
        "1",
    ])
    .end();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    let objects = json_lines(&ended.stdout);
    let summary = objects.last().unwrap();
    assert_eq!(summary["event"], "summary", "{:#?}", ended.stdout);
    assert_eq!(summary["dropped"], 0, "{summary}");
    assert_eq!(summary["send_dropped"]["sends"], 0, "{summary}");
    assert_eq!(summary["not_sent"]["sends"], 0, "{summary}");
    assert_eq!(summary["not_sent"]["bytes"], 0, "{summary}");
    assert!(summary["periodic"].is_null(), "{summary}");
}

/// How many times the send-on-connect races below are run: the connection once ended on the peer's FIN
/// before the send made on seeing it connect was taken, in most runs but not all.
const RACES: usize = 20;

/// What the record says of `peer`'s `--send`s: the lines naming it must hold their TX rows (`txs`, e.g.
/// `2B hi`), then its close, and no `Not sent`; `None` if so, else why not.
fn send_on_connect_told(stdout: &[String], peer: SocketAddr, txs: &[&str]) -> Option<String> {
    let named = format!(" {peer} ");
    let lines: Vec<&String> = stdout.iter().filter(|l| l.contains(&named)).collect();
    let closed = lines.iter().position(|l| l.contains(" Closed: "));
    let told = txs.iter().all(|tx| {
        let sent = lines
            .iter()
            .position(|l| l.contains(&format!("TX {peer} {tx}")));
        sent.is_some_and(|sent| closed.is_some_and(|closed| sent < closed))
    }) && !lines.iter().any(|l| l.contains("Not sent"));
    (!told).then(|| format!("{peer}: {lines:#?}"))
}

/// A TCP server sending `flags`' `--send`s (`hi` in all, their TX rows `txs`) to [`RACES`] clients that
/// each send, finish sending and read to the end at once: each gets `hi`, and the record says so.
fn server_sends_on_connect_to_clients_that_finish_at_once(flags: &[&str], txs: &[&str]) {
    let mut args = vec!["tcp-server", "--bind", "127.0.0.1:0"];
    // The last client's `bye` ends the run.
    args.extend(flags);
    args.extend(["--expect", "bye", "--seconds", "60"]);
    let mut netassist = Netassist::start(&args);
    let addr = SocketAddr::from(([127, 0, 0, 1], netassist.port()));
    let mut clients = Vec::new();
    for i in 0..=RACES {
        let mut stream = common::client(addr);
        let sent: &[u8] = if i == RACES { b"bye" } else { b"ping" };
        stream.write_all(sent).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let got = common::read_to_close(&mut stream);
        clients.push((stream.local_addr().unwrap(), got));
    }
    let ended = netassist.end();
    assert_eq!(ended.code, 0, "{:#?}\n{}", ended.stdout, ended.stderr);
    let missed: Vec<String> = clients
        .iter()
        .filter_map(|(peer, got)| {
            let record = send_on_connect_told(&ended.stdout, *peer, txs);
            (got != b"hi" || record.is_some()).then(|| {
                let got = String::from_utf8_lossy(got);
                format!("got {got:?}; {}", record.unwrap_or_default())
            })
        })
        .collect();
    assert!(
        missed.is_empty(),
        "{} of {} clients missed the --send: {missed:#?}",
        missed.len(),
        clients.len()
    );
}

#[test]
fn a_send_on_connect_reaches_a_client_that_sends_and_half_closes_at_once() {
    server_sends_on_connect_to_clients_that_finish_at_once(&["--send", "hi"], &["2B hi"]);
}

/// Several sends and a half-close on connect are several commands: the connection waits for all of them,
/// not only the first.
#[test]
fn sends_and_a_half_close_on_connect_reach_a_client_that_half_closes_at_once() {
    server_sends_on_connect_to_clients_that_finish_at_once(
        &["--send", "h", "--send", "i", "--half-close"],
        &["1B h", "1B i"],
    );
}

#[test]
fn a_tcp_clients_send_on_connect_reaches_a_server_that_sends_and_half_closes_at_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // Bounds each accept too (Linux), should a run never connect.
    socket2::SockRef::from(&listener)
        .set_read_timeout(Some(WAIT))
        .unwrap();
    let to = listener.local_addr().unwrap();
    let mut missed = Vec::new();
    for _ in 0..RACES {
        let netassist = Netassist::start(&[
            "tcp-client",
            "--connect",
            &to.to_string(),
            "--send",
            "sensor=21.5",
            "--seconds",
            "30",
        ]);
        let (mut server, _) = listener.accept().unwrap();
        server.set_read_timeout(Some(WAIT)).unwrap();
        server.write_all(b"hello").unwrap();
        server.shutdown(std::net::Shutdown::Write).unwrap();
        let got = common::read_to_close(&mut server);
        // The connection ended, and with it the run.
        let ended = netassist.end();
        let record = send_on_connect_told(&ended.stdout, to, &["11B sensor=21.5"]);
        if got != b"sensor=21.5" || record.is_some() || ended.code != 0 {
            missed.push(format!(
                "got {:?}, exit {}; {}",
                String::from_utf8_lossy(&got),
                ended.code,
                record.unwrap_or_default()
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "{} of {RACES} runs missed the --send: {missed:#?}",
        missed.len()
    );
}

#[test]
fn seconds_is_a_deadline_with_json_too_while_a_client_floods() {
    let mut server = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--json",
        "--seconds",
        "2",
    ]);
    let port = server.port();
    let flooder = std::thread::spawn(move || {
        let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        client.set_write_timeout(Some(WAIT)).unwrap();
        let chunk = vec![b'x'; 64 * 1024];
        let started = Instant::now();
        // Until the server closes (its run ended), bounded by WAIT.
        while started.elapsed() < WAIT && client.write_all(&chunk).is_ok() {}
    });
    let ended = server.end();
    flooder.join().unwrap();
    // Two seconds, at most two to stop and about two more to print (README), with room for a loaded
    // machine; rows were formatted for as long as the flood lasted before, past 10 s.
    assert!(ended.took < Duration::from_secs(9), "took {:?}", ended.took);
    let objects = json_lines(&ended.stdout);
    assert_eq!(objects.last().unwrap()["event"], "summary");
}

/// A session that never opened still ends a JSON run with its summary, of zeros, as the last line:
/// a refused connect, a port in use, a relay pointed at itself.
#[test]
fn a_json_run_whose_session_never_opened_still_ends_with_the_summary() {
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = free.local_addr().unwrap().to_string();
    drop(free);
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let in_use = taken.local_addr().unwrap().to_string();
    let runs: [(&[&str], i32); 3] = [
        (&["tcp-client", "--connect", &refused], 3),
        (&["tcp-server", "--bind", &in_use], 3),
        (&["relay", "--bind", &in_use, "--to", &in_use], 2),
    ];
    for (args, code) in runs {
        let mut args = args.to_vec();
        args.extend(["--json", "--seconds", "1"]);
        let ended = Netassist::start(&args).end();
        assert_eq!(ended.code, code, "{args:?}: {}", ended.stderr);
        let objects = json_lines(&ended.stdout);
        let summary = objects.last().unwrap();
        assert_eq!(summary["event"], "summary", "{args:?}: {:#?}", ended.stdout);
        assert_eq!(summary["not_sent"]["sends"], 0, "{summary}");
    }
}
