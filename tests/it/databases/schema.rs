//! The two databases' migrations are written twice (`migrations/sqlite`,
//! `migrations/postgres`); this test reads what each database made of them from its own
//! catalogue and asserts that both hold the same tables, columns and constraints, so that
//! the two cannot drift apart. How rows are stored (SQLite's `WITHOUT ROWID`, identity
//! columns) and how a trigger is written may differ; what a row may hold may not.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use sqlx::{AnyConnection, Row};

use crate::databases::{Backend, TestDb, run};

/// One table as both databases can describe it.
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// Name: (type, NOT NULL).
    columns: BTreeMap<String, (String, bool)>,
    primary_key: BTreeSet<String>,
    /// (column, referenced table, referenced column).
    foreign_keys: BTreeSet<(String, String, String)>,
    /// Indexes besides the primary key's: (columns in order, unique, partial).
    indexes: BTreeSet<(String, bool, bool)>,
    /// The columns a CHECK constraint reads.
    checked: BTreeSet<String>,
    triggered: bool,
}

type Schema = BTreeMap<String, Table>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_databases_migrations_make_the_same_tables_columns_and_constraints() {
    let described: Arc<Mutex<BTreeMap<&str, Schema>>> = Arc::default();
    for (backend, name) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
        let described = described.clone();
        run(backend, |db: TestDb| async move {
            let mut conn = db.raw().await;
            let schema = match backend {
                Backend::Sqlite => sqlite(&mut conn).await,
                Backend::Postgres => postgres(&mut conn).await,
            };
            described.lock().unwrap().insert(name, schema);
        })
        .await;
    }
    let described = described.lock().unwrap();
    let (sqlite, postgres) = (&described["sqlite"], &described["postgres"]);
    assert!(sqlite.len() >= 10, "{sqlite:#?}");
    assert_eq!(
        sqlite.keys().collect::<Vec<_>>(),
        postgres.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (name, table) in sqlite {
        assert_eq!(
            table, &postgres[name],
            "table {name}: SQLite, then PostgreSQL"
        );
    }
}

/// `INTEGER`, `BIGINT`, `int8`... are one integer type to the bot: it reads every one as i64.
fn normal_type(declared: &str) -> String {
    let declared = declared.to_ascii_lowercase();
    match declared.as_str() {
        "integer" | "bigint" | "int" | "int8" | "int4" | "bigserial" => "integer".to_owned(),
        _ => declared,
    }
}

async fn texts(conn: &mut AnyConnection, sql: &str) -> Vec<Vec<String>> {
    sqlx::query(sql)
        .fetch_all(conn)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
        .iter()
        .map(|row| {
            (0..row.len())
                .map(|i| row.try_get::<String, _>(i).unwrap_or_default())
                .collect()
        })
        .collect()
}

