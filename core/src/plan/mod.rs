//! What is decided once per table and cached with it: each column's type mapping and Connect
//! schema, schema defaults, the key, topics and the pre-rendered parts of its records.

pub mod defaults;
pub mod schema;
pub mod table;
pub mod transforms;
pub mod types;

pub use table::TablePlan;
