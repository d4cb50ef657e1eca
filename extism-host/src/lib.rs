//! extism-host
