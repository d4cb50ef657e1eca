//! `#[derive(Codec)]` at work: derived types round-trip through `Encode` and `Decode` in
//! each encoding, and the generated code does not depend on the user's imports.

use std::borrow::Cow;
use std::fmt::Debug;

use extism_codec::{Codec, Decode, DecodeOwned, Encode, Error, Json, Pod};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Codec, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[codec(json)]
struct Greeting {
    name: String,
    times: u32,
}

#[derive(Codec, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[codec(json)]
enum Command {
    Add { key: String, value: i64 },
    Remove(String),
    Clear,
}

#[derive(Codec, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[codec(msgpack)]
struct Sample {
    id: u64,
    values: Vec<f64>,
    label: Option<String>,
}

#[derive(Codec, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[codec(msgpack)]
enum Event {
    Started { at: u64 },
    Stopped,
}

#[derive(Codec, Clone, Copy, Debug, PartialEq, bytemuck::Zeroable, bytemuck::Pod)]
#[codec(pod)]
#[repr(C)]
struct Vertex {
    pos: [f32; 3],
    id: u32,
}

#[derive(Codec, Clone, Copy, bytemuck::Zeroable, bytemuck::Pod)]
#[codec(pod)]
#[repr(transparent)]
struct Meters(f64);

#[derive(Codec, Clone, Copy)]
#[codec(pod)]
#[repr(C)]
union Word {
    int: u32,
    float: f32,
}

// SAFETY: every bit pattern is a valid `u32` and a valid `f32`, both fields have the
// same size, and there is no padding.
unsafe impl bytemuck::Zeroable for Word {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for Word {}

/// Borrows its name from the input.
#[derive(Codec, Serialize, Deserialize, Debug, PartialEq)]
#[codec(json)]
struct NameRef<'a> {
    name: &'a str,
}

/// Generic, with bounds of its own.
#[derive(Codec, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[codec(json)]
struct Page<T: Clone, const N: usize>
where
    T: Debug,
{
    items: Vec<T>,
}

#[derive(Codec, Clone, Copy, Debug, PartialEq, bytemuck::Zeroable, bytemuck::Pod)]
#[codec(pod)]
#[repr(transparent)]
struct Wrapper<T>(T)
where
    T: bytemuck::Pod;

fn round_trip<T: Encode + DecodeOwned + PartialEq + Debug>(value: &T) -> Vec<u8> {
    let bytes = value.encode_to_vec().unwrap();
    assert_eq!(&T::decode(&bytes).unwrap(), value);
    bytes
}

