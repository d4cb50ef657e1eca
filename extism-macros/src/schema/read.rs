//! From YAML text to a [`Schema`], checking everything the model assumes.
//!
//! Contract: [`read`] returns a schema only when the text has no problem at all; else it
//! returns every problem it found, each naming the path of the bad field
//! (`exports.greet.input.$ref`) and what was expected there. The walk never stops at the
//! first problem: a field that cannot be read is left out and its siblings are still read.

use std::collections::HashSet;
use std::fmt;

use yaml_rust2::{Yaml, YamlLoader};

use super::model::*;

/// One thing wrong with a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Dot-separated keys from the document's root; empty for the document itself.
    pub(crate) path: String,
    pub(crate) message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "`{}`: {}", self.path, self.message)
        }
    }
}

/// The prefix of every `$ref`.
const REF_PREFIX: &str = "#/components/schemas/";

/// The types `type` may name.
const TYPES: &str = "`string`, `number`, `integer`, `boolean`, `object`, `array` or `buffer`";

/// Reads and checks a schema.
pub(crate) fn read(text: &str) -> Result<Schema, Vec<Problem>> {
    let mut reader = Reader::default();
    let docs = match YamlLoader::load_from_str(text) {
        Ok(docs) => docs,
        Err(error) => {
            return Err(vec![Problem {
                path: String::new(),
                message: format!("not YAML: {error}"),
            }])
        }
    };
    let schema = match docs.as_slice() {
        [doc] => reader.schema(doc),
        [] => {
            reader.problem("", "the file is empty: expected a schema with a `version`");
            None
        }
        _ => {
            reader.problem("", "the file holds several YAML documents: expected one");
            None
        }
    };
    match schema {
        Some(schema) if reader.problems.is_empty() => Ok(schema),
        _ => Err(reader.problems),
    }
}

/// A field: its YAML value and where it is.
#[derive(Clone)]
struct Node<'a> {
    yaml: &'a Yaml,
    path: String,
}

#[derive(Default)]
struct Reader {
    problems: Vec<Problem>,
    /// The names of `components.schemas`, for `$ref`s.
    components: HashSet<String>,
}

/// The fields of a mapping, with their paths.
struct Fields<'a> {
    entries: Vec<(&'a str, &'a Yaml, String)>,
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<Node<'a>> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, yaml, path)| Node {
                yaml,
                path: path.clone(),
            })
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn kind_of(yaml: &Yaml) -> &'static str {
    match yaml {
        Yaml::Real(_) => "a number",
        Yaml::Integer(_) => "an integer",
        Yaml::String(_) => "a string",
        Yaml::Boolean(_) => "a boolean",
        Yaml::Array(_) => "a list",
        Yaml::Hash(_) => "a mapping",
        Yaml::Alias(_) => "an alias",
        Yaml::Null => "nothing",
        Yaml::BadValue => "an unreadable value",
    }
}

