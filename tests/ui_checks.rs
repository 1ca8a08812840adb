//! The device checks window driven like a person would: checks and steps added, edited, moved, removed and
//! saved with the preset; mistakes named at their step; the board check run against the real board
//! program, a wrong reply failing with what arrived, and Stop. Traffic stays on loopback.
#![allow(clippy::unwrap_used)]

mod common;
mod window;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use netassist::check::{Check, Outcome, Step, StepState};
use netassist::codec::InputMode;
use netassist::preset::Preset;
use netassist::rules::Match;
use netassist::ui::{Lang, NetAssistApp};
use window::*;

fn click(harness: &mut Harness<'_, NetAssistApp>, role: Role, label: &str) {
    harness.get_by_role_and_label(role, label).click();
    harness.run();
}

/// Opens the checks window from the menu bar.
fn open_checks(harness: &mut Harness<'_, NetAssistApp>) {
    click(harness, Role::Button, "Checks…");
    harness.get_by_label("Device checks");
}

/// Adds a step of `kind` (as the add menu names it) through the menu `menu`.
fn add_step(harness: &mut Harness<'_, NetAssistApp>, menu: &str, kind: &str) {
    click(harness, Role::Button, menu);
    click(harness, Role::Button, &format!("Add step: {kind}"));
}

fn kinds(check: &Check) -> Vec<&'static str> {
    check.steps.iter().map(Step::kind).collect()
}

/// A loopback server preset with one check named `c` of `steps`.
fn with_check(steps: Vec<Step>) -> Preset {
    Preset {
        checks: vec![Check {
            name: "c".to_owned(),
            steps,
        }],
        ..preset()
    }
}

fn send(text: &str) -> Step {
    Step::Send {
        text: text.to_owned(),
        input: InputMode::Text,
        encoding: netassist::codec::TextEncoding::Utf8,
        escapes: false,
    }
}

/// How long until the window asks for its next frame on its own.
fn repaint_delay(harness: &Harness<'_, NetAssistApp>) -> Duration {
    harness.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay
}

fn outcome(app: &NetAssistApp) -> Option<Outcome> {
    app.check_report()
        .and_then(netassist::check::Report::outcome)
}

fn run_button_disabled(harness: &Harness<'_, NetAssistApp>, label: &str) -> bool {
    harness
        .get_by_role_and_label(Role::Button, label)
        .accesskit_node()
        .is_disabled()
}

