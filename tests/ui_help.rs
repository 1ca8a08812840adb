//! The Help menu driven like a person would: the keyboard shortcuts, the example presets' folder, the
//! version and about, in both languages.
#![allow(clippy::unwrap_used)]

mod window;

use egui::OutputCommand;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use netassist::ui::{Lang, NetAssistApp, Settings};
use window::*;

#[test]
fn help_lists_the_shortcuts_and_tells_the_version() {
    let mut harness = harness(settings());
    menu(&mut harness, "Help", "Keyboard shortcuts");
    for keys in ["Ctrl+O", "Ctrl+S", "Ctrl+Enter", "Ctrl+C", "Shift+click"] {
        harness.get_by_label(keys);
    }
    let version = format!("Version {}", env!("CARGO_PKG_VERSION"));
    menu(&mut harness, "Help", "About NetAssist");
    // The about window says it, and so does the menu itself.
    harness.get_by_label(&version);
    harness.get_by_role_and_label(Role::Button, "Help").click();
    harness.run();
    assert_eq!(harness.get_all_by_label(&version).count(), 2);
    harness.run();
}

#[test]
fn help_speaks_chinese() {
    let mut harness = harness(Settings {
        lang: Lang::Zh,
        ..settings()
    });
    menu(&mut harness, "帮助", "快捷键");
    harness.get_by_label("复制选中的行");
    menu(&mut harness, "帮助", "关于网络调试助手");
    harness.get_by_label(&format!("版本 {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn help_opens_the_example_presets_folder() {
    let examples = tempfile::tempdir().unwrap();
    let mut app = NetAssistApp::new(settings(), Box::new(Scripted::default()));
    app.help.examples = Some(examples.path().to_owned());
    let mut harness = harness_for(app);
    harness.get_by_role_and_label(Role::Button, "Help").click();
    harness.run();
    harness.get_by_label("Example presets folder").click();
    harness.step();
    let opened: Vec<String> = harness
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|command| match command {
            OutputCommand::OpenUrl(open) => Some(open.url.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(opened, [format!("file://{}", examples.path().display())]);
    harness.run();
}
