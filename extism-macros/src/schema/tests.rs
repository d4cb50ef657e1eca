//! The reader and the names: what a schema becomes, and every problem of a bad one.

use super::model::*;
use super::naming;
use super::read::{read, Problem};

fn problems(text: &str) -> Vec<String> {
    let mut problems: Vec<Problem> = match read(text) {
        Ok(schema) => naming::check(&schema),
        Err(problems) => problems,
    };
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    problems.iter().map(ToString::to_string).collect()
}

#[test]
fn the_pantry_schema_reads_into_the_model() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../plugins/schemas/pantry.yaml"
    ))
    .unwrap();
    let schema = read(&text).unwrap();
    assert_eq!(schema.version, Version::V1Draft);
    let exports: Vec<_> = schema.exports.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        exports,
        [
            "echoEverything",
            "describeFruit",
            "reverseBytes",
            "countItems",
            "greet",
            "ping"
        ]
    );
    let describe = &schema.exports[1];
    assert_eq!(
        describe.input.as_ref().unwrap().ty.kind,
        Kind::Ref("Fruit".into())
    );
    assert_eq!(describe.output.as_ref().unwrap().content, ContentType::Text);
    assert!(schema.exports[5].input.is_none() && schema.exports[5].output.is_none());
    assert_eq!(schema.imports.len(), 2);
    let everything = schema
        .components
        .iter()
        .find(|c| c.name == "Everything")
        .unwrap();
    let Shape::Struct {
        properties,
        additional,
    } = &everything.shape
    else {
        panic!("{everything:?}");
    };
    assert!(additional.is_none());
    let kinds: Vec<_> = properties.iter().map(|p| &p.ty.kind).collect();
    assert_eq!(kinds[0], &Kind::Integer(IntFormat::I8));
    assert_eq!(kinds[7], &Kind::Integer(IntFormat::U64));
    assert_eq!(kinds[8], &Kind::Integer(IntFormat::Unspecified));
    assert_eq!(kinds[9], &Kind::Number(FloatFormat::Float));
    assert_eq!(kinds[14], &Kind::DateTime);
    assert_eq!(kinds[15], &Kind::Bytes);
    assert_eq!(kinds[16], &Kind::Buffer);
    let note = properties.iter().find(|p| p.name == "maybeNote").unwrap();
    assert!(note.required && note.ty.nullable);
    let count = properties
        .iter()
        .find(|p| p.name == "optionalCount")
        .unwrap();
    assert!(!count.required);
    let fruit = schema
        .components
        .iter()
        .find(|c| c.name == "Fruit")
        .unwrap();
    assert_eq!(
        fruit.shape,
        Shape::Enum(vec![
            "apple".into(),
            "orange".into(),
            "banana".into(),
            "dragon-fruit".into()
        ])
    );
}

#[test]
fn a_v0_schema_is_a_list_of_byte_functions() {
    let schema = read("version: v0\nexports: [a, b]\n").unwrap();
    assert_eq!(schema.exports.len(), 2);
    let input = schema.exports[0].input.as_ref().unwrap();
    assert_eq!(input.content, ContentType::Binary);
    assert_eq!(
        problems("version: v0\nexports: [a, a, 3]\n"),
        [
            "`exports`: `a` is listed twice",
            "`exports.2`: expected an export's name, found an integer",
        ]
    );
}

#[test]
fn every_problem_is_reported_at_its_path() {
    let text = r##"
version: v1-draft
exports:
  greet:
    input:
      $ref: "#/components/schemas/Nobody"
      contentType: application/json
    output:
      type: integer
      contentType: "text/plain; charset=utf-8"
  hash:
    input:
      type: strin
      contentType: application/x-binary
    output:
      type: buffer
      contentType: application/xml
    returns: nothing
components:
  schemas:
    Thing:
      properties:
        when:
          type: string
          format: date
        count:
          type: integer
          format: int128
        lists:
          type: object
          additionalProperties:
            type: array
            items: {type: string}
      required: [when, missing]
    Colour:
      enum: [red, red]
"##;
    assert_eq!(
        problems(text),
        [
            "`components.schemas.Colour.enum.1`: `red` is listed twice",
            "`components.schemas.Thing.properties.count.format`: `int128` is not a format of `integer`: the formats are `int8`, `int16`, `int32`, `int64`, `uint8`, `uint16`, `uint32` and `uint64`",
            "`components.schemas.Thing.properties.lists.additionalProperties`: a map's values cannot be arrays (xtp-bindgen does not support them)",
            "`components.schemas.Thing.properties.when.format`: `date` is not a format of `string`: the formats are `date-time` and `byte`",
            "`components.schemas.Thing.required.1`: `missing` is not one of the `properties`",
            "`exports.greet.input.$ref`: no component is named `Nobody`: the components are `Colour`, `Thing`",
            "`exports.greet.output.contentType`: a parameter of this content type has type `string` (no format, not nullable); use `application/json` for other types",
            "`exports.hash.input.type`: `strin` is not a type: expected `string`, `number`, `integer`, `boolean`, `object`, `array` or `buffer`",
            "`exports.hash.output.contentType`: expected `application/json`, `text/plain; charset=utf-8`, `application/x-binary`, found `application/xml`",
            "`exports.hash.returns`: unknown key in a function: the keys are `description`, `codeSamples`, `input`, `output`",
        ]
    );
}

#[test]
fn the_document_itself_can_be_wrong() {
    assert_eq!(
        problems(""),
        ["the file is empty: expected a schema with a `version`"]
    );
    assert_eq!(
        problems("version: v2\n"),
        ["`version`: expected `v0` or `v1-draft`, found `v2`"]
    );
    assert_eq!(
        problems("exports: {}\n"),
        ["`version`: missing: expected `v0` or `v1-draft`"]
    );
    assert_eq!(
        problems("- a\n- b\n"),
        ["expected a mapping with `version` and `exports`, found a list"]
    );
    assert!(problems("version: [\n")[0].starts_with("not YAML: "));
    assert_eq!(
        problems("version: v1-draft\nexport: {}\n"),
        ["`export`: unknown key in a v1-draft schema: the keys are `version`, `exports`, `imports`, `components`"]
    );
}

#[test]
fn names_rust_cannot_tell_apart_are_problems() {
    let text = r#"
version: v1-draft
exports:
  getUser: {}
  get_user: {}
  "naïve": {}
components:
  schemas:
    Box:
      properties:
        type: {type: string}
        aB: {type: string}
        a_b: {type: string}
    box: {type: integer}
"#;
    assert_eq!(
        problems(text),
        [
            "`components.schemas.Box.properties.a_b`: `a_b` and `aB` would both be `a_b` in Rust: rename one",
            "`components.schemas.box`: `box` and `Box` would both be `Box` in Rust: rename one",
            "`exports.get_user`: `get_user` and `getUser` would both be `get_user` in Rust: rename one",
            "`exports.naïve`: `naïve` cannot be made the name of a method: use ASCII letters, digits, `_` and `-`",
        ]
    );
}

#[test]
fn a_ref_takes_nothing_but_nullable_and_a_description() {
    let text = r##"
version: v1-draft
exports:
  f:
    input: {$ref: "#/components/schemas/A", type: string, contentType: application/json}
    output: {$ref: "A", contentType: application/json}
components:
  schemas:
    A: {type: boolean}
"##;
    assert_eq!(
        problems(text),
        [
            "`exports.f.input.type`: a `$ref` takes its type from the component: remove this key",
            "`exports.f.output.$ref`: expected `#/components/schemas/<name>`, found `A`",
        ]
    );
}
