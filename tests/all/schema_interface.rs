//! `#[plugin_interface(schema = "...")]` end to end: `plugins/rust/pantry`, written with
//! the Rust PDK to `plugins/schemas/pantry.yaml`, called through the trait, the types and
//! the imports the macro generates from that schema.
//!
//! JSON crosses the boundary byte for byte: what the generated types write, the
//! plug-in's own types read and write back unchanged.

use std::sync::Mutex;

use extism_host::schema::{serde_json, Base64, DateTime};
use extism_host::{plugin_interface, Error, HostError, Manifest, Plugin, PluginBuilder};

use crate::support::plugin_wasm;

/// The pantry interface, from its schema.
#[plugin_interface(schema = "plugins/schemas/pantry.yaml")]
pub trait Pantry {
    /// A provided method, on top of the generated ones.
    fn describe_all(&mut self) -> Result<Vec<String>, Error> {
        [
            Fruit::Apple,
            Fruit::Orange,
            Fruit::Banana,
            Fruit::DragonFruit,
        ]
        .iter()
        .map(|fruit| self.describe_fruit(fruit))
        .collect()
    }
}

/// The host's side of the imports: a directory of people and a visitors' book.
#[derive(Default)]
struct Directory {
    visits: Mutex<Vec<Visit>>,
}

impl PantryImports for Directory {
    fn lookup_person(&self, name: &str) -> Result<Person, HostError> {
        match name {
            "Ada" => Ok(Person {
                name: "Ada".into(),
                age: 36,
                favourite_fruit: Some(Fruit::DragonFruit),
            }),
            "Bob" => Ok(Person {
                name: "Bob".into(),
                age: 7,
                favourite_fruit: None,
            }),
            other => Err(HostError::msg(format!("nobody is called {other}"))),
        }
    }

    fn record_visit(&self, visit: Visit) -> Result<(), HostError> {
        self.visits.lock().unwrap().push(visit);
        Ok(())
    }
}

fn pantry_with(directory: Directory) -> PantryPlugin {
    let plugin = PluginBuilder::new(Manifest::new([plugin_wasm("pantry.rust.wasm")]))
        .with_functions(directory.into_host_functions())
        .build()
        .expect("pantry links against the generated host functions");
    PantryPlugin::new(plugin).expect("pantry has the schema's exports")
}

fn pantry() -> PantryPlugin {
    pantry_with(Directory::default())
}

fn instant(text: &str) -> DateTime {
    text.parse().unwrap()
}

/// One value of every type and format, `optionalCount` absent and `maybeNote` null.
fn everything() -> Everything {
    Everything {
        an_int8: -128,
        an_int16: -32768,
        an_int32: i32::MIN,
        an_int64: i64::MIN,
        a_uint8: u8::MAX,
        a_uint16: u16::MAX,
        a_uint32: u32::MAX,
        a_uint64: u64::MAX,
        an_integer: 9_007_199_254_740_993,
        a_float: 0.1,
        a_double: -1.5e300,
        a_number: 3.25,
        a_boolean: true,
        a_string: "tab\t, quote \", emoji 🍓, nul \u{0}".into(),
        a_date_time: instant("2024-02-29T12:34:56.789Z"),
        some_bytes: b"\x00\x01binary\xff".to_vec(),
        a_buffer: vec![0xde, 0xad, 0xbe, 0xef],
        a_fruit: Fruit::DragonFruit,
        items: vec![
            Item {
                name: "apples".into(),
                quantity: 3,
                fruit: Some(Fruit::Apple),
            },
            Item {
                name: "bread".into(),
                quantity: 1,
                fruit: None,
            },
        ],
        matrix: vec![vec![1.0, 2.5], vec![], vec![-0.0]],
        stock: [("apple".to_string(), 12), ("fig".to_string(), -1)].into(),
        anything: serde_json::json!({"nested": {"list": [1, "two", null]}, "b": false})
            .as_object()
            .unwrap()
            .clone(),
        maybe_note: None,
        optional_count: None,
    }
}

