//! Chinese glyphs and symbols. eframe's `system_fonts` feature loads the system's fonts as text needs
//! them, CJK ones included (Microsoft `YaHei` on Windows, `WenQuanYi Micro Hei` from `fonts-wqy-microhei`
//! on Linux), so nothing is bundled. This module checks that a Chinese glyph really is available, so the
//! window can say so plainly instead of showing boxes, and puts the system's symbol fonts ahead of the CJK
//! one.
//!
//! Each font the system provides is added behind those already in a family, and a character is drawn
//! by the first font that maps it. `WenQuanYi Micro Hei` maps `℃` to an empty glyph, so once Chinese text
//! had brought it in, a `℃` received in GBK decoded correctly and drew as blank space.

/// Characters that CJK fonts may map to empty glyphs; asking for them first brings a font that draws
/// them (`DejaVu Sans`, `Noto Sans Mono`, Segoe UI) into each family before any CJK font.
const SYMBOLS: [char; 1] = ['℃'];

/// Asks for the symbol fonts before anything Chinese is laid out. Call it once, on the first frame.
pub fn prefer_symbol_fonts(ctx: &egui::Context) {
    ctx.fonts_mut(|fonts| {
        for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
            let font = egui::FontId::new(14.0, family);
            for symbol in SYMBOLS {
                fonts.has_glyph(&font, symbol);
            }
        }
    });
}

/// Whether the fonts egui has loaded can draw Chinese text.
#[must_use]
pub fn has_cjk(ctx: &egui::Context) -> bool {
    ctx.fonts_mut(|fonts| {
        let font = egui::FontId::proportional(14.0);
        "网络调试助手".chars().all(|c| fonts.has_glyph(&font, c))
    })
}
