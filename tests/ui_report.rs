//! Log → Save report… in the window: the report of a loopback session with a capture, in the window's
//! language, with the capture's SHA-256 as `sha256sum` computes it.
#![allow(clippy::unwrap_used)]

mod window;

use std::io::Write;

use netassist::report::sha256_file;
use netassist::ui::{Lang, NetAssistApp};
use window::*;

#[test]
fn save_report_writes_the_sessions_peer_and_the_captures_hash() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("capture.log");
    let report = dir.path().join("report.md");
    let dialogs = Scripted::with(&[&capture]);
    let mut harness = harness_for(NetAssistApp::new(settings(), Box::new(dialogs.clone())));
    menu(&mut harness, "Log", "Capture to file…");
    let mut client = server_with_client(&mut harness);
    client.write_all(b"Hello 01Studio!").unwrap();
    step_until(&mut harness, "the greeting", |app| {
        app.log().totals().rx_bytes == 15
    });
    dialogs.queue(&report);
    menu(&mut harness, "Log", "Save report…");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.starts_with("# NetAssist report\n"), "{text}");
    assert!(text.contains("| still open |"), "{text}");
    assert!(
        text.contains("| 15 | 1 | 0 | 0 | still connected |"),
        "{text}"
    );
    // The capture was settled before hashing: the hash covers the greeting.
    let (size, hash) = sha256_file(&capture).unwrap();
    assert!(
        std::fs::read_to_string(&capture)
            .unwrap()
            .contains("Hello 01Studio!")
    );
    assert!(
        text.contains(&format!("| capture | {size} | `{hash}` |")),
        "{text}"
    );
    let notice = harness.state().notice().unwrap();
    assert!(
        !notice.is_error && notice.en.starts_with("Report saved to"),
        "{notice:?}"
    );
}

#[test]
fn in_chinese_the_menu_entry_and_the_report_are_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("报告");
    let dialogs = Scripted::with(&[&report]);
    let mut settings = settings();
    settings.lang = Lang::Zh;
    let mut harness = harness_for(NetAssistApp::new(settings, Box::new(dialogs)));
    menu(&mut harness, "记录", "保存报告…");
    // A name without an extension gets `.md`.
    let text = std::fs::read_to_string(report.with_extension("md")).unwrap();
    assert!(text.starts_with("# NetAssist 报告\n"), "{text}");
    assert!(text.contains("没有打开过会话。"), "{text}");
    assert!(text.contains("没有运行设备检查。"), "{text}");
}
