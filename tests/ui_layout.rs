//! The window at the screen sizes of lab PCs and projectors, driven through `egui_kittest`: what is on
//! screen, where, and how wide.
#![allow(clippy::unwrap_used)]

mod window;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use netassist::ui::{Lang, NetAssistApp, Settings};
use window::*;

/// The window at `width`×`height` with the default settings in English.
fn sized(width: f32, height: f32) -> Harness<'static, NetAssistApp> {
    let app = NetAssistApp::new(settings(), Box::new(Scripted::default()));
    harness_sized(app, egui::vec2(width, height))
}

/// The rectangle of the one widget with this role and label.
fn rect_of(harness: &Harness<'_, NetAssistApp>, role: Role, label: &str) -> egui::Rect {
    harness.get_by_role_and_label(role, label).rect()
}

#[test]
fn at_every_screen_size_the_data_column_is_wide_and_the_main_controls_are_on_screen() {
    // (width, height, the least share of the window the Data column gets)
    for (width, height, share) in [
        (1366.0, 768.0, 0.40),
        (1280.0, 800.0, 0.40),
        (1024.0, 768.0, 0.40),
        (800.0, 600.0, 0.25),
    ] {
        let harness = sized(width, height);
        let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(width, height));
        let data = harness.get_by_label("Data").rect();
        // The column runs from its title to the log's right edge: the peers panel or its folded strip.
        let right = harness
            .query_by_label("Clients")
            .or_else(|| harness.query_by_role_and_label(Role::Button, "◀"))
            .unwrap()
            .rect()
            .left();
        let data_width = right - data.left();
        assert!(
            data_width >= share * width,
            "at {width}×{height} the Data column is {data_width} px"
        );
        for (role, label) in [
            (Role::Button, "Open"),
            (Role::Button, "Send"),
            (Role::ComboBox, "Mode"),
        ] {
            let rect = rect_of(&harness, role, label);
            assert!(
                window.contains_rect(rect),
                "at {width}×{height} {label} is at {rect:?}"
            );
        }
    }
}

#[test]
fn at_800_by_600_the_settings_panel_wraps_its_rows_and_leaves_room_for_the_data() {
    let harness = sized(800.0, 600.0);
    // The Open button fills the panel's width.
    let panel = rect_of(&harness, Role::Button, "Open");
    assert!(
        panel.right() <= 0.25 * 800.0,
        "the settings panel reaches {}",
        panel.right()
    );
    for (role, label) in [
        (Role::RadioButton, "Both"),
        (Role::RadioButton, "Symbols"),
        (Role::RadioButton, "Escapes"),
        (Role::Button, "Reply rules…"),
    ] {
        let rect = rect_of(&harness, role, label);
        assert!(
            rect.right() <= panel.right() + 1.0,
            "{label} at {rect:?} runs past the panel's edge {}",
            panel.right()
        );
    }
    let data = harness.get_by_label("Data").rect();
    assert!(
        800.0 - data.left() >= 0.4 * 800.0,
        "the Data column starts at {}",
        data.left()
    );
}

#[test]
fn side_panels_fold_and_unfold_and_the_choice_is_remembered() {
    let mut harness = sized(1024.0, 768.0);
    // Too narrow for the peers panel by default: it is a strip that opens it.
    assert!(harness.query_by_label("Clients").is_none());
    harness.get_by_role_and_label(Role::Button, "◀").click();
    harness.run();
    harness.get_by_label("Clients");
    assert_eq!(harness.state().settings.panels.peers, Some(true));

    // The View menu folds the settings panel.
    harness.get_by_role_and_label(Role::Button, "View").click();
    harness.run();
    harness.get_by_label("Settings panel").click();
    harness.run();
    harness.key_press(egui::Key::Escape);
    harness.run();
    assert!(!harness.state().settings.panels.settings);
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Open")
            .is_none()
    );
    harness.get_by_role_and_label(Role::Button, "▶").click();
    harness.run();
    rect_of(&harness, Role::Button, "Open");
    assert!(harness.state().settings.panels.settings);
}

#[test]
fn status_bar_controls_stay_put_when_the_language_changes_or_counters_grow() {
    let mut harness = sized(1024.0, 768.0);
    let reset_en = rect_of(&harness, Role::Button, "Reset counters");
    let switch_en = rect_of(&harness, Role::Button, "中文");
    harness.state_mut().settings.lang = Lang::Zh;
    harness.run();
    assert_eq!(rect_of(&harness, Role::Button, "计数清零"), reset_en);
    assert_eq!(rect_of(&harness, Role::Button, "English"), switch_en);

    // Counters in the millions take more room; the controls do not move.
    harness.state_mut().settings.lang = Lang::En;
    harness.run();
    let addr = open(&mut harness);
    let reset_open = rect_of(&harness, Role::Button, "Reset counters");
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(&mut client, &vec![b'x'; 3 << 20]).unwrap();
    step_until(&mut harness, "the bytes", |app| {
        app.log().totals().rx_bytes == 3 << 20
    });
    assert_eq!(
        rect_of(&harness, Role::Button, "Reset counters"),
        reset_open
    );
    assert_eq!(reset_open, reset_en);
}

