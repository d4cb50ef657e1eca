//! extism-codec
