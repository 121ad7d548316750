//! What the catalog says about a relation, read once when its cache entry is built: column
//! types (domains, enums, arrays), defaults as Debezium's JDBC session renders them, the key
//! Debezium picks, and the output functions of text-encoded columns.

use std::cell::UnsafeCell;
use std::ffi::CStr;

use cedar_cdc_core::config::{Config, ReadPath};
use cedar_cdc_core::plan::table::TablePlan;
use cedar_cdc_core::plan::types::{plan_column, ColumnPlan, Extract, PgColumn, PgType};
use pgrx::pg_sys;

use super::tuple::{AttrInfo, ElemInfo};

/// A C string to an owned Rust string (lossy for non-UTF-8 names).
///
/// # Safety
/// `p` must be null or a NUL-terminated string.
pub unsafe fn cstr(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: non-null and NUL-terminated (the caller vouches).
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// The OIDs of an OID list (empty for NIL).
///
/// # Safety
/// `l` must be NIL or a valid OID list.
pub unsafe fn list_oids(l: *mut pg_sys::List) -> Vec<pg_sys::Oid> {
    if l.is_null() {
        return Vec::new();
    }
    // SAFETY: a valid OID list of `length` elements.
    unsafe {
        (0..(*l).length as usize)
            .map(|i| (*(*l).elements.add(i)).oid_value)
            .collect()
    }
}

/// A `name` as a Rust string.
pub fn name_str(n: &pg_sys::NameData) -> String {
    // SAFETY: a NameData is NUL-terminated within its 64 bytes.
    unsafe { cstr(n.data.as_ptr()) }
}

/// A type as cedar_cdc's core needs it: base type of a domain, enum labels, array element.
fn pg_type(typid: pg_sys::Oid, typmod: i32, depth: u32) -> PgType {
    // SAFETY: a syscache lookup inside the decoding transaction; the fields are copied out
    // before the tuple is released.
    let found = unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::TYPEOID as i32,
            pg_sys::Datum::from(typid),
        );
        if tup.is_null() {
            None
        } else {
            let t = &*pg_sys::GETSTRUCT(tup).cast::<pg_sys::FormData_pg_type>();
            let r = (
                t.typtype as u8,
                name_str(&t.typname),
                t.typnamespace,
                t.typnotnull,
            );
            pg_sys::ReleaseSysCache(tup);
            Some(r)
        }
    };
    let Some((typtype, name, nsp, notnull)) = found else {
        return PgType::builtin(typid.to_u32(), typmod);
    };
    if typtype == b'd' && depth < 8 {
        let mut base_mod = typmod;
        // SAFETY: a catalog lookup of an existing domain.
        let base = unsafe { pg_sys::getBaseTypeAndTypmod(typid, &mut base_mod) };
        let mut ty = pg_type(base, if typmod >= 0 { typmod } else { base_mod }, depth + 1);
        ty.is_domain = true;
        ty.domain_not_null |= notnull;
        ty.declared_name = name;
        return ty;
    }
    let mut ty = PgType {
        oid: typid.to_u32(),
        declared_name: name.clone(),
        name,
        // SAFETY: a catalog lookup; the name is palloc'd in the current context.
        schema: unsafe { cstr(pg_sys::get_namespace_name(nsp)) },
        typmod,
        ..PgType::default()
    };
    if typtype == b'e' {
        ty.enum_labels = Some(enum_labels(typid));
    }
    // SAFETY: a catalog lookup.
    let elem = unsafe { pg_sys::get_element_type(typid) };
    if elem != pg_sys::InvalidOid && depth < 8 {
        ty.element = Some(Box::new(pg_type(elem, -1, depth + 1)));
    }
    ty
}

/// Labels of an enum in `enumsortorder` order.
pub(super) fn enum_labels(typid: pg_sys::Oid) -> Vec<String> {
    // SAFETY: a syscache list lookup inside the decoding transaction; the labels are copied
    // out before the list is released.
    let mut labels: Vec<(f32, String)> = unsafe {
        let list = pg_sys::SearchSysCacheList(
            pg_sys::SysCacheIdentifier::ENUMTYPOIDNAME as i32,
            1,
            pg_sys::Datum::from(typid),
            pg_sys::Datum::null(),
            pg_sys::Datum::null(),
        );
        if list.is_null() {
            return Vec::new();
        }
        let n = (*list).n_members as usize;
        let labels = (0..n)
            .map(|i| {
                let ct = *(*list).members.as_ptr().add(i);
                let e =
                    &*pg_sys::GETSTRUCT(&raw mut (*ct).tuple).cast::<pg_sys::FormData_pg_enum>();
                (e.enumsortorder, name_str(&e.enumlabel))
            })
            .collect();
        pg_sys::ReleaseCatCacheList(list);
        labels
    };
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    labels.into_iter().map(|(_, l)| l).collect()
}

