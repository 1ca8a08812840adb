//! What the window's tests share: a window set up as eframe sets it up, scripted file dialogs, a loopback
//! server preset, and waiting for the engine with a time-out.
#![allow(dead_code, clippy::unwrap_used, clippy::missing_panics_doc)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use netassist::preset::Preset;
use netassist::ui::files::{Dialogs, FileKind};
use netassist::ui::{Lang, NetAssistApp, Settings};

/// The longest any wait in a test may take before it fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// File dialogs that answer with the paths a test queued, in order, and then "cancelled"; tests never open
/// a real dialog. Clones share the queue, so a test can queue more after handing one to the app.
#[derive(Clone, Default)]
pub struct Scripted(pub Arc<Mutex<VecDeque<PathBuf>>>);

impl Scripted {
    pub fn with(paths: &[&Path]) -> Self {
        let scripted = Self::default();
        for path in paths {
            scripted.queue(path);
        }
        scripted
    }

    pub fn queue(&self, path: &Path) {
        self.0.lock().unwrap().push_back(path.to_owned());
    }
}

impl Dialogs for Scripted {
    fn open(&mut self, _: FileKind) -> Option<PathBuf> {
        self.0.lock().unwrap().pop_front()
    }

    fn save(&mut self, _: FileKind, _: &str) -> Option<PathBuf> {
        self.0.lock().unwrap().pop_front()
    }
}

/// A loopback server on a free port: what most tests start from.
pub fn preset() -> Preset {
    Preset {
        local_ip: "127.0.0.1".to_owned(),
        local_port: "0".to_owned(),
        ..Preset::default()
    }
}

/// English window settings around `preset`.
pub fn with(preset: Preset) -> Settings {
    Settings {
        lang: Lang::En,
        preset,
        ..Settings::default()
    }
}

pub fn settings() -> Settings {
    with(preset())
}

/// The window as eframe sets it up: the system's fonts (CJK included) behind egui's own.
pub fn harness(settings: Settings) -> Harness<'static, NetAssistApp> {
    harness_for(NetAssistApp::new(settings, Box::new(Scripted::default())))
}

pub fn harness_for(app: NetAssistApp) -> Harness<'static, NetAssistApp> {
    harness_sized(app, egui::vec2(1280.0, 800.0))
}

/// The window at `size`, as on a screen of that size.
pub fn harness_sized(app: NetAssistApp, size: egui::Vec2) -> Harness<'static, NetAssistApp> {
    // Events from the engine's thread ask for frames while `run` steps: on a loaded machine a few more
    // arrive during one run than kittest's default of 4 steps allows. A window that never settles still
    // fails, after 12.
    let mut harness = Harness::builder()
        .with_size(size)
        .with_max_steps(12)
        .with_context_setup(|ctx| {
            ctx.add_font_provider(Arc::new(netassist::ui::fonts::SystemFonts::new()));
        })
        .build_eframe(|_| app);
    harness.run();
    harness
}

/// Steps frames until `done` holds, failing after [`WAIT`]; the engine wakes the app from its own thread,
/// so each step picks up whatever arrived since the last.
pub fn step_until(
    harness: &mut Harness<'_, NetAssistApp>,
    what: &str,
    done: impl Fn(&NetAssistApp) -> bool,
) {
    let deadline = Instant::now() + WAIT;
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(1));
    }
    harness.step();
}

pub fn open(harness: &mut Harness<'_, NetAssistApp>) -> std::net::SocketAddr {
    harness.get_by_role_and_label(Role::Button, "Open").click();
    harness.run();
    step_until(harness, "the session to listen", |app| {
        app.log().local_addr().is_some()
    });
    harness.state().log().local_addr().unwrap()
}

/// Clicks a menu, then an entry in it.
pub fn menu(harness: &mut Harness<'_, NetAssistApp>, menu: &str, entry: &str) {
    harness.get_by_role_and_label(Role::Button, menu).click();
    harness.run();
    // Entries with a shortcut carry it in their label ("Open… Ctrl+O").
    match harness.query_by_label(entry) {
        Some(node) => node.click(),
        None => harness.get_by_label_contains(entry).click(),
    }
    harness.run();
}

/// Opens a server, connects a std client, and waits until the app lists it.
pub fn server_with_client(harness: &mut Harness<'_, NetAssistApp>) -> std::net::TcpStream {
    let addr = open(harness);
    let client = std::net::TcpStream::connect(addr).unwrap();
    client.set_read_timeout(Some(WAIT)).unwrap();
    step_until(harness, "the client", |app| {
        app.log().connected_peers() == 1
    });
    client
}

/// Reads exactly `n` bytes, within the stream's read time-out.
pub fn read_exactly(stream: &mut std::net::TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    std::io::Read::read_exact(stream, &mut buf).unwrap();
    buf
}
