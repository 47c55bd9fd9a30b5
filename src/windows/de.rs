//! Tolerant readers for what Windows PowerShell 5.1 and native collectors actually write:
//! UTF-8 with or without a BOM or UTF-16LE text, a single object where an array was meant,
//! `{value, Count}` array wrappers, booleans as `true`/`"True"`/`1`, numbers as strings, and
//! `/Date(ms)/` as well as ISO dates.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Bytes of a snapshot file as text: UTF-8 (BOM stripped) or UTF-16LE (with a BOM, or
/// recognised by the NUL high bytes PowerShell's `Out-File` writes for ASCII text).
pub fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8(rest.to_vec()).map_err(|e| format!("invalid UTF-8: {e}"));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16le(rest);
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Err("UTF-16 big-endian is not supported (expected UTF-8 or UTF-16LE)".into());
    }
    if bytes.len() >= 2 && bytes[0] != 0 && bytes[1] == 0 {
        return utf16le(bytes);
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| format!("neither UTF-8 nor UTF-16LE text: {e}"))
}

fn utf16le(bytes: &[u8]) -> Result<String, String> {
    if !bytes.len().is_multiple_of(2) {
        return Err("UTF-16LE text with an odd number of bytes (truncated)".into());
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).map_err(|e| format!("invalid UTF-16LE: {e}"))
}

/// An array, a single object (PowerShell 5.1 unrolls one-element arrays), null/absent (no
/// items), or the `{ "value": [...], "Count": n }` wrapper of the 5.1 ETS bug.
pub fn many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    many_value(v).map_err(serde::de::Error::custom)
}

pub fn many_value<T: serde::de::DeserializeOwned>(v: Value) -> Result<Vec<T>, String> {
    let items = match v {
        Value::Null => Vec::new(),
        Value::Array(items) => items,
        Value::Object(ref map)
            if map.len() <= 2
                && map.contains_key("value")
                && map.keys().all(|k| k == "value" || k == "Count") =>
        {
            match map.get("value") {
                Some(Value::Array(items)) => items.clone(),
                Some(Value::Null) | None => Vec::new(),
                Some(one) => vec![one.clone()],
            }
        }
        other => vec![other],
    };
    items
        .into_iter()
        .map(|i| serde_json::from_value(i).map_err(|e| e.to_string()))
        .collect()
}

/// A boolean from `true`, `"True"`, `"yes"`, `1`; anything else is an error.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = Value::deserialize(d)?;
    flag_value(&v).ok_or_else(|| serde::de::Error::custom(format!("expected a boolean, got {v}")))
}

/// As `flag`, null or absent giving None.
pub fn flag_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_null() {
        return Ok(None);
    }
    flag_value(&v)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("expected a boolean, got {v}")))
}

pub fn flag_value(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// An integer from a number or a numeric string; null/absent/empty string giving None.
pub fn int_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Value::deserialize(d)?;
    match &v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        _ => int_value(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("expected an integer, got {v}"))),
    }
}

pub fn int_value(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().and_then(|u| i64::try_from(u).ok())),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| {
                s.strip_prefix("0x")
                    .and_then(|h| i64::from_str_radix(h, 16).ok())
            })
        }
        _ => None,
    }
}

/// Text from a string, a number (`CurrentBuild` is a string in the registry, a number in
/// some collectors) or null (empty).
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected text, got {other}"
        ))),
    }
}

/// A list of text items from an array, one string, or a comma-separated string
/// (`"Domain, Private"`, as `Profile.ToString()` writes flags enums).
pub fn text_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Value::deserialize(d)?;
    let mut out = Vec::new();
    let mut push = |s: &str| {
        for part in s.split(',') {
            let p = part.trim();
            if !p.is_empty() {
                out.push(p.to_string());
            }
        }
    };
    match &v {
        Value::Null => {}
        Value::String(s) => push(s),
        Value::Number(n) => push(&n.to_string()),
        Value::Array(items) => {
            for i in items {
                match i {
                    Value::String(s) => push(s),
                    Value::Number(n) => push(&n.to_string()),
                    Value::Null => {}
                    other => {
                        return Err(serde::de::Error::custom(format!(
                            "expected text items, got {other}"
                        )));
                    }
                }
            }
        }
        other => {
            return Err(serde::de::Error::custom(format!(
                "expected text or a list, got {other}"
            )));
        }
    }
    Ok(out)
}

