//! Device checks as scripts and the window use them: `netassist check` (the real binary) against the real
//! peer programs and against test devices on loopback, each step kind and each way to fail, its JSON lines
//! and `JUnit` XML read back; and the session controller running, following and stopping a check. Peer
//! programs are skipped, saying so, without them or `python3`.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use common::cli::{Ended, Netassist, json_lines};
use common::{WAIT, peer_program, read_n, until};
use netassist::check::{Check, Outcome, StepState};
use netassist::preset::Preset;
use netassist::session::Controller;
use netassist::traffic::{LogConfig, Note, RowKind, TrafficLog};

fn example(name: &str) -> String {
    format!("{}/assets/presets/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A preset file holding `text` in a folder of its own, removed with it.
struct PresetFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl PresetFile {
    fn new(text: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checks.ron");
        std::fs::write(&path, text).unwrap();
        Self { _dir: dir, path }
    }

    fn path(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

/// A loopback server preset with one check named `c` of these steps.
fn server_preset(steps: &str) -> PresetFile {
    PresetFile::new(&format!(
        "Preset(version: 4, mode: TcpServer, local_ip: \"127.0.0.1\", local_port: \"0\", \
         checks: [Check(name: \"c\", steps: [{steps}])])"
    ))
}

/// `netassist check PRESET --bind 127.0.0.1:0 --traffic ARGS…`, with its listening port.
fn check_server(preset: &str, args: &[&str]) -> (Netassist, u16) {
    let mut all = vec!["check", preset, "--bind", "127.0.0.1:0", "--traffic"];
    all.extend(args);
    let mut netassist = Netassist::start(&all);
    let port = netassist.port();
    (netassist, port)
}

/// A peer program running with `args`, its output thrown away.
fn spawn_peer(program: &PathBuf, args: &[&str]) -> Child {
    Process::new("python3")
        .arg(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Stops a peer program that may still run.
fn reap(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn has_line(ended: &Ended, text: &str) -> bool {
    ended.stdout.iter().any(|line| line.contains(text))
}

#[test]
fn the_board_example_passes_against_the_board_with_its_latency() {
    let Some(board) = peer_program("board_client.py") else {
        return;
    };
    let (netassist, port) = check_server(&example("board-check.ron"), &[]);
    let child = spawn_peer(&board, &["--port", &port.to_string(), "--seconds", "8"]);
    let ended = netassist.end();
    reap(child);
    assert_eq!(ended.code, 0, "{:#?}\n{}", ended.stdout, ended.stderr);
    assert!(
        has_line(&ended, "PASS board: 23 steps in"),
        "{:#?}",
        ended.stdout
    );
    let echoes = ended
        .stdout
        .iter()
        .filter(|l| l.contains("PASS  3.2") && l.contains("latency"))
        .count();
    assert_eq!(echoes, 10, "{:#?}", ended.stdout);
    assert!(
        ended
            .stdout
            .iter()
            .any(|l| l.starts_with("  latency 3.2 ") && l.ends_with(" over 10")),
        "{:#?}",
        ended.stdout
    );
    // The record shows the run: the check's start and end are rows of the log.
    assert!(has_line(&ended, "Check 'board' started"));
    assert!(has_line(&ended, "Check 'board' passed in"));
}

#[test]
fn the_length_prefix_example_takes_glued_and_split_messages_and_the_close() {
    let Some(sender) = peer_program("sticky_sender.py") else {
        return;
    };
    let (netassist, port) = check_server(&example("length-prefix-check.ron"), &[]);
    let child = spawn_peer(
        &sender,
        &[
            "--port",
            &port.to_string(),
            "--prefix",
            "i32le",
            "hello",
            "world",
        ],
    );
    let ended = netassist.end();
    reap(child);
    assert_eq!(ended.code, 0, "{:#?}\n{}", ended.stdout, ended.stderr);
    assert!(has_line(
        &ended,
        "PASS  4      expect the other side to close"
    ));
    assert!(has_line(&ended, "PASS messages: 4 steps"));
}

/// Starts `echo_server.py` (with `extra` flags) on a free loopback port; `None` without it.
fn echo_server(extra: &[&str]) -> Option<(Child, u16)> {
    let program = peer_program("echo_server.py")?;
    let mut child = Process::new("python3")
        .arg(program)
        .args(["--port", "0", "--seconds", "10"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Its first line is `{"listening": ["127.0.0.1", PORT]}`.
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let listening: serde_json::Value = serde_json::from_str(&line).unwrap();
    let port = u16::try_from(listening["listening"][1].as_u64().unwrap()).unwrap();
    Some((child, port))
}

#[test]
fn the_hash_delimited_example_passes_against_the_echo_server() {
    let Some((server, port)) = echo_server(&[]) else {
        return;
    };
    let connect = format!("127.0.0.1:{port}");
    let ended = Netassist::start(&[
        "check",
        &example("hash-echo-check.ron"),
        "--connect",
        &connect,
    ])
    .end();
    reap(server);
    assert_eq!(ended.code, 0, "{:#?}\n{}", ended.stdout, ended.stderr);
    assert!(
        has_line(&ended, "PASS echo: 16 steps"),
        "{:#?}",
        ended.stdout
    );
    assert!(has_line(&ended, "  latency 2.2 "), "{:#?}", ended.stdout);
}

#[test]
fn the_counter_example_passes_against_the_counter_run_by_netassist() {
    let mut counter = Netassist::start(&[
        "run",
        &example("look-pass-counter.ron"),
        "--bind",
        "127.0.0.1:0",
        "--framing",
        r"delim:\n",
        "--seconds",
        "10",
    ]);
    let port = counter.port();
    let connect = format!("127.0.0.1:{port}");
    let ended = Netassist::start(&[
        "check",
        &example("look-pass-check.ron"),
        "--connect",
        &connect,
    ])
    .end();
    drop(counter);
    assert_eq!(ended.code, 0, "{:#?}\n{}", ended.stdout, ended.stderr);
    assert!(
        has_line(&ended, "PASS counter: 12 steps"),
        "{:#?}",
        ended.stdout
    );
}

/// A device on loopback: connects to `port` and runs `act` on its connection.
fn device(
    port: u16,
    act: impl FnOnce(&mut TcpStream) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    let mut stream = common::client(format!("127.0.0.1:{port}").parse().unwrap());
    std::thread::spawn(move || act(&mut stream))
}

#[test]
fn a_wrong_reply_fails_with_what_arrived_in_text_json_and_junit() {
    let preset = server_preset(
        r#"WaitClient(within_ms: 5000), Send(text: "ping"), Expect(matcher: Contains("pong"), within_ms: 300), Send(text: "never")"#,
    );
    let junit = tempfile::NamedTempFile::new().unwrap();
    let junit_path = junit.path().to_str().unwrap().to_owned();
    let (netassist, port) = check_server(preset.path(), &["--json", "--junit", &junit_path]);
    let device = device(port, |stream| {
        assert_eq!(read_n(stream, 4), b"ping");
        stream.write_all(b"nope\r\n").unwrap();
        // Stays connected until the server ends the session.
        let _ = stream.read_to_end(&mut Vec::new());
    });
    let ended = netassist.end();
    device.join().unwrap();
    assert_eq!(ended.code, 1, "{:#?}\n{}", ended.stdout, ended.stderr);
    let objects = json_lines(&ended.stdout);
    let steps: Vec<&serde_json::Value> = objects.iter().filter(|o| o["event"] == "step").collect();
    let results: Vec<(&str, &str)> = steps
        .iter()
        .map(|o| (o["step"].as_str().unwrap(), o["result"].as_str().unwrap()))
        .collect();
    assert_eq!(results, [("1", "pass"), ("2", "pass"), ("3", "fail")]);
    let failed = steps[2];
    assert_eq!(failed["kind"], "expect");
    assert_eq!(failed["arrived"]["bytes"], 6);
    assert_eq!(failed["arrived"]["text"][0], "nope\\r\\n");
    assert_eq!(failed["arrived"]["hex"][0], "6E 6F 70 65 0D 0A");
    assert!(failed["took_s"].as_f64().unwrap() >= 0.3, "{failed}");
    let summary = objects
        .iter()
        .find(|o| o["event"] == "check_result")
        .unwrap();
    assert_eq!(summary["result"], "fail");
    assert_eq!(summary["failed_step"], "3");
    // The log's row says which step failed and what arrived, for the device.
    let row = objects
        .iter()
        .find(|o| {
            o["event"] == "check" && o["reason"].as_str().is_some_and(|r| r.contains("step 3"))
        })
        .unwrap();
    assert!(
        row["reason"]
            .as_str()
            .unwrap()
            .contains("(6E 6F 70 65 0D 0A)"),
        "{row}"
    );
    assert!(
        row["peer"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{row}"
    );

    let xml = std::fs::read_to_string(junit.path()).unwrap();
    let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert_eq!(report.test_suites.len(), 1);
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "c");
    assert_eq!((suite.tests, suite.failures, suite.skipped), (4, 1, 1));
    let case = &suite.test_cases[2];
    assert_eq!(case.name.as_str(), "3 expect \"pong\" within 300 ms");
    let quick_junit::TestCaseStatus::NonSuccess { message, ty, .. } = &case.status else {
        panic!("{:?}", case.status);
    };
    let message = message.as_ref().unwrap().as_str();
    assert!(
        message.contains("\"nope\\r\\n\" (6E 6F 70 65 0D 0A)"),
        "{message}"
    );
    assert_eq!(ty.as_ref().unwrap().as_str(), "not_arrived");
    assert!(matches!(
        suite.test_cases[3].status,
        quick_junit::TestCaseStatus::Skipped { .. }
    ));
}

#[test]
fn silence_fails_saying_nothing_arrived_and_no_client_fails_the_wait() {
    let preset = server_preset(
        r#"WaitClient(within_ms: 5000), Expect(matcher: Contains("hi"), within_ms: 200)"#,
    );
    let (netassist, port) = check_server(preset.path(), &[]);
    let device = device(port, |stream| {
        let _ = stream.read_to_end(&mut Vec::new());
    });
    let ended = netassist.end();
    device.join().unwrap();
    assert_eq!(ended.code, 1);
    assert!(has_line(
        &ended,
        "  FAIL  2      expect \"hi\" within 200 ms"
    ));
    assert!(
        has_line(&ended, "        nothing arrived"),
        "{:#?}",
        ended.stdout
    );

    let lonely = server_preset("WaitClient(within_ms: 150)");
    let started = Instant::now();
    let ended = check_server(lonely.path(), &[]).0.end();
    assert_eq!(ended.code, 1);
    assert!(
        has_line(&ended, "no connection within 150 ms"),
        "{:#?}",
        ended.stdout
    );
    assert!(started.elapsed() < WAIT);
}

#[test]
fn an_early_close_fails_the_expect_at_once() {
    let preset = server_preset(
        r#"WaitClient(within_ms: 5000), Expect(matcher: Contains("pong"), within_ms: 5000)"#,
    );
    let started = Instant::now();
    let (netassist, port) = check_server(preset.path(), &[]);
    device(port, |stream| stream.write_all(b"bye").unwrap())
        .join()
        .unwrap();
    let ended = netassist.end();
    assert_eq!(ended.code, 1);
    assert!(
        has_line(
            &ended,
            "the device closed the connection (or finished sending) before it arrived"
        ),
        "{:#?}",
        ended.stdout
    );
    assert!(has_line(&ended, "3 bytes arrived: \"bye\" (62 79 65)"));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "not the 5 s of the step"
    );
}

#[test]
fn a_wait_and_an_expect_close_that_stays_open_fail_after_their_time() {
    let preset =
        server_preset("WaitClient(within_ms: 5000), Wait(ms: 100), ExpectClose(within_ms: 200)");
    let (netassist, port) = check_server(preset.path(), &[]);
    let device = device(port, |stream| {
        let _ = stream.read_to_end(&mut Vec::new());
    });
    let ended = netassist.end();
    device.join().unwrap();
    assert_eq!(ended.code, 1);
    assert!(
        has_line(&ended, "  PASS  2      wait 100 ms"),
        "{:#?}",
        ended.stdout
    );
    assert!(has_line(
        &ended,
        "the connection was still open after 200 ms"
    ));
}

#[test]
fn a_capture_goes_into_a_later_send() {
    let preset = server_preset(
        r#"WaitClient(within_ms: 5000), Expect(matcher: Regex("id=([0-9]+);"), within_ms: 2000), Send(text: "ack $1"), Expect(matcher: Contains("done"), within_ms: 2000)"#,
    );
    let (netassist, port) = check_server(preset.path(), &[]);
    let device = device(port, |stream| {
        stream.write_all(b"hello id=42; how are you").unwrap();
        assert_eq!(read_n(stream, 6), b"ack 42");
        stream.write_all(b"done").unwrap();
        let _ = stream.read_to_end(&mut Vec::new());
    });
    let ended = netassist.end();
    device.join().unwrap();
    assert_eq!(ended.code, 0, "{:#?}", ended.stdout);
}

#[test]
fn a_client_connects_again_after_disconnecting() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for reply in [&b""[..], b"ok"] {
            let (mut stream, _) = listener.accept().unwrap();
            stream.set_read_timeout(Some(WAIT)).unwrap();
            seen.push(read_n(&mut stream, 1));
            stream.write_all(reply).unwrap();
            if reply.is_empty() {
                // The check disconnects.
                assert_eq!(stream.read(&mut [0; 1]).unwrap(), 0);
            }
        }
        seen
    });
    let preset = PresetFile::new(
        r#"Preset(version: 4, mode: TcpClient, local_ip: "", remote_host: "127.0.0.1", remote_port: "1",
           checks: [Check(name: "again", steps: [Connect(), Send(text: "a"), Disconnect, Connect(),
           Send(text: "b"), Expect(matcher: Exact("ok"), within_ms: 2000), ExpectClose(within_ms: 2000)])])"#,
    );
    let connect = format!("127.0.0.1:{port}");
    let ended = Netassist::start(&["check", preset.path(), "--connect", &connect]).end();
    assert_eq!(server.join().unwrap(), [b"a", b"b"]);
    assert_eq!(ended.code, 0, "{:#?}\n{}", ended.stdout, ended.stderr);
    assert!(has_line(&ended, "PASS again: 7 steps"));
}

#[test]
fn a_bad_preset_a_typo_or_no_such_check_exits_2_and_a_refusal_3() {
    let typo = server_preset(r#"WaitClient(), Send(text: "n={conter}")"#);
    let ended = Netassist::start(&["check", typo.path()]).end();
    assert_eq!(ended.code, 2);
    assert!(
        ended
            .stderr
            .contains("Check 'c', step 2: the text to send is not valid: position 3: unknown variable 'conter'"),
        "{}",
        ended.stderr
    );

    let two = PresetFile::new(
        r#"Preset(checks: [Check(name: "first", steps: [Wait(ms: 1)]), Check(name: "second", steps: [Wait(ms: 1)])])"#,
    );
    let ended = Netassist::start(&["check", two.path(), "--check", "third"]).end();
    assert_eq!(ended.code, 2);
    assert!(
        ended
            .stderr
            .contains("no check named 'third'; its checks: 'first', 'second'")
    );

    let none = PresetFile::new("Preset(mode: TcpServer)");
    let ended = Netassist::start(&["check", none.path()]).end();
    assert_eq!(ended.code, 2);
    assert!(ended.stderr.contains("has no checks"), "{}", ended.stderr);

    let wrong = server_preset("Connect()");
    let ended = Netassist::start(&["check", wrong.path()]).end();
    assert_eq!(ended.code, 2);
    assert!(
        ended.stderr.contains("connect is for a TCP client"),
        "{}",
        ended.stderr
    );

    // Nothing listens on a port just closed.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = PresetFile::new(
        r#"Preset(mode: TcpClient, local_ip: "", checks: [Check(name: "c", steps: [Connect(), Send(text: "x")])])"#,
    );
    let ended = Netassist::start(&["check", client.path(), "--connect", &closed.to_string()]).end();
    assert_eq!(ended.code, 3, "{:#?}\n{}", ended.stdout, ended.stderr);
    assert!(has_line(&ended, "FAIL"), "{:#?}", ended.stdout);
}

#[test]
fn several_checks_run_in_turn_and_each_is_a_testsuite() {
    let preset = PresetFile::new(
        r#"Preset(version: 4, mode: TcpServer, local_ip: "127.0.0.1", local_port: "0", checks: [
            Check(name: "greets", steps: [WaitClient(within_ms: 5000), Expect(matcher: Contains("hi"), within_ms: 2000)]),
            Check(name: "echoes", steps: [Send(text: "x"), Expect(matcher: Contains("x"), within_ms: 2000)]),
        ])"#,
    );
    let junit = tempfile::NamedTempFile::new().unwrap();
    let junit_path = junit.path().to_str().unwrap().to_owned();
    let (netassist, port) = check_server(preset.path(), &["--junit", &junit_path]);
    let device = device(port, |stream| {
        stream.write_all(b"hi").unwrap();
        let echo = read_n(stream, 1);
        stream.write_all(&echo).unwrap();
        let _ = stream.read_to_end(&mut Vec::new());
    });
    let ended = netassist.end();
    device.join().unwrap();
    assert_eq!(ended.code, 0, "{:#?}", ended.stdout);
    let report =
        quick_junit::Report::deserialize_from_str(&std::fs::read_to_string(junit.path()).unwrap())
            .unwrap();
    let suites: Vec<(&str, usize, usize)> = report
        .test_suites
        .iter()
        .map(|s| (s.name.as_str(), s.tests, s.failures))
        .collect();
    assert_eq!(suites, [("greets", 2, 0), ("echoes", 2, 0)]);
}

/// A controller with a TCP server on loopback, its port, and a client connected to it.
fn controller_with_client() -> (Controller, TcpStream) {
    let mut controller = Controller::new(TrafficLog::new(LogConfig::default()));
    let preset = Preset {
        local_ip: "127.0.0.1".to_owned(),
        local_port: "0".to_owned(),
        ..Preset::default()
    };
    controller.start(preset.session().unwrap(), || {}).unwrap();
    let port = until(&mut controller, |c| c.log().local_addr()).port();
    let client = common::client(format!("127.0.0.1:{port}").parse().unwrap());
    until(&mut controller, |c| {
        (c.log().connected_peers() == 1).then_some(())
    });
    (controller, client)
}

fn check(steps: &str) -> Check {
    ron::from_str(&format!("Check(name: \"live\", steps: [{steps}])")).unwrap()
}

#[test]
fn the_controller_runs_a_check_on_a_client_already_connected_and_follows_it() {
    let (mut controller, mut client) = controller_with_client();
    let compiled = Preset::default()
        .compile_check(&check(
            r#"WaitClient(within_ms: 1000), Send(text: "ping"), Expect(matcher: Contains("pong"), within_ms: 2000)"#,
        ))
        .unwrap();
    assert!(controller.run_check(compiled));
    assert_eq!(read_n(&mut client, 4), b"ping");
    client.write_all(b"pong").unwrap();
    until(&mut controller, |c| c.check_report()?.finished);
    let report = controller.check_report().unwrap();
    assert_eq!(report.outcome(), Some(Outcome::Passed));
    assert!(!controller.check_running());
    let states: Vec<&str> = report
        .steps
        .iter()
        .map(|s| match &s.latest {
            Some((_, StepState::Passed { .. })) => "pass",
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(states, ["pass"; 3]);
    assert_eq!(report.latencies().len(), 1);
    let notes: Vec<String> = (0..controller.log().len())
        .filter_map(|i| match &controller.log().row(i)?.kind {
            RowKind::Note(Note::Check(milestone)) => Some(netassist::i18n::Text::text(
                milestone.as_ref(),
                netassist::i18n::Lang::En,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(notes[0], "Check 'live' started");
    assert!(notes[1].starts_with("Check 'live' passed in"), "{notes:?}");
}

#[test]
fn the_controller_stops_a_check_and_its_step_says_stopped() {
    let (mut controller, _client) = controller_with_client();
    let compiled = Preset::default()
        .compile_check(&check(
            r#"Expect(matcher: Contains("never"), within_ms: 60000)"#,
        ))
        .unwrap();
    assert!(controller.run_check(compiled));
    until(&mut controller, |c| {
        c.check_report()?.steps[0].latest.clone()
    });
    controller.stop_check();
    until(&mut controller, |c| c.check_report()?.finished);
    let report = controller.check_report().unwrap();
    assert_eq!(report.outcome(), Some(Outcome::Stopped));
    assert!(matches!(
        report.steps[0].latest,
        Some((None, StepState::Stopped { .. }))
    ));
}

#[test]
fn a_udp_check_sends_to_the_remote_and_expects_its_datagrams() {
    let Some((server, port)) = echo_server(&["--udp"]) else {
        return;
    };
    let preset = PresetFile::new(
        r#"Preset(version: 4, mode: Udp, local_ip: "127.0.0.1", local_port: "0", remote_host: "127.0.0.1",
           remote_port: "1", checks: [Check(name: "udp", steps: [Repeat(times: 3, steps: [
           Send(text: "n{counter}"), Expect(matcher: Regex("^n[0-9]$"), within_ms: 2000)])])])"#,
    );
    let to = format!("127.0.0.1:{port}");
    let ended = Netassist::start(&["check", preset.path(), "--connect", &to, "--json"]).end();
    reap(server);
    assert_eq!(ended.code, 0, "{:#?}\n{}", ended.stdout, ended.stderr);
    let objects = json_lines(&ended.stdout);
    let summary = objects
        .iter()
        .find(|o| o["event"] == "check_result")
        .unwrap();
    assert_eq!(summary["result"], "pass");
    assert_eq!(summary["latency"][0]["samples"], 3);
}

/// A controller running a relay on loopback to `target` (TLS toward its devices with `tls_devices`,
/// self-signed), and the relay's port.
fn controller_with_relay(target: u16, tls_devices: bool) -> (Controller, u16) {
    let mut controller = Controller::new(TrafficLog::new(LogConfig::default()));
    let mut preset = Preset {
        mode: netassist::preset::ModeKind::Relay,
        local_ip: "127.0.0.1".to_owned(),
        local_port: "0".to_owned(),
        remote_host: "127.0.0.1".to_owned(),
        remote_port: target.to_string(),
        ..Preset::default()
    };
    preset.tls.enabled = tls_devices;
    preset.tls.self_signed = tls_devices;
    controller.start(preset.session().unwrap(), || {}).unwrap();
    let port = until(&mut controller, |c| c.log().local_addr()).port();
    (controller, port)
}

/// Runs `steps` as a check and waits for its outcome.
fn run_to_the_end(controller: &mut Controller, steps: &str) -> Outcome {
    let compiled = Preset::default().compile_check(&check(steps)).unwrap();
    assert!(controller.run_check(compiled));
    until(controller, |c| c.check_report()?.finished);
    controller.check_report().unwrap().outcome().unwrap()
}

#[test]
fn a_relays_check_sees_its_devices_not_their_server_sides() {
    // The target greets the connection when told: the check must not take the server side, which
    // spoke first, for the device.
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = target.local_addr().unwrap().port();
    let (greet, greeting) = std::sync::mpsc::channel::<()>();
    let greeter = std::thread::spawn(move || {
        let (mut stream, _) = target.accept().unwrap();
        greeting.recv_timeout(WAIT).unwrap();
        stream.write_all(b"from the server").unwrap();
        stream
    });
    let (mut controller, relay) = controller_with_relay(port, false);
    let mut device = common::client(format!("127.0.0.1:{relay}").parse().unwrap());
    // Both sides of the pair are connected before the check starts.
    until(&mut controller, |c| {
        (c.log().connected_peers() == 2).then_some(())
    });
    let compiled = Preset::default()
        .compile_check(&check(
            r#"Expect(matcher: Contains("from the device"), within_ms: 5000)"#,
        ))
        .unwrap();
    assert!(controller.run_check(compiled));
    // The server speaks first; the device answers once it has read that.
    greet.send(()).unwrap();
    assert_eq!(read_n(&mut device, 15), b"from the server");
    device.write_all(b"from the device").unwrap();
    until(&mut controller, |c| c.check_report()?.finished);
    let outcome = controller.check_report().unwrap().outcome().unwrap();
    assert_eq!(outcome, Outcome::Passed);
    drop(greeter.join().unwrap());
}

#[test]
fn a_relays_tls_device_is_a_client_of_the_check_once_its_handshake_is_done() {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = target.local_addr().unwrap().port();
    let (mut controller, relay) = controller_with_relay(port, true);
    // A plain device on the TLS side: its handshake fails, so it never was a client.
    let mut device = common::client(format!("127.0.0.1:{relay}").parse().unwrap());
    device.write_all(b"Hello 01Studio!\r\n").unwrap();
    let outcome = run_to_the_end(&mut controller, "WaitClient(within_ms: 1500)");
    assert!(matches!(outcome, Outcome::Failed(_)), "{outcome:?}");
}
