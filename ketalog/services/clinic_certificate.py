"""The clinic's document certificate, and the PDF (PAdES) signature it puts on signed summaries.

Two certificates, both kept in the database (``clinic_certificates``, rows only
ever inserted) so that every workstation of a shared PostgreSQL signs with the
same one:

- the **clinic CA**, made when the first administrator is created (or by
  ``ketalog certificate create``). Its private key is sealed (Argon2id, then
  AES-256-GCM) under the password that administrator had at that moment, so
  issuing a new document certificate later needs that password; nobody who
  merely reads or writes the database can issue one in the clinic's name.
- the **document certificate**, issued by the CA, which signs the PDFs. Its
  private key is stored in the clear, because a PDF is signed whenever a
  nurse previews or prints a signed session, at any workstation, by whoever
  is signed in; sealing it under one person's password would mean asking that
  person every time. An imported PKCS#12 file stores its key the same way.

The trade-off, decided here: anyone who can read the database (the app's own
login on PostgreSQL, the SQLite file's owner) can sign a PDF with the document
certificate. So the PDF signature proves that the file came out of this
clinic's ketalog database and has not changed by one byte since; it does not
prove who signed the record. That proof is the physician's own Ed25519
signature (services.signing), which only the physician's password unlocks,
and which ketalog re-verifies before it lets a document say "signed": a PDF is
digitally signed only when that signature is VALID at the printing moment, and
its reason names the physician and the meaning ("Reviewed and approved by Ada
Lindqvist, MD"). A reader checks the PDF signature in any PDF reader (or
``pdfsig``) and compares the issuer's SHA-256 fingerprint with the one the
clinic publishes (``ketalog certificate show``), or trusts the clinic CA once.

Keys are ECDSA P-256: made in a millisecond at first run, and supported by
PAdES readers (Acrobat, poppler, pyHanko). The signer (certificate, key,
chain) is cached per process. Measured on the demo clinic: the signature
adds about 45 ms to a summary that takes 70-90 ms to build (pyHanko's CMS
assembly; the ECDSA operation itself is 0.1 ms), and pyHanko's import (0.3-0.7
s) is paid once, by the first signed summary a process produces.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_der_private_key,
    load_pem_private_key,
    pkcs12,
)
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.clinic_settings import DEFAULT_CLINIC_NAME
from ketalog.domain.errors import DomainError
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.authentication import confirm_password
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.settings import CLINIC_NAME, get_setting
from ketalog.store.models import ClinicCertificate, User

CA, DOCUMENT = "ca", "document"
CREATED, IMPORTED = "created", "imported"
CA_VALIDITY = timedelta(days=20 * 365)
DOCUMENT_VALIDITY = timedelta(days=5 * 365)
#: Certificates start a day early: workstation clocks differ.
BACKDATE = timedelta(days=1)
#: The PDF form field that holds the clinic's signature.
PDF_FIELD = "ClinicSignature"
#: Argon2id as for the signing keys (services.keys); stored per row so it can rise later.
_TIME_COST, _MEMORY_KIB, _PARALLELISM = 2, 19 * 1024, 1
KDF = f"argon2id;t={_TIME_COST};m={_MEMORY_KIB};p={_PARALLELISM}"
_AAD = b"ketalog clinic CA key v1"
NO_CERTIFICATE = ("not digitally signed: this database has no clinic document certificate "
                  "(an administrator runs 'ketalog certificate create')")


class CertificateRefused(DomainError):
    """A certificate could not be made or imported; the message says why and what to do."""


@dataclass(frozen=True)
class CertificateInfo:
    """One stored certificate as ``ketalog certificate show`` prints it."""

    id: int
    kind: str
    source: str
    subject: str
    issuer: str
    serial_hex: str
    fingerprint_sha256: str
    not_before_utc: datetime
    not_after_utc: datetime
    created_at_utc: datetime
    created_by: str | None

    @property
    def fingerprint(self) -> str:
        """The SHA-256 fingerprint as readers show it: hex pairs separated by colons."""
        return ":".join(self.fingerprint_sha256[i:i + 2].upper()
                        for i in range(0, len(self.fingerprint_sha256), 2))

    def valid_at(self, moment: datetime) -> bool:
        """Whether the certificate's validity period covers ``moment``."""
        return self.not_before_utc <= moment <= self.not_after_utc


