//! Publications, the way pgoutput uses them (PostgreSQL 15's `get_rel_sync_entry`):
//! membership (FOR ALL TABLES, TABLES IN SCHEMA, listed tables, partition ancestors), the
//! union of `publish` actions, `publish_via_partition_root`, column lists and row filters.
//! Everything is decided once per relation and cached with its plan. What differs between
//! majors (schema publications, row filters and column lists arrived in 15) is asked of
//! `compat`.

use std::ffi::CString;

use cedar_cdc_core::error::{Error, ErrorCode};
use cedar_cdc_core::event::Actions;
use pgrx::pg_sys;

use super::catalog::list_oids;
use super::compat;

/// How a relation is published.
pub struct Published {
    pub actions: Actions,
    /// The relation whose name and format changes are published as (the topmost published
    /// ancestor with `publish_via_partition_root`, else the relation itself).
    pub publish_as: pg_sys::Oid,
    /// Column list (attribute numbers of `publish_as`), when every publication has the same.
    pub columns: Option<Vec<i16>>,
    /// Row filters (`prqual` nodes of `publish_as`) for insert, update and delete: `None` when
    /// some publication publishes the action without a filter.
    pub filters: [Option<Vec<*mut pg_sys::Node>>; 3],
    /// Stored generated columns are published (`publish_generated_columns = stored`, 18+);
    /// `None` when the publications disagree, which pgoutput refuses for a table that has one.
    pub generated: Option<bool>,
}

mod ffi {
    use pgrx::pg_sys;
    unsafe extern "C-unwind" {
        /// `partition.h`: the ancestors of a partition, nearest first (stable since 10).
        pub fn get_partition_ancestors(relid: pg_sys::Oid) -> *mut pg_sys::List;
    }
}

/// The ancestors of a partition, nearest first, with PostgreSQL errors turned into Rust
/// panics (and so back into errors) like every pgrx-bound function.
pub(super) fn partition_ancestors(relid: pg_sys::Oid) -> *mut pg_sys::List {
    // SAFETY: a plain catalog lookup, inside the decoding transaction.
    unsafe { pg_sys::ffi::pg_guard_ffi_boundary(|| ffi::get_partition_ancestors(relid)) }
}

/// Loads the publications by name (under the historic snapshot: as they were at the change).
pub fn load(names: &[String]) -> Result<Vec<*mut pg_sys::Publication>, Error> {
    names
        .iter()
        .map(|n| {
            let c = CString::new(n.as_str()).unwrap_or_default();
            // SAFETY: a catalog lookup by name, missing_ok; inside the decoding transaction.
            let p = unsafe { pg_sys::GetPublicationByName(c.as_ptr(), true) };
            if p.is_null() {
                Err(Error::new(
                    ErrorCode::UndefinedObject,
                    format!("publication \"{n}\" does not exist"),
                )
                .detail("Named in option \"publication_names\".")
                .hint("Create it with CREATE PUBLICATION, or fix the name (unquoted names are folded to lower case)."))
            } else {
                Ok(p)
            }
        })
        .collect()
}

