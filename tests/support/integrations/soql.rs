//! A tiny SOQL parser for exactly the queries the spec lets the core send (`SELECT Id FROM Contact WHERE Email = '…' OR … LIMIT 2`), strict about quoting so an unescaped quote is a MALFORMED_QUERY as on Salesforce.

use serde_json::{Map, Value};

/// A parsed `SELECT fields FROM object [WHERE cond] [LIMIT n]`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Select {
    pub(crate) fields: Vec<String>,
    pub(crate) object: String,
    pub(crate) filter: Option<Cond>,
    pub(crate) limit: Option<usize>,
}

/// A WHERE condition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cond {
    /// `Field = 'value'` (`None`: `= null`).
    Eq(String, Option<String>),
    /// `Field != 'value'`.
    Ne(String, Option<String>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

impl Cond {
    /// Every field the condition names.
    pub(crate) fn fields(&self) -> Vec<&str> {
        match self {
            Cond::Eq(f, _) | Cond::Ne(f, _) => vec![f.as_str()],
            Cond::And(a, b) | Cond::Or(a, b) => {
                let mut all = a.fields();
                all.extend(b.fields());
                all
            }
        }
    }

    /// Whether a record matches. Email comparisons ignore case (as Salesforce's do); the
    /// field name is matched ignoring case too.
    pub(crate) fn matches(&self, record: &Map<String, Value>) -> bool {
        let get = |field: &str| -> Option<String> {
            record
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(field))
                .and_then(|(_, v)| v.as_str())
                .map(str::to_string)
        };
        let same = |field: &str, want: &Option<String>| -> bool {
            let have = get(field);
            match (have, want) {
                (None, None) => true,
                (Some(h), Some(w)) if field.eq_ignore_ascii_case("Email") => {
                    h.eq_ignore_ascii_case(w)
                }
                (Some(h), Some(w)) => h == *w,
                _ => false,
            }
        };
        match self {
            Cond::Eq(f, v) => same(f, v),
            Cond::Ne(f, v) => !same(f, v),
            Cond::And(a, b) => a.matches(record) && b.matches(record),
            Cond::Or(a, b) => a.matches(record) || b.matches(record),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Eq,
    Ne,
    Comma,
    Open,
    Close,
}

fn tokenize(soql: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = soql.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err("unterminated string literal".into()),
                        Some('\'') => break,
                        Some('\\') => match chars.next() {
                            Some('\'') => s.push('\''),
                            Some('"') => s.push('"'),
                            Some('\\') => s.push('\\'),
                            Some('n') => s.push('\n'),
                            Some('r') => s.push('\r'),
                            Some('t') => s.push('\t'),
                            Some('b') => s.push('\u{8}'),
                            Some('f') => s.push('\u{c}'),
                            Some(other) => {
                                return Err(format!(
                                    "Invalid string literal: illegal escape sequence \\{other}"
                                ))
                            }
                            None => return Err("unterminated string literal".into()),
                        },
                        Some(other) => s.push(other),
                    }
                }
                out.push(Tok::Str(s));
            }
            '=' => {
                chars.next();
                out.push(Tok::Eq);
            }
            '!' => {
                chars.next();
                if chars.next() != Some('=') {
                    return Err("unexpected token: '!'".into());
                }
                out.push(Tok::Ne);
            }
            ',' => {
                chars.next();
                out.push(Tok::Comma);
            }
            '(' => {
                chars.next();
                out.push(Tok::Open);
            }
            ')' => {
                chars.next();
                out.push(Tok::Close);
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == '.' => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                        w.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Word(w));
            }
            other => return Err(format!("unexpected token: '{other}'")),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&mut self, kw: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<(), String> {
        if self.keyword(kw) {
            Ok(())
        } else {
            Err(format!("expecting '{kw}', found {:?}", self.peek()))
        }
    }

    fn name(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Tok::Word(w)) if !is_keyword(&w) => Ok(w),
            other => Err(format!("expecting a name, found {other:?}")),
        }
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut left = self.and()?;
        while self.keyword("OR") {
            left = Cond::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut left = self.atom()?;
        while self.keyword("AND") {
            left = Cond::And(Box::new(left), Box::new(self.atom()?));
        }
        Ok(left)
    }

    fn atom(&mut self) -> Result<Cond, String> {
        if self.peek() == Some(&Tok::Open) {
            self.next();
            let inner = self.or()?;
            if self.next() != Some(Tok::Close) {
                return Err("expecting ')'".into());
            }
            return Ok(inner);
        }
        let field = self.name()?;
        let op = self.next();
        let value = match self.next() {
            Some(Tok::Str(s)) => Some(s),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("null") => None,
            other => return Err(format!("expecting a quoted value, found {other:?}")),
        };
        match op {
            Some(Tok::Eq) => Ok(Cond::Eq(field, value)),
            Some(Tok::Ne) => Ok(Cond::Ne(field, value)),
            other => Err(format!("expecting '=' or '!=', found {other:?}")),
        }
    }
}

fn is_keyword(w: &str) -> bool {
    ["SELECT", "FROM", "WHERE", "AND", "OR", "LIMIT", "NULL"]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
}

/// Parses one query; the error is the message of a MALFORMED_QUERY.
pub(crate) fn parse(soql: &str) -> Result<Select, String> {
    let mut p = Parser {
        toks: tokenize(soql)?,
        at: 0,
    };
    p.expect_keyword("SELECT")?;
    let mut fields = vec![p.name()?];
    while p.peek() == Some(&Tok::Comma) {
        p.next();
        fields.push(p.name()?);
    }
    p.expect_keyword("FROM")?;
    let object = p.name()?;
    let filter = if p.keyword("WHERE") {
        Some(p.or()?)
    } else {
        None
    };
    let limit = if p.keyword("LIMIT") {
        match p.next() {
            Some(Tok::Word(n)) => Some(
                n.parse::<usize>()
                    .map_err(|_| format!("LIMIT must be a number, found {n}"))?,
            ),
            other => return Err(format!("expecting a number after LIMIT, found {other:?}")),
        }
    } else {
        None
    };
    if let Some(extra) = p.peek() {
        return Err(format!("unexpected token: {extra:?}"));
    }
    Ok(Select {
        fields,
        object,
        filter,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_quotes_parse_and_bare_ones_do_not() {
        let q = parse(r"SELECT Id FROM Contact WHERE Email = 'o\'brien@x.com' LIMIT 2").unwrap();
        assert_eq!(
            q.filter,
            Some(Cond::Eq("Email".into(), Some("o'brien@x.com".into())))
        );
        assert_eq!(q.limit, Some(2));
        assert!(parse("SELECT Id FROM Contact WHERE Email = 'o'brien@x.com' LIMIT 2").is_err());
        let q = parse("SELECT Id FROM Lead WHERE Phone = '+44 1' OR MobilePhone = '+44 1' LIMIT 2")
            .unwrap();
        assert_eq!(q.object, "Lead");
        assert!(matches!(q.filter, Some(Cond::Or(_, _))));
    }
}
