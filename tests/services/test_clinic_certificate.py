"""The clinic's document certificate and the PDF signature on signed session summaries.

Issue 14 item 3: the signed summary carries a PAdES signature by the clinic's
document certificate; poppler's ``pdfsig`` (an independent verifier) reports it
valid, and invalid after one changed byte; the reason names the physician and
the meaning; a session that is not validly signed is never PDF-signed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketalog.services.accounts import LoginRefused
from ketalog.services.clinic_certificate import (
    NO_CERTIFICATE,
    PDF_FIELD,
    CertificateRefused,
    create_certificate,
    current_certificates,
    import_certificate,
    sign_pdf,
    signer_loaded,
)
from ketalog.services.errors import PermissionDenied
from ketalog.services.pdf import produce_document
from ketalog.services.users import create_user
from ketalog.store.models import AuditEntry, ClinicCertificate, VitalSign
from tests.conftest import FakeClock
from tests.helpers.certificates import pdfsig, pkcs12_file
from tests.play import discharged_session, sign
from tests.staff import ADMIN, NURSE, password_of
from tests.tamper import tamper

READER_NAME = "Reviewed and approved by Ada Lindqvist, MD"


def signature_dictionary(data: bytes, tmp_path: Path) -> dict[str, object] | None:
    """The clinic signature's /V dictionary, or None when the PDF has no signature field."""
    path = tmp_path / "read.pdf"
    path.write_bytes(data)
    root = PdfReader(path).trailer["/Root"]
    if "/AcroForm" not in root:
        return None
    for field in root["/AcroForm"]["/Fields"]:
        field = field.get_object()
        if field.get("/T") == PDF_FIELD and "/V" in field:
            return dict(field["/V"].get_object())
    return None


@pytest.fixture
def certificate(db: Session, clock: FakeClock) -> str:
    """The clinic's CA and document certificate, made by the test administrator."""
    info = create_certificate(db, ADMIN, password_of("admin"), clock=clock)
    return info.fingerprint_sha256


@pytest.fixture
def signed(db: Session, clock: FakeClock) -> int:
    """A session played to discharge, completed and signed by Ada Lindqvist, MD."""
    sid = discharged_session(db, clock)
    sign(db, sid, clock)
    db.rollback()
    return sid


def test_the_signed_summary_carries_a_signature_pdfsig_finds_valid(
    db: Session, certificate: str, signed: int, tmp_path: Path,
) -> None:
    produced = produce_document(db, "session", signed)
    assert produced.pdf_signed and produced.note == ""
    report = pdfsig(produced.data, tmp_path)
    assert "Signature is Valid" in report, report
    assert "Total document signed" in report
    assert "ETSI.CAdES.detached" in report  # PAdES
    sig = signature_dictionary(produced.data, tmp_path)
    assert sig is not None
    assert sig["/Reason"] == READER_NAME
    assert sig["/Location"] == "ketalog clinic"
    # the pages themselves are the summary, unchanged, with the signature's text
    text = " ".join(page.extract_text() or "" for page in
                    PdfReader(tmp_path / "read.pdf").pages)
    assert "Ada Lindqvist" in text and "DRAFT" not in text


def test_one_changed_byte_inside_the_signed_range_makes_pdfsig_report_it_invalid(
    db: Session, certificate: str, signed: int, tmp_path: Path,
) -> None:
    data = bytearray(produce_document(db, "session", signed).data)
    at = data.index(b"ReportLab")  # in the header comment: inside the first signed range
    data[at] = ord("r")
    report = pdfsig(bytes(data), tmp_path)
    assert "Signature is Valid" not in report, report
    assert "Digest Mismatch" in report or "Invalid" in report, report


def test_a_session_not_yet_signed_gives_a_pdf_without_a_signature(
    db: Session, clock: FakeClock, certificate: str, tmp_path: Path,
) -> None:
    sid = discharged_session(db, clock)
    produced = produce_document(db, "session", sid)
    assert not produced.pdf_signed and produced.note == ""
    assert signature_dictionary(produced.data, tmp_path) is None
    assert "does not contain any signatures" in pdfsig(produced.data, tmp_path)


