//! pgjdbc's `TypeInfoCache` length and scale of a column, which Debezium reports through
//! `column.propagate.source.type` (`PostgresType.getDefaultLength`/`getDefaultScale`,
//! `ColumnMetaData`).

use super::oid;

/// `Integer.MAX_VALUE`: pgjdbc's `unknownLength`.
pub const UNKNOWN_LENGTH: i32 = i32::MAX;

fn display_size(oid: u32, typmod: i32) -> i32 {
    match oid {
        oid::INT2 => 6,
        oid::INT4 => 11,
        oid::OID => 10,
        oid::INT8 => 20,
        oid::FLOAT4 => 15,
        oid::FLOAT8 => 25,
        oid::CHAR | oid::BOOL => 1,
        oid::DATE => 13,
        oid::TIME | oid::TIMETZ | oid::TIMESTAMP | oid::TIMESTAMPTZ => {
            let seconds = match typmod {
                -1 => 7,
                0 => 0,
                1 => 3,
                t => t + 1,
            };
            match oid {
                oid::TIME => 8 + seconds,
                oid::TIMETZ => 8 + seconds + 6,
                oid::TIMESTAMP => 13 + 1 + 8 + seconds,
                _ => 13 + 1 + 8 + seconds + 6,
            }
        }
        oid::INTERVAL => 49,
        oid::VARCHAR | oid::BPCHAR if typmod == -1 => UNKNOWN_LENGTH,
        oid::VARCHAR | oid::BPCHAR => typmod - 4,
        oid::NUMERIC if typmod == -1 => 131_089,
        oid::NUMERIC => {
            let p = ((typmod - 4) >> 16) & 0xffff;
            let s = (typmod - 4) & 0xffff;
            1 + p + i32::from(s != 0)
        }
        oid::BIT => typmod,
        oid::VARBIT if typmod == -1 => UNKNOWN_LENGTH,
        oid::VARBIT => typmod,
        _ => UNKNOWN_LENGTH,
    }
}

fn precision(oid: u32, typmod: i32) -> i32 {
    match oid {
        oid::INT2 => 5,
        oid::OID | oid::INT4 => 10,
        oid::INT8 => 19,
        oid::FLOAT4 => 8,
        oid::FLOAT8 => 17,
        oid::NUMERIC if typmod == -1 => 0,
        oid::NUMERIC => ((typmod - 4) >> 16) & 0xffff,
        oid::CHAR | oid::BOOL => 1,
        oid::BPCHAR | oid::VARCHAR if typmod == -1 => UNKNOWN_LENGTH,
        oid::BPCHAR | oid::VARCHAR => typmod - 4,
        oid::DATE | oid::TIME | oid::TIMETZ | oid::INTERVAL | oid::TIMESTAMP | oid::TIMESTAMPTZ => {
            display_size(oid, typmod)
        }
        oid::BIT => typmod,
        oid::VARBIT if typmod == -1 => UNKNOWN_LENGTH,
        oid::VARBIT => typmod,
        _ => UNKNOWN_LENGTH,
    }
}

/// The scale pgjdbc reports.
pub fn scale(oid: u32, typmod: i32) -> i32 {
    match oid {
        oid::FLOAT4 => 8,
        oid::FLOAT8 => 17,
        oid::NUMERIC if typmod == -1 => 0,
        oid::NUMERIC => (typmod - 4) & 0xffff,
        oid::TIME | oid::TIMETZ | oid::TIMESTAMP | oid::TIMESTAMPTZ if typmod == -1 => 6,
        oid::TIME | oid::TIMETZ | oid::TIMESTAMP | oid::TIMESTAMPTZ => typmod,
        oid::INTERVAL if typmod == -1 => 6,
        oid::INTERVAL => typmod & 0xffff,
        _ => 0,
    }
}

/// The length Debezium gives a column: the precision, or the display size when that is 0.
pub fn length(oid: u32, typmod: i32) -> i32 {
    if typmod != -1 {
        return precision(oid, typmod);
    }
    match precision(oid, -1) {
        0 => display_size(oid, -1),
        p => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_pgjdbc() {
        assert_eq!(length(oid::NUMERIC, ((7 << 16) | 2) + 4), 7);
        assert_eq!(scale(oid::NUMERIC, ((7 << 16) | 2) + 4), 2);
        assert_eq!(length(oid::NUMERIC, -1), 131_089);
        assert_eq!(length(oid::VARCHAR, 16), 12);
        assert_eq!(length(oid::TEXT, -1), 2_147_483_647);
        assert_eq!(scale(oid::TIMESTAMPTZ, -1), 6);
    }
}