#[test]
fn checks_and_steps_are_added_edited_moved_removed_and_saved_with_the_preset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.ron");
    preset().save(&path).unwrap();
    let dialogs = Scripted::with(&[&path]);
    let mut harness = harness_for(NetAssistApp::new(settings(), Box::new(dialogs.clone())));
    menu(&mut harness, "Preset", "Open…");
    assert_eq!(
        harness.state().window_title(),
        "bench - NetAssist 网络调试助手"
    );
    open_checks(&mut harness);
    harness.get_by_label_contains("This preset has no checks yet");

    // A new check starts by waiting for the device, as a server's checks do.
    click(&mut harness, Role::Button, "New");
    let checks = &harness.state().settings.preset.checks;
    assert_eq!(checks[0].name, "check 1");
    assert_eq!(kinds(&checks[0]), ["wait_client"]);
    assert!(harness.state().window_title().starts_with("bench* - "));

    add_step(&mut harness, "+ Add step", "Send");
    add_step(&mut harness, "+ Add step", "Expect");
    add_step(&mut harness, "+ Add step", "Repeat");
    add_step(&mut harness, "Add a step inside step 4", "Wait");
    let text = harness.get_by_role_and_label(Role::TextInput, "2 Send");
    text.focus();
    text.type_text("ping {counter}");
    harness.run();
    let pattern = harness.get_by_role_and_label(Role::TextInput, "3 Expect");
    pattern.focus();
    pattern.type_text("pong");
    harness.run();
    // The step inside the repeat is indented under it and numbered by its place.
    harness.get_by_label("4.1 Wait");
    let check = &harness.state().settings.preset.checks[0];
    assert_eq!(kinds(check), ["wait_client", "send", "expect", "repeat"]);
    assert_eq!(check.steps[1], send("ping {counter}"));
    assert_eq!(
        check.steps[2],
        Step::Expect {
            matcher: Match::Contains("pong".to_owned()),
            within_ms: 5000
        }
    );
    assert_eq!(check.steps[3].children(), [Step::Wait { ms: 1000 }]);

    // Moved up, then down again; the first step cannot go up.
    click(&mut harness, Role::Button, "Move step 3 up");
    let check = &harness.state().settings.preset.checks[0];
    assert_eq!(kinds(check), ["wait_client", "expect", "send", "repeat"]);
    assert!(run_button_disabled(&harness, "Move step 1 up"));
    click(&mut harness, Role::Button, "Move step 2 down");
    let check = &harness.state().settings.preset.checks[0];
    assert_eq!(kinds(check), ["wait_client", "send", "expect", "repeat"]);

    // Removed, and put back with Undo.
    click(&mut harness, Role::Button, "Remove step 4");
    assert_eq!(
        kinds(&harness.state().settings.preset.checks[0]),
        ["wait_client", "send", "expect"]
    );
    harness.get_by_label("Removed step 4 (repeat 2 times).");
    click(&mut harness, Role::Button, "Undo");
    let check = &harness.state().settings.preset.checks[0];
    assert_eq!(kinds(check), ["wait_client", "send", "expect", "repeat"]);
    assert_eq!(check.steps[3].children(), [Step::Wait { ms: 1000 }]);

    // Renamed, duplicated under a free name, and the copy removed and not put back.
    let name = harness.get_by_role_and_label(Role::TextInput, "Name");
    name.focus();
    name.type_text(" board");
    harness.run();
    click(&mut harness, Role::Button, "Duplicate");
    let names: Vec<String> = harness
        .state()
        .settings
        .preset
        .checks
        .iter()
        .map(|check| check.name.clone())
        .collect();
    assert_eq!(names, ["check 1 board", "check 1 board copy"]);
    click(&mut harness, Role::Button, "Remove");
    harness.get_by_label("Removed check 'check 1 board copy'.");
    assert_eq!(harness.state().settings.preset.checks.len(), 1);

    // Saved with the preset, and read back the same.
    menu(&mut harness, "Preset", "Save");
    assert!(!harness.state().window_title().contains('*'));
    let saved = Preset::load(&path).unwrap().preset;
    assert_eq!(saved.checks, harness.state().settings.preset.checks);
    assert_eq!(saved.checks[0].name, "check 1 board");
    assert_eq!(
        kinds(&saved.checks[0]),
        ["wait_client", "send", "expect", "repeat"]
    );
}

