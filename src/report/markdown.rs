//! The report's Markdown, section by section, in English or Chinese: where and when, the preset, the
//! sessions, the peers (with a relay's connects on to the target that failed), the checks, the files
//! with their SHA-256, and what was dropped or not sent.

use std::fmt::Write;
use std::time::SystemTime;

use super::digest::{FileKind, digests};
use super::{Machine, NOTES_LISTED, PEERS_LISTED, Subject};
use super::{relay, tls};
use crate::check::{Report as CheckReport, StepState, duration_text, step_text};
use crate::engine::Mode;
use crate::format::opened_text;
use crate::history::{History, SessionSpan};
use crate::i18n::{Lang, Text};
use crate::traffic::{Counters, Note, PeerStats, RowKind, TrafficLog};

/// The whole report on `subject` in `lang`, written at `at` on `machine`.
#[must_use]
pub fn markdown(subject: &Subject<'_>, lang: Lang, at: SystemTime, machine: &Machine) -> String {
    let mut out = String::new();
    head(&mut out, lang, at, machine);
    preset(&mut out, subject, lang);
    sessions(&mut out, subject, lang);
    peers(&mut out, subject, lang);
    checks(&mut out, subject.checks, lang);
    files(&mut out, subject, lang);
    losses(&mut out, subject, lang);
    out
}

/// Text for a table cell: no line breaks, and `|` escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// Text in a code span, with enough backticks around it (and the spaces Markdown then asks for).
fn code(text: &str) -> String {
    let mut fence = String::from("`");
    while text.contains(fence.as_str()) {
        fence.push('`');
    }
    let pad = if fence.len() > 1 { " " } else { "" };
    format!("{fence}{pad}{}{pad}{fence}", cell(text))
}