def test_a_session_changed_after_signing_is_never_pdf_signed(
    db: Session, engine: Engine, certificate: str, signed: int, tmp_path: Path,
) -> None:
    vital = db.scalars(select(VitalSign.id).where(VitalSign.session_id == signed)).first()
    db.rollback()
    tamper(engine, "UPDATE vital_signs SET heart_rate_bpm = 140 WHERE id = :id", id=vital)
    produced = produce_document(db, "session", signed)
    assert not produced.pdf_signed
    assert signature_dictionary(produced.data, tmp_path) is None
    text = " ".join(p.extract_text() or "" for p in PdfReader(tmp_path / "read.pdf").pages)
    assert "SIGNATURE NOT VALID" in text


def test_without_a_certificate_the_summary_prints_unsigned_and_says_so(
    db: Session, signed: int, tmp_path: Path,
) -> None:
    produced = produce_document(db, "session", signed)
    assert not produced.pdf_signed
    assert produced.note == NO_CERTIFICATE
    assert signature_dictionary(produced.data, tmp_path) is None


def test_other_documents_are_not_pdf_signed(
    db: Session, certificate: str, signed: int, tmp_path: Path,
) -> None:
    produced = produce_document(db, "visit", signed)
    assert not produced.pdf_signed and produced.note == ""
    assert signature_dictionary(produced.data, tmp_path) is None


def test_an_expired_certificate_does_not_sign(db: Session, certificate: str) -> None:
    later = datetime.now(UTC) + timedelta(days=6 * 365)
    result = sign_pdf(db, b"%PDF-1.4 not used", reason="r", location="l", now=later)
    assert not result.signed and "valid from" in result.note


def test_certificate_rows_are_insert_only(db: Session, engine: Engine, certificate: str) -> None:
    db.rollback()
    for sql in ("UPDATE clinic_certificates SET subject = 'CN=forged'",
                "DELETE FROM clinic_certificates"):
        with pytest.raises(DBAPIError, match="never changed or deleted"), engine.begin() as conn:
            conn.execute(text(sql))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM clinic_certificates")).scalar_one() == 2


def test_creating_and_issuing_are_audited_and_shown(
    db: Session, clock: FakeClock, certificate: str,
) -> None:
    chain = current_certificates(db)
    assert [c.kind for c in chain] == ["document", "ca"]
    document, ca = chain
    assert document.fingerprint_sha256 == certificate
    assert document.issuer == ca.subject
    assert "O=ketalog clinic" in document.subject and document.created_by == "Alex Admin"
    assert document.valid_at(clock())
    rows = db.scalars(select(AuditEntry).where(AuditEntry.action == "certificate_created")
                      .order_by(AuditEntry.id)).all()
    assert [(r.table_name, r.field, r.username) for r in rows] == [
        ("clinic_certificates", "ca", "admin"), ("clinic_certificates", "document", "admin")]
    assert certificate in (rows[1].new_value or "")


def test_a_new_document_certificate_needs_the_ca_administrators_password(
    db: Session, clock: FakeClock, certificate: str,
) -> None:
    other = create_user(db, ADMIN, username="kim", full_name="Kim Other", role="administrator",
                        password="kim-admin-pass", clock=clock).as_actor("t")
    with pytest.raises(CertificateRefused, match="opens only with the password"):
        create_certificate(db, other, "kim-admin-pass", clock=clock)
    with pytest.raises(LoginRefused):
        create_certificate(db, ADMIN, "not the password", clock=clock)
    with pytest.raises(PermissionDenied, match="Only an administrator"):
        create_certificate(db, NURSE, password_of("nora"), clock=clock)
    assert current_certificates(db)[0].fingerprint_sha256 == certificate
    renewed = create_certificate(db, ADMIN, password_of("admin"), clock=clock)
    assert renewed.fingerprint_sha256 != certificate
    chain = current_certificates(db)
    assert chain[0].id == renewed.id and chain[1].created_by == "Alex Admin"  # same CA
    fresh = create_certificate(db, other, "kim-admin-pass", new_ca=True, clock=clock)
    assert current_certificates(db)[1].created_by == "Kim Other"
    assert fresh.id == current_certificates(db)[0].id
    assert db.scalar(select(func.count()).select_from(ClinicCertificate)) == 5


