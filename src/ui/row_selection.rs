//! Selecting log rows and copying them: a click picks one row, Ctrl+click adds or removes one, Shift+click
//! a run of shown rows; Ctrl+C and the toolbar copy the selection in the export's line format. A row's
//! context menu copies its text or hex, or shows only its peer, and for a closed connection says what its
//! reason usually means.
//!
//! Rows are kept by sequence number, so a selection survives old rows being dropped from the log.

use std::collections::BTreeSet;

use crate::codec::hex;
use crate::doctor::closed::explain;
use crate::engine::PeerId;
use crate::format::{Display, row_line};
use crate::i18n::{Lang, Text};
use crate::preset::DataView;
use crate::traffic::{Note, Row, RowKind, TrafficLog};

/// Copies the selected rows (in the window, where no text field has the keyboard).
pub const COPY_SHORTCUT: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::C);

/// The selected rows, by sequence number.
#[derive(Default)]
pub struct Selection {
    rows: BTreeSet<u64>,
    /// The row clicked last: where a Shift+click run starts, and the row the detail pane shows.
    anchor: Option<u64>,
}

impl Selection {
    /// Whether the row with this sequence number is selected.
    #[must_use]
    pub fn contains(&self, seq: u64) -> bool {
        self.rows.contains(&seq)
    }

    /// The row clicked last, while it is still selected.
    #[must_use]
    pub fn focus(&self) -> Option<u64> {
        self.anchor.filter(|seq| self.rows.contains(seq))
    }

    /// Whether no row is selected.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Selects nothing.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.anchor = None;
    }

    /// A click on row `seq` with `modifiers` held. `run_to` gives the shown rows from one row to another,
    /// both included, for Shift+click.
    pub fn click(
        &mut self,
        seq: u64,
        modifiers: egui::Modifiers,
        run_to: impl FnOnce(u64, u64) -> Vec<u64>,
    ) {
        if modifiers.shift
            && let Some(anchor) = self.anchor
        {
            // The run replaces the selection; the anchor stays, so another Shift+click moves the run's end.
            self.rows = run_to(anchor, seq).into_iter().collect();
            return;
        }
        if modifiers.command {
            if !self.rows.remove(&seq) {
                self.rows.insert(seq);
            }
        } else if self.rows.len() == 1 && self.rows.contains(&seq) {
            // A second click on the only selected row lets it go (and closes the detail pane).
            self.rows.clear();
        } else {
            self.rows = BTreeSet::from([seq]);
        }
        self.anchor = Some(seq);
    }

    /// The selected rows still in the log, oldest first, one line each as the text export writes them.
    #[must_use]
    pub fn lines(&self, log: &TrafficLog, display: &Display) -> String {
        let rows = self
            .rows
            .iter()
            .filter_map(|&seq| log.index_of_seq(seq))
            .filter_map(|index| log.row(index));
        rows.map(|row| row_line(row, display))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The context menu of `row`: copy its text or its hex, or show only its peer's rows (by setting
/// `peer_filter`).
pub fn row_menu(
    ui: &mut egui::Ui,
    row: &Row,
    display: &Display,
    lang: Lang,
    peer_filter: &mut Option<PeerId>,
) {
    let (text, hex) = match &row.kind {
        RowKind::Data { bytes, .. } => {
            let text = Display {
                view: DataView::Text,
                ..*display
            };
            (text.data_text(bytes), Some(hex::format(bytes)))
        }
        RowKind::Note(note) => (note.text(lang), None),
    };
    if ui.button(lang.pick("Copy text", "复制文本")).clicked() {
        ui.ctx().copy_text(text);
    }
    if ui
        .add_enabled(
            hex.is_some(),
            egui::Button::new(lang.pick("Copy hex", "复制十六进制")),
        )
        .clicked()
        && let Some(hex) = hex
    {
        ui.ctx().copy_text(hex);
    }
    if ui
        .add_enabled(
            row.peer.is_some(),
            egui::Button::new(lang.pick("Show only this peer", "只显示该对象")),
        )
        .clicked()
    {
        *peer_filter = row.peer;
    }
    // A closed connection's row says what its reason usually means, as the peers panel's "why?" does.
    if let RowKind::Note(Note::Closed(reason)) = &row.kind
        && let Some(why) = explain(reason)
    {
        ui.separator();
        ui.set_max_width(320.0);
        ui.label(why.text(lang));
    }
}
