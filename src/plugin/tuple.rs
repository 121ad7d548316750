//! Column values out of heap tuples: Datums in, plain [`Value`]s out.
//!
//! Values are read lazily, column by column, while the event is written. An unchanged
//! out-of-line TOAST value is reported as such and never fetched (fetching it during decoding
//! is unsafe: it may already be vacuumed away).

use std::cell::UnsafeCell;
use std::ffi::CStr;

use cedar_cdc_core::encode::decimal::{Numeric, NumericKind};
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
    /// Output function, for columns written from their text form.
    pub out: Option<Box<UnsafeCell<pg_sys::FmgrInfo>>>,
    /// Element type facts, for arrays.
    pub elem: Option<Box<ElemInfo>>,
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
        // SAFETY: i < n; the arrays were filled by deconstruct_array in this change's memory,
        // which outlives this value; `info` points into the cached relation entry.
        unsafe {
            if i >= self.n || *self.nulls.add(i) {
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
unsafe fn is_external_ondisk(d: pg_sys::Datum) -> bool {
    let p = d.cast_mut_ptr::<pg_sys::varlena>();
    varatt_is_1b_e(p) && u32::from(vartag_external(p)) == pg_sys::vartag_external::VARTAG_ONDISK
}

/// The bytes of a varlena datum, detoasted (compressed or in-memory TOAST) as needed; a
/// plain inline value is read in place.
unsafe fn varlena_bytes<'a>(d: pg_sys::Datum) -> &'a [u8] {
    let mut p = d.cast_mut_ptr::<pg_sys::varlena>();
    // VARATT_IS_EXTENDED: external (1-byte header with tag 0x01) or compressed (4-byte
    // header with the compression bit).
    if varatt_is_1b_e(p) || varatt_is_4b_c(p) {
        p = pg_sys::pg_detoast_datum_packed(p);
    }
    std::slice::from_raw_parts(vardata_any(p).cast(), varsize_any_exhdr(p))
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
    if attr.varlena && is_external_ondisk(d) {
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
            let t = d.cast_mut_ptr::<pg_sys::TimeTzADT>();
            Value::TimeTz((*t).time, (*t).zone)
        }
        Extract::Interval => {
            let t = d.cast_mut_ptr::<pg_sys::Interval>();
            Value::Interval {
                months: (*t).month,
                days: (*t).day,
                micros: (*t).time,
            }
        }
        Extract::Uuid => {
            let mut u = [0u8; 16];
            std::ptr::copy_nonoverlapping(d.cast_mut_ptr::<u8>(), u.as_mut_ptr(), 16);
            Value::Uuid(u)
        }
        Extract::Numeric => numeric(varlena_bytes(d)),
        Extract::Varlena => Value::Bytes(varlena_bytes(d)),
        Extract::Text => match &attr.out {
            Some(f) => {
                let s = pg_sys::OutputFunctionCall(f.get(), d);
                Value::Bytes(CStr::from_ptr(s).to_bytes())
            }
            None => Value::Null,
        },
        Extract::Bits => {
            // VarBit: int32 bit_len, then the bits, first bit most significant.
            let b = varlena_bytes(d);
            if b.len() < 4 {
                return Value::Null;
            }
            let len = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]).max(0) as usize;
            Value::Bits(len, &b[4..])
        }
        Extract::Point => {
            let p = d.cast_mut_ptr::<pg_sys::Point>();
            Value::Point((*p).x, (*p).y)
        }
        Extract::Array => match (&attr.elem, element) {
            (Some(e), Some(ep)) => array(d, e, ep.extract),
            _ => Value::Null,
        },
        Extract::Nothing => Value::Null,
    }
}

/// Deconstructs an array (all dimensions, in storage order) into per-change memory.
unsafe fn array<'a>(d: pg_sys::Datum, e: &'a ElemInfo, extract: Extract) -> Value<'a> {
    let arr = pg_sys::pg_detoast_datum(d.cast_mut_ptr()) as *mut pg_sys::ArrayType;
    let mut datums: *mut pg_sys::Datum = std::ptr::null_mut();
    let mut nulls: *mut bool = std::ptr::null_mut();
    let mut n: i32 = 0;
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
    let ndim = (*arr).ndim;
    let outer = (ndim > 1).then(|| {
        let dims = (arr as *const u8).add(std::mem::size_of::<pg_sys::ArrayType>()) as *const i32;
        (*dims).max(0) as usize
    });
    let elems = pg_sys::palloc(std::mem::size_of::<ArrayElems>()) as *mut ArrayElems;
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

/// Reads numeric's on-disk form (`src/backend/utils/adt/numeric.c`: short, long and special
/// headers; base-10000 digits).
fn numeric(b: &[u8]) -> Value<'_> {
    if b.len() < 2 {
        return Value::Null;
    }
    let header = u16::from_ne_bytes([b[0], b[1]]);
    const SIGN_MASK: u16 = 0xC000;
    const NEG: u16 = 0x4000;
    const SHORT: u16 = 0x8000;
    const SPECIAL: u16 = 0xC000;
    match header & SIGN_MASK {
        SPECIAL => Value::Numeric(Numeric::special(match header & 0xF000 {
            0xD000 => NumericKind::PosInf,
            0xF000 => NumericKind::NegInf,
            _ => NumericKind::NaN,
        })),
        SHORT => {
            let negative = header & 0x2000 != 0;
            let dscale = (header & 0x1F80) >> 7;
            let weight = if header & 0x0040 != 0 {
                (!0x003F_u16 | (header & 0x003F)) as i16
            } else {
                (header & 0x003F) as i16
            };
            Value::Numeric(Numeric::finite(negative, weight, dscale, &b[2..]))
        }
        sign => {
            if b.len() < 4 {
                return Value::Null;
            }
            let weight = i16::from_ne_bytes([b[2], b[3]]);
            Value::Numeric(Numeric::finite(
                sign == NEG,
                weight,
                header & 0x3FFF,
                &b[4..],
            ))
        }
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
    n.deform(new, desc);
    o.deform(old, desc);
    let mut changed = false;
    for i in 0..n.values.len() {
        let varlena = attrs.get(i).is_some_and(|a| a.varlena);
        if varlena
            && !n.nulls[i]
            && is_external_ondisk(n.values[i])
            && !o.nulls[i]
            && !is_external_ondisk(o.values[i])
        {
            n.values[i] = o.values[i];
            changed = true;
        }
    }
    if !changed {
        return new;
    }
    pg_sys::heap_form_tuple(desc, n.values.as_mut_ptr(), n.nulls.as_mut_ptr())
}
