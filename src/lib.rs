//! NetAssist (网络调试助手): a TCP/UDP network debug assistant.
//!
//! The library holds all logic so it can be tested without a window; the binary is a thin shell over it.
//!
//! # Layout
//! - [`codec`]: bytes ⇄ what a person types and reads: text encodings, hex, escapes, checksums, the send
//!   pipeline, and framing a byte stream into messages. Pure functions and small state machines, no I/O.

pub mod codec;
