//! Per-relation entries, built once and cached by relation OID until an invalidation arrives.
//!
//! Each entry owns a memory context holding everything of it that lives in PostgreSQL
//! memory (descriptor copies, the partition conversion map, row-filter executor state,
//! output-function state), deleted with the entry when it is rebuilt or evicted, as
//! pgoutput's `entry_cxt`. Invalidation callbacks only record what became stale (they can fire
//! in the middle of our own catalog lookups); stale entries are dropped before the next
//! lookup.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use cedar_cdc_core::config::Config;
use cedar_cdc_core::event::{Actions, TableFacts};
use cedar_cdc_core::plan::table::TablePlan;
use pgrx::pg_sys;

use super::catalog::{self, cstr, name_str};
use super::compat;
use super::memory::OwnedContext;
use super::publication;
use super::rowfilter::RowFilter;
use super::tuple::AttrInfo;
use crate::error::OrRaise;

/// A cached relation: whether and how its changes are captured, its plan, and what the row
/// reader needs per attribute.
pub struct RelEntry {
    pub facts: TableFacts,
    pub plan: TablePlan,
    pub attrs: Vec<AttrInfo>,
    /// Published through a partition root whose format differs: tuples are converted first.
    pub conversion: Option<*mut pg_sys::TupleConversionMap>,
    /// The descriptor tuples are deformed with (a copy of the relation's, or of the root's
    /// when published via the root).
    pub desc: pg_sys::TupleDesc,
    pub row_filter: Option<RowFilter>,
    /// Another relation whose invalidation invalidates this entry (a publication root).
    depends_on: Option<pg_sys::Oid>,
    natts: usize,
    /// Owns the PostgreSQL memory the fields above point into; declared last, so it is
    /// dropped after them.
    _cxt: OwnedContext,
}

#[derive(Default)]
struct Invalidations {
    all: bool,
    rels: Vec<pg_sys::Oid>,
}

