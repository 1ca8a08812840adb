//! The Plots window (View → Plots…): received and sent bytes or messages per second over time, for the
//! whole session and for the selected peers (the send target, or the peer the log shows alone), or else
//! the busiest few; and under it the connection timeline ([`super::timeline`]) on the same time range.
//!
//! The rates come from the log's [`RateHistory`], which counts by the events' own times. Only whole
//! buckets are drawn (a second still filling would read as a drop), so the lines are rebuilt when a new
//! second has passed or what is shown changes, at most once a second however often frames come; and while
//! a bucket is filling, one frame is asked for when it ends, so the last second of a burst shows without
//! another event. Idle, nothing asks for a frame.

use std::ops::RangeInclusive;
use std::time::{Duration, SystemTime};

use egui::Color32;
use egui_plot::{
    Corner, GridInput, GridMark, HoverPosition, Legend, Line, LineStyle, Plot, PlotPoint,
};

use super::app::{NetAssistApp, SendTarget};
use super::traffic_view::LogColors;
use crate::engine::{Direction, PeerId};
use crate::i18n::Lang;
use crate::timestamp::clock_text;
use crate::traffic::{PeerRates, Quantity, RateBucket, RateHistory};

/// Peers drawn when none is selected: the busiest in the time shown.
pub const SHOWN_BUSIEST: usize = 3;

/// How far back the plot looks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Span {
    /// The last minute.
    Minute,
    /// The last 10 minutes.
    #[default]
    TenMinutes,
    /// The last hour.
    Hour,
    /// All that is kept (up to 24 hours).
    All,
}

impl Span {
    /// Every span, as the window offers them.
    pub const ALL: [Self; 4] = [Self::Minute, Self::TenMinutes, Self::Hour, Self::All];

    fn duration(self) -> Option<Duration> {
        match self {
            Self::Minute => Some(Duration::from_mins(1)),
            Self::TenMinutes => Some(Duration::from_mins(10)),
            Self::Hour => Some(Duration::from_hours(1)),
            Self::All => None,
        }
    }

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::Minute => lang.pick("1 min", "1 分钟"),
            Self::TenMinutes => lang.pick("10 min", "10 分钟"),
            Self::Hour => lang.pick("1 h", "1 小时"),
            Self::All => lang.pick("All", "全部"),
        }
    }
}

/// The unit of the y axis: rates are divided by `divisor` and read in `name`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit {
    /// What a value is divided by.
    pub divisor: f64,
    /// Its name: `B/s`, `KiB/s`, `MiB/s`, `GiB/s`, or messages a second.
    pub name: &'static str,
}

/// The unit that reads best for rates up to `max` (bytes or messages a second): the largest binary
/// multiple of bytes that `max` reaches.
#[must_use]
pub fn unit_for(quantity: Quantity, max: f64, lang: Lang) -> Unit {
    match quantity {
        Quantity::Messages => Unit {
            divisor: 1.0,
            name: lang.pick("msg/s", "条/秒"),
        },
        Quantity::Bytes => [
            (1u64 << 30, "GiB/s"),
            (1 << 20, "MiB/s"),
            (1 << 10, "KiB/s"),
        ]
        .into_iter()
        .find(|&(divisor, _)| max >= divisor as f64)
        .map_or(
            Unit {
                divisor: 1.0,
                name: "B/s",
            },
            |(divisor, name)| Unit {
                divisor: divisor as f64,
                name,
            },
        ),
    }
}

/// Seconds since the Unix epoch, the plot's x axis.
#[must_use]
pub fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

/// Whose rate a line draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The whole session.
    Total,
    /// The `n`-th peer shown.
    Peer(usize),
}

/// One line of the plot as last built.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotLine {
    /// Its name in the legend: `RX total`, `TX total`, or a peer's address, which its received and sent
    /// lines share (one legend entry shows or hides both).
    pub name: String,
    /// Whose rate it is.
    pub source: Source,
    /// Which way.
    pub dir: Direction,
    /// Its steps, x in seconds since the Unix epoch and y in the plot's [`Unit`]: each bucket is a
    /// level from its start to its end, and time with nothing counted is at zero.
    pub points: Vec<PlotPoint>,
}

