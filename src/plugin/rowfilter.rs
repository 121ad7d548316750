//! Publication row filters (PostgreSQL 15+), evaluated on each tuple as pgoutput does: one
//! prepared expression per action in a small executor state cached with the relation.
//!
//! Everything here lives in the relation entry's memory context and goes with it, as
//! pgoutput's `entry_cxt` does: there is nothing to free one by one.

use pgrx::pg_sys;

/// Insert, update, delete: the indexes of the per-action filters.
pub const INSERT: usize = 0;
pub const UPDATE: usize = 1;
pub const DELETE: usize = 2;

/// Prepared row filters of one relation.
pub struct RowFilter {
    estate: *mut pg_sys::EState,
    exprs: [*mut pg_sys::ExprState; 3],
    slot: *mut pg_sys::TupleTableSlot,
}

impl RowFilter {
    /// Prepares the filters for tuples of `desc`; `None` when no action is filtered.
    ///
    /// # Safety
    /// `nodes` are expression trees of the relation `desc` describes; `desc` is not
    /// reference-counted (a copy in `cxt`); `cxt` outlives the filter.
    pub unsafe fn new(
        nodes: &[Option<Vec<*mut pg_sys::Node>>; 3],
        desc: pg_sys::TupleDesc,
        cxt: pg_sys::MemoryContext,
    ) -> Option<Self> {
        if nodes.iter().all(Option::is_none) {
            return None;
        }
        // SAFETY: executor setup in `cxt`, as pgoutput_row_filter_init does in entry_cxt;
        // the caller vouches for the nodes and the descriptor.
        unsafe {
            let old = pg_sys::MemoryContextSwitchTo(cxt);
            let estate = pg_sys::CreateExecutorState();
            let mut exprs = [std::ptr::null_mut(); 3];
            for (i, n) in nodes.iter().enumerate() {
                let Some(list) = n else { continue };
                let expr = if list.len() == 1 {
                    list[0].cast::<pg_sys::Expr>()
                } else {
                    let mut l: *mut pg_sys::List = std::ptr::null_mut();
                    for &q in list {
                        l = pg_sys::lappend(l, q.cast());
                    }
                    pg_sys::make_orclause(l)
                };
                exprs[i] = pg_sys::ExecPrepareExpr(expr, estate);
            }
            let slot = pg_sys::MakeSingleTupleTableSlot(desc, &pg_sys::TTSOpsHeapTuple);
            pg_sys::MemoryContextSwitchTo(old);
            Some(RowFilter {
                estate,
                exprs,
                slot,
            })
        }
    }

    /// Whether `tuple` passes the filter of `action` (true when that action is unfiltered).
    ///
    /// # Safety
    /// `tuple` must be of the descriptor the filter was prepared for.
    pub unsafe fn matches(&self, action: usize, tuple: pg_sys::HeapTuple) -> bool {
        let e = self.exprs[action];
        if e.is_null() {
            return true;
        }
        // SAFETY: the executor state, expression and slot were prepared in `new` and live as
        // long as `self`; the caller vouches for the tuple's format.
        unsafe {
            let mut econtext = (*self.estate).es_per_tuple_exprcontext;
            if econtext.is_null() {
                econtext = pg_sys::MakePerTupleExprContext(self.estate);
            }
            pg_sys::ExecStoreHeapTuple(tuple, self.slot, false);
            (*econtext).ecxt_scantuple = self.slot;
            let old = pg_sys::MemoryContextSwitchTo((*econtext).ecxt_per_tuple_memory);
            let mut isnull = false;
            let d = match (*e).evalfunc {
                Some(f) => f(e, econtext, &mut isnull),
                None => pg_sys::Datum::null(),
            };
            pg_sys::MemoryContextSwitchTo(old);
            pg_sys::MemoryContextReset((*econtext).ecxt_per_tuple_memory);
            !isnull && d.value() & 0xff != 0
        }
    }
}
