"""Flask extensions, created unbound. ``create_app`` binds them; nothing of ours is imported."""

from typing import TYPE_CHECKING, Any, cast

from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import CursorResult, Executable, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints the same way on
    every database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
socketio = SocketIO()
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()

# Models subclass this name: it is ``db.Model`` when running, and the declarative base it is built
# from for the type checker, which cannot take an attribute as a base class (python/mypy#8603).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def execute_dml(statement: Executable) -> CursorResult[Any]:
    """``db.session.execute`` for an UPDATE, DELETE or INSERT, typed as what the session returns
    for these: the cursor's result, which has ``rowcount`` (its signature says ``Result``)."""
    return cast(CursorResult[Any], db.session.execute(statement))