/// An output function, with its state in `cxt`.
fn output_function(
    typid: pg_sys::Oid,
    cxt: pg_sys::MemoryContext,
) -> Box<UnsafeCell<pg_sys::FmgrInfo>> {
    let mut func = pg_sys::InvalidOid;
    let mut is_varlena = false;
    let f = Box::new(UnsafeCell::new(pg_sys::FmgrInfo::default()));
    // SAFETY: catalog lookups of an existing type; the FmgrInfo is boxed (its address is
    // stable) and its state goes into `cxt`, which lives as long as the cache entry.
    unsafe {
        pg_sys::getTypeOutputInfo(typid, &mut func, &mut is_varlena);
        pg_sys::fmgr_info_cxt(func, f.get(), cxt);
    }
    f
}

/// What the row reader needs for a planned column (and its array elements).
fn attr_info(plan: &ColumnPlan, attlen: i16, cxt: pg_sys::MemoryContext) -> AttrInfo {
    let mut info = AttrInfo::skipped(attlen);
    if plan.extract == Extract::Text {
        info.out = Some(output_function(pg_sys::Oid::from(plan.pg_type.oid), cxt));
    }
    if let (Some(ep), Some(et)) = (&plan.element, &plan.pg_type.element) {
        let elem_oid = pg_sys::Oid::from(et.oid);
        let mut len = 0i16;
        let mut byval = false;
        let mut align = 0 as std::ffi::c_char;
        // SAFETY: a catalog lookup of an existing type.
        unsafe { pg_sys::get_typlenbyvalalign(elem_oid, &mut len, &mut byval, &mut align) };
        let mut einfo = attr_info(ep, len, cxt);
        // Array elements are never TOAST pointers themselves.
        einfo.varlena = false;
        info.elem = Some(Box::new(ElemInfo {
            typid: elem_oid,
            len,
            byval,
            align,
            info: einfo,
        }));
    }
    info
}

/// `pg_get_expr` text of a column default, rendered with ISO dates and postgres intervals (as
/// Debezium's JDBC session sees it).
///
/// # Safety
/// `rel` must be an open relation.
pub(super) unsafe fn default_text(
    rel: pg_sys::Relation,
    relname: &str,
    attnum: i16,
) -> Option<String> {
    // SAFETY: the caller vouches for the relation; its constraint array has num_defval
    // entries.
    let def = unsafe {
        let constr = (*(*rel).rd_att).constr;
        if constr.is_null() || (*constr).defval.is_null() {
            return None;
        }
        let defs = std::slice::from_raw_parts((*constr).defval, usize::from((*constr).num_defval));
        defs.iter().find(|d| d.adnum == attnum)?.adbin
    };
    let relname_c = std::ffi::CString::new(relname).ok()?;
    // SAFETY: deparsing a stored default of this relation; the date and interval styles are
    // backend globals, restored right after (deparse_expression raises no ERROR for a
    // stored default).
    unsafe {
        let expr = pg_sys::stringToNode(def).cast::<pg_sys::Node>();
        let dpcontext = pg_sys::deparse_context_for(relname_c.as_ptr(), (*rel).rd_id);
        let saved = (pg_sys::DateStyle, pg_sys::DateOrder, pg_sys::IntervalStyle);
        pg_sys::DateStyle = pg_sys::USE_ISO_DATES as i32;
        pg_sys::DateOrder = pg_sys::DATEORDER_MDY as i32;
        pg_sys::IntervalStyle = pg_sys::INTSTYLE_POSTGRES as i32;
        let text = cstr(pg_sys::deparse_expression(expr, dpcontext, false, false));
        (pg_sys::DateStyle, pg_sys::DateOrder, pg_sys::IntervalStyle) = saved;
        Some(text)
    }
}

