//! Chinese glyphs and symbols. eframe's `system_fonts` feature asks the OS's own font fallback
//! (DirectWrite on Windows, fontconfig on Linux) for a font when text needs one, so nothing is bundled: on
//! Windows that finds Microsoft `YaHei`, on Linux `WenQuanYi Micro Hei` from `fonts-wqy-microhei`. Where
//! that fallback is missing (DirectWrite's system fallback needs Windows 8.1; trimmed installs and Wine lack
//! it), the window loads a Chinese font that Windows keeps in `%WINDIR%\Fonts` by its file name
//! ([`WINDOWS_CJK_FONTS`]). This module checks that a Chinese glyph really is available, so the window can
//! say so plainly instead of showing boxes, and puts the system's symbol fonts ahead of the CJK one.
//!
//! Each font the system provides is added behind those already in a family, and a character is drawn
//! by the first font that maps it. `WenQuanYi Micro Hei` maps `℃` to an empty glyph, so once Chinese text
//! had brought it in, a `℃` received in GBK decoded correctly and drew as blank space. The monospace
//! family has it worse: where the only monospace font that maps `℃` is `WenQuanYi Micro Hei Mono` (`DejaVu
//! Sans Mono` has none), the system's fallback gives that one, so [`SystemFonts`] asks for such symbols
//! among the sans-serif fonts instead.

use std::path::{Path, PathBuf};

use egui::epaint::text::{FallbackRequest, FontInsert, FontProvider};
use egui_system_font_provider::SystemFontProvider;

/// Font files with Chinese glyphs that Windows keeps in its fonts folder, most suitable first: Microsoft
/// `YaHei` (Windows Vista and later; `.ttf` on Vista and 7, `.ttc` since 8), then `SimHei` and `SimSun`,
/// which every Chinese-capable Windows since 95 has.
pub const WINDOWS_CJK_FONTS: [&str; 5] = [
    "msyh.ttc",
    "msyh.ttf",
    "simhei.ttf",
    "simsun.ttc",
    "simsun.ttf",
];

/// The name the loaded font is known by in egui's font definitions.
const KNOWN_CJK_FONT: &str = "netassist-cjk";

/// Characters that CJK fonts may map to empty glyphs; asking for them first brings a font that draws
/// them (`DejaVu Sans`, `Noto Sans Mono`, Segoe UI) into each family before any CJK font.
const SYMBOLS: [char; 1] = ['℃'];

/// The system's fonts, as eframe's `system_fonts` provider finds them, with one change: a symbol of
/// [`SYMBOLS`] wanted in the monospace family comes from the sans-serif fonts. The provider takes the first
/// font of the family that maps the character, and cannot tell an empty glyph from a drawn one; a
/// monospace CJK font maps `℃` to an empty one, and a sans-serif symbol in a monospace row is still
/// drawn rather than left blank. Installed in the window with [`egui::Context::add_font_provider`] in
/// place of eframe's own (`NativeOptions::system_font_fallback` off).
pub struct SystemFonts(SystemFontProvider);

impl SystemFonts {
    /// Starts enumerating the system's fonts on a thread of its own, as eframe's provider does.
    #[must_use]
    pub fn new() -> Self {
        Self(SystemFontProvider::new())
    }
}

impl Default for SystemFonts {
    fn default() -> Self {
        Self::new()
    }
}

impl FontProvider for SystemFonts {
    fn fonts_for_family(&self, family: &egui::FontFamily) -> Vec<FontInsert> {
        self.0.fonts_for_family(family)
    }

    fn font_for(&self, request: &FallbackRequest<'_>) -> Option<FontInsert> {
        let symbol = request
            .cluster
            .chars()
            .next()
            .is_some_and(|c| SYMBOLS.contains(&c));
        if symbol && *request.family == egui::FontFamily::Monospace {
            // egui adds what is found to the family that asked.
            return self.0.font_for(&FallbackRequest {
                cluster: request.cluster,
                family: &egui::FontFamily::Proportional,
            });
        }
        self.0.font_for(request)
    }
}

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

/// The folder Windows keeps its fonts in (`%WINDIR%\Fonts`); `None` on other systems, whose font
/// configuration the system fallback already reads.
#[must_use]
pub fn system_fonts_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        let windows = std::env::var_os("WINDIR").or_else(|| std::env::var_os("SystemRoot"))?;
        Some(Path::new(&windows).join("Fonts"))
    } else {
        None
    }
}

/// Adds the first of [`WINDOWS_CJK_FONTS`] in `fonts_dir` that can be read as the last fallback of every
/// font family; it is drawn with from the next pass on. Returns the file loaded, or `None` when none of
/// them is there.
#[must_use]
pub fn add_known_cjk_font(ctx: &egui::Context, fonts_dir: &Path) -> Option<PathBuf> {
    WINDOWS_CJK_FONTS.iter().find_map(|name| {
        let path = fonts_dir.join(name);
        // A collection (`.ttc`) holds the regular face first.
        let bytes = std::fs::read(&path).ok()?;
        let families = [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
            .into_iter()
            .map(|family| egui::InsertFontFamily {
                family,
                priority: egui::FontPriority::Lowest,
            })
            .collect();
        ctx.add_font(egui::FontInsert::new(
            KNOWN_CJK_FONT,
            egui::FontData::from_owned(bytes),
            families,
        ));
        Some(path)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A context with egui's own fonts only, which have no Chinese.
    fn context_without_cjk() -> egui::Context {
        let ctx = egui::Context::default();
        pass(&ctx);
        ctx
    }

    /// One pass of `ctx`, its output dropped (there is no renderer to hand textures to).
    fn pass(ctx: &egui::Context) {
        ctx.run_ui(egui::RawInput::default(), |_| {})
            .textures_delta
            .clear();
    }

    #[test]
    fn a_chinese_font_in_the_windows_fonts_folder_is_loaded_by_its_file_name() {
        let Some(font) = ["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"]
            .into_iter()
            .map(Path::new)
            .find(|path| path.is_file())
        else {
            eprintln!("skipped: needs fonts-wqy-microhei");
            return;
        };
        let dir = tempfile::tempdir().expect("a temporary folder");
        // SimSun stands for any later name in the list: the first one present is loaded.
        std::fs::copy(font, dir.path().join("simsun.ttc")).expect("the font copies");
        let ctx = context_without_cjk();
        assert!(!has_cjk(&ctx), "egui's own fonts have no Chinese");
        assert_eq!(
            add_known_cjk_font(&ctx, dir.path()),
            Some(dir.path().join("simsun.ttc"))
        );
        pass(&ctx);
        assert!(has_cjk(&ctx), "the loaded font draws Chinese");
    }

    #[test]
    fn a_folder_without_those_fonts_loads_nothing() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("arial.ttf"), b"not this one").expect("a file");
        let ctx = context_without_cjk();
        assert_eq!(add_known_cjk_font(&ctx, dir.path()), None);
        pass(&ctx);
        assert!(!has_cjk(&ctx));
    }
}
