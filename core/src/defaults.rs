//! Column defaults as Debezium reads them (`PostgresDefaultValueConverter`).
//!
//! Debezium sees the default as `pg_get_expr` text. A function call (`nextval(…)`, `now()`)
//! or one of the SQL current-time keywords is not evaluated: the schema default becomes the
//! type's "zero" instead. Anything else is a literal whose value becomes the default.

/// How Debezium treats a column default expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultKind {
    /// A function call or current-time keyword: the type's zero value is used.
    Zero,
    /// A literal (possibly with casts): its value is used.
    Literal,
}

/// Classifies `pg_get_expr` text of a default.
pub fn classify(expr: &str) -> DefaultKind {
    let e = expr.trim();
    let lower = e.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "current_timestamp" | "current_time" | "current_date" | "localtime" | "localtimestamp"
    ) || is_function_call(e)
    {
        DefaultKind::Zero
    } else {
        DefaultKind::Literal
    }
}

/// `^[(]?[A-Za-z0-9_.]+\((?:.+(?:, ?.+)*)?\)$`: an optional parenthesis, a (qualified) name,
/// and a parenthesised argument list that runs to the end.
fn is_function_call(e: &str) -> bool {
    if e.contains('\n') {
        return false;
    }
    let s = e.strip_prefix('(').unwrap_or(e);
    let name_len = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
        .count();
    name_len > 0 && s[name_len..].starts_with('(') && s.ends_with(')')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_like_debezium() {
        assert_eq!(classify("nextval('t_id_seq'::regclass)"), DefaultKind::Zero);
        assert_eq!(classify("now()"), DefaultKind::Zero);
        assert_eq!(classify("CURRENT_TIMESTAMP"), DefaultKind::Zero);
        assert_eq!(classify("CURRENT_TIMESTAMP(3)"), DefaultKind::Zero);
        assert_eq!(classify("pg_catalog.now()"), DefaultKind::Zero);
        assert_eq!(classify("'dflt'::text"), DefaultKind::Literal);
        assert_eq!(
            classify("'active'::character varying"),
            DefaultKind::Literal
        );
        assert_eq!(classify("0.00"), DefaultKind::Literal);
        assert_eq!(classify("(-1)"), DefaultKind::Literal);
        assert_eq!(classify("true"), DefaultKind::Literal);
    }
}
