"""What every table shares."""

# Annotations in the table modules are real objects, not `from __future__` strings that pydantic and
# SQLAlchemy would parse again (about 400 of them) each time a command starts.

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Base(SQLModel):
    """Every table's base. Rows are made from the database and by the service layer, not validated by
    pydantic, so each table's validator is built only if something asks for it (defer_build): defining
    tables is part of how long every command takes to answer."""

    model_config = {"defer_build": True}


def json_list(**kw: Any) -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False), **kw)
