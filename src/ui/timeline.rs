//! The connection timeline under the rate plot: one row per peer, newest first, with its address, its
//! connected span drawn on the plot's time range (connect to close, or to the right edge while it is still
//! open), coloured by how it ended, and that end in words. Hovering over a row gives its times, its close
//! reason and what that usually means.
//!
//! Every peer the log keeps is listed (the connected ones and the last
//! [`CLOSED_PEERS_KEPT`](crate::traffic::CLOSED_PEERS_KEPT) closed ones), but only the rows on screen are
//! laid out, so 10,000 peers cost what ten do.

use std::ops::RangeInclusive;
use std::time::SystemTime;

use egui::{Color32, RichText};

use super::plots::unix_seconds;
use super::traffic_view::LogColors;
use crate::doctor::closed::explain;
use crate::i18n::{Lang, Text};
use crate::timestamp::clock_text;
use crate::traffic::{CloseKind, PeerStats, TrafficLog};

/// Width of the address column.
const ADDR_WIDTH: f32 = 170.0;

/// Width of the column that says how each span ended.
const KIND_WIDTH: f32 = 120.0;

/// Draws the timeline of `log`'s peers over `range` (seconds since the Unix epoch, as the rate plot's x
/// axis), filling the space left in `ui`.
pub fn ui(ui: &mut egui::Ui, log: &TrafficLog, range: RangeInclusive<f64>, lang: Lang) {
    let count = log.peer_count();
    ui.horizontal(|ui| {
        ui.strong(lang.pick("Connections", "连接时间线"));
        ui.weak(format!(
            "{count} {}",
            lang.pick("peers, newest first", "个对端，最新的在前")
        ));
    });
    if count == 0 {
        ui.weak(lang.pick("Nobody connected yet.", "还没有连接。"));
        return;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    let colors = KindColors::of(ui.visuals());
    egui::ScrollArea::vertical()
        .id_salt("timeline")
        .auto_shrink([false, false])
        .show_rows(ui, row_height, count, |ui, rows| {
            for peer in log.peers().rev().skip(rows.start).take(rows.len()) {
                row_ui(ui, peer, &range, row_height, &colors, lang);
            }
        });
}

/// One peer's row: address, span, how it ended.
fn row_ui(
    ui: &mut egui::Ui,
    peer: &PeerStats,
    range: &RangeInclusive<f64>,
    height: f32,
    colors: &KindColors,
    lang: Lang,
) {
    let kind = CloseKind::of(peer.closed.as_ref());
    let color = colors.color(kind);
    ui.horizontal(|ui| {
        ui.set_height(height);
        ui.add_sized(
            [ADDR_WIDTH, height],
            egui::Label::new(RichText::new(peer.addr.to_string()).monospace()).truncate(),
        );
        let bar_width = (ui.available_width() - KIND_WIDTH).max(20.0);
        let (rect, response) =
            ui.allocate_exact_size(egui::vec2(bar_width, height), egui::Sense::hover());
        paint_span(ui, rect, peer, range, color);
        response.on_hover_ui(|ui| hover_ui(ui, peer, lang));
        ui.add(egui::Label::new(RichText::new(kind.text(lang)).color(color)).truncate());
    });
}

/// The span on `rect`, which stands for `range`: from its connect to its close, or to the right edge with
/// an open end while it is connected. A span outside the range leaves the row's track empty.
fn paint_span(
    ui: &egui::Ui,
    rect: egui::Rect,
    peer: &PeerStats,
    range: &RangeInclusive<f64>,
    color: Color32,
) {
    let painter = ui.painter_at(rect);
    let track = rect.shrink2(egui::vec2(0.0, rect.height() * 0.3));
    painter.rect_filled(track, 1.0, ui.visuals().faint_bg_color);
    let (start, end) = (*range.start(), *range.end());
    if end <= start {
        return;
    }
    let x = |secs: f64| {
        let t = ((secs - start) / (end - start)).clamp(0.0, 1.0) as f32;
        rect.left() + t * rect.width()
    };
    let from = unix_seconds(peer.since);
    let to = peer.closed_at.map_or(end, unix_seconds);
    if to < start || from > end {
        return;
    }
    let bar = egui::Rect::from_x_y_ranges(
        x(from)..=x(to).max(x(from) + 2.0),
        rect.shrink2(egui::vec2(0.0, rect.height() * 0.2)).y_range(),
    );
    painter.rect_filled(bar, 2.0, color);
    if peer.closed_at.is_none() {
        // Still open: an arrow at the right edge says it goes on.
        let tip = egui::pos2(rect.right(), bar.center().y);
        let back = rect.right() - bar.height() * 0.8;
        painter.add(egui::Shape::convex_polygon(
            vec![
                tip,
                egui::pos2(back, bar.top() - 2.0),
                egui::pos2(back, bar.bottom() + 2.0),
            ],
            color,
            egui::Stroke::NONE,
        ));
    }
}

/// When the peer connected and closed, why, and what that usually means.
fn hover_ui(ui: &mut egui::Ui, peer: &PeerStats, lang: Lang) {
    ui.strong(peer.addr.to_string());
    ui.label(format!(
        "{} {}",
        lang.pick("Connected", "连接于"),
        clock_text(peer.since)
    ));
    if let (Some(reason), Some(at)) = (&peer.closed, peer.closed_at) {
        let lasted = at.duration_since(peer.since).unwrap_or_default();
        ui.label(format!(
            "{} {} ({:.1} s): {}",
            lang.pick("Closed", "断开于"),
            clock_text(at),
            lasted.as_secs_f64(),
            reason.text(lang)
        ));
        if let Some(why) = explain(reason) {
            ui.set_max_width(320.0);
            ui.label(why.text(lang));
        }
    } else {
        let lasted = SystemTime::now()
            .duration_since(peer.since)
            .unwrap_or_default();
        ui.label(format!(
            "{} ({} {:.0} s)",
            lang.pick("Still connected", "仍在连接"),
            lang.pick("for", "已"),
            lasted.as_secs_f64()
        ));
    }
}

/// The colour of each kind of end, one set per theme so each reads on its background.
struct KindColors {
    log: LogColors,
    error: Color32,
    finished: Color32,
    by_you: Color32,
    gone: Color32,
    other_error: Color32,
}

impl KindColors {
    fn of(visuals: &egui::Visuals) -> Self {
        let (finished, by_you, gone, other_error) = if visuals.dark_mode {
            (
                Color32::from_rgb(0x9A, 0xAE, 0xC4),
                Color32::from_rgb(0xB4, 0x9C, 0xF0),
                Color32::from_rgb(0x96, 0x96, 0x96),
                Color32::from_rgb(0xE6, 0x78, 0xD2),
            )
        } else {
            (
                Color32::from_rgb(0x4E, 0x60, 0x74),
                Color32::from_rgb(0x6A, 0x48, 0xB4),
                Color32::from_rgb(0x6E, 0x6E, 0x6E),
                Color32::from_rgb(0x9E, 0x26, 0x8C),
            )
        };
        Self {
            log: LogColors::of(visuals),
            error: visuals.error_fg_color,
            finished,
            by_you,
            gone,
            other_error,
        }
    }

    fn color(&self, kind: CloseKind) -> Color32 {
        match kind {
            CloseKind::Open => self.log.good,
            CloseKind::Finished => self.finished,
            CloseKind::Reset => self.error,
            CloseKind::TimedOut => self.log.info,
            CloseKind::ByYou => self.by_you,
            CloseKind::SessionStopped | CloseKind::Forgotten => self.gone,
            CloseKind::Error => self.other_error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::tests::contrast;

    #[test]
    fn every_kind_of_end_reads_on_both_themes_windows() {
        for visuals in [egui::Visuals::dark(), egui::Visuals::light()] {
            let colors = KindColors::of(&visuals);
            for kind in CloseKind::ALL {
                let color = colors.color(kind);
                for background in [visuals.window_fill, visuals.faint_bg_color] {
                    let ratio = contrast(color, background);
                    assert!(
                        ratio >= 3.0,
                        "{kind:?} {color:?} on {background:?} (dark: {}): {ratio}",
                        visuals.dark_mode
                    );
                }
            }
        }
    }
}
