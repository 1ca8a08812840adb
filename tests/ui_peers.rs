//! The peers panel with many peers, and in UDP, where there are no connections: driven through
//! `egui_kittest` like the other window tests, on loopback.
#![allow(clippy::unwrap_used)]

mod window;

use std::net::{TcpStream, UdpSocket};

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use netassist::preset::{ModeKind, Preset};
use window::*;

#[test]
fn many_peers_draw_only_the_visible_rows_connected_first_closed_folded_and_found_by_filter() {
    const CLIENTS: usize = 200;
    const CLOSED: usize = 3;
    let mut harness = harness(settings());
    let addr = open(&mut harness);
    let mut clients: Vec<TcpStream> = (0..CLIENTS)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    step_until(&mut harness, "every client", |app| {
        app.log().connected_peers() == CLIENTS
    });
    // The first clients to connect close; they would be listed last, and are folded away.
    let closed: Vec<String> = clients
        .drain(..CLOSED)
        .map(|client| client.local_addr().unwrap().to_string())
        .collect();
    step_until(&mut harness, "the closes", |app| {
        app.log().connected_peers() == CLIENTS - CLOSED
    });
    harness.run();

    let drawn = harness
        .query_all_by_role_and_label(Role::Button, "Disconnect")
        .count();
    assert!(
        (1..50).contains(&drawn),
        "{drawn} peers laid out of {CLIENTS}"
    );
    // The newest connected client comes first.
    let newest = clients.last().unwrap().local_addr().unwrap().to_string();
    harness.get_by_role_and_label(Role::Button, &newest);
    let closed_title = format!("{} (closed)", closed[0]);
    assert!(harness.query_by_label(&closed_title).is_none());

    // The filter finds a closed one, once closed peers are shown.
    let port = closed[0].rsplit(':').next().unwrap().to_owned();
    harness.get_by_label("Find").click();
    harness.run();
    harness.get_by_label("Find").type_text(&port);
    harness.run();
    assert!(harness.query_by_label(&closed_title).is_none());
    harness
        .get_by_label(&format!("Show closed ({CLOSED})"))
        .click();
    harness.run();
    harness.get_by_label(&closed_title);
    assert!(
        harness
            .query_by_role_and_label(Role::Button, &newest)
            .is_none(),
        "peers the filter leaves out are not listed"
    );
}

#[test]
fn udp_speaks_of_remotes_seen_first_datagrams_and_forgetting() {
    let mut harness = harness(with(Preset {
        mode: ModeKind::Udp,
        remote_host: String::new(),
        ..preset()
    }));
    let addr = open(&mut harness);
    let device = UdpSocket::bind("127.0.0.1:0").unwrap();
    device.send_to(b"ping", addr).unwrap();
    step_until(&mut harness, "the datagram", |app| {
        app.log().connected_peers() == 1
    });
    let sender = device.local_addr().unwrap();
    harness.get_by_label("Remotes seen");
    harness.get_by_label(&format!("First datagram from {sender}"));
    assert!(harness.query_by_label("Connected").is_none());
    assert!(harness.query_by_label("Disconnect").is_none());
    harness
        .get_by_role_and_label(Role::Button, "Forget")
        .click();
    harness.run();
    step_until(&mut harness, "the remote forgotten", |app| {
        app.log().connected_peers() == 0
    });
    harness.get_by_label("Forgotten by you: its next datagram makes it a remote again");
    assert!(
        harness
            .query_by_label("Closed: disconnected by you")
            .is_none()
    );

    // The same words in Chinese.
    device.send_to(b"ping", addr).unwrap();
    step_until(&mut harness, "the next datagram", |app| {
        app.log().connected_peers() == 1
    });
    harness.state_mut().settings.lang = netassist::ui::Lang::Zh;
    harness.run();
    harness.get_by_label("已知远程主机");
    harness.get_by_role_and_label(Role::Button, "忘记");
    let note = format!("收到来自 {sender} 的第一个数据报");
    assert_eq!(harness.query_all_by_label(&note).count(), 2);
    harness.get_by_label("已由你忘记：再收到它的数据报时会重新成为远端");
}

#[test]
fn udp_says_the_first_datagram_went_to_a_remote_we_sent_to_first() {
    let device = UdpSocket::bind("127.0.0.1:0").unwrap();
    device.set_read_timeout(Some(WAIT)).unwrap();
    let remote = device.local_addr().unwrap();
    let mut harness = harness(with(Preset {
        mode: ModeKind::Udp,
        remote_host: remote.ip().to_string(),
        remote_port: remote.port().to_string(),
        ..preset()
    }));
    let addr = open(&mut harness);
    harness.state_mut().settings.send_text = "hello".to_owned();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Send").click();
    harness.run();
    let mut buf = [0; 16];
    let (n, _) = device.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
    step_until(&mut harness, "the sent row", |app| {
        app.log().totals().tx_bytes == 5
    });
    harness.get_by_label(&format!("First datagram to {remote}"));
    assert!(
        harness
            .query_by_label(&format!("First datagram from {remote}"))
            .is_none(),
        "it never sent us anything"
    );
    // Its answer is no first datagram: the remote is known already.
    device.send_to(b"hi", addr).unwrap();
    step_until(&mut harness, "the answer", |app| {
        app.log().totals().rx_bytes == 2
    });
    assert_eq!(
        harness
            .query_all_by_label_contains("First datagram")
            .count(),
        1
    );
    harness.state_mut().settings.lang = netassist::ui::Lang::Zh;
    harness.run();
    harness.get_by_label(&format!("向 {remote} 发出第一个数据报"));
}