#[test]
fn the_log_stays_drawn_while_a_flood_makes_old_rows_give_way() {
    // A small log, filled by many short lines and then a long one that pushes thousands of them out:
    // the table has fewer rows than a frame ago, and must still show the newest.
    let mut app_settings = with(netassist::preset::Preset {
        framing: netassist::codec::Framing::Delimiter {
            delimiter: b"\n".to_vec(),
            keep: false,
        },
        ..preset()
    });
    app_settings.log_mib = 1;
    let mut harness = harness_for(NetAssistApp::new(
        app_settings,
        Box::new(Scripted::default()),
    ));
    let addr = open(&mut harness);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flooding = {
        let stop = std::sync::Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut client = std::net::TcpStream::connect(addr).unwrap();
            let short = "short line\n".repeat(4000);
            let long = format!("{}\n", "x".repeat(600_000));
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                use std::io::Write;
                if client.write_all(short.as_bytes()).is_err()
                    || client.write_all(long.as_bytes()).is_err()
                {
                    return;
                }
            }
        })
    };
    let mut blank = 0;
    for _ in 0..300 {
        harness.step();
        let rows = harness.state().log().len();
        if rows > 50 && harness.query_all_by_label("RX").next().is_none() {
            blank += 1;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    drop(harness);
    flooding.join().unwrap();
    assert_eq!(blank, 0, "frames with rows in the log and none drawn");
}

#[test]
fn the_time_column_starts_wide_enough_for_a_whole_time() {
    for (width, height) in [(1024.0, 768.0), (800.0, 600.0)] {
        let harness = sized(width, height);
        let time = harness.get_by_label("Time").rect();
        let dir = harness.get_by_label("Dir").rect();
        let font = egui::TextStyle::Monospace.resolve(&harness.ctx.global_style());
        // `HH:MM:SS.mmm`: twelve characters of a monospace font.
        let whole = harness.ctx.fonts_mut(|fonts| fonts.glyph_width(&font, '0')) * 12.0;
        // From one column title to the next: the column and the space between columns.
        let column = dir.left() - time.left() - harness.ctx.global_style().spacing.item_spacing.x;
        assert!(
            column >= whole,
            "at {width}×{height} the Time column is {column} px, a time {whole} px"
        );
    }
}

#[test]
fn the_dir_column_fits_its_chinese_title() {
    let settings = Settings {
        lang: Lang::Zh,
        ..settings()
    };
    let harness = harness_sized(
        NetAssistApp::new(settings, Box::new(Scripted::default())),
        egui::vec2(1024.0, 768.0),
    );
    let peer = harness.get_by_label("对象").rect();
    // The column title, on the titles' row ("方向" also names the direction filter).
    let dir = harness
        .query_all_by_label("方向")
        .map(|node| node.rect())
        .find(|rect| (rect.top() - peer.top()).abs() < 1.0)
        .unwrap();
    let font = egui::TextStyle::Body.resolve(&harness.ctx.global_style());
    let title = harness
        .ctx
        .fonts_mut(|fonts| fonts.glyph_width(&font, '方') + fonts.glyph_width(&font, '向'));
    let column = peer.left() - dir.left() - harness.ctx.global_style().spacing.item_spacing.x;
    assert!(
        column >= title,
        "the Dir column is {column} px, its title {title} px"
    );
}

#[test]
fn a_long_typo_under_the_send_box_leaves_the_periodic_row_in_view() {
    for (width, height) in [(1024.0, 768.0), (800.0, 600.0)] {
        for lang in [Lang::En, Lang::Zh] {
            let mut harness = sized(width, height);
            harness.state_mut().settings.lang = lang;
            harness.state_mut().settings.send_text = "n={conter};".to_owned();
            harness.run();
            let (start, file, status) = match lang {
                Lang::En => ("Start periodic", "Send file…", "Reset counters"),
                Lang::Zh => ("开始定时发送", "发送文件…", "计数清零"),
            };
            // The send panel ends where the status bar begins.
            let bottom = rect_of(&harness, Role::Button, status).top();
            for label in [start, file] {
                let rect = rect_of(&harness, Role::Button, label);
                assert!(
                    rect.bottom() <= bottom,
                    "{lang:?} at {width}×{height}: {label} at {rect:?}, the status bar at {bottom}"
                );
            }
            // One line, the start of the message; all of it on hover.
            let typo = match lang {
                Lang::En => "position 3: unknown variable 'conter'",
                Lang::Zh => "第 3 个字符：未知变量 'conter'",
            };
            let line = harness.get_by_label_contains(typo).rect();
            let row = egui::TextStyle::Body
                .resolve(&harness.ctx.global_style())
                .size;
            assert!(
                line.height() < 2.0 * row,
                "{lang:?} at {width}×{height}: the message is {} px high",
                line.height()
            );
        }
    }
    // Hovered, the line shows the whole message.
    let mut harness = sized(800.0, 600.0);
    harness.state_mut().settings.send_text = "n={conter};".to_owned();
    harness.run();
    let end = "write {{ for a literal {";
    assert_eq!(harness.query_all_by_label_contains(end).count(), 1);
    harness.get_by_label_contains(end).hover();
    for _ in 0..60 {
        harness.step();
    }
    assert_eq!(
        harness.query_all_by_label_contains(end).count(),
        2,
        "the line and its tooltip"
    );
}
