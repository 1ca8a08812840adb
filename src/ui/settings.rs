//! What the window remembers between runs: language and theme, the session's settings (the [`Preset`] a
//! preset file holds) and which file they came from, recent presets, how the log is shown, and the send box.
//! Runtime state (sockets, the log) lives in the app.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::codec::{InputMode, SendOptions, TextEncoding};
use crate::i18n::Lang;
use crate::preset::{Preset, protect_typed, typed_from_format_4};

/// Everything the window remembers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Language of the window.
    pub lang: Lang,
    /// Light, dark, or as the system says.
    pub theme: egui::ThemePreference,
    /// The session's settings: what a preset file holds.
    pub preset: Preset,
    /// The preset file the session's settings were last opened from or saved to.
    pub preset_file: Option<PathBuf>,
    /// The preset as that file holds it, to tell whether there are unsaved changes.
    pub saved: Option<Preset>,
    /// Preset files recently opened or saved, newest first, at most [`RECENT_LEN`].
    pub recent: Vec<PathBuf>,
    /// Memory the on-screen log may use, in MiB; the oldest rows go first (counters stay exact).
    pub log_mib: usize,
    /// Wrap long rows.
    pub wrap: bool,
    /// Follow new rows.
    pub auto_scroll: bool,
    /// What is in the send box.
    pub send_text: String,
    /// Sent inputs, newest last, at most [`HISTORY_LEN`].
    pub history: Vec<HistoryEntry>,
    /// Capture writes each peer's raw bytes to files of their own instead of readable lines.
    pub capture_raw: bool,
    /// Which side panels are open.
    pub panels: Panels,
    /// Seconds a TCP server may wait without a client before the status bar offers a diagnosis; 0: never.
    pub no_client_secs: u64,
}

/// A sent input as it was sent: the text and how it was read, so it comes back meaning the same bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredEntry")]
pub struct HistoryEntry {
    /// What was in the send box.
    pub text: String,
    /// Whether it was read as text or hex.
    pub input: InputMode,
    /// The encoding text was sent in.
    pub encoding: TextEncoding,
}

/// A history entry as settings files hold it: an entry, or only its text, as versions before the mode was
/// kept wrote it (read as UTF-8 text, the default).
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredEntry {
    Entry {
        text: String,
        input: InputMode,
        encoding: TextEncoding,
    },
    Text(String),
}

impl From<StoredEntry> for HistoryEntry {
    fn from(stored: StoredEntry) -> Self {
        match stored {
            StoredEntry::Entry {
                text,
                input,
                encoding,
            } => Self {
                text,
                input,
                encoding,
            },
            StoredEntry::Text(text) => Self {
                text,
                input: InputMode::Text,
                encoding: TextEncoding::Utf8,
            },
        }
    }
}

/// Which side panels are open; a folded one is a strip with a button that opens it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Panels {
    /// The settings panel on the left.
    pub settings: bool,
    /// The peers panel on the right; until the user chooses, it opens when the window is wide enough to
    /// leave the log room ([`PEERS_PANEL_MIN_WINDOW`]).
    pub peers: Option<bool>,
}

impl Default for Panels {
    fn default() -> Self {
        Self {
            settings: true,
            peers: None,
        }
    }
}

impl Panels {
    /// Whether the peers panel is open in a window `width` points wide: as the user chose, or open when
    /// the window is at least [`PEERS_PANEL_MIN_WINDOW`] wide.
    #[must_use]
    pub fn peers_open(&self, width: f32) -> bool {
        self.peers.unwrap_or(width >= PEERS_PANEL_MIN_WINDOW)
    }
}

/// The narrowest window in which the peers panel opens unless the user said otherwise: below it, the
/// log's data column needs the room.
pub const PEERS_PANEL_MIN_WINDOW: f32 = 1200.0;

/// How many sent inputs the history keeps.
pub const HISTORY_LEN: usize = 50;

/// How many recent presets the menu lists.
pub const RECENT_LEN: usize = 10;

impl Default for Settings {
    fn default() -> Self {
        Self {
            lang: Lang::system(),
            theme: egui::ThemePreference::System,
            preset: Preset::default(),
            preset_file: None,
            saved: None,
            recent: Vec::new(),
            log_mib: crate::traffic::DEFAULT_BYTE_BUDGET >> 20,
            wrap: false,
            auto_scroll: true,
            send_text: String::new(),
            history: Vec::new(),
            capture_raw: false,
            panels: Panels::default(),
            no_client_secs: 10,
        }
    }
}

