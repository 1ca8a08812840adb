//! The desktop window (egui/eframe). Only this module and `main.rs` use egui; everything it shows comes
//! from the engine (through the traffic log) and the codecs.
//!
//! One file per panel: each draws from the app's state and returns what the user asked for as
//! [`UiAction`]s, which the app applies after drawing (see [`app`]).

pub mod app;
pub mod connection_panel;
pub mod file_send;
pub mod files;
pub mod fonts;
pub mod menu;
pub mod peers_panel;
pub mod rules_panel;
pub mod send_panel;
pub mod settings;
pub mod status_bar;
pub mod traffic_view;

pub use crate::i18n::Lang;
pub use app::{NetAssistApp, UiAction};
pub use settings::Settings;

/// The window's title.
pub const TITLE: &str = "NetAssist 网络调试助手";

/// The window icon, drawn by `assets/make_icon.py`.
const ICON_PNG: &[u8] = include_bytes!("../../assets/icon-256.png");

/// Opens the window and runs until it is closed.
pub fn run() -> eframe::Result {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(TITLE)
        .with_inner_size([1200.0, 760.0])
        .with_min_inner_size([900.0, 560.0]);
    // The icon is checked in; if it ever fails to decode, the window simply has the default icon.
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON_PNG) {
        viewport = viewport.with_icon(std::sync::Arc::new(icon));
    }
    let options = eframe::NativeOptions {
        viewport,
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        TITLE,
        options,
        Box::new(|cc| Ok(Box::new(NetAssistApp::from_creation_context(cc)))),
    )
}
