//! Schema-change tracking (`include.schema.changes`): the shapes of captured tables by OID,
//! read from the catalog under the decoding transaction's historic snapshot.
//!
//! The map is filled once, at the begin of the first transaction with catalog changes (its
//! snapshot is the catalog before that transaction's DDL). A table is checked again only when
//! its relation cache entry is rebuilt (after an invalidation, before its next change) and at
//! the commit of a transaction with catalog changes, for the relations its invalidation
//! messages name: never per row. The core decides what a difference is.

use std::collections::HashMap;

use cedar_cdc_core::config::Config;
use cedar_cdc_core::event::schema_change::{
    classify, jdbc_type, length_scale, ChangeType, ColumnShape, TableShape,
};
use pgrx::pg_sys;

use super::catalog::{self, cstr, list_oids, name_str};
use super::compat;
use super::publication;
use super::relcache::OidHasher;
use crate::error::OrRaise;

/// The shapes of the captured tables, by OID.
#[derive(Default)]
pub struct Tracker {
    shapes: Option<HashMap<pg_sys::Oid, TableShape, std::hash::BuildHasherDefault<OidHasher>>>,
}

/// A change to write: its kind and the table (as it is, or as it was for a DROP).
pub struct TableChange {
    pub relid: u32,
    pub kind: ChangeType,
    pub shape: TableShape,
}

impl Tracker {
    /// Whether the map was filled.
    pub fn ready(&self) -> bool {
        self.shapes.is_some()
    }

    /// Fills the map with every captured table, as the current (historic) snapshot sees
    /// them. Must run inside a decoding callback.
    pub fn init(&mut self, cfg: &Config) {
        if self.shapes.is_some() {
            return;
        }
        let mut map = HashMap::default();
        for relid in user_tables() {
            if let Some(s) = shape_of(cfg, relid) {
                map.insert(relid, s);
            }
        }
        self.shapes = Some(map);
    }

    /// The OIDs of every table in the map.
    pub fn known(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .shapes
            .iter()
            .flat_map(|m| m.keys().map(|k| k.to_u32()))
            .collect();
        v.sort_unstable();
        v
    }

    /// Compares `relid` with its last shape and records the new one; the change, if any.
    pub fn check(&mut self, cfg: &Config, relid: u32) -> Option<TableChange> {
        let map = self.shapes.as_mut()?;
        let oid = pg_sys::Oid::from(relid);
        let new = shape_of(cfg, oid);
        let kind = classify(map.get(&oid), new.as_ref())?;
        let shape = match new {
            Some(s) => {
                map.insert(oid, s.clone());
                s
            }
            None => map.remove(&oid)?,
        };
        Some(TableChange { relid, kind, shape })
    }
}

/// The OIDs of user tables and partitioned tables in `pg_class`.
fn user_tables() -> Vec<pg_sys::Oid> {
    let mut oids = Vec::new();
    // SAFETY: a catalog scan under the decoding transaction's snapshot; each tuple's fixed
    // part is read before the next is fetched; the scan and the relation are closed after.
    unsafe {
        let rel = pg_sys::table_open(pg_sys::RelationRelationId, pg_sys::AccessShareLock as i32);
        let scan = pg_sys::systable_beginscan(
            rel,
            pg_sys::InvalidOid,
            false,
            std::ptr::null_mut(),
            0,
            std::ptr::null_mut(),
        );
        loop {
            let tup = pg_sys::systable_getnext(scan);
            if tup.is_null() {
                break;
            }
            let c = &*pg_sys::GETSTRUCT(tup).cast::<pg_sys::FormData_pg_class>();
            let kind = c.relkind as u8;
            if (kind == pg_sys::RELKIND_RELATION || kind == pg_sys::RELKIND_PARTITIONED_TABLE)
                && c.oid.to_u32() >= pg_sys::FirstNormalObjectId
            {
                oids.push(c.oid);
            }
        }
        pg_sys::systable_endscan(scan);
        pg_sys::table_close(rel, pg_sys::AccessShareLock as i32);
    }
    oids
}

/// The relation OIDs named by relcache invalidations among `msgs` (in order, once each),
/// and whether one of them, or an enum change, concerns every relation.
pub fn invalidated(msgs: &[pg_sys::SharedInvalidationMessage]) -> (Vec<u32>, bool) {
    let mut rels = Vec::new();
    let mut all = false;
    for m in msgs {
        // SAFETY: every message starts with its kind; the relcache arm is read only for
        // relcache messages, the catcache one only for catcache messages.
        let (id, relid, db) = unsafe { (m.id, m.rc.relId, m.rc.dbId) };
        if i32::from(id) == pg_sys::SHAREDINVALRELCACHE_ID {
            // SAFETY: reads the backend's database OID.
            let mine = unsafe { pg_sys::MyDatabaseId };
            if db != mine && db != pg_sys::InvalidOid {
                continue;
            }
            if relid == pg_sys::InvalidOid {
                all = true;
            } else if !rels.contains(&relid.to_u32()) {
                rels.push(relid.to_u32());
            }
        } else if i32::from(id) == pg_sys::SysCacheIdentifier::ENUMOID as i32 {
            all = true;
        }
    }
    (rels, all)
}

