//! Rust names for a schema's names: `echoEverything` → `echo_everything`,
//! `dragon-fruit` → `DragonFruit`, `type` → `r#type`; and the problems of names that
//! cannot be made Rust names or that two schema names would share.

use std::collections::HashMap;

use proc_macro2::{Ident, Span};

use super::model::{Schema, Shape};
use super::read::Problem;

/// The words of a name: split at `-`, `_`, spaces and dots, and where the case goes from
/// lower to upper (`echoEverything`) or an acronym ends (`HTTPServer` → `HTTP`, `Server`).
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && match prev {
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(|n| n.is_lowercase()),
                _ => false,
            };
        if boundary && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// `snake_case`, for methods and fields.
pub(crate) fn snake(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// `UpperCamelCase`, for types and enum variants.
pub(crate) fn camel(name: &str) -> String {
    let camel: String = words(name)
        .iter()
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect();
    // `1st` → `Value1st`: an identifier cannot start with a digit.
    if camel.starts_with(|c: char| c.is_ascii_digit()) {
        format!("Value{camel}")
    } else {
        camel
    }
}

/// `name` as an identifier: raw for a keyword (`r#type`), `None` when it cannot be one.
pub(crate) fn ident(name: &str) -> Option<Ident> {
    if name.is_empty()
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || name.starts_with(|c: char| c.is_ascii_digit())
        || name == "_"
    {
        return None;
    }
    if syn::parse_str::<Ident>(name).is_ok() {
        return Some(Ident::new(name, Span::call_site()));
    }
    // A keyword: raw, except the few that cannot be raw.
    match name {
        "self" | "Self" | "super" | "crate" => {
            Some(Ident::new(&format!("{name}_"), Span::call_site()))
        }
        _ => Some(Ident::new_raw(name, Span::call_site())),
    }
}

/// Checks that every name of `schema` has a Rust name of its own.
pub(crate) fn check(schema: &Schema) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut scope = Scope::new(&mut problems, "a method");
    for export in &schema.exports {
        scope.add(
            &format!("exports.{}", export.name),
            &export.name,
            snake(&export.name),
        );
    }
    let mut scope = Scope::new(&mut problems, "a method of the imports trait");
    for import in &schema.imports {
        scope.add(
            &format!("imports.{}", import.name),
            &import.name,
            snake(&import.name),
        );
    }
    let mut types = Scope::new(&mut problems, "a type");
    for component in &schema.components {
        let path = format!("components.schemas.{}", component.name);
        types.add(&path, &component.name, camel(&component.name));
    }
    for component in &schema.components {
        let path = format!("components.schemas.{}", component.name);
        match &component.shape {
            Shape::Struct {
                properties,
                additional,
            } => {
                let mut fields = Scope::new(&mut problems, "a field");
                for property in properties {
                    let field_path = format!("{path}.properties.{}", property.name);
                    fields.add(&field_path, &property.name, snake(&property.name));
                }
                if additional.is_some() {
                    fields.add(
                        &format!("{path}.additionalProperties"),
                        "additionalProperties",
                        "additional_properties".to_string(),
                    );
                }
            }
            Shape::Enum(values) => {
                let mut variants = Scope::new(&mut problems, "a variant");
                for (i, value) in values.iter().enumerate() {
                    variants.add(&format!("{path}.enum.{i}"), value, camel(value));
                }
            }
            Shape::Alias(_) => {}
        }
    }
    problems
}

/// Rust names given so far in one namespace.
struct Scope<'a> {
    problems: &'a mut Vec<Problem>,
    what: &'static str,
    taken: HashMap<String, String>,
}

impl<'a> Scope<'a> {
    fn new(problems: &'a mut Vec<Problem>, what: &'static str) -> Self {
        Scope {
            problems,
            what,
            taken: HashMap::new(),
        }
    }

    fn add(&mut self, path: &str, name: &str, rust: String) {
        if ident(&rust).is_none() {
            self.problems.push(Problem {
                path: path.to_string(),
                message: format!(
                    "`{name}` cannot be made the name of {}: use ASCII letters, digits, `_` and `-`",
                    self.what
                ),
            });
            return;
        }
        if let Some(first) = self.taken.get(&rust) {
            self.problems.push(Problem {
                path: path.to_string(),
                message: format!(
                    "`{name}` and `{first}` would both be `{rust}` in Rust: rename one"
                ),
            });
            return;
        }
        self.taken.insert(rust, name.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_rust_names() {
        assert_eq!(snake("echoEverything"), "echo_everything");
        assert_eq!(snake("HTTPServer"), "http_server");
        assert_eq!(snake("get-user_id2"), "get_user_id2");
        assert_eq!(snake("aUint8"), "a_uint8");
        assert_eq!(camel("dragon-fruit"), "DragonFruit");
        assert_eq!(camel("ghost_gang"), "GhostGang");
        assert_eq!(camel("APPLE"), "Apple");
        assert_eq!(camel("1st"), "Value1st");
        assert_eq!(ident("type").unwrap().to_string(), "r#type");
        assert_eq!(ident("self").unwrap().to_string(), "self_");
        assert!(ident("").is_none());
        assert!(ident("naïve").is_none());
    }
}
