"""soundboard clips

Revision ID: soundboard_0001
Revises:
Create Date: 2026-12-04 10:00:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = 'soundboard_0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('soundboard_clips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('mime', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('audio', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('soundboard_clips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_soundboard_clips_uploader_id'), ['uploader_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('soundboard_clips', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_soundboard_clips_uploader_id'))
    op.drop_table('soundboard_clips')
