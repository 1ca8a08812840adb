//! The Help menu: the keyboard shortcuts, the folder of example presets, the version, and about.

use std::path::PathBuf;

use egui::KeyboardShortcut;

use super::app::{EXPORT_SHORTCUT, OPEN_SHORTCUT};
use super::row_selection::COPY_SHORTCUT;
use super::send_panel::SEND_SHORTCUT;
use crate::i18n::Lang;

/// The Help menu's windows, and where the example presets are.
pub struct Help {
    /// Whether the keyboard shortcuts window is open.
    shortcuts: bool,
    /// Whether the about window is open.
    about: bool,
    /// The folder of example presets that came with the program, if there is one.
    pub examples: Option<PathBuf>,
}

impl Help {
    /// Nothing open; the examples where this installation keeps them.
    #[must_use]
    pub fn new() -> Self {
        Self {
            shortcuts: false,
            about: false,
            examples: installed_examples(),
        }
    }
}

impl Default for Help {
    fn default() -> Self {
        Self::new()
    }
}

/// Where the example presets are installed: `presets` beside the program (the Windows zip and installer),
/// or the Linux package's documentation folder.
fn installed_examples() -> Option<PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("presets")));
    let packaged = cfg!(unix).then(|| PathBuf::from("/usr/share/doc/netassist/examples"));
    [beside, packaged]
        .into_iter()
        .flatten()
        .find(|dir| dir.is_dir())
}

/// Draws the Help menu.
pub fn menu(ui: &mut egui::Ui, help: &mut Help, lang: Lang) {
    ui.menu_button(lang.pick("Help", "帮助"), |ui| {
        if ui
            .button(lang.pick("Keyboard shortcuts", "快捷键"))
            .clicked()
        {
            help.shortcuts = true;
        }
        let examples = ui.add_enabled(
            help.examples.is_some(),
            egui::Button::new(lang.pick("Example presets folder", "示例预设文件夹")),
        );
        let examples = match &help.examples {
            Some(dir) => examples.on_hover_text(dir.display().to_string()),
            None => examples.on_disabled_hover_text(lang.pick(
                "The examples come in the presets folder of the download",
                "示例在下载包的 presets 文件夹中",
            )),
        };
        if examples.clicked()
            && let Some(dir) = &help.examples
        {
            ui.ctx()
                .open_url(egui::OpenUrl::new_tab(format!("file://{}", dir.display())));
        }
        ui.separator();
        ui.weak(version_text(lang));
        if ui
            .button(lang.pick("About NetAssist", "关于网络调试助手"))
            .clicked()
        {
            help.about = true;
        }
    });
}

fn version_text(lang: Lang) -> String {
    format!(
        "{} {}",
        lang.pick("Version", "版本"),
        env!("CARGO_PKG_VERSION")
    )
}

/// Draws the Help menu's windows that are open.
pub fn windows(ctx: &egui::Context, help: &mut Help, lang: Lang) {
    egui::Window::new(lang.pick("Keyboard shortcuts", "快捷键"))
        .open(&mut help.shortcuts)
        .resizable(false)
        .collapsible(false)
        .show(ctx, |ui| shortcuts_ui(ui, lang));
    egui::Window::new(lang.pick("About NetAssist", "关于网络调试助手"))
        .open(&mut help.about)
        .resizable(false)
        .collapsible(false)
        .show(ctx, |ui| {
            ui.heading(super::TITLE);
            ui.label(version_text(lang));
            ui.label(lang.pick(
                "Checks that devices talk TCP and UDP: a server, client or UDP peer that shows, sends, \
                 answers and records what goes over the wire.",
                "检查设备的 TCP 和 UDP 通信：作为服务器、客户端或 UDP 端点，显示、发送、应答并记录收发的数据。",
            ));
            ui.label(lang.pick(
                "License: MIT or Apache-2.0",
                "许可证：MIT 或 Apache-2.0",
            ));
        });
}

fn shortcuts_ui(ui: &mut egui::Ui, lang: Lang) {
    let ctx = ui.ctx().clone();
    let key = |shortcut: &KeyboardShortcut| ctx.format_shortcut(shortcut);
    let click = |modifiers| {
        format!(
            "{}+{}",
            ctx.format_modifiers(modifiers),
            lang.pick("click", "单击")
        )
    };
    let rows = [
        (key(&OPEN_SHORTCUT), lang.pick("Open a preset", "打开预设")),
        (
            key(&EXPORT_SHORTCUT),
            lang.pick("Export the log as text", "导出记录为文本"),
        ),
        (
            key(&SEND_SHORTCUT),
            lang.pick("Send (in the message box)", "发送（在发送框中）"),
        ),
        (
            "Alt+↑ / Alt+↓".to_owned(),
            lang.pick(
                "Earlier / later sent messages (in the message box)",
                "上一条 / 下一条已发送的消息（在发送框中）",
            ),
        ),
        (
            lang.pick("Click a row", "单击一行").to_owned(),
            lang.pick("Select it (again: let it go)", "选中该行（再次单击取消）"),
        ),
        (
            click(egui::Modifiers::COMMAND),
            lang.pick("Add or remove a row", "增加或取消选中一行"),
        ),
        (
            click(egui::Modifiers::SHIFT),
            lang.pick("Select the rows up to here", "选中到此行为止的各行"),
        ),
        (
            key(&COPY_SHORTCUT),
            lang.pick("Copy the selected rows", "复制选中的行"),
        ),
        (
            lang.pick("Right-click a row", "右键单击一行").to_owned(),
            lang.pick(
                "Copy its text or hex, show only its peer",
                "复制文本或十六进制，只显示该对象",
            ),
        ),
    ];
    egui::Grid::new("shortcuts")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (keys, what) in rows {
                ui.strong(keys);
                ui.label(what);
                ui.end_row();
            }
        });
}