#[test]
fn mistakes_are_named_at_their_step_with_their_position_and_run_waits_for_the_fix() {
    let steps = vec![
        Step::WaitClient { within_ms: 1000 },
        send("n={conter}"),
        Step::Expect {
            matcher: Match::Regex("v(".to_owned()),
            within_ms: 1000,
        },
    ];
    let mut harness = harness(with(with_check(steps)));
    open_checks(&mut harness);
    harness.get_by_label_contains(
        "step 2: the text to send is not valid: position 3: unknown variable 'conter'",
    );
    harness.get_by_label_contains("step 3: the pattern is not valid");
    assert!(run_button_disabled(&harness, "▶ Open and run"));
    // Hovered, it says why.
    harness
        .get_by_role_and_label(Role::Button, "▶ Open and run")
        .hover();
    harness.run();
    harness.get_by_label_contains("Fix the 2 mistake(s) marked in red first: Check 'c', step 2:");
    harness.get_by_label("Device checks").hover();
    harness.run();

    // In Chinese too, with the window's own words.
    harness.state_mut().settings.lang = Lang::Zh;
    harness.run();
    harness.get_by_label("设备检查");
    harness.get_by_role_and_label(Role::Button, "设备检查…");
    harness.get_by_label_contains("第 2 步：发送内容无效：第 3 个字符：未知变量 'conter'");
    assert!(run_button_disabled(&harness, "▶ 打开并运行"));
    harness.get_by_label_contains("“期望收到”只看运行之后收到的数据");
    harness.get_by_role_and_label(Role::Button, "+ 添加步骤");
    harness.state_mut().settings.lang = Lang::En;
    harness.run();

    // Fixed, the marks go and Run can run.
    let check = &mut harness.state_mut().settings.preset.checks[0];
    check.steps[1] = send("n={counter}");
    check.steps[2] = Step::Expect {
        matcher: Match::Regex("v(1)".to_owned()),
        within_ms: 1000,
    };
    harness.run();
    assert!(harness.query_by_label_contains("is not valid").is_none());
    assert!(!run_button_disabled(&harness, "▶ Open and run"));
}

