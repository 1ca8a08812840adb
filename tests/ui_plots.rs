//! The Plots window, driven through `egui_kittest` on loopback: it opens from the View menu, draws the
//! session's and the peer's rates once traffic has come (as much as was sent, in bytes or messages), lists
//! each peer's connected span with how it ended, and asks for no frames when nothing happens.
#![allow(clippy::unwrap_used)]

mod window;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use netassist::codec::Framing;
use netassist::engine::Direction;
use netassist::preset::Preset;
use netassist::traffic::Quantity;
use netassist::ui::plots::{PlotLine, Source};
use netassist::ui::{Lang, NetAssistApp};
use window::*;

/// Lines of `LINE_LEN` bytes the client sends.
const LINES: usize = 5;
const LINE_LEN: usize = 20;

/// A server framing lines, with the Plots window open.
fn plots_harness() -> Harness<'static, NetAssistApp> {
    let mut settings = with(Preset {
        framing: Framing::Delimiter {
            delimiter: b"\n".to_vec(),
            keep: false,
        },
        ..preset()
    });
    // No "no client yet" offer: it would ask for a frame of its own.
    settings.no_client_secs = 0;
    let mut harness = harness(settings);
    menu(&mut harness, "View", "Plots…");
    assert!(harness.state().plots.open);
    harness
}

/// Sends [`LINES`] lines of [`LINE_LEN`] bytes.
fn send_lines(client: &mut TcpStream) {
    for n in 0..LINES {
        let mut line = format!("reading {n}").into_bytes();
        line.resize(LINE_LEN - 1, b'.');
        line.push(b'\n');
        client.write_all(&line).unwrap();
    }
}

/// What a line adds up to: each step's level times its width, back in the line's unit times seconds.
fn area(line: &PlotLine) -> f64 {
    line.points
        .windows(2)
        .map(|pair| (pair[1].x - pair[0].x) * pair[0].y)
        .sum()
}

fn line<'a>(app: &'a NetAssistApp, name: &str) -> Option<&'a PlotLine> {
    app.plots.lines().iter().find(|line| line.name == name)
}

/// Steps until the plot holds everything the server received: every bucket of it whole.
fn wait_for_the_plot(harness: &mut Harness<'_, NetAssistApp>) {
    step_until(harness, "the received bytes in the plot", |app| {
        line(app, "RX total").is_some_and(|line| {
            let divisor = app.plots.unit().unwrap().divisor;
            (area(line) * divisor - (LINES * LINE_LEN) as f64).abs() < 1e-6
        })
    });
}

#[test]
fn the_plot_shows_the_session_and_the_peer_after_traffic_in_bytes_or_messages() {
    let mut harness = plots_harness();
    harness.get_by_label("Plots");
    harness.get_by_label("No traffic yet.");
    let mut client = server_with_client(&mut harness);
    send_lines(&mut client);
    wait_for_the_plot(&mut harness);
    harness.run();

    // The legend names the totals and the peer, which is the busiest one.
    let peer = client.local_addr().unwrap().to_string();
    for name in ["RX total", "TX total", &peer] {
        harness.get_by_role_and_label(Role::CheckBox, name);
    }
    let app = harness.state();
    assert_eq!(app.plots.unit().unwrap().name, "B/s");
    // Its received and sent lines share its name, and so its legend entry.
    let peer_lines: Vec<&PlotLine> = app
        .plots
        .lines()
        .iter()
        .filter(|line| line.name == peer)
        .collect();
    let dirs: Vec<_> = peer_lines
        .iter()
        .map(|line| (line.source, line.dir))
        .collect();
    assert_eq!(
        dirs,
        [
            (Source::Peer(0), Direction::Rx),
            (Source::Peer(0), Direction::Tx)
        ]
    );
    assert!((area(peer_lines[0]) - (LINES * LINE_LEN) as f64).abs() < 1e-6);
    assert!(
        area(line(app, "TX total").unwrap()).abs() < 1e-9,
        "nothing sent"
    );

    // Messages a second: the lines the framing cut.
    harness.get_by_label("Messages/s").click();
    harness.run();
    let app = harness.state();
    assert_eq!(app.plots.quantity, Quantity::Messages);
    assert_eq!(app.plots.unit().unwrap().name, "msg/s");
    let messages = area(line(app, "RX total").unwrap());
    assert!((messages - LINES as f64).abs() < 1e-6, "{messages}");
    harness.get_by_label("Bytes/s").click();
    harness.run();
    assert_eq!(harness.state().plots.unit().unwrap().name, "B/s");

    // The same window in Chinese.
    harness.state_mut().settings.lang = Lang::Zh;
    harness.run();
    harness.get_by_label("图表");
    harness.get_by_label("消息/秒");
    harness.get_by_role_and_label(Role::CheckBox, "RX 总计");
    harness.get_by_label("连接时间线");
}

