//! The traffic log in the middle of the window: a toolbar (filter, pause, clear, auto-scroll, wrap, copy),
//! a virtualised table that lays out only the rows on screen, so a million rows draw as fast as ten, and a
//! detail pane with the hex dump of the row clicked last. Which rows are selected, and copying them, is
//! [`super::row_selection`].

use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};

use super::app::UiAction;
use super::palette::Palette;
use super::row_selection::{COPY_SHORTCUT, Selection, row_menu};
use super::settings::Settings;
use crate::codec::{ControlStyle, MessageKind, decode_for_display, hex};
use crate::engine::{Direction, TlsClose};
use crate::format::{Display, peer_name, row_peer_name};
use crate::i18n::{Lang, Text};
use crate::preset::DataView;
use crate::timestamp::clock_text;
use crate::traffic::{Filter, FilteredView, Note, Row, RowKind, TrafficLog};

/// At most this many bytes of a row are laid out in the table; the detail pane shows all of it.
const SHOWN_BYTES: usize = 2048;

/// Bytes of the selected row the detail pane formats.
const DETAIL_BYTES: usize = 16 * 1024;

/// Height of the detail pane under the table when a row is selected.
const DETAIL_HEIGHT: f32 = 150.0;

/// Lines a wrapped row may take in the table.
const MAX_WRAPPED_LINES: usize = 6;

/// Wrapped rows need every row's height each frame; beyond this many shown rows the table keeps one line
/// per row so a frame stays within a few milliseconds (the detail pane still shows a whole row).
const MAX_WRAPPED_ROWS: usize = 20_000;

/// The log view's own state (not saved: a new run starts with no filter and nothing selected).
#[derive(Default)]
pub struct TrafficView {
    /// What rows are shown.
    pub filter: Filter,
    filtered: FilteredView,
    /// The selected rows.
    pub selection: Selection,
    /// While paused, rows from this sequence number on are hidden (they are still logged and counted).
    pub paused_at: Option<u64>,
    /// Where the table was scrolled to at the end of the last frame, and how tall its visible part was.
    last_scroll: Option<(f32, f32)>,
    /// The Data column's width at the end of the last frame: wrapped rows are as tall as their text
    /// wrapped at this width.
    data_width: Option<f32>,
}

