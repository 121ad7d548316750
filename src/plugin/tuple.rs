//! Column values out of heap tuples: Datums in, plain [`Value`]s out.
//!
//! Values are read lazily, column by column, while the event is written. An unchanged
//! out-of-line TOAST value is reported as such and never fetched (fetching it during decoding
//! is unsafe: it may already be vacuumed away). Byte layouts that need no server (numeric
//! digits, varbit) are parsed by the core.

use std::cell::UnsafeCell;
use std::ffi::CStr;

use cedar_cdc_core::encode::{bits, decimal::Numeric};
use cedar_cdc_core::event::Row;
use cedar_cdc_core::plan::types::{ColumnPlan, Elements, Extract, Value};
use pgrx::pg_sys;
use pgrx::varlena::{
    varatt_is_1b_e, varatt_is_4b_c, vardata_any, varsize_any_exhdr, vartag_external,
};

/// Per-attribute facts the row reader needs, cached with the relation.
pub struct AttrInfo {
    /// `attlen == -1`: the value may be TOASTed.
    pub varlena: bool,
    /// Output function, for columns written from their text form (its state lives in the
    /// relation entry's memory context).
    pub out: Option<Box<UnsafeCell<pg_sys::FmgrInfo>>>,
    /// Element type facts, for arrays.
    pub elem: Option<Box<ElemInfo>>,
}

impl AttrInfo {
    /// An attribute that is not read (dropped, generated, not listed or unsupported).
    pub fn skipped(attlen: i16) -> Self {
        AttrInfo {
            varlena: attlen == -1,
            out: None,
            elem: None,
        }
    }
}

/// What deconstructing an array needs about its element type.
pub struct ElemInfo {
    pub typid: pg_sys::Oid,
    pub len: i16,
    pub byval: bool,
    pub align: std::ffi::c_char,
    pub info: AttrInfo,
}

/// The elements of one deconstructed array. Lives in the per-change memory context.
struct ArrayElems {
    datums: *const pg_sys::Datum,
    nulls: *const bool,
    n: usize,
    /// Length of the first dimension when the array has several.
    outer: Option<usize>,
    extract: Extract,
    info: *const AttrInfo,
}

impl Elements for ArrayElems {
    fn len(&self) -> usize {
        self.outer.unwrap_or(self.n)
    }

    fn nested(&self) -> bool {
        self.outer.is_some()
    }

    fn get(&self, i: usize) -> Value<'_> {
        if i >= self.n {
            return Value::Null;
        }
        // SAFETY: i < n; the arrays were filled by deconstruct_array in this change's memory,
        // which outlives this value; `info` points into the cached relation entry.
        unsafe {
            if *self.nulls.add(i) {
                return Value::Null;
            }
            datum_value(*self.datums.add(i), self.extract, None, &*self.info)
        }
    }
}

/// Reusable arrays for one deformed tuple.
#[derive(Default)]
pub struct TupleBuf {
    values: Vec<pg_sys::Datum>,
    nulls: Vec<bool>,
}

impl TupleBuf {
    /// Deforms `tuple` with `tupdesc` into this buffer.
    ///
    /// # Safety
    /// `tuple` and `tupdesc` must be valid and belong together.
    pub unsafe fn deform(&mut self, tuple: pg_sys::HeapTuple, tupdesc: pg_sys::TupleDesc) {
        // SAFETY: the caller vouches for the descriptor; the buffers hold natts entries.
        unsafe {
            let natts = (*tupdesc).natts as usize;
            self.values.resize(natts, pg_sys::Datum::null());
            self.nulls.resize(natts, true);
            pg_sys::heap_deform_tuple(
                tuple,
                tupdesc,
                self.values.as_mut_ptr(),
                self.nulls.as_mut_ptr(),
            );
        }
    }

    /// Fills this buffer with a row of `natts` attributes from `tuple` (of `desc`), whose
    /// column `k` is attribute `map[k]`; the other attributes are null. `raw` is scratch.
    ///
    /// # Safety
    /// `tuple` and `desc` must be valid and belong together, with `map.len()` columns.
    pub unsafe fn deform_mapped(
        &mut self,
        tuple: pg_sys::HeapTuple,
        desc: pg_sys::TupleDesc,
        map: &[usize],
        natts: usize,
        raw: &mut TupleBuf,
    ) {
        // SAFETY: the caller vouches for the tuple and its descriptor.
        unsafe { raw.deform(tuple, desc) };
        self.values.clear();
        self.values.resize(natts, pg_sys::Datum::null());
        self.nulls.clear();
        self.nulls.resize(natts, true);
        for (k, &a) in map.iter().enumerate() {
            if a < natts && k < raw.values.len() {
                self.values[a] = raw.values[k];
                self.nulls[a] = raw.nulls[k];
            }
        }
    }

