//! The connection doctor against real sockets on loopback, and `netassist doctor` as a script runs it. The
//! unreachable case runs inside a private network namespace that has no route anywhere, so nothing leaves
//! this machine; without `unshare`, `ip` and the right to make a namespace the test says so and passes
//! without running.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::{Command as Process, Output};
use std::time::Duration;

use common::in_private_namespace;
use netassist::doctor::adapters::{adapters, target_findings};
use netassist::doctor::port::port_finding;
use netassist::doctor::reachability::probe;
use netassist::doctor::{Finding, Protocol, Status};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(5);

fn owner_pids(finding: &Finding) -> Vec<u32> {
    match finding {
        Finding::PortTaken { owners, .. } => owners.iter().map(|o| o.pid).collect(),
        other => panic!("not taken: {other:?}"),
    }
}

#[test]
fn a_port_held_by_this_test_names_its_pid() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let finding = port_finding(addr, Protocol::Tcp, None);
    assert_eq!(finding.status(), Status::Problem);
    assert!(
        owner_pids(&finding).contains(&std::process::id()),
        "{finding:?}"
    );

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let finding = port_finding(socket.local_addr().unwrap(), Protocol::Udp, None);
    assert!(
        owner_pids(&finding).contains(&std::process::id()),
        "{finding:?}"
    );

    // Once closed, the port is free.
    drop(listener);
    assert_eq!(
        port_finding(addr, Protocol::Tcp, None),
        Finding::PortFree {
            addr,
            protocol: Protocol::Tcp
        }
    );
}

/// An address where nothing listens: bound to find a free port, then closed.
fn closed_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[test]
fn a_listening_port_connects_and_a_closed_one_refuses() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap();
    assert!(matches!(
        probe(open, Protocol::Tcp, WAIT),
        Finding::Connected { target, .. } if target == open
    ));
    let closed = closed_port();
    let refused = probe(closed, Protocol::Tcp, WAIT);
    assert!(
        matches!(refused, Finding::Refused { target, millis } if target == closed && millis < 1000),
        "{refused:?}"
    );
    assert_eq!(refused.status(), Status::Problem);
}

#[test]
fn udp_tells_nothing_listening_from_an_answer() {
    let closed = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    assert_eq!(
        probe(closed, Protocol::Udp, WAIT),
        Finding::UdpNothingListening { target: closed }
    );
    let closed_v6 = UdpSocket::bind("[::1]:0").unwrap().local_addr().unwrap();
    assert_eq!(
        probe(closed_v6, Protocol::Udp, WAIT),
        Finding::UdpNothingListening { target: closed_v6 }
    );

    // A device that answers every datagram.
    let device = UdpSocket::bind("127.0.0.1:0").unwrap();
    let at = device.local_addr().unwrap();
    let answering = std::thread::spawn(move || {
        device.set_read_timeout(Some(WAIT)).unwrap();
        let mut buf = [0; 64];
        let (_, from) = device.recv_from(&mut buf).unwrap();
        device.send_to(b"ok", from).unwrap();
    });
    assert!(matches!(
        probe(at, Protocol::Udp, WAIT),
        Finding::UdpAnswered { target, .. } if target == at
    ));
    answering.join().unwrap();
}

/// A listener whose accept queue is full drops further SYNs without a word (Linux), as a filtering
/// firewall does: the connect test waits and then says so.
#[cfg(target_os = "linux")]
#[test]
fn a_connection_nobody_answers_times_out() {
    use socket2::{Domain, Socket, Type};
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let wait = Duration::from_millis(300);
    // The first connections fill the queue (nothing accepts them); then one is dropped.
    let mut before = Vec::new();
    for _ in 0..4 {
        match probe(addr, Protocol::Tcp, wait) {
            Finding::TimedOut { target, millis } => {
                assert_eq!(target, addr);
                // The OS's wait is timed in whole milliseconds, so it may end a fraction early.
                assert!((290..2000).contains(&millis), "{millis}");
                return;
            }
            other => before.push(other),
        }
    }
    panic!("no connect timed out: {before:?}");
}

#[test]
fn no_route_is_unreachable_in_a_private_namespace() {
    // A new namespace has only its loopback adapter, and no route anywhere else.
    in_private_namespace(
        "no_route_is_unreachable_in_a_private_namespace",
        "ip link set lo up",
        inside_namespace,
    );
}

fn inside_namespace() {
    let nowhere: SocketAddr = "10.8.0.1:5000".parse().unwrap();
    let unreachable = probe(nowhere, Protocol::Tcp, WAIT);
    assert!(
        matches!(unreachable, Finding::Unreachable { target, .. } if target == nowhere),
        "{unreachable:?}"
    );
    assert_eq!(
        target_findings(&adapters(), nowhere),
        Finding::TargetNoRoute { target: nowhere }
    );
}

fn doctor(args: &[&str]) -> Output {
    Process::new(env!("CARGO_BIN_EXE_netassist"))
        .arg("doctor")
        .args(args)
        .output()
        .unwrap()
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn the_command_line_exits_1_on_a_problem_and_prints_json_lines() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let output = doctor(&["--bind", &addr, "--json"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let findings = json_lines(&output);
    let taken = findings
        .iter()
        .find(|f| f["kind"] == "port-taken")
        .expect("the port is taken");
    assert_eq!(taken["check"], "port");
    assert_eq!(taken["status"], "problem");
    assert_eq!(taken["owners"][0]["pid"], std::process::id());
    assert!(
        taken["message"]
            .as_str()
            .unwrap()
            .contains("already in use")
    );
    assert!(
        taken["advice"]
            .as_str()
            .unwrap()
            .contains("pick another port")
    );
    let loopback = findings
        .iter()
        .find(|f| f["kind"] == "bind-loopback")
        .unwrap();
    assert_eq!(loopback["status"], "warning");
    assert!(
        findings
            .iter()
            .any(|f| f["kind"] == "adapter" && f["adapter"]["kind"] == "loopback")
    );
}

#[test]
fn the_command_line_exits_0_when_nothing_is_a_problem() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let output = doctor(&["--target", &addr]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("Reachability\n  [ok]"), "{text}");
    assert!(
        text.ends_with("0 problem(s), 0 warning(s), 0 unknown\n"),
        "{text}"
    );

    let closed = closed_port().to_string();
    let output = doctor(&["--target", &closed]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .contains("refused")
    );
}

#[test]
fn the_command_line_exits_2_on_bad_arguments() {
    for args in [
        &["--bind", "nonsense"][..],
        &["--bind", "board.local:5000"],
        &["--target", "127.0.0.1"],
        &["--no-such-flag"],
    ] {
        let output = doctor(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}
