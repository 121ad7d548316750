//! The one error type of the core. The extension turns it into `ereport(ERROR)` in one place,
//! keeping PostgreSQL's message style: lowercase, no trailing period, quoted names.

use std::fmt;

/// Which SQLSTATE an error maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// 22023 invalid_parameter_value: a bad option value.
    InvalidParameterValue,
    /// 42704 undefined_object: an unknown option or publication.
    UndefinedObject,
    /// 2201B invalid_regular_expression: a pattern of a regex-list option.
    InvalidRegularExpression,
    /// 0A000 feature_not_supported.
    FeatureNotSupported,
    /// 54000 program_limit_exceeded: an event larger than a PostgreSQL message can be.
    ProgramLimitExceeded,
    /// 22000 data_exception: a value that cannot be encoded.
    DataException,
    /// 42P01 undefined_table: a table that does not exist.
    UndefinedTable,
    /// 42809 wrong_object_type: a relation that is not a table, a slot of another plugin.
    WrongObjectType,
    /// 42501 insufficient_privilege.
    InsufficientPrivilege,
    /// 55000 object_not_in_prerequisite_state: a call in the wrong kind of transaction.
    ObjectNotInPrerequisiteState,
    /// XX000 internal_error: a broken invariant.
    Internal,
}

/// An error with PostgreSQL's message, detail and hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl Error {
    /// A new error with no detail or hint.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            detail: None,
            hint: None,
        }
    }

    /// Adds a DETAIL line.
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }

    /// Adds a HINT line.
    pub fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(d) = &self.detail {
            write!(f, " (detail: {d})")?;
        }
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Result with the core's error.
pub type Result<T> = std::result::Result<T, Error>;