async fn sqlite(conn: &mut AnyConnection) -> Schema {
    let mut schema = Schema::new();
    let tables = texts(
        conn,
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .await;
    for row in tables {
        let (name, sql) = (&row[0], &row[1]);
        let mut table = Table::default();
        let columns = texts(
            conn,
            &format!(
                "SELECT name, type, CAST(\"notnull\" AS TEXT), CAST(pk AS TEXT) \
                 FROM pragma_table_info('{name}')"
            ),
        )
        .await;
        for column in columns {
            let kind = normal_type(&column[1]);
            let primary = column[3] != "0";
            // An INTEGER PRIMARY KEY is the row id, never NULL whatever it declares.
            let rowid = primary && column[1].eq_ignore_ascii_case("integer");
            let not_null = column[2] == "1" || rowid;
            if primary {
                table.primary_key.insert(column[0].clone());
            }
            table.columns.insert(column[0].clone(), (kind, not_null));
        }
        for key in texts(
            conn,
            &format!("SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list('{name}')"),
        )
        .await
        {
            table
                .foreign_keys
                .insert((key[0].clone(), key[1].clone(), key[2].clone()));
        }
        let indexes = texts(
            conn,
            &format!(
                "SELECT name, CAST(\"unique\" AS TEXT), origin, CAST(partial AS TEXT) \
                 FROM pragma_index_list('{name}') WHERE origin <> 'pk'"
            ),
        )
        .await;
        for index in indexes {
            let columns = texts(
                conn,
                &format!(
                    "SELECT name FROM pragma_index_info('{}') ORDER BY seqno",
                    index[0]
                ),
            )
            .await;
            let columns: Vec<&str> = columns.iter().map(|c| c[0].as_str()).collect();
            table
                .indexes
                .insert((columns.join(","), index[1] == "1", index[3] == "1"));
        }
        table.checked = checked_columns(sql);
        schema.insert(name.clone(), table);
    }
    for row in texts(
        conn,
        "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger'",
    )
    .await
    {
        schema.entry(row[0].clone()).or_default().triggered = true;
    }
    schema
}

/// The columns whose definition in `CREATE TABLE` holds a CHECK: SQLite's catalogue keeps
/// CHECK constraints only in the statement's text.
fn checked_columns(create_table: &str) -> BTreeSet<String> {
    let without_comments: String = create_table
        .lines()
        .map(|line| line.split("--").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let body = without_comments
        .split_once('(')
        .and_then(|(_, rest)| rest.rsplit_once(')'))
        .map_or("", |(body, _)| body);
    let mut definitions = vec![String::new()];
    let mut depth = 0;
    for c in body.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                definitions.push(String::new());
                continue;
            }
            _ => {}
        }
        definitions.last_mut().expect("one at least").push(c);
    }
    definitions
        .iter()
        .filter(|definition| definition.to_ascii_uppercase().contains("CHECK"))
        .filter_map(|definition| definition.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

async fn postgres(conn: &mut AnyConnection) -> Schema {
    let mut schema = Schema::new();
    let tables = texts(
        conn,
        "SELECT tablename::text FROM pg_tables \
         WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'",
    )
    .await;
    for row in tables {
        let name = &row[0];
        let mut table = Table::default();
        let columns = texts(
            conn,
            &format!(
                "SELECT column_name::text, data_type::text, is_nullable::text \
                 FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = '{name}'"
            ),
        )
        .await;
        for column in columns {
            let not_null = column[2] == "NO";
            table
                .columns
                .insert(column[0].clone(), (normal_type(&column[1]), not_null));
        }
        // Every constraint's columns by its kind: p(rimary), f(oreign), c(heck); a foreign
        // key also names what it references.
        let constraints = texts(
            conn,
            &format!(
                "SELECT c.contype::text, a.attname::text, \
                        coalesce(r.relname::text, ''), coalesce(ra.attname::text, '') \
                 FROM pg_constraint c \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
                 LEFT JOIN pg_class r ON r.oid = c.confrelid \
                 LEFT JOIN pg_attribute ra ON ra.attrelid = c.confrelid \
                      AND ra.attnum = c.confkey[array_position(c.conkey, a.attnum)] \
                 WHERE c.conrelid = '{name}'::regclass"
            ),
        )
        .await;
        for constraint in constraints {
            let column = constraint[1].clone();
            match constraint[0].as_str() {
                "p" => {
                    table.primary_key.insert(column);
                }
                "f" => {
                    let referenced = (constraint[2].clone(), constraint[3].clone());
                    table
                        .foreign_keys
                        .insert((column, referenced.0, referenced.1));
                }
                "c" => {
                    table.checked.insert(column);
                }
                _ => {}
            }
        }
        let indexes = texts(
            conn,
            &format!(
                "SELECT (SELECT string_agg(a.attname::text, ',' ORDER BY k.n) \
                         FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) \
                         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum), \
                        CASE WHEN i.indisunique THEN '1' ELSE '0' END, \
                        CASE WHEN i.indpred IS NULL THEN '0' ELSE '1' END \
                 FROM pg_index i WHERE i.indrelid = '{name}'::regclass AND NOT i.indisprimary"
            ),
        )
        .await;
        for index in indexes {
            table
                .indexes
                .insert((index[0].clone(), index[1] == "1", index[2] == "1"));
        }
        schema.insert(name.clone(), table);
    }
    for row in texts(
        conn,
        "SELECT DISTINCT event_object_table::text FROM information_schema.triggers \
         WHERE trigger_schema = 'public'",
    )
    .await
    {
        schema.entry(row[0].clone()).or_default().triggered = true;
    }
    schema
}
