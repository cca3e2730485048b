"""room ids are never handed out twice

SQLite gives a new row the highest id in use plus one, so a room created after the newest
room was deleted got that room's id, and with it the deleted room's LiveKit room name: a
join token minted for the deleted room would join the new room's call. AUTOINCREMENT makes
SQLite remember every id it has used. PostgreSQL's sequences never reuse an id already.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:40:00
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # A rebuild of the table (the only way SQLite takes AUTOINCREMENT); env.py turns foreign
    # keys off around migrations, so the rows that point at rooms are left as they are.
    with op.batch_alter_table("rooms", recreate="always",
                              table_kwargs={"sqlite_autoincrement": True}):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("rooms", recreate="always",
                              table_kwargs={"sqlite_autoincrement": False}):
        pass
