"""Controlled substances leaving a location's books whole: transfers, destruction, losses.

Issue 19, items 1, 3 and 4. A transfer moves whole containers to another
registered location (its own DEA registration and books): a TRANSFERRED_OUT at
one and a TRANSFERRED_IN at the other, the second naming the first. A
destruction takes the whole remaining volume of each container before two
witnesses who each sign with their own key (the facts of DEA Form 41). A loss
or theft writes LOST entries for what is missing, under a record of the facts
DEA Form 106 asks, signed by the person recording it with their own key.

Every rule of the books is the ledger's (:mod:`ketalog.domain.controlled_substances`);
every row is only ever added, with its audit row; a mistake is undone by
:func:`ketalog.services.stock.reverse_stock_entry`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import Ledger, LedgerEntry, LedgerKind, format_ml
from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.stock_counts import MAX_RECORD_TEXT, LossKind, loss_problems
from ketalog.domain.values import parse_decimal, printed_name
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.authentication import unlock_own_key
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound
from ketalog.services.identity import IdentityProof, ProofPurpose, accept_keyed_proof
from ketalog.services.keyed import (
    MANIFEST_FIELDS,
    STOCK_DESTRUCTION_WITNESS,
    STOCK_LOSS,
    UnlockedKey,
)
from ketalog.services.settings import clinic_today
from ketalog.services.stock import checked_text, container_ledger, locked_container, write_entry
from ketalog.services.unit_of_work import use_case
from ketalog.store.models import (
    StockContainer,
    StockEntry,
    StockEntryWitness,
    StockLocation,
    StockLoss,
    StockLossLine,
    User,
)

#: Containers moved, destroyed or lost in one action: more is a typing mistake.
MAX_CONTAINERS_PER_ACTION = 200
#: How many witnesses a destruction needs besides the person recording it.
DESTRUCTION_WITNESSES = 2


# --- shared with services.stock_counts ------------------------------------------------------


def name_of(user: User) -> str:
    """A person as the records print them ("Sam Okafor, RN")."""
    return printed_name(user.full_name, user.credentials)


def location(db: Session, location_id: int, *, active: bool = False) -> StockLocation:
    """The location, refused when unknown (and, if ``active``, when no longer in use)."""
    row = db.get(StockLocation, location_id)
    if row is None:
        raise NotFound(f"There is no stock location {location_id}.")
    if active and not row.active:
        raise ValidationError.single("location", f'The stock location "{row.name}" is no '
                                                 "longer in use.")
    return row


def _containers(container_ids: Sequence[int]) -> list[int]:
    ids = list(container_ids)
    if not ids:
        raise ValidationError.single("containers", "Choose at least one container.")
    if len(ids) > MAX_CONTAINERS_PER_ACTION:
        raise ValidationError.single("containers", f"{len(ids)} containers at once is more "
                                                   f"than {MAX_CONTAINERS_PER_ACTION}.")
    if len(set(ids)) != len(ids):
        raise ValidationError.single("containers", "A container is listed twice.")
    return ids


def _held_here(db: Session, container_id: int, place: StockLocation, doing: str
               ) -> tuple[StockContainer, Ledger, Decimal]:
    """The container (locked), its books and its balance here; refused when none is here."""
    container = locked_container(db, container_id)
    ledger = container_ledger(db, container_id)
    left = ledger.balance_ml(container_id, place.id)
    if left <= 0:
        raise ValidationError.single(
            "containers", f"Container {container_id} (lot {container.lot_number}) is not in "
                          f'stock at "{place.name}"; it cannot be {doing}.')
    return container, ledger, left


# --- transfers ------------------------------------------------------------------------------


@use_case
def transfer_containers(db: Session, actor: Actor, *, from_location_id: int,
                        to_location_id: int, container_ids: Sequence[int],
                        clock: Clock = system_clock) -> list[int]:
    """Move whole containers to another registered location; the TRANSFERRED_IN entries' ids.

    Each container's whole balance goes out of one location's books and into the
    other's (the IN entry names its OUT entry), so every balance still adds up.
    Refused for a container not held at ``from_location_id``, one with a drawn
    dose not yet accounted for, an inactive location, or two locations under
    the same DEA registration (that is not a transfer between registrants).
    """
    authorize(db, actor, Permission.TRANSFER_STOCK)
    now = clock()
    ids = _containers(container_ids)
    source = location(db, from_location_id, active=True)
    target = location(db, to_location_id, active=True)
    if source.id == target.id:
        raise ValidationError.single("to_location", "Choose another location to transfer to.")
    if source.dea_number == target.dea_number:
        raise ValidationError.single(
            "to_location", f'"{source.name}" and "{target.name}" share DEA registration '
                           f"{source.dea_number}; a transfer moves stock between "
                           "registrations, each with its own books.")
    received: list[int] = []
    for container_id in ids:
        container, ledger, left = _held_here(db, container_id, source, "transferred")
        if ledger.open_draws():
            draw = ledger.open_draws()[0]
            raise ValidationError.single(
                "containers", f"Container {container_id} (lot {container.lot_number}) has "
                              f"{format_ml(ledger.unreconciled_ml(draw.entry_id))} drawn "
                              f"(draw {draw.entry_id}) not yet accounted for; record it "
                              "administered, wasted or returned before transferring.")
        user_id = actor.user_id or 0
        out = write_entry(db, actor, ledger, LedgerEntry(0, container_id, source.id,
                                                    LedgerKind.TRANSFERRED_OUT, left,
                                                    recorded_by_id=user_id), now=now)
        into = write_entry(db, actor, container_ledger(db, container_id),
                      LedgerEntry(0, container_id, target.id, LedgerKind.TRANSFERRED_IN, left,
                                  recorded_by_id=user_id), now=now, counterpart_id=out.id)
        received.append(into.id)
    return received


# --- destruction ----------------------------------------------------------------------------


def _witnesses(db: Session, actor: Actor, proofs: Sequence[object],
               clock: Clock) -> list[tuple[User, UnlockedKey]]:
    """The two witnesses, each another person than the recorder and each other, keys unlocked."""
    if len(proofs) != DESTRUCTION_WITNESSES:
        raise ValidationError.single(
            "witness", f"A destruction needs {DESTRUCTION_WITNESSES} witnesses besides you, "
                       "each entering their own user name and password.")
    named = [p.user_id if isinstance(p, IdentityProof) else None for p in proofs]
    if actor.user_id is not None and actor.user_id in named:
        raise ValidationError.single("witness", "You record the destruction; the witnesses "
                                                "must be two other people.")
    if named[0] is not None and named[0] == named[1]:
        raise ValidationError.single("witness", "The same person cannot witness twice; a "
                                                "second witness must enter their password.")
    witnesses: list[tuple[User, UnlockedKey]] = []
    for number, proof in enumerate(proofs, start=1):
        user, person, key = accept_keyed_proof(
            db, proof, ProofPurpose.WITNESS_DESTRUCTION,
            person=f"the {'first' if number == 1 else 'second'} witness", signed_in=actor,
            clock=clock)
        authorize(db, person, Permission.WITNESS_STOCK)
        witnesses.append((user, key))
    return witnesses


@use_case
def destroy_containers(db: Session, actor: Actor, *, location_id: int,
                       container_ids: Sequence[int], manner: str,
                       witness_proofs: Sequence[object],
                       clock: Clock = system_clock) -> list[int]:
    """Destroy the whole remaining volume of each container before two witnesses.

    The DESTROYED entries' ids. Each witness entered their own password
    (:func:`ketalog.services.accounts.prove_identity`, purpose WITNESS_DESTRUCTION)
    and signs every entry with their own key: the facts of DEA Form 41 (what,
    how much, how, by whom, before whom).
    """
    authorize(db, actor, Permission.DESTROY_STOCK)
    now = clock()
    ids = _containers(container_ids)
    place = location(db, location_id)
    how = checked_text(manner, "manner", "How it was destroyed", 200)
    held = [_held_here(db, c, place, "destroyed") for c in ids]
    witnesses = _witnesses(db, actor, witness_proofs, clock)
    destroyed: list[int] = []
    for container_id, (_container, ledger, left) in zip(ids, held, strict=True):
        entry = LedgerEntry(0, container_id, place.id, LedgerKind.DESTROYED, left,
                            recorded_by_id=actor.user_id or 0,
                            witness_ids=tuple(user.id for user, _key in witnesses))
        row = write_entry(db, actor, ledger, entry, now=now, manner=how)
        for position, (user, key) in enumerate(witnesses, start=1):
            _sign_destruction(db, actor, row, position, user, key, now)
        destroyed.append(row.id)
    return destroyed


def _sign_destruction(db: Session, actor: Actor, entry: StockEntry, position: int, user: User,
                      key: UnlockedKey, now: datetime) -> None:
    witness = StockEntryWitness(entry_id=entry.id, position=position, witness_id=user.id,
                                witness_name=name_of(user), key_id=key.key_id,
                                signed_at_utc=now)
    facts = {**{c: getattr(entry, c) for c in ("container_id", "location_id", "kind",
                                               "volume_ml", "waste_manner", "recorded_by_id",
                                               "recorded_at_utc")},
             "entry_id": entry.id, "position": position, "witness_id": user.id,
             "witness_name": witness.witness_name, "signed_at_utc": now}
    assert set(facts) == set(MANIFEST_FIELDS[STOCK_DESTRUCTION_WITNESS])
    witness.signature = key.sign_row(STOCK_DESTRUCTION_WITNESS, facts)
    db.add(witness)
    db.flush()
    append_audit(db, actor, "stock_destruction_witnessed", at=now,
                 table_name="stock_entry_witnesses", row_id=witness.id,
                 new={"entry_id": entry.id, "position": position,
                      "witness": witness.witness_name, "key_id": key.key_id})


# --- losses ---------------------------------------------------------------------------------


def lost_facts(lost: Mapping[int, Decimal]) -> str:
    """The LOST volumes a loss record's signature covers: "container:mL" by container."""
    return ",".join(f"{c}:{format(v.normalize(), 'f')}" for c, v in sorted(lost.items()))