impl Settings {
    /// Records the send box's input, as it was just sent, in the history: newest last, no repeats, at most
    /// [`HISTORY_LEN`].
    pub fn remember(&mut self) {
        if self.send_text.is_empty() {
            return;
        }
        let entry = HistoryEntry {
            text: self.send_text.clone(),
            input: self.preset.send.input,
            encoding: self.preset.send.encoding,
        };
        self.history.retain(|old| *old != entry);
        self.history.push(entry);
        if self.history.len() > HISTORY_LEN {
            self.history.remove(0);
        }
    }

    /// Brings the presets kept from an older version to this one's meaning ([`Preset::upgrade`]), and the
    /// send box and its history with them: text typed before send variables existed, or under their
    /// earlier rules, sends as it did.
    pub fn upgrade(&mut self) {
        let upgrade: Option<fn(&str, SendOptions) -> String> = match self.preset.version {
            ..3 => Some(protect_typed),
            3 | 4 => Some(typed_from_format_4),
            _ => None,
        };
        if let Some(upgrade) = upgrade {
            let send = self.preset.send;
            self.send_text = upgrade(&self.send_text, send);
            for entry in &mut self.history {
                let options = SendOptions {
                    input: entry.input,
                    ..send
                };
                entry.text = upgrade(&entry.text, options);
            }
        }
        self.preset.upgrade();
        if let Some(saved) = &mut self.saved {
            saved.upgrade();
        }
    }

    /// Whether the session's settings differ from the preset file they came from.
    #[must_use]
    pub fn is_modified(&self) -> bool {
        self.saved
            .as_ref()
            .is_some_and(|saved| *saved != self.preset)
    }

    /// The open preset's name: its file name without the extension.
    #[must_use]
    pub fn preset_name(&self) -> Option<String> {
        let path = self.preset_file.as_ref()?;
        Some(
            path.file_stem()
                .unwrap_or(path.as_os_str())
                .to_string_lossy()
                .into_owned(),
        )
    }

    /// Records that `preset` is what the file at `path` holds now (just opened or saved): it becomes the
    /// session's settings, the reference for unsaved changes, and the newest recent preset.
    pub fn adopt_preset(&mut self, path: &Path, preset: Preset) {
        self.preset = preset.clone();
        self.saved = Some(preset);
        self.preset_file = Some(path.to_owned());
        self.recent.retain(|old| old != path);
        self.recent.insert(0, path.to_owned());
        self.recent.truncate(RECENT_LEN);
    }

