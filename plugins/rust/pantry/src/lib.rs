//! pantry: a plug-in written to the XTP schema `plugins/schemas/pantry.yaml`.
//!
//! The types follow the conventions of the host's schema-generated Rust
//! types, so that JSON round-trips byte for byte between the two: one struct
//! per object schema with its fields in the schema's order and
//! `#[serde(rename)]` on every field; required → `T`, required and nullable →
//! `Option<T>` written as `null`, not required → `Option<T>` left out when
//! `None`; `date-time` → `chrono::DateTime<Utc>` (RFC 3339); `byte` and
//! `buffer` → `Vec<u8>` as standard padded base64 text; JSON through the
//! PDK's `Json`, i.e. `serde_json::from_slice` / `serde_json::to_vec` (compact).
//!
//! Exports (names as in the schema):
//!
//! * `echoEverything`: JSON `Everything` in, decoded and encoded again, out.
//! * `describeFruit`: JSON `Fruit` in (`"apple"`), one line of text out.
//! * `reverseBytes`: raw bytes in, the same bytes last first out.
//! * `countItems`: JSON array of `Item` in, the sum of `quantity` (JSON
//!   integer) out.
//! * `greet`: a name (text) in; calls the imports `lookupPerson(name)` and
//!   `recordVisit(Visit { name, at: 2024-02-29T12:34:56.789Z })`; JSON
//!   `Greeting` out.
//! * `ping`: no input, no output.
//!
//! Imports (`extism:host/user`): `lookupPerson` (text in, JSON `Person`
//! out) and `recordVisit` (JSON `Visit` in, nothing out).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use extism_pdk::*;
use serde::{Deserialize, Serialize};

// ------------------------------------------------------------------ types

/// A kind of fruit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fruit {
    #[serde(rename = "apple")]
    Apple,
    #[serde(rename = "orange")]
    Orange,
    #[serde(rename = "banana")]
    Banana,
    #[serde(rename = "dragon-fruit")]
    DragonFruit,
}

impl Fruit {
    /// The schema's value (the JSON string without quotes).
    pub fn as_str(self) -> &'static str {
        match self {
            Fruit::Apple => "apple",
            Fruit::Orange => "orange",
            Fruit::Banana => "banana",
            Fruit::DragonFruit => "dragon-fruit",
        }
    }
}

/// A line of a shopping list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    #[serde(rename = "name")]
    pub name: String,
    #[serde(rename = "quantity")]
    pub quantity: u32,
    #[serde(rename = "fruit", default, skip_serializing_if = "Option::is_none")]
    pub fruit: Option<Fruit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    #[serde(rename = "name")]
    pub name: String,
    #[serde(rename = "age")]
    pub age: u8,
    #[serde(
        rename = "favouriteFruit",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub favourite_fruit: Option<Fruit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    #[serde(rename = "name")]
    pub name: String,
    #[serde(rename = "at")]
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Greeting {
    #[serde(rename = "message")]
    pub message: String,
    #[serde(rename = "visitor")]
    pub visitor: Person,
}