/// A table's header: each column's name, and whether it holds numbers (aligned right).
fn table_head(out: &mut String, columns: &[(&str, bool)]) {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let rules: Vec<&str> = columns
        .iter()
        .map(|(_, number)| if *number { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "| {} |\n| {} |", names.join(" | "), rules.join(" | "));
}

fn iso(at: SystemTime) -> String {
    crate::timestamp::iso_text(at)
}

fn head(out: &mut String, lang: Lang, at: SystemTime, machine: &Machine) {
    let _ = writeln!(
        out,
        "# {}\n",
        lang.pick("NetAssist report", "NetAssist 报告")
    );
    let version = env!("CARGO_PKG_VERSION");
    let rows = [
        (lang.pick("Written", "写于"), iso(at)),
        (lang.pick("PC", "电脑"), code(&machine.host)),
        (lang.pick("System", "系统"), cell(&machine.os)),
        (lang.pick("Program", "程序"), format!("NetAssist {version}")),
    ];
    table_head(out, &[("", false), ("", false)]);
    for (name, value) in rows {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    out.push('\n');
}

fn preset(out: &mut String, subject: &Subject<'_>, lang: Lang) {
    let _ = writeln!(out, "## {}\n", lang.pick("Preset", "预设"));
    match subject.preset_file {
        Some(path) => {
            let name = path
                .file_stem()
                .unwrap_or(path.as_os_str())
                .to_string_lossy();
            let _ = writeln!(
                out,
                "**{}** ({} {})\n",
                cell(&name),
                lang.pick("file", "文件"),
                code(&path.display().to_string())
            );
        }
        None => {
            let _ = writeln!(
                out,
                "{}\n",
                lang.pick(
                    "Not saved to a file: the settings below were in use.",
                    "未保存为文件：使用的是下面的设置。"
                )
            );
        }
    }
    let _ = writeln!(
        out,
        "{}: {}\n",
        lang.pick("Mode", "模式"),
        subject.preset.mode.label(lang)
    );
    let _ = writeln!(out, "~~~ron\n{}\n~~~\n", subject.preset.to_ron());
}

fn sessions(out: &mut String, subject: &Subject<'_>, lang: Lang) {
    let history = subject.controller.history();
    let _ = writeln!(out, "## {}\n", lang.pick("Sessions", "会话"));
    if history.sessions().next().is_none() {
        let _ = writeln!(
            out,
            "{}\n",
            lang.pick("No session was opened.", "没有打开过会话。")
        );
        return;
    }
    let dropped = history.sessions_dropped();
    if dropped > 0 {
        let _ = writeln!(
            out,
            "{}\n",
            match lang {
                Lang::En => format!("{dropped} earlier sessions are not listed."),
                Lang::Zh => format!("更早的 {dropped} 个会话未列出。"),
            }
        );
    }
    table_head(
        out,
        &[
            ("#", true),
            (lang.pick("Mode", "模式"), false),
            (lang.pick("Local address", "本地地址"), false),
            (lang.pick("Opened", "打开"), false),
            (lang.pick("Ended", "结束"), false),
            (lang.pick("Peers", "连接对象"), true),
        ],
    );
    for (number, span) in history.sessions().enumerate() {
        let ended = span
            .ended
            .map_or_else(|| lang.pick("still open", "仍在运行").to_owned(), iso);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {ended} | {} |",
            number + 1,
            cell(&session_cell(span, subject.controller.log(), lang)),
            span.local.map_or_else(String::new, |a| a.to_string()),
            iso(span.opened),
            relay::sides_cell(span, subject.controller.log().peers(), lang)
                .unwrap_or_else(|| span.connections.to_string())
        );
    }
    out.push('\n');
    for (number, span) in history.sessions().enumerate() {
        if let Some(error) = &span.error {
            let _ = writeln!(
                out,
                "- {} {}: {}",
                lang.pick("Session", "会话"),
                number + 1,
                cell(&error.text(lang))
            );
        }
    }
    if history.sessions().any(|span| span.error.is_some()) {
        out.push('\n');
    }
}

/// A session's mode and addresses, and TLS when its connections used it.
fn session_cell(span: &SessionSpan, log: &TrafficLog, lang: Lang) -> String {
    let tls = tls::session_suffix(span, log.peers(), lang).unwrap_or_default();
    format!("{}{tls}", opened_text(&span.mode, lang))
}

/// The peers of one session (or of none kept), with their counters and close reasons; `relay`: the
/// session is a relay's.
fn peer_table<'a>(
    out: &mut String,
    peers: impl Iterator<Item = &'a PeerStats>,
    relay: bool,
    listed: &mut usize,
    lang: Lang,
) {
    table_head(
        out,
        &[
            (lang.pick("Peer", "对象"), false),
            (lang.pick("Address", "地址"), false),
            (lang.pick("Connected", "连接于"), false),
            (lang.pick("RX bytes", "收字节"), true),
            (lang.pick("RX messages", "收消息"), true),
            (lang.pick("TX bytes", "发字节"), true),
            (lang.pick("TX messages", "发消息"), true),
            (lang.pick("Closed", "关闭"), false),
        ],
    );
    let mut totals = Counters::default();
    let mut count = 0usize;
    let mut unlisted = 0usize;
    let mut tls_lines = Vec::new();
    for peer in peers {
        count += 1;
        let c = peer.counters;
        totals.rx_bytes += c.rx_bytes;
        totals.rx_messages += c.rx_messages;
        totals.tx_bytes += c.tx_bytes;
        totals.tx_messages += c.tx_messages;
        if *listed >= PEERS_LISTED {
            unlisted += 1;
            continue;
        }
        *listed += 1;
        tls_lines.push(tls::peer_line(peer, lang));
        let mut closed = peer.closed.as_ref().map_or_else(
            || lang.pick("still connected", "仍在连接").to_owned(),
            |reason| reason.text(lang),
        );
        if let Some(raw) = tls::failed_handshake(peer, lang) {
            closed.push_str(&raw);
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            peer.id,
            relay::peer_cell(&peer.addr, relay, lang),
            iso(peer.since),
            c.rx_bytes,
            c.rx_messages,
            c.tx_bytes,
            c.tx_messages,
            cell(&closed)
        );
    }
    if count > 1 || unlisted > 0 {
        let _ = writeln!(
            out,
            "| {} | | | {} | {} | {} | {} | |",
            lang.pick("**All**", "**合计**"),
            totals.rx_bytes,
            totals.rx_messages,
            totals.tx_bytes,
            totals.tx_messages
        );
    }
    out.push('\n');
    let lines: Vec<String> = tls_lines.into_iter().flatten().collect();
    if !lines.is_empty() {
        let _ = writeln!(out, "TLS:\n");
        for line in lines {
            let _ = writeln!(out, "- {}", cell(&line));
        }
        out.push('\n');
    }
    if unlisted > 0 {
        let _ = writeln!(
            out,
            "{}\n",
            match lang {
                Lang::En => format!("{unlisted} more peers are counted above but not listed."),
                Lang::Zh => format!("另有 {unlisted} 个对象计入合计，未逐一列出。"),
            }
        );
    }
}