def loss_manifest_row(loss: StockLoss, lost: Mapping[int, Decimal]) -> dict[str, object]:
    """The facts of a loss record its recorder's key signs (keyed.STOCK_LOSS)."""
    row: dict[str, object] = {c: getattr(loss, c) for c in MANIFEST_FIELDS[STOCK_LOSS]
                              if c != "lost"}
    row["lost"] = lost_facts(lost)
    return row


@use_case
def report_loss(db: Session, actor: Actor, *, location_id: int, discovered_on: date,
                kind: LossKind | str, circumstances: str, losses: Mapping[int, Decimal | str],
                police_notified: bool, police_reference: str | None = None,
                reported_to_dea_on: date | None = None, password: str,
                clock: Clock = system_clock) -> int:
    """Record a loss or theft (the facts DEA Form 106 asks) and write off what is missing.

    ``losses``: container id -> mL lost at the location; each becomes a LOST
    entry with the circumstances as its reason, listed under the record. The
    recorder signs with their own key, unlocked by their password. The record's id.
    """
    authorize(db, actor, Permission.REPORT_LOSS)
    now = clock()
    place = location(db, location_id)
    problems: list[Problem] = []
    try:
        what = LossKind(kind)
    except ValueError:
        what = LossKind.OTHER
        problems.append(Problem("kind", "Choose loss, theft, in transit or other."))
    today = clinic_today(db, now)
    if discovered_on > today:
        problems.append(Problem("discovered_on", f"The date found, {discovered_on.isoformat()}"
                                                 ", is in the future."))
    if reported_to_dea_on is not None and reported_to_dea_on > today:
        problems.append(Problem("reported_to_dea_on", "The date reported to the DEA is in the "
                                                      "future."))
    problems += loss_problems(circumstances=circumstances, police_notified=police_notified,
                              police_reference=police_reference)
    if not losses:
        problems.append(Problem("losses", "Name at least one container and the volume lost."))
    if problems:
        raise ValidationError(problems)
    reason = " ".join(circumstances.split())
    volumes: dict[int, Decimal] = {}
    ledgers: dict[int, Ledger] = {}
    for container_id in _containers(list(losses)):
        volume = parse_decimal(losses[container_id], f"The volume lost from container "
                               f"{container_id}", "losses")
        _container, ledger, left = _held_here(db, container_id, place, "lost")
        if volume <= 0 or volume > left:
            raise ValidationError.single(
                "losses", f"Container {container_id} holds {format_ml(left)} here; the volume "
                          f"lost must be more than 0 mL and at most that.")
        volumes[container_id] = volume
        ledgers[container_id] = ledger
    user, key = unlock_own_key(db, actor, password, purpose="report_loss",
                        what="sign the loss record", clock=clock)
    loss = StockLoss(location_id=place.id, discovered_on=discovered_on, kind=what,
                     circumstances=reason[:MAX_RECORD_TEXT], police_notified=police_notified,
                     police_reference=(police_reference or "").strip() or None,
                     reported_to_dea_on=reported_to_dea_on, recorded_by_id=user.id,
                     recorded_by_name=name_of(user), key_id=key.key_id, recorded_at_utc=now)
    loss.signature = key.sign_row(STOCK_LOSS, loss_manifest_row(loss, volumes))
    db.add(loss)
    db.flush()
    append_audit(db, actor, "stock_loss_reported", at=now, table_name="stock_losses",
                 row_id=loss.id, new={"location": place.name, "kind": what.value,
                                      "discovered_on": discovered_on.isoformat(),
                                      "circumstances": loss.circumstances,
                                      "police_notified": police_notified,
                                      "police_reference": loss.police_reference,
                                      "lost": lost_facts(volumes)})
    for container_id, volume in volumes.items():
        entry = write_entry(db, actor, ledgers[container_id],
                       LedgerEntry(0, container_id, place.id, LedgerKind.LOST, volume,
                                   recorded_by_id=actor.user_id or 0,
                                   reason=f"{what.value.replace('_', ' ')}: {reason}"[:500]),
                       now=now)
        link = StockLossLine(loss_id=loss.id, entry_id=entry.id)
        db.add(link)
        db.flush()
        append_audit(db, actor, "create", at=now, table_name="stock_loss_lines",
                     row_id=link.id, new={"loss_id": loss.id, "entry_id": entry.id})
    return loss.id