thread_local! {
    /// What became stale since the last lookup (the callbacks cannot reach the plugin state).
    static INVAL: RefCell<Invalidations> = RefCell::new(Invalidations::default());
    /// The callbacks are registered once per backend: they cannot be unregistered.
    static REGISTERED: Cell<bool> = const { Cell::new(false) };
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

/// Registers the invalidation callbacks (once per backend).
pub fn register_callbacks() {
    if REGISTERED.with(|r| r.replace(true)) {
        return;
    }
    // Type changes (a domain's typmod, enum labels), schema renames and publication
    // changes affect every entry.
    let caches = [
        pg_sys::SysCacheIdentifier::TYPEOID,
        pg_sys::SysCacheIdentifier::NAMESPACEOID,
        pg_sys::SysCacheIdentifier::ENUMOID,
    ];
    // SAFETY: plain registration calls; the callbacks only touch thread-local state.
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(relcache_cb), pg_sys::Datum::null());
        for &cache in caches.iter().chain(compat::PUBLICATION_SYSCACHES) {
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

/// The cache of relation entries of one decoding session.
pub struct RelCache {
    map: HashMap<pg_sys::Oid, Box<RelEntry>, std::hash::BuildHasherDefault<OidHasher>>,
    /// Parent of the entries' contexts (a child of the decoding context).
    cxt: pg_sys::MemoryContext,
}

impl RelCache {
    /// An empty cache whose entries' contexts go under `cxt`.
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
        // SAFETY: the caller vouches for the relation.
        let (relid, natts) = unsafe { ((*rel).rd_id, (*(*rel).rd_att).natts as usize) };
        let cxt = self.cxt;
        let e = self.map.entry(relid);
        // A dropped or added column changes the descriptor before any invalidation is seen.
        let e = match e {
            std::collections::hash_map::Entry::Occupied(o) if o.get().natts == natts => {
                o.into_mut()
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                // SAFETY: as above.
                o.insert(Box::new(unsafe { build(cfg, rel, cxt) }));
                o.into_mut()
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                // SAFETY: as above.
                v.insert(Box::new(unsafe { build(cfg, rel, cxt) }))
            }
        };
        e
    }
}

/// Builds the entry of `rel`, its memory in a new context under `parent`.
///
/// # Safety
/// `rel` must be a valid, open relation of the current change.
unsafe fn build(cfg: &Config, rel: pg_sys::Relation, parent: pg_sys::MemoryContext) -> RelEntry {
    let owned = OwnedContext::new(parent, c"cedar_cdc relation");
    let cxt = owned.get();
    // SAFETY: the caller vouches for the relation.
    let (relid, natts, partitioned) = unsafe {
        (
            (*rel).rd_id,
            (*(*rel).rd_att).natts as usize,
            (*(*rel).rd_rel).relkind as u8 == pg_sys::RELKIND_PARTITIONED_TABLE,
        )
    };
    let published = if cfg.publication_names.is_empty() {
        // Like a FOR ALL TABLES publication without publish_via_partition_root: partitioned
        // tables themselves are never published, their partitions are.
        (!partitioned).then_some(publication::Published {
            actions: Actions::ALL,
            publish_as: relid,
            columns: None,
            filters: [None, None, None],
            generated: Some(false),
        })
    } else {
        let pubs = publication::load(&cfg.publication_names).or_raise();
        // SAFETY: the caller vouches for the relation.
        unsafe { publication::decide(&pubs, rel) }.or_raise()
    };
    let Some(p) = published else {
        return RelEntry {
            facts: TableFacts::default(),
            plan: TablePlan::new(cfg, "", "", Vec::new(), &[]),
            attrs: Vec::new(),
            conversion: None,
            // Never read: nothing of an unpublished relation is decoded.
            desc: std::ptr::null_mut(),
            row_filter: None,
            depends_on: None,
            natts,
            _cxt: owned,
        };
    };
    let via_root = p.publish_as != relid;
    let target = if via_root {
        // SAFETY: the publication root is an ancestor of an open partition, so it exists; it
        // is opened as pgoutput opens it, and closed below.
        unsafe { pg_sys::RelationIdGetRelation(p.publish_as) }
    } else {
        rel
    };
    // SAFETY: an open relation.
    let (relname, nspname) = unsafe {
        let form = &*(*target).rd_rel;
        (
            name_str(&form.relname),
            cstr(pg_sys::get_namespace_name(form.relnamespace)),
        )
    };
    // cedar_cdc's snapshot bookkeeping is written in every chunk transaction: never sent.
    let internal = cedar_cdc_core::event::incremental::is_internal_table(&nspname, &relname);
    let captured = cfg.filters.table_included(&nspname, &relname) && !internal;
    let (plan, attrs, wire_columns) = if captured {
        // SAFETY: an open relation.
        unsafe {
            catalog::plan_relation(
                cfg,
                target,
                (&relname, &nspname),
                (p.columns.as_deref(), p.generated),
                cxt,
            )
        }
    } else {
        (
            TablePlan::new(cfg, &nspname, &relname, Vec::new(), &[]),
            Vec::new(),
            0,
        )
    };
    // SAFETY: copies of open relations' descriptors, made in the entry's context (so not
    // reference-counted, as a row filter's slot needs); the root is closed once copied.
    let (desc, conversion) = unsafe {
        let old = pg_sys::MemoryContextSwitchTo(cxt);
        let desc = pg_sys::CreateTupleDescCopy((*target).rd_att);
        let conversion = if via_root {
            let map = pg_sys::convert_tuples_by_name((*rel).rd_att, desc);
            pg_sys::RelationClose(target);
            (!map.is_null()).then_some(map)
        } else {
            None
        };
        pg_sys::MemoryContextSwitchTo(old);
        (desc, conversion)
    };
    let row_filter = if captured {
        // SAFETY: the nodes are the root's (or the relation's) row filters and `desc` is a
        // copy of its descriptor in `cxt`, which lives as long as the filter.
        unsafe { RowFilter::new(&p.filters, desc, cxt) }
    } else {
        None
    };
    RelEntry {
        facts: TableFacts {
            // Debezium's filtered publication holds the included tables only.
            published: (captured || !cfg.publication_filtered) && !internal,
            actions: p.actions,
            captured,
            no_columns: captured && wire_columns == 0,
            via_root,
        },
        plan,
        attrs,
        conversion,
        desc,
        row_filter,
        depends_on: via_root.then_some(p.publish_as),
        natts,
        _cxt: owned,
    }
}
