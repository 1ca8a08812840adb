//! UI frame benchmark, headless (`egui_kittest`, no GPU): the time of one whole frame — taking the engine's
//! events, updating the log and drawing every panel — side by side in the same run:
//! - while a peer floods the session with lines, with a log of 10 rows (the baseline) and of 1,000,000 rows;
//! - with 10 connected clients (the baseline) and with 10,000, held by a child process.
//!
//! Run with `cargo bench --bench ui`.
#![allow(clippy::unwrap_used)]

mod clients;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use netassist::codec::Framing;
use netassist::preset::Preset;
use netassist::ui::files::{Dialogs, FileKind};
use netassist::ui::{Lang, NetAssistApp, Settings, UiAction};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const FRAMES: usize = 200;
const BIG_LOG: usize = 1_000_000;
const MANY_CLIENTS: usize = 10_000;
const FEW_CLIENTS: usize = 10;

/// The bench opens no files.
struct NoDialogs;

impl Dialogs for NoDialogs {
    fn open(&mut self, _: FileKind) -> Option<PathBuf> {
        None
    }

    fn save(&mut self, _: FileKind, _: &str) -> Option<PathBuf> {
        None
    }
}

fn harness() -> Harness<'static, NetAssistApp> {
    let settings = Settings {
        lang: Lang::En,
        preset: Preset {
            local_ip: "127.0.0.1".to_owned(),
            local_port: "0".to_owned(),
            framing: Framing::Delimiter {
                delimiter: b"\n".to_vec(),
                keep: false,
            },
            ..Preset::default()
        },
        // Room for the million rows the figure is about.
        log_mib: 512,
        ..Settings::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_context_setup(|ctx| {
            ctx.add_font_provider(Arc::new(netassist::ui::fonts::SystemFonts::new()));
        })
        .build_eframe(|_| NetAssistApp::new(settings, Box::new(NoDialogs)));
    harness.step();
    harness.state_mut().apply(UiAction::Open);
    while harness.state().log().local_addr().is_none() {
        harness.step();
    }
    harness
}

/// Sends numbered lines to `addr` until `stop` is set or `limit` lines are sent. When nobody reads (the
/// engine pauses reading while the window is behind), writes time out so `stop` is still seen.
fn flood(addr: SocketAddr, stop: &AtomicBool, limit: Option<usize>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut batch = Vec::with_capacity(64 * 1024);
    let mut line = 0usize;
    while !stop.load(Ordering::Relaxed) && limit.is_none_or(|max| line < max) {
        batch.clear();
        for _ in 0..2000 {
            writeln!(batch, "line {line:08} flood").unwrap();
            line += 1;
        }
        let mut rest = &batch[..];
        while !rest.is_empty() {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match stream.write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return,
            }
        }
    }
}

/// Mean and worst frame time in milliseconds over `FRAMES` frames while a second peer floods. With `small`,
/// the log is emptied before each frame (outside the timing), so it stays at a handful of rows.
fn frames_while_flooding(harness: &mut Harness<'static, NetAssistApp>, small: bool) -> (f64, f64) {
    let addr = harness.state().log().local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flooding = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || flood(addr, &stop, None))
    };
    let mut times = Vec::with_capacity(FRAMES);
    for _ in 0..FRAMES {
        if small {
            harness.state_mut().apply(UiAction::Clear);
        }
        let started = Instant::now();
        harness.step();
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    stop.store(true, Ordering::Relaxed);
    flooding.join().unwrap();
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let worst = times.iter().copied().fold(0.0, f64::max);
    (mean, worst)
}

/// Mean and worst frame time in milliseconds over `FRAMES` frames with `count` clients connected (each sent
/// one line, then nothing).
fn frames_with_clients(count: usize) -> (f64, f64) {
    let mut harness = harness();
    let addr = harness.state().log().local_addr().unwrap();
    clients::with_clients(addr, count, || {
        let deadline = Instant::now() + Duration::from_mins(2);
        while harness.state().log().connected_peers() < count && Instant::now() < deadline {
            harness.step();
        }
        assert_eq!(harness.state().log().connected_peers(), count);
        let mut times = Vec::with_capacity(FRAMES);
        for _ in 0..FRAMES {
            let started = Instant::now();
            harness.step();
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let worst = times.iter().copied().fold(0.0, f64::max);
        (mean, worst)
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if clients::child(&args) {
        return;
    }
    let clients_figures = clients::raise_descriptor_limit(MANY_CLIENTS).then(|| {
        (
            frames_with_clients(FEW_CLIENTS),
            frames_with_clients(MANY_CLIENTS),
        )
    });

    let mut small = harness();
    let (small_mean, small_worst) = frames_while_flooding(&mut small, true);
    let small_rows = small.state().log().len();

    let mut big = harness();
    let addr = big.state().log().local_addr().unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| flood(addr, &stop, Some(BIG_LOG)));
        let deadline = Instant::now() + Duration::from_mins(2);
        while big.state().log().len() < BIG_LOG && Instant::now() < deadline {
            big.step();
        }
        stop.store(true, Ordering::Relaxed);
    });
    let filled = big.state().log().len();
    let (big_mean, big_worst) = frames_while_flooding(&mut big, false);
    let big_rows = big.state().log().len();

    println!(
        "NetAssist UI frame benchmark ({FRAMES} frames each, a peer flooding lines throughout)\n"
    );
    println!("| log | rows at the end | mean frame | worst frame |");
    println!("|---|---|---|---|");
    println!(
        "| baseline: log emptied before each frame | {small_rows} | {small_mean:.2} ms | {small_worst:.2} ms |"
    );
    println!(
        "| {filled} rows before flooding | {big_rows} | {big_mean:.2} ms | {big_worst:.2} ms |"
    );
    println!(
        "\nmean frame, large log / small log: {:.2}x (target: at most 4 ms a frame)",
        big_mean / small_mean
    );
    println!("\n| connected clients | mean frame | worst frame |");
    println!("|---|---|---|");
    match clients_figures {
        Some(((few_mean, few_worst), (many_mean, many_worst))) => {
            println!("| baseline: {FEW_CLIENTS} | {few_mean:.2} ms | {few_worst:.2} ms |");
            println!("| {MANY_CLIENTS} | {many_mean:.2} ms | {many_worst:.2} ms |");
            println!(
                "\nmean frame, {MANY_CLIENTS} clients / {FEW_CLIENTS}: {:.2}x (target: at most 1.2x and 4 ms a frame)",
                many_mean / few_mean
            );
        }
        None => println!("| {MANY_CLIENTS} | skipped: too few file descriptors allowed | |"),
    }
}
