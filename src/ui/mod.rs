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
pub mod launch;
pub mod menu;
pub mod peers_panel;
pub mod rules_panel;
pub mod send_panel;
pub mod settings;
pub mod status_bar;
pub mod traffic_view;

pub use crate::i18n::Lang;
pub use app::{NetAssistApp, UiAction};
pub use launch::run;
pub use settings::Settings;

/// The window's title.
pub const TITLE: &str = "NetAssist 网络调试助手";
