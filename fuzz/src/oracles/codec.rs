//! Target 4: every `Decode` implementation of extism-codec on arbitrary bytes.
//!
//! Each decoder runs on the input and on the input shifted by one byte (so the
//! borrowing POD decoders see misaligned data). Checks: no panic; errors
//! format (`Display` walks the input summary); and for what decodes,
//! re-encoding gives the same bytes (exact codecs) or a value that decodes to
//! the same value again (serde codecs).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Debug;

use extism_codec::{Decode, Encode, Json, Msgpack, Pod, PodCow, PodSlice, PodVec};

/// Decodes `bytes` as `T`; when it decodes, encoding gives `bytes` back.
fn exact<'a, T>(bytes: &'a [u8])
where
    T: Decode<'a> + Encode + Debug,
{
    match T::decode(bytes) {
        Ok(value) => {
            let again = value
                .encode()
                .unwrap_or_else(|e| panic!("{value:?} decoded but does not encode: {e}"));
            assert_eq!(
                &*again,
                bytes,
                "{} does not round-trip",
                std::any::type_name::<T>()
            );
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Decodes `bytes` as `T`; when it decodes, encode then decode gives an equal value.
fn stable<T>(bytes: &[u8])
where
    T: for<'a> Decode<'a> + Encode + Debug + PartialEq,
{
    match T::decode(bytes) {
        Ok(value) => {
            let again = value
                .encode_to_vec()
                .unwrap_or_else(|e| panic!("{value:?} decoded but does not encode: {e}"));
            let back = T::decode(&again).unwrap_or_else(|e| {
                panic!("re-encoded {value:?} does not decode: {e}; bytes {again:?}")
            });
            assert_eq!(back, value, "{} is not stable", std::any::type_name::<T>());
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Decodes only (types whose encoding is not unique, or borrowed serde types).
fn decode_only<'a, T: Decode<'a> + Debug>(bytes: &'a [u8]) {
    match T::decode(bytes) {
        Ok(value) => {
            let _ = format!("{value:?}");
        }
        Err(e) => {
            let _ = e.to_string();
            let _ = format!("{e:?}");
        }
    }
}

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Record {
    name: String,
    count: u64,
    tags: Vec<String>,
    inner: Option<Box<Record>>,
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Borrowed<'a> {
    #[serde(borrow)]
    name: &'a str,
}

fn all(bytes: &[u8]) {
    // Bytes and text.
    exact::<Vec<u8>>(bytes);
    exact::<&[u8]>(bytes);
    exact::<Box<[u8]>>(bytes);
    exact::<Cow<'_, [u8]>>(bytes);
    exact::<[u8; 0]>(bytes);
    exact::<[u8; 4]>(bytes);
    exact::<[u8; 16]>(bytes);
    exact::<String>(bytes);
    exact::<&str>(bytes);
    exact::<Box<str>>(bytes);
    exact::<Cow<'_, str>>(bytes);
    // Numbers.
    exact::<i8>(bytes);
    exact::<u8>(bytes);
    exact::<i16>(bytes);
    exact::<u16>(bytes);
    exact::<i32>(bytes);
    exact::<u32>(bytes);
    exact::<i64>(bytes);
    exact::<u64>(bytes);
    exact::<i128>(bytes);
    exact::<u128>(bytes);
    exact::<f32>(bytes);
    exact::<f64>(bytes);
    exact::<bool>(bytes);
    exact::<()>(bytes);
    // Option.
    exact::<Option<u32>>(bytes);
    exact::<Option<&str>>(bytes);
    exact::<Option<Vec<u8>>>(bytes);
    exact::<Option<()>>(bytes);
    // POD.
    exact::<Pod<u64>>(bytes);
    exact::<Pod<[u32; 3]>>(bytes);
    exact::<Pod<()>>(bytes);
    exact::<PodVec<u8>>(bytes);
    exact::<PodVec<u16>>(bytes);
    exact::<PodVec<u64>>(bytes);
    exact::<PodVec<[u8; 3]>>(bytes);
    exact::<PodVec<()>>(bytes);
    exact::<PodSlice<'_, u32>>(bytes);
    exact::<PodSlice<'_, u64>>(bytes);
    exact::<PodSlice<'_, u128>>(bytes);
    exact::<PodSlice<'_, ()>>(bytes);
    exact::<PodCow<'_, u64>>(bytes);
    exact::<PodCow<'_, u16>>(bytes);
    exact::<PodCow<'_, ()>>(bytes);
    // JSON.
    stable::<Json<serde_json::Value>>(bytes);
    stable::<Json<BTreeMap<String, i64>>>(bytes);
    stable::<Json<Vec<Option<f64>>>>(bytes);
    stable::<Json<Record>>(bytes);
    stable::<Json<String>>(bytes);
    decode_only::<Json<&str>>(bytes);
    decode_only::<Json<Borrowed<'_>>>(bytes);
    // MessagePack.
    stable::<Msgpack<serde_json::Value>>(bytes);
    stable::<Msgpack<BTreeMap<String, u64>>>(bytes);
    stable::<Msgpack<Record>>(bytes);
    stable::<Msgpack<Vec<u8>>>(bytes);
    stable::<Msgpack<(i8, u64, bool)>>(bytes);
    decode_only::<Msgpack<&str>>(bytes);
    decode_only::<Msgpack<&[u8]>>(bytes);
    decode_only::<Msgpack<Borrowed<'_>>>(bytes);
}

/// Runs every decoder on `data` and on `data` shifted by one byte.
pub fn check(data: &[u8]) {
    all(data);
    // A copy at an odd address: the borrowing POD decoders must refuse or copy.
    let mut shifted = vec![0u8; data.len() + 1];
    shifted[1..].copy_from_slice(data);
    all(&shifted[1..]);
}
