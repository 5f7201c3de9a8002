from services.search.models import Base
from services.common.migrations import run_alembic_env

run_alembic_env(Base.metadata)