fn peers(out: &mut String, subject: &Subject<'_>, lang: Lang) {
    let log = subject.controller.log();
    let history = subject.controller.history();
    let _ = writeln!(out, "## {}\n", lang.pick("Peers", "连接对象"));
    if log.peer_count() == 0 {
        let _ = writeln!(
            out,
            "{}\n",
            lang.pick("No peer connected.", "没有对象连接。")
        );
        return;
    }
    let _ = writeln!(
        out,
        "{}\n",
        lang.pick(
            "Bytes are counted as read and written; messages as the log's framing cut them.",
            "字节数按实际读写计；消息数按记录的分帧方式计。"
        )
    );
    let spans: Vec<&SessionSpan> = history.sessions().collect();
    let mut listed = 0;
    for (number, span) in spans.iter().enumerate() {
        if !log.peers().any(|p| span.has_peer(p.id)) {
            continue;
        }
        let _ = writeln!(
            out,
            "### {} {}: {}\n",
            lang.pick("Session", "会话"),
            number + 1,
            cell(&session_cell(span, log, lang))
        );
        peer_table(
            out,
            log.peers().filter(|p| span.has_peer(p.id)),
            matches!(span.mode, Mode::Relay { .. }),
            &mut listed,
            lang,
        );
    }
    let in_none = |p: &&PeerStats| !spans.iter().any(|span| span.has_peer(p.id));
    if log.peers().any(|p| in_none(&p)) {
        let _ = writeln!(out, "### {}\n", lang.pick("Earlier sessions", "更早的会话"));
        peer_table(out, log.peers().filter(in_none), false, &mut listed, lang);
    }
    failed_connects(out, log, history, lang);
}

fn checks(out: &mut String, reports: &[CheckReport], lang: Lang) {
    let _ = writeln!(out, "## {}\n", lang.pick("Device checks", "设备检查"));
    if reports.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            lang.pick("No device check was run.", "没有运行设备检查。")
        );
    }
    for report in reports {
        check(out, report, lang);
    }
}

fn check(out: &mut String, report: &CheckReport, lang: Lang) {
    let outcome = match report.finished {
        Some((outcome, took)) => format!("{} ({})", outcome.text(lang), duration_text(took)),
        None => lang.pick("still running", "仍在运行").to_owned(),
    };
    let _ = writeln!(out, "### {}: {outcome}\n", cell(&report.name));
    if let Some(started) = report.started {
        let _ = writeln!(
            out,
            "{}: {}\n",
            lang.pick("Started", "开始于"),
            iso(started)
        );
    }
    table_head(
        out,
        &[
            (lang.pick("Step", "步骤"), false),
            (lang.pick("What", "内容"), false),
            (lang.pick("Result", "结果"), false),
            (lang.pick("Passed", "通过次数"), true),
            (lang.pick("Time", "用时"), true),
            (lang.pick("Ended", "结束于"), false),
        ],
    );
    for (index, summary) in report.steps.iter().enumerate() {
        let result = match &summary.latest {
            None => lang.pick("not reached", "未执行"),
            Some((_, StepState::Running)) => lang.pick("running", "运行中"),
            Some((_, StepState::Passed { .. })) => "PASS",
            Some((_, StepState::Failed { .. })) => "FAIL",
            Some((_, StepState::Stopped { .. })) => lang.pick("STOPPED", "已停止"),
        };
        let ended = report
            .results
            .iter()
            .rev()
            .find(|r| r.step.0 as usize == index)
            .map_or_else(String::new, |r| iso(r.at));
        let _ = writeln!(
            out,
            "| {} | {} | {result} | {} | {} | {ended} |",
            summary.path,
            cell(&step_text(&summary.step, lang)),
            summary.passed,
            duration_text(summary.total)
        );
    }
    out.push('\n');
    for latency in report.latencies() {
        let Some(summary) = report.step(latency.step) else {
            continue;
        };
        let _ = writeln!(
            out,
            "- {} {} ({}): min {}, {} {}, max {}, {} {}",
            lang.pick("Latency of step", "延迟，步骤"),
            summary.path,
            cell(&step_text(&summary.step, lang)),
            duration_text(latency.min),
            lang.pick("median", "中位数"),
            duration_text(latency.median),
            duration_text(latency.max),
            latency.samples,
            lang.pick("samples", "次")
        );
    }
    if let Some(failure) = report.failure() {
        let _ = writeln!(
            out,
            "\n**{}** {}",
            lang.pick("First failure:", "首个失败："),
            cell(&failure.text(lang))
        );
    }
    out.push('\n');
}