/// What the lines were built for: when it changes, they are built again.
#[derive(Clone, Debug, PartialEq)]
struct Key {
    quantity: Quantity,
    span: Span,
    /// Whole seconds since the epoch: buckets that ended by then are drawn.
    until: u64,
    pinned: Vec<PeerId>,
    lang: Lang,
}

/// The lines last built, and what for.
struct Built {
    key: Key,
    lines: Vec<PlotLine>,
    unit: Unit,
}

/// The Plots window's state (not saved).
#[derive(Default)]
pub struct PlotsView {
    /// Whether the window is shown.
    pub open: bool,
    /// Bytes or messages a second.
    pub quantity: Quantity,
    /// How far back the plot looks.
    pub span: Span,
    /// The peers last pinned in the rate history (the selection).
    pinned: Vec<PeerId>,
    /// The plot's own zoom is dropped on the next frame (the span changed).
    reset_zoom: bool,
    built: Option<Built>,
}

impl PlotsView {
    /// The lines drawn, as last built.
    #[must_use]
    pub fn lines(&self) -> &[PlotLine] {
        self.built.as_ref().map_or(&[], |built| &built.lines)
    }

    /// The y axis' unit, as last built.
    #[must_use]
    pub fn unit(&self) -> Option<Unit> {
        self.built.as_ref().map(|built| built.unit)
    }

    /// Builds the lines again if what they are for changed.
    fn refresh(&mut self, history: &RateHistory, now: SystemTime, lang: Lang) {
        let key = Key {
            quantity: self.quantity,
            span: self.span,
            until: now
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs()),
            pinned: self.pinned.clone(),
            lang,
        };
        if self.built.as_ref().is_some_and(|built| built.key == key) {
            return;
        }
        let (lines, unit) = build(history, &key);
        self.built = Some(Built { key, lines, unit });
    }
}

/// The lines for `key`: the totals, then the pinned peers or else the [`SHOWN_BUSIEST`] busiest in the
/// time shown, each way.
fn build(history: &RateHistory, key: &Key) -> (Vec<PlotLine>, Unit) {
    let until = SystemTime::UNIX_EPOCH + Duration::from_secs(key.until);
    let since = key
        .span
        .duration()
        .and_then(|span| until.checked_sub(span))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let total = history.total().buckets(since, until);
    let pinned: Vec<&PeerRates> = history.peers().iter().filter(|p| p.pinned).collect();
    let shown: Vec<(&PeerRates, Vec<RateBucket>)> = if pinned.is_empty() {
        let mut busiest: Vec<(&PeerRates, Vec<RateBucket>, u64)> = history
            .peers()
            .iter()
            .map(|peer| {
                let buckets = peer.series.buckets(since, until);
                let bytes = buckets
                    .iter()
                    .map(|bucket| bucket.counts.rx_bytes + bucket.counts.tx_bytes)
                    .sum();
                (peer, buckets, bytes)
            })
            .filter(|(_, _, bytes)| *bytes > 0)
            .collect();
        busiest.sort_by_key(|(peer, _, bytes)| (std::cmp::Reverse(*bytes), peer.peer));
        busiest
            .into_iter()
            .take(SHOWN_BUSIEST)
            .map(|(peer, buckets, _)| (peer, buckets))
            .collect()
    } else {
        pinned
            .into_iter()
            .map(|peer| (peer, peer.series.buckets(since, until)))
            .collect()
    };

    let max = std::iter::once(&total)
        .chain(shown.iter().map(|(_, buckets)| buckets))
        .flatten()
        .flat_map(|bucket| {
            [Direction::Rx, Direction::Tx].map(|dir| bucket.per_second(key.quantity, dir))
        })
        .fold(0.0, f64::max);
    let unit = unit_for(key.quantity, max, key.lang);
    let total_name = key.lang.pick("total", "总计");
    let until = unix_seconds(until);
    let mut lines = Vec::new();
    let sources = std::iter::once((Source::Total, &total)).chain(
        shown
            .iter()
            .enumerate()
            .map(|(n, (_, buckets))| (Source::Peer(n), buckets)),
    );
    for (source, buckets) in sources {
        if buckets.is_empty() {
            continue;
        }
        for (dir, label) in [(Direction::Rx, "RX"), (Direction::Tx, "TX")] {
            let name = match source {
                Source::Total => format!("{label} {total_name}"),
                Source::Peer(n) => shown[n].0.addr.to_string(),
            };
            lines.push(PlotLine {
                name,
                source,
                dir,
                points: steps(buckets, key.quantity, dir, unit, until),
            });
        }
    }
    (lines, unit)
}

