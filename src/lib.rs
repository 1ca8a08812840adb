//! `NetAssist` (网络调试助手): a TCP/UDP network debug assistant.
//!
//! The library holds all logic so it can be tested without a window; the binary is a thin shell over it.
//!
//! # Layout
//! - [`addr`]: addresses as users write them (IPv6 scopes as numbers or interface names, `HOST:PORT`), parsed
//!   in one place for the window, presets, the command line and the engine.
//! - [`codec`]: bytes ⇄ what a person types and reads: text encodings, hex, escapes, checksums, the send
//!   pipeline, and framing a byte stream into messages. Pure functions and small state machines, no I/O.
//! - [`check`]: device checks: named lists of steps (wait for a client, connect, send, expect, wait,
//!   repeat, disconnect, expect the close) kept in presets, checked and compiled once with each mistake's
//!   step and position, run by a state machine that the engine's worker feeds, and a report of each step's
//!   result, time and latency and of the first failure with what arrived instead. Pure, no I/O.
//! - [`engine`]: sessions (TCP server, TCP client, UDP) whose sockets live on a worker thread. The caller
//!   sends [`engine::Command`]s and receives [`engine::Event`]s; the worker wakes the caller through a
//!   coalesced waker so a flood of packets never turns into a flood of repaints.
//! - [`expect`]: expectations a script waits for, met in order, and what a message is for them (with raw
//!   framing, each peer's byte stream since the last match, so a message in pieces still matches).
//! - [`traffic`]: the bounded traffic log between the engine and the window (`traffic/log.rs`): framed
//!   rows by index in a store with a byte budget (`rows.rs`), per-peer statistics, totals and rates
//!   (`stats.rs`), rates over time for the plots in a bounded number of buckets and peers (`rates.rs`), how
//!   each connection ended for the timeline (`timeline.rs`), and filtered views of the rows (`filter.rs`).
//!   No I/O, no threads, no GUI.
//! - [`format`](mod@format): how a row reads: directions, peer names, data as text or hex, connection events in both
//!   languages, and the line format shared by the window's copy, the command line, captures and exports.
//! - [`timestamp`]: times as the record writes them (time of day, ISO 8601, capture stamps); a leaf, so
//!   reply rules write `{time}` as the log does.
//! - [`preset`]: a session's settings as a versioned [`preset::Preset`], saved to and loaded from `.ron` files
//!   forgivingly (defaults for missing fields, warnings for unknown ones, line and column for broken files).
//! - [`rules`]: reply rules (match a message, answer it), checked and compiled once; the engine runs them in
//!   the session's worker. Pure, no I/O.
//! - [`recording`]: files written live from a session's events, each on a thread of its own behind a
//!   bounded queue, with a write failure (or a size limit) reported once: what the capture and the pcapng
//!   file share.
//! - [`capture`]: traffic streamed to files as it arrives (a recording); and exports of the log as text and
//!   CSV, in [`format`](mod@format)'s words.
//! - [`pcap`]: pcapng files for Wireshark (a recording): each TCP connection a TCP stream with made-up
//!   headers around the real bytes and times, each UDP datagram a UDP packet (`pcap/packets.rs`), in
//!   pcapng blocks that say where the file came from (`pcap/file.rs`); and the window's export copy.
//! - [`doctor`]: the connection doctor: this PC's adapters against a bind address and a target, whether a
//!   port can be opened and who holds it, firewall rules, and whether a target answers, as findings with a
//!   status, an explanation and what to do, and a text report of them (`netassist doctor`; the window's
//!   Diagnose calls it off its UI thread); also what a connection's close reason usually means.
//! - [`cli`]: the headless command line (`netassist tcp-server …`, `netassist run PRESET.ron`): clap's
//!   arguments (`cli/args.rs`), the plan from flags or a preset file (`plan.rs`), the session loop
//!   (`runner.rs`), and event lines as text or JSON with the expectations' summary (`output.rs`); exit codes
//!   for scripts.
//! - [`i18n`]: the two languages (English, Chinese) of the window and of messages meant for people, and
//!   [`i18n::Text`] for a type whose words another module writes.
//! - [`history`]: what the controller remembers of its sessions for a report: each one's mode, local
//!   address, start, end and peers, and what did not go out or was dropped, counted from the events.
//! - [`session`]: the controller both front ends use: one engine session at a time with its log, capture,
//!   pcapng recording, expectations and sends on connect; events recorded in one place, and stopping that
//!   lets what is scheduled go out first.
//! - [`report`]: a report to hand in: one Markdown (or HTML) file with the PC, the preset, the sessions,
//!   the peers with their counters and close reasons, the checks' results, the SHA-256 of the files
//!   written, and what was dropped or not sent.
//! - [`replay`]: record and replay: a conversation read back from a pcapng file, played again as the
//!   device or as the PC, as a device check made from the recording (sends at the recorded gaps, or
//!   each after what the other end sent before it).
//! - [`ui`]: the egui window (the only module that uses egui): panels that draw the app's state and return
//!   what the user asked for.
//!
//! Dependencies run one way: each module uses only modules listed before it here: `codec`, `i18n`,
//! `timestamp`; `rules`; `check`; `engine`; `doctor`; `preset`; `traffic`; `format`; `recording`; `capture`; `pcap`;
//! `history`; `session`; `report`; `replay`; `cli`; `ui`.

pub mod addr;
pub mod capture;
pub mod check;
pub mod cli;
pub mod codec;
pub mod doctor;
pub mod engine;
pub mod expect;
pub mod format;
pub mod history;
pub mod i18n;
pub mod pcap;
pub mod preset;
pub mod recording;
pub mod replay;
pub mod report;
pub mod rules;
pub mod session;
pub mod timestamp;
pub mod traffic;
pub mod ui;
