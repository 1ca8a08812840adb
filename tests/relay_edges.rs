//! Relay mode at its edges, on loopback: a target that is the relay itself is refused before anything
//! opens; delayed rule answers go out before the half-close they were scheduled ahead of; a side the
//! relay resets is recorded as reset, with what it sent that never went on; what a device does while
//! its target connect is pending is recorded when it happens; and `netassist relay` takes only the
//! flags a relay uses.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use common::cli::Netassist;
use common::{WAIT, start, wait_for};
use netassist::engine::{Event, HostPort, Mode, Problem, SessionConfig};

/// A relay on `bind` to `target`.
fn relay(bind: &str, target: &str) -> SessionConfig {
    let (host, port) = target.rsplit_once(':').unwrap();
    SessionConfig::new(Mode::Relay {
        bind: bind.parse().unwrap(),
        target: HostPort {
            host: host.trim_matches(['[', ']']).to_owned(),
            port: port.parse().unwrap(),
        },
        max_clients: None,
        timeout: Duration::from_secs(5),
    })
}

/// A loopback port free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_target_that_is_the_relay_itself_is_refused_before_listening() {
    let port = free_port();
    for (bind, target) in [
        (format!("127.0.0.1:{port}"), format!("127.0.0.1:{port}")),
        (format!("0.0.0.0:{port}"), format!("127.0.0.1:{port}")),
        (format!("0.0.0.0:{port}"), format!("localhost:{port}")),
        (format!("[::]:{port}"), format!("127.0.0.1:{port}")),
    ] {
        let running = start(relay(&bind, &target));
        let error = wait_for(&running.session, "the refusal", |event| match event {
            Event::Listening { addr, .. } => panic!("{bind} → {target}: listening on {addr}"),
            Event::Error { error, .. } => Some(error.clone()),
            _ => None,
        });
        assert_eq!(error.problem(), Problem::SelfTarget, "{bind} → {target}");
        let en = error.to_string();
        assert!(
            en.contains(&target) && en.contains("this relay itself"),
            "{en}"
        );
        assert!(error.zh().contains("就是本中继自己"), "{}", error.zh());
        // Nothing listens: the relay refused before opening its port.
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "{bind}");
    }
}

#[test]
fn another_port_on_the_same_address_is_relayed_to() {
    let running = start(relay("127.0.0.1:0", "127.0.0.1:9"));
    let addr: SocketAddr = common::listening(&running.session);
    assert_ne!(addr.port(), 9);
}

#[test]
fn netassist_relay_to_itself_exits_2_saying_why() {
    let port = free_port().to_string();
    let bind = format!("0.0.0.0:{port}");
    let to = format!("localhost:{port}");
    let ended = Netassist::start(&["relay", "--bind", &bind, "--to", &to, "--seconds", "5"]).end();
    assert_eq!(ended.code, 2, "{:#?} {}", ended.stdout, ended.stderr);
    assert!(
        ended
            .stderr
            .contains(&format!("The target {to} is this relay itself")),
        "{}",
        ended.stderr
    );
    assert!(ended.took < WAIT);
    assert!(
        !ended.stdout.iter().any(|line| line.contains("Listening")),
        "{:#?}",
        ended.stdout
    );
}