#[test]
fn the_timeline_lists_a_closed_peer_with_how_it_ended() {
    let mut harness = plots_harness();
    let addr = open(&mut harness);
    let staying = TcpStream::connect(addr).unwrap();
    let leaving = TcpStream::connect(addr).unwrap();
    let (staying_name, leaving_name) = (
        staying.local_addr().unwrap().to_string(),
        leaving.local_addr().unwrap().to_string(),
    );
    step_until(&mut harness, "both clients", |app| {
        app.log().connected_peers() == 2
    });
    // Closed with an RST: lingering for no time resets the connection.
    let leaving = socket2::Socket::from(leaving);
    leaving.set_linger(Some(Duration::ZERO)).unwrap();
    drop(leaving);
    step_until(&mut harness, "the reset", |app| {
        app.log().connected_peers() == 1
    });
    harness.run();

    // Each peer's address and how its span ended share a row of the timeline.
    let same_row = |harness: &Harness<'_, NetAssistApp>, name: &str, end: &str| {
        let end = harness
            .get_by_label(end)
            .accesskit_node()
            .bounding_box()
            .unwrap();
        harness.query_all_by_label(name).any(|node| {
            let addr = node.accesskit_node().bounding_box().unwrap();
            addr.y0 < end.y1 && end.y0 < addr.y1 && addr.x1 <= end.x0
        })
    };
    assert!(same_row(&harness, &leaving_name, "reset (RST)"));
    assert!(same_row(&harness, &staying_name, "open"));
    harness.get_by_label("2 peers, newest first");
    // Its span is timed by the events: it ended when the log says it closed.
    let app = harness.state();
    let closed = app
        .log()
        .peers()
        .find(|peer| peer.addr.to_string() == leaving_name)
        .unwrap();
    assert!(closed.closed_at.unwrap() >= closed.since);
    assert!(closed.closed_at.unwrap() <= SystemTime::now());
    drop(staying);
}

#[test]
fn an_idle_window_with_the_plot_open_asks_for_no_frames() {
    let mut harness = plots_harness();
    let mut client = server_with_client(&mut harness);
    send_lines(&mut client);
    step_until(&mut harness, "the lines in the log", |app| {
        app.log().totals().rx_messages == LINES as u64
    });
    // While the last second is being counted, one frame is asked for when it ends: not a loop.
    harness.run();
    let delay = harness.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
    let newest = harness
        .state()
        .log()
        .rates()
        .unwrap()
        .total()
        .newest_end()
        .unwrap();
    if newest > SystemTime::now() {
        assert!(
            delay > Duration::ZERO && delay <= Duration::from_secs(1),
            "{delay:?}"
        );
    }
    wait_for_the_plot(&mut harness);
    // Then nothing: no frame is asked for at all.
    harness.run();
    let delay = harness.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
    assert_eq!(delay, Duration::MAX);
    drop(client);
}

#[test]
fn a_selected_peer_is_drawn_instead_of_the_busiest() {
    let mut harness = plots_harness();
    let addr = open(&mut harness);
    let mut busy = TcpStream::connect(addr).unwrap();
    let mut quiet = TcpStream::connect(addr).unwrap();
    step_until(&mut harness, "both clients", |app| {
        app.log().connected_peers() == 2
    });
    // Busy sends the lines many times over; quiet one line.
    for _ in 0..20 {
        send_lines(&mut busy);
    }
    quiet.write_all(b"one\n").unwrap();
    let expected = (20 * LINES * LINE_LEN + 4) as u64;
    step_until(&mut harness, "every byte", |app| {
        app.log().totals().rx_bytes == expected
    });
    let name = |stream: &TcpStream| stream.local_addr().unwrap().to_string();
    let peers_drawn = |app: &NetAssistApp| -> Vec<String> {
        let mut names: Vec<String> = app
            .plots
            .lines()
            .iter()
            .filter(|line| line.source != Source::Total)
            .map(|line| line.name.clone())
            .collect();
        names.dedup();
        names
    };
    step_until(&mut harness, "both peers drawn", |app| {
        peers_drawn(app).len() == 2
    });
    assert_eq!(peers_drawn(harness.state()), [name(&busy), name(&quiet)]);

    // Showing only the quiet peer's rows in the log selects it: it alone is drawn beside the totals.
    let quiet_id = harness
        .state()
        .log()
        .peers()
        .find(|peer| peer.addr.to_string() == name(&quiet))
        .unwrap()
        .id;
    harness.state_mut().view.filter.peer = Some(quiet_id);
    harness.run();
    assert_eq!(peers_drawn(harness.state()), [name(&quiet)]);
    harness.get_by_label("Total, and the selected peer (RX solid, TX dashed).");
    assert!(
        harness
            .state()
            .log()
            .rates()
            .unwrap()
            .peer(quiet_id)
            .unwrap()
            .pinned
    );
}
