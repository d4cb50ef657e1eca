//! An XTP schema, read and checked: what the rest of the crate generates code from.
//!
//! Every name here is the schema's own (`echoEverything`, `dragon-fruit`); turning them
//! into Rust identifiers is `naming`'s job.

/// A whole schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Schema {
    pub(crate) version: Version,
    /// In the schema's order.
    pub(crate) exports: Vec<Function>,
    /// Functions the plug-in imports from the host (namespace `extism:host/user`).
    pub(crate) imports: Vec<Function>,
    /// `components.schemas`, in the schema's order.
    pub(crate) components: Vec<Component>,
}

/// The versions of the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// `v0`: a list of export names, without types.
    V0,
    /// `v1-draft`: typed exports and imports, and components.
    V1Draft,
}

/// An export or an import.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Function {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) input: Option<Param>,
    pub(crate) output: Option<Param>,
}

/// The input or output of a function.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    pub(crate) ty: Type,
    pub(crate) content: ContentType,
    pub(crate) description: Option<String>,
}

/// How a parameter's bytes are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContentType {
    /// `application/json`.
    Json,
    /// `text/plain; charset=utf-8`: the bytes of a string.
    Text,
    /// `application/x-binary`: the bytes of a buffer.
    Binary,
}

impl ContentType {
    pub(crate) const ALL: [(&'static str, ContentType); 3] = [
        ("application/json", ContentType::Json),
        ("text/plain; charset=utf-8", ContentType::Text),
        ("application/x-binary", ContentType::Binary),
    ];
}

/// A type, and whether `null` is one of its values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Type {
    pub(crate) kind: Kind,
    pub(crate) nullable: bool,
}

/// The kinds of values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Integer(IntFormat),
    Number(FloatFormat),
    Boolean,
    String,
    /// `string` of format `date-time`.
    DateTime,
    /// `string` of format `byte`: base64 text of bytes.
    Bytes,
    /// `buffer`: bytes (base64 text inside JSON).
    Buffer,
    /// `array`; `None` when `items` is not given (any JSON values).
    Array(Option<Box<Type>>),
    /// `object` with `additionalProperties`: a map from strings.
    Map(Box<Type>),
    /// `object` without properties: any JSON object.
    Object,
    /// `$ref` to a component, by its name.
    Ref(String),
}

/// The formats of `integer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntFormat {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    /// No format: a 64-bit signed integer.
    Unspecified,
}

impl IntFormat {
    pub(crate) const ALL: [(&'static str, IntFormat); 8] = [
        ("int8", IntFormat::I8),
        ("int16", IntFormat::I16),
        ("int32", IntFormat::I32),
        ("int64", IntFormat::I64),
        ("uint8", IntFormat::U8),
        ("uint16", IntFormat::U16),
        ("uint32", IntFormat::U32),
        ("uint64", IntFormat::U64),
    ];
}

/// The formats of `number`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FloatFormat {
    Float,
    Double,
    /// No format: a double.
    Unspecified,
}

/// One of `components.schemas`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Component {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) shape: Shape,
}

/// What a component is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    /// An object with properties, in the schema's order, and perhaps more keys of one
    /// type (`additionalProperties`).
    Struct {
        properties: Vec<Property>,
        additional: Option<Type>,
    },
    /// A string that is one of these values.
    Enum(Vec<String>),
    /// Any other type, under a name.
    Alias(Type),
}

/// A property of an object component.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Property {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) ty: Type,
    /// Listed in the component's `required`.
    pub(crate) required: bool,
}
