//! Publications, the way pgoutput uses them (PostgreSQL 15's `get_rel_sync_entry`):
//! membership (FOR ALL TABLES, TABLES IN SCHEMA, listed tables, partition ancestors), the
//! union of `publish` actions, `publish_via_partition_root`, column lists and row filters.
//! Everything is decided once per relation and cached with its plan.

use std::ffi::CString;

use cedar_cdc_core::error::{Error, ErrorCode};
use pgrx::pg_sys;

mod ffi {
    use pgrx::pg_sys;
    unsafe extern "C-unwind" {
        /// `partition.h`: the ancestors of a partition, nearest first (stable since 10).
        pub fn get_partition_ancestors(relid: pg_sys::Oid) -> *mut pg_sys::List;
    }
}

/// The ancestors of a partition, with PostgreSQL errors turned into Rust panics (and so
/// back into errors) like every pgrx-bound function.
unsafe fn get_partition_ancestors(relid: pg_sys::Oid) -> *mut pg_sys::List {
    pg_sys::ffi::pg_guard_ffi_boundary(|| ffi::get_partition_ancestors(relid))
}

/// `pg_publication_rel` attribute numbers (PostgreSQL 15+).
const ANUM_PRQUAL: pg_sys::AttrNumber = 4;
const ANUM_PRATTRS: pg_sys::AttrNumber = 5;

/// Which of insert/update/delete/truncate are published.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actions {
    pub insert: bool,
    pub update: bool,
    pub delete: bool,
    pub truncate: bool,
}

impl Actions {
    /// Every action (no publication filtering).
    pub const ALL: Actions = Actions {
        insert: true,
        update: true,
        delete: true,
        truncate: true,
    };

    fn any(&self) -> bool {
        self.insert || self.update || self.delete || self.truncate
    }
}

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
}

unsafe fn list_oids(l: *mut pg_sys::List) -> Vec<pg_sys::Oid> {
    if l.is_null() {
        return Vec::new();
    }
    (0..(*l).length as usize)
        .map(|i| (*(*l).elements.add(i)).oid_value)
        .collect()
}