    /// Replaces every on-disk TOAST pointer by the value it points to, fetched and
    /// decompressed into the current memory context: a snapshot reads values in full (only
    /// decoding must not fetch TOAST data).
    ///
    /// # Safety
    /// The buffer holds a row read under a regular (not historic) snapshot, with `attrs`
    /// describing its attributes.
    pub unsafe fn fetch_toasted(&mut self, attrs: &[AttrInfo]) {
        for (i, a) in attrs.iter().enumerate() {
            // SAFETY: non-null values of a varlena attribute; the pointer is fetched under
            // the caller's snapshot.
            unsafe {
                if a.varlena && !self.nulls[i] && is_external_ondisk(self.values[i]) {
                    let p = pg_sys::pg_detoast_datum_packed(self.values[i].cast_mut_ptr());
                    self.values[i] = pg_sys::Datum::from(p);
                }
            }
        }
    }

    /// A row view over the deformed values.
    pub fn row<'a>(&'a self, attrs: &'a [AttrInfo]) -> TupleRow<'a> {
        TupleRow { buf: self, attrs }
    }
}

/// A deformed tuple the encoder reads values from.
pub struct TupleRow<'a> {
    buf: &'a TupleBuf,
    attrs: &'a [AttrInfo],
}

impl Row for TupleRow<'_> {
    fn value(&self, col: &ColumnPlan) -> Value<'_> {
        let i = col.attr;
        if i >= self.buf.values.len() || self.buf.nulls[i] {
            return Value::Null;
        }
        // SAFETY: the datum comes from heap_deform_tuple of the current change and lives in
        // the change's memory until the change is done; the extraction matches the type.
        unsafe {
            datum_value(
                self.buf.values[i],
                col.extract,
                col.element.as_deref(),
                &self.attrs[i],
            )
        }
    }
}

/// Whether a varlena datum is an on-disk TOAST pointer (an unchanged TOASTed value).
///
/// # Safety
/// `d` must be a non-null varlena Datum.
unsafe fn is_external_ondisk(d: pg_sys::Datum) -> bool {
    let p = d.cast_mut_ptr::<pg_sys::varlena>();
    // SAFETY: the caller vouches for a varlena; reading its header is always valid.
    unsafe {
        varatt_is_1b_e(p) && u32::from(vartag_external(p)) == pg_sys::vartag_external::VARTAG_ONDISK
    }
}

/// The bytes of a varlena datum, detoasted (compressed or in-memory TOAST) as needed; a
/// plain inline value is read in place.
///
/// # Safety
/// `d` must be a non-null varlena Datum that is not an on-disk TOAST pointer.
unsafe fn varlena_bytes<'a>(d: pg_sys::Datum) -> &'a [u8] {
    let mut p = d.cast_mut_ptr::<pg_sys::varlena>();
    // SAFETY: a valid varlena; detoasting allocates the copy in the per-change context, which
    // outlives the returned slice's use.
    unsafe {
        // VARATT_IS_EXTENDED: external (1-byte header with tag 0x01) or compressed (4-byte
        // header with the compression bit).
        if varatt_is_1b_e(p) || varatt_is_4b_c(p) {
            p = pg_sys::pg_detoast_datum_packed(p);
        }
        std::slice::from_raw_parts(vardata_any(p).cast(), varsize_any_exhdr(p))
    }
}