@dataclass(frozen=True)
class SignedPdf:
    """A produced PDF, and whether it carries the clinic's signature (else why not)."""

    data: bytes
    signed: bool
    #: "" when signed or when there was nothing to sign; else why it is not signed
    note: str = ""


# --- making and storing certificates ---------------------------------------------------


def _wrapping_key(password: str, salt: bytes, kdf: str) -> bytes:
    if not kdf.startswith("argon2id;"):
        raise CertificateRefused(f"Unknown key derivation {kdf!r}.")
    params = dict(part.split("=") for part in kdf.split(";")[1:])
    return hash_secret_raw(password.encode("utf-8"), salt, time_cost=int(params["t"]),
                           memory_cost=int(params["m"]), parallelism=int(params["p"]),
                           hash_len=32, type=Type.ID)


def _seal(key: ec.EllipticCurvePrivateKey, password: str) -> tuple[str, str]:
    salt, nonce = os.urandom(16), os.urandom(12)
    der = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    sealed = AESGCM(_wrapping_key(password, salt, KDF)).encrypt(nonce, der, _AAD)
    return (nonce + sealed).hex(), salt.hex()


def _unseal(row: ClinicCertificate, password: str) -> Any:
    if row.private_key is None or row.kdf is None or row.kdf_salt is None:
        raise CertificateRefused("The clinic CA's private key is not stored here.")
    blob = bytes.fromhex(row.private_key)
    try:
        der = AESGCM(_wrapping_key(password, bytes.fromhex(row.kdf_salt), row.kdf)).decrypt(
            blob[:12], blob[12:], _AAD)
    except InvalidTag:
        raise CertificateRefused(_ca_password_message(row)) from None
    return load_der_private_key(der, None)


def _ca_password_message(row: ClinicCertificate) -> str:
    return ("The clinic CA's key opens only with the password of the administrator who made "
            f"it (account id {row.created_by_id}), as it was when the CA was made. Run the "
            "command as that administrator, or add --new-ca to start a new clinic CA (PDF "
            "readers that trust the old CA must then be given the new one).")


def _name(clinic: str, common_name: str) -> x509.Name:
    # most general first, as X.509 orders it; the RFC 4514 text then reads "CN=..., ..."
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, clinic[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "ketalog"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])


def _key_usage(*, sign_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not sign_certificates,
                         content_commitment=not sign_certificates, key_encipherment=False,
                         data_encipherment=False, key_agreement=False,
                         key_cert_sign=sign_certificates, crl_sign=sign_certificates,
                         encipher_only=False, decipher_only=False)


