//! Property tests: for every codec, `decode(encode(v)) == v`, and decoding arbitrary
//! bytes never panics.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Debug;

use extism_codec::{Decode, Encode, Json, Pod, PodCow, PodSlice, PodVec};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// Encodes `value`, decodes the bytes as `T` and compares.
fn round_trip<T>(value: &T) -> Result<(), TestCaseError>
where
    T: Encode + for<'a> Decode<'a> + PartialEq + Debug,
{
    let bytes = value
        .encode()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back = T::decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, value);
    Ok(())
}

/// `bytes` decodes as a `T` equal to `expected` (for types that borrow from the input).
fn decodes_to<'a, T>(bytes: &'a [u8], expected: &T) -> Result<(), TestCaseError>
where
    T: Decode<'a> + PartialEq + Debug,
{
    let back = T::decode(bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, expected);
    Ok(())
}

/// Decoding arbitrary input either succeeds or returns an error; it never panics.
fn never_panics<'a, T: Decode<'a>>(bytes: &'a [u8]) {
    let _ = T::decode(bytes);
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Shape {
    Circle { r: f64 },
    Rect(u32, u32),
    Empty,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Record {
    id: u64,
    name: String,
    tags: Vec<String>,
    score: Option<i32>,
    shape: Shape,
    attrs: BTreeMap<String, bool>,
}

/// Borrows its text from the input when it holds no escape sequence.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Borrowed<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    n: u8,
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        // JSON has no NaN or infinities; finite floats survive both formats.
        (-f64::MAX..f64::MAX).prop_map(|r| Shape::Circle { r }),
        (any::<u32>(), any::<u32>()).prop_map(|(w, h)| Shape::Rect(w, h)),
        Just(Shape::Empty),
    ]
}

fn record() -> impl Strategy<Value = Record> {
    (
        any::<u64>(),
        ".*",
        prop::collection::vec(".{0,8}", 0..4),
        any::<Option<i32>>(),
        shape(),
        prop::collection::btree_map(".{0,8}", any::<bool>(), 0..4),
    )
        .prop_map(|(id, name, tags, score, shape, attrs)| Record {
            id,
            name,
            tags,
            score,
            shape,
            attrs,
        })
}

#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Zeroable, bytemuck::Pod)]
#[repr(C)]
struct Vertex {
    pos: [f32; 3],
    id: u32,
}

fn vertex() -> impl Strategy<Value = Vertex> {
    // Compared through their bits so that NaN payloads count as equal.
    (any::<[u32; 3]>(), any::<u32>()).prop_map(|(bits, id)| Vertex {
        pos: bits.map(f32::from_bits),
        id,
    })
}

fn same_bits(a: &[Vertex], b: &[Vertex]) -> bool {
    bytemuck::cast_slice::<Vertex, u8>(a) == bytemuck::cast_slice::<Vertex, u8>(b)
}

macro_rules! numbers {
    ($($name:ident: $ty:ty),* $(,)?) => {
        proptest! {$(
            #[test]
            fn $name(value in any::<$ty>(), junk in prop::collection::vec(any::<u8>(), 0..20)) {
                let bytes = value.encode().unwrap();
                prop_assert_eq!(&*bytes, &value.to_le_bytes()[..]);
                prop_assert_eq!(<$ty>::decode(&bytes).unwrap().to_le_bytes(), value.to_le_bytes());
                // Every length but the exact one is rejected.
                let ok = <$ty>::decode(&junk).is_ok();
                prop_assert_eq!(ok, junk.len() == std::mem::size_of::<$ty>());
            }
        )*}
    };
}

numbers! {
    round_trip_i8: i8, round_trip_i16: i16, round_trip_i32: i32, round_trip_i64: i64,
    round_trip_i128: i128, round_trip_u8: u8, round_trip_u16: u16, round_trip_u32: u32,
    round_trip_u64: u64, round_trip_u128: u128, round_trip_f32: f32, round_trip_f64: f64,
}

