//! extism-macros