/// The board program, connecting to `port` and staying for a few seconds.
fn board(program: &std::path::Path, port: u16) -> Child {
    Command::new("python3")
        .arg(program)
        .args(["--port", &port.to_string(), "--seconds", "8"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn open_and_run_checks_the_board_and_every_step_passes_with_its_time_and_the_latency() {
    let Some(program) = common::peer_program("board_client.py") else {
        return;
    };
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/presets/board-check.ron"
    );
    let preset = Preset {
        local_ip: "127.0.0.1".to_owned(),
        local_port: "0".to_owned(),
        ..Preset::load(std::path::Path::new(example)).unwrap().preset
    };
    // The server's offer to diagnose a missing client would ask for a frame of its own.
    let mut settings = with(preset);
    settings.no_client_secs = 0;
    let mut harness = harness(settings);
    open_checks(&mut harness);
    harness.get_by_label_contains("No session is open: Open and run opens a TCP Server");
    // No session yet: Run opens it with the check running from its start, so the greeting is seen.
    click(&mut harness, Role::Button, "▶ Open and run");
    step_until(&mut harness, "the session to listen", |app| {
        app.log().local_addr().is_some()
    });
    let port = harness.state().log().local_addr().unwrap().port();
    let mut child = board(&program, port);
    step_until(&mut harness, "the check to end", |app| {
        outcome(app).is_some()
    });
    harness.run();
    let _ = child.kill();
    let _ = child.wait();

    assert_eq!(outcome(harness.state()), Some(Outcome::Passed));
    harness.get_by_label_contains("✔ PASS  board: 23 steps in");
    // Each of the five steps (1, 2, 3 and the two inside it) says PASS, with its time beside it.
    assert_eq!(harness.get_all_by_label("✔ PASS").count(), 5);
    let report = harness.state().check_report().unwrap();
    for summary in &report.steps {
        let Some((_, StepState::Passed { took, .. })) = &summary.latest else {
            panic!("{summary:?}");
        };
        harness.get_by_label(&netassist::check::duration_text(*took));
    }
    let latency = harness.get_by_label_contains("Latency of 3.2 (expect regex /ping [0-9]{2}/");
    let latency = latency.accesskit_node().value().unwrap_or_default();
    assert!(
        latency.contains("min ") && latency.contains("over 10"),
        "{latency}"
    );
    // Ended, the window asks for no more frames: no clock ticks when nothing runs.
    let delay = repaint_delay(&harness);
    assert!(delay > Duration::from_mins(1), "{delay:?}");
}

#[test]
fn a_wrong_reply_fails_its_step_with_what_arrived_in_text_and_hex() {
    let steps = vec![
        Step::WaitClient { within_ms: 1000 },
        send("ping"),
        Step::Expect {
            matcher: Match::Exact("pong".to_owned()),
            within_ms: 300,
        },
        Step::Disconnect,
    ];
    let mut harness = harness(with(with_check(steps)));
    let mut client = server_with_client(&mut harness);
    open_checks(&mut harness);
    harness.get_by_label_contains("Runs on the open session: TCP Server on 127.0.0.1:");
    click(&mut harness, Role::Button, "▶ Run");
    assert_eq!(read_exactly(&mut client, 4), b"ping");
    client.write_all(b"pang").unwrap();
    step_until(&mut harness, "the check to end", |app| {
        outcome(app).is_some()
    });
    harness.run();

    harness.get_by_label_contains("✖ FAIL  c at step 3 after");
    assert_eq!(harness.get_all_by_label("✖ FAIL").count(), 1);
    assert_eq!(harness.get_all_by_label("✔ PASS").count(), 2);
    harness.get_by_label("– not reached");
    // The log has its own row of it, after the check's name.
    harness.get_by_label(
        "step 3 (expect exactly \"pong\" within 300 ms): it did not arrive within 300 ms; \
         4 bytes arrived: \"pang\" (70 61 6E 67)",
    );
    harness.state_mut().settings.lang = Lang::Zh;
    harness.run();
    assert_eq!(harness.get_all_by_label("✖ 失败").count(), 1);
    harness.get_by_label(
        "第 3 步（在 300 毫秒 内收到 恰为 \"pong\"）：300 毫秒 内没有收到；收到 4 字节：\"pang\" (70 61 6E 67)",
    );
    harness.get_by_label("– 未执行");
}

#[test]
fn stop_stops_a_running_check_whose_clock_ticks_a_few_times_a_second() {
    let steps = vec![
        Step::WaitClient { within_ms: 1000 },
        Step::Wait { ms: 60_000 },
    ];
    let mut harness = harness(with(with_check(steps)));
    let _client = server_with_client(&mut harness);
    open_checks(&mut harness);
    click(&mut harness, Role::Button, "▶ Run");
    step_until(&mut harness, "the wait to run", |app| {
        app.check_report()
            .and_then(|report| report.steps[1].latest.as_ref())
            .is_some_and(|(_, state)| *state == StepState::Running)
    });
    harness.run();
    harness.get_by_label("▶ running");
    // The running step's clock asks for a frame a few times a second, no more.
    let delay = repaint_delay(&harness);
    assert!(
        delay >= Duration::from_millis(200) && delay <= Duration::from_millis(250),
        "{delay:?}"
    );
    // Editing waits for the run to end.
    assert!(
        harness
            .get_by_role_and_label(Role::TextInput, "Name")
            .accesskit_node()
            .is_disabled()
    );

    click(&mut harness, Role::Button, "■ Stop");
    step_until(&mut harness, "the check to stop", |app| {
        outcome(app).is_some()
    });
    harness.run();
    assert_eq!(outcome(harness.state()), Some(Outcome::Stopped));
    harness.get_by_label("■ stopped");
    harness.get_by_label_contains("■ STOPPED  c after");
    assert!(harness.state().is_open(), "the session stays open");
    let delay = repaint_delay(&harness);
    assert!(delay > Duration::from_mins(1), "{delay:?}");
    assert!(
        !harness
            .get_by_role_and_label(Role::TextInput, "Name")
            .accesskit_node()
            .is_disabled()
    );
}

#[test]
fn open_and_run_says_why_the_session_did_not_open() {
    let mut preset = with_check(vec![Step::WaitClient { within_ms: 1000 }]);
    preset.local_ip = "999.1.1.1".to_owned();
    let mut harness = harness(with(preset));
    open_checks(&mut harness);
    click(&mut harness, Role::Button, "▶ Open and run");
    assert!(!harness.state().is_open());
    harness.get_by_label_contains("The session did not open: '999.1.1.1' is not an IP address");
}
