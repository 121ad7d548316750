//! Per-relation plans, built once and cached by relation OID until an invalidation arrives.
//!
//! Invalidation callbacks only record what became stale (they can fire in the middle of our
//! own catalog lookups); stale entries are dropped before the next lookup.

use std::cell::{RefCell, UnsafeCell};
use std::collections::HashMap;
use std::ffi::CStr;

use cedar_cdc_core::config::Config;
use cedar_cdc_core::plan::table::TablePlan;
use cedar_cdc_core::plan::types::{plan_column, ColumnPlan, Extract, PgColumn, PgType};
use pgrx::pg_sys;

use super::publication::{self, Actions};
use super::rowfilter::RowFilter;
use super::tuple::{AttrInfo, ElemInfo};
use crate::error::OrRaise;

/// A cached relation: whether and how its changes are captured, its plan, and what the row
/// reader needs per attribute.
pub struct RelEntry {
    /// Published (or no publications given): Debezium would see its transactions.
    pub published: bool,
    /// Actions its publications publish (all without publications).
    pub actions: Actions,
    /// Passes the table filters: its changes are emitted.
    pub captured: bool,
    /// Published through a partition root: the root's plan, and tuples are converted.
    pub via_root: bool,
    pub plan: TablePlan,
    pub attrs: Vec<AttrInfo>,
    /// Tuples are converted to this (the root's) descriptor first, when it differs.
    pub conversion: Option<(*mut pg_sys::TupleConversionMap, pg_sys::TupleDesc)>,
    /// The descriptor tuples are deformed with (the root's when published via the root).
    pub desc: pg_sys::TupleDesc,
    pub row_filter: Option<RowFilter>,
    /// pgoutput sends no column for it (no columns, or only generated ones): Debezium skips
    /// its inserts, updates and deletes (an empty message), though not its truncates.
    pub no_columns: bool,
    /// Other relations whose invalidation invalidates this entry (a publication root).
    depends_on: Option<pg_sys::Oid>,
    natts: usize,
}

#[derive(Default)]
struct Invalidations {
    all: bool,
    rels: Vec<pg_sys::Oid>,
}

thread_local! {
    static INVAL: RefCell<Invalidations> = RefCell::new(Invalidations::default());
    static REGISTERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn relcache_cb(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    INVAL.with(|i| {
        let mut i = i.borrow_mut();
        if relid == pg_sys::InvalidOid {
            i.all = true;
        } else if !i.rels.contains(&relid) {
            i.rels.push(relid);
        }
    });
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn syscache_cb(_arg: pg_sys::Datum, _cacheid: i32, _hash: u32) {
    INVAL.with(|i| i.borrow_mut().all = true);
}

/// Registers the invalidation callbacks (once per backend: they cannot be unregistered).
pub fn register_callbacks() {
    if REGISTERED.with(|r| r.replace(true)) {
        return;
    }
    // SAFETY: plain registration calls; the callbacks only touch thread-local flags.
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(relcache_cb), pg_sys::Datum::null());
        // Type changes (a domain's typmod, enum labels), schema renames and publication
        // changes affect every plan.
        for cache in [
            pg_sys::SysCacheIdentifier::TYPEOID,
            pg_sys::SysCacheIdentifier::NAMESPACEOID,
            pg_sys::SysCacheIdentifier::ENUMOID,
            pg_sys::SysCacheIdentifier::PUBLICATIONOID,
            pg_sys::SysCacheIdentifier::PUBLICATIONRELMAP,
            pg_sys::SysCacheIdentifier::PUBLICATIONNAMESPACEMAP,
        ] {
            pg_sys::CacheRegisterSyscacheCallback(
                cache as i32,
                Some(syscache_cb),
                pg_sys::Datum::null(),
            );
        }
    }
}

/// A hasher for OID keys: one multiplication (SipHash showed in profiles).
#[derive(Default)]
pub struct OidHasher(u64);

