//! The menu bar: presets (open, save, save as, recent), the log on disk (export, pcapng, report, replay,
//! capture), which side panels are open and the Plots window, the device checks, and the Diagnose window;
//! the Help menu is [`super::help`].

use super::app::{EXPORT_SHORTCUT, NetAssistApp, OPEN_SHORTCUT, UiAction};
use super::files::Rows;

/// Draws the menu bar.
pub fn ui(ui: &mut egui::Ui, app: &mut NetAssistApp, actions: &mut Vec<UiAction>) {
    let lang = app.settings.lang;
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button(lang.pick("Preset", "预设"), |ui| {
            let open = egui::Button::new(lang.pick("Open…", "打开…"))
                .shortcut_text(ui.ctx().format_shortcut(&OPEN_SHORTCUT));
            if ui.add(open).clicked() {
                actions.push(UiAction::OpenPreset);
            }
            if ui.button(lang.pick("Save", "保存")).clicked() {
                actions.push(UiAction::SavePreset);
            }
            if ui.button(lang.pick("Save as…", "另存为…")).clicked() {
                actions.push(UiAction::SavePresetAs);
            }
            ui.menu_button(lang.pick("Recent", "最近打开"), |ui| {
                if app.settings.recent.is_empty() {
                    ui.weak(lang.pick("(none yet)", "（暂无）"));
                }
                for path in &app.settings.recent {
                    if ui.button(path.display().to_string()).clicked() {
                        actions.push(UiAction::OpenPresetFile(path.clone()));
                    }
                }
            });
        });
        log_menu(ui, app, actions);
        view_menu(ui, app);
        if ui.button(lang.pick("Checks…", "设备检查…")).clicked() {
            app.checks_panel.open = true;
        }
        if ui.button(lang.pick("Diagnose…", "诊断…")).clicked() {
            actions.push(UiAction::OpenDiagnose);
        }
        super::help::menu(ui, &mut app.help, lang);
        if let Some(capture) = app.capture() {
            ui.separator();
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!(
                    "{} {}",
                    lang.pick("Capturing to", "正在记录到"),
                    capture.path().display()
                ),
            );
        }
    });
}

/// The Log menu: exports of the log (text, CSV, pcapng) and the capture to file.
fn log_menu(ui: &mut egui::Ui, app: &mut NetAssistApp, actions: &mut Vec<UiAction>) {
    let lang = app.settings.lang;
    ui.menu_button(lang.pick("Log", "记录"), |ui| {
        let filtered = app.view.filter.is_active();
        let exports = [
            (
                lang.pick("Export as text…", "导出为文本…"),
                false,
                Rows::All,
                Some(&EXPORT_SHORTCUT),
            ),
            (
                lang.pick("Export as CSV…", "导出为 CSV…"),
                true,
                Rows::All,
                None,
            ),
            (
                lang.pick("Export shown rows as text…", "导出筛选结果为文本…"),
                false,
                Rows::Shown,
                None,
            ),
            (
                lang.pick("Export shown rows as CSV…", "导出筛选结果为 CSV…"),
                true,
                Rows::Shown,
                None,
            ),
        ];
        for (text, csv, rows, shortcut) in exports {
            // Shown rows are all rows until a filter is set.
            let enabled = rows == Rows::All || filtered;
            let shortcut = shortcut.map(|shortcut| ui.ctx().format_shortcut(shortcut));
            let button = egui::Button::new(text).shortcut_text(shortcut.unwrap_or_default());
            if ui.add_enabled(enabled, button).clicked() {
                actions.push(UiAction::Export { csv, rows });
            }
        }
        let pcapng = egui::Button::new(lang.pick("Export as pcapng…", "导出为 pcapng…"));
        if ui
            .add_enabled(app.pcap_recorded(), pcapng)
            .on_hover_text(lang.pick(
                "Every session since the first, as packets for Wireshark",
                "从第一次会话起的全部流量，作为 Wireshark 可打开的数据包",
            ))
            .on_disabled_hover_text(lang.pick(
                "Open a session first: the recording starts with it",
                "请先打开会话：记录从会话开始",
            ))
            .clicked()
        {
            actions.push(UiAction::ExportPcap);
        }
        if ui
            .button(lang.pick("Save report…", "保存报告…"))
            .on_hover_text(lang.pick(
                "A Markdown file to hand in: this PC, the preset, the sessions, the peers, the checks, \
                 and the SHA-256 of the captures and pcapng files written",
                "可提交的 Markdown 文件：本机、预设、会话、连接对象、检查结果，以及所写记录和 pcapng 文件的 SHA-256",
            ))
            .clicked()
        {
            actions.push(UiAction::SaveReport);
        }
        if ui
            .button(lang.pick("Replay…", "回放…"))
            .on_hover_text(lang.pick(
                "Play a pcapng recording again as the device or as the PC",
                "把 pcapng 记录作为设备或电脑重新播放",
            ))
            .clicked()
        {
            actions.push(UiAction::Replay(super::replay_window::ReplayAction::Open));
        }
        ui.separator();
        if app.capture().is_some() {
            if ui
                .button(lang.pick("Stop capture", "停止记录到文件"))
                .clicked()
            {
                actions.push(UiAction::StopCapture);
            }
        } else if ui
            .button(lang.pick("Capture to file…", "记录到文件…"))
            .clicked()
        {
            actions.push(UiAction::StartCapture);
        }
        ui.add_enabled(
            app.capture().is_none(),
            egui::Checkbox::new(
                &mut app.settings.capture_raw,
                lang.pick("Raw bytes per peer", "每个对端另存原始字节"),
            ),
        );
    });
}

/// The View menu: which side panels are open, and the Plots window.
fn view_menu(ui: &mut egui::Ui, app: &mut NetAssistApp) {
    let lang = app.settings.lang;
    ui.menu_button(lang.pick("View", "视图"), |ui| {
        let mut peers = app
            .settings
            .panels
            .peers_open(ui.ctx().content_rect().width());
        ui.checkbox(
            &mut app.settings.panels.settings,
            lang.pick("Settings panel", "设置面板"),
        );
        if ui
            .checkbox(&mut peers, lang.pick("Peers panel", "连接对象面板"))
            .changed()
        {
            app.settings.panels.peers = Some(peers);
        }
        ui.separator();
        if ui.button(lang.pick("Plots…", "图表…")).clicked() {
            app.plots.open = true;
        }
    });
}