fn files(out: &mut String, subject: &Subject<'_>, lang: Lang) {
    let _ = writeln!(out, "## {}\n", lang.pick("Files", "文件"));
    let listed = digests(subject.files, subject.controller.log());
    if listed.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            lang.pick(
                "No capture or pcapng file was written.",
                "没有写入记录文件或 pcapng 文件。"
            )
        );
        return;
    }
    let _ = writeln!(
        out,
        "{}\n",
        lang.pick(
            "Check a file handed in with `sha256sum FILE` (Linux, macOS: `shasum -a 256 FILE`) or \
             `certutil -hashfile FILE SHA256` (Windows): the hash must be the one here.",
            "用 `sha256sum 文件`（Linux；macOS 用 `shasum -a 256 文件`）或 `certutil -hashfile 文件 SHA256`\
             （Windows）核对随报告提交的文件：哈希值必须与此处相同。"
        )
    );
    table_head(
        out,
        &[
            (lang.pick("File", "文件"), false),
            (lang.pick("Kind", "类型"), false),
            (lang.pick("Bytes", "字节"), true),
            ("SHA-256", false),
        ],
    );
    for digest in listed {
        let kind = match digest.file.kind {
            FileKind::Capture { .. } => lang.pick("capture", "记录"),
            FileKind::RawBytes => lang.pick("raw bytes of a peer", "对象的原始字节"),
            FileKind::Pcapng => "pcapng",
        };
        let path = code(&digest.file.path.display().to_string());
        let _ = match &digest.hash {
            Ok((size, hash)) => writeln!(out, "| {path} | {kind} | {size} | `{hash}` |"),
            Err(error) => writeln!(
                out,
                "| {path} | {kind} | | {}: {} |",
                lang.pick("cannot be read", "无法读取"),
                cell(&error.to_string())
            ),
        };
    }
    out.push('\n');
}

/// Whether a log note tells of something dropped or not sent.
fn is_loss(note: &Note) -> bool {
    matches!(
        note,
        Note::Unsent { .. }
            | Note::SendDropped { .. }
            | Note::Dropped { .. }
            | Note::Rejected { .. }
    )
}