/// The plan of a captured relation (`names`: table and schema), with the columns pgoutput
/// publishes: `published.0` is the publications' column list (attribute numbers), `.1`
/// whether they publish stored generated columns (`None`: they disagree). Also returns how
/// many columns pgoutput sends for it. Output function state goes into `cxt`.
///
/// # Safety
/// `rel` must be an open relation.
pub unsafe fn plan_relation(
    cfg: &Config,
    rel: pg_sys::Relation,
    (relname, nspname): (&str, &str),
    (column_list, generated): (Option<&[i16]>, Option<bool>),
    cxt: pg_sys::MemoryContext,
) -> (TablePlan, Vec<AttrInfo>, usize) {
    // SAFETY: the caller vouches for the relation, whose descriptor outlives this call.
    let atts = unsafe { super::compat::attributes((*rel).rd_att) };
    let mut wire_columns = 0;
    let mut attrs = Vec::with_capacity(atts.len());
    let mut columns: Vec<ColumnPlan> = Vec::new();
    for (i, att) in atts.iter().enumerate() {
        // pgoutput streams the columns its publications publish (`publishes_column`); Debezium's
        // snapshot SELECT reads every column, generated ones too.
        let snapshot = cfg.read_path != ReadPath::Stream;
        if !snapshot && !att.attisdropped && att.attgenerated != 0 && generated.is_none() {
            crate::error::raise(
                cedar_cdc_core::error::Error::new(
                    cedar_cdc_core::error::ErrorCode::FeatureNotSupported,
                    format!(
                        "cannot use different values of publish_generated_columns for table \"{nspname}.{relname}\" in different publications"
                    ),
                )
                .hint("Give the publications in publication_names the same publish_generated_columns, as pgoutput requires."),
            );
        }
        let published = if snapshot {
            column_list.is_none_or(|l| l.contains(&att.attnum))
        } else {
            publishes_column(att, column_list, generated == Some(true))
        };
        if att.attisdropped || !published {
            attrs.push(AttrInfo::skipped(att.attlen));
            continue;
        }
        wire_columns += 1;
        let col = PgColumn {
            attr: i,
            name: name_str(&att.attname),
            ty: pg_type(att.atttypid, att.atttypmod, 0),
            not_null: att.attnotnull,
            default_expr: if att.atthasdef {
                // SAFETY: the caller vouches for the relation.
                unsafe { default_text(rel, relname, att.attnum) }
            } else {
                None
            },
        };
        let Some(plan) = plan_column(cfg, &col) else {
            attrs.push(AttrInfo::skipped(att.attlen));
            continue;
        };
        attrs.push(attr_info(&plan, att.attlen, cxt));
        columns.push(plan);
    }
    // SAFETY: the caller vouches for the relation.
    let key = unsafe { key_attrs(rel) };
    let plan = TablePlan::new(cfg, nspname, relname, columns, &key);
    // A transform that cannot run on this table fails the decoding, as it fails Debezium.
    if let Some(e) = &plan.transform_error {
        crate::error::raise(e.clone());
    }
    (plan, attrs, wire_columns)
}

/// pgoutput's `logicalrep_should_publish_column`: a column list publishes exactly its columns
/// (generated ones too, 18+); otherwise every plain column, and stored generated columns when
/// the publications say `publish_generated_columns = stored` (18+). Debezium sees what
/// pgoutput sends.
fn publishes_column(
    att: &pg_sys::FormData_pg_attribute,
    column_list: Option<&[i16]>,
    generated: bool,
) -> bool {
    match column_list {
        Some(l) => l.contains(&att.attnum),
        None if att.attgenerated == 0 => true,
        None => generated && att.attgenerated as u8 == pg_sys::ATTRIBUTE_GENERATED_STORED,
    }
}

/// An index's columns (key and INCLUDE columns, as JDBC's `getIndexInfo` lists them).
struct IndexColumns {
    name: String,
    unique: bool,
    clustered: bool,
    /// Attribute indexes, or `None` when a column is an expression.
    cols: Option<Vec<usize>>,
}

fn index_columns(indexoid: pg_sys::Oid) -> Option<IndexColumns> {
    // SAFETY: opens an index of the relation being planned (inside the decoding transaction)
    // and reads its pg_index row and name before closing it.
    unsafe {
        let irel = pg_sys::RelationIdGetRelation(indexoid);
        if irel.is_null() {
            return None;
        }
        let idx = (*irel).rd_index;
        let keys = (*idx).indkey.values.as_slice((*idx).indnatts as usize);
        let cols = keys
            .iter()
            .all(|&k| k > 0)
            .then(|| keys.iter().map(|&k| k as usize - 1).collect());
        let r = IndexColumns {
            name: name_str(&(*(*irel).rd_rel).relname),
            unique: (*idx).indisunique,
            clustered: (*idx).indisclustered,
            cols,
        };
        pg_sys::RelationClose(irel);
        Some(r)
    }
}

/// Debezium's key: the primary key in constraint order, else the first unique index in
/// JDBC's `getIndexInfo` order (clustered first, then by name) whose columns are all plain
/// columns (INCLUDE columns count), else none.
///
/// # Safety
/// `rel` must be an open relation.
pub(super) unsafe fn key_attrs(rel: pg_sys::Relation) -> Vec<usize> {
    // SAFETY: the caller vouches for the relation; the index list is an OID list we own.
    let (pk, indexes) = unsafe {
        let list = pg_sys::RelationGetIndexList(rel);
        let oids = list_oids(list);
        if !list.is_null() {
            pg_sys::list_free(list);
        }
        ((*rel).rd_pkindex, oids)
    };
    let mut key = None;
    if pk != pg_sys::InvalidOid {
        key = index_columns(pk).and_then(|i| i.cols);
    }
    if key.is_none() {
        let mut unique: Vec<IndexColumns> = indexes
            .into_iter()
            .filter_map(index_columns)
            .filter(|i| i.unique)
            .collect();
        unique.sort_by(|a, b| {
            (!a.clustered, a.name.as_bytes()).cmp(&(!b.clustered, b.name.as_bytes()))
        });
        key = unique.into_iter().find_map(|i| i.cols);
    }
    key.unwrap_or_default()
}