/// The step line of `buckets` going `dir`, in `unit`: a level across each bucket, zero across time with
/// no bucket (a clock that jumped), and zero from the last bucket to `until`.
fn steps(
    buckets: &[RateBucket],
    quantity: Quantity,
    dir: Direction,
    unit: Unit,
    until: f64,
) -> Vec<PlotPoint> {
    let mut points = Vec::with_capacity(buckets.len() * 2 + 2);
    let mut last_end: Option<f64> = None;
    for bucket in buckets {
        let (start, end) = (unix_seconds(bucket.start), unix_seconds(bucket.end()));
        if let Some(last_end) = last_end
            && start > last_end
        {
            points.push(PlotPoint::new(last_end, 0.0));
            points.push(PlotPoint::new(start, 0.0));
        }
        let level = bucket.per_second(quantity, dir) / unit.divisor;
        points.push(PlotPoint::new(start, level));
        points.push(PlotPoint::new(end, level));
        last_end = Some(end);
    }
    if let Some(last_end) = last_end
        && last_end < until
    {
        points.push(PlotPoint::new(last_end, 0.0));
        points.push(PlotPoint::new(until, 0.0));
    }
    points
}

/// The peers the user has selected: the send target and the peer the log shows alone.
fn selected(app: &NetAssistApp) -> Vec<PeerId> {
    let target = match app.target {
        SendTarget::Peer(peer) => Some(peer),
        SendTarget::All | SendTarget::Default => None,
    };
    let mut peers: Vec<PeerId> = target.into_iter().chain(app.view.filter.peer).collect();
    peers.dedup();
    peers
}

/// Draws the Plots window when it is open, and keeps the rate history tracking the selected peers.
pub fn window(ctx: &egui::Context, app: &mut NetAssistApp) {
    if !app.plots.open {
        return;
    }
    let lang = app.settings.lang;
    let now = SystemTime::now();
    let selected = selected(app);
    if selected != app.plots.pinned {
        app.ctl.log_mut().pin_rates(&selected, now);
        app.plots.pinned = selected;
    }
    let mut view = std::mem::take(&mut app.plots);
    let log = app.ctl.log();
    if let Some(history) = log.rates() {
        view.refresh(history, now, lang);
        // The bucket being filled is drawn once it is whole: one frame then, not a loop.
        if let Some(wait) = history
            .total()
            .newest_end()
            .and_then(|end| end.duration_since(now).ok())
        {
            ctx.request_repaint_after(wait);
        }
    }
    let mut open = view.open;
    // At first over the log and the peers, on the right, so the settings and the Open button stay in reach.
    let screen = ctx.content_rect();
    egui::Window::new(lang.pick("Plots", "图表"))
        .id(egui::Id::unique("plots"))
        .open(&mut open)
        .pivot(egui::Align2::RIGHT_TOP)
        .default_pos(screen.right_top() + egui::vec2(-8.0, 32.0))
        .default_size([
            720.0_f32.min(screen.width() - 240.0),
            540.0_f32.min(screen.height() - 120.0),
        ])
        .collapsible(false)
        .show(ctx, |ui| view.contents_ui(ui, log, lang));
    view.open = open;
    app.plots = view;
}

impl PlotsView {
    fn contents_ui(&mut self, ui: &mut egui::Ui, log: &crate::traffic::TrafficLog, lang: Lang) {
        ui.horizontal(|ui| {
            for (quantity, label) in [
                (Quantity::Bytes, lang.pick("Bytes/s", "字节/秒")),
                (Quantity::Messages, lang.pick("Messages/s", "消息/秒")),
            ] {
                ui.selectable_value(&mut self.quantity, quantity, label);
            }
            ui.separator();
            for span in Span::ALL {
                if ui
                    .selectable_label(self.span == span, span.label(lang))
                    .clicked()
                    && self.span != span
                {
                    self.span = span;
                    self.reset_zoom = true;
                }
            }
        });
        let note = if self.pinned.is_empty() {
            lang.pick(
                "Total, and the busiest peers (RX solid, TX dashed). Pick a peer as the send target to \
                 follow it.",
                "总计和最忙的几个对端（实线为接收，虚线为发送）。在连接列表中选择一个对端作为发送目标即可跟踪它。",
            )
        } else {
            lang.pick(
                "Total, and the selected peer (RX solid, TX dashed).",
                "总计和选中的对端（实线为接收，虚线为发送）。",
            )
        };
        ui.weak(note);
        let height = (ui.available_height() * 0.55).max(150.0);
        let range = self.plot_ui(ui, height, lang);
        ui.separator();
        super::timeline::ui(ui, log, range, lang);
    }