fn losses(out: &mut String, subject: &Subject<'_>, lang: Lang) {
    let _ = writeln!(
        out,
        "## {}\n",
        lang.pick("Dropped or not sent", "丢弃或未发送")
    );
    let log = subject.controller.log();
    let losses = subject.controller.history().losses();
    let mut lines = Vec::new();
    let mut line = |n: u64, en: String, zh: String| {
        if n > 0 {
            lines.push(lang.pick_owned(&en, &zh));
        }
    };
    line(
        losses.unsent_sends,
        format!(
            "Not sent: {} bytes of {} sends (the connection ended first).",
            losses.unsent_bytes, losses.unsent_sends
        ),
        format!(
            "未发送：{} 次发送中的 {} 字节（连接先结束了）。",
            losses.unsent_sends, losses.unsent_bytes
        ),
    );
    line(
        losses.send_dropped,
        format!(
            "Dropped: {} sends ({} bytes) did not fit behind a peer that was not reading.",
            losses.send_dropped, losses.send_dropped_bytes
        ),
        format!(
            "已丢弃：{} 次发送（{} 字节）因对方未读取而放不下。",
            losses.send_dropped, losses.send_dropped_bytes
        ),
    );
    line(
        losses.datagrams_dropped,
        format!(
            "The OS dropped {} UDP datagrams: the receive buffer was full.",
            losses.datagrams_dropped
        ),
        format!(
            "操作系统丢弃了 {} 个 UDP 数据报：接收缓冲区已满。",
            losses.datagrams_dropped
        ),
    );
    line(
        losses.rejected,
        format!(
            "{} clients were refused: the server was full.",
            losses.rejected
        ),
        format!("{} 个客户端因服务器已满被拒绝。", losses.rejected),
    );
    let skipped = subject.controller.periodic().map_or(0, |p| p.skipped);
    line(
        skipped,
        format!("The periodic send skipped {skipped} ticks (the machine woke too late)."),
        format!("定时发送跳过了 {skipped} 次（机器唤醒太晚）。"),
    );
    line(
        log.dropped_rows(),
        format!(
            "The log's memory let go of its {} oldest rows (the counters above still count them).",
            log.dropped_rows()
        ),
        format!(
            "记录的内存已释放最早的 {} 行（上面的计数仍包含它们）。",
            log.dropped_rows()
        ),
    );
    if lines.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            lang.pick(
                "Nothing was dropped, and every send went out.",
                "没有丢弃任何数据，所有发送均已发出。"
            )
        );
        return;
    }
    for text in lines {
        let _ = writeln!(out, "- {text}");
    }
    loss_notes(out, log, subject.controller.history(), lang);
}

/// The log's own rows about what was dropped or not sent, as far as it still holds them.
fn loss_notes(out: &mut String, log: &TrafficLog, history: &History, lang: Lang) {
    let intro = lang.pick("The log's rows about them:", "记录中的相关行：");
    if !note_rows(out, log, history, lang, intro, is_loss) {
        out.push('\n');
    }
}

/// A relay's connects on to the target that failed, as the log's rows (as far as it still holds
/// them): the peers' closes give only the last failure of each device.
fn failed_connects(out: &mut String, log: &TrafficLog, history: &History, lang: Lang) {
    let intro = lang.pick(
        "Connects on to the target that failed (a device whose target was never reached is closed \
         with the last one's reason):",
        "转接到目标失败的连接尝试（始终未连上目标的设备，其关闭原因为最后一次失败）：",
    );
    note_rows(out, log, history, lang, intro, |note| {
        matches!(note, Note::ConnectFailed { .. })
    });
}

/// The log's own rows whose note `pick` picks, under `intro`, at most [`NOTES_LISTED`], each naming
/// its peer as the Peers table does; whether there were any (nothing is written when there are none).
fn note_rows(
    out: &mut String,
    log: &TrafficLog,
    history: &History,
    lang: Lang,
    intro: &str,
    pick: fn(&Note) -> bool,
) -> bool {
    let notes: Vec<_> = (0..log.len())
        .filter_map(|i| log.row(i))
        .filter_map(|row| match &row.kind {
            RowKind::Note(note) if pick(note) => Some((row, note)),
            _ => None,
        })
        .collect();
    if notes.is_empty() {
        return false;
    }
    let _ = writeln!(out, "\n{intro}\n");
    for (row, note) in notes.iter().take(NOTES_LISTED) {
        let _ = writeln!(
            out,
            "- {} {} {}",
            iso(row.at),
            relay::row_peer(log, history, row, lang),
            cell(&note.text(lang))
        );
    }
    if notes.len() > NOTES_LISTED {
        let more = notes.len() - NOTES_LISTED;
        let _ = writeln!(
            out,
            "- {}",
            match lang {
                Lang::En => format!("… and {more} more."),
                Lang::Zh => format!("……另有 {more} 行。"),
            }
        );
    }
    out.push('\n');
    true
}
