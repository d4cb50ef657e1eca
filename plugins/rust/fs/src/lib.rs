//! fs: WASI file-system plug-in (wasm32-wasip1 only).
//!
//! Paths are guest paths under the directories the host pre-opens
//! (`allowed_paths`).

use extism_pdk::*;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct WriteRequest {
    path: String,
    content: String,
}

/// Input `{"path": "...", "content": "..."}`; outputs the number of bytes written.
#[plugin_fn]
pub fn write_file(Json(req): Json<WriteRequest>) -> FnResult<String> {
    std::fs::write(&req.path, req.content.as_bytes())
        .map_err(|e| Error::msg(format!("write {}: {e}", req.path)))?;
    Ok(req.content.len().to_string())
}

/// Input: a path; output: the file's bytes.
#[plugin_fn]
pub fn read_file(path: String) -> FnResult<Vec<u8>> {
    let data = std::fs::read(&path).map_err(|e| Error::msg(format!("read {path}: {e}")))?;
    Ok(data)
}

/// Input: a directory path; output: JSON array of the entry names, sorted.
#[plugin_fn]
pub fn list_dir(path: String) -> FnResult<Json<Vec<String>>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&path).map_err(|e| Error::msg(format!("list {path}: {e}")))? {
        let entry = entry?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(Json(names))
}

/// Writes a line to stdout and one to stderr; outputs "printed".
#[plugin_fn]
pub fn print_stdout() -> FnResult<&'static str> {
    println!("hello from the fs plug-in's stdout");
    eprintln!("hello from the fs plug-in's stderr");
    Ok("printed")
}