    /// The rate plot; returns the time range it shows, for the timeline.
    fn plot_ui(&mut self, ui: &mut egui::Ui, height: f32, lang: Lang) -> RangeInclusive<f64> {
        let Some(built) = &self.built else {
            ui.weak(lang.pick("Rates are not kept for this log.", "此记录不保存速率。"));
            return 0.0..=0.0;
        };
        let until = built.key.until as f64;
        let unit = built.unit.name;
        let colors = LineColors::of(ui.visuals());
        let mut plot = Plot::new("rates")
            .height(height)
            .legend(
                Legend::default()
                    .position(Corner::LeftTop)
                    .follow_insertion_order(true),
            )
            .x_grid_spacer(time_grid)
            .x_axis_formatter(|mark, _| time_label(mark.value, mark.step_size))
            .y_axis_label(unit)
            .include_y(0.0)
            .include_x(until)
            .allow_zoom([true, false])
            .allow_drag([true, false])
            .allow_scroll(false)
            .label_formatter(move |hover| match hover {
                HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => Some(format!(
                    "{plot_name}\n{} · {:.2} {unit}",
                    clock_text(
                        SystemTime::UNIX_EPOCH + Duration::from_secs_f64(position.x.max(0.0))
                    ),
                    position.y
                )),
                HoverPosition::Elsewhere { .. } => None,
            });
        if built.lines.is_empty() {
            // Nothing counted yet: the last minute, empty.
            plot = plot.include_x(until - 60.0);
        }
        if std::mem::take(&mut self.reset_zoom) {
            plot = plot.reset();
        }
        if built.lines.is_empty() {
            ui.weak(lang.pick("No traffic yet.", "还没有数据。"));
        }
        let response = plot.show(ui, |plot_ui| {
            for line in &built.lines {
                let (color, style, width) = colors.line(line.source, line.dir);
                plot_ui.line(
                    Line::new(line.name.clone(), &line.points[..])
                        .color(color)
                        .style(style)
                        .width(width)
                        // Steps, not samples: merging a pixel's points into a band would fill between
                        // the levels of neighbouring seconds.
                        .allow_band(false),
                );
            }
        });
        response.transform.bounds().range_x()
    }
}

/// Grid lines on whole seconds, minutes and hours: each step divides the next, so the lines of a coarser
/// step fall on those of the finer.
fn time_grid(input: GridInput) -> Vec<GridMark> {
    const STEPS: [f64; 13] = [
        1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1_800.0, 3_600.0, 10_800.0, 21_600.0, 43_200.0,
        86_400.0,
    ];
    let first = STEPS
        .iter()
        .position(|&step| step >= input.base_step_size)
        .unwrap_or(STEPS.len() - 1);
    let step = |n: usize| STEPS[(first + n).min(STEPS.len() - 1)];
    egui_plot::uniform_grid_spacer(move |_| [step(0), step(1), step(2)])(input)
}

/// A time on the x axis: the time of day, with seconds when the grid is finer than a minute.
fn time_label(secs: f64, step: f64) -> String {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs_f64(secs.max(0.0));
    let format = if step >= 60.0 { "%H:%M" } else { "%H:%M:%S" };
    chrono::DateTime::<chrono::Local>::from(at)
        .format(format)
        .to_string()
}

/// The colours and styles of the lines: the totals in the log's RX and TX colours; each peer in a colour of
/// its own, received solid and sent dashed.
struct LineColors {
    log: LogColors,
    peers: [Color32; 4],
}

