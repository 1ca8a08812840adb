//! The Diagnose window, the "no client yet" offer and the close reasons' explanations: driven through
//! `egui_kittest` like the other window tests, on loopback.
#![allow(clippy::unwrap_used)]

mod window;

use std::net::TcpListener;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use netassist::doctor::{Check, Finding, Status};
use netassist::ui::NetAssistApp;
use window::*;

/// Runs the Diagnose window's checks and waits for its findings.
fn run_checks(harness: &mut Harness<'_, NetAssistApp>) {
    harness.get_by_role_and_label(Role::Button, "Run").click();
    harness.step();
    harness.step();
    step_until(harness, "the findings", |app| {
        app.diagnose.findings().is_some()
    });
    harness.run();
}

/// The port finding among the window's findings.
fn port_finding(app: &NetAssistApp) -> Finding {
    let findings = app.diagnose.findings().unwrap();
    findings
        .iter()
        .find(|f| f.check() == Check::Port)
        .unwrap()
        .clone()
}

#[test]
fn diagnose_shows_a_port_another_program_holds_as_a_problem_and_copies_the_report() {
    let held = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let mut preset = preset();
    preset.local_port = port.to_string();
    let mut harness = harness(with(preset));

    harness
        .get_by_role_and_label(Role::Button, "Diagnose…")
        .click();
    harness.run();
    // A server's bind address, from the settings.
    assert_eq!(harness.state().diagnose.fields.local_ip, "127.0.0.1");
    assert_eq!(harness.state().diagnose.fields.local_port, port.to_string());
    assert!(harness.state().diagnose.fields.remote_host.is_empty());

    harness.get_by_role_and_label(Role::Button, "Run").click();
    harness.step();
    harness.step();
    // The checks take a moment (the firewall tools): meanwhile Run waits.
    if harness.state().diagnose.is_running() {
        harness.get_by_label("Checking…");
        let run = harness.get_by_role_and_label(Role::Button, "Run");
        assert!(run.accesskit_node().is_disabled());
    }
    step_until(&mut harness, "the findings", |app| {
        app.diagnose.findings().is_some()
    });
    harness.run();
    assert!(matches!(
        port_finding(harness.state()),
        Finding::PortTaken { .. }
    ));
    assert!(harness.query_all_by_label("✖ problem").count() >= 1);
    harness.get_by_label_contains(&format!("TCP port {port} is already in use"));
    harness.get_by_label_contains("→ Close");

    harness.get_by_role_and_label(Role::Button, "Copy").click();
    harness.step();
    let copied = harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|command| match command {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .unwrap();
    assert!(copied.contains("[problem]"), "{copied}");
    assert!(copied.contains(&format!("TCP port {port} is already in use")));

    // Other inputs: the findings were about something else, and go.
    harness.get_by_label("Target").click();
    harness.run();
    harness.get_by_label("Target").type_text("127.0.0.1");
    harness.run();
    assert!(harness.state().diagnose.findings().is_none());
    assert!(harness.query_by_label("✖ problem").is_none());
    drop(held);
}

#[test]
fn diagnose_calls_the_port_of_this_sessions_own_server_ok_in_either_language() {
    let mut harness = harness(settings());
    let addr = open(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Diagnose…")
        .click();
    harness.run();
    // Port 0 in the settings: the session's real port is checked.
    assert_eq!(
        harness.state().diagnose.fields.local_port,
        addr.port().to_string()
    );
    run_checks(&mut harness);
    let finding = port_finding(harness.state());
    assert!(
        matches!(finding, Finding::PortThisSession { addr: at, .. } if at == addr),
        "{finding:?}"
    );
    assert_eq!(finding.status(), Status::Ok);
    harness.get_by_label(&format!("This session is listening on TCP {addr}."));

    harness.state_mut().settings.lang = netassist::ui::Lang::Zh;
    harness.run();
    harness.get_by_label(&format!("本会话正在 TCP {addr} 上监听。"));
}

#[test]
fn a_server_without_a_client_offers_a_diagnosis_after_the_set_time_until_one_connects() {
    const OFFER: &str = "No client yet — diagnose?";
    let mut settings = settings();
    settings.no_client_secs = 1;
    let mut harness = harness(settings);
    let opened = std::time::Instant::now();
    let addr = open(&mut harness);
    harness.run();
    assert!(harness.query_by_label(OFFER).is_none());
    // No frame until the offer is due: one is asked for at that moment, not before and not in a loop.
    let delay = harness.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
    assert!(
        delay > std::time::Duration::from_millis(500) && delay <= std::time::Duration::from_secs(1),
        "{delay:?}"
    );

    step_until(&mut harness, "the offer", |app| {
        app.waiting_without_clients().is_some()
    });
    // Shown whole in the frame that shows it: no frame comes after the scheduled one to fix a layout.
    let shown = harness
        .get_by_label(OFFER)
        .accesskit_node()
        .bounding_box()
        .unwrap();
    assert!(shown.y1 <= 800.0, "{shown:?}");
    harness.run();
    assert!(opened.elapsed() >= std::time::Duration::from_secs(1));
    harness.get_by_label(OFFER).click();
    harness.step();
    harness.step();
    step_until(&mut harness, "the findings", |app| {
        app.diagnose.findings().is_some()
    });
    harness.run();
    // The listening port, as this session's, and the adapters; no target.
    assert_eq!(
        port_finding(harness.state()),
        Finding::PortThisSession {
            addr,
            protocol: netassist::doctor::Protocol::Tcp
        }
    );
    let findings = harness.state().diagnose.findings().unwrap();
    assert!(findings.iter().any(|f| f.check() == Check::Adapters));
    assert!(findings.iter().all(|f| f.check() != Check::Reachability));

    let _client = std::net::TcpStream::connect(addr).unwrap();
    step_until(&mut harness, "the client", |app| {
        app.log().connected_peers() == 1
    });
    harness.run();
    assert!(harness.query_by_label(OFFER).is_none());
}

#[test]
fn a_close_reason_on_a_peer_explains_what_it_usually_means() {
    let mut harness = harness(settings());
    let addr = open(&mut harness);
    let client = std::net::TcpStream::connect(addr).unwrap();
    step_until(&mut harness, "the client", |app| {
        app.log().connected_peers() == 1
    });
    // Closed with an RST: lingering for no time drops what is queued and resets.
    let client = socket2::Socket::from(client);
    client.set_linger(Some(std::time::Duration::ZERO)).unwrap();
    drop(client);
    step_until(&mut harness, "the reset", |app| {
        app.log().connected_peers() == 0
    });
    harness.run();
    harness.get_by_label("Show closed (1)").click();
    harness.run();
    harness.get_by_label("reset (RST)");
    assert!(
        harness
            .query_by_label_contains("Reset by the peer")
            .is_none()
    );
    harness.get_by_role_and_label(Role::Button, "why?").click();
    harness.run();
    harness.get_by_label_contains("Reset by the peer (TCP RST)");

    harness.state_mut().settings.lang = netassist::ui::Lang::Zh;
    harness.run();
    harness.get_by_label_contains("被对方重置（TCP RST）");
}