/// The shape of a captured table, or `None` when it does not exist (under the current
/// snapshot) or is not captured: not a permanent user table or partitioned table, filtered
/// out, or (with `publication_names`) not published.
pub fn shape_of(cfg: &Config, relid: pg_sys::Oid) -> Option<TableShape> {
    if relid.to_u32() < pg_sys::FirstNormalObjectId {
        return None;
    }
    // SAFETY: opens the relation as the decoding machinery does (no lock, historic
    // snapshot); a null result means it does not exist. Closed below on every path.
    let rel = unsafe { pg_sys::RelationIdGetRelation(relid) };
    if rel.is_null() {
        return None;
    }
    // SAFETY: an open relation, closed once.
    let shape = unsafe { shape_of_open(cfg, rel) };
    // SAFETY: opened above.
    unsafe { pg_sys::RelationClose(rel) };
    shape
}

/// # Safety
/// `rel` must be an open relation.
unsafe fn shape_of_open(cfg: &Config, rel: pg_sys::Relation) -> Option<TableShape> {
    // SAFETY: the caller vouches for the relation.
    let (relid, form) = unsafe { ((*rel).rd_id, &*(*rel).rd_rel) };
    let kind = form.relkind as u8;
    if (kind != pg_sys::RELKIND_RELATION && kind != pg_sys::RELKIND_PARTITIONED_TABLE)
        || form.relpersistence as u8 != pg_sys::RELPERSISTENCE_PERMANENT
    {
        return None;
    }
    let table = name_str(&form.relname);
    // SAFETY: a catalog lookup; the name is palloc'd in the current context.
    let schema = unsafe { cstr(pg_sys::get_namespace_name(form.relnamespace)) };
    if schema.starts_with("pg_") || schema == "information_schema" {
        return None;
    }
    if !cfg.filters.table_included(&schema, &table) {
        return None;
    }
    if !cfg.publication_names.is_empty() {
        let pubs = publication::load(&cfg.publication_names).or_raise();
        // SAFETY: the caller vouches for the relation.
        let published = unsafe { publication::decide(&pubs, rel) }.or_raise();
        if published.is_none() && kind != pg_sys::RELKIND_PARTITIONED_TABLE {
            return None;
        }
    }
    // SAFETY: the caller vouches for the relation, whose descriptor outlives this call.
    let atts = unsafe { compat::attributes((*rel).rd_att) };
    let mut columns = Vec::with_capacity(atts.len());
    let mut names = Vec::with_capacity(atts.len());
    for att in atts {
        names.push(name_str(&att.attname));
        if att.attisdropped {
            continue;
        }
        let default_expr = if att.atthasdef {
            // SAFETY: the caller vouches for the relation.
            unsafe { catalog::default_text(rel, &table, att.attnum) }
        } else {
            None
        };
        let ty = type_facts(att.atttypid);
        // pgjdbc reads an array's length and scale from its element type, a domain's not at
        // all (unknown), as Debezium gets them.
        let (length, scale) = length_scale(ty.elem.unwrap_or(att.atttypid).to_u32(), att.atttypmod);
        columns.push(ColumnShape {
            name: name_str(&att.attname),
            jdbc_type: jdbc_type(att.atttypid.to_u32(), ty.typtype, ty.elem.is_some()),
            native_type: att.atttypid.to_u32(),
            type_name: ty.name,
            length,
            scale,
            position: columns.len() as i32 + 1,
            optional: !att.attnotnull,
            auto_incremented: att.attidentity != 0
                || default_expr
                    .as_deref()
                    .is_some_and(|d| d.contains("nextval(")),
            generated: att.attgenerated != 0,
            default_expr,
            enum_values: (ty.typtype == b'e').then(|| catalog::enum_labels(att.atttypid)),
        });
    }
    // SAFETY: the caller vouches for the relation.
    let primary_key = unsafe { catalog::key_attrs(rel) }
        .into_iter()
        .filter_map(|i| names.get(i).cloned())
        .collect();
    let partition_of = if form.relispartition {
        // SAFETY: get_partition_ancestors returns an OID list, nearest first.
        let parents = unsafe { list_oids(publication::partition_ancestors(relid)) };
        parents.first().map(|&p| {
            // SAFETY: catalog lookups of an existing relation.
            unsafe {
                let nsp = cstr(pg_sys::get_namespace_name(pg_sys::get_rel_namespace(p)));
                format!("{nsp}.{}", cstr(pg_sys::get_rel_name(p)))
            }
        })
    } else {
        None
    };
    Some(TableShape {
        schema,
        table,
        primary_key,
        columns,
        replica_identity: form.relreplident as u8,
        partition_of,
    })
}

struct TypeFacts {
    name: String,
    typtype: u8,
    /// The element type of an array.
    elem: Option<pg_sys::Oid>,
}

fn type_facts(typid: pg_sys::Oid) -> TypeFacts {
    // SAFETY: a syscache lookup inside the decoding transaction; the fields are copied out
    // before the tuple is released.
    unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::TYPEOID as i32,
            pg_sys::Datum::from(typid),
        );
        if tup.is_null() {
            return TypeFacts {
                name: typid.to_u32().to_string(),
                typtype: b'b',
                elem: None,
            };
        }
        let t = &*pg_sys::GETSTRUCT(tup).cast::<pg_sys::FormData_pg_type>();
        let r = TypeFacts {
            name: name_str(&t.typname),
            typtype: t.typtype as u8,
            elem: None,
        };
        pg_sys::ReleaseSysCache(tup);
        let elem = pg_sys::get_element_type(typid);
        TypeFacts {
            elem: (elem != pg_sys::InvalidOid).then_some(elem),
            ..r
        }
    }
}
