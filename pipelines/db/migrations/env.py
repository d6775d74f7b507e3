from alembic import context

from pipelines.db.engine import get_engine
from pipelines.db.schema import metadata

config = context.config


def run_migrations_online() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name
            == "sqlite",  # SQLite ALTERs go through batch mode
        )
        context.run_migrations()


run_migrations_online()