#[test]
fn json_struct() {
    let greeting = Greeting {
        name: "Ada".into(),
        times: 2,
    };
    let bytes = round_trip(&greeting);
    assert_eq!(bytes, br#"{"name":"Ada","times":2}"#);
    // Same bytes as the `Json` wrapper.
    assert_eq!(bytes, Json(&greeting).encode_to_vec().unwrap());
}

#[test]
fn json_enum() {
    round_trip(&Command::Add {
        key: "k".into(),
        value: -1,
    });
    round_trip(&Command::Remove("k".into()));
    assert_eq!(round_trip(&Command::Clear), br#""Clear""#);
}

#[test]
fn json_errors_name_the_derived_type() {
    let err = Greeting::decode(br#"{"name":"Ada"}"#).unwrap_err();
    assert!(matches!(err, Error::Deserialize { .. }));
    assert_eq!(err.type_name(), "codec_derive::Greeting");
    assert!(
        err.to_string()
            .starts_with("cannot decode `codec_derive::Greeting` from JSON: missing field `times`"),
        "{err}"
    );
}

#[test]
fn json_borrowed() {
    let input = br#"{"name":"Ada"}"#.to_vec();
    let decoded = NameRef::decode(&input).unwrap();
    assert_eq!(decoded, NameRef { name: "Ada" });
    let range = input.as_ptr_range();
    assert!(range.contains(&decoded.name.as_ptr()));
    assert_eq!(decoded.encode().unwrap(), Cow::<[u8]>::Borrowed(&input));
}

#[test]
fn json_generic() {
    let page = Page::<u8, 4> {
        items: vec![1, 2, 3],
    };
    assert_eq!(round_trip(&page), br#"{"items":[1,2,3]}"#);
}

#[test]
fn msgpack_struct_and_enum() {
    let sample = Sample {
        id: 7,
        values: vec![0.5, -1.0],
        label: Some("x".into()),
    };
    let bytes = round_trip(&sample);
    assert_eq!(
        bytes,
        extism_codec::Msgpack(&sample).encode_to_vec().unwrap()
    );
    round_trip(&Event::Started { at: 3 });
    round_trip(&Event::Stopped);
    let err = Sample::decode(&[0xc1]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot decode `codec_derive::Sample` from MessagePack"),
        "{err}"
    );
}

#[test]
fn pod_struct() {
    let vertex = Vertex {
        pos: [1.0, 2.0, 3.0],
        id: 9,
    };
    let bytes = vertex.encode().unwrap();
    // Zero-copy: the bytes are the value's own.
    assert!(matches!(bytes, Cow::Borrowed(_)));
    assert_eq!(bytes, bytemuck::bytes_of(&vertex));
    assert_eq!(Vertex::decode(&bytes).unwrap(), vertex);
    assert_eq!(Pod::<Vertex>::decode(&bytes).unwrap().0, vertex);
    // Any alignment.
    let mut shifted = vec![0u8];
    shifted.extend_from_slice(&bytes);
    assert_eq!(Vertex::decode(&shifted[1..]).unwrap(), vertex);
    assert_eq!(
        Vertex::decode(&[0; 3]).unwrap_err().to_string(),
        "expected exactly 16 bytes for `codec_derive::Vertex`, found 3 bytes: [00 00 00]"
    );
}

#[test]
fn pod_newtype_generic_and_union() {
    assert_eq!(
        Meters::decode(&2.5f64.to_ne_bytes()).unwrap().0,
        Meters(2.5).0
    );
    assert_eq!(
        round_trip(&Wrapper([1u16, 2])),
        [1u16, 2].map(u16::to_ne_bytes).concat()
    );
    let word = Word { float: 1.0 };
    let bytes = word.encode_to_vec().unwrap();
    // SAFETY: every bit pattern is a valid `u32`.
    assert_eq!(
        unsafe { Word::decode(&bytes).unwrap().int },
        1.0f32.to_bits()
    );
}

#[test]
fn derived_types_compose_with_option() {
    let some = Some(Greeting {
        name: "a".into(),
        times: 1,
    });
    round_trip(&some);
    assert_eq!(Option::<Greeting>::decode(&[]).unwrap(), None);
}

/// The generated code names everything by absolute path: a module that shadows the
/// names it could use, and imports nothing, still derives.
mod hygiene {
    #![allow(dead_code)]

    struct Result;
    struct Cow;
    struct Error;
    struct Ok;
    trait Encode {}
    trait Decode {}
    mod core {}
    mod std {}
    mod extism_codec {}

    #[derive(::extism_codec::Codec, ::serde::Serialize, ::serde::Deserialize)]
    #[codec(json)]
    pub struct Shadowed {
        pub value: u8,
    }

    #[derive(::extism_codec::Codec, Clone, Copy, ::bytemuck::Zeroable, ::bytemuck::Pod)]
    #[codec(pod)]
    #[repr(C)]
    pub struct ShadowedPod {
        pub value: u8,
    }

    #[derive(::extism_codec::Codec, ::serde::Serialize, ::serde::Deserialize)]
    #[codec(msgpack)]
    pub struct ShadowedMsgpack {
        pub value: u8,
    }
}

#[test]
fn generated_code_ignores_user_names() {
    use hygiene::{Shadowed, ShadowedMsgpack, ShadowedPod};
    assert_eq!(
        Shadowed { value: 1 }.encode_to_vec().unwrap(),
        br#"{"value":1}"#
    );
    assert_eq!(ShadowedPod::decode(&[4]).unwrap().value, 4);
    let bytes = ShadowedMsgpack { value: 5 }.encode_to_vec().unwrap();
    assert_eq!(ShadowedMsgpack::decode(&bytes).unwrap().value, 5);
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (".*", any::<i64>()).prop_map(|(key, value)| Command::Add { key, value }),
        ".*".prop_map(Command::Remove),
        Just(Command::Clear),
    ]
}

proptest! {
    #[test]
    fn round_trip_json_derive(name in ".*", times in any::<u32>(), cmd in command()) {
        let greeting = Greeting { name, times };
        prop_assert_eq!(Greeting::decode(&greeting.encode().unwrap()).unwrap(), greeting);
        prop_assert_eq!(Command::decode(&cmd.encode().unwrap()).unwrap(), cmd);
    }

    #[test]
    fn round_trip_msgpack_derive(
        id in any::<u64>(),
        values in prop::collection::vec(-f64::MAX..f64::MAX, 0..8),
        label in any::<Option<String>>(),
        at in any::<Option<u64>>(),
    ) {
        let sample = Sample { id, values, label };
        prop_assert_eq!(Sample::decode(&sample.encode().unwrap()).unwrap(), sample);
        let event = at.map_or(Event::Stopped, |at| Event::Started { at });
        prop_assert_eq!(Event::decode(&event.encode().unwrap()).unwrap(), event);
    }

    #[test]
    fn round_trip_pod_derive(bits in any::<[u32; 3]>(), id in any::<u32>(), offset in 0usize..4) {
        let vertex = Vertex { pos: bits.map(f32::from_bits), id };
        let mut buffer = vec![0u8; offset];
        buffer.extend_from_slice(&vertex.encode().unwrap());
        let back = Vertex::decode(&buffer[offset..]).unwrap();
        prop_assert_eq!(bytemuck::bytes_of(&back), bytemuck::bytes_of(&vertex));
    }
}