impl LineColors {
    fn of(visuals: &egui::Visuals) -> Self {
        let peers = if visuals.dark_mode {
            [
                Color32::from_rgb(0xE6, 0x7E, 0xE6),
                Color32::from_rgb(0xE6, 0xC8, 0x4B),
                Color32::from_rgb(0x4B, 0xD2, 0xE6),
                Color32::from_rgb(0xF0, 0x8C, 0x5A),
            ]
        } else {
            [
                Color32::from_rgb(0xA0, 0x28, 0xA0),
                Color32::from_rgb(0x7D, 0x5E, 0x00),
                Color32::from_rgb(0x00, 0x6E, 0x7D),
                Color32::from_rgb(0xB0, 0x46, 0x10),
            ]
        };
        Self {
            log: LogColors::of(visuals),
            peers,
        }
    }

    fn line(&self, source: Source, dir: Direction) -> (Color32, LineStyle, f32) {
        match source {
            Source::Total => {
                let color = match dir {
                    Direction::Rx => self.log.rx,
                    Direction::Tx => self.log.tx,
                };
                (color, LineStyle::Solid, 2.0)
            }
            Source::Peer(n) => {
                let style = match dir {
                    Direction::Rx => LineStyle::Solid,
                    Direction::Tx => LineStyle::dashed_dense(),
                };
                (self.peers[n % self.peers.len()], style, 1.5)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Event, PeerId};
    use crate::traffic::{LogConfig, TrafficLog};

    #[test]
    fn the_unit_is_the_largest_binary_multiple_the_rates_reach() {
        let name = |max| unit_for(Quantity::Bytes, max, Lang::En).name;
        assert_eq!(name(0.0), "B/s");
        assert_eq!(name(1023.0), "B/s");
        assert_eq!(name(1024.0), "KiB/s");
        assert_eq!(name(5.0 * 1024.0 * 1024.0), "MiB/s");
        assert_eq!(name(3e9), "GiB/s");
        assert!((unit_for(Quantity::Bytes, 2048.0, Lang::En).divisor - 1024.0).abs() < 1e-9);
        assert_eq!(unit_for(Quantity::Messages, 1e9, Lang::En).name, "msg/s");
        assert_eq!(unit_for(Quantity::Messages, 1.0, Lang::Zh).name, "条/秒");
    }

    fn bucket(start: u64, width: u64, rx_bytes: u64) -> RateBucket {
        RateBucket {
            start: SystemTime::UNIX_EPOCH + Duration::from_secs(start),
            width: Duration::from_secs(width),
            counts: crate::traffic::Counters {
                rx_bytes,
                ..Default::default()
            },
        }
    }

    #[test]
    fn steps_hold_each_buckets_level_and_fall_to_zero_where_nothing_was_counted() {
        let unit = unit_for(Quantity::Bytes, 0.0, Lang::En);
        let buckets = [bucket(100, 10, 50), bucket(110, 1, 7), bucket(200, 1, 3)];
        let points: Vec<[f64; 2]> = steps(&buckets, Quantity::Bytes, Direction::Rx, unit, 205.0)
            .iter()
            .map(|point| [point.x, point.y])
            .collect();
        assert_eq!(
            points,
            [
                [100.0, 5.0],
                [110.0, 5.0],
                [110.0, 7.0],
                [111.0, 7.0],
                [111.0, 0.0],
                [200.0, 0.0],
                [200.0, 3.0],
                [201.0, 3.0],
                [201.0, 0.0],
                [205.0, 0.0],
            ]
        );
        assert!(steps(&[], Quantity::Bytes, Direction::Rx, unit, 205.0).is_empty());
    }

    /// A log keeping rates, with peers 1 to `peers` connected at `start`.
    fn log_with(peers: u64, start: SystemTime) -> TrafficLog {
        let mut log = TrafficLog::new(LogConfig {
            rates: true,
            ..LogConfig::default()
        });
        for id in 1..=peers {
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 50_000 + id as u16));
            let event = Event::Connected {
                peer: PeerId(id),
                addr,
                local: addr,
                at: start,
            };
            log.apply(&event, std::time::Instant::now());
        }
        log
    }

    fn rx(log: &mut TrafficLog, peer: u64, len: usize, at: SystemTime) {
        let event = Event::Data {
            peer: PeerId(peer),
            dir: Direction::Rx,
            bytes: bytes::Bytes::from(vec![b'x'; len]),
            at,
        };
        log.apply(&event, std::time::Instant::now());
    }

