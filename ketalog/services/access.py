"""Who may do what: role rules checked in the services, against the stored account.

The :class:`Actor` a caller passes is only a claim. :func:`authorize` looks the
account up by id and judges the role, active flag and lock stored in the
database, so a screen that forgot to hide a button, a script or a forged Actor
gets the same refusal as everyone else.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from sqlalchemy.orm import Session

from ketalog.domain.clinic_settings import StockAct, stock_act_roles, stock_roles_key
from ketalog.domain.roles import ROLE_WITH_ARTICLE, Role
from ketalog.services.context import Actor
from ketalog.services.errors import PermissionDenied
from ketalog.services.stored_settings import (
    TIMEZONE_MISSING,
    get_setting,
    stored_clinic_timezone,
)
from ketalog.store.models import User


class Permission(StrEnum):
    """Something only some roles may do."""

    RECORD = "record"                  # vitals, scores, events, notes, state changes
    PREPARE_DOSE = "prepare_dose"
    VERIFY_DOSE = "verify_dose"
    COMPLETE_NURSING = "complete_nursing"
    SIGN = "sign"
    ACKNOWLEDGE_BP = "acknowledge_bp"
    OVERRIDE_DOSE = "override_dose"
    ADDENDUM = "addendum"
    SCHEDULE = "schedule"              # register patients, open courses, book sessions
    MANAGE_USERS = "manage_users"
    MANAGE_PROTOCOLS = "manage_protocols"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_AUDIT = "view_audit"
    SCREEN = "screen"                  # record an eligibility screening (consultation)
    APPROVE_SCREENING = "approve_screening"  # approve, or override a contraindication
    MANAGE_COURSE = "manage_course"    # start maintenance, complete or stop a course
    FILE_REMS = "file_rems"            # mark a Spravato REMS form as filed
    VIEW_OUTCOMES = "view_outcomes"    # the clinic's outcomes across courses
    REVIEW_SUICIDE_RISK = "review_suicide_risk"  # clear a moderate/high C-SSRS for the start
    REPAIR_GUARDS = "repair_guards"    # re-create the database's guard triggers
    ACKNOWLEDGE_ALERT = "acknowledge_alert"  # close an in-session alert after review
    MANAGE_CERTIFICATE = "manage_certificate"  # create or import the clinic's PDF certificate
    ORDER_DOSE = "order_dose"          # enter a standing order, co-sign a verbal order
    MANAGE_STOCK = "manage_stock"      # register stock locations and products (issue 19)
    RECEIVE_STOCK = "receive_stock"    # record a delivery of controlled substances
    DISPENSE_STOCK = "dispense_stock"  # draw a dose from a container, account for it
    WITNESS_STOCK = "witness_stock"    # witness a waste with one's own password and key
    CORRECT_STOCK = "correct_stock"    # reverse a ledger entry made in error, with a reason
    TRANSFER_STOCK = "transfer_stock"  # move containers between registered locations
    COUNT_STOCK = "count_stock"        # count the stock at a shift or day end (or be 2nd counter)
    TAKE_INVENTORY = "take_inventory"  # the initial and biennial inventory
    RESOLVE_DISCREPANCY = "resolve_discrepancy"  # close a count mismatch with an explanation
    DESTROY_STOCK = "destroy_stock"    # destroy containers before two witnesses (DEA Form 41)
    REPORT_LOSS = "report_loss"        # record a loss or theft (the facts of DEA Form 106)
    VIEW_STOCK_RECORDS = "view_stock_records"  # print the books (logs, balances, inventories)


_NURSE = frozenset({Role.NURSE})
_PHYSICIAN = frozenset({Role.PHYSICIAN})
_CLINICIANS = frozenset({Role.NURSE, Role.PHYSICIAN})
_ADMIN = frozenset({Role.ADMINISTRATOR})
_EVERYONE = frozenset(Role)

#: Roles allowed each permission.
ROLES_FOR: Final[Mapping[Permission, frozenset[Role]]] = MappingProxyType({
    Permission.RECORD: _CLINICIANS,
    Permission.PREPARE_DOSE: _CLINICIANS,
    Permission.VERIFY_DOSE: _CLINICIANS,
    Permission.COMPLETE_NURSING: _NURSE,
    Permission.SIGN: _PHYSICIAN,
    Permission.ACKNOWLEDGE_BP: _PHYSICIAN,
    Permission.OVERRIDE_DOSE: _PHYSICIAN,
    Permission.ADDENDUM: _CLINICIANS,
    Permission.SCHEDULE: _EVERYONE,
    Permission.MANAGE_USERS: _ADMIN,
    Permission.MANAGE_PROTOCOLS: _ADMIN,
    Permission.MANAGE_SETTINGS: _ADMIN,
    Permission.VIEW_AUDIT: _ADMIN,
    Permission.SCREEN: _CLINICIANS,
    Permission.APPROVE_SCREENING: _PHYSICIAN,
    Permission.MANAGE_COURSE: _PHYSICIAN,
    Permission.FILE_REMS: _EVERYONE,
    Permission.VIEW_OUTCOMES: frozenset({Role.PHYSICIAN, Role.ADMINISTRATOR}),
    Permission.REVIEW_SUICIDE_RISK: _PHYSICIAN,
    Permission.REPAIR_GUARDS: _ADMIN,
    Permission.ACKNOWLEDGE_ALERT: _PHYSICIAN,
    Permission.MANAGE_CERTIFICATE: _ADMIN,
    Permission.ORDER_DOSE: _PHYSICIAN,
    # controlled substances: the clinic's DEA registrant decides who may do what; these
    # are the usual defaults (any staff member receives and counts; clinicians dispense
    # and witness; a correction is open to all but always carries a reason and the audit)
    Permission.MANAGE_STOCK: _ADMIN,
    Permission.RECEIVE_STOCK: _EVERYONE,
    Permission.DISPENSE_STOCK: _CLINICIANS,
    Permission.WITNESS_STOCK: _CLINICIANS,
    Permission.CORRECT_STOCK: _EVERYONE,
    Permission.TRANSFER_STOCK: _EVERYONE,
    Permission.COUNT_STOCK: _EVERYONE,
    Permission.TAKE_INVENTORY: _EVERYONE,
    Permission.RESOLVE_DISCREPANCY: frozenset({Role.PHYSICIAN, Role.ADMINISTRATOR}),
    Permission.DESTROY_STOCK: _CLINICIANS,
    Permission.REPORT_LOSS: _EVERYONE,
    Permission.VIEW_STOCK_RECORDS: _EVERYONE,
})

#: How each permission reads in a refusal ("Only a physician can ...").
_WORDS: Final[Mapping[Permission, str]] = MappingProxyType({
    Permission.RECORD: "record clinical data",
    Permission.PREPARE_DOSE: "prepare a dose",
    Permission.VERIFY_DOSE: "verify a dose",
    Permission.COMPLETE_NURSING: "complete the nursing record",
    Permission.SIGN: "sign a session",
    Permission.ACKNOWLEDGE_BP: "acknowledge a high pre-dose blood pressure",
    Permission.OVERRIDE_DOSE: "override a dose maximum",
    Permission.ADDENDUM: "write an addendum",
    Permission.SCHEDULE: "schedule sessions and register patients",
    Permission.MANAGE_USERS: "manage user accounts",
    Permission.MANAGE_PROTOCOLS: "change protocols",
    Permission.MANAGE_SETTINGS: "change clinic settings",
    Permission.VIEW_AUDIT: "view the audit trail",
    Permission.SCREEN: "record an eligibility screening",
    Permission.APPROVE_SCREENING: "approve a screening or override a contraindication",
    Permission.MANAGE_COURSE: "change a course's phase or end it",
    Permission.FILE_REMS: "file a REMS monitoring form",
    Permission.VIEW_OUTCOMES: "view the clinic's outcomes",
    Permission.REVIEW_SUICIDE_RISK: "review a suicide-risk screen",
    Permission.REPAIR_GUARDS: "restore the database's guards",
    Permission.ACKNOWLEDGE_ALERT: "acknowledge an alert",
    Permission.MANAGE_CERTIFICATE: "create or import the clinic's document certificate",
    Permission.ORDER_DOSE: "give a physician's order",
    Permission.MANAGE_STOCK: "register stock locations and products",
    Permission.RECEIVE_STOCK: "record a delivery of controlled substances",
    Permission.DISPENSE_STOCK: "draw or account for a dose of a controlled substance",
    Permission.WITNESS_STOCK: "witness a waste of a controlled substance",
    Permission.CORRECT_STOCK: "reverse an entry in the controlled-substance books",
    Permission.TRANSFER_STOCK: "transfer controlled substances between locations",
    Permission.COUNT_STOCK: "count controlled substances",
    Permission.TAKE_INVENTORY: "take an inventory of controlled substances",
    Permission.RESOLVE_DISCREPANCY: "resolve a count discrepancy",
    Permission.DESTROY_STOCK: "destroy controlled substances",
    Permission.REPORT_LOSS: "record a loss or theft of controlled substances",
    Permission.VIEW_STOCK_RECORDS: "print the controlled-substance records",
})

#: Permissions whose roles the clinic's DEA registrant sets (Clinic settings, "Who may ...");
#: ROLES_FOR holds the same defaults for a clinic that has not said.
CLINIC_DECIDES: Final[Mapping[Permission, StockAct]] = MappingProxyType({
    Permission.RECEIVE_STOCK: StockAct.RECEIVE,
    Permission.COUNT_STOCK: StockAct.COUNT,
    Permission.RESOLVE_DISCREPANCY: StockAct.RESOLVE,
    Permission.DESTROY_STOCK: StockAct.DESTROY,
})


def allowed_roles(db: Session, permission: Permission) -> frozenset[Role]:
    """The roles that may do this here: the clinic's setting where it decides, else the rule."""
    act = CLINIC_DECIDES.get(permission)
    if act is None:
        return ROLES_FOR[permission]
    return stock_act_roles(act, get_setting(db, stock_roles_key(act)))


