"""Storage: tables, engine, migrations and the generic tenant-scoped repository."""
