//! Kafka Connect schemas and their JSON form, as `JsonConverter.asJsonSchema` writes them.
//!
//! Key order: `type`, then `fields`/`items`/`keys`+`values`, `optional`, `name`, `version`,
//! `doc`, `parameters`, `default`; a struct member gets `"field":"<name>"` last. Schemas are
//! rendered to text once per relation and cached; they never appear on the per-row path.

use crate::encode::json;

/// The Connect type of a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    Boolean,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    Bytes,
    String,
    Array(Box<Schema>),
    Map(Box<Schema>, Box<Schema>),
    Struct(Vec<Field>),
}

impl Type {
    fn name(&self) -> &'static str {
        match self {
            Type::Boolean => "boolean",
            Type::Int8 => "int8",
            Type::Int16 => "int16",
            Type::Int32 => "int32",
            Type::Int64 => "int64",
            Type::Float => "float",
            Type::Double => "double",
            Type::Bytes => "bytes",
            Type::String => "string",
            Type::Array(_) => "array",
            Type::Map(..) => "map",
            Type::Struct(_) => "struct",
        }
    }
}

/// A schema: type plus the optional metadata Connect carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    pub ty: Type,
    pub optional: bool,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    /// Parameters in insertion order (Connect's `SchemaBuilder` keeps a `LinkedHashMap`).
    pub parameters: Vec<(String, String)>,
    /// The default value, already rendered as JSON text.
    pub default: Option<String>,
}

/// A named member of a struct schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub schema: Schema,
}

impl Schema {
    /// A plain schema of the given type.
    pub fn of(ty: Type, optional: bool) -> Self {
        Schema {
            ty,
            optional,
            name: None,
            version: None,
            doc: None,
            parameters: Vec::new(),
            default: None,
        }
    }

    /// A named, versioned (semantic) schema, e.g. `io.debezium.time.Date` version 1.
    pub fn named(ty: Type, optional: bool, name: &str, version: Option<i32>) -> Self {
        let mut s = Schema::of(ty, optional);
        s.name = Some(name.to_string());
        s.version = version;
        s
    }

    /// Builder: sets the doc.
    pub fn with_doc(mut self, doc: &str) -> Self {
        self.doc = Some(doc.to_string());
        self
    }

    /// Builder: appends a parameter.
    pub fn with_param(mut self, k: &str, v: &str) -> Self {
        self.parameters.push((k.to_string(), v.to_string()));
        self
    }

    /// Renders this schema as JSON, with `"field":"name"` appended for a struct member.
    pub fn write_json(&self, out: &mut String, field: Option<&str>) {
        out.push_str("{\"type\":\"");
        out.push_str(self.ty.name());
        out.push('"');
        match &self.ty {
            Type::Struct(fields) => {
                out.push_str(",\"fields\":[");
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    f.schema.write_json(out, Some(&f.name));
                }
                out.push(']');
            }
            Type::Array(items) => {
                out.push_str(",\"items\":");
                items.write_json(out, None);
            }
            Type::Map(k, v) => {
                out.push_str(",\"keys\":");
                k.write_json(out, None);
                out.push_str(",\"values\":");
                v.write_json(out, None);
            }
            _ => {}
        }
        out.push_str(if self.optional {
            ",\"optional\":true"
        } else {
            ",\"optional\":false"
        });
        if let Some(n) = &self.name {
            out.push_str(",\"name\":");
            out.push_str(&json::quoted(n));
        }
        if let Some(v) = self.version {
            out.push_str(",\"version\":");
            out.push_str(&v.to_string());
        }
        if let Some(d) = &self.doc {
            out.push_str(",\"doc\":");
            out.push_str(&json::quoted(d));
        }
        if !self.parameters.is_empty() {
            out.push_str(",\"parameters\":{");
            for (i, (k, v)) in self.parameters.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json::quoted(k));
                out.push(':');
                out.push_str(&json::quoted(v));
            }
            out.push('}');
        }
        if let Some(d) = &self.default {
            out.push_str(",\"default\":");
            out.push_str(d);
        }
        if let Some(f) = field {
            out.push_str(",\"field\":");
            out.push_str(&json::quoted(f));
        }
        out.push('}');
    }

    /// This schema as JSON text.
    pub fn to_json(&self, field: Option<&str>) -> String {
        let mut s = String::new();
        self.write_json(&mut s, field);
        s
    }
}

/// Helper for struct schemas.
pub fn field(name: &str, schema: Schema) -> Field {
    Field {
        name: name.to_string(),
        schema,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_json_converter() {
        let s = Schema::named(Type::String, true, "io.debezium.data.Enum", Some(1)).with_param(
            "allowed",
            "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental",
        );
        let mut s = s;
        s.default = Some("\"false\"".into());
        assert_eq!(
            s.to_json(Some("snapshot")),
            r#"{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"}"#
        );
        let vsd = Schema::named(
            Type::Struct(vec![
                field("scale", Schema::of(Type::Int32, false)),
                field("value", Schema::of(Type::Bytes, false)),
            ]),
            true,
            "io.debezium.data.VariableScaleDecimal",
            Some(1),
        )
        .with_doc("Variable scaled decimal");
        assert_eq!(
            vsd.to_json(Some("c")),
            r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},{"type":"bytes","optional":false,"field":"value"}],"optional":true,"name":"io.debezium.data.VariableScaleDecimal","version":1,"doc":"Variable scaled decimal","field":"c"}"#
        );
        let arr = Schema::of(Type::Array(Box::new(Schema::of(Type::Int32, true))), true);
        assert_eq!(
            arr.to_json(Some("c")),
            r#"{"type":"array","items":{"type":"int32","optional":true},"optional":true,"field":"c"}"#
        );
    }
}