def may(role: Role | str, permission: Permission) -> bool:
    """Whether ``role`` holds ``permission`` (for screens deciding what to offer)."""
    return role in ROLES_FOR[permission]


#: What is recorded or booked in clinic time: refused until the clinic's zone is set.
NEEDS_CLINIC_TIME: Final = frozenset({
    Permission.RECORD, Permission.PREPARE_DOSE, Permission.VERIFY_DOSE,
    Permission.COMPLETE_NURSING, Permission.SIGN, Permission.ACKNOWLEDGE_BP,
    Permission.OVERRIDE_DOSE, Permission.ADDENDUM, Permission.SCHEDULE, Permission.SCREEN,
    Permission.APPROVE_SCREENING, Permission.MANAGE_COURSE, Permission.ACKNOWLEDGE_ALERT,
    Permission.REVIEW_SUICIDE_RISK, Permission.FILE_REMS, Permission.RECEIVE_STOCK,
    Permission.DISPENSE_STOCK, Permission.WITNESS_STOCK, Permission.CORRECT_STOCK,
    Permission.TRANSFER_STOCK, Permission.COUNT_STOCK, Permission.TAKE_INVENTORY,
    Permission.RESOLVE_DISCREPANCY, Permission.DESTROY_STOCK, Permission.REPORT_LOSS,
})


