from alembic import context
from sqlalchemy import create_engine, pool

from dealbase.store.tables import Integer, metadata

config = context.config


def render_item(type_, obj, autogen_context):
    """Autogenerate writes the tables' comparing ``Integer`` as the plain ``sa.Integer()``:
    a migration must not import live code."""
    if type_ == "type" and isinstance(obj, Integer):
        return "sa.Integer()"
    return False


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=metadata, render_as_batch=True, render_item=render_item)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, render_item=render_item)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