/// Unix seconds of a date as collectors write it: `/Date(1605771872777)/` (PowerShell 5.1;
/// the JSON text is `"\/Date(...)\/"`, which decodes to this), RFC 3339 UTC, or a bare ISO
/// date. Culture-formatted dates (`1/22/2017`, `22.01.2017`) are ambiguous: None.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
        // An offset may follow the milliseconds (`/Date(1605771872777+0100)/`); the number
        // itself is UTC.
        let digits_end = inner
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '+' || *c == '-')
            .map_or(inner.len(), |(i, _)| i);
        let ms: i64 = inner[..digits_end].parse().ok()?;
        return Some(ms.div_euclid(1000));
    }
    if let Some(secs) = crate::date::parse_rfc3339_utc(s) {
        return Some(secs);
    }
    // ISO with fractional seconds and/or without the zone (`2026-11-20T10:00:00.1234567Z`).
    if s.len() >= 10 {
        let date = crate::date::Date::parse(s.get(..10)?)?;
        let rest = &s[10..];
        if rest.is_empty() {
            return Some(date.unix_days() * 86_400);
        }
        let time = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
        let hms = time.get(..8)?;
        let mut parts = hms.split(':').map(|p| p.parse::<i64>().ok());
        let (h, m, sec) = (parts.next()??, parts.next()??, parts.next()??);
        let zone = time[8..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
        if !(zone.is_empty() || zone == "Z") {
            return None;
        }
        return Some(date.unix_days() * 86_400 + h * 3600 + m * 60 + sec);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_bom_utf16_and_plain() {
        assert_eq!(decode_text(b"\xEF\xBB\xBF{}").as_deref(), Ok("{}"));
        assert_eq!(decode_text(b"\xFF\xFE{\0}\0").as_deref(), Ok("{}"));
        assert_eq!(decode_text(b"{\0}\0").as_deref(), Ok("{}"));
        assert_eq!(decode_text(b"{}").as_deref(), Ok("{}"));
        assert!(decode_text(b"\xFF\xFE{\0}").is_err());
        assert!(decode_text(b"\xFE\xFF\0{").is_err());
        assert!(decode_text(b"\xC3\x28").is_err());
    }

    #[test]
    fn many_accepts_every_shape() {
        let v: Vec<i64> = many_value(serde_json::json!([1, 2])).unwrap();
        assert_eq!(v, vec![1, 2]);
        let v: Vec<i64> = many_value(serde_json::json!(7)).unwrap();
        assert_eq!(v, vec![7]);
        let v: Vec<i64> = many_value(serde_json::json!(null)).unwrap();
        assert!(v.is_empty());
        let v: Vec<i64> = many_value(serde_json::json!({"value": [3, 4], "Count": 2})).unwrap();
        assert_eq!(v, vec![3, 4]);
        let v: Vec<serde_json::Value> =
            many_value(serde_json::json!({"value": 1, "other": 2})).unwrap();
        assert_eq!(v.len(), 1, "an ordinary object is one item");
    }

    #[test]
    fn flags_and_ints() {
        for (v, want) in [
            (serde_json::json!(true), Some(true)),
            (serde_json::json!("True"), Some(true)),
            (serde_json::json!("false"), Some(false)),
            (serde_json::json!(0), Some(false)),
            (serde_json::json!("NotConfigured"), None),
        ] {
            assert_eq!(flag_value(&v), want, "{v}");
        }
        assert_eq!(int_value(&serde_json::json!("42")), Some(42));
        assert_eq!(int_value(&serde_json::json!("0x20")), Some(32));
        assert_eq!(int_value(&serde_json::json!(-1)), Some(-1));
        assert_eq!(int_value(&serde_json::json!("x")), None);
    }

    #[test]
    fn dates_in_every_form() {
        assert_eq!(parse_date("/Date(1605771872777)/"), Some(1_605_771_872));
        assert_eq!(
            parse_date("/Date(1605771872777+0100)/"),
            Some(1_605_771_872)
        );
        assert_eq!(parse_date("2020-11-19T07:44:32Z"), Some(1_605_771_872));
        assert_eq!(
            parse_date("2020-11-19T07:44:32.1234567Z"),
            Some(1_605_771_872)
        );
        assert_eq!(parse_date("2020-11-19"), Some(1_605_744_000));
        assert_eq!(parse_date("11/19/2020"), None);
        assert_eq!(parse_date("19.11.2020"), None);
        assert_eq!(parse_date("2020-11-19T07:44:32+01:00"), None);
    }
}
