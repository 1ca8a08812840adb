//! `NetAssist` (网络调试助手): a TCP/UDP network debug assistant.
//!
//! The library holds all logic so it can be tested without a window; the binary is a thin shell over it.
//!
//! # Layout
//! - [`addr`]: addresses as users write them (IPv6 scopes as numbers or interface names, `HOST:PORT`), parsed
//!   in one place for the window, presets, the command line and the engine.
//! - [`codec`]: bytes ⇄ what a person types and reads: text encodings, hex, escapes, checksums, the send
//!   pipeline, and framing a byte stream into messages. Pure functions and small state machines, no I/O.
//! - [`engine`]: sessions (TCP server, TCP client, UDP) whose sockets live on a worker thread. The caller
//!   sends [`engine::Command`]s and receives [`engine::Event`]s; the worker wakes the caller through a
//!   coalesced waker so a flood of packets never turns into a flood of repaints.
//! - [`traffic`]: the bounded traffic log between the engine and the window: framed rows by index, per-peer
//!   statistics and totals, and filtered views of the rows. No I/O, no threads, no GUI.
//! - [`preset`]: a session's settings as a versioned [`preset::Preset`], saved to and loaded from `.ron` files
//!   forgivingly (defaults for missing fields, warnings for unknown ones, line and column for broken files).
//! - [`rules`]: reply rules (match a message, answer it), checked and compiled once; the engine runs them in
//!   the session's worker. Pure, no I/O.
//! - [`capture`]: traffic streamed to files as it arrives, on a thread of its own; and exports of the log
//!   as text and CSV.
//! - [`cli`]: the headless command line (`netassist tcp-server …`, `netassist run PRESET.ron`): a preset from
//!   flags or a file, event lines (text or JSON) out, expectations checked, exit codes for scripts.
//! - [`i18n`]: the two languages (English, Chinese) of the window and of messages meant for people.
//! - [`ui`]: the egui window (the only module that uses egui): panels that draw the app's state and return
//!   what the user asked for.

pub mod addr;
pub mod capture;
pub mod cli;
pub mod codec;
pub mod engine;
pub mod i18n;
pub mod preset;
pub mod rules;
pub mod traffic;
pub mod ui;