/// One field of each type and format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Everything {
    #[serde(rename = "anInt8")]
    pub an_int8: i8,
    #[serde(rename = "anInt16")]
    pub an_int16: i16,
    #[serde(rename = "anInt32")]
    pub an_int32: i32,
    #[serde(rename = "anInt64")]
    pub an_int64: i64,
    #[serde(rename = "aUint8")]
    pub a_uint8: u8,
    #[serde(rename = "aUint16")]
    pub a_uint16: u16,
    #[serde(rename = "aUint32")]
    pub a_uint32: u32,
    #[serde(rename = "aUint64")]
    pub a_uint64: u64,
    #[serde(rename = "anInteger")]
    pub an_integer: i64,
    #[serde(rename = "aFloat")]
    pub a_float: f32,
    #[serde(rename = "aDouble")]
    pub a_double: f64,
    #[serde(rename = "aNumber")]
    pub a_number: f64,
    #[serde(rename = "aBoolean")]
    pub a_boolean: bool,
    #[serde(rename = "aString")]
    pub a_string: String,
    #[serde(rename = "aDateTime")]
    pub a_date_time: DateTime<Utc>,
    #[serde(rename = "someBytes", with = "base64_bytes")]
    pub some_bytes: Vec<u8>,
    #[serde(rename = "aBuffer", with = "base64_bytes")]
    pub a_buffer: Vec<u8>,
    #[serde(rename = "aFruit")]
    pub a_fruit: Fruit,
    #[serde(rename = "items")]
    pub items: Vec<Item>,
    #[serde(rename = "matrix")]
    pub matrix: Vec<Vec<f64>>,
    #[serde(rename = "stock")]
    pub stock: BTreeMap<String, i32>,
    #[serde(rename = "anything")]
    pub anything: serde_json::Map<String, serde_json::Value>,
    #[serde(rename = "maybeNote")]
    pub maybe_note: Option<String>,
    #[serde(
        rename = "optionalCount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub optional_count: Option<u16>,
}

/// `Vec<u8>` as standard padded base64 text (`format: byte`, `type: buffer`).
mod base64_bytes {
    use base64::{engine::general_purpose::STANDARD, Engine as _};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

// ------------------------------------------------------------------ imports

#[allow(non_snake_case)]
mod host {
    use super::{Person, Visit};
    use extism_pdk::*;

    #[host_fn]
    extern "ExtismHost" {
        pub fn lookupPerson(name: String) -> Json<Person>;
        pub fn recordVisit(visit: Json<Visit>);
    }
}

// ------------------------------------------------------------------ exports

#[plugin_fn]
#[allow(non_snake_case)]
pub fn echoEverything(Json(everything): Json<Everything>) -> FnResult<Json<Everything>> {
    Ok(Json(everything))
}

#[plugin_fn]
#[allow(non_snake_case)]
pub fn describeFruit(Json(fruit): Json<Fruit>) -> FnResult<String> {
    let description = match fruit {
        Fruit::Apple => "crisp and sweet",
        Fruit::Orange => "juicy and sharp",
        Fruit::Banana => "soft and sweet",
        Fruit::DragonFruit => "mild and speckled",
    };
    Ok(format!("{}: {description}", fruit.as_str()))
}

#[plugin_fn]
#[allow(non_snake_case)]
pub fn reverseBytes(mut input: Vec<u8>) -> FnResult<Vec<u8>> {
    input.reverse();
    Ok(input)
}

#[plugin_fn]
#[allow(non_snake_case)]
pub fn countItems(Json(items): Json<Vec<Item>>) -> FnResult<Json<i64>> {
    Ok(Json(
        items.iter().map(|item| i64::from(item.quantity)).sum(),
    ))
}

/// When `greet` says the visit happened: the plug-in has no clock.
fn visit_time() -> Result<DateTime<Utc>, Error> {
    NaiveDate::from_ymd_opt(2024, 2, 29)
        .and_then(|day| day.and_hms_milli_opt(12, 34, 56, 789))
        .map(|time| time.and_utc())
        .ok_or_else(|| Error::msg("invalid visit time"))
}

#[plugin_fn]
#[allow(non_snake_case)]
pub fn greet(name: String) -> FnResult<Json<Greeting>> {
    let Json(person) = unsafe { host::lookupPerson(name.clone())? };
    let visit = Visit {
        name,
        at: visit_time()?,
    };
    unsafe { host::recordVisit(Json(visit))? };
    let mut message = format!("Hello, {}! You are {}.", person.name, person.age);
    if let Some(fruit) = person.favourite_fruit {
        message.push_str(&format!(" You like {}.", fruit.as_str()));
    }
    Ok(Json(Greeting {
        message,
        visitor: person,
    }))
}

#[plugin_fn]
#[allow(non_snake_case)]
pub fn ping() -> FnResult<()> {
    Ok(())
}
