//! The menu bar: presets (open, save, save as, recent) and the log on disk (export, capture).

use super::app::{NetAssistApp, UiAction};
use super::files::Rows;

/// Draws the menu bar.
pub fn ui(ui: &mut egui::Ui, app: &mut NetAssistApp, actions: &mut Vec<UiAction>) {
    let lang = app.settings.lang;
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button(lang.pick("Preset", "预设"), |ui| {
            if shortcut_button(ui, lang.pick("Open…", "打开…"), "Ctrl+O").clicked() {
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
        ui.menu_button(lang.pick("Log", "记录"), |ui| {
            if shortcut_button(ui, lang.pick("Export as text…", "导出为文本…"), "Ctrl+S").clicked()
            {
                actions.push(UiAction::Export {
                    csv: false,
                    rows: Rows::All,
                });
            }
            if ui
                .button(lang.pick("Export as CSV…", "导出为 CSV…"))
                .clicked()
            {
                actions.push(UiAction::Export {
                    csv: true,
                    rows: Rows::All,
                });
            }
            let filtered = app.view.filter.is_active();
            ui.add_enabled_ui(filtered, |ui| {
                if ui
                    .button(lang.pick("Export shown rows as text…", "导出筛选结果为文本…"))
                    .clicked()
                {
                    actions.push(UiAction::Export {
                        csv: false,
                        rows: Rows::Shown,
                    });
                }
                if ui
                    .button(lang.pick("Export shown rows as CSV…", "导出筛选结果为 CSV…"))
                    .clicked()
                {
                    actions.push(UiAction::Export {
                        csv: true,
                        rows: Rows::Shown,
                    });
                }
            });
            ui.separator();
            if app.capture.is_some() {
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
                app.capture.is_none(),
                egui::Checkbox::new(
                    &mut app.settings.capture_raw,
                    lang.pick("Raw bytes per peer", "每个对端另存原始字节"),
                ),
            );
        });
        if let Some(capture) = &app.capture {
            ui.separator();
            ui.colored_label(
                egui::Color32::from_rgb(0xE0, 0x40, 0x40),
                format!(
                    "{} {}",
                    lang.pick("Capturing to", "正在记录到"),
                    capture.path().display()
                ),
            );
        }
    });
}

/// A menu entry with its keyboard shortcut shown beside it.
fn shortcut_button(ui: &mut egui::Ui, text: &str, shortcut: &str) -> egui::Response {
    ui.add(egui::Button::new(text).shortcut_text(shortcut))
}
