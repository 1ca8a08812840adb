//! Chinese glyphs. eframe's `system_fonts` feature loads the system's fonts, CJK ones included (Microsoft
//! `YaHei` on Windows, `WenQuanYi Micro Hei` from `fonts-wqy-microhei` on Linux), so nothing is bundled. This module only checks
//! that a Chinese glyph really is available, so the window can say so plainly instead of showing boxes.

/// Whether the fonts egui has loaded can draw Chinese text.
#[must_use]
pub fn has_cjk(ctx: &egui::Context) -> bool {
    ctx.fonts_mut(|fonts| {
        let font = egui::FontId::proportional(14.0);
        "网络调试助手".chars().all(|c| fonts.has_glyph(&font, c))
    })
}
