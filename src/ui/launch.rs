//! Opening the window on whatever PC it lands on: where the settings are kept, and which renderer draws.
//!
//! **Settings.** Normally eframe keeps them per user under the app id [`APP_ID`] (Windows:
//! `%APPDATA%\netassist\data\app.ron`, Linux: `~/.local/share/netassist/app.ron`), which needs no admin
//! rights. When a marker file ([`PORTABLE_MARKERS`]) sits beside the executable, the app is *portable*: the
//! settings go to [`PORTABLE_SETTINGS_FILE`] beside it instead, so a copy on a shared lab PC or a USB stick
//! carries its own settings and leaves the user profile alone.
//!
//! **Renderers.** Lab PCs are often VMs, remote-desktop sessions or old Intel graphics with no usable GPU
//! driver. eframe has two renderers and both are built in; [`renderer_order`] says which is tried first.
//! When one cannot open the window, the next is tried; when none can, a native message box gives the
//! reasons, because a release build on Windows has no console to print them to.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::Renderer;

use super::{NetAssistApp, TITLE};

/// The application id: names the per-user settings folder, and is the window's app id (X11 `WM_CLASS`,
/// Wayland `app_id`), which Linux desktops match to `netassist.desktop` for the icon.
pub const APP_ID: &str = "netassist";

/// File names that switch on portable mode when a file of that name sits beside the executable.
pub const PORTABLE_MARKERS: [&str; 2] = ["portable", "netassist.portable"];

/// The settings file in portable mode, beside the executable.
pub const PORTABLE_SETTINGS_FILE: &str = "netassist-settings.ron";

/// The environment variable that names the renderer to try first (`glow` or `wgpu`).
pub const RENDERER_VARIABLE: &str = "NETASSIST_RENDERER";

/// The window icon, drawn by `assets/make_icon.py`.
const ICON_PNG: &[u8] = include_bytes!("../../assets/icon-256.png");

/// The settings file for portable mode: `Some` when one of [`PORTABLE_MARKERS`] exists in `exe_dir`
/// (`exists` is asked, so tests need no files), `None` for the per-user location.
pub fn portable_settings_file(exe_dir: &Path, exists: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    PORTABLE_MARKERS
        .iter()
        .any(|marker| exists(&exe_dir.join(marker)))
        .then(|| exe_dir.join(PORTABLE_SETTINGS_FILE))
}

/// The renderers to try, in order. `requested` (from [`RENDERER_VARIABLE`]) moves one to the front;
/// anything else keeps the default order.
///
/// The default is glow (OpenGL) first on Linux and wgpu first elsewhere:
/// - On Linux, measured with `packaging/measure.sh` (Xvfb, Mesa's software renderer llvmpipe, as in a VM),
///   glow showed its first frame in 102–117 ms against wgpu's 155–165 ms (medians) and idled at 114 MiB RSS
///   against 126 MiB.
/// - On Windows, wgpu uses Direct3D 12, which has a software adapter (WARP) when there is no GPU driver, as
///   in VMs and many remote-desktop sessions; there OpenGL is often only Windows' own 1.1 and glow fails.
///
/// wgpu already picks a software adapter (WARP, llvmpipe) when it finds no hardware one, so the fallback
/// between the two covers "no usable driver" as far as either renderer can.
pub fn renderer_order(requested: Option<&str>) -> [Renderer; 2] {
    let default = if cfg!(target_os = "linux") {
        [Renderer::Glow, Renderer::Wgpu]
    } else {
        [Renderer::Wgpu, Renderer::Glow]
    };
    match requested.map(str::trim) {
        Some(name) if name.eq_ignore_ascii_case("glow") => [Renderer::Glow, Renderer::Wgpu],
        Some(name) if name.eq_ignore_ascii_case("wgpu") => [Renderer::Wgpu, Renderer::Glow],
        _ => default,
    }
}

