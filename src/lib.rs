//! NetAssist (网络调试助手): a TCP/UDP network debug assistant.
//!
//! The library holds all logic so it can be tested without a window; the binary is a thin shell over it.
//!
//! # Layout
