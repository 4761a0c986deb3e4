"""Database triggers that make the record append-only, for SQLite and PostgreSQL.

The ORM is not the only way into a database; these refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL) on the record's tables whoever asks. Someone who can drop triggers can still change
bytes: that is what ``heard record verify`` and published checkpoints are for.
"""

from __future__ import annotations

GUARDED_TABLES = ("record_logentry", "record_treenode", "record_checkpoint", "record_cosignature")
MESSAGE = "the record is append-only: entries, hashes and checkpoints cannot be changed or deleted"


def create_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {t}_no_{op.lower()} BEFORE {op} ON {t} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            for t in GUARDED_TABLES
            for op in ("UPDATE", "DELETE")
        ]
    if vendor == "postgresql":
        statements = [
            "CREATE OR REPLACE FUNCTION heard_record_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql"
        ]
        for t in GUARDED_TABLES:
            statements += [
                f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}",
                f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
                "FOR EACH ROW EXECUTE FUNCTION heard_record_append_only()",
                f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}",
                f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
                "FOR EACH STATEMENT EXECUTE FUNCTION heard_record_append_only()",
            ]
        return statements
    raise NotImplementedError(f"no append-only guard for the {vendor} database")


def drop_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {t}_no_{op.lower()}"
            for t in GUARDED_TABLES
            for op in ("UPDATE", "DELETE")
        ]
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {t}_{name} ON {t}"
            for t in GUARDED_TABLES
            for name in ("append_only", "no_truncate")
        ]
    raise NotImplementedError(vendor)


def run(connection, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
