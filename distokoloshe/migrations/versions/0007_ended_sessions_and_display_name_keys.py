"""ended sessions and display name keys

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:40:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from distokoloshe.validation import display_name_key

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("ended_sessions",
    sa.Column('session_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id')
    )
    with op.batch_alter_table('ended_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ended_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ended_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name_key', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True))

    # Back-fill, oldest account first. Accounts that already look alike are all kept, with
    # nothing renamed: the oldest holds the key, the others keep NULL (which a unique index
    # allows on SQLite and PostgreSQL), and registration still finds the key-holder.
    connection = op.get_bind()
    taken: set[str] = set()
    rows = connection.execute(sa.text("SELECT id, display_name FROM users ORDER BY id")).all()
    for user_id, name in rows:
        key = display_name_key(name or "")
        if key in taken:
            continue
        taken.add(key)
        connection.execute(sa.text("UPDATE users SET display_name_key = :key WHERE id = :id"),
                           {"key": key, "id": user_id})

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_display_name_key'), ['display_name_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_display_name_key'))
        batch_op.drop_column('display_name_key')

    with op.batch_alter_table('ended_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ended_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_ended_sessions_expires_at'))

    op.drop_table('ended_sessions')
