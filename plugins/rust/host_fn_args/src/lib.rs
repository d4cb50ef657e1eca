//! host_fn_args: calls host functions declared with extism-pdk's `#[host_fn]`, one kind
//! of argument per export, for the tests of extism-host's `#[host_fn]`.
//!
//! The PDK passes every argument as the `i64` offset of a memory block (numbers as their
//! little-endian bytes) and reads any declared result from the block whose offset the
//! host returns. All functions are in `extism:host/user`.
//!
//! * `numbers`: input JSON `{"a","b": i32, "x","y": i64, "u","v": u32, "p","q": u64,
//!   "f": f32, "g","h": f64}`; calls `add_i32(a, b)`, `mul_i64(x, y)`, `max_u32(u, v)`,
//!   `sum_u64(p, q)`, `half_f32(f)`, `hypot_f64(g, h)`; output JSON of the six results
//!   under the functions' names.
//! * `strings`: output `greet(input)`.
//! * `json`: input JSON `{"point": {"x","y": i32}, "by": {...}}`; output JSON
//!   `translate(point, by)`.
//! * `pod`: input JSON `{"pos": [f32; 3], "id": u32, "factor": f32}`; calls
//!   `scale_vertex(vertex, factor)` with the vertex as 16 bytes (three f32 and a u32,
//!   little-endian, the layout of a `#[repr(C)]` struct); output JSON of the vertex it
//!   gets back.
//! * `record_event`: calls `record(input)`, which has no result; output empty.
//! * `fail_with`: output `fail(input)` (the host is expected to fail it).
//! * `next_ids`: input decimal N; calls `next_id()` N times; output the ids joined by
//!   commas.

use extism_pdk::*;
use serde::{Deserialize, Serialize};

#[host_fn]
extern "ExtismHost" {
    fn add_i32(a: i32, b: i32) -> i32;
    fn mul_i64(a: i64, b: i64) -> i64;
    fn max_u32(a: u32, b: u32) -> u32;
    fn sum_u64(a: u64, b: u64) -> u64;
    fn half_f32(x: f32) -> f32;
    fn hypot_f64(a: f64, b: f64) -> f64;
    fn greet(name: String) -> String;
    fn translate(point: Json<Point>, by: Json<Point>) -> Json<Point>;
    fn scale_vertex(vertex: Vec<u8>, factor: f32) -> Vec<u8>;
    fn record(event: String);
    fn fail(message: String) -> String;
    fn next_id() -> u64;
}

#[derive(Deserialize)]
struct Numbers {
    a: i32,
    b: i32,
    x: i64,
    y: i64,
    u: u32,
    v: u32,
    p: u64,
    q: u64,
    f: f32,
    g: f64,
    h: f64,
}

#[derive(Serialize)]
struct NumberResults {
    add_i32: i32,
    mul_i64: i64,
    max_u32: u32,
    sum_u64: u64,
    half_f32: f32,
    hypot_f64: f64,
}

#[plugin_fn]
pub fn numbers(Json(n): Json<Numbers>) -> FnResult<Json<NumberResults>> {
    let results = unsafe {
        NumberResults {
            add_i32: add_i32(n.a, n.b)?,
            mul_i64: mul_i64(n.x, n.y)?,
            max_u32: max_u32(n.u, n.v)?,
            sum_u64: sum_u64(n.p, n.q)?,
            half_f32: half_f32(n.f)?,
            hypot_f64: hypot_f64(n.g, n.h)?,
        }
    };
    Ok(Json(results))
}

#[plugin_fn]
pub fn strings(name: String) -> FnResult<String> {
    Ok(unsafe { greet(name)? })
}

#[derive(Serialize, Deserialize)]
pub struct Point {
    x: i32,
    y: i32,
}

#[derive(Deserialize)]
struct Translation {
    point: Point,
    by: Point,
}

#[plugin_fn]
pub fn json(Json(t): Json<Translation>) -> FnResult<Json<Point>> {
    Ok(unsafe { translate(Json(t.point), Json(t.by))? })
}

#[derive(Serialize, Deserialize)]
struct Vertex {
    pos: [f32; 3],
    id: u32,
}

#[derive(Deserialize)]
struct Scaling {
    pos: [f32; 3],
    id: u32,
    factor: f32,
}

#[plugin_fn]
pub fn pod(Json(s): Json<Scaling>) -> FnResult<Json<Vertex>> {
    let mut bytes = Vec::with_capacity(16);
    for c in s.pos {
        bytes.extend_from_slice(&c.to_le_bytes());
    }
    bytes.extend_from_slice(&s.id.to_le_bytes());
    let back = unsafe { scale_vertex(bytes, s.factor)? };
    if back.len() != 16 {
        return Err(Error::msg(format!(
            "scale_vertex returned {} bytes, expected 16",
            back.len()
        ))
        .into());
    }
    let word = |i: usize| {
        [
            back[4 * i],
            back[4 * i + 1],
            back[4 * i + 2],
            back[4 * i + 3],
        ]
    };
    Ok(Json(Vertex {
        pos: [0, 1, 2].map(|i| f32::from_le_bytes(word(i))),
        id: u32::from_le_bytes(word(3)),
    }))
}

#[plugin_fn]
pub fn record_event(event: String) -> FnResult<()> {
    unsafe { record(event)? };
    Ok(())
}

#[plugin_fn]
pub fn fail_with(message: String) -> FnResult<String> {
    Ok(unsafe { fail(message)? })
}

#[plugin_fn]
pub fn next_ids(n: String) -> FnResult<String> {
    let n: u32 = n.trim().parse()?;
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(unsafe { next_id()? }.to_string());
    }
    Ok(ids.join(","))
}