#[test]
fn every_type_round_trips_through_the_plug_ins_own_types() {
    let mut pantry = pantry();
    let value = everything();
    assert_eq!(pantry.echo_everything(&value).unwrap(), value);

    let other = Everything {
        maybe_note: Some("a note".into()),
        optional_count: Some(7),
        a_date_time: instant("1970-01-01T00:00:00Z"),
        ..everything()
    };
    assert_eq!(pantry.echo_everything(&other).unwrap(), other);
}

#[test]
fn json_round_trips_byte_for_byte() {
    let mut pantry = pantry();
    for (value, present, absent) in [
        (everything(), r#""maybeNote":null"#, r#""optionalCount""#),
        (
            Everything {
                maybe_note: Some("n".into()),
                optional_count: Some(65535),
                ..everything()
            },
            r#""optionalCount":65535"#,
            r#""maybeNote":null"#,
        ),
    ] {
        let sent = serde_json::to_vec(&value).unwrap();
        let text = std::str::from_utf8(&sent).unwrap();
        assert!(text.contains(present), "{text}");
        assert!(!text.contains(absent), "{text}");
        // The schema's names, base64 bytes and RFC 3339 instants.
        for expected in [
            r#""anInt8":-128"#,
            r#""aUint64":18446744073709551615"#,
            r#""aDateTime":"2024-02-29T12:34:56.789Z""#,
            r#""someBytes":"AAFiaW5hcnn/""#,
            r#""aBuffer":"3q2+7w==""#,
            r#""aFruit":"dragon-fruit""#,
            r#""stock":{"apple":12,"fig":-1}"#,
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        let received: Vec<u8> = pantry
            .plugin_mut()
            .call::<&[u8], Vec<u8>>("echoEverything", &sent)
            .unwrap();
        assert_eq!(
            String::from_utf8(received).unwrap(),
            text,
            "the plug-in's JSON differs from the host's"
        );
    }
}

#[test]
fn text_and_bytes_go_as_they_are() {
    let mut pantry = pantry();
    assert_eq!(
        pantry.describe_fruit(&Fruit::DragonFruit).unwrap(),
        "dragon-fruit: mild and speckled"
    );
    assert_eq!(
        pantry.describe_all().unwrap(),
        [
            "apple: crisp and sweet",
            "orange: juicy and sharp",
            "banana: soft and sweet",
            "dragon-fruit: mild and speckled"
        ]
    );
    assert_eq!(
        pantry.reverse_bytes(&[1, 2, 3, 0, 255]).unwrap(),
        [255, 0, 3, 2, 1]
    );
    assert_eq!(pantry.reverse_bytes(&[]).unwrap(), Vec::<u8>::new());
    pantry.ping().unwrap();
}

#[test]
fn a_json_array_in_and_a_json_integer_out() {
    let mut pantry = pantry();
    let items = everything().items;
    assert_eq!(pantry.count_items(&items).unwrap(), 4);
    assert_eq!(pantry.count_items(&[]).unwrap(), 0);
}

#[test]
fn imports_are_the_hosts_implementation_of_the_imports_trait() {
    let directory = std::sync::Arc::new(Directory::default());
    struct Shared(std::sync::Arc<Directory>);
    impl PantryImports for Shared {
        fn lookup_person(&self, name: &str) -> Result<Person, HostError> {
            self.0.lookup_person(name)
        }
        fn record_visit(&self, visit: Visit) -> Result<(), HostError> {
            self.0.record_visit(visit)
        }
    }
    let plugin = PluginBuilder::new(Manifest::new([plugin_wasm("pantry.rust.wasm")]))
        .with_functions(Shared(directory.clone()).into_host_functions())
        .build()
        .unwrap();
    let mut pantry = PantryPlugin::new(plugin).unwrap();
    let greeting = pantry.greet("Ada").unwrap();
    assert_eq!(
        greeting.message,
        "Hello, Ada! You are 36. You like dragon-fruit."
    );
    assert_eq!(greeting.visitor.favourite_fruit, Some(Fruit::DragonFruit));
    assert_eq!(
        pantry.greet("Bob").unwrap().message,
        "Hello, Bob! You are 7."
    );
    let visits = directory.visits.lock().unwrap();
    assert_eq!(
        *visits,
        [
            Visit {
                name: "Ada".into(),
                at: instant("2024-02-29T12:34:56.789Z"),
            },
            Visit {
                name: "Bob".into(),
                at: instant("2024-02-29T12:34:56.789Z"),
            },
        ]
    );
}

#[test]
fn an_imports_error_fails_the_call_naming_the_import() {
    let mut pantry = pantry();
    let error = pantry.greet("Eve").unwrap_err();
    assert!(matches!(error, Error::HostFunction { .. }), "{error:?}");
    let text = crate::support::report(&error);
    assert!(text.contains("lookupPerson"), "{text}");
    assert!(text.contains("nobody is called Eve"), "{text}");
}

#[test]
fn a_plug_in_without_the_schemas_exports_is_an_interface_error() {
    let plugin = Plugin::new(
        Manifest::new([plugin_wasm("count_vowels.rust.wasm")]),
        [],
        false,
    )
    .unwrap();
    let error = PantryPlugin::new(plugin)
        .err()
        .expect("count_vowels is not a pantry");
    let Error::Interface { missing, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        missing,
        &[
            "echoEverything",
            "describeFruit",
            "reverseBytes",
            "countItems",
            "greet",
            "ping"
        ]
    );
    assert!(error.to_string().contains("Pantry"), "{error}");
}

#[test]
fn an_import_of_another_type_is_a_link_error_naming_it() {
    let wat = r#"(module
        (import "extism:host/user" "lookupPerson" (func (param i32) (result i32)))
        (func (export "greet") (result i32) i32.const 0))"#;
    let error = PluginBuilder::new(Manifest::new([extism_host::Wasm::data(wat.as_bytes())]))
        .with_functions(Directory::default().into_host_functions())
        .build()
        .expect_err("the import's type is not the schema's");
    assert!(matches!(error, Error::Link { .. }), "{error:?}");
    assert!(error.to_string().contains("lookupPerson"), "{error}");
}

/// A v0 schema: its exports take and return bytes.
#[plugin_interface(schema = "tests/schemas/count_vowels.v0.yaml")]
trait VowelsV0 {}

#[test]
fn a_v0_schema_gives_byte_methods_and_checks_every_export() {
    let compiled = PluginBuilder::new(Manifest::new([plugin_wasm("count_vowels.rust.wasm")]))
        .compile()
        .unwrap();
    let error = VowelsV0Plugin::check(&compiled).unwrap_err();
    let Error::Interface { missing, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(missing, &["vowel_report"]);

    // The methods take and return bytes.
    type BytesMethod = fn(&mut VowelsV0Plugin, &[u8]) -> Result<Vec<u8>, Error>;
    let methods: [BytesMethod; 2] = [
        <VowelsV0Plugin as VowelsV0>::count_vowels,
        <VowelsV0Plugin as VowelsV0>::vowel_report,
    ];
    assert_ne!(methods[0] as usize, methods[1] as usize);
    // The export that is there works through the raw bytes.
    let mut plugin = compiled.instantiate().unwrap();
    let output: Vec<u8> = plugin
        .call::<&[u8], Vec<u8>>("count_vowels", b"aei")
        .unwrap();
    assert!(String::from_utf8(output).unwrap().contains(r#""count":3"#));
}

#[test]
fn base64_inside_arrays_and_maps_uses_the_newtype() {
    let bytes = Base64(vec![1, 2]);
    assert_eq!(serde_json::to_string(&vec![bytes]).unwrap(), r#"["AQI="]"#);
}

/// The shapes the pantry leaves out (`extism-macros/tests/schemas/shapes.yaml`).
mod shapes {
    use extism_host::plugin_interface;

    #[plugin_interface(schema = "extism-macros/tests/schemas/shapes.yaml")]
    pub trait Shapes {}
}

#[test]
fn a_struct_keeps_the_keys_its_properties_do_not_name() {
    use shapes::Tree;
    let text = r#"{"type":"oak","height":3,"parent":{"type":"acorn","height":0,"parent":null,"children":[]},"children":[],"leaves":"AQ==","colour":"green","mood":null}"#;
    let tree: Tree = serde_json::from_str(text).unwrap();
    assert_eq!(tree.r#type, "oak");
    assert_eq!(tree.parent.as_ref().unwrap().r#type, "acorn");
    assert_eq!(tree.leaves.as_deref(), Some(&[1u8][..]));
    assert_eq!(
        tree.additional_properties,
        [
            ("colour".to_string(), Some("green".to_string())),
            ("mood".to_string(), None)
        ]
        .into()
    );
    // Extra keys come after the properties; these were already in that order.
    assert_eq!(serde_json::to_string(&tree).unwrap(), text);
    assert_eq!(shapes::Season::Value1stFrost.to_string(), "1st-frost");
}

/// Imports without input, without output, of bytes and of text, called by a WAT module.
#[test]
fn imports_of_every_content_type_reach_the_implementation() {
    use shapes::{ShapesImports, Tree};
    struct Host(Mutex<Vec<String>>);
    impl ShapesImports for Host {
        fn notify(&self, input: &str) -> Result<(), HostError> {
            self.0.lock().unwrap().push(format!("notify {input}"));
            Ok(())
        }
        fn random(&self) -> Result<Vec<u8>, HostError> {
            Ok(vec![4, 4, 4])
        }
        fn digest(&self, input: &[u8]) -> Result<String, HostError> {
            Ok(format!("{} bytes", input.len()))
        }
        fn weigh(&self, input: Tree) -> Result<f64, HostError> {
            Ok(f64::from(input.height) * 1.5)
        }
        fn tick(&self) -> Result<(), HostError> {
            self.0.lock().unwrap().push("tick".into());
            Ok(())
        }
    }
    let wat = r#"(module
      (import "extism:host/env" "length" (func $length (param i64) (result i64)))
      (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
      (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
      (import "extism:host/user" "tick" (func $tick))
      (import "extism:host/user" "random" (func $random (result i64)))
      (import "extism:host/user" "digest" (func $digest (param i64) (result i64)))
      (import "extism:host/user" "notify" (func $notify (param i64)))
      (import "extism:host/user" "weigh" (func $weigh (param i64) (result i64)))
      (func (export "seed") (result i32)
        (local $out i64)
        call $tick
        (local.set $out (call $digest (call $random)))
        (call $notify (local.get $out))
        (call $output_set (local.get $out) (call $length (local.get $out)))
        i32.const 0)
      (func (export "weigh") (result i32)
        (local $out i64)
        (local.set $out (call $weigh (call $input_offset)))
        (call $output_set (local.get $out) (call $length (local.get $out)))
        i32.const 0))"#;
    let host = std::sync::Arc::new(Host(Mutex::new(Vec::new())));
    struct Shared(std::sync::Arc<Host>);
    impl ShapesImports for Shared {
        fn notify(&self, input: &str) -> Result<(), HostError> {
            self.0.notify(input)
        }
        fn random(&self) -> Result<Vec<u8>, HostError> {
            self.0.random()
        }
        fn digest(&self, input: &[u8]) -> Result<String, HostError> {
            self.0.digest(input)
        }
        fn weigh(&self, input: Tree) -> Result<f64, HostError> {
            self.0.weigh(input)
        }
        fn tick(&self) -> Result<(), HostError> {
            self.0.tick()
        }
    }
    let functions = Shared(host.clone()).into_host_functions();
    let names: Vec<_> = functions.iter().map(|f| f.name()).collect();
    assert_eq!(names, ["notify", "random", "digest", "weigh", "tick"]);
    let mut plugin = PluginBuilder::new(Manifest::new([extism_host::Wasm::data(wat.as_bytes())]))
        .with_functions(functions)
        .build()
        .unwrap();
    // Of the exports, the module has only `seed`, whose method takes nothing.
    let compiled = plugin.compiled();
    let Err(Error::Interface { missing, .. }) = shapes::ShapesPlugin::check(compiled) else {
        panic!("the module has one export of four");
    };
    assert_eq!(missing, ["grow", "scale", "label"]);
    let seed_method: fn(&mut shapes::ShapesPlugin) -> Result<Vec<u8>, Error> =
        <shapes::ShapesPlugin as shapes::Shapes>::seed;
    let grow_method: fn(&mut shapes::ShapesPlugin, Option<&Tree>) -> Result<Tree, Error> =
        <shapes::ShapesPlugin as shapes::Shapes>::grow;
    assert_ne!(seed_method as usize, grow_method as usize);
    let _json_number_in_and_array_out: fn(
        &mut shapes::ShapesPlugin,
        f32,
    ) -> Result<Vec<serde_json::Value>, Error> = <shapes::ShapesPlugin as shapes::Shapes>::scale;
    let _json_string_in_and_alias_out: fn(&mut shapes::ShapesPlugin, &str) -> Result<u16, Error> =
        <shapes::ShapesPlugin as shapes::Shapes>::label;
    let seed: String = plugin.call("seed", ()).unwrap();
    assert_eq!(seed, "3 bytes");
    assert_eq!(*host.0.lock().unwrap(), ["tick", "notify 3 bytes"]);
    let weight: String = plugin
        .call(
            "weigh",
            r#"{"type":"fir","height":4,"parent":null,"children":[]}"#,
        )
        .unwrap();
    assert_eq!(weight, "6.0");
    // JSON the import's type does not accept fails the call, naming the import.
    let error = plugin
        .call::<&str, String>("weigh", r#"{"type":"fir"}"#)
        .unwrap_err();
    let text = crate::support::report(&error);
    assert!(text.contains("weigh") && text.contains("height"), "{text}");
}

/// A plug-in that answers with JSON of another shape than the schema's: each call
/// fails with `Error::Codec` naming the export, and the plug-in keeps working.
#[test]
fn output_of_the_wrong_shape_is_a_codec_error_naming_the_export() {
    use shapes::Shapes;
    // Every export echoes its input.
    let echo = |name: &str| {
        format!(
            r#"(func (export "{name}") (result i32)
                 (call $output_set (call $input_offset) (call $input_length))
                 i32.const 0)"#
        )
    };
    let wat = format!(
        r#"(module
          (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
          (import "extism:host/env" "input_length" (func $input_length (result i64)))
          (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
          {} {} {} {})"#,
        echo("grow"),
        echo("scale"),
        echo("label"),
        echo("seed")
    );
    let plugin = PluginBuilder::new(Manifest::new([extism_host::Wasm::data(wat.into_bytes())]))
        .with_name("echo.wat")
        .build()
        .unwrap();
    let mut echo = shapes::ShapesPlugin::new(plugin).unwrap();
    // `"tall"` is a JSON string, not the `u16` a Height is.
    let error = echo.label("tall").unwrap_err();
    assert!(
        matches!(&error, Error::Codec { function, .. } if function == "label"),
        "{error:?}"
    );
    assert!(error.to_string().contains("echo.wat"), "{error}");
    // `null` is not a Tree.
    let error = echo.grow(None).unwrap_err();
    assert!(
        matches!(&error, Error::Codec { function, .. } if function == "grow"),
        "{error:?}"
    );
    // A number is not an array.
    assert!(matches!(echo.scale(1.5), Err(Error::Codec { .. })));
    // Bytes are bytes: nothing to decode.
    assert_eq!(echo.seed().unwrap(), Vec::<u8>::new());
}

/// What a hostile plug-in can pass to an import: JSON nested past serde_json's depth
/// limit, and text that is not UTF-8. Each fails the call with the import's name and
/// the cause, without reaching the implementation, and the plug-in keeps working.
#[test]
fn hostile_import_inputs_fail_the_call_naming_the_import() {
    use shapes::{ShapesImports, Tree};
    struct Counting(std::sync::atomic::AtomicUsize);
    impl Counting {
        fn called(&self) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    impl ShapesImports for Counting {
        fn notify(&self, _: &str) -> Result<(), HostError> {
            self.called();
            Ok(())
        }
        fn random(&self) -> Result<Vec<u8>, HostError> {
            Ok(Vec::new())
        }
        fn digest(&self, _: &[u8]) -> Result<String, HostError> {
            Ok(String::new())
        }
        fn weigh(&self, _: Tree) -> Result<f64, HostError> {
            self.called();
            Ok(1.0)
        }
        fn tick(&self) -> Result<(), HostError> {
            Ok(())
        }
    }
    let wat = r#"(module
      (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
      (import "extism:host/user" "notify" (func $notify (param i64)))
      (import "extism:host/user" "weigh" (func $weigh (param i64) (result i64)))
      (func (export "notify") (result i32)
        (call $notify (call $input_offset))
        i32.const 0)
      (func (export "weigh") (result i32)
        (drop (call $weigh (call $input_offset)))
        i32.const 0))"#;
    let host = std::sync::Arc::new(Counting(Default::default()));
    struct Shared(std::sync::Arc<Counting>);
    impl ShapesImports for Shared {
        fn notify(&self, input: &str) -> Result<(), HostError> {
            self.0.notify(input)
        }
        fn random(&self) -> Result<Vec<u8>, HostError> {
            self.0.random()
        }
        fn digest(&self, input: &[u8]) -> Result<String, HostError> {
            self.0.digest(input)
        }
        fn weigh(&self, input: Tree) -> Result<f64, HostError> {
            self.0.weigh(input)
        }
        fn tick(&self) -> Result<(), HostError> {
            self.0.tick()
        }
    }
    let mut plugin = PluginBuilder::new(Manifest::new([extism_host::Wasm::data(wat.as_bytes())]))
        .with_name("hostile.wat")
        .with_functions(Shared(host.clone()).into_host_functions())
        .build()
        .unwrap();

    // Trees 100 000 deep: a recursion limit, not a stack overflow.
    let deep = format!(
        "{}{}",
        r#"{"type":"t","height":1,"parent":null,"children":["#.repeat(100_000),
        "]}".repeat(100_000)
    );
    let error = plugin.call::<&str, ()>("weigh", &deep).unwrap_err();
    assert!(matches!(error, Error::HostFunction { .. }), "{error:?}");
    let text = crate::support::report(&error);
    assert!(
        text.contains("hostile.wat") && text.contains("weigh"),
        "{text}"
    );
    assert!(text.contains("recursion limit"), "{text}");

    let error = plugin.call::<&[u8], ()>("notify", b"caf\xe9").unwrap_err();
    assert!(matches!(error, Error::HostFunction { .. }), "{error:?}");
    let text = crate::support::report(&error);
    assert!(text.contains("notify") && text.contains("UTF-8"), "{text}");

    assert_eq!(host.0.load(std::sync::atomic::Ordering::SeqCst), 0);
    // The plug-in still works.
    plugin.call::<&str, ()>("notify", "ok").unwrap();
    assert_eq!(host.0.load(std::sync::atomic::Ordering::SeqCst), 1);
}