    fn key(quantity: Quantity, until: SystemTime, pinned: Vec<PeerId>) -> Key {
        Key {
            quantity,
            span: Span::TenMinutes,
            until: until
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            pinned,
            lang: Lang::En,
        }
    }

    fn names(lines: &[PlotLine]) -> Vec<&str> {
        lines.iter().map(|line| line.name.as_str()).collect()
    }

    #[test]
    fn the_totals_and_the_busiest_peers_are_drawn_or_the_selected_ones() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut log = log_with(5, start);
        // Peer n sends n KiB in the first second; peer 5 sends nothing.
        for peer in 1..=4 {
            rx(&mut log, peer, peer as usize * 1024, start);
        }
        let until = start + Duration::from_secs(3);
        let (lines, unit) = build(log.rates().unwrap(), &key(Quantity::Bytes, until, vec![]));
        assert_eq!(unit.name, "KiB/s");
        assert_eq!(
            names(&lines),
            [
                "RX total",
                "TX total",
                "127.0.0.1:50004",
                "127.0.0.1:50004",
                "127.0.0.1:50003",
                "127.0.0.1:50003",
                "127.0.0.1:50002",
                "127.0.0.1:50002",
            ]
        );
        // 10 KiB in the first second, nothing in the two after.
        let total_rx: Vec<[f64; 2]> = lines[0].points.iter().map(|p| [p.x, p.y]).collect();
        let t0 = unix_seconds(start);
        assert_eq!(
            total_rx,
            [
                [t0, 10.0],
                [t0 + 1.0, 10.0],
                [t0 + 1.0, 0.0],
                [t0 + 3.0, 0.0]
            ]
        );

        // A selection replaces the busiest, even a quiet one: it is tracked from when it was selected.
        log.pin_rates(&[PeerId(5)], start);
        rx(&mut log, 5, 10, start + Duration::from_secs(1));
        let (lines, unit) = build(
            log.rates().unwrap(),
            &key(Quantity::Messages, until, vec![PeerId(5)]),
        );
        assert_eq!(unit.name, "msg/s");
        assert_eq!(
            names(&lines),
            ["RX total", "TX total", "127.0.0.1:50005", "127.0.0.1:50005"]
        );
        assert_eq!((lines[2].dir, lines[3].dir), (Direction::Rx, Direction::Tx));
        let peer_rx: Vec<f64> = lines[2].points.iter().map(|p| p.y).collect();
        assert_eq!(peer_rx, [1.0, 1.0, 0.0, 0.0], "one message in its second");
    }

    #[test]
    fn peer_lines_read_on_both_themes_plots() {
        for visuals in [egui::Visuals::dark(), egui::Visuals::light()] {
            let colors = LineColors::of(&visuals);
            for (n, dir) in (0..4).flat_map(|n| [(n, Direction::Rx), (n, Direction::Tx)]) {
                for source in [Source::Total, Source::Peer(n)] {
                    let (color, _, _) = colors.line(source, dir);
                    let ratio = crate::ui::tests::contrast(color, visuals.extreme_bg_color);
                    assert!(ratio >= 3.0, "{source:?} {dir:?} {color:?}: {ratio}");
                }
            }
            // Each peer's colour is its own, and none is a total's.
            let mut all: Vec<Color32> = colors.peers.to_vec();
            all.extend([colors.log.rx, colors.log.tx]);
            let count = all.len();
            all.sort_unstable_by_key(Color32::to_array);
            all.dedup();
            assert_eq!(all.len(), count);
        }
    }

    #[test]
    fn grid_lines_fall_on_whole_seconds_minutes_and_hours() {
        let marks = time_grid(GridInput {
            bounds: (1_000.0, 1_200.0),
            base_step_size: 7.0,
        });
        let mut steps: Vec<f64> = marks.iter().map(|mark| mark.step_size).collect();
        steps.sort_by(f64::total_cmp);
        steps.dedup();
        assert_eq!(steps, [10.0, 30.0, 60.0]);
        assert!(marks.iter().all(|mark| mark.value % 10.0 == 0.0));
        assert_eq!(time_label(0.0, 1.0).len(), "00:00:00".len());
        assert_eq!(time_label(0.0, 60.0).len(), "00:00".len());
    }
}
