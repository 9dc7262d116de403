"""Migration 0025 on SQLite: the companies table copied as AUTOINCREMENT, every row and
column kept, the children's references intact, and a deleted company's id not given again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command

from dealbase.store.db import alembic_config

pytestmark = pytest.mark.slow  # migrates a database from scratch

NOW = "2026-01-01 00:00:00"


def test_the_companies_table_keeps_its_rows_and_never_gives_an_id_again(tmp_path: Path):
    path = tmp_path / "db.sqlite"
    config = alembic_config(f"sqlite:///{path}")
    command.upgrade(config, "0021")
    with sqlite3.connect(path) as db:
        for company_id, plan, frozen in ((1, "lite", 0), (2, "growth", 1), (7, "premium", 0)):
            db.execute(
                "INSERT INTO companies (id, name, domain, plan, add_time, fields_version, webhooks_version,"
                " clock_now, clock_set_at, clock_frozen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    company_id,
                    f"Co {company_id}",
                    f"co-{company_id}",
                    plan,
                    NOW,
                    company_id * 3,
                    company_id,
                    NOW,
                    NOW,
                    frozen,
                ),
            )
        db.execute(
            "INSERT INTO users (company_id, name, email, created, modified) VALUES (7, 'U', 'u@co.test', ?, ?)",
            (NOW, NOW),
        )
        read = db.execute("SELECT * FROM companies ORDER BY id")
        columns = ", ".join(column[0] for column in read.description)
        before = read.fetchall()

    command.upgrade(config, "0025")

    with sqlite3.connect(path) as db:
        # the columns it had are as they were (migrations between add columns of their own)
        assert db.execute(f"SELECT {columns} FROM companies ORDER BY id").fetchall() == before
        assert db.execute("SELECT DISTINCT seats FROM companies").fetchall() == [(1,)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'companies'").fetchone() == (7,)
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("DELETE FROM users WHERE company_id = 7")
        db.execute("DELETE FROM companies WHERE id = 7")
        db.execute("INSERT INTO companies (name, domain, add_time) VALUES ('Next', 'next', ?)", (NOW,))
        assert db.execute("SELECT max(id) FROM companies").fetchone() == (8,)