def _make_ca(clinic: str, now: datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(clinic, f"{clinic} clinic CA")
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(sign_certificates=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def _make_document(clinic: str, ca: x509.Certificate, ca_key: Any,
                   now: datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(clinic, f"{clinic} documents"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(min(now + DOCUMENT_VALIDITY, ca.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(sign_certificates=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert, key


def _row(cert: x509.Certificate, *, kind: str, source: str, now: datetime,
         created_by: int | None, issued_by: int | None = None, private_key: str | None = None,
         kdf: str | None = None, kdf_salt: str | None = None) -> ClinicCertificate:
    return ClinicCertificate(
        kind=kind, source=source, subject=cert.subject.rfc4514_string()[:500],
        issuer=cert.issuer.rfc4514_string()[:500], serial_hex=f"{cert.serial_number:x}"[:64],
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        not_before_utc=cert.not_valid_before_utc, not_after_utc=cert.not_valid_after_utc,
        certificate_pem=cert.public_bytes(Encoding.PEM).decode("ascii"),
        private_key=private_key, kdf=kdf, kdf_salt=kdf_salt, issued_by_id=issued_by,
        created_by_id=created_by, created_at_utc=now)


def _plain_pem(key: Any) -> str:
    return str(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
               .decode("ascii"))


def _store(db: Session, actor: Actor, action: str, row: ClinicCertificate,
           now: datetime) -> ClinicCertificate:
    db.add(row)
    db.flush()
    append_audit(db, actor, action, at=now, table_name="clinic_certificates", row_id=row.id,
                 field=row.kind, new={"subject": row.subject, "issuer": row.issuer,
                                      "sha256": row.fingerprint_sha256,
                                      "not_after_utc": row.not_after_utc.isoformat()})
    return row


def _issue_document(db: Session, actor: Actor, ca_row: ClinicCertificate, ca_key: Any,
                    clinic: str, now: datetime, user_id: int | None) -> ClinicCertificate:
    ca = x509.load_pem_x509_certificate(ca_row.certificate_pem.encode("ascii"))
    cert, key = _make_document(clinic, ca, ca_key, now)
    return _store(db, actor, "certificate_created",
                  _row(cert, kind=DOCUMENT, source=CREATED, now=now, created_by=user_id,
                       issued_by=ca_row.id, private_key=_plain_pem(key)), now)


def _new_ca_and_document(db: Session, actor: Actor, password: str, now: datetime,
                         user_id: int | None) -> ClinicCertificate:
    clinic = str(get_setting(db, CLINIC_NAME, DEFAULT_CLINIC_NAME))
    ca, ca_key = _make_ca(clinic, now)
    sealed, salt = _seal(ca_key, password)
    ca_row = _store(db, actor, "certificate_created",
                    _row(ca, kind=CA, source=CREATED, now=now, created_by=user_id,
                         private_key=sealed, kdf=KDF, kdf_salt=salt), now)
    return _issue_document(db, actor, ca_row, ca_key, clinic, now, user_id)


def has_certificate(db: Session) -> bool:
    """Whether any document certificate is stored (valid or not)."""
    return db.scalar(select(ClinicCertificate.id).where(ClinicCertificate.kind == DOCUMENT)
                     .limit(1)) is not None


def create_first_certificates(db: Session, admin: Actor, password: str, *,
                              clock: Clock = system_clock) -> CertificateInfo | None:
    """At first run, a clinic CA and a document certificate from it (committed).

    The CA's key is sealed under the first administrator's password. Does
    nothing once a certificate exists. ``password`` was just set for
    ``admin`` (no re-check: the account is new).
    """
    if has_certificate(db):
        return None
    now = clock()
    row = _new_ca_and_document(db, admin, password, now, admin.user_id)
    db.commit()
    return _info(db, row)


def create_certificate(db: Session, actor: Actor, password: str, *, new_ca: bool = False,
                       clock: Clock = system_clock) -> CertificateInfo:
    """An administrator issues a new document certificate (committed); its info.

    From the newest clinic CA made here, opened with ``password`` (the
    administrator who made it, as they were then); with ``new_ca``, or when
    there is none, a new CA sealed under ``password`` first. The password is
    checked like a log-in (failures count towards the lock-out).

    Raises:
        PermissionDenied: the actor is not an administrator.
        LoginRefused: wrong password.
        CertificateRefused: the CA does not open with this password, or was imported
            without its key.
    """
    authorize(db, actor, Permission.MANAGE_CERTIFICATE)
    confirm_password(db, actor, password, purpose="certificate", clock=clock)
    now = clock()
    ca_row = None if new_ca else db.scalar(
        select(ClinicCertificate).where(ClinicCertificate.kind == CA)
        .order_by(ClinicCertificate.id.desc()).limit(1))
    if ca_row is None:
        row = _new_ca_and_document(db, actor, password, now, actor.user_id)
    elif ca_row.private_key is None:
        db.commit()  # the password check stands in the audit trail
        raise CertificateRefused(
            "The clinic's CA was imported without its private key, so ketalog cannot issue "
            "certificates from it: import a new PKCS#12 file ('ketalog certificate import'), "
            "or add --new-ca to start a clinic CA here.")
    else:
        try:
            ca_key = _unseal(ca_row, password)
        except CertificateRefused:
            db.commit()
            raise
        clinic = str(get_setting(db, CLINIC_NAME, DEFAULT_CLINIC_NAME))
        row = _issue_document(db, actor, ca_row, ca_key, clinic, now, actor.user_id)
    db.commit()
    return _info(db, row)


def import_certificate(db: Session, actor: Actor, password: str, p12: bytes,
                       p12_password: str | None, *,
                       clock: Clock = system_clock) -> CertificateInfo:
    """An administrator imports a PKCS#12 file as the clinic's document certificate.

    The file's certificate and key sign from now on; the certificates beside
    it are stored (without keys) as its issuers.

    Raises:
        PermissionDenied, LoginRefused: as :func:`create_certificate`.
        CertificateRefused: the file is not PKCS#12, the password is wrong, it holds no key
            or a key that does not match, the key type cannot sign PDFs, or the
            certificate is not valid now.
    """
    authorize(db, actor, Permission.MANAGE_CERTIFICATE)
    confirm_password(db, actor, password, purpose="certificate", clock=clock)
    db.commit()  # the password check stands in the audit trail whatever the file holds
    now = clock()
    try:
        bundle = pkcs12.load_pkcs12(p12, p12_password.encode("utf-8") if p12_password else None)
    except ValueError:
        raise CertificateRefused(
            "The file could not be opened as PKCS#12: the password is wrong, or it is not a "
            ".p12/.pfx file. Nothing was imported.") from None
    if bundle.key is None or bundle.cert is None:
        raise CertificateRefused("The PKCS#12 file holds no private key with its certificate; "
                                 "export it again with the key. Nothing was imported.")
    key, cert = bundle.key, bundle.cert.certificate
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise CertificateRefused("The key in the PKCS#12 file is neither RSA nor ECDSA; PDF "
                                 "readers check only those. Nothing was imported.")
    if cert.public_key() != key.public_key():
        raise CertificateRefused("The certificate in the PKCS#12 file does not belong to its "
                                 "private key. Nothing was imported.")
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise CertificateRefused(
            f"The certificate is valid from {cert.not_valid_before_utc:%Y-%m-%d} to "
            f"{cert.not_valid_after_utc:%Y-%m-%d}, not today. Nothing was imported.")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise CertificateRefused("The certificate may not be used for digital signatures "
                                 "(its key usage says so). Nothing was imported.")
    issued_by = None
    for extra in bundle.additional_certs:
        chain = extra.certificate
        stored = _store(db, actor, "certificate_imported",
                        _row(chain, kind=CA, source=IMPORTED, now=now,
                             created_by=actor.user_id), now)
        if chain.subject == cert.issuer:
            issued_by = stored.id
    row = _store(db, actor, "certificate_imported",
                 _row(cert, kind=DOCUMENT, source=IMPORTED, now=now, created_by=actor.user_id,
                      issued_by=issued_by, private_key=_plain_pem(key)), now)
    db.commit()
    return _info(db, row)


# --- reading ---------------------------------------------------------------------------


def _info(db: Session, row: ClinicCertificate) -> CertificateInfo:
    who = (db.scalar(select(User.full_name).where(User.id == row.created_by_id))
           if row.created_by_id is not None else None)
    return CertificateInfo(row.id, row.kind, row.source, row.subject, row.issuer,
                           row.serial_hex, row.fingerprint_sha256, row.not_before_utc,
                           row.not_after_utc, row.created_at_utc, who)


def _current_document_row(db: Session) -> ClinicCertificate | None:
    return db.scalar(select(ClinicCertificate).where(ClinicCertificate.kind == DOCUMENT,
                                                     ClinicCertificate.private_key.is_not(None))
                     .order_by(ClinicCertificate.id.desc()).limit(1))


def current_certificates(db: Session) -> tuple[CertificateInfo, ...]:
    """The document certificate that signs now, then its issuers; empty when there is none."""
    row = _current_document_row(db)
    chain: list[CertificateInfo] = []
    seen: set[int] = set()
    while row is not None and row.id not in seen:
        seen.add(row.id)
        chain.append(_info(db, row))
        row = db.get(ClinicCertificate, row.issued_by_id) if row.issued_by_id else None
    return tuple(chain)


# --- signing PDFs ----------------------------------------------------------------------

_signers: dict[str, Any] = {}
_signers_lock = threading.Lock()


def _chain_pems(db: Session, row: ClinicCertificate) -> list[str]:
    pems, seen = [], {row.id}
    issuer_id = row.issued_by_id
    while issuer_id is not None and issuer_id not in seen:
        seen.add(issuer_id)
        issuer = db.get(ClinicCertificate, issuer_id)
        if issuer is None:
            break
        pems.append(issuer.certificate_pem)
        issuer_id = issuer.issued_by_id
    return pems


def _signer(db: Session, row: ClinicCertificate) -> tuple[Any, int]:
    """The pyHanko signer for ``row`` and the bytes to reserve, built once per process."""
    with _signers_lock:
        cached = _signers.get(row.fingerprint_sha256)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    def der(pem: str) -> bytes:
        return x509.load_pem_x509_certificate(pem.encode("ascii")).public_bytes(Encoding.DER)

    key = load_pem_private_key((row.private_key or "").encode("ascii"), None)
    chain = [der(pem) for pem in _chain_pems(db, row)]
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(der(row.certificate_pem)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [asn1_x509.Certificate.load(c) for c in chain]))
    # the CMS holds the certificates, the signature and a few attributes
    reserved = 4096 + len(der(row.certificate_pem)) + sum(len(c) for c in chain)
    reserved += reserved % 2  # pyHanko reserves whole bytes of hex
    with _signers_lock:
        _signers[row.fingerprint_sha256] = (signer, reserved)
    return signer, reserved


def signer_loaded(fingerprint_sha256: str) -> bool:
    """Whether this process has loaded the signer for that certificate (once, never per PDF)."""
    with _signers_lock:
        return fingerprint_sha256 in _signers


def sign_pdf(db: Session, pdf: bytes, *, reason: str, location: str,
             now: datetime | None = None) -> SignedPdf:
    """``pdf`` with the clinic's PDF signature (an invisible PAdES signature field).

    Unsigned, with a note saying why, when the database has no document
    certificate or the newest one is not valid at ``now`` (default: the wall
    clock, which is also the signing time the signature carries).
    """
    row = _current_document_row(db)
    if row is None:
        return SignedPdf(pdf, False, NO_CERTIFICATE)
    moment = now or datetime.now(UTC)
    if not row.not_before_utc <= moment <= row.not_after_utc:
        return SignedPdf(pdf, False, (
            f"not digitally signed: the clinic document certificate is valid from "
            f"{row.not_before_utc:%Y-%m-%d} to {row.not_after_utc:%Y-%m-%d} (an administrator "
            "runs 'ketalog certificate create' for a new one)"))
    signer, reserved = _signer(db, row)
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(field_name=PDF_FIELD, reason=reason, location=location,
                                        subfilter=fields.SigSeedSubFilter.PADES)
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    out = signers.PdfSigner(meta, signer).sign_pdf(writer, bytes_reserved=reserved)
    return SignedPdf(out.getvalue(), True)