/// Converts a non-null Datum into a [`Value`]. `element` is the element plan of an array.
///
/// # Safety
/// `d` must be a valid, non-null Datum of the column the extraction was planned for.
pub unsafe fn datum_value<'a>(
    d: pg_sys::Datum,
    ex: Extract,
    element: Option<&ColumnPlan>,
    attr: &'a AttrInfo,
) -> Value<'a> {
    // The caller vouches that `d` is a Datum of the type `ex` was planned for, so each
    // pointer cast below matches its representation.
    // SAFETY: a non-null varlena when `attr.varlena`.
    if attr.varlena && unsafe { is_external_ondisk(d) } {
        return Value::UnchangedToast;
    }
    let v = d.value();
    match ex {
        Extract::Bool => Value::Bool(v & 0xff != 0),
        Extract::Int2 => Value::Int(i64::from(v as i16)),
        Extract::Int4 => Value::Int(i64::from(v as i32)),
        Extract::Int8 => Value::Int(v as i64),
        Extract::Oid => Value::Int(i64::from(v as u32)),
        Extract::Float4 => Value::Float4(f32::from_bits(v as u32)),
        Extract::Float8 => Value::Float8(f64::from_bits(v as u64)),
        Extract::Date => Value::Date(v as i32),
        Extract::Time => Value::Time(v as i64),
        Extract::Timestamp => Value::Timestamp(v as i64),
        Extract::TimestampTz => Value::TimestampTz(v as i64),
        Extract::TimeTz => {
            // SAFETY: timetz is passed by reference to a TimeTzADT.
            let t = unsafe { &*d.cast_mut_ptr::<pg_sys::TimeTzADT>() };
            Value::TimeTz(t.time, t.zone)
        }
        Extract::Interval => {
            // SAFETY: interval is passed by reference to an Interval.
            let t = unsafe { &*d.cast_mut_ptr::<pg_sys::Interval>() };
            Value::Interval {
                months: t.month,
                days: t.day,
                micros: t.time,
            }
        }
        Extract::Uuid => {
            // SAFETY: uuid is passed by reference to 16 bytes.
            Value::Uuid(unsafe { *d.cast_mut_ptr::<[u8; 16]>() })
        }
        Extract::Numeric => {
            // SAFETY: numeric is a varlena, not an on-disk TOAST pointer (checked above).
            Numeric::from_disk(unsafe { varlena_bytes(d) }).map_or(Value::Null, Value::Numeric)
        }
        // SAFETY: a varlena type, not an on-disk TOAST pointer (checked above).
        Extract::Varlena => Value::Bytes(unsafe { varlena_bytes(d) }),
        Extract::Text => match &attr.out {
            Some(f) => {
                // SAFETY: the type's output function, looked up for this column; it returns
                // a palloc'd C string in the per-change context.
                let s = unsafe { CStr::from_ptr(pg_sys::OutputFunctionCall(f.get(), d)) };
                Value::Bytes(s.to_bytes())
            }
            None => Value::Null,
        },
        // SAFETY: varbit is a varlena, not an on-disk TOAST pointer (checked above).
        Extract::Bits => match bits::split_varbit(unsafe { varlena_bytes(d) }) {
            Some((len, b)) => Value::Bits(len, b),
            None => Value::Null,
        },
        Extract::Point => {
            // SAFETY: point is passed by reference to a Point.
            let p = unsafe { &*d.cast_mut_ptr::<pg_sys::Point>() };
            Value::Point(p.x, p.y)
        }
        Extract::Array => match (&attr.elem, element) {
            // SAFETY: an array of the planned element type.
            (Some(e), Some(ep)) => unsafe { array(d, e, ep.extract) },
            _ => Value::Null,
        },
        Extract::Nothing => Value::Null,
    }
}

/// Deconstructs an array (all dimensions, in storage order) into per-change memory.
///
/// # Safety
/// `d` must be a non-null array Datum whose element type `e` describes.
unsafe fn array<'a>(d: pg_sys::Datum, e: &'a ElemInfo, extract: Extract) -> Value<'a> {
    let mut datums: *mut pg_sys::Datum = std::ptr::null_mut();
    let mut nulls: *mut bool = std::ptr::null_mut();
    let mut n: i32 = 0;
    // SAFETY: the caller vouches for the array and its element type; everything allocated
    // here lives in the per-change context, which outlives the value.
    unsafe {
        let arr = pg_sys::pg_detoast_datum(d.cast_mut_ptr()).cast::<pg_sys::ArrayType>();
        pg_sys::deconstruct_array(
            arr,
            e.typid,
            i32::from(e.len),
            e.byval,
            e.align,
            &mut datums,
            &mut nulls,
            &mut n,
        );
        // ArrayType header: vl_len_, ndim, dataoffset, elemtype, then dims[ndim].
        let outer = ((*arr).ndim > 1).then(|| {
            let dims = arr
                .cast::<u8>()
                .add(std::mem::size_of::<pg_sys::ArrayType>())
                .cast::<i32>();
            (*dims).max(0) as usize
        });
        let elems = pg_sys::palloc(std::mem::size_of::<ArrayElems>()).cast::<ArrayElems>();
        elems.write(ArrayElems {
            datums,
            nulls,
            n: n.max(0) as usize,
            outer,
            extract,
            info: &e.info,
        });
        Value::Array(&*elems)
    }
}

/// A copy of `new` whose unchanged TOASTed values are taken from `old` (what pgoutput does
/// before evaluating a row filter, which must not read TOAST data during decoding).
///
/// # Safety
/// Both tuples must be of `desc`; `attrs` is the relation's attribute info.
pub unsafe fn with_toast_from(
    new: pg_sys::HeapTuple,
    old: pg_sys::HeapTuple,
    desc: pg_sys::TupleDesc,
    attrs: &[AttrInfo],
) -> pg_sys::HeapTuple {
    let mut n = TupleBuf::default();
    let mut o = TupleBuf::default();
    // SAFETY: the caller vouches that both tuples are of `desc`.
    unsafe {
        n.deform(new, desc);
        o.deform(old, desc);
    }
    let mut changed = false;
    for i in 0..n.values.len() {
        let varlena = attrs.get(i).is_some_and(|a| a.varlena);
        if varlena
            && !n.nulls[i]
            && !o.nulls[i]
            // SAFETY: non-null values of a varlena attribute.
            && unsafe { is_external_ondisk(n.values[i]) && !is_external_ondisk(o.values[i]) }
        {
            n.values[i] = o.values[i];
            changed = true;
        }
    }
    if !changed {
        return new;
    }
    // SAFETY: values and nulls hold one entry per attribute of `desc`.
    unsafe { pg_sys::heap_form_tuple(desc, n.values.as_mut_ptr(), n.nulls.as_mut_ptr()) }
}