/// Loads the publications by name (under the historic snapshot: as they were at the change).
pub unsafe fn load(names: &[String]) -> Result<Vec<*mut pg_sys::Publication>, Error> {
    names
        .iter()
        .map(|n| {
            let c = CString::new(n.as_str()).unwrap_or_default();
            let p = pg_sys::GetPublicationByName(c.as_ptr(), true);
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
pub unsafe fn decide(
    pubs: &[*mut pg_sys::Publication],
    rel: pg_sys::Relation,
) -> Result<Option<Published>, Error> {
    let relid = (*rel).rd_id;
    let form = &*(*rel).rd_rel;
    let rel_pubs = list_oids(pg_sys::GetRelationPublications(relid));
    let schema_pubs = list_oids(pg_sys::GetSchemaPublications(form.relnamespace));
    let ancestors_list = if form.relispartition {
        get_partition_ancestors(relid)
    } else {
        std::ptr::null_mut()
    };
    let ancestors = list_oids(ancestors_list);
    let partitioned = form.relkind as u8 == pg_sys::RELKIND_PARTITIONED_TABLE;

    let mut actions = Actions::default();
    let mut publish_as = relid;
    let mut level = 0i32;
    let mut chosen: Vec<*mut pg_sys::Publication> = Vec::new();
    for &p in pubs {
        let pb = &*p;
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
            if form.relispartition && !ancestors_list.is_null() {
                let mut l = 0;
                let anc = pg_sys::GetTopMostAncestorInPublication(pb.oid, ancestors_list, &mut l);
                if anc != pg_sys::InvalidOid {
                    ancestor_published = true;
                    if pb.pubviaroot {
                        pub_relid = anc;
                        anc_level = l;
                    }
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
    let columns = column_list(&chosen, publish_as)?;
    let filters = row_filters(&chosen, publish_as);
    Ok(Some(Published {
        actions,
        publish_as,
        columns,
        filters,
    }))
}

/// The `pg_publication_rel` row of (`relid`, publication), if the table is listed.
unsafe fn rel_entry(relid: pg_sys::Oid, pubid: pg_sys::Oid) -> pg_sys::HeapTuple {
    pg_sys::SearchSysCache2(
        pg_sys::SysCacheIdentifier::PUBLICATIONRELMAP as i32,
        pg_sys::Datum::from(relid),
        pg_sys::Datum::from(pubid),
    )
}

/// PostgreSQL 15 column lists: all publications must agree.
unsafe fn column_list(
    pubs: &[*mut pg_sys::Publication],
    relid: pg_sys::Oid,
) -> Result<Option<Vec<i16>>, Error> {
    let mut result: Option<Option<Vec<i16>>> = None;
    for &p in pubs {
        let mut cols: Option<Vec<i16>> = None;
        if !(*p).alltables {
            let tup = rel_entry(relid, (*p).oid);
            if !tup.is_null() {
                let mut isnull = false;
                let d = pg_sys::SysCacheGetAttr(
                    pg_sys::SysCacheIdentifier::PUBLICATIONRELMAP as i32,
                    tup,
                    ANUM_PRATTRS,
                    &mut isnull,
                );
                if !isnull {
                    // int2vector
                    let v = pg_sys::pg_detoast_datum(d.cast_mut_ptr()) as *mut pg_sys::int2vector;
                    let n = (*v).dim1 as usize;
                    cols = Some((*v).values.as_slice(n).to_vec());
                }
                pg_sys::ReleaseSysCache(tup);
            }
        }
        match &result {
            None => result = Some(cols),
            Some(prev) if *prev != cols => {
                let name = std::ffi::CStr::from_ptr(pg_sys::get_rel_name(relid)).to_string_lossy();
                return Err(Error::new(
                    ErrorCode::FeatureNotSupported,
                    format!("cannot use different column lists for table \"{name}\" in different publications"),
                ));
            }
            _ => {}
        }
    }
    Ok(result.flatten())
}

/// Row filters per action (insert, update, delete), OR-ed across publications; `None` for an
/// action some publication sends unfiltered.
unsafe fn row_filters(
    pubs: &[*mut pg_sys::Publication],
    relid: pg_sys::Oid,
) -> [Option<Vec<*mut pg_sys::Node>>; 3] {
    let mut nodes: [Vec<*mut pg_sys::Node>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut unfiltered = [false; 3];
    for &p in pubs {
        let pb = &*p;
        let acts = [
            pb.pubactions.pubinsert,
            pb.pubactions.pubupdate,
            pb.pubactions.pubdelete,
        ];
        let mut qual: *mut pg_sys::Node = std::ptr::null_mut();
        if !pb.alltables {
            let tup = rel_entry(relid, pb.oid);
            if !tup.is_null() {
                let mut isnull = false;
                let d = pg_sys::SysCacheGetAttr(
                    pg_sys::SysCacheIdentifier::PUBLICATIONRELMAP as i32,
                    tup,
                    ANUM_PRQUAL,
                    &mut isnull,
                );
                if !isnull {
                    let text = pg_sys::text_to_cstring(d.cast_mut_ptr());
                    qual = pg_sys::stringToNode(text) as *mut pg_sys::Node;
                }
                pg_sys::ReleaseSysCache(tup);
            }
        }
        for i in 0..3 {
            if !acts[i] {
                continue;
            }
            if qual.is_null() {
                unfiltered[i] = true;
            } else {
                nodes[i].push(qual);
            }
        }
    }
    let mut out: [Option<Vec<*mut pg_sys::Node>>; 3] = [None, None, None];
    for i in 0..3 {
        if !unfiltered[i] && !nodes[i].is_empty() {
            out[i] = Some(std::mem::take(&mut nodes[i]));
        }
    }
    out
}