proptest! {
    #[test]
    fn round_trip_bool(value in any::<bool>()) {
        round_trip(&value)?;
    }

    #[test]
    fn bool_rejects_other_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4)) {
        prop_assert_eq!(bool::decode(&bytes).is_ok(), bytes == [0] || bytes == [1]);
    }

    #[test]
    fn unit_only_from_empty(bytes in prop::collection::vec(any::<u8>(), 0..4)) {
        round_trip(&())?;
        prop_assert_eq!(<()>::decode(&bytes).is_ok(), bytes.is_empty());
    }

    #[test]
    fn round_trip_bytes(value in prop::collection::vec(any::<u8>(), 0..64)) {
        round_trip(&value)?;
        round_trip(&value.clone().into_boxed_slice())?;
        let cow = Cow::<[u8]>::Owned(value.clone());
        decodes_to(&cow.encode_to_vec().unwrap(), &cow)?;
        let encoded = value.as_slice().encode().unwrap();
        let borrowed: &[u8] = Decode::decode(&encoded).unwrap();
        prop_assert_eq!(borrowed, &value[..]);
    }

    #[test]
    fn round_trip_byte_array(value in any::<[u8; 16]>()) {
        round_trip(&value)?;
    }

    #[test]
    fn round_trip_text(value in ".*") {
        round_trip(&value)?;
        round_trip(&value.clone().into_boxed_str())?;
        let cow = Cow::<str>::Owned(value.clone());
        decodes_to(&cow.encode_to_vec().unwrap(), &cow)?;
        let encoded = value.as_str().encode().unwrap();
        let borrowed: &str = Decode::decode(&encoded).unwrap();
        prop_assert_eq!(borrowed, value.as_str());
    }

    #[test]
    fn text_accepts_exactly_utf8(bytes in prop::collection::vec(any::<u8>(), 0..32)) {
        prop_assert_eq!(String::decode(&bytes).is_ok(), std::str::from_utf8(&bytes).is_ok());
    }

    #[test]
    fn round_trip_option(value in any::<Option<u32>>(), text in any::<Option<String>>()) {
        round_trip(&value)?;
        // `Some("")` encodes like `None`: the round trip normalises it.
        let normalised = text.clone().filter(|s| !s.is_empty());
        let back = Option::<String>::decode(&text.encode().unwrap()).unwrap();
        prop_assert_eq!(back, normalised);
    }

    #[test]
    fn round_trip_json(value in record()) {
        round_trip(&Json(value))?;
    }

    #[test]
    fn round_trip_json_borrowed(name in ".*", n in any::<u8>()) {
        let bytes = Json(Borrowed { name: Cow::Borrowed(&name), n }).encode_to_vec().unwrap();
        let Json(back) = Json::<Borrowed<'_>>::decode(&bytes).unwrap();
        prop_assert_eq!(back, Borrowed { name: Cow::Borrowed(&name), n });
    }

    #[test]
    fn round_trip_pod(value in vertex()) {
        let bytes = Pod(value).encode_to_vec().unwrap();
        prop_assert_eq!(bytes.len(), std::mem::size_of::<Vertex>());
        let Pod(back) = Pod::<Vertex>::decode(&bytes).unwrap();
        prop_assert!(same_bits(&[back], &[value]));
    }

    #[test]
    fn round_trip_pod_at_any_offset(value in vertex(), offset in 0usize..8) {
        let mut buffer = vec![0u8; offset];
        buffer.extend_from_slice(&Pod(value).encode_to_vec().unwrap());
        let Pod(back) = Pod::<Vertex>::decode(&buffer[offset..]).unwrap();
        prop_assert!(same_bits(&[back], &[value]));
        let PodVec(copied) = PodVec::<Vertex>::decode(&buffer[offset..]).unwrap();
        prop_assert!(same_bits(&copied, &[value]));
        let PodCow(cow) = PodCow::<Vertex>::decode(&buffer[offset..]).unwrap();
        prop_assert!(same_bits(&cow, &[value]));
    }

    #[test]
    fn round_trip_pod_vec(values in prop::collection::vec(vertex(), 0..16)) {
        let wrapped = PodVec(values.clone());
        let bytes = wrapped.encode().unwrap();
        prop_assert_eq!(bytes.len(), values.len() * std::mem::size_of::<Vertex>());
        let PodVec(back) = PodVec::<Vertex>::decode(&bytes).unwrap();
        prop_assert!(same_bits(&back, &values));
    }

    #[test]
    fn round_trip_pod_slice(values in prop::collection::vec(vertex(), 0..16)) {
        // Encoding a slice borrows it, so the bytes are as aligned as the slice.
        let wrapped = PodSlice(&values[..]);
        let bytes = wrapped.encode().unwrap();
        let PodSlice(back) = PodSlice::<Vertex>::decode(&bytes).unwrap();
        prop_assert!(same_bits(back, &values));
        let PodCow(cow) = PodCow::<Vertex>::decode(&bytes).unwrap();
        prop_assert!(matches!(cow, Cow::Borrowed(_)));
        prop_assert!(same_bits(&cow, &values));
        let ids = PodCow(Cow::Owned(values.iter().map(|v| v.id).collect::<Vec<u32>>()));
        decodes_to(&ids.encode_to_vec().unwrap(), &ids)?;
    }

    #[test]
    fn pod_slices_accept_only_whole_elements(len in 0usize..64) {
        let storage = vec![0u32; 16];
        let bytes = &bytemuck::cast_slice::<u32, u8>(&storage)[..len];
        let whole = len % 4 == 0;
        prop_assert_eq!(PodVec::<u32>::decode(bytes).is_ok(), whole);
        prop_assert_eq!(PodSlice::<u32>::decode(bytes).is_ok(), whole);
        prop_assert_eq!(PodCow::<u32>::decode(bytes).is_ok(), whole);
    }

    #[test]
    fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64), offset in 0usize..4) {
        let bytes = &bytes[offset.min(bytes.len())..];
        never_panics::<Json<Record>>(bytes);
        never_panics::<Json<Borrowed<'_>>>(bytes);
        never_panics::<Pod<Vertex>>(bytes);
        never_panics::<PodVec<Vertex>>(bytes);
        never_panics::<PodSlice<'_, Vertex>>(bytes);
        never_panics::<PodCow<'_, Vertex>>(bytes);
        never_panics::<Option<String>>(bytes);
        never_panics::<&str>(bytes);
    }
}

#[cfg(feature = "msgpack")]
mod msgpack {
    use super::*;
    use extism_codec::Msgpack;

    proptest! {
        #[test]
        fn round_trip_msgpack(value in record()) {
            round_trip(&Msgpack(value))?;
        }

        #[test]
        fn round_trip_msgpack_borrowed(name in ".*", n in any::<u8>()) {
            let bytes = Msgpack(Borrowed { name: Cow::Borrowed(&name), n }).encode_to_vec().unwrap();
            let Msgpack(back) = Msgpack::<Borrowed<'_>>::decode(&bytes).unwrap();
            prop_assert_eq!(back, Borrowed { name: Cow::Borrowed(&name), n });
        }

        #[test]
        fn msgpack_rejects_trailing_bytes(value in record(), junk in prop::collection::vec(any::<u8>(), 1..8)) {
            let mut bytes = Msgpack(value).encode_to_vec().unwrap();
            bytes.extend_from_slice(&junk);
            prop_assert!(Msgpack::<Record>::decode(&bytes).is_err());
        }

        #[test]
        fn msgpack_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            never_panics::<Msgpack<Record>>(&bytes);
            never_panics::<Msgpack<Borrowed<'_>>>(&bytes);
        }
    }
}
