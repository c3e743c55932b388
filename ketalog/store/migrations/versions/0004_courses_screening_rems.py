"""eligibility screenings, course end date, REMS filings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

Adds columns to ``courses`` with plain ALTER TABLE ADD COLUMN (no batch
rebuild), so no guard trigger is dropped. Courses that exist already were
opened before ketalog recorded screenings: they are marked
``screening_required = false`` rather than given an invented screening.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ketalog.store.types

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FINDINGS = (
    'takes_benzodiazepine', 'takes_other_sedative', 'takes_opioid', 'takes_stimulant',
    'takes_maoi', 'takes_lamotrigine', 'pregnant_or_breastfeeding', 'psychosis_history',
    'active_substance_use', 'uncontrolled_cardiovascular', 'hepatic_impairment',
    'raised_intracranial_or_intraocular_pressure', 'bipolar_disorder', 'on_mood_stabiliser',
)


def upgrade() -> None:
    op.add_column('courses', sa.Column('ended_on', sa.Date(), nullable=True))
    op.add_column('courses', sa.Column('screening_required', sa.Boolean(),
                                       server_default=sa.false(), nullable=False))
    op.create_table(
        'screenings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('history_summary', sa.Text(), nullable=True),
        sa.Column('medications', sa.Text(), nullable=True),
        sa.Column('allergies', sa.Text(), nullable=True),
        sa.Column('baseline_systolic_mmhg', sa.Integer(), nullable=True),
        sa.Column('baseline_diastolic_mmhg', sa.Integer(), nullable=True),
        sa.Column('labs_json', sa.Text(), nullable=False),
        *(sa.Column(name, sa.Boolean(), nullable=True) for name in _FINDINGS),
        sa.Column('consent_signed_on', sa.Date(), nullable=True),
        sa.Column('override_reason', sa.Text(), nullable=True),
        sa.Column('override_by_id', sa.Integer(), nullable=True),
        sa.Column('override_at_utc', ketalog.store.types.UTCDateTime(), nullable=True),
        sa.Column('approved_by_id', sa.Integer(), nullable=True),
        sa.Column('approved_at_utc', ketalog.store.types.UTCDateTime(), nullable=True),
        sa.Column('updated_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'],
                                name=op.f('fk_screenings_approved_by_id_users')),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_screenings_course_id_courses')),
        sa.ForeignKeyConstraint(['override_by_id'], ['users.id'],
                                name=op.f('fk_screenings_override_by_id_users')),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'],
                                name=op.f('fk_screenings_patient_id_patients')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_screenings')),
        sa.UniqueConstraint('course_id', name=op.f('uq_screenings_course_id')),
    )
    op.create_index('ix_screenings_patient', 'screenings', ['patient_id'], unique=False)
    op.create_table(
        'rems_filings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('filed_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.Column('filed_by_id', sa.Integer(), nullable=False),
        sa.Column('confirmation', sa.String(length=120), nullable=True),
        sa.Column('created_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'],
                                name=op.f('fk_rems_filings_filed_by_id_users')),
        sa.ForeignKeyConstraint(['session_id'], ['treatment_sessions.id'],
                                name=op.f('fk_rems_filings_session_id_treatment_sessions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rems_filings')),
        sa.UniqueConstraint('session_id', name=op.f('uq_rems_filings_session_id')),
    )


def downgrade() -> None:
    op.drop_table('rems_filings')
    op.drop_index('ix_screenings_patient', table_name='screenings')
    op.drop_table('screenings')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('screening_required')
        batch_op.drop_column('ended_on')
