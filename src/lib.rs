//! Examples and integration tests of the extism-rs workspace.