impl std::hash::Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = u64::from(v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The cache of relation plans of one decoding session.
pub struct RelCache {
    map: HashMap<pg_sys::Oid, Box<RelEntry>, std::hash::BuildHasherDefault<OidHasher>>,
    /// Long-lived memory for output function state (child of the decoding context).
    cxt: pg_sys::MemoryContext,
}

impl RelCache {
    /// An empty cache whose function state lives in `cxt`.
    pub fn new(cxt: pg_sys::MemoryContext) -> Self {
        INVAL.with(|i| *i.borrow_mut() = Invalidations::default());
        RelCache {
            map: HashMap::default(),
            cxt,
        }
    }

    fn apply_invalidations(&mut self) {
        INVAL.with(|i| {
            let mut i = i.borrow_mut();
            if i.all {
                self.map.clear();
            } else if !i.rels.is_empty() {
                let rels = &i.rels;
                self.map.retain(|k, e| {
                    !rels.contains(k) && !e.depends_on.is_some_and(|d| rels.contains(&d))
                });
            }
            *i = Invalidations::default();
        });
    }

    /// The entry of `rel`, built on first use or after an invalidation.
    ///
    /// # Safety
    /// `rel` must be a valid, open relation of the current change.
    pub unsafe fn get(&mut self, cfg: &Config, rel: pg_sys::Relation) -> &RelEntry {
        self.apply_invalidations();
        let relid = (*rel).rd_id;
        let natts = (*(*rel).rd_att).natts as usize;
        let cxt = self.cxt;
        let e = self
            .map
            .entry(relid)
            .or_insert_with(|| Box::new(build(cfg, rel, cxt)));
        if e.natts != natts {
            **e = build(cfg, rel, cxt);
        }
        e
    }
}

/// A C string to an owned Rust string (lossy for non-UTF-8 names).
unsafe fn cstr(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

unsafe fn name_str(n: &pg_sys::NameData) -> String {
    cstr(n.data.as_ptr())
}

/// A type as cedar_cdc's core needs it: base type of a domain, enum labels, array element.
unsafe fn pg_type(typid: pg_sys::Oid, typmod: i32, depth: u32) -> PgType {
    let tup = pg_sys::SearchSysCache1(
        pg_sys::SysCacheIdentifier::TYPEOID as i32,
        pg_sys::Datum::from(typid),
    );
    if tup.is_null() {
        return PgType::builtin(typid.to_u32(), typmod);
    }
    let t = &*(pg_sys::GETSTRUCT(tup) as *mut pg_sys::FormData_pg_type);
    let (typtype, name, nsp, notnull) = (
        t.typtype as u8,
        name_str(&t.typname),
        t.typnamespace,
        t.typnotnull,
    );
    pg_sys::ReleaseSysCache(tup);
    if typtype == b'd' && depth < 8 {
        let mut base_mod = typmod;
        let base = pg_sys::getBaseTypeAndTypmod(typid, &mut base_mod);
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
        schema: cstr(pg_sys::get_namespace_name(nsp)),
        typmod,
        ..PgType::default()
    };
    if typtype == b'e' {
        ty.enum_labels = Some(enum_labels(typid));
    }
    let elem = pg_sys::get_element_type(typid);
    if elem != pg_sys::InvalidOid && depth < 8 {
        ty.element = Some(Box::new(pg_type(elem, -1, depth + 1)));
    }
    ty
}

/// Labels of an enum in `enumsortorder` order.
unsafe fn enum_labels(typid: pg_sys::Oid) -> Vec<String> {
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
    let mut labels: Vec<(f32, String)> = (0..n)
        .map(|i| {
            let ct = *(*list).members.as_ptr().add(i);
            let e = &*(pg_sys::GETSTRUCT(&mut (*ct).tuple) as *mut pg_sys::FormData_pg_enum);
            (e.enumsortorder, name_str(&e.enumlabel))
        })
        .collect();
    pg_sys::ReleaseCatCacheList(list);
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    labels.into_iter().map(|(_, l)| l).collect()
}

/// An output function, with its state in `cxt`.
unsafe fn output_function(
    typid: pg_sys::Oid,
    cxt: pg_sys::MemoryContext,
) -> Box<UnsafeCell<pg_sys::FmgrInfo>> {
    let mut func = pg_sys::InvalidOid;
    let mut is_varlena = false;
    pg_sys::getTypeOutputInfo(typid, &mut func, &mut is_varlena);
    let f = Box::new(UnsafeCell::new(pg_sys::FmgrInfo::default()));
    pg_sys::fmgr_info_cxt(func, f.get(), cxt);
    f
}

/// What the row reader needs for a planned column (and its array elements).
unsafe fn attr_info(plan: &ColumnPlan, attlen: i16, cxt: pg_sys::MemoryContext) -> AttrInfo {
    let mut info = AttrInfo {
        varlena: attlen == -1,
        out: None,
        elem: None,
    };
    if plan.extract == Extract::Text {
        info.out = Some(output_function(pg_sys::Oid::from(plan.pg_type.oid), cxt));
    }
    if let (Some(ep), Some(et)) = (&plan.element, &plan.pg_type.element) {
        let elem_oid = pg_sys::Oid::from(et.oid);
        let mut len = 0i16;
        let mut byval = false;
        let mut align = 0 as std::ffi::c_char;
        pg_sys::get_typlenbyvalalign(elem_oid, &mut len, &mut byval, &mut align);
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
unsafe fn default_text(rel: pg_sys::Relation, relname: &str, attnum: i16) -> Option<String> {
    let constr = (*(*rel).rd_att).constr;
    if constr.is_null() {
        return None;
    }
    let defs = std::slice::from_raw_parts((*constr).defval, usize::from((*constr).num_defval));
    let def = defs.iter().find(|d| d.adnum == attnum)?;
    let expr = pg_sys::stringToNode(def.adbin) as *mut pg_sys::Node;
    let relname_c = std::ffi::CString::new(relname).ok()?;
    let dpcontext = pg_sys::deparse_context_for(relname_c.as_ptr(), (*rel).rd_id);
    let (date_style, date_order, interval_style) =
        (pg_sys::DateStyle, pg_sys::DateOrder, pg_sys::IntervalStyle);
    pg_sys::DateStyle = pg_sys::USE_ISO_DATES as i32;
    pg_sys::DateOrder = pg_sys::DATEORDER_MDY as i32;
    pg_sys::IntervalStyle = pg_sys::INTSTYLE_POSTGRES as i32;
    let text = cstr(pg_sys::deparse_expression(expr, dpcontext, false, false));
    pg_sys::DateStyle = date_style;
    pg_sys::DateOrder = date_order;
    pg_sys::IntervalStyle = interval_style;
    Some(text)
}

unsafe fn build(cfg: &Config, rel: pg_sys::Relation, cxt: pg_sys::MemoryContext) -> RelEntry {
    let relid = (*rel).rd_id;
    let natts = (*(*rel).rd_att).natts as usize;
    let partitioned = (*(*rel).rd_rel).relkind as u8 == pg_sys::RELKIND_PARTITIONED_TABLE;
    let published = if cfg.publication_names.is_empty() {
        // Like a FOR ALL TABLES publication without publish_via_partition_root: partitioned
        // tables themselves are never published, their partitions are.
        (!partitioned).then_some(publication::Published {
            actions: Actions::ALL,
            publish_as: relid,
            columns: None,
            filters: [None, None, None],
        })
    } else {
        let pubs = publication::load(&cfg.publication_names).or_raise();
        publication::decide(&pubs, rel).or_raise()
    };
    let Some(p) = published else {
        return RelEntry {
            published: false,
            actions: Actions::default(),
            captured: false,
            via_root: false,
            plan: TablePlan::new(cfg, "", "", Vec::new(), &[]),
            attrs: Vec::new(),
            conversion: None,
            desc: (*rel).rd_att,
            row_filter: None,
            no_columns: false,
            depends_on: None,
            natts,
        };
    };
    let via_root = p.publish_as != relid;
    let target = if via_root {
        pg_sys::RelationIdGetRelation(p.publish_as)
    } else {
        rel
    };
    let form = (*target).rd_rel;
    let relname = name_str(&(*form).relname);
    let nspname = cstr(pg_sys::get_namespace_name((*form).relnamespace));
    let captured = cfg.filters.table_included(&nspname, &relname);
    let (plan, attrs, wire_columns) = if captured {
        plan_relation(cfg, target, &relname, &nspname, p.columns.as_deref(), cxt)
    } else {
        (
            TablePlan::new(cfg, &nspname, &relname, Vec::new(), &[]),
            Vec::new(),
            0,
        )
    };
    let old = pg_sys::MemoryContextSwitchTo(cxt);
    let (desc, conversion) = if via_root {
        let root_desc = pg_sys::CreateTupleDescCopy((*target).rd_att);
        let map = pg_sys::convert_tuples_by_name((*rel).rd_att, root_desc);
        (root_desc, (!map.is_null()).then_some((map, root_desc)))
    } else {
        ((*rel).rd_att, None)
    };
    pg_sys::MemoryContextSwitchTo(old);
    let row_filter = if captured {
        RowFilter::new(&p.filters, desc, cxt)
    } else {
        None
    };
    if via_root {
        pg_sys::RelationClose(target);
    }
    RelEntry {
        // Debezium's filtered publication holds the included tables only.
        published: captured || !cfg.publication_filtered,
        actions: p.actions,
        captured,
        via_root,
        plan,
        attrs,
        conversion,
        desc,
        row_filter,
        no_columns: captured && wire_columns == 0,
        depends_on: via_root.then_some(p.publish_as),
        natts,
    }
}

/// The plan of a captured relation; `column_list` (attribute numbers) limits its columns.
/// Also returns how many columns pgoutput sends for it.
unsafe fn plan_relation(
    cfg: &Config,
    rel: pg_sys::Relation,
    relname: &str,
    nspname: &str,
    column_list: Option<&[i16]>,
    cxt: pg_sys::MemoryContext,
) -> (TablePlan, Vec<AttrInfo>, usize) {
    let tupdesc = (*rel).rd_att;
    let mut wire_columns = 0;
    let natts = (*tupdesc).natts as usize;
    let mut attrs = Vec::with_capacity(natts);
    let mut columns: Vec<ColumnPlan> = Vec::new();
    for i in 0..natts {
        let att = &*(*tupdesc).attrs.as_ptr().add(i);
        let skipped = AttrInfo {
            varlena: att.attlen == -1,
            out: None,
            elem: None,
        };
        // pgoutput on PostgreSQL 15 sends no generated columns, so Debezium has none; a
        // publication's column list leaves out the others.
        let listed = column_list.is_none_or(|l| l.contains(&att.attnum));
        if att.attisdropped || att.attgenerated != 0 || !listed {
            attrs.push(skipped);
            continue;
        }
        wire_columns += 1;
        let col = PgColumn {
            attr: i,
            name: name_str(&att.attname),
            ty: pg_type(att.atttypid, att.atttypmod, 0),
            not_null: att.attnotnull,
            default_expr: if att.atthasdef {
                default_text(rel, relname, att.attnum)
            } else {
                None
            },
        };
        let Some(plan) = plan_column(cfg, &col) else {
            attrs.push(skipped);
            continue;
        };
        attrs.push(attr_info(&plan, att.attlen, cxt));
        columns.push(plan);
    }
    let key = key_attrs(rel);
    (
        TablePlan::new(cfg, nspname, relname, columns, &key),
        attrs,
        wire_columns,
    )
}

/// An index's columns (key and INCLUDE columns, as JDBC's `getIndexInfo` lists them).
struct IndexColumns {
    name: String,
    unique: bool,
    clustered: bool,
    /// Attribute indexes, or `None` when a column is an expression.
    cols: Option<Vec<usize>>,
}

unsafe fn index_columns(indexoid: pg_sys::Oid) -> Option<IndexColumns> {
    let irel = pg_sys::RelationIdGetRelation(indexoid);
    if irel.is_null() {
        return None;
    }
    let idx = (*irel).rd_index;
    let n = (*idx).indnatts as usize;
    let keys = (*idx).indkey.values.as_slice(n);
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

/// Debezium's key: the primary key in constraint order, else the first unique index in
/// JDBC's `getIndexInfo` order (clustered first, then by name) whose columns are all plain
/// columns (INCLUDE columns count), else none.
unsafe fn key_attrs(rel: pg_sys::Relation) -> Vec<usize> {
    let list = pg_sys::RelationGetIndexList(rel);
    let pk = (*rel).rd_pkindex;
    let mut key = None;
    if pk != pg_sys::InvalidOid {
        key = index_columns(pk).and_then(|i| i.cols);
    }
    if key.is_none() && !list.is_null() {
        let mut unique: Vec<IndexColumns> = (0..(*list).length as usize)
            .filter_map(|i| index_columns((*(*list).elements.add(i)).oid_value))
            .filter(|i| i.unique)
            .collect();
        unique.sort_by(|a, b| {
            (!a.clustered, a.name.as_bytes()).cmp(&(!b.clustered, b.name.as_bytes()))
        });
        key = unique.into_iter().find_map(|i| i.cols);
    }
    if !list.is_null() {
        pg_sys::list_free(list);
    }
    key.unwrap_or_default()
}
