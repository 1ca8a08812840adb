//! Colours that carry a meaning (received, sent, went right, went wrong, worth a look), one set per theme
//! so each reads on its background. egui's light theme's own link and warning colours are too pale for
//! small text on its near-white panels, so the light set has darker ones of its own.

use egui::Color32;

/// The meaningful colours of one theme; every one has a contrast of 3:1 or more (WCAG 2.1, 1.4.11) with
/// the theme's panels, windows and striped rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Palette {
    /// Received data.
    pub(crate) link: Color32,
    /// What went right: data sent, a session or peer that started, a check step that passed.
    pub(crate) good: Color32,
    /// What went wrong: data that did not go, a check step that failed.
    pub(crate) bad: Color32,
    /// Anything else worth a look: other notes, a check that was stopped.
    pub(crate) info: Color32,
}

impl Palette {
    /// The colours for `visuals`' theme.
    pub(crate) fn of(visuals: &egui::Visuals) -> Self {
        let (link, good, info) = if visuals.dark_mode {
            (
                visuals.hyperlink_color,
                Color32::from_rgb(0x6E, 0xC8, 0x78),
                visuals.warn_fg_color,
            )
        } else {
            (
                Color32::from_rgb(0x00, 0x5A, 0xC8),
                Color32::from_rgb(0x00, 0x7D, 0x32),
                Color32::from_rgb(0xAA, 0x5A, 0x00),
            )
        };
        Self {
            link,
            good,
            bad: visuals.error_fg_color,
            info,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::tests::contrast;

    #[test]
    fn every_colour_reads_on_panels_windows_and_striped_rows_of_both_themes() {
        for visuals in [egui::Visuals::dark(), egui::Visuals::light()] {
            let palette = Palette::of(&visuals);
            for color in [palette.link, palette.good, palette.bad, palette.info] {
                for background in [
                    visuals.panel_fill,
                    visuals.window_fill,
                    visuals.faint_bg_color,
                ] {
                    let ratio = contrast(color, background);
                    assert!(
                        ratio >= 3.0,
                        "{color:?} on {background:?} (dark: {}): {ratio}",
                        visuals.dark_mode
                    );
                }
            }
        }
    }
}
