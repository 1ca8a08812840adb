//! TCP client sessions against real std-socket servers on loopback.
// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{Unanswered, WAIT, connected, data, read_n, start, wait_for};
use netassist::engine::{
    CloseReason, Command, Direction, Event, Mode, NetError, Problem, Session, SessionConfig, Target,
};
use socket2::SockRef;

fn client_config(host: &str, port: u16, timeout: Duration) -> SessionConfig {
    SessionConfig::new(Mode::TcpClient {
        host: host.to_owned(),
        port,
        local: None,
        timeout,
    })
}

fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    let (stream, addr) = listener.accept().unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    (stream, addr)
}

fn error_then_stopped(session: &Session) -> NetError {
    let error = wait_for(session, "Error", |e| match e {
        Event::Error { error, .. } => Some(error.clone()),
        _ => None,
    });
    wait_for(session, "Stopped", |e| {
        matches!(e, Event::Stopped { .. }).then_some(())
    });
    error
}

#[test]
fn connects_sends_and_receives() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let running = start(client_config("127.0.0.1", port, Duration::from_secs(5)));
    let (mut server_side, client_addr) = accept(&listener);
    let (peer, remote, local) = connected(&running.session);
    assert_eq!(remote, listener.local_addr().unwrap());
    assert_eq!(local, client_addr);

    assert!(running.session.send(Command::Send {
        to: Target::Default,
        bytes: Bytes::from_static(b"AA\x55\x01"),
    }));
    assert_eq!(read_n(&mut server_side, 4), b"AA\x55\x01");
    assert_eq!(
        data(&running.session, peer, Direction::Tx, 4),
        b"AA\x55\x01"
    );
    server_side.write_all("你好".as_bytes()).unwrap();
    assert_eq!(
        data(&running.session, peer, Direction::Rx, 6),
        "你好".as_bytes()
    );
}

#[test]
fn server_closing_or_resetting_ends_the_session_with_the_reason() {
    for reset in [false, true] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let running = start(client_config("127.0.0.1", port, Duration::from_secs(5)));
        let (server_side, _) = accept(&listener);
        let (peer, _, _) = connected(&running.session);
        if reset {
            SockRef::from(&server_side)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
        }
        drop(server_side);
        let reason = wait_for(&running.session, "Closed", |e| match e {
            Event::Closed {
                peer: p, reason, ..
            } if *p == peer => Some(reason.clone()),
            _ => None,
        });
        let want = if reset {
            CloseReason::Reset
        } else {
            CloseReason::PeerClosed
        };
        assert_eq!(reason, want);
        wait_for(&running.session, "Stopped", |e| {
            matches!(e, Event::Stopped { .. }).then_some(())
        });
    }
}

#[test]
fn disconnect_closes_cleanly() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let running = start(client_config("localhost", port, Duration::from_secs(5)));
    let (mut server_side, _) = accept(&listener);
    let (peer, _, _) = connected(&running.session);
    assert!(running.session.send(Command::Disconnect(peer)));
    assert!(common::read_to_close(&mut server_side).is_empty());
    wait_for(&running.session, "Closed", |e| match e {
        Event::Closed {
            reason: CloseReason::Kicked,
            ..
        } => Some(()),
        _ => None,
    });
}

#[test]
fn refused_is_its_own_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The listener is gone: nothing listens on the port any more.
    let running = start(client_config("127.0.0.1", port, Duration::from_secs(5)));
    let error = error_then_stopped(&running.session);
    assert_eq!(error.problem(), Problem::Refused);
    assert!(
        error.to_string().contains("refused the connection"),
        "{error}"
    );
    assert!(error.zh().contains("拒绝了连接"), "{}", error.zh());
}

#[test]
fn an_unanswered_connect_times_out_without_blocking_the_caller() {
    // The connect hangs: the listener does not answer.
    let target = Unanswered::listen();
    let addr = target.addr;
    let started = Instant::now();
    let running = start(client_config(
        "127.0.0.1",
        addr.port(),
        Duration::from_millis(300),
    ));
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "start blocked"
    );
    let error = error_then_stopped(&running.session);
    assert_eq!(error.problem(), Problem::TimedOut);
    assert!(error.to_string().contains("300 ms"), "{error}");
}

#[test]
fn a_bad_address_is_reported_without_asking_a_name_server() {
    for host in ["192.168.1.300", "my board"] {
        let running = start(client_config(host, 80, Duration::from_secs(5)));
        let error = error_then_stopped(&running.session);
        assert_eq!(error.problem(), Problem::BadAddress, "{host}");
        assert!(error.to_string().contains(host), "{error}");
    }
}

#[test]
fn connects_over_ipv6_and_from_a_chosen_local_address() {
    let listener = TcpListener::bind("[::1]:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let running = start(client_config("::1", port, Duration::from_secs(5)));
    accept(&listener);
    let (_, remote, _) = connected(&running.session);
    assert_eq!(remote, listener.local_addr().unwrap());

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = client_config(
        "127.0.0.1",
        listener.local_addr().unwrap().port(),
        Duration::from_secs(5),
    );
    if let Mode::TcpClient { local, .. } = &mut config.mode {
        *local = Some("127.0.0.2:0".parse().unwrap());
    }
    let running = start(config);
    let (_, from) = accept(&listener);
    assert_eq!(from.ip().to_string(), "127.0.0.2");
    let (_, _, local) = connected(&running.session);
    assert_eq!(local, from);
}
