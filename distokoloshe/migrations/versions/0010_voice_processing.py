"""voice processing: noise suppression as off / browser / rnnoise, and the voice gate

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:50:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The old on/off switch was the browser's own suppression: on stays the browser's (what
    # the user chose), off stays off; new accounts get RNNoise through the default.
    with op.batch_alter_table('user_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('noise_suppressor', sqlmodel.sql.sqltypes.AutoString(length=8), server_default='rnnoise', nullable=False))
        batch_op.add_column(sa.Column('voice_gate', sqlmodel.sql.sqltypes.AutoString(length=9), server_default='off', nullable=False))
        batch_op.add_column(sa.Column('voice_gate_db', sa.Integer(), server_default='-50', nullable=False))
    op.execute("UPDATE user_preferences SET noise_suppressor = CASE WHEN noise_suppression "
               "THEN 'browser' ELSE 'off' END")
    with op.batch_alter_table('user_preferences', schema=None) as batch_op:
        batch_op.drop_column('noise_suppression')
        batch_op.alter_column('noise_suppressor', new_column_name='noise_suppression')


def downgrade() -> None:
    with op.batch_alter_table('user_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('noise_on', sa.Boolean(), server_default='1', nullable=False))
    op.execute("UPDATE user_preferences SET noise_on = noise_suppression <> 'off'")
    with op.batch_alter_table('user_preferences', schema=None) as batch_op:
        batch_op.drop_column('noise_suppression')
        batch_op.drop_column('voice_gate_db')
        batch_op.drop_column('voice_gate')
        batch_op.alter_column('noise_on', new_column_name='noise_suppression')
