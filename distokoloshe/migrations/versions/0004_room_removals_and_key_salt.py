"""room removals and key salt

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 07:48:11.568134
"""
import secrets

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("room_removals",
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('removed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('room_id', 'user_id')
    )
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_salt', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    # every existing room gets its own random salt
    connection = op.get_bind()
    room_ids = connection.execute(sa.text("SELECT id FROM rooms")).scalars().all()
    for room_id in room_ids:
        connection.execute(sa.text("UPDATE rooms SET key_salt = :salt WHERE id = :id"),
                           {"salt": secrets.token_hex(16), "id": room_id})



def downgrade() -> None:
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_column('key_salt')

    op.drop_table('room_removals')