/// How `rel` is published by `pubs`; `None` when it is not published at all.
///
/// # Safety
/// `rel` must be an open relation; `pubs` come from [`load`] in this transaction.
pub unsafe fn decide(
    pubs: &[*mut pg_sys::Publication],
    rel: pg_sys::Relation,
) -> Result<Option<Published>, Error> {
    // SAFETY: the caller vouches for the relation.
    let (relid, form) = unsafe { ((*rel).rd_id, &*(*rel).rd_rel) };
    // SAFETY: catalog lookups inside the decoding transaction.
    let rel_pubs = unsafe { list_oids(pg_sys::GetRelationPublications(relid)) };
    let schema_pubs = compat::schema_publications(form.relnamespace);
    let ancestors = if form.relispartition {
        // SAFETY: get_partition_ancestors returns an OID list.
        unsafe { list_oids(partition_ancestors(relid)) }
    } else {
        Vec::new()
    };
    let partitioned = form.relkind as u8 == pg_sys::RELKIND_PARTITIONED_TABLE;

    let mut actions = Actions::default();
    let mut publish_as = relid;
    let mut level = 0i32;
    let mut chosen: Vec<*mut pg_sys::Publication> = Vec::new();
    for &p in pubs {
        // SAFETY: loaded by `load` in this transaction.
        let pb = unsafe { &*p };
        let mut publish = false;
        let mut pub_relid = relid;
        let mut anc_level = 0i32;
        if pb.alltables {
            publish = true;
            if pb.pubviaroot && form.relispartition {
                if let Some(&top) = ancestors.last() {
                    pub_relid = top;
                    anc_level = ancestors.len() as i32;
                }
            }
        }
        if !publish {
            let mut ancestor_published = false;
            if let Some((anc, l)) = compat::topmost_ancestor_in_publication(pb.oid, &ancestors) {
                ancestor_published = true;
                if pb.pubviaroot {
                    pub_relid = anc;
                    anc_level = l;
                }
            }
            publish =
                rel_pubs.contains(&pb.oid) || schema_pubs.contains(&pb.oid) || ancestor_published;
        }
        // A partitioned table is published itself only through its root.
        if publish && (!partitioned || pb.pubviaroot) {
            let a = &pb.pubactions;
            actions.insert |= a.pubinsert;
            actions.update |= a.pubupdate;
            actions.delete |= a.pubdelete;
            actions.truncate |= a.pubtruncate;
            if level > anc_level {
                continue;
            }
            if level < anc_level || chosen.is_empty() {
                publish_as = pub_relid;
                level = anc_level;
                chosen.clear();
            }
            chosen.push(p);
        }
    }
    if !actions.any() {
        return Ok(None);
    }
    // The chosen publications' entries for the published relation (none for FOR ALL
    // TABLES, which has neither row filter nor column list).
    let entries: Vec<([bool; 3], compat::PublicationRel)> = chosen
        .iter()
        .map(|&p| {
            // SAFETY: loaded by `load` in this transaction.
            let pb = unsafe { &*p };
            let a = &pb.pubactions;
            let entry = if pb.alltables {
                compat::PublicationRel::default()
            } else {
                compat::publication_rel(publish_as, pb.oid)
            };
            ([a.pubinsert, a.pubupdate, a.pubdelete], entry)
        })
        .collect();
    let columns = column_list(&entries, publish_as)?;
    let filters = row_filters(&entries);
    let mut gencols = chosen.iter().map(|&p| {
        // SAFETY: loaded by `load` in this transaction.
        compat::publishes_generated(unsafe { &*p })
    });
    let first = gencols.next().unwrap_or(false);
    let generated = gencols.all(|g| g == first).then_some(first);
    Ok(Some(Published {
        actions,
        publish_as,
        columns,
        filters,
        generated,
    }))
}

/// Column lists (PostgreSQL 15+): all publications must agree.
fn column_list(
    entries: &[([bool; 3], compat::PublicationRel)],
    relid: pg_sys::Oid,
) -> Result<Option<Vec<i16>>, Error> {
    let mut result: Option<&Option<Vec<i16>>> = None;
    for (_, e) in entries {
        match result {
            None => result = Some(&e.columns),
            Some(prev) if *prev != e.columns => {
                // SAFETY: a catalog lookup of an existing relation's name.
                let name = unsafe { std::ffi::CStr::from_ptr(pg_sys::get_rel_name(relid)) };
                return Err(Error::new(
                    ErrorCode::FeatureNotSupported,
                    format!(
                        "cannot use different column lists for table \"{}\" in different publications",
                        name.to_string_lossy()
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(result.cloned().flatten())
}

/// Row filters per action (insert, update, delete), OR-ed across publications; `None` for an
/// action some publication sends unfiltered.
fn row_filters(
    entries: &[([bool; 3], compat::PublicationRel)],
) -> [Option<Vec<*mut pg_sys::Node>>; 3] {
    let mut nodes: [Vec<*mut pg_sys::Node>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut unfiltered = [false; 3];
    for (acts, e) in entries {
        for i in 0..3 {
            if !acts[i] {
                continue;
            }
            match e.qual {
                None => unfiltered[i] = true,
                Some(q) => nodes[i].push(q),
            }
        }
    }
    std::array::from_fn(|i| {
        (!unfiltered[i] && !nodes[i].is_empty()).then(|| std::mem::take(&mut nodes[i]))
    })
}