def authorize(db: Session, actor: Actor, permission: Permission) -> User:
    """The actor's stored account, if it may do this; else :class:`PermissionDenied`."""
    what = _WORDS[permission]
    if actor.user_id is None:
        raise PermissionDenied(f"Sign in to {what}.")
    user = db.get(User, actor.user_id, populate_existing=True)
    if user is None or not user.is_active:
        raise PermissionDenied(
            f"The account '{actor.username}' is disabled or no longer exists; "
            "ask an administrator."
        )
    if user.username != actor.username:
        # the audit row carries the actor's user name: it must be the id's own
        raise PermissionDenied(
            f"The signed-in user name '{actor.username}' does not match account "
            f"{actor.user_id} ('{user.username}'); sign in again."
        )
    if user.locked_at_utc is not None:
        raise PermissionDenied(
            f"The account '{user.username}' is locked after too many failed log-ins; "
            "an administrator must unlock it."
        )
    allowed = allowed_roles(db, permission)
    if user.role not in allowed:
        who = " or ".join(ROLE_WITH_ARTICLE[r] for r in sorted(allowed))
        raise PermissionDenied(
            f"Only {who} can {what}; {user.full_name} ({user.username}) is "
            f"{ROLE_WITH_ARTICLE[user.role]}."
        )
    if permission in NEEDS_CLINIC_TIME and stored_clinic_timezone(db) is None:
        raise PermissionDenied(TIMEZONE_MISSING)
    return user


def is_system(actor: Actor) -> bool:
    """Set-up work by whoever holds the database itself (first run, command line, demo)."""
    return actor.role == "system" and actor.user_id is None


def authorize_admin_work(db: Session, actor: Actor, permission: Permission) -> None:
    """Like :func:`authorize`, but the command line and set-up (system actor) may too.

    Someone running ``ketalog user add`` already holds the database file or its
    credentials; the screens always act as a signed-in user.
    """
    if not is_system(actor):
        authorize(db, actor, permission)
