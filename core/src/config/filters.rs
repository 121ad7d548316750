//! Debezium's include/exclude filters (`schema.*`, `table.*`, `column.*`,
//! `message.prefix.*`): regular-expression lists matched case-insensitively against the whole
//! `schema`, `schema.table`, `schema.table.column` or message prefix. An include list and an
//! exclude list of the same kind together are an error, as in Debezium.

use crate::config::regexlist::{RegexBudget, RegexList};
use crate::error::{Error, ErrorCode, Result};

/// One kind of filter: an include list, an exclude list, or neither.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Filter {
    #[default]
    All,
    Include(RegexList),
    Exclude(RegexList),
}

impl Filter {
    /// Whether `name` passes.
    pub fn allows(&self, name: &str) -> bool {
        match self {
            Filter::All => true,
            Filter::Include(l) => l.matches(name),
            Filter::Exclude(l) => !l.matches(name),
        }
    }

    /// Sets the include list (or the exclude list) of this kind, refusing both.
    pub fn set(&mut self, kind: &str, include: bool, list: &str) -> Result<()> {
        self.set_within(kind, include, list, &RegexBudget::default())
    }

    /// [`Filter::set`], charging the patterns to the session's `budget`.
    pub fn set_within(
        &mut self,
        kind: &str,
        include: bool,
        list: &str,
        budget: &RegexBudget,
    ) -> Result<()> {
        let option = format!(
            "{kind}.{}.list",
            if include { "include" } else { "exclude" }
        );
        let l = RegexList::parse_within(&option, list, budget)?;
        let conflict = match self {
            Filter::All => false,
            Filter::Include(_) => !include,
            Filter::Exclude(_) => include,
        };
        if conflict {
            return Err(Error::new(
                ErrorCode::InvalidParameterValue,
                format!("options \"{kind}.include.list\" and \"{kind}.exclude.list\" cannot be used together"),
            )
            .hint(format!("Use either \"{kind}.include.list\" or \"{kind}.exclude.list\", as Debezium requires.")));
        }
        *self = if include {
            Filter::Include(l)
        } else {
            Filter::Exclude(l)
        };
        Ok(())
    }
}

/// All filters of a session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub schema: Filter,
    pub table: Filter,
    pub column: Filter,
    pub message_prefix: Filter,
}

impl Filters {
    /// Whether changes of `schema.table` are captured. Debezium always leaves out system
    /// schemas and PostGIS's `spatial_ref_sys` (`SystemTablesPredicate`).
    pub fn table_included(&self, schema: &str, table: &str) -> bool {
        if schema == "pg_catalog"
            || schema == "information_schema"
            || schema.starts_with("pg_temp")
            || table == "spatial_ref_sys"
        {
            return false;
        }
        self.schema.allows(schema) && self.table.allows(&format!("{schema}.{table}"))
    }

    /// Whether a column is kept in the `Value` schema (keys keep their columns regardless).
    pub fn column_included(&self, schema: &str, table: &str, column: &str) -> bool {
        self.column.allows(&format!("{schema}.{table}.{column}"))
    }

    /// Whether logical decoding messages with this prefix are emitted.
    pub fn message_included(&self, prefix: &str) -> bool {
        self.message_prefix.allows(prefix)
    }

    /// Whether any table or column filter is set (a relation then needs its own decision).
    pub fn filters_tables(&self) -> bool {
        self.schema != Filter::All || self.table != Filter::All
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debezium_semantics() {
        let mut f = Filters::default();
        f.table.set("table", true, "public\\.orders,inv.*").unwrap();
        assert!(f.table_included("public", "orders"));
        assert!(f.table_included("PUBLIC", "Orders"));
        assert!(!f.table_included("public", "orders2"));
        assert!(f.table_included("inventory", "x"));
        assert!(!f.table_included("pg_catalog", "pg_class"));
        let e = f.table.set("table", false, "x").unwrap_err();
        assert!(
            e.message.contains("table.include.list") && e.message.contains("table.exclude.list")
        );
        let mut f = Filters::default();
        f.schema.set("schema", false, "audit").unwrap();
        assert!(!f.table_included("audit", "t"));
        assert!(f.table_included("public", "t"));
        f.column
            .set("column", false, "public\\.t\\.secret")
            .unwrap();
        assert!(!f.column_included("public", "t", "secret"));
        assert!(f.column_included("public", "t", "other"));
        f.message_prefix
            .set("message.prefix", true, "keep.*")
            .unwrap();
        assert!(f.message_included("keep_me"));
        assert!(!f.message_included("drop"));
    }
}