    /// Forgets a recent preset that could not be opened.
    pub fn forget_recent(&mut self, path: &Path) {
        self.recent.retain(|old| old != path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preset::QuickCommand;

    #[test]
    fn history_keeps_the_newest_fifty_without_repeats() {
        let mut settings = Settings::default();
        let send = |settings: &mut Settings, text: &str| {
            settings.send_text = text.to_owned();
            settings.remember();
        };
        for i in 0..60 {
            send(&mut settings, &format!("cmd {i}"));
        }
        send(&mut settings, "cmd 20");
        send(&mut settings, "");
        assert_eq!(settings.history.len(), HISTORY_LEN);
        let last = settings.history.last().map(|h| h.text.as_str());
        assert_eq!(last, Some("cmd 20"));
        assert_eq!(
            settings
                .history
                .iter()
                .filter(|h| h.text == "cmd 20")
                .count(),
            1
        );
    }

    #[test]
    fn history_keeps_the_mode_and_encoding_and_reads_old_settings() {
        let mut settings = Settings::default();
        settings.preset.send.input = InputMode::Hex;
        settings.preset.send.encoding = TextEncoding::Gbk;
        settings.send_text = "01 03".to_owned();
        settings.remember();
        let entry = HistoryEntry {
            text: "01 03".to_owned(),
            input: InputMode::Hex,
            encoding: TextEncoding::Gbk,
        };
        assert_eq!(settings.history, [entry]);
        // The same text as text is another entry.
        settings.preset.send.input = InputMode::Text;
        settings.remember();
        assert_eq!(settings.history.len(), 2);

        let text = ron::to_string(&settings).unwrap();
        let restored: Settings = ron::from_str(&text).unwrap();
        assert_eq!(restored.history, settings.history);
        let old: Settings = ron::from_str(r#"(history: ["hello"])"#).unwrap();
        assert_eq!(
            old.history,
            [HistoryEntry {
                text: "hello".to_owned(),
                input: InputMode::Text,
                encoding: TextEncoding::Utf8,
            }]
        );
    }

    #[test]
    fn the_send_box_of_an_older_version_sends_as_it_did() {
        // Remembered by a version without send variables: the send box held text with braces.
        let mut old: Settings = ron::from_str(
            r#"(preset: (version: 2), send_text: "{cmd} {{x}}", history: ["{counter}", "{\"a\":1}"])"#,
        )
        .unwrap();
        old.upgrade();
        assert_eq!(old.preset.version, crate::preset::FORMAT_VERSION);
        assert_eq!(old.send_text, "{{cmd}} {{{{x}}}}");
        let texts: Vec<&str> = old.history.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(texts, ["{{counter}}", r#"{"a":1}"#]);
        // Settings of this version are left as typed.
        let mut new: Settings = ron::from_str(r#"(send_text: "{counter}")"#).unwrap();
        new.upgrade();
        assert_eq!(new.send_text, "{counter}");
    }

    #[test]
    fn the_send_box_of_version_four_sends_as_it_did() {
        // Version 4 sent `{x} ` and the time for the first, `{"a":1}}` for the second, and `01 03` with its
        // CRC-16/MODBUS for the hex entry.
        let mut old: Settings = ron::from_str(
            r#"(preset: (version: 4), send_text: "{{x}} {TIME}",
                history: ["{{\"a\":1}}", (text: "01 03 {CRC16-MODBUS}", input: Hex, encoding: Utf8)])"#,
        )
        .unwrap();
        old.upgrade();
        assert_eq!(old.preset.version, crate::preset::FORMAT_VERSION);
        assert_eq!(old.send_text, "{{x}} {time}");
        let texts: Vec<&str> = old.history.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(texts, [r#"{"a":1}}"#, "01 03 {crc16modbus}"]);
    }

    #[test]
    fn recent_presets_are_newest_first_without_repeats_and_at_most_ten() {
        let mut settings = Settings::default();
        for i in 0..12 {
            settings.adopt_preset(Path::new(&format!("p{i}.ron")), Preset::default());
        }
        settings.adopt_preset(Path::new("p5.ron"), Preset::default());
        assert_eq!(settings.recent.len(), RECENT_LEN);
        assert_eq!(settings.recent[0], Path::new("p5.ron"));
        assert_eq!(settings.recent[1], Path::new("p11.ron"));
        assert_eq!(
            settings
                .recent
                .iter()
                .filter(|p| *p == Path::new("p5.ron"))
                .count(),
            1
        );
        assert_eq!(settings.preset_name().as_deref(), Some("p5"));
    }

    #[test]
    fn a_change_after_opening_a_preset_is_unsaved_until_saved() {
        let mut settings = Settings::default();
        assert!(!settings.is_modified(), "no preset file, nothing to save");
        settings.adopt_preset(Path::new("board.ron"), Preset::default());
        assert!(!settings.is_modified());
        settings.preset.local_port = "10001".to_owned();
        assert!(settings.is_modified());
        let now = settings.preset.clone();
        settings.adopt_preset(Path::new("board.ron"), now);
        assert!(!settings.is_modified());
    }

    #[test]
    fn everything_remembered_survives_a_restart() {
        // eframe keeps the settings as RON text between runs.
        let mut settings = Settings {
            lang: Lang::Zh,
            theme: egui::ThemePreference::Dark,
            log_mib: 32,
            wrap: true,
            auto_scroll: false,
            send_text: "AA 55".to_owned(),
            capture_raw: true,
            no_client_secs: 3,
            panels: Panels {
                settings: false,
                peers: Some(true),
            },
            ..Settings::default()
        };
        settings.preset.quick.push(QuickCommand {
            name: "查询".to_owned(),
            text: "AA 55 01".to_owned(),
            ..QuickCommand::default()
        });
        settings.remember();
        settings.adopt_preset(Path::new("board.ron"), settings.preset.clone());
        settings.preset.echo = true;
        let text = ron::to_string(&settings).unwrap();
        let restored: Settings = ron::from_str(&text).unwrap();
        assert_eq!(restored, settings);
        assert!(restored.is_modified());
    }
}