/// Opens the window and runs until it is closed, falling back to the next renderer when one cannot start.
pub fn run() -> eframe::Result {
    // No executable path (very unusual) just means the per-user settings.
    let persistence_path = std::env::current_exe()
        .ok()
        .and_then(|exe| portable_settings_file(exe.parent()?, Path::exists));
    let requested = std::env::var(RENDERER_VARIABLE).ok();
    let mut failures = Vec::new();
    for renderer in renderer_order(requested.as_deref()) {
        let options = eframe::NativeOptions {
            viewport: viewport(),
            renderer,
            persistence_path: persistence_path.clone(),
            // Ours instead: the same fonts with symbols drawn in monospace rows (fonts::SystemFonts).
            system_font_fallback: false,
            ..eframe::NativeOptions::default()
        };
        // eframe creates the app only once the renderer is up, so an error after that is not a start-up
        // failure: it is returned as it is rather than reopening the window with another renderer.
        let started = Cell::new(false);
        // Whoever chose a renderer, or started the app from a terminal after one failed, is told which one
        // draws: that is the first thing to know about a window that looks wrong.
        let say_which = requested.is_some() || !failures.is_empty();
        let result = eframe::run_native(
            TITLE,
            options,
            Box::new(|cc| {
                started.set(true);
                cc.egui_ctx
                    .add_font_provider(Arc::new(super::fonts::SystemFonts::new()));
                if say_which {
                    eprintln!("netassist: the window is drawn with {renderer}");
                }
                let mut app = NetAssistApp::from_creation_context(cc);
                // The settings' folder: beside the executable when portable, the user's otherwise.
                app.files_dir = persistence_path
                    .as_deref()
                    .and_then(Path::parent)
                    .map(Path::to_path_buf)
                    .or_else(|| eframe::storage_dir(APP_ID));
                Ok(Box::new(app))
            }),
        );
        match result {
            Err(error) if !started.get() => {
                eprintln!("netassist: the {renderer} renderer could not start: {error}");
                failures.push(format!("{renderer}: {error}"));
            }
            done => return done,
        }
    }
    // `main` prints the returned error too, for whoever started the app from a terminal.
    let reasons = failures.join("\n");
    show_start_failure(&reasons);
    Err(eframe::Error::AppCreation(reasons.into()))
}

/// The window: title, size and icon, with [`APP_ID`] as its app id. It may be made as small as a
/// projector's 800×600 and smaller; the panels fold and scroll to fit.
fn viewport() -> egui::ViewportBuilder {
    let viewport = egui::ViewportBuilder::default()
        .with_title(TITLE)
        .with_app_id(APP_ID)
        .with_inner_size([1200.0, 760.0])
        .with_min_inner_size([640.0, 480.0]);
    // The icon is checked in; if it ever fails to decode, the window simply has the default icon.
    match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(icon) => viewport.with_icon(std::sync::Arc::new(icon)),
        Err(_) => viewport,
    }
}

/// Tells the user, in a native message box (English and Chinese), why the window could not open.
fn show_start_failure(reasons: &str) {
    let text = format!(
        "NetAssist could not open its window: no graphics renderer could start.\n\
         Update the graphics driver, or run it on another PC.\n\n\
         网络调试助手无法打开窗口：没有可用的图形渲染方式。\n\
         请更新显卡驱动，或换一台电脑运行。\n\n{reasons}"
    );
    rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title(TITLE)
        .set_description(text)
        .set_buttons(rfd::MessageButtons::Ok)
        .show();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_marker_means_the_per_user_location() {
        assert_eq!(
            portable_settings_file(Path::new("/apps/netassist"), |_| false),
            None
        );
    }

    #[test]
    fn either_marker_puts_the_settings_beside_the_exe() {
        let dir = Path::new("/apps/netassist");
        for marker in PORTABLE_MARKERS {
            let file = portable_settings_file(dir, |path| path == dir.join(marker));
            assert_eq!(
                file,
                Some(dir.join("netassist-settings.ron")),
                "marker {marker}"
            );
        }
    }

    #[test]
    fn a_marker_elsewhere_does_not_count() {
        let file = portable_settings_file(Path::new("/apps/netassist"), |path| {
            path == Path::new("/apps/portable")
        });
        assert_eq!(file, None);
    }

    #[test]
    fn the_requested_renderer_goes_first_and_the_other_stays_as_fallback() {
        assert_eq!(
            renderer_order(Some("glow")),
            [Renderer::Glow, Renderer::Wgpu]
        );
        assert_eq!(
            renderer_order(Some(" WGPU ")),
            [Renderer::Wgpu, Renderer::Glow]
        );
        assert_eq!(renderer_order(Some("vulkan")), renderer_order(None));
    }

    #[test]
    fn every_renderer_is_tried_once() {
        let [first, second] = renderer_order(None);
        assert_ne!(first, second);
    }
}
