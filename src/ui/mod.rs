//! The desktop window (egui/eframe). Only this module and `main.rs` use egui; everything it shows comes
//! from the engine (through the traffic log) and the codecs.
//!
//! One file per panel: each draws from the app's state and returns what the user asked for as
//! [`UiAction`]s, which the app applies after drawing (see [`app`]).

pub mod app;
mod check_list;
mod check_run;
mod check_steps;
pub mod checks_panel;
pub mod connection_panel;
pub mod diagnose;
pub mod file_send;
pub mod files;
pub mod fonts;
pub mod help;
pub mod launch;
pub mod menu;
mod palette;
pub mod pcap_export;
pub mod peers_panel;
pub mod plots;
mod relay_pairs;
pub mod replay_window;
mod report_save;
pub mod row_selection;
pub mod rules_panel;
pub mod send_panel;
mod sending;
pub mod settings;
pub mod status_bar;
pub mod timeline;
pub mod tls_options;
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

/// egui's light theme draws text fields and idle buttons, checkboxes and radio buttons without an outline,
/// white or light grey on a light grey panel, so on a washed-out lab monitor they all but disappear. This
/// gives them the outline the dark theme's contrast makes unnecessary. Call it once, on the first frame.
pub(crate) fn outline_light_widgets(ctx: &egui::Context) {
    ctx.style_mut_of(egui::Theme::Light, |style| {
        style.visuals.widgets.inactive.bg_stroke = LIGHT_OUTLINE;
    });
}

/// The outline of idle widgets in the light theme: grey 140 on the panel's grey 248 is about 3.2:1, above
/// the 3:1 that WCAG 2.1 (1.4.11, non-text contrast) asks of controls.
const LIGHT_OUTLINE: egui::Stroke = egui::Stroke {
    width: 1.0,
    color: egui::Color32::from_gray(140),
};

/// The window's title.
pub const TITLE: &str = "NetAssist 网络调试助手";

#[cfg(test)]
pub(crate) mod tests {
    use egui::Color32;

    /// The WCAG 2.1 contrast ratio of two colours.
    pub(crate) fn contrast(a: Color32, b: Color32) -> f32 {
        let luminance = |c: Color32| {
            let linear = egui::Rgba::from(c);
            0.2126 * linear.r() + 0.7152 * linear.g() + 0.0722 * linear.b()
        };
        let (a, b) = (luminance(a), luminance(b));
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    #[test]
    fn light_theme_controls_get_an_outline_that_stands_out() {
        let ctx = egui::Context::default();
        let before = ctx
            .style_of(egui::Theme::Light)
            .visuals
            .widgets
            .inactive
            .bg_stroke;
        assert_eq!(
            before,
            egui::Stroke::NONE,
            "egui's own light theme has none"
        );
        super::outline_light_widgets(&ctx);
        let style = ctx.style_of(egui::Theme::Light);
        let outline = style.visuals.widgets.inactive.bg_stroke;
        assert!(outline.width >= 1.0);
        let ratio = contrast(outline.color, style.visuals.panel_fill);
        assert!(ratio >= 3.0, "{ratio}");
        // The dark theme stays as it is.
        assert_eq!(
            ctx.style_of(egui::Theme::Dark)
                .visuals
                .widgets
                .inactive
                .bg_stroke,
            egui::Visuals::dark().widgets.inactive.bg_stroke
        );
    }
}