def test_an_imported_pkcs12_certificate_signs_and_pdfsig_accepts_it(
    db: Session, clock: FakeClock, signed: int, tmp_path: Path,
) -> None:
    p12 = pkcs12_file(b"p12-secret", clock)
    with pytest.raises(CertificateRefused, match="could not be opened as PKCS#12"):
        import_certificate(db, ADMIN, password_of("admin"), p12, "wrong", clock=clock)
    with pytest.raises(CertificateRefused, match="not today"):
        import_certificate(db, ADMIN, password_of("admin"),
                           pkcs12_file(b"x", clock, expired=True), "x", clock=clock)
    assert db.scalar(select(func.count()).select_from(ClinicCertificate)) == 0
    info = import_certificate(db, ADMIN, password_of("admin"), p12, "p12-secret", clock=clock)
    assert (info.kind, info.source, info.subject) == ("document", "imported", "CN=Clinic docs")
    chain = current_certificates(db)
    assert [c.subject for c in chain] == ["CN=Clinic docs", "CN=Hospital Group Root"]
    produced = produce_document(db, "session", signed)
    assert produced.pdf_signed
    report = pdfsig(produced.data, tmp_path)
    assert "Signature is Valid" in report and "Clinic docs" in report, report
    imported = db.scalars(select(AuditEntry.field).where(
        AuditEntry.action == "certificate_imported").order_by(AuditEntry.id)).all()
    assert imported == ["ca", "document"]
    # an imported CA has no key here: a new certificate from it needs a new CA
    with pytest.raises(CertificateRefused, match="imported without its private key"):
        create_certificate(db, ADMIN, password_of("admin"), clock=clock)


def test_signing_adds_little_to_a_preview(
    db: Session, certificate: str, signed: int,
) -> None:
    from ketalog.reports.session_summary import build_session_summary
    from ketalog.services.documents import session_summary_data

    data = session_summary_data(db, signed)
    sign_pdf(db, build_session_summary(data), reason="r", location="l")  # loads, caches
    build, signing = [], []
    for _ in range(3):
        start = time.perf_counter()
        pdf = build_session_summary(session_summary_data(db, signed))
        middle = time.perf_counter()
        assert sign_pdf(db, pdf, reason=READER_NAME, location="l").signed
        build.append(middle - start)
        signing.append(time.perf_counter() - middle)
    # measured on the demo clinic: the signature about 45 ms, the summary itself 70-90 ms;
    # the key is loaded once per process, never per document
    assert signer_loaded(certificate)
    assert min(signing) < max(0.15, 1.5 * min(build)), (build, signing)


def test_the_first_administrator_creates_the_clinic_ca_and_document_certificate(
        sqlite_url: str, clock: FakeClock) -> None:
    from ketalog.services.accounts import create_first_administrator
    from ketalog.services.database import make_sessionmaker, open_database

    engine = open_database(sqlite_url)  # empty: no staff, as at first start
    try:
        with make_sessionmaker(engine)() as db:
            admin = create_first_administrator(db, username="pat", full_name="Pat Morgan",
                                               password="first-admin-pass",
                                               clinic_name="Riverside Ketamine Clinic",
                                               clinic_timezone="America/Chicago", clock=clock)
            document, ca = current_certificates(db)
            assert (document.kind, ca.kind, ca.created_by) == ("document", "ca", "Pat Morgan")
            audit = db.scalars(select(AuditEntry.username).where(
                AuditEntry.action == "certificate_created")).all()
            assert audit == ["pat", "pat"]
            # the CA's key opens with that password only: a new document certificate
            with pytest.raises(LoginRefused):
                create_certificate(db, admin.as_actor("t"), "another", clock=clock)
            renewed = create_certificate(db, admin.as_actor("t"), "first-admin-pass",
                                         clock=clock)
            assert current_certificates(db)[1].id == ca.id != renewed.id
    finally:
        engine.dispose()
