//! The desktop window (egui/eframe). Only this module and `main.rs` use egui; everything it shows comes
//! from the engine (through the traffic log) and the codecs.
//!
//! One file per panel: each draws from the app's state and returns what the user asked for as
//! [`UiAction`]s, which the app applies after drawing (see [`app`]).

pub mod app;
pub mod connection_panel;
pub mod diagnose;
pub mod file_send;
pub mod files;
pub mod fonts;
pub mod help;
pub mod launch;
pub mod menu;
pub mod peers_panel;
pub mod row_selection;
pub mod rules_panel;
pub mod send_panel;
pub mod settings;
pub mod status_bar;
pub mod traffic_view;

pub use crate::i18n::Lang;
pub use app::{NetAssistApp, UiAction};
pub use launch::run;
pub use settings::Settings;

/// Marks the widgets added to `ui` after it as holding a wrong value: their outline takes the theme's
/// error colour, in every state. Use it in a scope around the one widget.
pub(crate) fn outline_as_error(ui: &mut egui::Ui) {
    let visuals = ui.visuals_mut();
    let stroke = egui::Stroke::new(2.0, visuals.error_fg_color);
    visuals.widgets.inactive.bg_stroke = stroke;
    visuals.widgets.hovered.bg_stroke = stroke;
    visuals.selection.stroke = stroke;
}

/// The window's title.
pub const TITLE: &str = "NetAssist 网络调试助手";