impl TrafficView {
    /// Draws the toolbar, the table and the detail pane.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        log: &TrafficLog,
        settings: &mut Settings,
        lang: Lang,
        actions: &mut Vec<UiAction>,
    ) {
        self.filter.encoding = settings.preset.encoding;
        self.toolbar(ui, log, settings, lang, actions);
        self.filtered.refresh(log, &self.filter);
        let shown = self.shown_rows(log);
        let copy = ui.input(|input| input.events.contains(&egui::Event::Copy));
        // Ctrl+C in a text field copies its text, not rows.
        if copy && !ui.ctx().egui_wants_keyboard_input() && !self.selection.is_empty() {
            let lines = self.selection.lines(log, &Display::of(&settings.preset));
            ui.ctx().copy_text(lines);
        }
        let selected_row = self
            .selection
            .focus()
            .and_then(|seq| log.index_of_seq(seq))
            .and_then(|index| log.row(index));
        // The table gets what the detail pane leaves; a child area keeps its column lines out of the pane,
        // and is there with or without the pane so the table keeps its scroll position.
        let table_height = match selected_row {
            Some(_) => (ui.available_height() - DETAIL_HEIGHT).max(80.0),
            None => ui.available_height(),
        };
        let size = egui::vec2(ui.available_width(), table_height);
        ui.allocate_ui_with_layout(size, egui::Layout::top_down(egui::Align::Min), |ui| {
            self.table(ui, log, settings, lang, shown);
        });
        if let Some(row) = selected_row {
            ui.separator();
            detail_ui(ui, row, settings, lang);
        }
    }

    /// The log indices of the rows the filter shows, oldest first.
    pub fn shown_indices(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.filtered.len()).filter_map(|i| self.filtered.row_index(i))
    }

    /// How many filtered rows are on screen: all of them, or while paused those from before the pause.
    fn shown_rows(&self, log: &TrafficLog) -> usize {
        match self.paused_at {
            Some(paused_at) => position_of(&self.filtered, log, paused_at),
            None => self.filtered.len(),
        }
    }

    fn toolbar(
        &mut self,
        ui: &mut egui::Ui,
        log: &TrafficLog,
        settings: &mut Settings,
        lang: Lang,
        actions: &mut Vec<UiAction>,
    ) {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(lang.pick("Filter", "筛选"));
            ui.add(
                egui::TextEdit::singleline(&mut self.filter.text)
                    .hint_text(lang.pick("text or hex", "文本或十六进制"))
                    .desired_width(140.0),
            )
            .labelled_by(label.id);
            egui::ComboBox::from_id_salt("direction")
                .selected_text(match self.filter.dir {
                    None => lang.pick("RX + TX", "收 + 发"),
                    Some(Direction::Rx) => "RX",
                    Some(Direction::Tx) => "TX",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(
                        &mut self.filter.dir,
                        None,
                        lang.pick("RX + TX", "收 + 发"),
                    );
                    ui.selectable_value(&mut self.filter.dir, Some(Direction::Rx), "RX");
                    ui.selectable_value(&mut self.filter.dir, Some(Direction::Tx), "TX");
                })
                .response
                .on_hover_text(lang.pick("Direction", "方向"));
            ui.checkbox(&mut self.filter.show_notes, lang.pick("Events", "事件"));
            if let Some(peer) = self.filter.peer {
                let name = peer_name(log, Some(peer));
                if ui
                    .button(format!("{name} ✖"))
                    .on_hover_text(lang.pick("Show every peer again", "显示所有对象"))
                    .clicked()
                {
                    self.filter.peer = None;
                }
            }
            ui.separator();
            let pause_text = if self.paused_at.is_some() {
                lang.pick("Resume display", "继续显示")
            } else {
                lang.pick("Pause display", "暂停显示")
            };
            if ui.button(pause_text).clicked() {
                self.paused_at = match self.paused_at {
                    Some(_) => None,
                    None => Some(log.first_seq() + log.len() as u64),
                };
            }
            if ui.button(lang.pick("Clear", "清空")).clicked() {
                self.selection.clear();
                actions.push(UiAction::Clear);
            }
            ui.checkbox(
                &mut settings.auto_scroll,
                lang.pick("Auto-scroll", "自动滚动"),
            );
            ui.checkbox(&mut settings.wrap, lang.pick("Wrap", "自动换行"))
                .on_hover_text(lang.pick(
                    "Long rows take up to 6 lines; with more than 20,000 rows shown, one line each",
                    "长行最多占 6 行；显示超过 20,000 行时每行一行",
                ));
            if ui
                .add_enabled(
                    !self.selection.is_empty(),
                    egui::Button::new(lang.pick("Copy rows", "复制选中行")),
                )
                .on_hover_text(ui.ctx().format_shortcut(&COPY_SHORTCUT))
                .clicked()
            {
                let lines = self.selection.lines(log, &Display::of(&settings.preset));
                ui.ctx().copy_text(lines);
            }
            if log.dropped_rows() > 0 {
                ui.weak(format!(
                    "{} {}",
                    log.dropped_rows(),
                    lang.pick(
                        "old rows dropped (counters stay exact)",
                        "条旧记录已丢弃（计数仍准确）"
                    )
                ));
            }
        });
    }

    /// How many monospace characters a line of the Data column holds.
    fn chars_per_line(&self, ui: &egui::Ui) -> f32 {
        let font = egui::TextStyle::Monospace.resolve(ui.style());
        let glyph_width = ui.fonts_mut(|fonts| fonts.glyph_width(&font, '0')).max(1.0);
        let data_width = self.data_width.unwrap_or_else(|| ui.available_width());
        // A pixel to spare for rounding, so a full line is not taken for two.
        ((data_width - 1.0) / glyph_width).floor().max(1.0)
    }

    fn table(
        &mut self,
        ui: &mut egui::Ui,
        log: &TrafficLog,
        settings: &Settings,
        lang: Lang,
        shown: usize,
    ) {
        let line_height = ui.text_style_height(&egui::TextStyle::Monospace) + 4.0;
        let chars_per_line = self.chars_per_line(ui);
        // Selectable labels would take the click that selects the row; copying has its own button.
        ui.style_mut().interaction.selectable_labels = false;
        let wrap = settings.wrap && shown <= MAX_WRAPPED_ROWS;
        let filtered = &self.filtered;
        let row_at = |i: usize| filtered.row_index(i).and_then(|index| log.row(index));
        let row_height = |i: usize| {
            if wrap {
                // Heights come from the byte count, not from laying the text out, so a million rows
                // cost a million multiplications per frame, not a million layouts.
                let lines = row_at(i).map_or(1, |row| {
                    estimated_lines(row, settings.preset.view, chars_per_line)
                });
                line_height * lines as f32
            } else {
                line_height
            }
        };
        let spacing = ui.spacing().item_spacing.y;
        let time_width = time_column_width(ui);
        // A relay's rows name both ends of their pair (`DEVICE→SERVER`), so its peer column starts wide
        // enough for two addresses; it is a table of its own, so each keeps the width the user gave it.
        let relay = settings.preset.mode == crate::preset::ModeKind::Relay;
        let peer_width = if relay { 250.0 } else { 110.0 };
        let mut table = TableBuilder::new(ui)
            .id_salt(relay)
            .striped(true)
            .auto_shrink([false, false])
            .resizable(true)
            .stick_to_bottom(settings.auto_scroll)
            .sense(egui::Sense::click())
            .column(Column::initial(time_width).at_least(40.0).clip(true))
            .column(Column::initial(28.0).at_least(20.0).clip(true))
            .column(Column::initial(peer_width).at_least(40.0).clip(true))
            .column(Column::initial(40.0).at_least(24.0).clip(true))
            .column(Column::remainder().at_least(80.0).clip(true));
        // When old rows give way to new ones faster than a frame, the table is shorter than a frame ago, and
        // last frame's scroll position lies past its end: the rows there would be missing for a frame (a
        // blank table while flooding). Start this frame inside the table instead; moving only back, within
        // last frame's bounds, the scroll area has nothing to spring back from and asks for no frames.
        if let Some((offset, visible)) = self.last_scroll {
            let content = if wrap {
                (0..shown).map(|i| row_height(i) + spacing).sum::<f32>()
            } else {
                shown as f32 * (line_height + spacing)
            };
            let end = (content - visible).max(0.0);
            if offset > end {
                table = table.vertical_scroll_offset(end);
            }
        }
        let table = table.header(20.0, |header| header_ui(header, lang));
        let display = Display::of(&settings.preset);
        let mut clicked = None;
        let mut peer_filter = self.filter.peer;
        let selection = &self.selection;
        let mut draw = |mut table_row: egui_extras::TableRow<'_, '_>| {
            let Some(row) = row_at(table_row.index()) else {
                return;
            };
            table_row.set_selected(selection.contains(row.seq));
            let lines = wrap.then(|| estimated_lines(row, settings.preset.view, chars_per_line));
            cells(&mut table_row, row, settings, lang, lines);
            let response = table_row.response();
            if response.clicked() {
                clicked = Some((row.seq, response.ctx.input(|input| input.modifiers)));
            }
            response.context_menu(|ui| row_menu(ui, row, &display, lang, &mut peer_filter));
        };
        let mut measured_width = None;
        let scrolled = table.body(|body| {
            measured_width = body.widths().last().copied();
            if wrap {
                body.heterogeneous_rows((0..shown).map(row_height), &mut draw);
            } else {
                body.rows(line_height, shown, draw);
            }
        });
        self.last_scroll = Some((
            scrolled.state.clamped_offset().y,
            scrolled.inner_rect.height(),
        ));
        self.filter.peer = peer_filter;
        if let Some(width) = measured_width
            && self
                .data_width
                .is_none_or(|before| (width - before).abs() > 0.5)
        {
            self.data_width = Some(width);
            if wrap {
                // Wrapped rows' heights depend on the width: draw once more with this one.
                ui.ctx().request_repaint();
            }
        }
        if let Some((seq, modifiers)) = clicked {
            let filtered = &self.filtered;
            self.selection.click(seq, modifiers, |from, to| {
                let (from, to) = (from.min(to), from.max(to));
                (position_of(filtered, log, from)..filtered.len())
                    .filter_map(|i| filtered.row_index(i).and_then(|index| log.row(index)))
                    .map(|row| row.seq)
                    .take_while(|&seq| seq <= to)
                    .collect()
            });
        }
    }
}

