"""chat messages and read markers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:45:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chat_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('edited_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.create_index('ix_chat_messages_room_id_id', ['room_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_messages_author_id'), ['author_id'],
                              unique=False)

    op.create_table('chat_reads',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('last_read_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'room_id')
    )
    with op.batch_alter_table('chat_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_reads_room_id'), ['room_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chat_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_reads_room_id'))
    op.drop_table('chat_reads')
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_messages_author_id'))
        batch_op.drop_index('ix_chat_messages_room_id_id')
    op.drop_table('chat_messages')