impl Reader {
    fn problem(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_string(),
            message: message.into(),
        });
    }

    fn expected(&mut self, node: &Node, what: &str) {
        let found = kind_of(node.yaml);
        self.problem(&node.path, format!("expected {what}, found {found}"));
    }

    /// The entries of a mapping, checked against the keys it may have.
    fn mapping<'a>(&mut self, node: &Node<'a>, what: &str, allowed: &[&str]) -> Option<Fields<'a>> {
        let Yaml::Hash(hash) = node.yaml else {
            self.expected(node, what);
            return None;
        };
        let mut entries = Vec::new();
        for (key, value) in hash {
            let Some(key) = key.as_str() else {
                self.problem(
                    &node.path,
                    format!("a key is {}: keys are strings", kind_of(key)),
                );
                continue;
            };
            let path = child(&node.path, key);
            if !allowed.is_empty() && !allowed.contains(&key) {
                let keys = allowed
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.problem(&path, format!("unknown key in {what}: the keys are {keys}"));
                continue;
            }
            entries.push((key, value, path));
        }
        Some(Fields { entries })
    }

    /// The named entries of a mapping whose keys are names (exports, components,
    /// properties): a missing or null mapping has none.
    fn named<'a>(&mut self, node: Option<Node<'a>>, what: &str) -> Vec<(&'a str, Node<'a>)> {
        let Some(node) = node else { return Vec::new() };
        if node.yaml.is_null() {
            return Vec::new();
        }
        let Some(fields) = self.mapping(&node, what, &[]) else {
            return Vec::new();
        };
        let mut named = Vec::new();
        for (key, yaml, path) in fields.entries {
            if key.is_empty() {
                self.problem(&path, "a name cannot be empty");
                continue;
            }
            named.push((key, Node { yaml, path }));
        }
        named
    }

    fn string(&mut self, node: Option<Node>, what: &str) -> Option<String> {
        let node = node?;
        match node.yaml.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.expected(&node, what);
                None
            }
        }
    }

    fn boolean(&mut self, node: Option<Node>) -> bool {
        let Some(node) = node else { return false };
        match node.yaml {
            Yaml::Boolean(b) => *b,
            _ => {
                self.expected(&node, "`true` or `false`");
                false
            }
        }
    }

    fn schema(&mut self, doc: &Yaml) -> Option<Schema> {
        let root = Node {
            yaml: doc,
            path: String::new(),
        };
        if !matches!(doc, Yaml::Hash(_)) {
            self.expected(&root, "a mapping with `version` and `exports`");
            return None;
        }
        let peek = self.mapping(&root, "a schema", &[])?;
        let version = match peek.get("version") {
            None => {
                self.problem("version", "missing: expected `v0` or `v1-draft`");
                return None;
            }
            Some(node) => match node.yaml.as_str() {
                Some("v0") => Version::V0,
                Some("v1-draft") => Version::V1Draft,
                _ => {
                    let found = match node.yaml.as_str() {
                        Some(s) => format!("`{s}`"),
                        None => kind_of(node.yaml).to_string(),
                    };
                    self.problem(
                        "version",
                        format!("expected `v0` or `v1-draft`, found {found}"),
                    );
                    return None;
                }
            },
        };
        match version {
            Version::V0 => self.v0(root),
            Version::V1Draft => self.v1(root),
        }
    }

    /// `version: v0`: `exports` is a list of names.
    fn v0(&mut self, root: Node) -> Option<Schema> {
        let fields = self.mapping(&root, "a v0 schema", &["version", "exports"])?;
        let mut exports = Vec::new();
        if let Some(node) = fields.get("exports") {
            match node.yaml {
                Yaml::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let path = child(&node.path, &i.to_string());
                        match item.as_str() {
                            Some("") => self.problem(&path, "an export's name cannot be empty"),
                            Some(name) => exports.push(v0_export(name)),
                            None => self.expected(
                                &Node {
                                    yaml: item,
                                    path: path.clone(),
                                },
                                "an export's name",
                            ),
                        }
                    }
                }
                Yaml::Null => {}
                _ => self.expected(&node, "a list of export names"),
            }
        }
        self.unique(&exports, "exports");
        Some(Schema {
            version: Version::V0,
            exports,
            imports: Vec::new(),
            components: Vec::new(),
        })
    }

    fn v1(&mut self, root: Node) -> Option<Schema> {
        let fields = self.mapping(
            &root,
            "a v1-draft schema",
            &["version", "exports", "imports", "components"],
        )?;
        // Components first: `$ref`s anywhere are checked against their names.
        let schemas = match fields.get("components") {
            Some(node) if !node.yaml.is_null() => self
                .mapping(&node, "`components`", &["schemas"])
                .and_then(|c| c.get("schemas")),
            _ => None,
        };
        let component_nodes = self.named(
            schemas,
            "`components.schemas`: a mapping from names to schemas",
        );
        self.components = component_nodes.iter().map(|(n, _)| n.to_string()).collect();
        let components = component_nodes
            .into_iter()
            .filter_map(|(name, node)| self.component(name, node))
            .collect();
        let exports = self.functions(fields.get("exports"), "exports");
        let imports = self.functions(fields.get("imports"), "imports");
        Some(Schema {
            version: Version::V1Draft,
            exports,
            imports,
            components,
        })
    }

    fn functions(&mut self, node: Option<Node>, what: &str) -> Vec<Function> {
        let functions: Vec<Function> = self
            .named(
                node,
                &format!("`{what}`: a mapping from names to functions"),
            )
            .into_iter()
            .filter_map(|(name, node)| self.function(name, node))
            .collect();
        self.unique(&functions, what);
        functions
    }

    /// Names are keys of a mapping, so they are unique; a v0 list may repeat one.
    fn unique(&mut self, functions: &[Function], what: &str) {
        let mut seen = HashSet::new();
        for function in functions {
            if !seen.insert(&function.name) {
                self.problem(what, format!("`{}` is listed twice", function.name));
            }
        }
    }

    fn function(&mut self, name: &str, node: Node) -> Option<Function> {
        let mut function = Function {
            name: name.to_string(),
            description: None,
            input: None,
            output: None,
        };
        if node.yaml.is_null() {
            return Some(function);
        }
        let fields = self.mapping(
            &node,
            "a function",
            &["description", "codeSamples", "input", "output"],
        )?;
        function.description = self.string(fields.get("description"), "a description (text)");
        if let Some(samples) = fields.get("codeSamples") {
            if !matches!(samples.yaml, Yaml::Array(_)) {
                self.expected(&samples, "a list of code samples");
            }
        }
        function.input = fields.get("input").and_then(|n| self.param(n));
        function.output = fields.get("output").and_then(|n| self.param(n));
        Some(function)
    }

    fn param(&mut self, node: Node) -> Option<Param> {
        let fields = self.mapping(
            &node,
            "a parameter",
            &[
                "contentType",
                "description",
                "type",
                "format",
                "items",
                "additionalProperties",
                "nullable",
                "$ref",
            ],
        )?;
        let content_path = child(&node.path, "contentType");
        let content = match fields.get("contentType") {
            None => {
                self.problem(
                    &content_path,
                    format!("missing: expected {}", content_types()),
                );
                None
            }
            Some(node) => {
                let found = node.yaml.as_str();
                let content = ContentType::ALL
                    .iter()
                    .find(|(name, _)| Some(*name) == found)
                    .map(|(_, c)| *c);
                if content.is_none() {
                    let found = match found {
                        Some(s) => format!("`{s}`"),
                        None => kind_of(node.yaml).to_string(),
                    };
                    self.problem(
                        &content_path,
                        format!("expected {}, found {found}", content_types()),
                    );
                }
                content
            }
        };
        let description = self.string(fields.get("description"), "a description (text)");
        let ty = self.typed(&node, &fields, Place::Param)?;
        let content = content?;
        let fits = match content {
            ContentType::Json => true,
            ContentType::Text => ty.kind == Kind::String && !ty.nullable,
            ContentType::Binary => ty.kind == Kind::Buffer && !ty.nullable,
        };
        if !fits {
            let needs = match content {
                ContentType::Text => "type `string` (no format, not nullable)",
                _ => "type `buffer` (not nullable)",
            };
            self.problem(
                &content_path,
                format!("a parameter of this content type has {needs}; use `application/json` for other types"),
            );
            return None;
        }
        Some(Param {
            ty,
            content,
            description,
        })
    }

    fn component(&mut self, name: &str, node: Node) -> Option<Component> {
        let fields = self.mapping(
            &node,
            "a schema",
            &[
                "description",
                "type",
                "format",
                "items",
                "additionalProperties",
                "nullable",
                "properties",
                "required",
                "enum",
            ],
        )?;
        let description = self.string(fields.get("description"), "a description (text)");
        let shape = if let Some(values) = fields.get("enum") {
            self.enumeration(node, &fields, values)?
        } else if let Some(properties) = fields.get("properties") {
            self.structure(node, &fields, properties)?
        } else if fields.get("required").is_some() {
            self.problem(
                &child(&node.path, "required"),
                "`required` lists properties, and this schema has no `properties`",
            );
            return None;
        } else {
            Shape::Alias(self.typed(&node, &fields, Place::Component)?)
        };
        Some(Component {
            name: name.to_string(),
            description,
            shape,
        })
    }

    fn enumeration(&mut self, node: Node, fields: &Fields, values: Node) -> Option<Shape> {
        if let Some(ty) = fields.get("type") {
            if ty.yaml.as_str() != Some("string") {
                self.problem(&ty.path, "an enum is of type `string`");
            }
        }
        for key in [
            "format",
            "items",
            "additionalProperties",
            "properties",
            "required",
        ] {
            if fields.get(key).is_some() {
                self.problem(&child(&node.path, key), "an enum has no such key");
            }
        }
        let Yaml::Array(items) = values.yaml else {
            self.expected(&values, "a list of strings");
            return None;
        };
        if items.is_empty() {
            self.problem(&values.path, "an enum needs at least one value");
        }
        let mut seen = HashSet::new();
        let mut variants = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = child(&values.path, &i.to_string());
            match item.as_str() {
                Some(value) if !seen.insert(value) => {
                    self.problem(&path, format!("`{value}` is listed twice"))
                }
                Some(value) => variants.push(value.to_string()),
                None => self.expected(
                    &Node {
                        yaml: item,
                        path: path.clone(),
                    },
                    "a string",
                ),
            }
        }
        Some(Shape::Enum(variants))
    }

    fn structure(&mut self, node: Node, fields: &Fields, properties: Node) -> Option<Shape> {
        if let Some(ty) = fields.get("type") {
            if ty.yaml.as_str() != Some("object") {
                self.problem(&ty.path, "a schema with `properties` is of type `object`");
            }
        }
        for key in ["format", "items"] {
            if fields.get(key).is_some() {
                self.problem(&child(&node.path, key), "an object has no such key");
            }
        }
        let mut required = Vec::new();
        if let Some(list) = fields.get("required") {
            match list.yaml {
                Yaml::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let path = child(&list.path, &i.to_string());
                        match item.as_str() {
                            Some(name) => required.push((name.to_string(), path)),
                            None => self.expected(
                                &Node {
                                    yaml: item,
                                    path: path.clone(),
                                },
                                "a property's name",
                            ),
                        }
                    }
                }
                _ => self.expected(&list, "a list of property names"),
            }
        }
        let mut props = Vec::new();
        for (name, prop) in self.named(
            Some(properties.clone()),
            "`properties`: a mapping from names to properties",
        ) {
            let Some(prop_fields) = self.mapping(
                &prop,
                "a property",
                &[
                    "description",
                    "type",
                    "format",
                    "items",
                    "additionalProperties",
                    "nullable",
                    "$ref",
                ],
            ) else {
                continue;
            };
            let description = self.string(prop_fields.get("description"), "a description (text)");
            let Some(ty) = self.typed(&prop, &prop_fields, Place::Property) else {
                continue;
            };
            props.push(Property {
                name: name.to_string(),
                description,
                ty,
                required: required.iter().any(|(r, _)| r == name),
            });
        }
        for (name, path) in &required {
            if !props.iter().any(|p| &p.name == name) && !self.has_key(&properties, name) {
                self.problem(path, format!("`{name}` is not one of the `properties`"));
            }
        }
        let additional = match fields.get("additionalProperties") {
            Some(node) => Some(self.map_value(node)?),
            None => None,
        };
        Some(Shape::Struct {
            properties: props,
            additional,
        })
    }

    fn has_key(&self, node: &Node, key: &str) -> bool {
        matches!(node.yaml, Yaml::Hash(h) if h.contains_key(&Yaml::String(key.to_string())))
    }

    /// The value type of a map: xtp-bindgen's generators take neither arrays nor maps
    /// there, so a schema with one would not build on the plug-in side.
    fn map_value(&mut self, node: Node) -> Option<Type> {
        let fields = self.mapping(
            &node,
            "the type of the map's values",
            &[
                "description",
                "type",
                "format",
                "items",
                "additionalProperties",
                "nullable",
                "$ref",
            ],
        )?;
        let ty = self.typed(&node, &fields, Place::Nested)?;
        match ty.kind {
            Kind::Array(_) => {
                self.problem(
                    &node.path,
                    "a map's values cannot be arrays (xtp-bindgen does not support them)",
                );
                None
            }
            Kind::Map(_) => {
                self.problem(
                    &node.path,
                    "a map's values cannot be maps (xtp-bindgen does not support them)",
                );
                None
            }
            _ => Some(ty),
        }
    }

    /// The type a node describes with `type`, `format`, `items`, `additionalProperties`,
    /// `nullable` and `$ref`.
    fn typed(&mut self, node: &Node, fields: &Fields, place: Place) -> Option<Type> {
        let nullable = self.boolean(fields.get("nullable"));
        if let Some(reference) = fields.get("$ref") {
            for key in ["type", "format", "items", "additionalProperties"] {
                if let Some(other) = fields.get(key) {
                    self.problem(
                        &other.path,
                        "a `$ref` takes its type from the component: remove this key",
                    );
                }
            }
            let target = match reference.yaml.as_str() {
                Some(r) => r.strip_prefix(REF_PREFIX),
                None => None,
            };
            let Some(target) = target else {
                match reference.yaml.as_str() {
                    Some(other) => self.problem(
                        &reference.path,
                        format!("expected `{REF_PREFIX}<name>`, found `{other}`"),
                    ),
                    None => self.expected(&reference, &format!("a string `{REF_PREFIX}<name>`")),
                }
                return None;
            };
            if place == Place::Component {
                self.problem(
                    &reference.path,
                    "a component cannot be a `$ref`: use the other component's name",
                );
                return None;
            }
            if !self.components.contains(target) {
                let mut known: Vec<_> = self.components.iter().map(|c| format!("`{c}`")).collect();
                known.sort();
                let known = if known.is_empty() {
                    "there are no components".to_string()
                } else {
                    format!("the components are {}", known.join(", "))
                };
                self.problem(
                    &reference.path,
                    format!("no component is named `{target}`: {known}"),
                );
                return None;
            }
            return Some(Type {
                kind: Kind::Ref(target.to_string()),
                nullable,
            });
        }
        let Some(ty_node) = fields.get("type") else {
            self.problem(
                &child(&node.path, "type"),
                format!("missing: expected a `type` ({TYPES}) or a `$ref`"),
            );
            return None;
        };
        let Some(ty) = ty_node.yaml.as_str() else {
            self.expected(&ty_node, &format!("a type name ({TYPES})"));
            return None;
        };
        let format = fields.get("format");
        let format_name = match &format {
            Some(f) => match f.yaml.as_str() {
                Some(name) => Some((name, f)),
                None => {
                    self.expected(f, "a format name");
                    return None;
                }
            },
            None => None,
        };
        let bad_format = |this: &mut Self, valid: &str| {
            if let Some((name, f)) = format_name {
                this.problem(
                    &f.path,
                    format!("`{name}` is not a format of `{ty}`: {valid}"),
                );
            }
        };
        let kind = match ty {
            "string" => match format_name.map(|(n, _)| n) {
                None => Kind::String,
                Some("date-time") => Kind::DateTime,
                Some("byte") => Kind::Bytes,
                Some(_) => {
                    bad_format(self, "the formats are `date-time` and `byte`");
                    return None;
                }
            },
            "integer" => match format_name {
                None => Kind::Integer(IntFormat::Unspecified),
                Some((name, _)) => match IntFormat::ALL.iter().find(|(n, _)| *n == name) {
                    Some((_, f)) => Kind::Integer(*f),
                    None => {
                        bad_format(self, "the formats are `int8`, `int16`, `int32`, `int64`, `uint8`, `uint16`, `uint32` and `uint64`");
                        return None;
                    }
                },
            },
            "number" => match format_name.map(|(n, _)| n) {
                None => Kind::Number(FloatFormat::Unspecified),
                Some("float") => Kind::Number(FloatFormat::Float),
                Some("double") => Kind::Number(FloatFormat::Double),
                Some(_) => {
                    bad_format(self, "the formats are `float` and `double`");
                    return None;
                }
            },
            "boolean" | "buffer" | "array" | "object" => {
                if format_name.is_some() {
                    bad_format(self, "it takes no format");
                    return None;
                }
                match ty {
                    "boolean" => Kind::Boolean,
                    "buffer" => Kind::Buffer,
                    "array" => {
                        let items = match fields.get("items") {
                            Some(items) => Some(Box::new(self.nested(items)?)),
                            None => None,
                        };
                        Kind::Array(items)
                    }
                    _ => match fields.get("additionalProperties") {
                        Some(values) => Kind::Map(Box::new(self.map_value(values)?)),
                        None => Kind::Object,
                    },
                }
            }
            other => {
                self.problem(
                    &ty_node.path,
                    format!("`{other}` is not a type: expected {TYPES}"),
                );
                return None;
            }
        };
        if ty != "array" {
            if let Some(items) = fields.get("items") {
                self.problem(&items.path, "only an `array` has `items`");
            }
        }
        if ty != "object" && place != Place::Component {
            if let Some(values) = fields.get("additionalProperties") {
                self.problem(&values.path, "only an `object` has `additionalProperties`");
            }
        }
        Some(Type { kind, nullable })
    }

    /// The type of an array's items.
    fn nested(&mut self, node: Node) -> Option<Type> {
        let fields = self.mapping(
            &node,
            "the type of the array's items",
            &[
                "description",
                "type",
                "format",
                "items",
                "additionalProperties",
                "nullable",
                "$ref",
            ],
        )?;
        self.typed(&node, &fields, Place::Nested)
    }
}

/// A v0 export: its input and output are untyped, so they are bytes.
fn v0_export(name: &str) -> Function {
    let bytes = || Param {
        ty: Type {
            kind: Kind::Buffer,
            nullable: false,
        },
        content: ContentType::Binary,
        description: None,
    };
    Function {
        name: name.to_string(),
        description: None,
        input: Some(bytes()),
        output: Some(bytes()),
    }
}

/// Where a type is written: components may not be `$ref`s.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Component,
    Property,
    Param,
    Nested,
}

fn content_types() -> String {
    ContentType::ALL
        .iter()
        .map(|(name, _)| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