/// Where among the filtered rows the first one with sequence number `seq` or later is.
fn position_of(filtered: &FilteredView, log: &TrafficLog, seq: u64) -> usize {
    let (mut low, mut high) = (0, filtered.len());
    while low < high {
        let middle = usize::midpoint(low, high);
        let row_seq = filtered
            .row_index(middle)
            .and_then(|index| log.row(index))
            .map_or(u64::MAX, |row| row.seq);
        if row_seq < seq {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    low
}

fn header_ui(mut header: egui_extras::TableRow<'_, '_>, lang: Lang) {
    for title in [
        lang.pick("Time", "时间"),
        lang.pick("Dir", "方向"),
        lang.pick("Peer", "对象"),
        lang.pick("Len", "长度"),
        lang.pick("Data", "数据"),
    ] {
        header.col(|ui| {
            ui.strong(title);
        });
    }
}

fn estimated_lines(row: &Row, view: DataView, chars_per_line: f32) -> usize {
    let RowKind::Data { bytes, .. } = &row.kind else {
        return 1;
    };
    let len = bytes.len().min(SHOWN_BYTES) as f32;
    let chars = match view {
        DataView::Text => len,
        DataView::Hex => len * 3.0,
        DataView::Both => len * 4.0,
    };
    let lines = (chars / chars_per_line)
        .ceil()
        .clamp(1.0, MAX_WRAPPED_LINES as f32);
    // Clamped to 1..=MAX_WRAPPED_LINES just above, so the cast is exact.
    #[allow(clippy::cast_sign_loss)]
    let lines = lines as usize;
    lines
}

fn cells(
    table_row: &mut egui_extras::TableRow<'_, '_>,
    row: &Row,
    settings: &Settings,
    lang: Lang,
    lines: Option<usize>,
) {
    table_row.col(|ui| {
        ui.monospace(clock_text(row.at));
    });
    match &row.kind {
        RowKind::Data { dir, bytes, kind } => {
            table_row.col(|ui| {
                let colors = LogColors::of(ui.visuals());
                let (text, color) = match dir {
                    Direction::Rx => ("RX", colors.rx),
                    Direction::Tx => ("TX", colors.tx),
                };
                ui.label(RichText::new(text).color(color).strong());
            });
            table_row.col(|ui| {
                ui.label(row_peer_name(row));
            });
            table_row.col(|ui| {
                ui.monospace(bytes.len().to_string());
            });
            table_row.col(|ui| {
                let mut text = Display::of(&settings.preset)
                    .message_text(&bytes[..bytes.len().min(SHOWN_BYTES)], *kind);
                if bytes.len() > SHOWN_BYTES {
                    text.push_str(" …");
                }
                if *kind != MessageKind::Complete {
                    text = format!("[{}] {text}", kind_label(*kind, lang));
                }
                let Some(lines) = lines else {
                    ui.add(egui::Label::new(RichText::new(text).monospace()).truncate());
                    return;
                };
                // Broken anywhere, as the row's height was worked out, and never more lines than it has:
                // text that does not fit ends in "…" rather than under the next row.
                let format = egui::TextFormat::simple(
                    egui::TextStyle::Monospace.resolve(ui.style()),
                    ui.visuals().text_color(),
                );
                let mut job = egui::text::LayoutJob::simple_format(text, format);
                job.wrap.max_rows = lines;
                job.wrap.break_anywhere = true;
                ui.add(egui::Label::new(job).wrap());
            });
        }
        RowKind::Note(note) => {
            table_row.col(|ui| {
                ui.label("•");
            });
            table_row.col(|ui| {
                ui.label(row_peer_name(row));
            });
            table_row.col(|_| {});
            table_row.col(|ui| {
                let text = note.text(lang);
                ui.add(
                    egui::Label::new(
                        RichText::new(text)
                            .color(LogColors::of(ui.visuals()).note(note))
                            .italics(),
                    )
                    .truncate(),
                );
            });
        }
    }
}

fn kind_label(kind: MessageKind, lang: Lang) -> &'static str {
    match lang {
        Lang::En => kind.label(),
        Lang::Zh => kind.zh(),
    }
}

/// The colours the log writes directions and notes in, one set per theme so each reads on its background;
/// the plots draw received and sent data in the same colours.
pub(crate) struct LogColors {
    pub(crate) rx: Color32,
    pub(crate) tx: Color32,
    /// A session or peer that started.
    pub(crate) good: Color32,
    /// Data that did not go where it was meant to.
    bad: Color32,
    /// Anything else that happened.
    pub(crate) info: Color32,
}

impl LogColors {
    pub(crate) fn of(visuals: &egui::Visuals) -> Self {
        let palette = Palette::of(visuals);
        Self {
            rx: palette.link,
            tx: palette.good,
            good: palette.good,
            bad: palette.bad,
            info: palette.info,
        }
    }

    fn note(&self, note: &Note) -> Color32 {
        match note {
            Note::Opened(_)
            | Note::Connected(_)
            | Note::Connecting { .. }
            | Note::Paired(_)
            | Note::FirstDatagram { .. }
            | Note::Listening(_)
            | Note::Joined(_) => self.good,
            Note::Error(_)
            | Note::ConnectFailed { .. }
            | Note::SendDropped { .. }
            | Note::Unsent { .. }
            | Note::Dropped { .. }
            | Note::Rejected { .. }
            // A kept certificate that no longer fits is still used: worth a warning; so is data cut off.
            | Note::TlsKeptCertificate(_)
            | Note::HalfClosed(_, Some(TlsClose::MidRecord { .. })) => self.bad,
            // A server that was not verified, or whose certificate was out of date, is worth a warning.
            Note::TlsEstablished(info) if !info.verified || info.outside_validity => self.bad,
            _ => self.info,
        }
    }
}

fn detail_ui(ui: &mut egui::Ui, row: &Row, settings: &Settings, lang: Lang) {
    ui.horizontal(|ui| {
        ui.strong(lang.pick("Selected row", "选中行"));
        ui.label(format!("{} {}", clock_text(row.at), row_peer_name(row)));
    });
    egui::ScrollArea::vertical()
        .auto_shrink([false, true])
        .show(ui, |ui| match &row.kind {
            RowKind::Data { bytes, .. } => {
                // Formatting happens every frame, so a 1 MiB message shows its start, and says so.
                let part = &bytes[..bytes.len().min(DETAIL_BYTES)];
                if part.len() < bytes.len() {
                    ui.weak(format!(
                        "{} {} / {} B",
                        lang.pick("Showing the first", "仅显示前"),
                        part.len(),
                        bytes.len()
                    ));
                }
                ui.monospace(hex::dump(part));
                ui.separator();
                let text =
                    decode_for_display(part, settings.preset.encoding, ControlStyle::Escapes);
                ui.add(egui::Label::new(RichText::new(text).monospace()).wrap());
            }
            RowKind::Note(note) => {
                ui.label(note.text(lang));
            }
        });
}

/// A row's time is evidence, so the Time column starts wide enough for a whole `HH:MM:SS.mmm` in the
/// monospace font it is drawn in, and the space between cells.
fn time_column_width(ui: &egui::Ui) -> f32 {
    let text = ui.fonts_mut(|fonts| {
        fonts
            .layout_no_wrap(
                "00:00:00.000".to_owned(),
                egui::TextStyle::Monospace.resolve(ui.style()),
                egui::Color32::PLACEHOLDER,
            )
            .size()
            .x
    });
    text + ui.spacing().item_spacing.x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::tests::contrast;

    #[test]
    fn log_colours_read_on_both_themes_backgrounds() {
        for visuals in [egui::Visuals::dark(), egui::Visuals::light()] {
            let colors = LogColors::of(&visuals);
            let notes = [
                Note::Connected(std::net::SocketAddr::from(([127, 0, 0, 1], 1))),
                Note::Unsent { bytes: 1, sends: 1 },
                Note::Stopped,
            ];
            let all = [colors.rx, colors.tx]
                .into_iter()
                .chain(notes.iter().map(|note| colors.note(note)));
            for color in all {
                // Plain rows and striped ones.
                for background in [visuals.panel_fill, visuals.faint_bg_color] {
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
